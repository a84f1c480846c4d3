/*
 * acme/client.c: the ACME protocol flow (RFC 8555), read top to bottom:
 *
 *   directory -> nonce -> account -> order -> authorizations/http-01
 *   -> finalize (CSR) -> poll -> download
 *
 * Everything the server says is parsed fail-closed: an unknown status is
 * treated as invalid, every URL it gives must be https, its text is
 * sanitized before it is printed.  Requests are signed by the account
 * signer; no private key is ever held here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certkeeper/acme/client.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/log.h"

#define PROBLEM_PREFIX "urn:ietf:params:acme:error:"
#define MAX_AUTHZ 100

struct ck_acme {
	struct ck_http *http;
	struct ck_signer *account;
	char *directory_url;
	json_t *dir;		/* the directory object */
	const char *new_nonce;	/* URLs inside dir */
	const char *new_account;
	const char *new_order;
	char *nonce;		/* the next Replay-Nonce to use, if any */
	char *kid;		/* account URL once known */
	char *thumbprint;	/* of the account key, for key authorizations */
};

/* --- helpers ----------------------------------------------------------- */

/* A server-given URL we are willing to follow: https only. */
static int
url_ok(const char *url, const char *what)
{
	if (url == NULL || strncmp(url, "https://", 8) != 0 || strlen(url) > 2048) {
		char safe[128];

		ck_sanitize(safe, sizeof(safe), url ? url : "(none)", url ? strlen(url) : 6);
		ck_error("server gave %s URL \"%s\": not an https URL", what, safe);
		return 0;
	}
	return 1;
}

/* Remembers the response's Replay-Nonce, if it has one. */
static void
take_nonce(struct ck_acme *a, struct ck_http_resp *r)
{
	if (r->nonce == NULL || r->nonce[0] == '\0' || strlen(r->nonce) > 256)
		return;
	free(a->nonce);
	a->nonce = r->nonce;
	r->nonce = NULL;
}

/* Parses a response body as a JSON object (new reference) or reports what. */
static json_t *
body_object(const struct ck_http_resp *r, const char *what)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		ck_error("%s: the server's answer is not a JSON object", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The short name of a problem type ("badNonce"), or the whole type. */
static const char *
problem_short(const char *type)
{
	if (strncmp(type, PROBLEM_PREFIX, strlen(PROBLEM_PREFIX)) == 0)
		return type + strlen(PROBLEM_PREFIX);
	return type;
}

/* Appends sanitized "TYPE: DETAIL" of problem object p to buf. */
static void
problem_append(const json_t *p, char *buf, size_t buflen)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	char stype[128], sdetail[512];
	size_t used = strlen(buf);

	ck_sanitize(stype, sizeof(stype), type ? problem_short(type) : "(no type)", SIZE_MAX);
	ck_sanitize(sdetail, sizeof(sdetail), detail ? detail : "", SIZE_MAX);
	if (used < buflen)
		snprintf(buf + used, buflen - used, "%s%s%s", stype, detail ? ": " : "", sdetail);
}

int
ck_acme_problem_format(const char *body, size_t len, char *buf, size_t buflen)
{
	json_t *p = NULL, *subs, *sub;
	json_error_t jerr;
	size_t i, used;
	int rc = -1;

	if (buflen == 0)
		return -1;
	buf[0] = '\0';
	p = json_loadb(body, len, 0, &jerr);
	if (p == NULL || !json_is_object(p) || !json_is_string(json_object_get(p, "type")))
		goto out;
	problem_append(p, buf, buflen);
	subs = json_object_get(p, "subproblems");
	json_array_foreach(subs, i, sub) {
		const char *ident = json_string_value(json_object_get(json_object_get(sub,
		    "identifier"), "value"));
		char sident[256];

		if (!json_is_object(sub))
			continue;
		ck_sanitize(sident, sizeof(sident), ident ? ident : "?", SIZE_MAX);
		used = strlen(buf);
		if (used < buflen)
			snprintf(buf + used, buflen - used, "; %s: ", sident);
		problem_append(sub, buf, buflen);
	}
	rc = 0;
out:
	json_decref(p);
	return rc;
}

/* Type of the problem document in r, or NULL (points into *holder). */
static const char *
problem_type(const struct ck_http_resp *r, json_t **holder)
{
	json_error_t jerr;

	*holder = json_loadb(r->body, r->len, 0, &jerr);
	return json_string_value(json_object_get(*holder, "type"));
}

