/*
 * test_http.c: the HTTPS transport (http.c) against a scripted TLS server
 * on loopback that answers canned bytes per request, for what a real CA
 * would rarely send (oversized bodies and headers, Link lists, interim
 * responses), plus TLS verification, connection reuse, methods and
 * Retry-After parsing.
 *
 * The PKI is made at setup with OpenSSL: a throwaway CA (written to a
 * temporary file, the ca_bundle every client here trusts) that signs a
 * localhost/127.0.0.1 server certificate, and a second CA outside that
 * bundle that signs an impostor's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/net/http.h"
#include "certkeeper/util/log.h"

#define KEYAUTH "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"
/* How long the server waits on a silent peer before giving up on it. */
#define IO_TIMEOUT_SECS 10

/* Returns a listening loopback socket on a free port, the port in *port. */
static int
listen_loopback(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* --- a throwaway PKI --- */

struct pki {
	char ca_file[64];	/* the trusted CA, PEM: the ca_bundle of every client here */
	SSL_CTX *good;		/* serves a 127.0.0.1/localhost certificate that CA signed */
	SSL_CTX *rogue;		/* serves one for those names from a CA outside the bundle */
};

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Issues a certificate for key named cn, valid from an hour ago for a day,
 * signed by issuer/issuer_key (NULL: self-signed CA); a leaf gets the
 * loopback names.
 */
static X509 *
issue(EVP_PKEY *key, const char *cn, long serial, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(x);
	assert_non_null(name);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x,
	    issuer != NULL ? X509_get_subject_name(issuer) : name), 1);
	X509_NAME_free(name);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		add_ext(x, issuer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
	}
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

/* A TLS server context presenting a fresh leaf that ca/ca_key signed. */
static SSL_CTX *
server_ctx(X509 *ca, EVP_PKEY *ca_key)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *leaf;
	SSL_CTX *ctx;

	assert_non_null(key);
	leaf = issue(key, "localhost", 2, ca, ca_key);
	assert_non_null(ctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate(ctx, leaf), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	assert_int_equal(SSL_CTX_check_private_key(ctx), 1);
	X509_free(leaf);
	EVP_PKEY_free(key);
	return ctx;
}

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	EVP_PKEY *ca_key = NULL, *rogue_key = NULL;
	X509 *ca = NULL, *rogue = NULL;
	FILE *f;
	int fd;

	assert_non_null(p);
	assert_non_null(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_non_null(rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ca = issue(ca_key, "certkeeper test CA", 1, NULL, NULL);
	rogue = issue(rogue_key, "certkeeper impostor CA", 1, NULL, NULL);
	p->good = server_ctx(ca, ca_key);
	p->rogue = server_ctx(rogue, rogue_key);

	snprintf(p->ca_file, sizeof(p->ca_file), "/tmp/ck-test-http-ca-XXXXXX");
	assert_true((fd = mkstemp(p->ca_file)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(PEM_write_X509(f, ca), 1);
	assert_int_equal(fclose(f), 0);

	X509_free(ca);
	X509_free(rogue);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rogue_key);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;

	unlink(p->ca_file);
	SSL_CTX_free(p->good);
	SSL_CTX_free(p->rogue);
	free(p);
	return 0;
}

/*
 * --- a scripted server: answers the next canned response to each request ---
 * It speaks TLS with ctx's certificate, or plain HTTP when ctx is NULL
 * (only to show that the transport never talks to such a server).
 */

/* One canned answer. */
struct step {
	const char *resp;
	size_t len;
	int close;		/* close the connection after it, else keep it for the next request */
};

/* A request as the server received it. */
struct seen {
	char head[4096];	/* request line and headers, NUL-terminated (truncated if longer) */
	char body[256];
	size_t bodylen;
};

#define MAX_SEEN 8

struct tlssrv {
	SSL_CTX *ctx;		/* NULL: plain HTTP */
	int fd, port;
	int stop[2];		/* a byte on stop[1] ends the server */
	const struct step *steps;
	size_t nsteps, next;
	pthread_t thread;
	/* Written by the server thread only; read by the test after tlssrv_stop joins it. */
	unsigned nconns;	/* TCP connections accepted */
	unsigned nhandshakes;	/* of which completed a TLS handshake */
	struct seen seen[MAX_SEEN];
	size_t nseen;
	char buf[65536];	/* the connection being served: requests read, not yet answered */
};

/* Waits for fd to be readable; returns 1 if so, 0 on stop, timeout or error. */
static int
wait_readable(struct tlssrv *s, int fd, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = s->stop[0], .events = POLLIN },
	};
	int n;

	while ((n = poll(p, 2, timeout_ms)) < 0 && errno == EINTR)
		;
	return n > 0 && !(p[1].revents & POLLIN) && p[0].revents != 0;
}

