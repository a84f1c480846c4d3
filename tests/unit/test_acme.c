/*
 * test_acme.c: the ACME flow (acme.c) against a scripted CA.
 *
 * The binary is linked with -Wl,--wrap=ck_http_request.  The
 * __wrap_ck_http_request below is the CA: each request must match the next
 * step of a script (method and URL); it is answered with the step's status,
 * body and headers (Replay-Nonce, Location, Retry-After) and recorded.
 * A step may instead fail as the transport would (transport_error).
 * Every POST is verified as a JWS with the account key, and its protected
 * header must carry the request URL and the Replay-Nonce of the response
 * just before it.  Objects are scripted as already final where possible so
 * that acme.c's poll delays (50 ms and up) are not spent.
 *
 * Where an authorization is pending, a real http-01 responder listens on a
 * free port; at the challenge POST the script asks it, over loopback, what
 * it serves for the token.
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
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include <jansson.h>

#include "certkeeper/acme/account.h"
#include "certkeeper/acme/ari.h"
#include "certkeeper/acme/client.h"
#include "certkeeper/acme/order.h"
#include "certkeeper/net/http.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/agent/outcome.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/limits.h"

#define CA		"https://ca.test"
#define U_DIR		CA "/dir"
#define U_NONCE		CA "/nonce"
#define U_NEWACCT	CA "/acct/new"
#define U_NEWORDER	CA "/order/new"
#define U_ACCT		CA "/acct/1"
#define U_ORDER		CA "/order/1"
#define U_FINALIZE	CA "/order/1/finalize"
#define U_CERT		CA "/cert/1"
#define U_AUTHZ1	CA "/authz/1"
#define U_AUTHZ2	CA "/authz/2"
#define U_CHALL1	CA "/chall/1"
#define U_CHALL2	CA "/chall/2"

#define DIR_BODY "{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\"," \
	"\"newOrder\":\"" U_NEWORDER "\",\"revokeCert\":\"" CA "/revoke\"," \
	"\"meta\":{\"termsOfService\":\"" CA "/tos\"}}"
#define ACCT_BODY "{\"status\":\"valid\",\"contact\":[\"mailto:admin@a.example\"]}"
#define ORDER_PENDING_1 "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\"," \
	"\"value\":\"a.example\"}],\"authorizations\":[\"" U_AUTHZ1 "\"],\"finalize\":\"" \
	U_FINALIZE "\"}"
#define ORDER_READY "{\"status\":\"ready\",\"authorizations\":[\"" U_AUTHZ1 "\"]," \
	"\"finalize\":\"" U_FINALIZE "\"}"
#define ORDER_VALID "{\"status\":\"valid\",\"finalize\":\"" U_FINALIZE "\"," \
	"\"certificate\":\"" U_CERT "\"}"
/* The http-01 challenge of script_pending_authz, validated. */
#define CHALL1_VALID "{\"type\":\"http-01\",\"url\":\"" U_CHALL1 "\",\"token\":\"" TOKEN \
	"\",\"status\":\"valid\"}"
#define BADNONCE "{\"type\":\"urn:ietf:params:acme:error:badNonce\"," \
	"\"detail\":\"JWS has an invalid anti-replay nonce\",\"status\":400}"
#define PEM "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUdGVzdA==\n" \
	"-----END CERTIFICATE-----\n"
#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define U_ARI		CA "/renewal-info"
#define ARI_ID		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"	/* RFC 9773 4.1 */
#define U_ARI_ID	U_ARI "/" ARI_ID
#define DIR_ARI_BODY "{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\"," \
	"\"newOrder\":\"" U_NEWORDER "\",\"renewalInfo\":\"" U_ARI "\"}"
#define ARI_T0 ((time_t)1609632000)	/* 2021-01-03T00:00:00Z */
#define ARI_WINDOW "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\"," \
	"\"end\":\"2021-01-07T00:00:00Z\"}}"
#define ALREADY_REPLACED "{\"type\":\"urn:ietf:params:acme:error:alreadyReplaced\"," \
	"\"detail\":\"certificate already replaced by order 7\",\"status\":409}"

#define MAX_STEPS 320	/* an order of CK_MAX_IDENTIFIERS pending names takes ~305 */

struct step {
	char *method;		/* the request expected */
	char *url;
	long status;		/* the answer */
	char *body;
	char *nonce;
	char *location;
	char *retry_after;
	int transport_error;	/* fail as ck_http_request does when no answer comes */
	int64_t takes_ms;	/* how long the answer takes, on the fake clock */
};

struct rec {
	char *method;
	char *url;
	json_t *hdr;		/* POST: the verified protected header */
	char *payload;		/* POST: the verified payload ("" for POST-as-GET) */
	int64_t at_ms;		/* when it was sent, on the fake clock */
};

static struct {
	struct step steps[MAX_STEPS];
	size_t nsteps;
	struct rec recs[MAX_STEPS];
	size_t nrecs;
	const char *prev_nonce;	/* Replay-Nonce of the latest response, or NULL */
	unsigned nonce_seq;
	int probe_port;		/* responder to ask at the challenge POST; 0: none */
	long probe_status;	/* what it answered */
	char probe_body[512];
} S;

static struct ck_signer *signer;
static struct ck_clock *clk;	/* fake: polls wait no real time */
static char *thumbprint;
static int fake_http_storage;
#define FAKE_HTTP ((struct ck_http *)(void *)&fake_http_storage)

static char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	assert_non_null(p = strdup(s));
	return p;
}

/* Appends a step; HEAD and POST answers get a fresh Replay-Nonce by default. */
static struct step *
step(const char *method, const char *url, long status, const char *body, const char *location)
{
	struct step *s;
	char nonce[32];

	assert_true(S.nsteps < MAX_STEPS);
	s = &S.steps[S.nsteps++];
	s->method = xstrdup(method);
	s->url = xstrdup(url);
	s->status = status;
	s->body = xstrdup(body);
	s->location = xstrdup(location);
	if (strcmp(method, "GET") != 0) {
		snprintf(nonce, sizeof(nonce), "nonce-%03u", ++S.nonce_seq);
		s->nonce = xstrdup(nonce);
	}
	return s;
}

static void
reset_state(void)
{
	size_t i;

	for (i = 0; i < S.nsteps; i++) {
		free(S.steps[i].method);
		free(S.steps[i].url);
		free(S.steps[i].body);
		free(S.steps[i].nonce);
		free(S.steps[i].location);
		free(S.steps[i].retry_after);
	}
	for (i = 0; i < S.nrecs; i++) {
		free(S.recs[i].method);
		free(S.recs[i].url);
		json_decref(S.recs[i].hdr);
		free(S.recs[i].payload);
	}
	memset(&S, 0, sizeof(S));
	ck_clear_error();
}

static int
setup(void **state)
{
	reset_state();
	ck_stop_reset();
	clk = ck_clock_fake_new((int64_t)time(NULL) * 1000);
	return clk != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	reset_state();
	ck_clock_free(clk);
	clk = NULL;
	ck_stop_reset();
	return 0;
}

/* GETs the challenge path for token from the responder on 127.0.0.1:port, into S.probe_*. */
static void
probe(int port, const char *token)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	char req[512], resp[4096];
	const char *body;
	size_t have = 0;
	ssize_t n;
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "GET /.well-known/acme-challenge/%s HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n\r\n", token);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	while (have < sizeof(resp) - 1 && (n = recv(fd, resp + have, sizeof(resp) - 1 - have,
	    0)) > 0)
		have += (size_t)n;
	close(fd);
	resp[have] = '\0';
	assert_int_equal(sscanf(resp, "HTTP/1.%*d %ld", &S.probe_status), 1);
	body = strstr(resp, "\r\n\r\n");
	assert_non_null(body);
	snprintf(S.probe_body, sizeof(S.probe_body), "%s", body + 4);
}

/* Checks a POST body: a JWS by the account key for url, on the previous response's nonce. */
static void
check_jws(struct rec *r, const char *url, const char *body, size_t bodylen)
{
	const char *hurl, *nonce;

	assert_non_null(body);
	assert_int_equal(strlen(body), bodylen);
	if (ck_jws_verify(body, signer->pub, &r->hdr, &r->payload) != 0)
		fail_msg("POST %s: the JWS does not verify with the account key", url);
	hurl = json_string_value(json_object_get(r->hdr, "url"));
	assert_non_null(hurl);
	assert_string_equal(hurl, url);
	if (S.prev_nonce == NULL)
		fail_msg("POST %s: the previous response carried no Replay-Nonce", url);
	nonce = json_string_value(json_object_get(r->hdr, "nonce"));
	if (nonce == NULL || strcmp(nonce, S.prev_nonce) != 0)
		fail_msg("POST %s: nonce \"%s\", but the previous response gave \"%s\"", url,
		    nonce ? nonce : "(none)", S.prev_nonce);
	/* RFC 8555 6.2: exactly one of jwk and kid. */
	assert_true((json_object_get(r->hdr, "jwk") == NULL) !=
	    (json_object_get(r->hdr, "kid") == NULL));
}

int __wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp);