/* Reports a non-success response to what, with its problem document. */
static void
report_failure(const struct ck_http_resp *r, const char *what)
{
	char text[1024];

	if (ck_acme_problem_format(r->body, r->len, text, sizeof(text)) == 0)
		ck_error("%s: the CA refused (HTTP %ld): %s", what, r->status, text);
	else
		ck_error("%s: unexpected HTTP status %ld from the CA", what, r->status);
}

/* Gets a fresh nonce with HEAD newNonce unless one is at hand. */
static int
ensure_nonce(struct ck_acme *a)
{
	struct ck_http_resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (a->nonce != NULL)
		return 0;
	if (ck_http_request(a->http, "HEAD", a->new_nonce, NULL, 0, &r) != 0)
		goto out;
	if (r.status != 200 && r.status != 204) {
		report_failure(&r, "newNonce");
		goto out;
	}
	take_nonce(a, &r);
	if (a->nonce == NULL) {
		ck_error("newNonce: the CA sent no Replay-Nonce");
		goto out;
	}
	rc = 0;
out:
	ck_http_resp_free(&r);
	return rc;
}

/*
 * Signs payload (NULL: POST-as-GET) for url and POSTs it, retrying a bounded
 * number of times on badNonce.  Returns 0 for a 2xx answer; 1 when the answer
 * is the problem type `tolerate` (not reported); -1 otherwise (reported).
 * *r holds the last response in every case.
 */
static int
post(struct ck_acme *a, const char *url, const json_t *payload, int use_jwk,
    struct ck_http_resp *r, const char *what, const char *tolerate)
{
	json_t *prob = NULL;
	const char *type;
	char *jws = NULL;
	int tries, rc = -1;

	for (tries = 0; ; tries++) {
		ck_http_resp_free(r);
		json_decref(prob);
		prob = NULL;
		free(jws);
		jws = NULL;
		if (ensure_nonce(a) != 0)
			goto out;
		if (ck_jws_sign(a->account, url, a->nonce, use_jwk ? NULL : a->kid, payload,
		    &jws) != 0)
			goto out;
		/* A nonce is good for one request, whatever its outcome. */
		free(a->nonce);
		a->nonce = NULL;
		if (ck_http_request(a->http, "POST", url, jws, strlen(jws), r) != 0)
			goto out;
		take_nonce(a, r);
		if (r->status >= 200 && r->status < 300) {
			rc = 0;
			goto out;
		}
		type = problem_type(r, &prob);
		if (type != NULL && tolerate != NULL && strcmp(type, tolerate) == 0) {
			rc = 1;
			goto out;
		}
		if (type != NULL && strcmp(type, PROBLEM_PREFIX "badNonce") == 0 &&
		    tries < CK_ACME_MAX_BADNONCE) {
			ck_debug("%s: badNonce, retrying with the fresh nonce", what);
			continue;
		}
		report_failure(r, what);
		goto out;
	}
out:
	json_decref(prob);
	free(jws);
	return rc;
}

/* POSTs and parses the 2xx answer as an object (new reference in *obj). */
static int
post_object(struct ck_acme *a, const char *url, const json_t *payload, const char *what,
    json_t **obj, char **location)
{
	struct ck_http_resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (post(a, url, payload, 0, &r, what, NULL) != 0)
		goto out;
	if ((*obj = body_object(&r, what)) == NULL)
		goto out;
	if (location != NULL) {
		if (!url_ok(r.location, what)) {
			json_decref(*obj);
			*obj = NULL;
			goto out;
		}
		*location = r.location;
		r.location = NULL;
	}
	rc = 0;
out:
	ck_http_resp_free(&r);
	return rc;
}

/*
 * Waits before the next poll: the server's Retry-After when it gives one,
 * else a delay growing from 250 ms to 5 s (a CA usually finishes within a
 * second, so a fixed one-second step would double a renewal's time).
 * Never past deadline.
 */
