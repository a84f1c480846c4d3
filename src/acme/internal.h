/*
 * acme/internal.h: what the ACME client's files share (client.c: directory,
 * nonces, signed requests, problems and polling; account.c; order.c).
 * Not for use outside src/acme/.
 */
#ifndef CERTKEEPER_ACME_INTERNAL_H
#define CERTKEEPER_ACME_INTERNAL_H

#include <stdint.h>
#include <jansson.h>

#include "certkeeper/acme/client.h"
#include "certkeeper/net/http.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"

struct ck_acme {
	struct ck_http *http;
	struct ck_clock *clock;
	struct ck_signer *account;
	char *directory_url;
	json_t *dir;		/* the directory object */
	const char *new_nonce;	/* URLs inside dir */
	const char *new_account;
	const char *new_order;
	char *nonce;		/* the next Replay-Nonce to use, if any */
	char *kid;		/* account URL once known */
	char *thumbprint;	/* of the account key, for key authorizations */
	/* External account binding (eab.c), borrowed from the caller; NULL: none. */
	const char *eab_kid;
	const unsigned char *eab_key;
	size_t eab_key_len;
	int64_t pace_max_ms;	/* ck_acme_set_pacing */
	int paced;		/* the pause was taken since pacing was last set */
};

/*
 * Every request to the CA goes through here: ck_http_request, then the
 * pause a slow answer calls for (ck_acme_set_pacing).  0, or -1 (reported;
 * a stop during the pause is CK_ERR_INTERRUPTED, with *r the answer).
 */
int acme_request(struct ck_acme *a, const char *method, const char *url, const char *body,
    size_t bodylen, struct ck_http_resp *r);

/*
 * Signs requests with key from now on (the account key after a key
 * change, or a certificate key for a revocation in jwk form); key is
 * borrowed.  Returns 0, or -1 (reported) when its thumbprint fails.
 */
int acme_use_key(struct ck_acme *a, struct ck_signer *key);

/*
 * The externalAccountBinding member of a newAccount payload (RFC 8555
 * 7.3.4): a JWS over the account key's JWK, MACed with HS256 under the
 * EAB key, for url (newAccount).  New reference, or NULL (reported;
 * nothing of the key in the message).
 */
json_t *acme_eab_binding(const struct ck_acme *a, const char *url);

/*
 * When the order names a profile: whether the directory's meta.profiles
 * lists it; otherwise reports, naming those offered, and returns 0.
 */
int acme_profile_offered(const struct ck_acme *a, const char *profile);

struct ck_order_req;
/*
 * The chain to install from the download's answer def (the default
 * chain) and its alternates, as chain.c says; *pem (malloc'd) is taken
 * from def or an alternate's answer.  Returns 0.
 */
int acme_chain_choose(struct ck_acme *a, const struct ck_order_req *req,
    struct ck_http_resp *def, char **pem, size_t *pemlen);

/* A URL of the directory (keyChange, revokeCert), checked; NULL (reported) when absent. */
const char *acme_dir_url(const struct ck_acme *a, const char *name);

/*
 * A server-given URL we are willing to follow and print: https, printable
 * ASCII without spaces, at most 2048 bytes.  Reports and returns 0 if not.
 */
int acme_url_ok(const char *url, const char *what);
/* The same test, quiet: 1 or 0. */
int acme_url_valid(const char *url);

/*
 * Reports a non-success response to what, with its problem document, its
 * short type and the server's Retry-After, so the outcome can honour them.
 */
void acme_report_failure(struct ck_acme *a, const struct ck_http_resp *r, const char *what);

/* Parses a response body as a JSON object (new reference) or reports what. */
json_t *acme_body_object(const struct ck_http_resp *r, const char *what);
/*
 * Whether r's Content-Type is media (one, or a second one when media2 is not
 * NULL), parameters and case aside; if not, reports it under what (the
 * header's value sanitized) and returns 0.
 */
int acme_content_type_ok(const struct ck_http_resp *r, const char *what, const char *media,
    const char *media2);

/* The "status" string of an object, or "" when absent. */
const char *acme_status_of(const json_t *obj);
/* Whether status st is one of the words of list (space-separated). */
int acme_status_in(const char *st, const char *list);

/* Appends sanitized "TYPE: DETAIL" of problem object p to buf. */
void acme_problem_append(const json_t *p, char *buf, size_t buflen);

/* The short name of a problem type ("badNonce"), or the whole type. */
const char *acme_problem_short(const char *type);

/*
 * Signs payload (NULL: POST-as-GET) for url (with the jwk instead of the
 * kid when use_jwk) and POSTs it, retrying a bounded number of times on
 * badNonce.  Returns 0 for a 2xx answer; 1 when the answer is the problem
 * type `tolerate` (not reported); -1 otherwise (reported).  *r holds the
 * last response in every case.
 */
int acme_post(struct ck_acme *a, const char *url, const json_t *payload, int use_jwk,
    struct ck_http_resp *r, const char *what, const char *tolerate);

/*
 * POSTs and parses the 2xx answer as an object (new reference in *obj);
 * with location, also takes the response's Location (checked, malloc'd).
 */
int acme_post_object(struct ck_acme *a, const char *url, const json_t *payload,
    const char *what, json_t **obj, char **location);
/* The same, but 1 (not reported, *obj untouched) when the answer is the problem type `tolerate`. */
int acme_post_object_tolerate(struct ck_acme *a, const char *url, const json_t *payload,
    const char *what, const char *tolerate, json_t **obj, char **location);

/*
 * POST-as-GETs url until its status is none of `waiting` (one status, or
 * several separated by spaces), at most until deadline (clock
 * milliseconds); *obj is the last object fetched.  Waits between polls
 * honour Retry-After; a stop request ends the wait.
 */
int acme_poll_until(struct ck_acme *a, const char *url, const char *waiting,
    int64_t deadline, const char *what, json_t **obj);
/*
 * acme_poll_until for a url the CA was set to work on at `since` (clock
 * milliseconds): the first poll comes CK_ACME_FIRST_POLL_MS after that,
 * so that what the caller did meanwhile is not waited for twice.
 */
int acme_poll_since(struct ck_acme *a, const char *url, const char *waiting, int64_t since,
    int64_t deadline, const char *what, json_t **obj);

#endif