/* The scripted CA (replaces ck_http_request at link time). */
int
__wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp)
{
	struct step *s;
	struct rec *r;

	memset(resp, 0, sizeof(*resp));
	assert_ptr_equal(h, FAKE_HTTP);
	if (S.nrecs >= S.nsteps)
		fail_msg("unscripted request #%zu: %s %s", S.nrecs, method, url);
	s = &S.steps[S.nrecs];
	r = &S.recs[S.nrecs++];
	r->method = xstrdup(method);
	r->url = xstrdup(url);
	r->at_ms = ck_clock_now_ms(clk);
	ck_clock_fake_advance(clk, s->takes_ms);
	if (strcmp(method, s->method) != 0 || strcmp(url, s->url) != 0)
		fail_msg("request #%zu: %s %s, but the script expects %s %s", S.nrecs - 1,
		    method, url, s->method, s->url);
	if (strcmp(method, "POST") == 0) {
		check_jws(r, url, body, bodylen);
		if (S.probe_port != 0 && strncmp(url, CA "/chall/", strlen(CA "/chall/")) == 0)
			probe(S.probe_port, TOKEN);
	} else {
		assert_null(body);
		assert_int_equal(bodylen, 0);
	}
	if (s->transport_error) {
		ck_error_as(CK_ERR_NETWORK, "%s %s: Couldn't connect to server (scripted)", method,
		    url);
		return -1;
	}
	S.prev_nonce = s->nonce;
	resp->status = s->status;
	resp->body = xstrdup(s->body ? s->body : "");
	resp->len = strlen(resp->body);
	/* What a CA labels its answers with: a problem, a chain, or JSON. */
	resp->content_type = xstrdup(s->status >= 400 ? "application/problem+json" :
	    strncmp(resp->body, "-----BEGIN", 10) == 0 ? "application/pem-certificate-chain" :
	    "application/json");
	resp->nonce = xstrdup(s->nonce);
	resp->location = xstrdup(s->location);
	resp->retry_after = xstrdup(s->retry_after);
	return 0;
}

/* --- helpers for the tests --------------------------------------------- */

static size_t
count_method(const char *method)
{
	size_t i, n = 0;

	for (i = 0; i < S.nrecs; i++)
		if (strcmp(S.recs[i].method, method) == 0)
			n++;
	return n;
}

static size_t
count_url(const char *url)
{
	size_t i, n = 0;

	for (i = 0; i < S.nrecs; i++)
		if (strcmp(S.recs[i].url, url) == 0)
			n++;
	return n;
}

static const char *
hdr_str(size_t i, const char *name)
{
	assert_true(i < S.nrecs);
	assert_non_null(S.recs[i].hdr);
	return json_string_value(json_object_get(S.recs[i].hdr, name));
}

static void
assert_error_has(const char *needle)
{
	if (strstr(ck_last_error(), needle) == NULL)
		fail_msg("last error \"%s\" does not contain \"%s\"", ck_last_error(), needle);
}

/* Scripts the directory (without a nonce), newNonce and newAccount; makes the client. */
static struct ck_acme *
client_with_account(void)
{
	struct ck_acme *a = NULL;
	char *url = NULL;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, U_ACCT);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), 0);
	assert_string_equal(url, U_ACCT);
	free(url);
	return a;
}

/*
 * Orders a.example with a fixed CSR, answering through solver (may be
 * NULL), with record as the before_finalize callback (may be NULL).
 */
static int
issue_with(struct ck_acme *a, struct ck_solver *solver, int (*record)(void *, const char *),
    char **pem, size_t *pemlen)
{
	static char d1[] = "a.example";
	static char *const domains[] = { d1 };
	static const unsigned char csr[] = { 0x30, 0x82, 0x00 };
	struct ck_order_req req;

	memset(&req, 0, sizeof(req));
	req.identifiers = domains;
	req.nidentifiers = 1;
	req.csr = csr;
	req.csrlen = sizeof(csr);
	req.solver = solver;
	req.before_finalize = record;
	return ck_acme_order(a, &req, pem, pemlen);
}

/* issue_with, without a record. */
static int
issue(struct ck_acme *a, struct ck_solver *solver, char **pem, size_t *pemlen)
{
	return issue_with(a, solver, NULL, pem, pemlen);
}

/* Asserts that nothing listens on port any more: the solver stopped its responder. */
static void
assert_not_listening(int port)
{
	struct sockaddr_in sin;
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(fd);
}

/* Scripts newOrder (pending), the pending authorization and the challenge POST. */
static void
script_pending_authz(void)
{
	step("POST", U_NEWORDER, 201, ORDER_PENDING_1, U_ORDER);
	/* dns-01 first: the client must pick http-01. */
	step("POST", U_AUTHZ1, 200, "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":\"" U_CHALL2
	    "\",\"token\":\"" TOKEN "\",\"status\":\"pending\"},{\"type\":\"http-01\",\"url\":\""
	    U_CHALL1 "\",\"token\":\"" TOKEN "\",\"status\":\"pending\"}]}", NULL);
	step("POST", U_CHALL1, 200, "{\"type\":\"http-01\",\"url\":\"" U_CHALL1 "\","
	    "\"token\":\"" TOKEN "\",\"status\":\"processing\"}", NULL);
}

/* Orders two names with no solver. */
static int
order2(struct ck_acme *a, char *const *domains, const unsigned char *csr, size_t csrlen,
    char **pem, size_t *pemlen)
{
	struct ck_order_req req;

	memset(&req, 0, sizeof(req));
	req.identifiers = domains;
	req.nidentifiers = 2;
	req.csr = csr;
	req.csrlen = csrlen;
	return ck_acme_order(a, &req, pem, pemlen);
}

/* --- the tests ---------------------------------------------------------- */

/* Broken: the basic flow, nonce discipline (fresh nonce per POST, one HEAD), jwk/kid use or the CSR encoding. */
static void
test_happy_path(void **state)
{
	static char d1[] = "a.example", d2[] = "www.a.example";
	static char *const domains[] = { d1, d2 };
	/* Bytes whose base64 differs from base64url ("+/" vs "-_") and that would be padded. */
	static const unsigned char csr[] = { 0x30, 0x82, 0x00, 0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff,
	    0x3e };
	struct ck_acme *a = NULL;
	json_t *jwk, *payload, *want;
	json_error_t jerr;
	char *url = NULL, *pem = NULL;
	size_t pemlen = 0, i;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, U_ACCT);
	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, "{\"status\":\"processing\",\"finalize\":\"" U_FINALIZE
	    "\"}", NULL);
	step("POST", U_ORDER, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);

	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, "mailto:admin@a.example", NULL, 0, &url), 0);
	assert_string_equal(url, U_ACCT);
	assert_int_equal(order2(a, domains, csr, sizeof(csr), &pem, &pemlen), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	assert_non_null(pem);
	assert_int_equal(pemlen, strlen(PEM));
	assert_memory_equal(pem, PEM, pemlen);

	assert_int_equal(count_method("HEAD"), 1);
	for (i = 2; i < S.nrecs; i++) {
		assert_string_equal(S.recs[i].method, "POST");
		assert_non_null(hdr_str(i, "nonce"));
		assert_non_null(S.steps[i - 1].nonce);
		assert_string_equal(hdr_str(i, "nonce"), S.steps[i - 1].nonce);
	}
	/* newAccount: the key itself, and agreement to the terms. */
	assert_null(json_object_get(S.recs[2].hdr, "kid"));
	assert_non_null(jwk = ck_jwk(signer->pub));
	assert_true(json_equal(json_object_get(S.recs[2].hdr, "jwk"), jwk));
	json_decref(jwk);
	assert_non_null(payload = json_loads(S.recs[2].payload, 0, &jerr));
	assert_true(json_is_true(json_object_get(payload, "termsOfServiceAgreed")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(payload, "contact"),
	    0)), "mailto:admin@a.example");
	json_decref(payload);
	/* Everything after: the account URL as kid. */
	for (i = 3; i < S.nrecs; i++) {
		assert_null(json_object_get(S.recs[i].hdr, "jwk"));
		assert_non_null(hdr_str(i, "kid"));
		assert_string_equal(hdr_str(i, "kid"), U_ACCT);
	}
	assert_non_null(payload = json_loads(S.recs[3].payload, 0, &jerr));
	assert_non_null(want = json_pack("{s:[{s:s,s:s},{s:s,s:s}]}", "identifiers", "type", "dns",
	    "value", "a.example", "type", "dns", "value", "www.a.example"));
	assert_true(json_equal(payload, want));
	json_decref(want);
	json_decref(payload);
	assert_non_null(payload = json_loads(S.recs[4].payload, 0, &jerr));
	assert_int_equal(json_object_size(payload), 1);
	assert_string_equal(json_string_value(json_object_get(payload, "csr")), "MIIA----____Pg");
	json_decref(payload);
	/* POST-as-GET (order poll, download): empty payload, not "{}". */
	assert_string_equal(S.recs[5].payload, "");
	assert_string_equal(S.recs[6].payload, "");

	free(pem);
	free(url);
	ck_acme_free(a);
}

