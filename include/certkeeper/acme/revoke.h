/*
 * acme/revoke.h: certificate revocation (RFC 8555 7.6).
 */
#ifndef CERTKEEPER_ACME_REVOKE_H
#define CERTKEEPER_ACME_REVOKE_H

#include <stddef.h>
#include "certkeeper/acme/client.h"

/* RFC 5280 5.3.1 reason codes RFC 8555 7.6 lets a client give. */
enum ck_revoke_reason {
	CK_REVOKE_UNSPECIFIED = 0,
	CK_REVOKE_KEY_COMPROMISE = 1,
	CK_REVOKE_AFFILIATION_CHANGED = 3,
	CK_REVOKE_SUPERSEDED = 4,
	CK_REVOKE_CESSATION = 5
};

/*
 * Parses a reason: its number (0, 1, 3, 4, 5) or its RFC 5280 name
 * (unspecified, keyCompromise, affiliationChanged, superseded,
 * cessationOfOperation).  Returns 0, or -1 (not reported) for anything else.
 */
int ck_revoke_reason_parse(const char *s, int *reason);
/* The RFC 5280 name of a reason code ("keyCompromise"), or "unknown". */
const char *ck_revoke_reason_name(int reason);

/*
 * Asks the CA to revoke the certificate der (DER) for reason, signed by the
 * client's key: the account's (kid) or, with use_jwk, the certificate's
 * own key given to the client as its signer (RFC 8555 7.6: jwk form).
 * Returns 0 when revoked, 1 when the CA says it is revoked already
 * (alreadyRevoked; not an error), -1 otherwise (reported).
 */
int ck_acme_revoke(struct ck_acme *a, const unsigned char *der, size_t derlen, int reason,
    int use_jwk);

#endif
