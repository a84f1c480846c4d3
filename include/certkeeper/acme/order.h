/*
 * acme/order.h: getting a certificate (RFC 8555 7.4): order, authorize
 * through a challenge solver, finalize with a CSR, download the chain.
 */
#ifndef CERTKEEPER_ACME_ORDER_H
#define CERTKEEPER_ACME_ORDER_H

#include <stddef.h>
#include "certkeeper/acme/client.h"
#include "certkeeper/challenge/solver.h"

#define CK_ACME_DEFAULT_ORDER_TIMEOUT 90	/* seconds */
#define CK_ACME_MAX_ALT_CHAINS 4		/* alternate chains fetched at most per download */

/* What to order.  Optional fields are NULL (or 0) when unused. */
struct ck_order_req {
	/* DNS names ("dns") or IP addresses ("ip", RFC 8738), at most CK_MAX_IDENTIFIERS */
	char *const *identifiers;
	size_t nidentifiers;
	const unsigned char *csr;	/* DER, already signed by the certificate key */
	size_t csrlen;
	struct ck_solver *solver;	/* answers pending authorizations; NULL: none may be
					 * (challenge = none) */
	const char *replaces;		/* ARI identifier of the certificate replaced (RFC 9773) */
	const char *profile;		/* ACME profile name; must be in the directory's meta.profiles */
	/* CN of the topmost issuer of the chain wanted among the alternates (acme/chain.c) */
	const char *preferred_chain;
	long timeout;			/* seconds the order may wait for the CA; 0: the default */
	/*
	 * Called once with the order URL before the finalize request: the
	 * agent records what resuming the order needs.  When a challenge was
	 * answered it is called while the CA validates, before the first poll
	 * (its disk time spent in that wait), else just before finalize.
	 * Non-zero stops the order (the callback reports why).
	 */
	int (*before_finalize)(void *ctx, const char *order_url);
	/*
	 * With preferred_chain: called on an alternate chain (PEM) before it is
	 * chosen; non-zero (reported) rejects it.  NULL: every chain is taken.
	 */
	int (*accept_chain)(void *ctx, const char *pem, size_t len);
	void *ctx;
};

/*
 * Places the order, answers its pending authorizations through the solver
 * (cleaning up whatever the outcome), finalizes and downloads the chain
 * PEM (*pem, malloc'd).  The chain is not checked here.  An order with
 * replaces that the CA refuses as alreadyReplaced is placed once more
 * without it.
 */
int ck_acme_order(struct ck_acme *a, const struct ck_order_req *req, char **pem,
    size_t *pemlen);

/*
 * Resumes the order at order_url, left by a run that stopped after
 * finalizing it (or before): from what the CA reports (pending, ready,
 * processing, valid) to the downloaded chain, as ck_acme_order would.
 * Returns 0 with *pem, 1 when the CA has no such order any more or it is
 * invalid (a new order is needed), -1 on failure (reported).
 */
int ck_acme_order_resume(struct ck_acme *a, const char *order_url,
    const struct ck_order_req *req, char **pem, size_t *pemlen);

#endif