/* Broken: the client would follow a plain-http directory entry (requests in clear, open to tampering). */
static void
test_directory_http_refused(void **state)
{
	static const struct {
		const char *name;
		const char *body;
	} cases[] = {
		{ "newNonce", "{\"newNonce\":\"http://ca.test/nonce\",\"newAccount\":\"" U_NEWACCT
		    "\",\"newOrder\":\"" U_NEWORDER "\"}" },
		{ "newAccount", "{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"http://ca.test/acct"
		    "\",\"newOrder\":\"" U_NEWORDER "\"}" },
		{ "newOrder", "{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\","
		    "\"newOrder\":\"http://ca.test/order\"}" },
	};
	struct ck_acme *a = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset_state();
		step("GET", U_DIR, 200, cases[i].body, NULL);
		assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), -1);
		assert_null(a);
		assert_error_has("not an https URL");
		assert_error_has(cases[i].name);
		assert_int_equal(S.nrecs, 1);
	}
}

/* Broken: an order in an unknown state would be finalized (not fail-closed). */
static void
test_order_unknown_status(void **state)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, "{\"status\":\"bogus\",\"authorizations\":[\"" U_AUTHZ1
	    "\"],\"finalize\":\"" U_FINALIZE "\"}", U_ORDER);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("order is bogus");
	assert_int_equal(count_url(U_FINALIZE), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken: an order the CA turned invalid would not say why (the problem's detail). */
static void
test_order_invalid_reports_problem(void **state)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, "{\"status\":\"processing\"}", NULL);
	step("POST", U_ORDER, 200, "{\"status\":\"invalid\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:badCSR\",\"detail\":\"CSR names a.example twice\"}}",
	    NULL);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("order is invalid");
	assert_error_has("badCSR: CSR names a.example twice");
	assert_int_equal(count_url(U_CERT), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken: a server-chosen token could make the responder path escape .well-known (path traversal). */
static void
test_bad_token_refused(void **state)
{
	static const char *const tokens[] = { "../../../../etc/passwd", "abcdefghijklmnop/qrstuvw" };
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char body[1024], *pem = NULL;
	size_t pemlen = 0, i;

	/* A solver, so that only the token check can stop the flow. */
	assert_int_equal(ck_http01_solver_new(ck_test_free_port(), &resp), 0);
	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		ck_clear_error();
		step("POST", U_NEWORDER, 201, ORDER_PENDING_1, U_ORDER);
		snprintf(body, sizeof(body), "{\"status\":\"pending\",\"identifier\":{\"type\":"
		    "\"dns\",\"value\":\"a.example\"},\"challenges\":[{\"type\":\"http-01\","
		    "\"url\":\"" U_CHALL1 "\",\"token\":\"%s\",\"status\":\"pending\"}]}", tokens[i]);
		step("POST", U_AUTHZ1, 200, body, NULL);
		assert_int_equal(issue(a, resp, &pem, &pemlen), -1);
		assert_null(pem);
		/* acme.c's own check, not the responder's refusal, must have stopped it. */
		assert_error_has("token that is not base64url");
		assert_int_equal(count_url(U_CHALL1), 0);
		assert_int_equal(S.nrecs, S.nsteps);
	}
	ck_solver_free(resp);
	ck_acme_free(a);
}

/* Broken: a pending authorization is not answered (key authorization served before the challenge POST, {} payload, withdrawn after). */
static void
test_pending_authz_answered(void **state)
{
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char want[256], *pem = NULL;
	size_t pemlen = 0;
	int port = ck_test_free_port();

	assert_int_equal(ck_http01_solver_new(port, &resp), 0);
	S.probe_port = port;
	script_pending_authz();
	step("POST", U_CHALL1, 200, CHALL1_VALID, NULL);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	assert_int_equal(issue(a, resp, &pem, &pemlen), 0);
	assert_string_equal(pem, PEM);
	assert_int_equal(S.nrecs, S.nsteps);

	snprintf(want, sizeof(want), "%s.%s", TOKEN, thumbprint);
	assert_int_equal(S.probe_status, 200);
	assert_string_equal(S.probe_body, want);
	assert_int_equal(count_url(U_CHALL2), 0);
	assert_string_equal(S.recs[5].url, U_CHALL1);
	assert_string_equal(S.recs[5].payload, "{}");
	/* Polled at the challenge, by POST-as-GET: the authorization is fetched once. */
	assert_string_equal(S.recs[6].url, U_CHALL1);
	assert_string_equal(S.recs[6].payload, "");
	assert_int_equal(count_url(U_AUTHZ1), 1);
	/* Withdrawn after: with its last token gone the responder stops listening. */
	assert_not_listening(port);

	free(pem);
	ck_solver_free(resp);
	ck_acme_free(a);
}

/*
 * Broken: a challenge the CA answers as valid or invalid at once is polled
 * all the same (a request more), the reason in an invalid one is lost, or a
 * challenge that ends neither valid nor invalid is taken for valid.
 */
static void
test_challenge_final_states(void **state)
{
	static const struct {
		const char *answer;	/* to the challenge POST */
		const char *poll;	/* to the one poll, or NULL: none expected */
		const char *error;	/* NULL: issued */
	} cases[] = {
		{ CHALL1_VALID, NULL, NULL },
		{ "{\"status\":\"invalid\",\"error\":{\"type\":"
		    "\"urn:ietf:params:acme:error:dns\",\"detail\":\"no TXT record\"}}", NULL,
		    "authorization for a.example failed: dns: no TXT record" },
		{ "{\"status\":\"pending\"}", "{\"status\":\"deactivated\"}",
		    "http-01 challenge for a.example is deactivated, neither valid nor invalid" },
		{ "{\"status\":\"processing\"}", "{\"type\":\"http-01\"}",
		    "http-01 challenge for a.example is without status, neither valid nor invalid" },
	};
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0, i;
	int chall, fin;

	assert_int_equal(ck_http01_solver_new(ck_test_free_port(), &resp), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_clear_error();
		chall = count_url(U_CHALL1);
		fin = count_url(U_FINALIZE);
		script_pending_authz();
		free(S.steps[S.nsteps - 1].body);
		S.steps[S.nsteps - 1].body = xstrdup(cases[i].answer);
		if (cases[i].poll != NULL)
			step("POST", U_CHALL1, 200, cases[i].poll, NULL);
		if (cases[i].error == NULL) {
			step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
			step("POST", U_CERT, 200, PEM, NULL);
		}
		assert_int_equal(issue(a, resp, &pem, &pemlen), cases[i].error == NULL ? 0 : -1);
		assert_int_equal(S.nrecs, S.nsteps);
		assert_int_equal(count_url(U_CHALL1) - chall, cases[i].poll != NULL ? 2 : 1);
		if (cases[i].error != NULL) {
			assert_null(pem);
			assert_error_has(cases[i].error);
			assert_int_equal(count_url(U_FINALIZE), fin);
		}
		free(pem);
		pem = NULL;
	}
	ck_solver_free(resp);
	ck_acme_free(a);
}

/* What the before_finalize callback saw: calls, requests sent by then, and when. */
static struct {
	int calls;
	size_t nrecs;
	int64_t at_ms;
	int64_t takes_ms;	/* the fake time the record takes */
	char url[128];
} R;

static int
record_hook(void *ctx, const char *order_url)
{
	(void)ctx;
	R.calls++;
	R.nrecs = S.nrecs;
	R.at_ms = ck_clock_now_ms(clk);
	snprintf(R.url, sizeof(R.url), "%s", order_url);
	ck_clock_fake_advance(clk, R.takes_ms);
	return 0;
}

/* issue, with record_hook as before_finalize and R cleared (but for takes_ms). */
static int
issue_recorded(struct ck_acme *a, struct ck_solver *solver, char **pem, size_t *pemlen)
{
	int64_t takes = R.takes_ms;

	memset(&R, 0, sizeof(R));
	R.takes_ms = takes;
	return issue_with(a, solver, record_hook, pem, pemlen);
}

/*
 * Broken: the order is recorded after the CA validated instead of while it
 * does (its disk time added to the wait), the wait before the first poll
 * is not counted from the challenge POST (a slow record waited for twice),
 * or the order is recorded twice or not before finalize.
 */
static void
test_recorded_while_validating(void **state)
{
	static const int64_t takes[] = { 1, CK_ACME_FIRST_POLL_MS + 3 };
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0, i, first;

	assert_int_equal(ck_http01_solver_new(ck_test_free_port(), &resp), 0);
	for (i = 0; i < sizeof(takes) / sizeof(takes[0]); i++) {
		first = S.nrecs;
		script_pending_authz();
		step("POST", U_CHALL1, 200, CHALL1_VALID, NULL);
		step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
		step("POST", U_CERT, 200, PEM, NULL);
		R.takes_ms = takes[i];
		assert_int_equal(issue_recorded(a, resp, &pem, &pemlen), 0);
		assert_int_equal(S.nrecs, S.nsteps);
		assert_int_equal(R.calls, 1);
		assert_string_equal(R.url, U_ORDER);
		/* Right after the challenge POST (first + 2), before its poll. */
		assert_string_equal(S.recs[first + 2].url, U_CHALL1);
		assert_int_equal(R.nrecs, first + 3);
		assert_int_equal(R.at_ms, S.recs[first + 2].at_ms);
		/* The poll: CK_ACME_FIRST_POLL_MS after the POST, or at once after a longer record. */
		assert_int_equal(S.recs[first + 3].at_ms - S.recs[first + 2].at_ms,
		    takes[i] < CK_ACME_FIRST_POLL_MS ? CK_ACME_FIRST_POLL_MS : takes[i]);
		free(pem);
		pem = NULL;
	}
	/* Valid at once: no poll, recorded just before finalize. */
	first = S.nrecs;
	script_pending_authz();
	free(S.steps[S.nsteps - 1].body);
	S.steps[S.nsteps - 1].body = xstrdup(CHALL1_VALID);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	assert_int_equal(issue_recorded(a, resp, &pem, &pemlen), 0);
	assert_int_equal(R.calls, 1);
	assert_int_equal(R.nrecs, first + 3);
	assert_string_equal(S.recs[first + 3].url, U_FINALIZE);
	free(pem);
	ck_solver_free(resp);
	ck_acme_free(a);
}

/* A pending authorization answered and valid, then a finalize the CA finds too early. */
static void
script_finalize_not_ready(void)
{
	script_pending_authz();
	step("POST", U_CHALL1, 200, CHALL1_VALID, NULL);
	step("POST", U_FINALIZE, 403, "{\"type\":\"urn:ietf:params:acme:error:orderNotReady\","
	    "\"detail\":\"order is pending\"}", NULL);
}

/*
 * Broken: finalize is not sent straight after the last valid authorization
 * (the order fetched first: one request more), or a CA that answers it
 * orderNotReady is not waited for: the order is polled until it leaves
 * pending, and finalized again once ready.
 */
static void
test_finalize_early_not_ready(void **state)
{
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;
	int port = ck_test_free_port();

	assert_int_equal(ck_http01_solver_new(port, &resp), 0);
	script_finalize_not_ready();
	step("POST", U_ORDER, 200, "{\"status\":\"pending\"}", NULL)->retry_after = xstrdup("0");
	step("POST", U_ORDER, 200, ORDER_READY, NULL);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	R.takes_ms = 0;
	assert_int_equal(issue_recorded(a, resp, &pem, &pemlen), 0);
	assert_string_equal(pem, PEM);
	assert_int_equal(S.nrecs, S.nsteps);
	assert_int_equal(count_url(U_FINALIZE), 2);
	/* Recorded once, before the first finalize. */
	assert_int_equal(R.calls, 1);
	free(pem);
	ck_solver_free(resp);
	ck_acme_free(a);
}

/* Broken: an order that went invalid behind an orderNotReady answer is finalized again, or its reason lost. */
static void
test_finalize_early_order_invalid(void **state)
{
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;
	int port = ck_test_free_port();

	assert_int_equal(ck_http01_solver_new(port, &resp), 0);
	script_finalize_not_ready();
	step("POST", U_ORDER, 200, "{\"status\":\"invalid\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"account deactivated\"}}",
	    NULL);
	assert_int_equal(issue(a, resp, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("order is invalid, expected ready");
	assert_error_has("unauthorized: account deactivated");
	assert_int_equal(count_url(U_FINALIZE), 1);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_solver_free(resp);
	ck_acme_free(a);
}

/*
 * Scripts a ready order whose newOrder answer takes slow1 ms and finalize
 * slow2 ms, issues it, and gives the pauses before finalize and before the
 * download (the time between one answer and the next request).
 */
static void
paced_issue(struct ck_acme *a, int64_t slow1, int64_t slow2, int64_t *pause1, int64_t *pause2)
{
	char *pem = NULL;
	size_t pemlen = 0, first = S.nrecs;

	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER)->takes_ms = slow1;
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL)->takes_ms = slow2;
	step("POST", U_CERT, 200, PEM, NULL);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	*pause1 = S.recs[first + 1].at_ms - (S.recs[first].at_ms + slow1);
	*pause2 = S.recs[first + 2].at_ms - (S.recs[first + 1].at_ms + slow2);
	free(pem);
}

/*
 * Broken: after a slow answer (a CA that was frozen and is back, with the
 * whole fleet's requests) the client goes on at once, or waits longer than
 * the share of the time it was given or than CK_ACME_PACE_CAP_MS; or the
 * pauses are not random (a fleet would go on together, only later); or a
 * client with little time to spare does not go before one with more (the
 * fleet would not come back in order of expiry); or it pauses again at the
 * next slow answer (a device on a slow link would pay at every request).
 */
static void
test_pacing_after_slow_answer(void **state)
{
	struct ck_acme *a = client_with_account();
	int64_t p1, p2, first = -1;
	int i, differ = 0;

	for (i = 0; i < 8; i++) {
		ck_acme_set_pacing(a, 30000);
		/* 20 s, then exactly CK_ACME_SLOW_MS: both slow, one pause. */
		paced_issue(a, 20000, CK_ACME_SLOW_MS, &p1, &p2);
		assert_true(p1 >= 15000 && p1 <= 24000);
		assert_true(p2 == 0);
		if (first < 0)
			first = p1;
		else if (p1 != first)
			differ = 1;
	}
	assert_true(differ);
	/* The pause comes at the first slow answer, wherever it is. */
	ck_acme_set_pacing(a, 30000);
	paced_issue(a, 10, 20000, &p1, &p2);
	assert_true(p1 == 0);
	assert_true(p2 >= 15000 && p2 <= 24000);
	/* Until pacing is set again, none. */
	paced_issue(a, 20000, 20000, &p1, &p2);
	assert_true(p1 == 0 && p2 == 0);
	/* Little time to spare: a short pause, always before the longer ones above. */
	for (i = 0; i < 4; i++) {
		ck_acme_set_pacing(a, 4000);
		paced_issue(a, 20000, 20000, &p1, &p2);
		assert_true(p1 >= 2000 && p1 <= 3200);
		assert_true(p2 == 0);
	}
	/* Given more time than the cap: at most the cap, and at least its share. */
	for (i = 0; i < 4; i++) {
		ck_acme_set_pacing(a, 3600 * 1000);
		paced_issue(a, 20000, 20000, &p1, &p2);
		assert_true(p1 >= CK_ACME_PACE_CAP_MS * 5 / 8 && p1 <= CK_ACME_PACE_CAP_MS);
		assert_true(p2 == 0);
	}
	ck_acme_free(a);
}

/*
 * Broken: the client pauses without being given time (a certificate that
 * has none to spare), or after an answer that was not slow.
 */
static void
test_pacing_only_when_slow_and_given(void **state)
{
	struct ck_acme *a = client_with_account();
	unsigned waits = ck_clock_fake_waits(clk);
	int64_t p1, p2;

	/* Not given any time: on at once after 20 s answers. */
	paced_issue(a, 20000, 20000, &p1, &p2);
	assert_true(p1 == 0 && p2 == 0);
	/* Given time, but answers just under CK_ACME_SLOW_MS. */
	ck_acme_set_pacing(a, 30000);
	paced_issue(a, CK_ACME_SLOW_MS - 1, CK_ACME_SLOW_MS - 1, &p1, &p2);
	assert_true(p1 == 0 && p2 == 0);
	assert_int_equal(ck_clock_fake_waits(clk), waits);
	/* Taken away again (set to 0). */
	ck_acme_set_pacing(a, 0);
	paced_issue(a, 60000, 60000, &p1, &p2);
	assert_true(p1 == 0 && p2 == 0);
	assert_int_equal(ck_clock_fake_waits(clk), waits);
	ck_acme_free(a);
}

/*
 * Broken: a client made with pacing does not pace after its directory
 * answer (the first request of a run, the one a frozen CA that returns
 * answers late, with the whole fleet's), so a fleet held during an outage
 * goes on all at once.
 */
static void
test_pacing_from_directory(void **state)
{
	struct ck_acme *a = NULL;
	char *url = NULL;
	size_t first = S.nrecs;
	int64_t pause;

	(void)state;
	step("GET", U_DIR, 200, DIR_BODY, NULL)->takes_ms = 20000;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, U_ACCT);
	assert_int_equal(ck_acme_new_paced(FAKE_HTTP, clk, U_DIR, signer, 30000, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), 0);
	free(url);
	assert_int_equal(S.nrecs, S.nsteps);
	pause = S.recs[first + 1].at_ms - (S.recs[first].at_ms + 20000);
	assert_true(pause >= 15000 && pause <= 24000);
	ck_acme_free(a);
	/* Without pacing (ck_acme_new): on at once. */
	first = S.nrecs;
	step("GET", U_DIR, 200, DIR_BODY, NULL)->takes_ms = 20000;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, U_ACCT);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), 0);
	free(url);
	assert_true(S.recs[first + 1].at_ms - S.recs[first].at_ms == 20000);
	ck_acme_free(a);
}

