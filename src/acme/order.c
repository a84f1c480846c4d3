/*
 * acme/order.c: getting a certificate (RFC 8555 7.4), read top to bottom:
 *
 *   newOrder -> authorizations -> solver presents, CA validates, poll
 *   -> finalize (CSR) -> poll -> download
 *
 * An order a crash interrupted is resumed from whatever state the CA
 * reports (ck_acme_order_resume) through the same steps.
 *
 * The flow knows challenges only through the solver it is given; it knows
 * keys only through the account signer (client.c signs) and a CSR that
 * arrives signed.  Every wait is bounded by the order's deadline and ends
 * at a stop request.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/acme/order.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/fault.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/util/limits.h"
#include "certkeeper/util/log.h"

/* The states of a challenge the CA is still at (RFC 8555 7.1.6). */
#define CHALL_WAITING "pending processing"

/* An authorization that needs its challenge answered. */
struct pending {
	const char *chall_url;
	const char *chall_type;
	char *keyauth;		/* token "." thumbprint, once presented */
	json_t *answer;		/* the CA's answer to the challenge POST */
	struct ck_chall chall;	/* what the solver gets; points into this entry */
	char value[256];	/* the identifier's value, checked (chall.identifier) */
	char ident[256];	/* the identifier, sanitized, for messages ("*." for a wildcard) */
};

/* The agent's record of the order (before_finalize), made once per completion. */
struct record {
	const struct ck_order_req *req;
	const char *order_url;
	int done;
};

/* Has the agent record the order, unless it already has: 0, or -1 (reported by it). */
static int
record_once(struct record *rec)
{
	if (rec->done)
		return 0;
	rec->done = 1;
	if (rec->req->before_finalize != NULL &&
	    rec->req->before_finalize(rec->req->ctx, rec->order_url) != 0)
		return -1;
	return 0;
}

/* RFC 8738: an address is an "ip" identifier, anything else a "dns" one. */
static const char *
ident_type(const char *name)
{
	return ck_ip_is_addr(name) ? "ip" : "dns";
}

/*
 * Checks the identifier of a pending authorization into p: type "dns" with
 * a value of letters, digits, '-' and '.', or "ip" with an address (kept in
 * canonical form), since solvers put it in file names, hook arguments and
 * certificates.  0, or -1 (reported).
 */
static int
check_ident(const json_t *authz, struct pending *p)
{
	const json_t *id = json_object_get(authz, "identifier");
	const char *type = json_string_value(json_object_get(id, "type"));
	const char *v = json_string_value(json_object_get(id, "value"));
	size_t n = v != NULL ? strlen(v) : 0;

	if (type != NULL && strcmp(type, "ip") == 0 && n > 0 &&
	    ck_ip_canonical(v, p->value, sizeof(p->value)) == 0) {
		p->chall.id_type = "ip";
	} else if (type != NULL && strcmp(type, "dns") == 0 && n > 0 && n < sizeof(p->value) &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n &&
	    v[0] != '.' && v[0] != '-') {
		memcpy(p->value, v, n + 1);
		p->chall.id_type = "dns";
	} else {
		ck_error_as(CK_ERR_CA, "authorization for %s: the CA gave an identifier that is "
		    "neither a DNS name nor an IP address", p->ident);
		return -1;
	}
	p->chall.identifier = p->value;
	p->chall.wildcard = json_is_true(json_object_get(authz, "wildcard"));
	return 0;
}

/* Token characters are base64url (RFC 8555 8.1); anything else is refused. */
static int
token_ok(const char *token)
{
	size_t n = token ? strlen(token) : 0;

	if (n < 16 || n > 256 || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != n) {
		ck_error_as(CK_ERR_CA, "server gave a challenge token that is not base64url");
		return 0;
	}
	return 1;
}

/*
 * The identifier of an authorization, sanitized into buf ("*." before it
 * for a wildcard, RFC 8555 7.1.4); the URL when there is none.
 */
static void
authz_ident(const json_t *authz, const char *url, char *buf, size_t len)
{
	const char *v = json_string_value(json_object_get(json_object_get(authz, "identifier"),
	    "value"));
	int wild = v != NULL && json_is_true(json_object_get(authz, "wildcard"));

	if (wild && len > 2) {
		memcpy(buf, "*.", 2);
		ck_sanitize(buf + 2, len - 2, v, SIZE_MAX);
	} else {
		ck_sanitize(buf, len, v != NULL ? v : url, SIZE_MAX);
	}
}

