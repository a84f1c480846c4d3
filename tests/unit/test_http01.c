/*
 * test_http01.c: the http-01 responder (http01.c) on loopback, fetched over
 * plain HTTP (as a CA's validator fetches it) by a small libcurl client of
 * this file's own: the ACME transport (http.c) speaks only HTTPS.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <curl/curl.h>

#include "certkeeper/challenge/http01.h"
#include "certkeeper/util/limits.h"
#include "certkeeper/util/log.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"

static void
challenge_url(char *buf, size_t len, int port, const char *token)
{
	snprintf(buf, len, "http://127.0.0.1:%d/.well-known/acme-challenge/%s", port, token);
}

/* --- the test's own plain-HTTP client --- */

/* One response as the client saw it. */
struct reply {
	long status;
	char body[1024];
	size_t len;
	char content_type[64];	/* "" when absent */
	long nconnects;		/* connections this request had to open */
};

/* Body callback: keeps up to sizeof(body) - 1 bytes; more makes curl fail the fetch. */
static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;

	if (n > sizeof(r->body) - 1 - r->len)
		return 0;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* A plain-HTTP-only handle that ignores proxies: these requests stay on loopback. */
static CURL *
client_new(void)
{
	CURL *c = curl_easy_init();

	assert_non_null(c);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOPROXY, "*"), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http"), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect), CURLE_OK);
	return c;
}

/* Sends method ("GET", "HEAD" or "POST" of "{}") to url on c; any transport error fails the test. */
static void
fetch(CURL *c, const char *method, const char *url, struct reply *r)
{
	char *ct = NULL;

	memset(r, 0, sizeof(*r));
	/* HTTPGET resets NOBODY and POST left by an earlier fetch on this handle. */
	assert_int_equal(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L), CURLE_OK);
	if (strcmp(method, "HEAD") == 0)
		assert_int_equal(curl_easy_setopt(c, CURLOPT_NOBODY, 1L), CURLE_OK);
	else if (strcmp(method, "POST") == 0)
		assert_int_equal(curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}"), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, r), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status), CURLE_OK);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->nconnects), CURLE_OK);
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct), CURLE_OK);
	if (ct != NULL)
		snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
}

/* --- the responder --- */

/* Broken if a published token is not served with its key authorization, or others are. */
static void
test_serve_and_withdraw(void **state)
{
	struct ck_http01 *r = NULL;
	struct reply rep;
	char url[256];
	int port = ck_test_free_port();
	CURL *c = client_new();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);

	challenge_url(url, sizeof(url), port, TOKEN);
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 200);
	assert_string_equal(rep.body, KEYAUTH);
	assert_int_equal(rep.len, strlen(KEYAUTH));
	assert_string_equal(rep.content_type, "text/plain");

	challenge_url(url, sizeof(url), port, "unknownToken");
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 404);

	/* The key authorization must not be reachable under any other path. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", port, TOKEN);
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 404);

	ck_http01_withdraw(r, TOKEN);
	ck_http01_withdraw(r, "neverPublished");
	challenge_url(url, sizeof(url), port, TOKEN);
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 404);

	curl_easy_cleanup(c);
	ck_http01_stop(r);
}

/* Broken if the responder answers methods other than GET/HEAD, or HEAD is refused or given a body. */
static void
test_post_not_allowed(void **state)
{
	struct ck_http01 *r = NULL;
	struct reply rep;
	char url[256];
	int port = ck_test_free_port();
	CURL *c = client_new();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	challenge_url(url, sizeof(url), port, TOKEN);
	fetch(c, "POST", url, &rep);
	assert_int_equal(rep.status, 405);
	fetch(c, "HEAD", url, &rep);
	assert_int_equal(rep.status, 200);
	assert_int_equal(rep.len, 0);
	curl_easy_cleanup(c);
	ck_http01_stop(r);
}

/* Broken if the responder closes the connection after each answer instead of keeping it alive. */
static void
test_keeps_alive(void **state)
{
	struct ck_http01 *r = NULL;
	struct reply rep;
	char url[256];
	int port = ck_test_free_port();
	CURL *c = client_new();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	challenge_url(url, sizeof(url), port, TOKEN);
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 200);
	assert_int_equal(rep.nconnects, 1);
	fetch(c, "GET", url, &rep);
	assert_int_equal(rep.status, 200);
	assert_string_equal(rep.body, KEYAUTH);
	assert_int_equal(rep.nconnects, 0);
	curl_easy_cleanup(c);
	ck_http01_stop(r);
}

/* Broken if a second responder on a busy port "starts", or its error hides the port. */
static void
test_port_in_use(void **state)
{
	struct ck_http01 *r = NULL, *r2 = NULL;
	char want[32];
	int port = ck_test_free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	ck_clear_error();
	assert_int_equal(ck_http01_start(port, &r2), -1);
	assert_null(r2);
	snprintf(want, sizeof(want), "port %d", port);
	assert_non_null(strstr(ck_last_error(), want));
	ck_http01_stop(r);
	ck_http01_stop(NULL);
}

/* Broken if a bad token (not base64url, too long) is published, or the table is not CK_MAX_IDENTIFIERS. */
static void
test_publish_rejects_bad_tokens(void **state)
{
	struct ck_http01 *r = NULL;
	char longtok[258], tok[16];
	int i, port = ck_test_free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, "../etc/passwd", "x"), -1);
	assert_int_equal(ck_http01_publish(r, "", "x"), -1);
	assert_int_equal(ck_http01_publish(r, "abc", "abc.x\r\nSet-Cookie: a"), -1);
	memset(longtok, 'A', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	assert_int_equal(ck_http01_publish(r, longtok, "x"), -1);
	longtok[256] = '\0';
	assert_int_equal(ck_http01_publish(r, longtok, "x"), 0);
	/*
	 * The table is bounded at the identifiers one certificate may carry
	 * (one token each): with the long token above, CK_MAX_IDENTIFIERS are
	 * published and the next distinct token is refused.
	 */
	for (i = 1; i < CK_MAX_IDENTIFIERS; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		assert_int_equal(ck_http01_publish(r, tok, "k"), 0);
	}
	assert_int_equal(ck_http01_publish(r, "oneTooMany", "k"), -1);
	/* Re-publishing a known token replaces it rather than taking a slot. */
	assert_int_equal(ck_http01_publish(r, "t1", "k2"), 0);
	ck_http01_stop(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_and_withdraw),
		cmocka_unit_test(test_post_not_allowed),
		cmocka_unit_test(test_keeps_alive),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_publish_rejects_bad_tokens),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