/* Reads at most room bytes of application data; returns the count, or 0 if the peer is done. */
static size_t
conn_read(struct tlssrv *s, SSL *ssl, int c, char *buf, size_t room)
{
	ssize_t n;

	/* Bytes OpenSSL already decrypted would not wake poll. */
	if ((ssl == NULL || SSL_pending(ssl) == 0) &&
	    !wait_readable(s, c, IO_TIMEOUT_SECS * 1000))
		return 0;
	n = ssl != NULL ? SSL_read(ssl, buf, (int)room) : recv(c, buf, room, 0);
	return n > 0 ? (size_t)n : 0;
}

/* Sends all of buf; returns 0, or -1 if the peer hung up (as on the body cap) or timed out. */
static int
conn_write(SSL *ssl, int c, const char *buf, size_t len)
{
	ssize_t n;

	if (ssl != NULL)
		return SSL_write(ssl, buf, (int)len) == (int)len ? 0 : -1;
	while (len > 0) {
		if ((n = send(c, buf, len, MSG_NOSIGNAL)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Returns the Content-Length in the request head [buf, buf + len), or 0 if there is none. */
static size_t
content_length(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *eol;

	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = eol + 1;
		if ((size_t)(end - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
			return strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/*
 * Reads one request (head, and a body of its Content-Length) into buf,
 * where *have bytes are already waiting, and records it; the bytes after
 * it stay in buf.  Returns 0, or -1 if the connection ended first.
 */
static int
read_request(struct tlssrv *s, SSL *ssl, int c, char *buf, size_t size, size_t *have)
{
	struct seen *rec;
	char *eoh;
	size_t headlen, total, n;

	buf[*have] = '\0';
	while ((eoh = strstr(buf, "\r\n\r\n")) == NULL) {
		if (*have == size - 1 ||
		    (n = conn_read(s, ssl, c, buf + *have, size - 1 - *have)) == 0)
			return -1;
		*have += n;
		buf[*have] = '\0';
	}
	headlen = (size_t)(eoh - buf) + 4;
	if ((total = headlen + content_length(buf, headlen)) > size - 1)
		return -1;
	while (*have < total) {
		if ((n = conn_read(s, ssl, c, buf + *have, size - 1 - *have)) == 0)
			return -1;
		*have += n;
	}
	if (s->nseen < MAX_SEEN) {
		rec = &s->seen[s->nseen++];
		snprintf(rec->head, sizeof(rec->head), "%.*s", (int)headlen, buf);
		rec->bodylen = total - headlen;
		if (rec->bodylen > sizeof(rec->body) - 1)
			rec->bodylen = sizeof(rec->body) - 1;
		memcpy(rec->body, buf + headlen, rec->bodylen);
		rec->body[rec->bodylen] = '\0';
	}
	memmove(buf, buf + total, *have - total);
	*have -= total;
	return 0;
}

/* Serves one connection: TLS handshake (unless plain), then one scripted answer per request. */
static void
serve_conn(struct tlssrv *s, int c)
{
	struct timeval tv = { IO_TIMEOUT_SECS, 0 };
	const struct step *st;
	size_t have = 0;
	SSL *ssl = NULL;

	/* A stuck client must not hang the handshake or a write forever. */
	(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (s->ctx != NULL) {
		if ((ssl = SSL_new(s->ctx)) == NULL)
			return;
		if (SSL_set_fd(ssl, c) != 1 || SSL_accept(ssl) != 1)
			goto out;
		s->nhandshakes++;
	}
	while (s->next < s->nsteps) {
		if (read_request(s, ssl, c, s->buf, sizeof(s->buf), &have) < 0)
			goto out;
		st = &s->steps[s->next++];
		if (conn_write(ssl, c, st->resp, st->len) < 0)
			goto out;
		if (st->close)
			break;
	}
	if (ssl != NULL)
		(void)SSL_shutdown(ssl);
out:
	SSL_free(ssl);
}

static void *
tlssrv_main(void *arg)
{
	struct tlssrv *s = arg;
	int c;

	while (wait_readable(s, s->fd, -1)) {
		if ((c = accept(s->fd, NULL, NULL)) < 0)
			continue;
		s->nconns++;
		serve_conn(s, c);
		close(c);
	}
	return NULL;
}

/* Starts a server with ctx's certificate (NULL: plain HTTP) answering steps[0..nsteps) in turn. */
static void
tlssrv_start(struct tlssrv *s, SSL_CTX *ctx, const struct step *steps, size_t nsteps)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->steps = steps;
	s->nsteps = nsteps;
	s->fd = listen_loopback(&s->port);
	assert_int_equal(pipe(s->stop), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, tlssrv_main, s), 0);
}

/* Stops and joins the server; only then may the test read what it saw. */
static void
tlssrv_stop(struct tlssrv *s)
{
	assert_int_equal(write(s->stop[1], "x", 1), 1);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	close(s->stop[0]);
	close(s->stop[1]);
	close(s->fd);
}

static void
tlssrv_url(const struct tlssrv *s, char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "https://127.0.0.1:%d%s", s->port, path);
}

/* GETs / from a trusted server that answers resp once; returns ck_http_request's status. */
static int
fetch_scripted(const struct pki *p, const char *resp, size_t resplen, struct ck_http_resp *r)
{
	const struct step steps[] = { { resp, resplen, 1 } };
	struct ck_http *h = NULL;
	struct tlssrv s;
	char url[64];
	int rc;

	tlssrv_start(&s, p->good, steps, 1);
	tlssrv_url(&s, url, sizeof(url), "/");
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
	rc = ck_http_request(h, "GET", url, NULL, 0, r);
	ck_http_free(h);
	tlssrv_stop(&s);
	return rc;
}

/* --- failures before any HTTP --- */

/* Broken if a transport failure returns 0, or its error does not name the URL. */
static void
test_closed_port(void **state)
{
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char url[128];

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/nothing-here", ck_test_free_port());
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
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

/* Broken if the transport speaks plain http: the URL must be refused before any connection. */
static void
test_plain_http_refused(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	const struct step steps[] = { { ok, sizeof(ok) - 1, 1 } };
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	struct tlssrv s;
	char url[64];

	tlssrv_start(&s, NULL, steps, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/directory", s.port);
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
	ck_clear_error();
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), -1);
	assert_non_null(strstr(ck_last_error(), url));
	ck_http_resp_free(&resp);
	ck_http_free(h);
	tlssrv_stop(&s);
	assert_int_equal(s.nconns, 0);
	assert_int_equal(s.nseen, 0);
}

/* Broken if a server whose certificate the CA bundle did not sign is talked to at all. */
static void
test_untrusted_certificate(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	const struct step steps[] = { { ok, sizeof(ok) - 1, 1 } };
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	struct tlssrv s;
	char url[64];

	tlssrv_start(&s, p->rogue, steps, 1);
	tlssrv_url(&s, url, sizeof(url), "/");
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
	ck_clear_error();
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), -1);
	assert_non_null(strstr(ck_last_error(), url));
	assert_non_null(strstr(ck_last_error(), "certificate"));
	ck_http_resp_free(&resp);
	ck_http_free(h);
	tlssrv_stop(&s);
	assert_int_equal(s.nconns, 1);
	assert_int_equal(s.nhandshakes, 0);
	assert_int_equal(s.nseen, 0);
}

/* --- what the server sends --- */

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
	const struct pki *p = *state;
	struct ck_http_resp resp;
	size_t len;
	char *buf;

	buf = big_response(CK_HTTP_MAX_BODY, &len);
	assert_int_equal(fetch_scripted(p, buf, len, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.len, CK_HTTP_MAX_BODY);
	assert_int_equal(resp.body[resp.len], '\0');
	ck_http_resp_free(&resp);
	free(buf);

	buf = big_response(CK_HTTP_MAX_BODY + 1, &len);
	ck_clear_error();
	assert_int_equal(fetch_scripted(p, buf, len, &resp), -1);
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
	const struct pki *p = *state;
	struct ck_http_resp resp;

	assert_int_equal(fetch_scripted(p, resp_text, strlen(resp_text), &resp), 0);
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
	const struct pki *p = *state;
	struct ck_http_resp resp;
	char *buf;
	size_t n = 5000, len = strlen(head) + n + strlen(tail);

	assert_non_null(buf = malloc(len + 1));
	memcpy(buf, head, strlen(head));
	memset(buf + strlen(head), 'n', n);
	memcpy(buf + strlen(head) + n, tail, strlen(tail) + 1);
	ck_clear_error();
	assert_int_equal(fetch_scripted(p, buf, len, &resp), -1);
	assert_non_null(strstr(ck_last_error(), "Replay-Nonce"));
	ck_http_resp_free(&resp);
	free(buf);
}

/* --- requests over one handle --- */

static const char ok_keepalive[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

/* Broken if each request opens a new connection (and TLS handshake) instead of reusing one. */
static void
test_connection_reused(void **state)
{
	const struct step steps[] = {
		{ ok_keepalive, sizeof(ok_keepalive) - 1, 0 },
		{ ok_keepalive, sizeof(ok_keepalive) - 1, 0 },
	};
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	struct tlssrv s;
	char url[64];

	tlssrv_start(&s, p->good, steps, 2);
	tlssrv_url(&s, url, sizeof(url), "/dir");
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "ok");
	ck_http_resp_free(&resp);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "ok");
	ck_http_resp_free(&resp);
	assert_int_equal(ck_http_request_count(h), 2);
	assert_int_equal(ck_http_connect_count(h), 1);
	ck_http_free(h);
	tlssrv_stop(&s);
	assert_int_equal(s.nconns, 1);
	assert_int_equal(s.nseen, 2);
}

/* Broken if a HEAD leaves CURLOPT_NOBODY set so the next GET loses its body. */
static void
test_head_then_get(void **state)
{
	char head_resp[128], get_resp[256];
	struct step steps[2];
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	struct tlssrv s;
	char url[64];
	int n;

	/* A HEAD answer has the GET's headers, Content-Length included, and no body. */
	n = snprintf(head_resp, sizeof(head_resp),
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
	    strlen(KEYAUTH));
	assert_true(n > 0 && (size_t)n < sizeof(head_resp));
	snprintf(get_resp, sizeof(get_resp), "%s%s", head_resp, KEYAUTH);
	steps[0] = (struct step){ head_resp, strlen(head_resp), 0 };
	steps[1] = (struct step){ get_resp, strlen(get_resp), 0 };
	tlssrv_start(&s, p->good, steps, 2);
	tlssrv_url(&s, url, sizeof(url), "/nonce");
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);

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
	tlssrv_stop(&s);
	assert_int_equal(s.nseen, 2);
	assert_memory_equal(s.seen[0].head, "HEAD /nonce ", 12);
	assert_memory_equal(s.seen[1].head, "GET /nonce ", 11);
}

/* Broken if a POST body or its JOSE content type is not sent, or POST state sticks to the next GET. */
static void
test_post_body_sent(void **state)
{
	static const char created[] =
	    "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	static const char body[] = "{\"protected\":\"e30\",\"payload\":\"\",\"signature\":\"c2ln\"}";
	const struct step steps[] = {
		{ created, sizeof(created) - 1, 0 },
		{ ok_keepalive, sizeof(ok_keepalive) - 1, 0 },
	};
	const struct pki *p = *state;
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	struct tlssrv s;
	char url[64];

	tlssrv_start(&s, p->good, steps, 2);
	tlssrv_url(&s, url, sizeof(url), "/new-order");
	assert_int_equal(ck_http_new(p->ca_file, &h), 0);
	assert_int_equal(ck_http_request(h, "POST", url, body, strlen(body), &resp), 0);
	assert_int_equal(resp.status, 201);
	ck_http_resp_free(&resp);
	assert_int_equal(ck_http_request(h, "GET", url, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	ck_http_resp_free(&resp);
	ck_http_free(h);
	tlssrv_stop(&s);

	assert_int_equal(s.nseen, 2);
	assert_memory_equal(s.seen[0].head, "POST /new-order ", 16);
	assert_non_null(strstr(s.seen[0].head, "\r\nContent-Type: application/jose+json\r\n"));
	assert_int_equal(s.seen[0].bodylen, strlen(body));
	assert_string_equal(s.seen[0].body, body);
	assert_memory_equal(s.seen[1].head, "GET /new-order ", 15);
	assert_null(strstr(s.seen[1].head, "Content-Type"));
	assert_int_equal(s.seen[1].bodylen, 0);
}

/* --- parsing alone --- */

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
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_missing_ca_bundle),
		cmocka_unit_test(test_plain_http_refused),
		cmocka_unit_test(test_untrusted_certificate),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_links_and_interim),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_connection_reused),
		cmocka_unit_test(test_head_then_get),
		cmocka_unit_test(test_post_body_sent),
		cmocka_unit_test(test_retry_after),
	};
	struct sigaction sa;

	/* OpenSSL writes with write(2): a client hanging up mid-answer must not kill the test. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return 1;
	/* Loopback only: a proxy from the environment must not see these requests. */
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