/*
 * Looks at one authorization: 0 when valid already (the CA reuses it), 1
 * when pending and filled into *p with the challenge of type, -1 (reported)
 * for any other state, no usable challenge, or no type (no solver) at all.
 */
static int
examine_authz(const json_t *authz, const char *url, const char *type, struct pending *p)
{
	const char *st = acme_status_of(authz);
	const json_t *ch, *found = NULL;
	size_t k;

	authz_ident(authz, url, p->ident, sizeof(p->ident));
	if (strcmp(st, "valid") == 0)
		return 0;
	if (strcmp(st, "pending") != 0) {
		char sst[32];

		ck_sanitize(sst, sizeof(sst), st, SIZE_MAX);
		ck_error_as(CK_ERR_VALIDATION, "authorization for %s is %s", p->ident,
		    sst[0] ? sst : "without status");
		return -1;
	}
	if (type == NULL) {
		ck_error_as(CK_ERR_CONFIG, "the CA asks for a challenge for %s but challenge = none",
		    p->ident);
		return -1;
	}
	if (check_ident(authz, p) != 0)
		return -1;
	json_array_foreach(json_object_get(authz, "challenges"), k, ch) {
		const char *t = json_string_value(json_object_get(ch, "type"));

		if (t != NULL && strcmp(t, type) == 0) {
			found = ch;
			break;
		}
	}
	if (found == NULL) {
		ck_error_as(CK_ERR_CA, "the CA offers no %s challenge for %s", type, p->ident);
		return -1;
	}
	p->chall_type = type;
	p->chall.token = json_string_value(json_object_get(found, "token"));
	p->chall_url = json_string_value(json_object_get(found, "url"));
	if (!token_ok(p->chall.token) || !acme_url_ok(p->chall_url, "challenge"))
		return -1;
	return 1;
}

/*
 * Replaces every occurrence of token in buf (NUL-terminated) by "TOKEN".  A
 * token of fewer than 16 characters (RFC 8555 8.3 asks for 128 bits of
 * entropy) is left: such a short string is no secret and may be any word.
 */
static void
redact_token(char *buf, const char *token)
{
	static const char mark[] = "TOKEN";
	size_t n = token != NULL ? strlen(token) : 0;
	char *p;

	if (n < 16)
		return;
	while ((p = strstr(buf, token)) != NULL) {
		memcpy(p, mark, sizeof(mark) - 1);
		memmove(p + sizeof(mark) - 1, p + n, strlen(p + n) + 1);
	}
}

/*
 * Reports the authorization of p failed, with the CA's reason from the
 * challenge that ended invalid (ch), its token cut out: a CA's error may
 * quote the URL it fetched, and no token goes to a log, an event or the
 * status.  A challenge in any other state is reported as it is.
 */
static void
chall_failure(const json_t *ch, const struct pending *p)
{
	const json_t *err = json_object_get(ch, "error");
	const char *type = json_string_value(json_object_get(err, "type"));
	char why[1024] = "", sst[32];

	if (strcmp(acme_status_of(ch), "invalid") != 0) {
		ck_sanitize(sst, sizeof(sst), acme_status_of(ch), SIZE_MAX);
		ck_error_as(CK_ERR_CA, "%s challenge for %s is %s, neither valid nor invalid",
		    p->chall_type, p->ident, sst[0] ? sst : "without status");
		return;
	}
	if (json_is_object(err))
		acme_problem_append(err, why, sizeof(why));
	redact_token(why, p->chall.token);
	ck_error_problem(CK_ERR_VALIDATION, type != NULL ? acme_problem_short(type) : NULL, -1,
	    "authorization for %s failed: %s", p->ident, why[0] ? why : "no reason given");
}

/*
 * Fetches every authorization of order; for the pending ones has the
 * solver present the key authorization and tells the CA to validate, then
 * polls each challenge until it is valid.  What was presented is cleaned
 * up on every path.
 *
 * While the CA validates, the order is recorded (rec): the disk time of
 * that record is spent in the wait before the first poll, not after it.
 *
 * The challenge is polled, not its authorization: its state is the
 * authorization's (RFC 8555 7.1.6: valid once it is, invalid once it is)
 * and its error is the CA's reason.  Besides, Pebble 2.4 holds an
 * authorization's lock while it looks up the account of a request for it,
 * and a newOrder read-locks every authorization under the store's lock: a
 * fleet's concurrent authorization polls deadlocked it (bench/fleet).
 */