/* Broken: a failed validation would not name the domain or the CA's reason, or would quote its token. */
static void
test_authz_invalid_reports_reason(void **state)
{
	struct ck_solver *resp = NULL;
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;
	int port = ck_test_free_port();

	assert_int_equal(ck_http01_solver_new(port, &resp), 0);
	script_pending_authz();
	/* One more poll, after the shortest wait acme.c allows for Retry-After: 0. */
	step("POST", U_CHALL1, 200, "{\"status\":\"processing\"}", NULL)->retry_after =
	    xstrdup("0");
	step("POST", U_CHALL1, 200, "{\"type\":\"http-01\",\"url\":\"" U_CHALL1 "\","
	    "\"token\":\"" TOKEN "\",\"status\":\"invalid\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:connection\",\"detail\":\"198.51.100.7: Fetching "
	    "http://a.example/.well-known/acme-challenge/" TOKEN ": Connection refused\"}}", NULL);
	assert_int_equal(issue(a, resp, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("authorization for a.example failed");
	/* The CA quotes the URL it fetched: its token is cut out (no token in any log). */
	assert_error_has("connection: 198.51.100.7: Fetching "
	    "http://a.example/.well-known/acme-challenge/TOKEN: Connection refused");
	assert_null(strstr(ck_last_error(), TOKEN));
	assert_int_equal(count_url(U_FINALIZE), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	/* Withdrawn on failure too. */
	assert_not_listening(port);
	ck_solver_free(resp);
	ck_acme_free(a);
}

/* Broken: a badNonce answer is not retried with its fresh nonce (or without one, after a new HEAD). */
static void
test_badnonce_retried(void **state)
{
	struct ck_acme *a = NULL;
	json_t *acct = NULL;
	char *url = NULL;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 400, BADNONCE, NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, U_ACCT);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), 0);
	assert_string_equal(url, U_ACCT);
	assert_int_equal(count_url(U_NEWACCT), 2);
	assert_string_equal(hdr_str(3, "nonce"), S.steps[2].nonce);
	assert_int_equal(count_method("HEAD"), 1);

	/* A badNonce answer without a Replay-Nonce: a new HEAD, then the retry. */
	step("POST", U_ACCT, 400, BADNONCE, NULL);
	free(S.steps[S.nsteps - 1].nonce);
	S.steps[S.nsteps - 1].nonce = NULL;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_ACCT, 200, ACCT_BODY, NULL);
	assert_int_equal(ck_acme_account_fetch(a, &acct), 0);
	assert_string_equal(json_string_value(json_object_get(acct, "status")), "valid");
	assert_int_equal(count_method("HEAD"), 2);
	assert_int_equal(S.nrecs, S.nsteps);
	json_decref(acct);
	free(url);
	ck_acme_free(a);
}

