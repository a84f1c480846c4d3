/*
 * challenge/solver.h: how a challenge is answered.
 *
 * The ACME order flow sees only this interface, as it sees keys only
 * through a signer: for each pending authorization it asks the solver to
 * present the key authorization for a token, tells the CA to validate,
 * and asks the solver to clean up afterwards, whatever the outcome.  A
 * solver answers one challenge type (http-01 now; tls-alpn-01, dns-01 and
 * webroot later) and holds whatever it needs (a listening responder, a
 * hook command) only while something is presented.
 */
#ifndef CERTKEEPER_CHALLENGE_SOLVER_H
#define CERTKEEPER_CHALLENGE_SOLVER_H

struct ck_solver;

struct ck_solver_ops {
	/*
	 * Makes key_authorization answerable for token under identifier (a DNS
	 * name); 0 or -1 (reported).
	 */
	int (*present)(struct ck_solver *s, const char *identifier, const char *token,
	    const char *key_authorization);
	/* Withdraws what present published; never fails (problems are logged). */
	void (*cleanup)(struct ck_solver *s, const char *identifier, const char *token,
	    const char *key_authorization);
	/* Releases everything (after cleanup of what was presented). */
	void (*destroy)(struct ck_solver *s);
};

struct ck_solver {
	const struct ck_solver_ops *ops;
	const char *type;	/* the ACME challenge type it answers, e.g. "http-01" */
	void *priv;
};

int ck_solver_present(struct ck_solver *s, const char *identifier, const char *token,
    const char *key_authorization);
void ck_solver_cleanup(struct ck_solver *s, const char *identifier, const char *token,
    const char *key_authorization);
/* NULL is fine. */
void ck_solver_free(struct ck_solver *s);

#endif
