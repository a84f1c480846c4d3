/*
 * acme/client.c: the ACME client's machinery (RFC 8555 section 6-7.2):
 * the directory, nonces, signed requests with their bounded badNonce
 * retries, problem documents, and polling with the clock.  The account
 * (account.c) and the order flow (order.c) are built on these.
 *
 * Everything the server says is parsed fail-closed: an unknown status is
 * treated as invalid, every URL it gives must be https and printable, its
 * text is sanitized before it is printed.  Requests are signed by the
 * account signer; no private key is ever held here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/rand.h>

#include "acme/internal.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

/* --- what the server says ---------------------------------------------- */

int
acme_url_valid(const char *url)
{
	size_t i, n = url != NULL ? strlen(url) : 0;
	int ok = n > 8 && n <= 2048 && strncmp(url, "https://", 8) == 0;

	for (i = 0; ok && i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			ok = 0;
	return ok;
}

int
acme_url_ok(const char *url, const char *what)
{
	char safe[128];

	if (acme_url_valid(url))
		return 1;
	ck_sanitize(safe, sizeof(safe), url ? url : "(none)", url ? strlen(url) : 6);
	ck_error_as(CK_ERR_CA, "server gave %s URL \"%s\": not an https URL", what, safe);
	return 0;
}

/* Whether the media type at the start of ct (up to ';' or a blank) is media, case aside. */
static int
media_is(const char *ct, const char *media)
{
	size_t n = strlen(media);

	return strncasecmp(ct, media, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

int
acme_content_type_ok(const struct ck_http_resp *r, const char *what, const char *media,
    const char *media2)
{
	char safe[128];
	const char *ct = r->content_type;

	if (ct != NULL && (media_is(ct, media) || (media2 != NULL && media_is(ct, media2))))
		return 1;
	ck_sanitize(safe, sizeof(safe), ct != NULL ? ct : "(none)", ct != NULL ? strlen(ct) : 6);
	ck_error_as(CK_ERR_CA, "%s: the server's answer has Content-Type \"%s\", not %s", what, safe,
	    media);
	return 0;
}

json_t *
acme_body_object(const struct ck_http_resp *r, const char *what)
{
	json_error_t jerr;
	json_t *j;

	if (!acme_content_type_ok(r, what, "application/json", "application/problem+json"))
		return NULL;
	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		ck_error_as(CK_ERR_CA, "%s: the server's answer is not a JSON object", what);
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *
acme_status_of(const json_t *obj)
{
	const char *s = json_string_value(json_object_get(obj, "status"));

	return s != NULL ? s : "";
}

const char *
acme_problem_short(const char *type)
{
	if (strncmp(type, PROBLEM_PREFIX, strlen(PROBLEM_PREFIX)) == 0)
		return type + strlen(PROBLEM_PREFIX);
	return type;
}

void
acme_problem_append(const json_t *p, char *buf, size_t buflen)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *detail = json_string_value(json_object_get(p, "detail"));
	char stype[128], sdetail[512];
	size_t used = strlen(buf);

	ck_sanitize(stype, sizeof(stype), type ? acme_problem_short(type) : "(no type)", SIZE_MAX);
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
	acme_problem_append(p, buf, buflen);
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
		acme_problem_append(sub, buf, buflen);
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

void
acme_report_failure(struct ck_acme *a, const struct ck_http_resp *r, const char *what)
{
	json_t *prob = NULL;
	const char *type;
	char text[1024];
	long retry = ck_http_retry_after(r->retry_after, ck_clock_now(a->clock));

	if (ck_acme_problem_format(r->body, r->len, text, sizeof(text)) == 0) {
		type = problem_type(r, &prob);
		ck_error_problem(CK_ERR_CA, type != NULL ? acme_problem_short(type) : NULL, retry,
		    "%s: the CA refused (HTTP %ld): %s", what, r->status, text);
	} else {
		ck_error_problem(CK_ERR_CA, NULL, retry, "%s: unexpected HTTP status %ld from the CA",
		    what, r->status);
	}
	json_decref(prob);
}

/*
 * Remembers the response's Replay-Nonce, if it has a valid one: base64url
 * without padding, at most 256 characters.  An invalid one is ignored (RFC
 * 8555 6.5.1), so that nothing but base64url goes into a signed header.
 */
static void
take_nonce(struct ck_acme *a, struct ck_http_resp *r)
{
	size_t n;

	if (r->nonce == NULL)
		return;
	n = strlen(r->nonce);
	if (n == 0 || n > 256 || strspn(r->nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		ck_debug("ignoring a Replay-Nonce that is not base64url");
		return;
	}
	free(a->nonce);
	a->nonce = r->nonce;
	r->nonce = NULL;
}

/* --- pacing -------------------------------------------------------------- */

void
ck_acme_set_pacing(struct ck_acme *a, int64_t max_ms)
{
	a->pace_max_ms = max_ms > 0 ? max_ms : 0;
	a->paced = 0;
}

/*
 * A pause of a random share, CK_ACME_PACE_SHARE_MIN to _MAX per mille, of
 * the time given (pace_max_ms, counted at most up to what makes the longest
 * share CK_ACME_PACE_CAP_MS): clients that waited together go on apart,
 * and in order of how much time each can spare.
 */
static int64_t
pause_ms(const struct ck_acme *a)
{
	uint64_t base = (uint64_t)a->pace_max_ms, rnd, share;
	unsigned char b[4];

	if (base > (uint64_t)CK_ACME_PACE_CAP_MS * 1000 / CK_ACME_PACE_SHARE_MAX)
		base = (uint64_t)CK_ACME_PACE_CAP_MS * 1000 / CK_ACME_PACE_SHARE_MAX;
	if (RAND_bytes(b, sizeof(b)) == 1)
		rnd = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
	else
		rnd = 1U << 31;	/* no randomness at hand: the middle */
	share = CK_ACME_PACE_SHARE_MIN +
	    ((rnd * (CK_ACME_PACE_SHARE_MAX - CK_ACME_PACE_SHARE_MIN + 1)) >> 32);
	return (int64_t)(base * share / 1000);
}

int
acme_request(struct ck_acme *a, const char *method, const char *url, const char *body,
    size_t bodylen, struct ck_http_resp *r)
{
	int64_t start = ck_clock_now_ms(a->clock), took, pause;

	if (ck_http_request(a->http, method, url, body, bodylen, r) != 0)
		return -1;	/* the attempt's failure: its backoff spreads the retries */
	took = ck_clock_now_ms(a->clock) - start;
	/* A clock stepped during the request says nothing either way. */
	if (a->pace_max_ms <= 0 || a->paced || took < CK_ACME_SLOW_MS || took > 10 * 60 * 1000)
		return 0;
	/* Once: the fleet is spread by then, and a slow link does not pay at every request. */
	a->paced = 1;
	if ((pause = pause_ms(a)) == 0)
		return 0;
	ck_info("the CA took %lld.%03lld s to answer: waiting %lld.%03lld s before going on, so "
	    "that clients that waited with us do not all go on at once", (long long)(took / 1000),
	    (long long)(took % 1000), (long long)(pause / 1000), (long long)(pause % 1000));
	if (ck_clock_sleep_ms(a->clock, pause) == 1) {
		ck_error_as(CK_ERR_INTERRUPTED, "%s %s: stopped while waiting after a slow answer",
		    method, url);
		return -1;
	}
	return 0;
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
	if (acme_request(a, "HEAD", a->new_nonce, NULL, 0, &r) != 0)
		goto out;
	if (r.status != 200 && r.status != 204) {
		acme_report_failure(a, &r, "newNonce");
		goto out;
	}
	take_nonce(a, &r);
	if (a->nonce == NULL)
		ck_error_as(CK_ERR_CA, "newNonce: the CA sent no valid Replay-Nonce");
	else
		rc = 0;
out:
	ck_http_resp_free(&r);
	return rc;
}

int
acme_post(struct ck_acme *a, const char *url, const json_t *payload, int use_jwk,
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
		if (acme_request(a, "POST", url, jws, strlen(jws), r) != 0)
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
		acme_report_failure(a, r, what);
		goto out;
	}
out:
	json_decref(prob);
	free(jws);
	return rc;
}

int
acme_post_object(struct ck_acme *a, const char *url, const json_t *payload, const char *what,
    json_t **obj, char **location)
{
	return acme_post_object_tolerate(a, url, payload, what, NULL, obj, location);
}

int
acme_post_object_tolerate(struct ck_acme *a, const char *url, const json_t *payload,
    const char *what, const char *tolerate, json_t **obj, char **location)
{
	struct ck_http_resp r;
	int st, rc = -1;

	memset(&r, 0, sizeof(r));
	if ((st = acme_post(a, url, payload, 0, &r, what, tolerate)) != 0) {
		rc = st == 1 ? 1 : -1;
		goto out;
	}
	if ((*obj = acme_body_object(&r, what)) == NULL)
		goto out;
	if (location != NULL) {
		if (!acme_url_ok(r.location, what)) {
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
 * else a delay growing from 50 ms to 5 s: a CA often finishes an order or a
 * validation within tens of milliseconds (Pebble's first answer was ready
 * after the first short wait in bench/renewal, where a first wait of 250 ms
 * was most of a renewal's time), and one that takes seconds is asked at
 * most one more time than with a 250 ms start.
 * Never past deadline.  Returns 0, or 1 when a stop was requested.
 */
static int
poll_wait(struct ck_acme *a, const struct ck_http_resp *r, int attempt, int64_t deadline)
{
	static const long backoff_ms[] = { 50, 200, 500, 1000, 2000, 5000 };
	int64_t now = ck_clock_now_ms(a->clock), ms;
	long secs = ck_http_retry_after(r->retry_after, (time_t)(now / 1000));

	if (secs >= 0)
		ms = secs * 1000 > 100 ? (int64_t)secs * 1000 : 100;
	else
		ms = backoff_ms[attempt < 6 ? attempt : 5];
	if (now + ms > deadline)
		ms = deadline > now ? deadline - now : 0;
	return ck_clock_wait_until_ms(a->clock, now + ms) == 1 ? 1 : 0;
}

int
acme_status_in(const char *st, const char *list)
{
	size_t n = strlen(st), w;

	while (n > 0 && *list != '\0') {
		w = strcspn(list, " ");
		if (w == n && strncmp(list, st, n) == 0)
			return 1;
		list += w + (list[w] == ' ');
	}
	return 0;
}

int
acme_poll_until(struct ck_acme *a, const char *url, const char *waiting, int64_t deadline,
    const char *what, json_t **obj)
{
	return acme_poll_since(a, url, waiting, ck_clock_now_ms(a->clock), deadline, what, obj);
}

int
acme_poll_since(struct ck_acme *a, const char *url, const char *waiting, int64_t since,
    int64_t deadline, const char *what, json_t **obj)
{
	struct ck_http_resp r;
	const char *st;
	char sst[32];
	int attempt, rc = -1;

	memset(&r, 0, sizeof(r));
	/* The CA was just set to work: a poll at once would mostly find it still at it. */
	if (ck_clock_wait_until_ms(a->clock, since + CK_ACME_FIRST_POLL_MS < deadline ?
	    since + CK_ACME_FIRST_POLL_MS : deadline) == 1) {
		ck_error_as(CK_ERR_INTERRUPTED, "%s: stopped while the CA was %.*s", what,
		    (int)strcspn(waiting, " "), waiting);
		goto out;
	}
	for (attempt = 0; ; attempt++) {
		json_decref(*obj);
		*obj = NULL;
		if (acme_post(a, url, NULL, 0, &r, what, NULL) != 0)
			goto out;
		if ((*obj = acme_body_object(&r, what)) == NULL)
			goto out;
		st = acme_status_of(*obj);
		if (!acme_status_in(st, waiting))
			break;
		ck_sanitize(sst, sizeof(sst), st, SIZE_MAX);
		if (ck_clock_now_ms(a->clock) >= deadline) {
			ck_error_as(CK_ERR_CA, "%s: still %s at the order deadline (order_timeout); "
			    "giving up", what, sst);
			goto out;
		}
		if (poll_wait(a, &r, attempt, deadline) != 0) {
			ck_error_as(CK_ERR_INTERRUPTED, "%s: stopped while the CA was %s", what, sst);
			goto out;
		}
	}
	rc = 0;
out:
	ck_http_resp_free(&r);
	return rc;
}

/* --- the directory -------------------------------------------------------- */

int
ck_acme_new(struct ck_http *http, struct ck_clock *clock, const char *directory_url,
    struct ck_signer *account, struct ck_acme **out)
{
	return ck_acme_new_paced(http, clock, directory_url, account, 0, out);
}

int
ck_acme_new_paced(struct ck_http *http, struct ck_clock *clock, const char *directory_url,
    struct ck_signer *account, int64_t pace_max_ms, struct ck_acme **out)
{
	struct ck_acme *a = NULL;
	struct ck_http_resp r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->directory_url = strdup(directory_url)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory creating the ACME client");
		goto out;
	}
	a->http = http;
	a->clock = clock;
	a->account = account;
	/* The directory is the first request: a frozen CA that returns answers it first. */
	ck_acme_set_pacing(a, pace_max_ms);
	if (ck_jwk_thumbprint(account->pub, &a->thumbprint) != 0)
		goto out;
	if (acme_request(a, "GET", directory_url, NULL, 0, &r) != 0)
		goto out;
	if (r.status != 200) {
		acme_report_failure(a, &r, "ACME directory");
		goto out;
	}
	if ((a->dir = acme_body_object(&r, "ACME directory")) == NULL)
		goto out;
	take_nonce(a, &r);
	a->new_nonce = json_string_value(json_object_get(a->dir, "newNonce"));
	a->new_account = json_string_value(json_object_get(a->dir, "newAccount"));
	a->new_order = json_string_value(json_object_get(a->dir, "newOrder"));
	if (!acme_url_ok(a->new_nonce, "newNonce") || !acme_url_ok(a->new_account, "newAccount") ||
	    !acme_url_ok(a->new_order, "newOrder"))
		goto out;
	*out = a;
	a = NULL;
	rc = 0;
out:
	ck_http_resp_free(&r);
	ck_acme_free(a);
	return rc;
}

int
acme_use_key(struct ck_acme *a, struct ck_signer *key)
{
	char *thumb = NULL;

	if (ck_jwk_thumbprint(key->pub, &thumb) != 0)
		return -1;
	free(a->thumbprint);
	a->thumbprint = thumb;
	a->account = key;
	return 0;
}

const char *
acme_dir_url(const struct ck_acme *a, const char *name)
{
	const char *url = json_string_value(json_object_get(a->dir, name));
	char what[64];

	if (url == NULL) {
		ck_error_as(CK_ERR_CA, "the CA's directory has no %s", name);
		return NULL;
	}
	snprintf(what, sizeof(what), "%s", name);
	return acme_url_ok(url, what) ? url : NULL;
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