static void
poll_wait(const struct ck_http_resp *r, int attempt, time_t deadline)
{
	static const long backoff_ms[] = { 250, 250, 500, 1000, 2000, 5000 };
	long ms, secs = ck_http_retry_after(r->retry_after, time(NULL));
	long left_ms = ((long)deadline - (long)time(NULL)) * 1000;
	struct timespec ts;

	if (secs >= 0)
		ms = secs * 1000 > 100 ? secs * 1000 : 100;
	else
		ms = backoff_ms[attempt < 6 ? attempt : 5];
	if (ms > left_ms)
		ms = left_ms > 0 ? left_ms : 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* The "status" string of an object, or "" when absent. */
static const char *
status_of(const json_t *obj)
{
	const char *s = json_string_value(json_object_get(obj, "status"));

	return s != NULL ? s : "";
}

/*
 * POST-as-GETs url until its status leaves the `waiting` states (given as
 * two names, either may be NULL), at most until deadline.  *obj is the last
 * object fetched.
 */
static int
poll_until(struct ck_acme *a, const char *url, const char *wait1, const char *wait2,
    time_t deadline, const char *what, json_t **obj)
{
	struct ck_http_resp r;
	const char *st;
	int attempt, rc = -1;

	memset(&r, 0, sizeof(r));
	for (attempt = 0; ; attempt++) {
		json_decref(*obj);
		*obj = NULL;
		if (post(a, url, NULL, 0, &r, what, NULL) != 0)
			goto out;
		if ((*obj = body_object(&r, what)) == NULL)
			goto out;
		st = status_of(*obj);
		if (!((wait1 && strcmp(st, wait1) == 0) || (wait2 && strcmp(st, wait2) == 0)))
			break;
		if (time(NULL) >= deadline) {
			ck_error("%s: still %s after %d seconds; giving up", what, st,
			    CK_ACME_MAX_WAIT);
			goto out;
		}
		poll_wait(&r, attempt, deadline);
	}
	rc = 0;
out:
	ck_http_resp_free(&r);
	return rc;
}

/* --- directory and account --------------------------------------------- */

int
ck_acme_new(struct ck_http *http, const char *directory_url, struct ck_signer *account,
    struct ck_acme **out)
{
	struct ck_acme *a = NULL;
	struct ck_http_resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->directory_url = strdup(directory_url)) == NULL) {
		ck_error("out of memory creating the ACME client");
		goto out;
	}
	a->http = http;
	a->account = account;
	if (ck_jwk_thumbprint(account->pub, &a->thumbprint) != 0)
		goto out;
	if (ck_http_request(http, "GET", directory_url, NULL, 0, &r) != 0)
		goto out;
	if (r.status != 200) {
		report_failure(&r, "ACME directory");
		goto out;
	}
	if ((a->dir = body_object(&r, "ACME directory")) == NULL)
		goto out;
	take_nonce(a, &r);
	a->new_nonce = json_string_value(json_object_get(a->dir, "newNonce"));
	a->new_account = json_string_value(json_object_get(a->dir, "newAccount"));
	a->new_order = json_string_value(json_object_get(a->dir, "newOrder"));
	if (!url_ok(a->new_nonce, "newNonce") || !url_ok(a->new_account, "newAccount") ||
	    !url_ok(a->new_order, "newOrder"))
		goto out;
	*out = a;
	a = NULL;
	rc = 0;
out:
	ck_http_resp_free(&r);
	ck_acme_free(a);
	return rc;
}

void
ck_acme_free(struct ck_acme *a)
{
	if (a == NULL)
		return;
	json_decref(a->dir);
	free(a->directory_url);
	free(a->nonce);
	free(a->kid);
	free(a->thumbprint);
	free(a);
}

