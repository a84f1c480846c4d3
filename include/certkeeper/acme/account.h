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

#endif
