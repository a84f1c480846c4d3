/*
 * test_http01.c: the http-01 responder (http01.c) and the HTTP client
 * (http.c) against each other on loopback, plus the client against a
 * scripted raw-socket server for what MHD cannot send (oversized bodies and
 * headers, Link lists, interim responses), and Retry-After parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "certkeeper/net/http.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/util/log.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"

/* Returns a loopback port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
challenge_url(char *buf, size_t len, int port, const char *token)
{
	snprintf(buf, len, "http://127.0.0.1:%d/.well-known/acme-challenge/%s", port, token);
}

/* --- a scripted server: accepts one connection, reads the request head, sends resp, closes --- */

struct rawsrv {
	int fd;
	int port;
	const char *resp;
	size_t resplen;
	pthread_t thread;
};

static void *
rawsrv_main(void *arg)
{
	struct rawsrv *s = arg;
	char req[65536];
	size_t have = 0, off = 0;
	ssize_t n;
	int c;

	if ((c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	while (have < sizeof(req) - 1) {
		if ((n = recv(c, req + have, sizeof(req) - 1 - have, 0)) <= 0)
			break;
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	/* The client may hang up early (body cap): no SIGPIPE, just stop. */
	while (off < s->resplen) {
		if ((n = send(c, s->resp + off, s->resplen - off, MSG_NOSIGNAL)) <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(c, SHUT_WR);
	close(c);
	return NULL;
}

static void
rawsrv_start(struct rawsrv *s, const char *resp, size_t resplen)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	s->resp = resp;
	s->resplen = resplen;
	assert_true((s->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, rawsrv_main, s), 0);
}

static void
rawsrv_stop(struct rawsrv *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->fd);
}

/* Fetches / from a scripted server that answers resp; returns ck_http_request's status. */
static int
fetch_scripted(const char *resp, size_t resplen, struct ck_http_resp *r)
{
	struct ck_http *h = NULL;
	struct rawsrv s;
	char url[64];
	int rc;

	rawsrv_start(&s, resp, resplen);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
	assert_int_equal(ck_http_new(NULL, &h), 0);
	rc = ck_http_request(h, "GET", url, NULL, 0, r);
	ck_http_free(h);
	rawsrv_stop(&s);
	return rc;
}

/* --- the responder, through the client --- */

/* Broken if a published token is not served with its key authorization, or others are. */
static void
test_serve_and_withdraw(void **state)
{
	struct ck_http01 *r = NULL;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[256];
	int port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	assert_int_equal(ck_http_new(NULL, &h), 0);

	challenge_url(url, sizeof(url), port, TOKEN);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, KEYAUTH);
	assert_int_equal(resp.len, strlen(KEYAUTH));
	assert_non_null(resp.content_type);
	assert_string_equal(resp.content_type, "text/plain");
	ck_http_resp_free(&resp);

	challenge_url(url, sizeof(url), port, "unknownToken");
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 404);
	ck_http_resp_free(&resp);

	/* The key authorization must not be reachable under any other path. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", port, TOKEN);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 404);
	ck_http_resp_free(&resp);

	ck_http01_withdraw(r, TOKEN);
	ck_http01_withdraw(r, "neverPublished");
	challenge_url(url, sizeof(url), port, TOKEN);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 404);
	ck_http_resp_free(&resp);

	ck_http_free(h);
	ck_http01_stop(r);
}

/* Broken if a HEAD leaves CURLOPT_NOBODY set so the next GET loses its body. */
static void
test_head_then_get(void **state)
{
	struct ck_http01 *r = NULL;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[256];
	int port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	assert_int_equal(ck_http_new(NULL, &h), 0);
	challenge_url(url, sizeof(url), port, TOKEN);

	assert_int_equal(ck_http_request(h, "HEAD", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(resp.body);
	assert_int_equal(resp.len, 0);
	ck_http_resp_free(&resp);

	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, KEYAUTH);
	ck_http_resp_free(&resp);

	ck_http_free(h);
	ck_http01_stop(r);
}

/* Broken if the responder answers methods other than GET/HEAD, or POST bodies are not sent. */
static void
test_post_not_allowed(void **state)
{
	struct ck_http01 *r = NULL;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[256];
	int port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	assert_int_equal(ck_http_new(NULL, &h), 0);
	challenge_url(url, sizeof(url), port, TOKEN);
	assert_int_equal(ck_http_request(h, "POST", url, "{}", 2, &resp), 0);
	assert_int_equal(resp.status, 405);
	ck_http_resp_free(&resp);
	ck_http_free(h);
	ck_http01_stop(r);
}

/* Broken if the client opens a new connection per request instead of reusing one. */
static void
test_connection_reused(void **state)
{
	struct ck_http01 *r = NULL;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[256];
	int port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, TOKEN, KEYAUTH), 0);
	assert_int_equal(ck_http_new(NULL, &h), 0);
	challenge_url(url, sizeof(url), port, TOKEN);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	ck_http_resp_free(&resp);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	ck_http_resp_free(&resp);
	assert_int_equal(ck_http_request_count(h), 2);
	assert_int_equal(ck_http_connect_count(h), 1);
	ck_http_free(h);
	ck_http01_stop(r);
}

/* Broken if a second responder on a busy port "starts", or its error hides the port. */
static void
test_port_in_use(void **state)
{
	struct ck_http01 *r = NULL, *r2 = NULL;
	char want[32];
	int port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	ck_clear_error();
	assert_int_equal(ck_http01_start(port, &r2), -1);
	assert_null(r2);
	snprintf(want, sizeof(want), "port %d", port);
	assert_non_null(strstr(ck_last_error(), want));
	ck_http01_stop(r);
	ck_http01_stop(NULL);
}

/* Broken if a token that is not base64url (a path, say) or too long gets published. */
static void
test_publish_rejects_bad_tokens(void **state)
{
	struct ck_http01 *r = NULL;
	char longtok[258], tok[16];
	int i, port = free_port();

	assert_int_equal(ck_http01_start(port, &r), 0);
	assert_int_equal(ck_http01_publish(r, "../etc/passwd", "x"), -1);
	assert_int_equal(ck_http01_publish(r, "", "x"), -1);
	assert_int_equal(ck_http01_publish(r, "abc", "abc.x\r\nSet-Cookie: a"), -1);
	memset(longtok, 'A', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	assert_int_equal(ck_http01_publish(r, longtok, "x"), -1);
	longtok[256] = '\0';
	assert_int_equal(ck_http01_publish(r, longtok, "x"), 0);
	/* The table is bounded: the 65th distinct token is refused. */
	for (i = 1; i < 64; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		assert_int_equal(ck_http01_publish(r, tok, "k"), 0);
	}
	assert_int_equal(ck_http01_publish(r, "oneTooMany", "k"), -1);
	/* Re-publishing a known token replaces it rather than taking a slot. */
	assert_int_equal(ck_http01_publish(r, "t1", "k2"), 0);
	ck_http01_stop(r);
}

/* --- the client alone --- */

/* Broken if a transport failure returns 0, or its error does not name the URL. */
static void
test_closed_port(void **state)
{
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/nothing-here", free_port());
	assert_int_equal(ck_http_new(NULL, &h), 0);
	ck_clear_error();
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), -1);
	assert_non_null(strstr(ck_last_error(), url));
	assert_non_null(strstr(ck_last_error(), "curl_easy_perform"));
	ck_http_resp_free(&resp);
	ck_http_free(h);
}

