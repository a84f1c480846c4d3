/*
 * net/response.c: reading an HTTP response for the transport (see
 * net/internal.h): the body and the headers ACME needs, each capped, the
 * Link header parsed into targets and relations, and Retry-After.
 *
 * Everything the peer sends is capped: the body at CK_HTTP_MAX_BODY, each
 * header we keep at HDR_MAX, the Link list at CK_HTTP_MAX_LINKS.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certkeeper/util/log.h"
#include "curl.h"
#include "internal.h"

/* Longest wait Retry-After may impose; a server asking for more is ignored past this. */
#define RETRY_AFTER_MAX 86400L

/* Frees the header values and links kept so far, so a new response starts clean. */
static void
clear_headers(struct ck_http_resp *resp)
{
	size_t i;

	free(resp->content_type);
	free(resp->location);
	free(resp->nonce);
	free(resp->retry_after);
	resp->content_type = resp->location = resp->nonce = resp->retry_after = NULL;
	for (i = 0; i < resp->nlinks; i++) {
		free(resp->links[i].url);
		free(resp->links[i].rel);
		resp->links[i].url = resp->links[i].rel = NULL;
	}
	resp->nlinks = 0;
}

void
ck_http_resp_free(struct ck_http_resp *resp)
{
	if (resp == NULL)
		return;
	clear_headers(resp);
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	resp->status = 0;
}

/* Body callback: appends to resp->body; a short count (over the cap) makes curl abort. */
size_t
ckn_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct ck_http_resp *resp = x->resp;
	size_t n = size * nmemb, want;
	char *p;

	if (n > CK_HTTP_MAX_BODY - resp->len) {
		x->body_too_big = 1;
		return 0;
	}
	if (resp->len + n + 1 > x->cap) {
		want = x->cap ? x->cap : 16384;
		while (want < resp->len + n + 1)
			want *= 2;
		if (want > CK_HTTP_MAX_BODY + 1)
			want = CK_HTTP_MAX_BODY + 1;
		if ((p = realloc(resp->body, want)) == NULL) {
			x->nomem = 1;
			return 0;
		}
		resp->body = p;
		x->cap = want;
	}
	memcpy(resp->body + resp->len, data, n);
	resp->len += n;
	resp->body[resp->len] = '\0';
	return n;
}

/* Returns a malloc'd copy of s[0..len), or NULL. */
static char *
dup_range(const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * Scans one link-param value at *pp (quoted-string or token) into
 * [*vs, *ve) with escapes left in place; returns 0, or -1 if malformed.
 */
static int
scan_param_value(const char **pp, const char *end, const char **vs, const char **ve)
{
	const char *p = *pp;

	if (p < end && *p == '"') {
		*vs = ++p;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end)
				p++;
			p++;
		}
		if (p >= end)
			return -1;
		*ve = p++;
	} else {
		*vs = p;
		while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		*ve = p;
	}
	*pp = p;
	return 0;
}

/* Adds one link per relation type in the space-separated list [rs, re); 0, or -1 out of memory. */
static int
add_links(struct ck_http_resp *resp, const char *us, const char *ue, const char *rs,
    const char *re)
{
	const char *t;

	while (rs < re) {
		rs = skip_ws(rs, re);
		for (t = rs; t < re && *t != ' ' && *t != '\t'; t++)
			;
		if (t == rs)
			break;
		if (resp->nlinks == CK_HTTP_MAX_LINKS) {
			ck_debug("more than %d Link relations; ignoring the rest", CK_HTTP_MAX_LINKS);
			return 0;
		}
		if ((resp->links[resp->nlinks].url = dup_range(us, (size_t)(ue - us))) == NULL ||
		    (resp->links[resp->nlinks].rel = dup_range(rs, (size_t)(t - rs))) == NULL) {
			free(resp->links[resp->nlinks].url);
			resp->links[resp->nlinks].url = NULL;
			return -1;
		}
		resp->nlinks++;
		rs = t;
	}
	return 0;
}

/*
 * Parses a Link header value (RFC 8288: `<url>; rel="a b"; x=y, <url2>; ...`)
 * into resp->links.  A malformed link-value ends parsing of this header (the
 * caller then simply lacks that link); returns -1 only when out of memory.
 */