static int
authorize(struct ck_acme *a, const json_t *order, struct ck_solver *solver, int64_t deadline,
    struct record *rec)
{
	json_t *authzs[CK_MAX_IDENTIFIERS] = { NULL }, *result = NULL, *empty = NULL;
	struct pending *pend = NULL, cur;
	const json_t *list = json_object_get(order, "authorizations");
	size_t i, n = json_array_size(list), npend = 0, npresented = 0, len;
	char what[300];
	int64_t posted;
	int rc = -1, st;

	if (!json_is_array(list) || n == 0 || n > CK_MAX_IDENTIFIERS) {
		ck_error_as(CK_ERR_CA, "order has no usable authorizations list");
		return -1;
	}
	if ((empty = json_object()) == NULL || (pend = calloc(n, sizeof(*pend))) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *url = json_string_value(json_array_get(list, i));

		if (!acme_url_ok(url, "authorization"))
			goto out;
		if (acme_post_object(a, url, NULL, "authorization", &authzs[i], NULL) != 0)
			goto out;
		memset(&cur, 0, sizeof(cur));
		if ((st = examine_authz(authzs[i], url, solver ? solver->type : NULL, &cur)) < 0)
			goto out;
		if (st == 1) {
			pend[npend] = cur;
			/* The challenge points into its entry: moved with it. */
			pend[npend].chall.identifier = pend[npend].value;
			npend++;
		}
	}
	/* examine_authz refuses a pending one without a solver; said here for the reader. */
	if (npend > 0 && solver == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "%zu authorizations pending without a solver", npend);
		goto out;
	}
	/* Present every answer first, then ask for validation: the CA may check at once. */
	for (i = 0; i < npend; i++) {
		len = strlen(pend[i].chall.token) + 1 + strlen(a->thumbprint) + 1;
		if ((pend[i].keyauth = malloc(len)) == NULL) {
			ck_error_as(CK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		snprintf(pend[i].keyauth, len, "%s.%s", pend[i].chall.token, a->thumbprint);
		pend[i].chall.key_authorization = pend[i].keyauth;
		if (ck_solver_present(solver, &pend[i].chall) != 0)
			goto out;
		npresented++;
	}
	if (npend > 0 && ck_solver_ready(solver) != 0)
		goto out;
	for (i = 0; i < npend; i++) {
		snprintf(what, sizeof(what), "%s challenge for %s", solver->type, pend[i].ident);
		if (acme_post_object(a, pend[i].chall_url, empty, what, &pend[i].answer, NULL) != 0)
			goto out;
	}
	posted = ck_clock_now_ms(a->clock);
	/* A CA that validated at once has said so in its answer: no poll. */
	for (i = 0; i < npend; i++) {
		snprintf(what, sizeof(what), "%s challenge for %s", solver->type, pend[i].ident);
		result = pend[i].answer;
		pend[i].answer = NULL;
		if (acme_status_in(acme_status_of(result), CHALL_WAITING) &&
		    (record_once(rec) != 0 ||
		    acme_poll_since(a, pend[i].chall_url, CHALL_WAITING, posted, deadline, what,
		    &result) != 0))
			goto out;
		if (strcmp(acme_status_of(result), "valid") != 0) {
			chall_failure(result, &pend[i]);
			goto out;
		}
		json_decref(result);
		result = NULL;
	}
	if (npend > 0)
		ck_fault_point("challenges-valid");
	rc = 0;
out:
	for (i = 0; i < npresented; i++)
		ck_solver_cleanup(solver, &pend[i].chall);
	for (i = 0; pend != NULL && i < npend; i++) {
		free(pend[i].keyauth);
		json_decref(pend[i].answer);
	}
	for (i = 0; i < n && i < CK_MAX_IDENTIFIERS; i++)
		json_decref(authzs[i]);
	free(pend);
	json_decref(result);
	json_decref(empty);
	return rc;
}

/* Checks an order status; anything unexpected is an error (fail closed). */
static int
order_status_is(const json_t *order, const char *want)
{
	const char *st = acme_status_of(order);
	const json_t *err = json_object_get(order, "error");
	const char *type = json_string_value(json_object_get(err, "type"));
	char safe[64], why[1024] = "";

	if (strcmp(st, want) == 0)
		return 1;
	ck_sanitize(safe, sizeof(safe), st, SIZE_MAX);
	if (json_is_object(err))
		acme_problem_append(err, why, sizeof(why));
	ck_error_problem(CK_ERR_CA, type != NULL ? acme_problem_short(type) : NULL, -1,
	    "order is %s, expected %s%s%s", safe[0] ? safe : "without status", want,
	    why[0] ? ": " : "", why);
	return 0;
}

/* The newOrder payload: identifiers, and profile and (with_replaces) replaces when given. */
static json_t *
order_payload(const struct ck_order_req *req, int with_replaces)
{
	json_t *ids = NULL, *payload = NULL;
	size_t i;

	if ((ids = json_array()) == NULL)
		goto fail;
	for (i = 0; i < req->nidentifiers; i++)
		if (json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    ident_type(req->identifiers[i]), "value", req->identifiers[i])) != 0)
			goto fail;
	if ((payload = json_pack("{s:O}", "identifiers", ids)) == NULL)
		goto fail;
	json_decref(ids);
	ids = NULL;
	if (with_replaces && req->replaces != NULL &&
	    json_object_set_new(payload, "replaces", json_string(req->replaces)) != 0)
		goto fail;
	if (req->profile != NULL &&
	    json_object_set_new(payload, "profile", json_string(req->profile)) != 0)
		goto fail;
	return payload;