int
ck_acme_account(struct ck_acme *a, const char *contact, const char *known_url,
    int only_existing, char **url)
{
	struct ck_http_resp r;
	json_t *payload = NULL, *acct = NULL;
	const char *tos;
	int created, rc = -1, prc;

	memset(&r, 0, sizeof(r));
	if (known_url != NULL) {
		/* Stored from an earlier run: no newAccount round trip needed. */
		if ((a->kid = strdup(known_url)) == NULL || (*url = strdup(known_url)) == NULL) {
			ck_error("out of memory");
			goto out;
		}
		return 0;
	}
	if (only_existing)
		payload = json_pack("{s:b}", "onlyReturnExisting", 1);
	else if (contact != NULL)
		payload = json_pack("{s:b, s:[s]}", "termsOfServiceAgreed", 1, "contact", contact);
	else
		payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (payload == NULL) {
		ck_error("json_pack of the newAccount request failed");
		goto out;
	}
	prc = post(a, a->new_account, payload, 1, &r, "newAccount",
	    only_existing ? PROBLEM_PREFIX "accountDoesNotExist" : NULL);
	if (prc == 1) {
		ck_error("no account with this key exists at %s", a->directory_url);
		goto out;
	}
	if (prc != 0)
		goto out;
	created = r.status == 201;
	if ((acct = body_object(&r, "newAccount")) == NULL || !url_ok(r.location, "account"))
		goto out;
	if (strcmp(status_of(acct), "valid") != 0) {
		char st[32];

		ck_sanitize(st, sizeof(st), status_of(acct), SIZE_MAX);
		ck_error("account %s is %s, not valid", r.location, st);
		goto out;
	}
	if (created) {
		tos = json_string_value(json_object_get(json_object_get(a->dir, "meta"),
		    "termsOfService"));
		if (tos != NULL) {
			char safe[512];

			ck_sanitize(safe, sizeof(safe), tos, SIZE_MAX);
			ck_info("registered account %s, agreeing to the terms of service at %s",
			    r.location, safe);
		} else {
			ck_info("registered account %s", r.location);
		}
	}
	if ((a->kid = strdup(r.location)) == NULL || (*url = strdup(r.location)) == NULL) {
		ck_error("out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(acct);
	json_decref(payload);
	ck_http_resp_free(&r);
	return rc;
}

int
ck_acme_account_fetch(struct ck_acme *a, json_t **account)
{
	return post_object(a, a->kid, NULL, "account", account, NULL);
}

/* --- order, authorizations, challenges --------------------------------- */

/* Token characters are base64url (RFC 8555 8.1); anything else is refused. */
static int
token_ok(const char *token)
{
	size_t n = token ? strlen(token) : 0;

	if (n < 16 || n > 256 || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != n) {
		ck_error("server gave an http-01 token that is not base64url");
		return 0;
	}
	return 1;
}

struct pending {
	const char *authz_url;
	const char *token;
	const char *chall_url;
	const char *domain;
};

/*
 * Fetches every authorization of order; for the pending ones publishes the
 * http-01 key authorization and tells the CA to validate, then polls each
 * until it is valid.  Already valid ones are skipped (the CA reuses them).
 */
static int
authorize(struct ck_acme *a, const json_t *order, struct ck_http01 *responder, time_t deadline)
{
	json_t *authzs[MAX_AUTHZ] = { NULL }, *result = NULL, *empty = NULL, *ch, *found;
	struct pending pend[MAX_AUTHZ];
	const json_t *list = json_object_get(order, "authorizations");
	size_t i, k, n = json_array_size(list), npend = 0;
	char *keyauth = NULL, what[300];
	int rc = -1;

	if (!json_is_array(list) || n == 0 || n > MAX_AUTHZ) {
		ck_error("order has no usable authorizations list");
		return -1;
	}
	if ((empty = json_object()) == NULL) {
		ck_error("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *url = json_string_value(json_array_get(list, i));
		const char *st, *dom;

		if (!url_ok(url, "authorization"))
			goto out;
		if (post_object(a, url, NULL, "authorization", &authzs[i], NULL) != 0)
			goto out;
		st = status_of(authzs[i]);
		dom = json_string_value(json_object_get(json_object_get(authzs[i], "identifier"),
		    "value"));
		if (strcmp(st, "valid") == 0)
			continue;
		if (strcmp(st, "pending") != 0) {
			char sst[32];

			ck_sanitize(sst, sizeof(sst), st, SIZE_MAX);
			ck_error("authorization for %s is %s", dom ? dom : url, sst[0] ? sst : "without status");
			goto out;
		}
		found = NULL;
		json_array_foreach(json_object_get(authzs[i], "challenges"), k, ch) {
			const char *type = json_string_value(json_object_get(ch, "type"));

			if (type != NULL && strcmp(type, "http-01") == 0) {
				found = ch;
				break;
			}
		}
		if (found == NULL) {
			ck_error("the CA offers no http-01 challenge for %s", dom ? dom : url);
			goto out;
		}
		pend[npend].authz_url = url;
		pend[npend].domain = dom ? dom : url;
		pend[npend].token = json_string_value(json_object_get(found, "token"));
		pend[npend].chall_url = json_string_value(json_object_get(found, "url"));
		if (!token_ok(pend[npend].token) || !url_ok(pend[npend].chall_url, "challenge"))
			goto out;
		npend++;
	}
	if (npend > 0 && responder == NULL) {
		ck_error("%zu authorizations need http-01 but no responder is running", npend);
		goto out;
	}
	/* Publish every answer first, then ask for validation: the CA may check at once. */
	for (i = 0; i < npend; i++) {
		size_t len = strlen(pend[i].token) + 1 + strlen(a->thumbprint) + 1;

		if ((keyauth = malloc(len)) == NULL) {
			ck_error("out of memory");
			goto out;
		}
		snprintf(keyauth, len, "%s.%s", pend[i].token, a->thumbprint);
		if (ck_http01_publish(responder, pend[i].token, keyauth) != 0)
			goto out;
		free(keyauth);
		keyauth = NULL;
	}
	for (i = 0; i < npend; i++) {
		snprintf(what, sizeof(what), "http-01 challenge for %s", pend[i].domain);
		if (post_object(a, pend[i].chall_url, empty, what, &result, NULL) != 0)
			goto out;
		json_decref(result);
		result = NULL;
	}
	for (i = 0; i < npend; i++) {
		snprintf(what, sizeof(what), "authorization for %s", pend[i].domain);
		if (poll_until(a, pend[i].authz_url, "pending", NULL, deadline, what, &result) != 0)
			goto out;
		if (strcmp(status_of(result), "valid") != 0) {
			char why[1024] = "";

			json_array_foreach(json_object_get(result, "challenges"), k, ch)
				if (json_is_object(json_object_get(ch, "error")))
					problem_append(json_object_get(ch, "error"), why, sizeof(why));
			ck_error("%s failed: %s", what, why[0] ? why : "no reason given");
			goto out;
		}
		json_decref(result);
		result = NULL;
	}
	rc = 0;
out:
	for (i = 0; responder != NULL && i < npend; i++)
		ck_http01_withdraw(responder, pend[i].token);
	for (i = 0; i < n && i < MAX_AUTHZ; i++)
		json_decref(authzs[i]);
	json_decref(result);
	json_decref(empty);
	free(keyauth);
	return rc;
}

/* Checks an order status; anything unexpected is an error (fail closed). */
static int
order_status_is(const json_t *order, const char *want)
{
	const char *st = status_of(order);
	char safe[64], why[1024] = "";

	if (strcmp(st, want) == 0)
		return 1;
	ck_sanitize(safe, sizeof(safe), st, SIZE_MAX);
	if (json_is_object(json_object_get(order, "error")))
		problem_append(json_object_get(order, "error"), why, sizeof(why));
	ck_error("order is %s, expected %s%s%s", safe[0] ? safe : "without status", want,
	    why[0] ? ": " : "", why);
	return 0;
}

int
ck_acme_issue(struct ck_acme *a, char *const *domains, size_t ndomains,
    const unsigned char *csr, size_t csrlen, struct ck_http01 *responder, char **pem,
    size_t *pemlen)
{
	json_t *req = NULL, *ids = NULL, *order = NULL, *fin = NULL;
	struct ck_http_resp r;
	char *order_url = NULL, *csr64 = NULL;
	const char *finalize, *cert_url;
	time_t deadline = time(NULL) + CK_ACME_MAX_WAIT;
	size_t i;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((ids = json_array()) == NULL) {
		ck_error("out of memory");
		goto out;
	}
	for (i = 0; i < ndomains; i++)
		if (json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns", "value",
		    domains[i])) != 0) {
			ck_error("json_pack of an identifier failed");
			goto out;
		}
	if ((req = json_pack("{s:O}", "identifiers", ids)) == NULL) {
		ck_error("json_pack of the order failed");
		goto out;
	}
	if (post_object(a, a->new_order, req, "newOrder", &order, &order_url) != 0)
		goto out;
	ck_debug("order %s is %s", order_url, status_of(order));
	if (strcmp(status_of(order), "pending") == 0) {
		if (authorize(a, order, responder, deadline) != 0)
			goto out;
		if (poll_until(a, order_url, "pending", NULL, deadline, "order", &order) != 0)
			goto out;
	}
	if (!order_status_is(order, "ready"))
		goto out;

	finalize = json_string_value(json_object_get(order, "finalize"));
	if (!url_ok(finalize, "finalize"))
		goto out;
	if ((csr64 = ck_b64url_encode(csr, csrlen)) == NULL) {
		ck_error("out of memory");
		goto out;
	}
	json_decref(req);
	if ((req = json_pack("{s:s}", "csr", csr64)) == NULL) {
		ck_error("json_pack of the finalize request failed");
		goto out;
	}
	if (post_object(a, finalize, req, "finalize", &fin, NULL) != 0)
		goto out;
	json_decref(order);
	order = fin;
	fin = NULL;
	if (strcmp(status_of(order), "processing") == 0 &&
	    poll_until(a, order_url, "processing", NULL, deadline, "order", &order) != 0)
		goto out;
	if (!order_status_is(order, "valid"))
		goto out;

	cert_url = json_string_value(json_object_get(order, "certificate"));
	if (!url_ok(cert_url, "certificate"))
		goto out;
	if (post(a, cert_url, NULL, 0, &r, "certificate download", NULL) != 0)
		goto out;
	*pem = r.body;
	*pemlen = r.len;
	r.body = NULL;
	rc = 0;
out:
	ck_http_resp_free(&r);
	json_decref(fin);
	json_decref(order);
	json_decref(req);
	json_decref(ids);
	free(csr64);
	free(order_url);
	return rc;
}
