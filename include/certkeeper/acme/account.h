/*
 * acme/account.h: the ACME account (RFC 8555 7.3).
 */
#ifndef CERTKEEPER_ACME_ACCOUNT_H
#define CERTKEEPER_ACME_ACCOUNT_H

#include <jansson.h>
#include "certkeeper/acme/client.h"

/*
 * Makes sure the account exists.  With known_url set (checked like server
 * input), it is used as the kid without contacting the CA.  Otherwise: if
 * only_existing, asks with onlyReturnExisting; else registers (or finds)
 * the account, agreeing to the terms of service (logged).  *url receives
 * the account URL (malloc'd).
 */
int ck_acme_account(struct ck_acme *a, const char *contact, const char *known_url,
    int only_existing, char **url);

/* Fetches the account object (POST-as-GET of the account URL); new reference. */
int ck_acme_account_fetch(struct ck_acme *a, json_t **account);

/*
 * Binds newAccount to an external account (RFC 8555 7.3.4): kid and the
 * HMAC key (HS256) the CA gave, borrowed: they must outlive a.  Without
 * it, a CA that requires binding is reported as a configuration error
 * naming the keys to set.
 */
void ck_acme_set_eab(struct ck_acme *a, const char *kid, const unsigned char *key,
    size_t keylen);

/* Deactivates the account (RFC 8555 7.3.6); the CA's answer must say "deactivated". */
int ck_acme_account_deactivate(struct ck_acme *a);

/*
 * Rolls the account key over to new_key (RFC 8555 7.3.5): the keyChange
 * request, an inner JWS signed by new_key inside one signed by the
 * current key.  On success the client signs with new_key (borrowed: it
 * must outlive a) from then on.
 */
int ck_acme_key_change(struct ck_acme *a, struct ck_signer *new_key);

/*
 * Asks the CA whether the account accepts key: a POST-as-GET of the
 * account URL signed by it.  Returns 0 (yes; the client keeps signing
 * with key), 1 when the CA refuses it (unauthorized, malformed,
 * accountDoesNotExist: not reported; the client's key is unchanged), -1
 * on any other failure (reported).
 */
int ck_acme_account_probe(struct ck_acme *a, struct ck_signer *key);

#endif