fail:
	ck_error_as(CK_ERR_INTERNAL, "json_pack of the newOrder request failed");
	json_decref(ids);
	json_decref(payload);
	return NULL;
}

/*
 * newOrder.  When the CA refuses because the certificate named in replaces
 * was replaced already (RFC 9773 5: another order named it; 409
 * alreadyReplaced), the renewal is still wanted: one more newOrder without
 * "replaces", whose failure is final.
 */
static int
new_order(struct ck_acme *a, const struct ck_order_req *req, json_t **order, char **order_url)
{
	json_t *payload = NULL;
	char safe[128];
	int st, rc = -1;

	if (req->profile != NULL && !acme_profile_offered(a, req->profile))
		goto out;
	if ((payload = order_payload(req, 1)) == NULL)
		goto out;
	st = acme_post_object_tolerate(a, a->new_order, payload, "newOrder",
	    req->replaces != NULL ? PROBLEM_PREFIX "alreadyReplaced" : NULL, order, order_url);
	if (st == 1) {
		ck_sanitize(safe, sizeof(safe), req->replaces, SIZE_MAX);
		ck_info("newOrder: the CA says certificate %s was already replaced "
		    "(alreadyReplaced); ordering again without \"replaces\"", safe);
		json_decref(payload);
		if ((payload = order_payload(req, 0)) == NULL)
			goto out;
		st = acme_post_object(a, a->new_order, payload, "newOrder", order, order_url);
	}
	rc = st == 0 ? 0 : -1;
out:
	json_decref(payload);
	return rc;
}

/* Downloads the certificate chain of a valid order (the preferred one, acme/chain.c). */
static int
download(struct ck_acme *a, const struct ck_order_req *req, const json_t *order, char **pem,
    size_t *pemlen)
{
	const char *cert_url = json_string_value(json_object_get(order, "certificate"));
	struct ck_http_resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (!acme_url_ok(cert_url, "certificate"))
		goto out;
	if (acme_post(a, cert_url, NULL, 0, &r, "certificate download", NULL) != 0 ||
	    !acme_content_type_ok(&r, "certificate download", "application/pem-certificate-chain",
	    NULL))
		goto out;
	rc = acme_chain_choose(a, req, &r, pem, pemlen);
out:
	ck_http_resp_free(&r);
	return rc;
}

/*
 * Finalizes the order with the CSR; *order becomes the CA's answer.  With
 * early, the order may not be ready yet (it was pending when last fetched):
 * 1 when the CA says orderNotReady (not reported, *order untouched).
 */