/* Broken: a CA answering badNonce forever would make the client loop (or give up too early). */
static void
test_badnonce_bounded(void **state)
{
	struct ck_acme *a = NULL;
	char *url = NULL;
	int i;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	for (i = 0; i < CK_ACME_MAX_BADNONCE + 1; i++)
		step("POST", U_NEWACCT, 400, BADNONCE, NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), -1);
	assert_null(url);
	assert_int_equal(count_method("POST"), CK_ACME_MAX_BADNONCE + 1);
	assert_int_equal(S.nrecs, S.nsteps);
	assert_error_has("newAccount");
	assert_error_has("badNonce: JWS has an invalid anti-replay nonce");
	ck_acme_free(a);
}

/* Broken: a stored account URL would still cost a newAccount round trip, or not be used as kid. */
static void
test_known_account_url(void **state)
{
	struct ck_acme *a = NULL;
	json_t *acct = NULL;
	char *url = NULL;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, CA "/acct/7", 0, &url), 0);
	assert_string_equal(url, CA "/acct/7");
	assert_int_equal(S.nrecs, 1);

	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", CA "/acct/7", 200, ACCT_BODY, NULL);
	assert_int_equal(ck_acme_account_fetch(a, &acct), 0);
	assert_non_null(hdr_str(2, "kid"));
	assert_string_equal(hdr_str(2, "kid"), CA "/acct/7");
	assert_string_equal(S.recs[2].payload, "");
	json_decref(acct);
	free(url);
	ck_acme_free(a);
}

/* Broken: control characters from the CA reach the log and last_error (terminal/log injection). */
static void
test_problem_sanitized(void **state)
{
	struct ck_acme *a = NULL;
	const char *err;
	char *url = NULL;
	size_t i;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 403, "{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
	    "\"detail\":\"no\\u001b[31m\\r\\nFAKE: ok\\u007f\\u00e9\"}", NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), -1);
	err = ck_last_error();
	assert_error_has("unauthorized: no?[31m??FAKE: ok???");
	for (i = 0; err[i] != '\0'; i++)
		if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
			fail_msg("byte 0x%02x at %zu of the last error", (unsigned char)err[i], i);
	ck_acme_free(a);
}

/* Broken: a body that is not a JSON object (an HTML error page, an array) would be taken as an order. */
static void
test_not_json_refused(void **state)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, "<html><body>Service Unavailable</body></html>", U_ORDER);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("newOrder: the server's answer is not a JSON object");

	ck_clear_error();
	step("POST", U_NEWORDER, 201, "[\"ready\"]", U_ORDER);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("newOrder: the server's answer is not a JSON object");
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken: an authorization the CA already holds as valid would be challenged again. */
static void
test_valid_authz_skipped(void **state)
{
	static char d1[] = "a.example", d2[] = "b.example";
	static char *const domains[] = { d1, d2 };
	static const unsigned char csr[] = { 0x30, 0x82, 0x00 };
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, "{\"status\":\"pending\",\"authorizations\":[\"" U_AUTHZ1
	    "\",\"" U_AUTHZ2 "\"],\"finalize\":\"" U_FINALIZE "\"}", U_ORDER);
	step("POST", U_AUTHZ1, 200, "{\"status\":\"valid\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[{\"type\":\"http-01\",\"url\":\"" U_CHALL1
	    "\",\"token\":\"" TOKEN "\",\"status\":\"valid\"}]}", NULL);
	step("POST", U_AUTHZ2, 200, "{\"status\":\"valid\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"b.example\"},\"challenges\":[{\"type\":\"http-01\",\"url\":\"" U_CHALL2
	    "\",\"token\":\"" TOKEN "\",\"status\":\"valid\"}]}", NULL);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	/* No responder: none may be needed. */
	assert_int_equal(order2(a, domains, csr, sizeof(csr), &pem, &pemlen), 0);
	assert_string_equal(pem, PEM);
	assert_int_equal(count_url(U_CHALL1), 0);
	assert_int_equal(count_url(U_CHALL2), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	free(pem);
	ck_acme_free(a);
}

/* Scripts an order that is ready at once and stays processing after finalize. */
static void
script_processing(const char *retry_after, int npolls)
{
	int i;

	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, "{\"status\":\"processing\"}", NULL)->retry_after =
	    xstrdup(retry_after);
	for (i = 0; i < npolls; i++)
		step("POST", U_ORDER, 200, "{\"status\":\"processing\"}", NULL)->retry_after =
		    xstrdup(retry_after);
}

/*
 * Broken if polling a processing order overruns its deadline, sleeps in real
 * time instead of through the clock, ignores Retry-After, or polls at once
 * after the finalize: the first poll comes CK_ACME_FIRST_POLL_MS after it,
 * and 300 simulated seconds of polls every 7 s end exactly at the deadline.
 */
static void
test_processing_order_bounded(void **state)
{
	struct ck_acme *a = client_with_account();
	struct ck_order_req req;
	static char d1[] = "a.example";
	static char *const domains[] = { d1 };
	static const unsigned char csr[] = { 0x30, 0x82, 0x00 };
	int64_t start = ck_clock_now_ms(clk);
	char *pem = NULL;
	size_t pemlen = 0, i;

	/* Polls at 2 ms, then 7 s apart to 294.002 s, and a last one at the 300 s deadline: 44. */
	script_processing("7", 44);
	memset(&req, 0, sizeof(req));
	req.identifiers = domains;
	req.nidentifiers = 1;
	req.csr = csr;
	req.csrlen = sizeof(csr);
	req.timeout = 300;
	assert_int_equal(ck_acme_order(a, &req, &pem, &pemlen), -1);
	assert_null(pem);
	assert_error_has("order: still processing at the order deadline");
	assert_int_equal(S.nrecs, S.nsteps);
	assert_int_equal(count_url(U_ORDER), 44);
	assert_int_equal(ck_clock_now_ms(clk) - start, 300 * 1000);
	assert_int_equal(ck_clock_fake_waits(clk), 44);
	for (i = 0; i < S.nrecs && strcmp(S.recs[i].url, U_ORDER) != 0; i++)
		continue;
	assert_true(i > 0 && i < S.nrecs);
	assert_string_equal(S.recs[i - 1].url, U_FINALIZE);
	assert_int_equal(S.recs[i].at_ms - S.recs[i - 1].at_ms, CK_ACME_FIRST_POLL_MS);
	assert_int_equal(S.recs[i + 1].at_ms - S.recs[i].at_ms, 7000);
	ck_acme_free(a);
}