static int
parse_link(struct ck_http_resp *resp, const char *p, const char *end)
{
	const char *us, *ue, *rs, *re, *ns, *ne, *vs, *ve;

	for (;;) {
		p = skip_ws(p, end);
		while (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		if (p >= end)
			return 0;
		if (*p != '<')
			goto bad;
		us = ++p;
		while (p < end && *p != '>')
			p++;
		if (p >= end)
			goto bad;
		ue = p++;
		rs = re = NULL;
		for (;;) {
			p = skip_ws(p, end);
			if (p >= end || *p == ',')
				break;
			if (*p != ';')
				goto bad;
			p = skip_ws(p + 1, end);
			ns = p;
			while (p < end && *p != '=' && *p != ';' && *p != ',' && *p != ' ' &&
			    *p != '\t')
				p++;
			ne = p;
			p = skip_ws(p, end);
			vs = ve = p;
			if (p < end && *p == '=') {
				p = skip_ws(p + 1, end);
				if (scan_param_value(&p, end, &vs, &ve) < 0)
					goto bad;
			}
			/* RFC 8288 3.3: only the first rel parameter counts. */
			if (rs == NULL && ne - ns == 3 && strncasecmp(ns, "rel", 3) == 0) {
				rs = vs;
				re = ve;
			}
		}
		if (rs != NULL && add_links(resp, us, ue, rs, re) < 0)
			return -1;
	}
bad:
	ck_debug("malformed Link header ignored (%zu bytes unparsed)", (size_t)(end - p));
	return 0;
}

/* Header callback: keeps the headers ACME needs; a status line starts a new response. */
size_t
ckn_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} kept[] = {
		{ "Content-Type", offsetof(struct ck_http_resp, content_type) },
		{ "Location", offsetof(struct ck_http_resp, location) },
		{ "Replay-Nonce", offsetof(struct ck_http_resp, nonce) },
		{ "Retry-After", offsetof(struct ck_http_resp, retry_after) },
	};
	struct xfer *x = arg;
	size_t n = size * nmemb, i, namelen;
	const char *end = data + n, *colon, *v;
	char **slot;

	/* Interim (1xx) responses carry their own headers; they must not leak into the final one. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		clear_headers(x->resp);
		return n;
	}
	if ((colon = memchr(data, ':', n)) == NULL)
		return n;
	namelen = (size_t)(colon - data);
	v = skip_ws(colon + 1, end);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		end--;
	if (namelen == 4 && strncasecmp(data, "Link", 4) == 0) {
		if ((size_t)(end - v) > HDR_MAX) {
			x->long_header = "Link";
			return 0;
		}
		if (parse_link(x->resp, v, end) < 0) {
			x->nomem = 1;
			return 0;
		}
		return n;
	}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (strlen(kept[i].name) != namelen || strncasecmp(data, kept[i].name, namelen) != 0)
			continue;
		if ((size_t)(end - v) > HDR_MAX) {
			x->long_header = kept[i].name;
			return 0;
		}
		slot = (char **)((char *)x->resp + kept[i].off);
		free(*slot);
		if ((*slot = dup_range(v, (size_t)(end - v))) == NULL) {
			x->nomem = 1;
			return 0;
		}
		break;
	}
	return n;
}

long
ck_http_retry_after(const char *value, time_t now)
{
	const struct ck_curl *cu;
	const char *p;
	long secs = 0;
	time_t when;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		for (p = value; isdigit((unsigned char)*p); p++)
			if (secs < RETRY_AFTER_MAX)
				secs = secs * 10 + (*p - '0');
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -1;
		return secs < RETRY_AFTER_MAX ? secs : RETRY_AFTER_MAX;
	}
	/* HTTP-date always starts with a day name; this keeps "-5" and the like out of curl_getdate. */
	if (!isalpha((unsigned char)*value))
		return -1;
	/* libcurl is loaded by then (a response came through it); a failure is reported. */
	if ((cu = ck_curl_load()) == NULL || (when = cu->getdate(value, NULL)) == -1)
		return -1;
	if (when <= now)
		return 0;
	if (when - now >= RETRY_AFTER_MAX)
		return RETRY_AFTER_MAX;
	return (long)(when - now);
}