static int
finalize(struct ck_acme *a, const struct ck_order_req *req, struct record *rec, int early,
    json_t **order)
{
	const char *url = json_string_value(json_object_get(*order, "finalize"));
	json_t *payload = NULL, *fin = NULL;
	char *csr64 = NULL;
	int rc = -1, st;

	if (!acme_url_ok(url, "finalize"))
		goto out;
	/* What a crash from here on must find to resume instead of ordering again. */
	if (record_once(rec) != 0)
		goto out;
	if ((csr64 = ck_b64url_encode(req->csr, req->csrlen)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((payload = json_pack("{s:s}", "csr", csr64)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "json_pack of the finalize request failed");
		goto out;
	}
	st = acme_post_object_tolerate(a, url, payload, "finalize",
	    early ? PROBLEM_PREFIX "orderNotReady" : NULL, &fin, NULL);
	if (st == 1) {
		ck_debug("finalize: the CA says the order is not ready yet (orderNotReady)");
		rc = 1;
		goto out;
	}
	if (st != 0)
		goto out;
	ck_fault_point("after-finalize");
	json_decref(*order);
	*order = fin;
	fin = NULL;
	rc = 0;
out:
	json_decref(fin);
	json_decref(payload);
	free(csr64);
	return rc;
}

/*
 * Takes an order from whatever state it is in to a downloaded chain:
 * pending (authorize), ready (finalize), processing (poll), valid.
 * *order is the order object as last fetched (replaced as it goes).
 *
 * Once every authorization is valid the order is ready (RFC 8555 7.1.6),
 * so it is finalized at once instead of being fetched first: one request
 * fewer.  A CA that has not moved it on yet answers orderNotReady; then the
 * order is polled until it leaves pending, and must be ready.
 */
static int
complete(struct ck_acme *a, const struct ck_order_req *req, const char *order_url,
    int64_t deadline, json_t **order, char **pem, size_t *pemlen)
{
	struct record rec = { req, order_url, 0 };
	char safe[64];
	int st;

	ck_sanitize(safe, sizeof(safe), acme_status_of(*order), SIZE_MAX);
	ck_debug("order %s is %s", order_url, safe);
	if (strcmp(acme_status_of(*order), "pending") == 0) {
		if (authorize(a, *order, req->solver, deadline, &rec) != 0)
			return -1;
		if ((st = finalize(a, req, &rec, 1, order)) < 0)
			return -1;
		if (st == 1 &&
		    (acme_poll_until(a, order_url, "pending", deadline, "order", order) != 0 ||
		    !order_status_is(*order, "ready")))
			return -1;
	}
	if (strcmp(acme_status_of(*order), "ready") == 0 &&
	    finalize(a, req, &rec, 0, order) != 0)
		return -1;
	if (strcmp(acme_status_of(*order), "processing") == 0 &&
	    acme_poll_until(a, order_url, "processing", deadline, "order", order) != 0)
		return -1;
	if (!order_status_is(*order, "valid"))
		return -1;
	return download(a, req, *order, pem, pemlen);
}

/* The order's deadline: its timeout from now. */
static int64_t
order_deadline(struct ck_acme *a, const struct ck_order_req *req)
{
	long timeout = req->timeout > 0 ? req->timeout : CK_ACME_DEFAULT_ORDER_TIMEOUT;

	return ck_clock_now_ms(a->clock) + (int64_t)timeout * 1000;
}

int
ck_acme_order(struct ck_acme *a, const struct ck_order_req *req, char **pem, size_t *pemlen)
{
	json_t *order = NULL;
	char *order_url = NULL;
	int64_t deadline = order_deadline(a, req);
	int rc = -1;

	if (req->nidentifiers == 0 || req->nidentifiers > CK_MAX_IDENTIFIERS) {
		ck_error_as(CK_ERR_CONFIG, "an order takes 1 to %d identifiers, not %zu",
		    CK_MAX_IDENTIFIERS, req->nidentifiers);
		goto out;
	}
	if (new_order(a, req, &order, &order_url) != 0)
		goto out;
	/* A new order must wait for authorization or be ready: anything else is refused. */
	if (strcmp(acme_status_of(order), "pending") != 0 && !order_status_is(order, "ready"))
		goto out;
	rc = complete(a, req, order_url, deadline, &order, pem, pemlen);
out:
	json_decref(order);
	free(order_url);
	return rc;
}

int
ck_acme_order_resume(struct ck_acme *a, const char *order_url, const struct ck_order_req *req,
    char **pem, size_t *pemlen)
{
	struct ck_http_resp r;
	json_t *order = NULL;
	const char *st;
	int64_t deadline = order_deadline(a, req);
	int rc = -1, prc;

	memset(&r, 0, sizeof(r));
	if (!acme_url_ok(order_url, "stored order"))
		goto out;
	prc = acme_post(a, order_url, NULL, 0, &r, "order", PROBLEM_PREFIX "malformed");
	if (prc == 1 || (prc != 0 && (r.status == 404 || r.status == 403 || r.status == 410))) {
		ck_info("the CA no longer knows order %s (HTTP %ld)", order_url, r.status);
		rc = 1;
		goto out;
	}
	if (prc != 0 || (order = acme_body_object(&r, "order")) == NULL)
		goto out;
	st = acme_status_of(order);
	if (strcmp(st, "invalid") == 0) {
		ck_info("order %s is invalid now: a new one is needed", order_url);
		rc = 1;
		goto out;
	}
	rc = complete(a, req, order_url, deadline, &order, pem, pemlen);
out:
	ck_http_resp_free(&r);
	json_decref(order);
	return rc;
}