/* Broken if a stop request does not end a poll wait, or the outcome does not say interrupted. */
static void
test_stop_ends_poll(void **state)
{
	struct ck_acme *a = client_with_account();
	struct ck_outcome o;
	char *pem = NULL;
	size_t pemlen = 0;

	script_processing("10", 2);
	ck_clock_fake_set_stop_at(clk, ck_clock_now_ms(clk) + 15 * 1000);
	ck_outcome_begin(&o);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	ck_outcome_end(&o, 0);
	assert_true(ck_stop_requested());
	assert_error_has("order: stopped while the CA was processing");
	assert_int_equal(S.nrecs, S.nsteps);
	assert_int_equal(o.result, CK_RESULT_INTERRUPTED);
	assert_int_equal(o.cls, CK_ERR_INTERRUPTED);
	ck_acme_free(a);
}

/* Broken if a CA's problem does not reach the outcome with its type and Retry-After. */
static void
test_problem_in_outcome(void **state)
{
	struct ck_acme *a = client_with_account();
	struct ck_outcome o;
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 429, "{\"type\":\"urn:ietf:params:acme:error:rateLimited\","
	    "\"detail\":\"too many new orders\"}", NULL)->retry_after = xstrdup("120");
	ck_outcome_begin(&o);
	ck_outcome_step(&o, CK_ERR_INTERNAL);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	ck_outcome_end(&o, 0);
	assert_int_equal(o.result, CK_RESULT_FAILURE);
	assert_int_equal(o.cls, CK_ERR_CA);
	assert_string_equal(o.problem, "rateLimited");
	assert_int_equal(o.retry_after, 120);
	assert_non_null(strstr(o.error, "newOrder: the CA refused (HTTP 429): rateLimited: too many"));
	ck_acme_free(a);
}

/* Broken if the ACME client or the solver cannot take as many names as the config allows. */
static void
test_max_identifiers(void **state)
{
	static char names[CK_MAX_IDENTIFIERS + 1][32];
	static char *domains[CK_MAX_IDENTIFIERS + 1];
	static const unsigned char csr[] = { 0x30, 0x82, 0x00 };
	struct ck_solver *solver = NULL;
	struct ck_acme *a = client_with_account();
	struct ck_order_req req;
	char order[CK_MAX_IDENTIFIERS * 40 + 256], body[512], url[64], curl_[64], tok[64];
	char *pem = NULL;
	size_t pemlen = 0, used;
	int i;

	used = (size_t)snprintf(order, sizeof(order), "{\"status\":\"pending\",\"finalize\":\""
	    U_FINALIZE "\",\"authorizations\":[");
	for (i = 0; i <= CK_MAX_IDENTIFIERS; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d.example", i);
		domains[i] = names[i];
	}
	for (i = 0; i < CK_MAX_IDENTIFIERS; i++)
		used += (size_t)snprintf(order + used, sizeof(order) - used, "%s\"" CA "/authz/n%d\"",
		    i ? "," : "", i);
	snprintf(order + used, sizeof(order) - used, "]}");
	step("POST", U_NEWORDER, 201, order, U_ORDER);
	for (i = 0; i < CK_MAX_IDENTIFIERS; i++) {
		snprintf(url, sizeof(url), CA "/authz/n%d", i);
		snprintf(curl_, sizeof(curl_), CA "/chall/n%d", i);
		snprintf(tok, sizeof(tok), "token%03dABCDEFGHIJKLMNOP", i);
		snprintf(body, sizeof(body), "{\"status\":\"pending\",\"identifier\":{\"type\":"
		    "\"dns\",\"value\":\"d%d.example\"},\"challenges\":[{\"type\":\"http-01\","
		    "\"url\":\"%s\",\"token\":\"%s\",\"status\":\"pending\"}]}", i, curl_, tok);
		step("POST", url, 200, body, NULL);
	}
	for (i = 0; i < CK_MAX_IDENTIFIERS; i++) {
		snprintf(curl_, sizeof(curl_), CA "/chall/n%d", i);
		step("POST", curl_, 200, "{\"type\":\"http-01\",\"status\":\"processing\"}", NULL);
	}
	for (i = 0; i < CK_MAX_IDENTIFIERS; i++) {
		snprintf(curl_, sizeof(curl_), CA "/chall/n%d", i);
		step("POST", curl_, 200, "{\"status\":\"valid\"}", NULL);
	}
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);

	assert_int_equal(ck_http01_solver_new(ck_test_free_port(), &solver), 0);
	memset(&req, 0, sizeof(req));
	req.identifiers = domains;
	req.nidentifiers = CK_MAX_IDENTIFIERS;
	req.csr = csr;
	req.csrlen = sizeof(csr);
	req.solver = solver;
	assert_int_equal(ck_acme_order(a, &req, &pem, &pemlen), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	free(pem);
	pem = NULL;

	/* One more is refused before any request. */
	req.nidentifiers = CK_MAX_IDENTIFIERS + 1;
	assert_int_equal(ck_acme_order(a, &req, &pem, &pemlen), -1);
	assert_error_has("an order takes 1 to 100 identifiers, not 101");
	assert_int_equal(S.nrecs, S.nsteps);
	ck_solver_free(solver);
	ck_acme_free(a);
}

/* The function capture_stderr runs at debug level. */
static void (*captured_fn)(void);

static void
at_debug(void)
{
	ck_log_set_level(CK_LOG_DEBUG);
	captured_fn();
	ck_log_set_level(CK_LOG_WARN);
}

/* Runs fn with stderr in a file, at debug level; returns what was printed (malloc'd). */
static char *
capture_stderr(void (*fn)(void))
{
	captured_fn = fn;
	return ck_test_capture_stderr(at_debug);
}

/* Fails if text holds a byte outside printable ASCII other than newline. */
static void
assert_printable(const char *what, const char *text)
{
	size_t i;

	for (i = 0; text[i] != '\0'; i++)
		if (text[i] != '\n' && ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e))
			fail_msg("%s: byte 0x%02x at %zu", what, (unsigned char)text[i], i);
}

#define ESC_IDENT "evil\\u001b]0;owned\\u0007\\u001b[2J.example"

static void
run_escape_identifier(void)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, ORDER_PENDING_1, U_ORDER);
	step("POST", U_AUTHZ1, 200, "{\"status\":\"deactivated\",\"identifier\":{\"type\":"
	    "\"dns\",\"value\":\"" ESC_IDENT "\"}}", NULL);
	assert_int_equal(issue(a, NULL, &pem, &pemlen), -1);
	assert_error_has("authorization for evil?]0;owned??[2J.example is deactivated");
	ck_acme_free(a);
}

static void
run_escape_location(void)
{
	struct ck_acme *a = NULL;
	char *url = NULL;

	step("GET", U_DIR, 200, DIR_BODY, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, ACCT_BODY, CA "/acct/1\033[31m\r\nFAKE: registered");
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), -1);
	assert_null(url);
	assert_error_has("account URL \"" CA "/acct/1?[31m??FAKE: registered\": not an https URL");
	ck_acme_free(a);
}

/*
 * Broken if an escape sequence in a server string (an authorization's
 * identifier, an account Location) reaches the log or the error text raw:
 * terminal and log injection from the network.
 */
static void
test_server_strings_sanitized(void **state)
{
	char *out;

	out = capture_stderr(run_escape_identifier);
	assert_printable("stderr (identifier)", out);
	assert_printable("last error (identifier)", ck_last_error());
	assert_non_null(strstr(out, "evil?]0;owned??[2J.example"));
	free(out);
	reset_state();
	out = capture_stderr(run_escape_location);
	assert_printable("stderr (Location)", out);
	assert_printable("last error (Location)", ck_last_error());
	assert_non_null(strstr(out, "FAKE: registered"));
	free(out);
}

/* --- ACME Renewal Information (RFC 9773) -------------------------------- */

/* Fetches the directory body alone: renewalInfo needs no account, no nonce. */
static struct ck_acme *
client_with_dir(const char *body)
{
	struct ck_acme *a = NULL;

	step("GET", U_DIR, 200, body, NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, signer, &a), 0);
	return a;
}

/* Scripts one renewalInfo answer for ARI_ID. */
static struct step *
ari_step(long status, const char *body, const char *retry_after)
{
	struct step *s = step("GET", U_ARI_ID, status, body, NULL);

	s->retry_after = xstrdup(retry_after);
	return s;
}

/* Asserts that w is what a failed fetch leaves: nothing but the default wait. */
static void
assert_window_cleared(const struct ck_ari_window *w)
{
	assert_true(w->start == 0);
	assert_true(w->end == 0);
	assert_int_equal(w->retry_after, CK_ARI_RETRY_DEFAULT);
	assert_string_equal(w->explanation, "");
}

/*
 * Broken if a good renewalInfo answer is not read into the window (times,
 * Retry-After, explanationURL), or is fetched other than by one plain GET
 * of renewalInfo "/" the identifier (RFC 9773 4.1: unauthenticated).
 */
