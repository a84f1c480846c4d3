/*
 * acme/client.h: the ACME protocol flow (RFC 8555): directory, nonces, account,
 * order, authorizations, http-01, finalize, download.
 *
 * This is the network side.  It holds no private key: requests are signed
 * through the account signer, and the CSR arrives already signed.
 */
#ifndef CERTKEEPER_ACME_CLIENT_H
#define CERTKEEPER_ACME_CLIENT_H

#include <stddef.h>
#include <jansson.h>
#include "certkeeper/net/http.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/keys/signer.h"

#define CK_ACME_MAX_BADNONCE 20	/* retries of one request; Pebble's test mode rejects half */
#define CK_ACME_MAX_WAIT 300	/* seconds spent polling one order at most */

struct ck_acme;

/* Fetches the directory.  http and account must outlive the client. */
int ck_acme_new(struct ck_http *http, const char *directory_url, struct ck_signer *account,
    struct ck_acme **out);
void ck_acme_free(struct ck_acme *a);

/*
 * Makes sure the account exists.  With known_url set, it is used as the kid
 * without contacting the CA.  Otherwise: if only_existing, asks with
 * onlyReturnExisting; else registers (or finds) the account, agreeing to
 * the terms of service (logged).  *url receives the account URL (malloc'd).
 */
int ck_acme_account(struct ck_acme *a, const char *contact, const char *known_url,
    int only_existing, char **url);

/* Fetches the account object (POST-as-GET of the account URL); new reference. */
int ck_acme_account_fetch(struct ck_acme *a, json_t **account);

/*
 * Orders a certificate for domains, answers http-01 challenges through
 * responder, finalizes with csr (DER) and downloads the chain PEM (*pem,
 * malloc'd).  The chain is not checked here.
 */
int ck_acme_issue(struct ck_acme *a, char *const *domains, size_t ndomains,
    const unsigned char *csr, size_t csrlen, struct ck_http01 *responder, char **pem,
    size_t *pemlen);

/*
 * Formats an RFC 7807 problem document (sanitized type, detail, and
 * subproblems) into buf.  Returns 0, or -1 if body is not a problem.
 */
int ck_acme_problem_format(const char *body, size_t len, char *buf, size_t buflen);

#endif
