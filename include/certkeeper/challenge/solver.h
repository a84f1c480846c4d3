/*
 * challenge/solver.h: how a challenge is answered.
 *
 * The ACME order flow sees only this interface, as it sees keys only
 * through a signer: for each pending authorization it asks the solver to
 * present the key authorization for a token, then (once everything is
 * presented) whether it is ready, tells the CA to validate, and asks the
 * solver to clean up afterwards, whatever the outcome.  A solver answers
 * one challenge type (http-01, with its responder or a webroot;
 * tls-alpn-01; dns-01 through a hook) and holds whatever it needs (a
 * listening responder, a token file, a DNS record) only while something is
 * presented.
 */
#ifndef CERTKEEPER_CHALLENGE_SOLVER_H
#define CERTKEEPER_CHALLENGE_SOLVER_H

#include <stddef.h>

struct ck_solver;

/* One challenge to answer, as the authorization states it (RFC 8555 7.1.4, RFC 8738). */
struct ck_chall {
	const char *id_type;	/* identifier type: "dns" or "ip" */
	/* Its value, checked: a DNS name (without "*." even for a wildcard) or a canonical address. */
	const char *identifier;
	int wildcard;		/* the authorization is for "*." identifier */
	const char *token;	/* base64url, checked */
	const char *key_authorization;	/* token "." account key thumbprint */
};

struct ck_solver_ops {
	/* Makes the key authorization answerable for c; 0 or -1 (reported). */
	int (*present)(struct ck_solver *s, const struct ck_chall *c);
	/*
	 * Called once after every challenge of an order was presented, before
	 * the CA is told to validate (dns-01 waits for propagation here); 0, or
	 * -1 (reported; a stop request counts).  NULL: always ready.
	 */
	int (*ready)(struct ck_solver *s);
	/* Withdraws what present published; never fails (problems are logged). */
	void (*cleanup)(struct ck_solver *s, const struct ck_chall *c);
	/* Releases everything (after cleanup of what was presented). */
	void (*destroy)(struct ck_solver *s);
};

struct ck_solver {
	const struct ck_solver_ops *ops;
	const char *type;	/* the ACME challenge type it answers, e.g. "http-01" */
	void *priv;
};

int ck_solver_present(struct ck_solver *s, const struct ck_chall *c);
int ck_solver_ready(struct ck_solver *s);
void ck_solver_cleanup(struct ck_solver *s, const struct ck_chall *c);
/* NULL is fine. */
void ck_solver_free(struct ck_solver *s);

/*
 * The text of c's name for messages: "*.example.com", "example.com" or
 * "192.0.2.1", into buf (sanitized already, as the identifier is); returns buf.
 */
const char *ck_chall_name(const struct ck_chall *c, char *buf, size_t len);

#endif