static void
test_ari_window(void **state)
{
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;

	assert_int_equal(ck_acme_has_ari(a), 1);
	ari_step(200, ARI_WINDOW, "3600");
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), 0);
	assert_true(w.start == ARI_T0);
	assert_true(w.end == ARI_T0 + 4 * 86400);
	assert_int_equal(w.retry_after, 3600);
	assert_string_equal(w.explanation, "");
	assert_int_equal(S.nrecs, 2);
	assert_string_equal(S.recs[1].method, "GET");
	assert_string_equal(S.recs[1].url, U_ARI_ID);
	assert_int_equal(count_method("HEAD"), 0);
	assert_int_equal(count_method("POST"), 0);

	/* Fractions, offsets and an explanation, as a CA may send them. */
	ari_step(200, "{\"suggestedWindow\":{\"start\":\"2021-01-03T02:00:00.123456+02:00\","
	    "\"end\":\"2021-01-02T20:00:00.5-05:00\"},\"explanationURL\":"
	    "\"https://ca.test/docs/ari\"}", "21600");
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), 0);
	assert_true(w.start == ARI_T0);
	assert_true(w.end == ARI_T0 + 3600);
	assert_string_equal(w.explanation, "https://ca.test/docs/ari");
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/*
 * Broken if Retry-After is not clamped to 1 min..1 day (RFC 9773 4.3.2),
 * if its absence or nonsense does not mean the 6 h default (4.3.3), or an
 * HTTP-date is not read against the client's clock.
 */
static void
test_ari_retry_after(void **state)
{
	static const struct {
		const char *header;
		long want;
	} cases[] = {
		{ "3600", 3600 }, { "60", 60 }, { "59", 60 }, { "0", 60 }, { "86400", 86400 },
		{ "86401", 86400 }, { "99999999999999999999", 86400 }, { NULL, 21600 },
		{ "", 21600 }, { "soon", 21600 }, { "-5", 21600 }, { "1.5", 21600 },
	};
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;
	char date[64];
	struct tm tm;
	time_t then;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ari_step(200, ARI_WINDOW, cases[i].header);
		assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), 0);
		if (w.retry_after != cases[i].want)
			fail_msg("Retry-After \"%s\": %ld, expected %ld", cases[i].header ?
			    cases[i].header : "(absent)", w.retry_after, cases[i].want);
	}
	/* Ten days on the fake clock, then a date two hours later: 7200 s, not a real-clock day. */
	ck_clock_fake_advance(clk, (int64_t)10 * 86400 * 1000);
	then = ck_clock_now(clk) + 7200;
	assert_non_null(gmtime_r(&then, &tm));
	assert_true(strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
	ari_step(200, ARI_WINDOW, date);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), 0);
	assert_int_equal(w.retry_after, 7200);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

static struct ck_ari_window escape_window;

static void
run_escape_explanation(void)
{
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);

	ari_step(200, "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":"
	    "\"2021-01-07T00:00:00Z\"},\"explanationURL\":\"https://ca.test/why\\u001b[31m"
	    "\\r\\nFAKE: renewed\\u0007\\u00e9\"}", NULL);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &escape_window), 0);
	ck_acme_free(a);
}

/*
 * Broken if the CA's explanationURL reaches the log or the window raw
 * (terminal and log injection), or is not shown to the operator at all.
 */
static void
test_ari_explanation_sanitized(void **state)
{
	char *out = capture_stderr(run_escape_explanation);

	assert_string_equal(escape_window.explanation, "https://ca.test/why?[31m??FAKE: renewed???");
	assert_printable("stderr (explanationURL)", out);
	assert_non_null(strstr(out, "info: renewalInfo for " ARI_ID ": the CA explains its window "
	    "at https://ca.test/why?[31m??FAKE: renewed???"));
	free(out);
}

/* Broken if a window that does not end after it starts is taken (RFC 9773 4.2: treat as no answer). */
static void
test_ari_empty_window_refused(void **state)
{
	static const char *const bodies[] = {
		"{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":"
		    "\"2021-01-03T00:00:00Z\"}}",
		"{\"suggestedWindow\":{\"start\":\"2021-01-07T00:00:00Z\",\"end\":"
		    "\"2021-01-03T00:00:00Z\"}}",
		/* The same instant written two ways. */
		"{\"suggestedWindow\":{\"start\":\"2021-01-03T02:00:00+02:00\",\"end\":"
		    "\"2021-01-03T00:00:00Z\"}}",
	};
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		ck_clear_error();
		ari_step(200, bodies[i], "3600");
		assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
		assert_error_has("renewalInfo for " ARI_ID ": suggestedWindow ends (");
		assert_error_has(") no later than it starts (");
		assert_window_cleared(&w);
	}
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/*
 * Broken if an answer that is not a well-formed renewalInfo object (not
 * JSON, missing or mistyped fields, times that are not RFC 3339) is taken
 * as a window, or its refusal is not a CA error naming the fault.
 */
static void
test_ari_malformed_refused(void **state)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "", "the server's answer is not a JSON object" },
		{ "<html>busy</html>", "the server's answer is not a JSON object" },
		{ "[\"2021-01-03T00:00:00Z\"]", "the server's answer is not a JSON object" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":"
		    "\"2021-01-07T00:00:00Z\"},\"suggestedWindow\":{\"start\":\"2020-01-01T00:00:00Z\","
		    "\"end\":\"2020-01-02T00:00:00Z\"}}", "the server's answer is not a JSON object" },
		{ "{}", "the answer has no suggestedWindow object" },
		{ "{\"suggestedWindow\":\"2021-01-03T00:00:00Z\"}",
		    "the answer has no suggestedWindow object" },
		{ "{\"suggestedWindow\":[]}", "the answer has no suggestedWindow object" },
		{ "{\"suggestedWindow\":{\"end\":\"2021-01-07T00:00:00Z\"}}",
		    "suggestedWindow has no start string" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\"}}",
		    "suggestedWindow has no end string" },
		{ "{\"suggestedWindow\":{\"start\":1609632000,\"end\":\"2021-01-07T00:00:00Z\"}}",
		    "suggestedWindow has no start string" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":null}}",
		    "suggestedWindow has no end string" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03\",\"end\":\"2021-01-07T00:00:00Z\"}}",
		    "suggestedWindow start \"2021-01-03\" is not an RFC 3339 time" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":"
		    "\"Thu, 07 Jan 2021 00:00:00 GMT\"}}",
		    "suggestedWindow end \"Thu, 07 Jan 2021 00:00:00 GMT\" is not an RFC 3339 time" },
		{ "{\"suggestedWindow\":{\"start\":\"\\u001b[2J2021\",\"end\":"
		    "\"2021-01-07T00:00:00Z\"}}", "suggestedWindow start \"?[2J2021\" is not" },
		{ "{\"suggestedWindow\":{\"start\":\"2021-01-03T00:00:00Z\",\"end\":"
		    "\"2021-01-07T00:00:00Z\"},\"explanationURL\":42}", "explanationURL is not a string" },
	};
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;
	struct ck_outcome o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ari_step(200, cases[i].body, "3600");
		ck_outcome_begin(&o);
		memset(&w, 0x55, sizeof(w));
		assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
		ck_outcome_end(&o, 0);
		if (strstr(o.error, cases[i].why) == NULL ||
		    strstr(o.error, "renewalInfo for " ARI_ID ": ") == NULL)
			fail_msg("body %zu: error \"%s\" does not say \"%s\"", i, o.error,
			    cases[i].why);
		assert_int_equal(o.cls, CK_ERR_CA);
		assert_window_cleared(&w);
		assert_printable("error", o.error);
	}
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken if an answer other than 200, or no answer at all, is taken as a window or not reported. */
static void
test_ari_status_refused(void **state)
{
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;
	struct ck_outcome o;

	ari_step(404, "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":"
	    "\"no such certificate\",\"status\":404}", NULL);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	assert_error_has("renewalInfo for " ARI_ID ": the CA refused (HTTP 404): malformed: "
	    "no such certificate");
	assert_window_cleared(&w);

	ari_step(503, "", "120");
	ck_outcome_begin(&o);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	ck_outcome_end(&o, 0);
	assert_int_equal(o.cls, CK_ERR_CA);
	assert_int_equal(o.retry_after, 120);
	assert_non_null(strstr(o.error, "unexpected HTTP status 503 from the CA"));
	assert_window_cleared(&w);

	/* A 2xx that is not 200 carries no window either. */
	ari_step(204, "", NULL);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	assert_error_has("unexpected HTTP status 204 from the CA");
	ari_step(301, ARI_WINDOW, NULL)->location = xstrdup(CA "/elsewhere");
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	assert_error_has("unexpected HTTP status 301 from the CA");

	/* The transport's own report stands. */
	ari_step(200, ARI_WINDOW, NULL)->transport_error = 1;
	ck_outcome_begin(&o);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	ck_outcome_end(&o, 0);
	assert_int_equal(o.cls, CK_ERR_NETWORK);
	assert_non_null(strstr(o.error, "GET " U_ARI_ID ": Couldn't connect"));
	assert_window_cleared(&w);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken if a CA without renewalInfo is taken for one with ARI, or is asked anyway. */
static void
test_ari_absent(void **state)
{
	struct ck_acme *a = client_with_dir(DIR_BODY);
	struct ck_ari_window w;

	ck_clear_error();
	assert_int_equal(ck_acme_has_ari(a), 0);
	assert_string_equal(ck_last_error(), "");
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
	assert_error_has("renewalInfo: the CA's directory has no usable renewalInfo URL");
	assert_window_cleared(&w);
	assert_int_equal(S.nrecs, 1);
	ck_acme_free(a);
}

/*
 * Broken if a renewalInfo URL that is not https or not printable is
 * followed (a request in clear, or a server string in our logs), or if
 * has_ari reports instead of answering quietly.
 */
static void
test_ari_https_only(void **state)
{
	static const char *const dirs[] = {
		"{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\",\"newOrder\":\""
		    U_NEWORDER "\",\"renewalInfo\":\"http://ca.test/renewal-info\"}",
		"{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\",\"newOrder\":\""
		    U_NEWORDER "\",\"renewalInfo\":\"https://ca.test/renewal\\u001b[2Jinfo\"}",
		"{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\",\"newOrder\":\""
		    U_NEWORDER "\",\"renewalInfo\":\"https://ca.test/renewal info\"}",
		"{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\",\"newOrder\":\""
		    U_NEWORDER "\",\"renewalInfo\":\"https://\"}",
		"{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\",\"newOrder\":\""
		    U_NEWORDER "\",\"renewalInfo\":{\"url\":\"" U_ARI "\"}}",
	};
	struct ck_acme *a;
	struct ck_ari_window w;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		reset_state();
		a = client_with_dir(dirs[i]);
		assert_int_equal(ck_acme_has_ari(a), 0);
		assert_string_equal(ck_last_error(), "");
		assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), -1);
		assert_error_has("no usable renewalInfo URL");
		assert_int_equal(S.nrecs, 1);
		ck_acme_free(a);
	}

	/* A renewalInfo URL with a trailing slash gets no second one. */
	reset_state();
	a = client_with_dir("{\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\","
	    "\"newOrder\":\"" U_NEWORDER "\",\"renewalInfo\":\"" U_ARI "/\"}");
	assert_int_equal(ck_acme_has_ari(a), 1);
	ari_step(200, ARI_WINDOW, NULL);
	assert_int_equal(ck_acme_renewal_info(a, ARI_ID, &w), 0);
	assert_int_equal(S.nrecs, S.nsteps);
	ck_acme_free(a);
}

