/*
 * acme/ari.h: ACME Renewal Information (RFC 9773): the renewal window a CA
 * suggests for a certificate, fetched with an unauthenticated GET.  When
 * to fetch, where to keep the window and when in it to renew are the
 * agent's business; the identifier comes from cert/ari.h.
 */
#ifndef CERTKEEPER_ACME_ARI_H
#define CERTKEEPER_ACME_ARI_H

#include <time.h>
#include "certkeeper/acme/client.h"

/* Bounds on the wait before the next fetch (RFC 9773 4.3.2), and the wait without one (4.3.3). */
#define CK_ARI_RETRY_MIN 60
#define CK_ARI_RETRY_MAX 86400
#define CK_ARI_RETRY_DEFAULT 21600

struct ck_ari_window {
	time_t start, end;	/* the suggested window; end > start */
	long retry_after;	/* seconds, clamped to 60..86400; 21600 when absent */
	char explanation[512];	/* sanitized explanationURL or "" */
};

/* Whether the CA's directory has a usable renewalInfo URL (https, printable); quiet. */
int ck_acme_has_ari(const struct ck_acme *a);

/*
 * GETs the renewal information of the certificate cert_id names (its ARI
 * identifier) and parses it fail-closed into *w.  On any failure (no
 * renewalInfo, a malformed identifier, transport, a non-200 status, a
 * malformed answer; all reported) returns -1 with *w cleared but for
 * retry_after = CK_ARI_RETRY_DEFAULT, so the caller can fall back to its
 * lifetime rule and ask again later.
 */
int ck_acme_renewal_info(struct ck_acme *a, const char *cert_id, struct ck_ari_window *w);

#endif