/* Broken if an unreadable CA bundle is only discovered at the first request. */
static void
test_missing_ca_bundle(void **state)
{
	struct ck_http *h = NULL;

	ck_clear_error();
	assert_int_equal(ck_http_new("/nonexistent/ca.pem", &h), -1);
	assert_null(h);
	assert_non_null(strstr(ck_last_error(), "/nonexistent/ca.pem"));
}

/* Builds a 200 response with a body of n 'x' bytes; free the result. */
static char *
big_response(size_t n, size_t *len)
{
	char head[128], *buf;
	int hl;

	hl = snprintf(head, sizeof(head),
	    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", n);
	assert_non_null(buf = malloc((size_t)hl + n));
	memcpy(buf, head, (size_t)hl);
	memset(buf + hl, 'x', n);
	*len = (size_t)hl + n;
	return buf;
}

/* Broken if the body cap is off by one either way or an oversized body is accepted. */
static void
test_body_cap(void **state)
{
	struct ck_http_resp resp;
	size_t len;
	char *buf;

	buf = big_response(CK_HTTP_MAX_BODY, &len);
	assert_int_equal(fetch_scripted(buf, len, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.len, CK_HTTP_MAX_BODY);
	assert_int_equal(resp.body[resp.len], '\0');
	ck_http_resp_free(&resp);
	free(buf);

	buf = big_response(CK_HTTP_MAX_BODY + 1, &len);
	ck_clear_error();
	assert_int_equal(fetch_scripted(buf, len, &resp), -1);
	assert_non_null(strstr(ck_last_error(), "exceeds 1 MiB"));
	ck_http_resp_free(&resp);
	free(buf);
}

/* Broken if Link parsing misses links, mixes up rels, or 1xx headers leak into the response. */
static void
test_links_and_interim(void **state)
{
	static const char resp_text[] =
	    "HTTP/1.1 103 Early Hints\r\n"
	    "Link: </style.css>; rel=preload\r\n"
	    "Replay-Nonce: early\r\n"
	    "\r\n"
	    "HTTP/1.1 201 Created\r\n"
	    "link: <https://ca.test/cert/1/up>;rel=\"up\", "
	    "<https://ca.test/cert/1/1>; title=\"a, b; c\"; rel=alternate\r\n"
	    "LINK: <https://ca.test/dir> ; rel=\"index\"\r\n"
	    "Replay-Nonce:  abc_DEF \r\n"
	    "location: https://ca.test/order/1\r\n"
	    "Retry-After: 30\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 2\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "{}";
	struct ck_http_resp resp;

	assert_int_equal(fetch_scripted(resp_text, strlen(resp_text), &resp), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.body, "{}");
	assert_string_equal(resp.nonce, "abc_DEF");
	assert_string_equal(resp.location, "https://ca.test/order/1");
	assert_string_equal(resp.retry_after, "30");
	assert_string_equal(resp.content_type, "application/json");
	assert_int_equal(resp.nlinks, 3);
	assert_string_equal(resp.links[0].url, "https://ca.test/cert/1/up");
	assert_string_equal(resp.links[0].rel, "up");
	assert_string_equal(resp.links[1].url, "https://ca.test/cert/1/1");
	assert_string_equal(resp.links[1].rel, "alternate");
	assert_string_equal(resp.links[2].url, "https://ca.test/dir");
	assert_string_equal(resp.links[2].rel, "index");
	ck_http_resp_free(&resp);
}

/* Broken if a header value longer than the cap is kept instead of failing the request. */
static void
test_long_header(void **state)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nReplay-Nonce: ";
	static const char tail[] = "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	struct ck_http_resp resp;
	char *buf;
	size_t n = 5000, len = strlen(head) + n + strlen(tail);

	assert_non_null(buf = malloc(len + 1));
	memcpy(buf, head, strlen(head));
	memset(buf + strlen(head), 'n', n);
	memcpy(buf + strlen(head) + n, tail, strlen(tail) + 1);
	ck_clear_error();
	assert_int_equal(fetch_scripted(buf, len, &resp), -1);
	assert_non_null(strstr(ck_last_error(), "Replay-Nonce"));
	ck_http_resp_free(&resp);
	free(buf);
}

/* Broken if Retry-After is misread, negative or garbage accepted, or not capped. */
static void
test_retry_after(void **state)
{
	time_t now = time(NULL), ahead = now + 60, past = now - 3600;
	char date[64];
	struct tm tm;

	assert_int_equal(ck_http_retry_after("120", now), 120);
	assert_int_equal(ck_http_retry_after("0", now), 0);
	assert_int_equal(ck_http_retry_after("-5", now), -1);
	assert_int_equal(ck_http_retry_after("abc", now), -1);
	assert_int_equal(ck_http_retry_after("12abc", now), -1);
	assert_int_equal(ck_http_retry_after("", now), -1);
	assert_int_equal(ck_http_retry_after(NULL, now), -1);
	assert_int_equal(ck_http_retry_after("99999999999999999999", now), 86400);

	assert_non_null(gmtime_r(&ahead, &tm));
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(ck_http_retry_after(date, now), 60);
	assert_non_null(gmtime_r(&past, &tm));
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(ck_http_retry_after(date, now), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_and_withdraw),
		cmocka_unit_test(test_head_then_get),
		cmocka_unit_test(test_post_not_allowed),
		cmocka_unit_test(test_connection_reused),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_publish_rejects_bad_tokens),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_missing_ca_bundle),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_links_and_interim),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_retry_after),
	};

	/* Loopback only: a proxy from the environment must not see these requests. */
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