/* Broken if a certificate identifier could change the renewalInfo path (or query) it is put in. */
static void
test_ari_bad_id_refused(void **state)
{
	static const char *const ids[] = {
		"", "../../acct/1", "aYhba4dGQEHhs3uEe6CuLN4ByNQ", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.",
		"aY.hb.a4", "aYhb/../a4.AIdl", "aYhb.AIdl?x=1", "aYhb.AIdl#f", "aYhb%2f.AIdl",
		"aYhb.AIdl\r\nHost: evil", "aYhb+a4=.AIdl",
	};
	struct ck_acme *a = client_with_dir(DIR_ARI_BODY);
	struct ck_ari_window w;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ck_clear_error();
		assert_int_equal(ck_acme_renewal_info(a, ids[i], &w), -1);
		assert_error_has("is not an ARI certificate identifier");
		assert_printable("error", ck_last_error());
		assert_window_cleared(&w);
	}
	assert_int_equal(ck_acme_renewal_info(a, NULL, &w), -1);
	assert_int_equal(S.nrecs, 1);
	ck_acme_free(a);
}

/* Orders a.example as issue() does, naming the certificate it replaces. */
static int
issue_replacing(struct ck_acme *a, const char *replaces, char **pem, size_t *pemlen)
{
	static char d1[] = "a.example";
	static char *const domains[] = { d1 };
	static const unsigned char csr[] = { 0x30, 0x82, 0x00 };
	struct ck_order_req req;

	memset(&req, 0, sizeof(req));
	req.identifiers = domains;
	req.nidentifiers = 1;
	req.csr = csr;
	req.csrlen = sizeof(csr);
	req.replaces = replaces;
	return ck_acme_order(a, &req, pem, pemlen);
}

/* The newOrder payload recorded at request i, parsed. */
static json_t *
payload_of(size_t i)
{
	json_error_t jerr;
	json_t *p;

	assert_true(i < S.nrecs);
	assert_string_equal(S.recs[i].url, U_NEWORDER);
	assert_non_null(p = json_loads(S.recs[i].payload, 0, &jerr));
	return p;
}

/* Broken if newOrder does not carry "replaces" (RFC 9773 5) beside its identifiers. */
static void
test_order_replaces(void **state)
{
	struct ck_acme *a = client_with_account();
	json_t *p, *want;
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	assert_int_equal(issue_replacing(a, ARI_ID, &pem, &pemlen), 0);
	assert_string_equal(pem, PEM);
	p = payload_of(3);
	assert_non_null(want = json_pack("{s:[{s:s,s:s}],s:s}", "identifiers", "type", "dns",
	    "value", "a.example", "replaces", ARI_ID));
	assert_true(json_equal(p, want));
	json_decref(want);
	json_decref(p);
	assert_int_equal(S.nrecs, S.nsteps);
	free(pem);
	ck_acme_free(a);
}

static int already_rc;

static void
run_already_replaced(void)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;

	step("POST", U_NEWORDER, 409, ALREADY_REPLACED, NULL);
	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, PEM, NULL);
	already_rc = issue_replacing(a, ARI_ID, &pem, &pemlen);
	free(pem);
	ck_acme_free(a);
}

/*
 * Broken if an alreadyReplaced refusal (RFC 9773 5: another order replaced
 * that certificate) ends the renewal instead of one new order without
 * "replaces", or if that retry is not said at info.
 */
static void
test_already_replaced_retried(void **state)
{
	char *out = capture_stderr(run_already_replaced);
	json_t *p, *want;

	assert_int_equal(already_rc, 0);
	assert_int_equal(S.nrecs, S.nsteps);
	assert_int_equal(count_url(U_NEWORDER), 2);
	p = payload_of(3);
	assert_string_equal(json_string_value(json_object_get(p, "replaces")), ARI_ID);
	json_decref(p);
	p = payload_of(4);
	assert_non_null(want = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns",
	    "value", "a.example"));
	assert_true(json_equal(p, want));
	json_decref(want);
	json_decref(p);
	assert_non_null(strstr(out, "info: newOrder: the CA says certificate " ARI_ID " was "
	    "already replaced (alreadyReplaced); ordering again without \"replaces\""));
	assert_null(strstr(out, "error:"));
	free(out);
}

/* Broken if alreadyReplaced is retried more than once, or when no "replaces" was sent. */
static void
test_already_replaced_once(void **state)
{
	struct ck_acme *a = client_with_account();
	char *pem = NULL;
	size_t pemlen = 0;
	json_t *p;

	step("POST", U_NEWORDER, 409, ALREADY_REPLACED, NULL);
	step("POST", U_NEWORDER, 409, ALREADY_REPLACED, NULL);
	assert_int_equal(issue_replacing(a, ARI_ID, &pem, &pemlen), -1);
	assert_null(pem);
	assert_int_equal(count_url(U_NEWORDER), 2);
	assert_int_equal(S.nrecs, S.nsteps);
	p = payload_of(4);
	assert_null(json_object_get(p, "replaces"));
	json_decref(p);
	assert_error_has("newOrder: the CA refused (HTTP 409): alreadyReplaced: certificate "
	    "already replaced by order 7");

	/* Without "replaces" the refusal is not ours to work around. */
	ck_clear_error();
	step("POST", U_NEWORDER, 409, ALREADY_REPLACED, NULL);
	assert_int_equal(issue_replacing(a, NULL, &pem, &pemlen), -1);
	assert_int_equal(count_url(U_NEWORDER), 3);
	assert_int_equal(S.nrecs, S.nsteps);
	assert_error_has("newOrder: the CA refused (HTTP 409): alreadyReplaced");
	ck_acme_free(a);
}

static int
group_setup(void **state)
{
	EVP_PKEY *pkey = NULL;

	ck_log_set_level(CK_LOG_WARN);
	if (ck_soft_generate(CK_KEY_EC_P256, &pkey) != 0)
		return -1;
	if (ck_soft_signer_new(pkey, &signer) != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	return ck_jwk_thumbprint(signer->pub, &thumbprint);
}

static int
group_teardown(void **state)
{
	reset_state();
	ck_signer_free(signer);
	free(thumbprint);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_http_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_unknown_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_invalid_reports_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_token_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_early_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_while_validating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pacing_after_slow_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pacing_from_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pacing_only_when_slow_and_given, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_early_order_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_authz_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_challenge_final_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_invalid_reports_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_badnonce_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_badnonce_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_account_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_sanitized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_json_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_authz_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_processing_order_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_in_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_identifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_strings_sanitized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_explanation_sanitized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_empty_window_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_malformed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_status_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_https_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ari_bad_id_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_replaced_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_already_replaced_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
