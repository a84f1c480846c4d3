/*
 * acme/ari.c: ACME Renewal Information (RFC 9773 4.2-4.3; see acme/ari.h).
 *
 * The renewalInfo resource is read with a plain GET: it is not secret and
 * not signed.  Its answer is parsed fail-closed, as RFC 9773 4.2 asks: an
 * answer that is not exactly a window (end after start, RFC 3339 times,
 * an explanationURL that is a string when present) counts as no answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/acme/ari.h"
#include "certkeeper/cert/ari.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* The directory's renewalInfo URL, or NULL. */
static const char *
renewal_info_url(const struct ck_acme *a)
{
	return json_string_value(json_object_get(a->dir, "renewalInfo"));
}

int
ck_acme_has_ari(const struct ck_acme *a)
{
	return acme_url_valid(renewal_info_url(a));
}

/* Reads suggestedWindow's field name into *t, or reports what is wrong with it. */
static int
window_time(const json_t *sw, const char *name, const char *what, time_t *t)
{
	const json_t *v = json_object_get(sw, name);
	char safe[64];

	if (!json_is_string(v)) {
		ck_error_as(CK_ERR_CA, "%s: suggestedWindow has no %s string", what, name);
		return -1;
	}
	if (ck_time_parse_rfc3339_any(json_string_value(v), t) != 0) {
		ck_sanitize(safe, sizeof(safe), json_string_value(v), json_string_length(v));
		ck_error_as(CK_ERR_CA, "%s: suggestedWindow %s \"%s\" is not an RFC 3339 time",
		    what, name, safe);
		return -1;
	}
	return 0;
}

/* Parses a 200 answer's body into w (start, end, explanation). */
static int
parse_window(const struct ck_http_resp *r, const char *what, struct ck_ari_window *w)
{
	const json_t *sw, *ex;
	json_t *j = NULL;
	char s[32], e[32];
	int rc = -1;

	if ((j = acme_body_object(r, what)) == NULL)
		goto out;
	if (!json_is_object(sw = json_object_get(j, "suggestedWindow"))) {
		ck_error_as(CK_ERR_CA, "%s: the answer has no suggestedWindow object", what);
		goto out;
	}
	if (window_time(sw, "start", what, &w->start) != 0 ||
	    window_time(sw, "end", what, &w->end) != 0)
		goto out;
	if (w->end <= w->start) {
		ck_time_rfc3339(w->start, s, sizeof(s));
		ck_time_rfc3339(w->end, e, sizeof(e));
		ck_error_as(CK_ERR_CA, "%s: suggestedWindow ends (%s) no later than it starts (%s)",
		    what, e, s);
		goto out;
	}
	if ((ex = json_object_get(j, "explanationURL")) != NULL) {
		if (!json_is_string(ex)) {
			ck_error_as(CK_ERR_CA, "%s: explanationURL is not a string", what);
			goto out;
		}
		ck_sanitize(w->explanation, sizeof(w->explanation), json_string_value(ex),
		    json_string_length(ex));
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* The wait before the next fetch: the server's Retry-After, clamped, or the default. */
static long
retry_after(struct ck_acme *a, const struct ck_http_resp *r)
{
	long secs = ck_http_retry_after(r->retry_after, ck_clock_now(a->clock));

	if (secs < 0)
		return CK_ARI_RETRY_DEFAULT;
	if (secs < CK_ARI_RETRY_MIN)
		return CK_ARI_RETRY_MIN;
	return secs > CK_ARI_RETRY_MAX ? CK_ARI_RETRY_MAX : secs;
}

int
ck_acme_renewal_info(struct ck_acme *a, const char *cert_id, struct ck_ari_window *w)
{
	struct ck_ari_window win;
	struct ck_http_resp r;
	const char *base = renewal_info_url(a);
	char *url = NULL, what[CK_ARI_ID_MAX + 32], s[32], e[32], safe[64];
	size_t n;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	memset(&win, 0, sizeof(win));
	if (!acme_url_valid(base)) {
		ck_error_as(CK_ERR_CA, "renewalInfo: the CA's directory has no usable renewalInfo "
		    "URL");
		goto out;
	}
	if (!ck_ari_cert_id_valid(cert_id)) {
		ck_sanitize(safe, sizeof(safe), cert_id ? cert_id : "(none)", SIZE_MAX);
		ck_error_as(CK_ERR_INTERNAL, "renewalInfo: \"%s\" is not an ARI certificate "
		    "identifier", safe);
		goto out;
	}
	snprintf(what, sizeof(what), "renewalInfo for %s", cert_id);
	/* renewalInfo "/" id (4.1); a directory URL that ends in "/" already has the slash. */
	n = strlen(base) + 1 + strlen(cert_id) + 1;
	if ((url = malloc(n)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(url, n, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", cert_id);
	if (!acme_url_ok(url, what))
		goto out;
	if (acme_request(a, "GET", url, NULL, 0, &r) != 0)
		goto out;
	if (r.status != 200) {
		acme_report_failure(a, &r, what);
		goto out;
	}
	if (parse_window(&r, what, &win) != 0)
		goto out;
	win.retry_after = retry_after(a, &r);
	ck_time_rfc3339(win.start, s, sizeof(s));
	ck_time_rfc3339(win.end, e, sizeof(e));
	ck_debug("%s: renew between %s and %s; ask again in %ld s", what, s, e, win.retry_after);
	if (win.explanation[0] != '\0')
		ck_info("%s: the CA explains its window at %s", what, win.explanation);
	rc = 0;
out:
	if (rc != 0) {
		memset(&win, 0, sizeof(win));
		win.retry_after = CK_ARI_RETRY_DEFAULT;
	}
	*w = win;
	ck_http_resp_free(&r);
	free(url);
	return rc;
}
