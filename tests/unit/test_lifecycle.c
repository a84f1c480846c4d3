/*
 * test_lifecycle.c: the account and certificate lifecycle of the ACME
 * client against canned CA answers: ACME profiles (meta.profiles; Pebble
 * 2.4 has none), the external account binding's JWS, the choice among
 * alternate chains, revokeCert and keyChange.
 *
 * Linked with -Wl,--wrap=ck_http_request: __wrap_ck_http_request answers
 * from a script of (method, URL) steps in order and records each request
 * body; a request the script does not expect fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certkeeper/acme/account.h"
#include "certkeeper/acme/client.h"
#include "certkeeper/acme/order.h"
#include "certkeeper/acme/revoke.h"
#include "certkeeper/agent/outcome.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/net/http.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

#define CA		"https://ca.test"
#define U_DIR		CA "/dir"
#define U_NONCE		CA "/nonce"
#define U_NEWACCT	CA "/acct/new"
#define U_NEWORDER	CA "/order/new"
#define U_ACCT		CA "/acct/1"
#define U_ORDER		CA "/order/1"
#define U_FINALIZE	CA "/order/1/finalize"
#define U_CERT		CA "/cert/1"
#define U_ALT1		CA "/cert/1/alt/1"
#define U_ALT2		CA "/cert/1/alt/2"
#define U_REVOKE	CA "/revoke"
#define U_KEYCHANGE	CA "/key-change"

#define DIR_URLS "\"newNonce\":\"" U_NONCE "\",\"newAccount\":\"" U_NEWACCT "\"," \
	"\"newOrder\":\"" U_NEWORDER "\",\"revokeCert\":\"" U_REVOKE "\"," \
	"\"keyChange\":\"" U_KEYCHANGE "\""
#define DIR_PLAIN "{" DIR_URLS "}"
#define DIR_PROFILES "{" DIR_URLS ",\"meta\":{\"profiles\":{\"classic\":\"90 days\"," \
	"\"shortlived\":\"7 days\"}}}"
#define DIR_EAB "{" DIR_URLS ",\"meta\":{\"externalAccountRequired\":true}}"
#define ORDER_READY "{\"status\":\"ready\",\"authorizations\":[],\"finalize\":\"" \
	U_FINALIZE "\"}"
#define ORDER_VALID "{\"status\":\"valid\",\"certificate\":\"" U_CERT "\"}"
#define PROBLEM(t, d) "{\"type\":\"urn:ietf:params:acme:error:" t "\",\"detail\":\"" d "\"}"

#define MAX_STEPS 16
#define MAX_LINKS 2

struct step {
	const char *method, *url;
	long status;
	char *body;
	const char *location;
	const char *links[MAX_LINKS];	/* rel="alternate" targets */
};

static struct {
	struct step steps[MAX_STEPS];
	size_t nsteps, next;
	char *bodies[MAX_STEPS];	/* what each request sent */
	unsigned nonce;
} S;

static struct ck_signer *account;
static struct ck_clock *clk;
static int fake_http_storage;
#define FAKE_HTTP ((struct ck_http *)(void *)&fake_http_storage)

static struct step *
step(const char *method, const char *url, long status, const char *body, const char *location)
{
	struct step *s;

	assert_true(S.nsteps < MAX_STEPS);
	s = &S.steps[S.nsteps++];
	s->method = method;
	s->url = url;
	s->status = status;
	assert_non_null(s->body = strdup(body));
	s->location = location;
	return s;
}

static char *
dup_or_null(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	assert_non_null(p = strdup(s));
	return p;
}

int __wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp);

int
__wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp)
{
	struct step *s;
	char nonce[32];
	size_t i;

	memset(resp, 0, sizeof(*resp));
	assert_ptr_equal(h, FAKE_HTTP);
	if (S.next >= S.nsteps)
		fail_msg("unscripted request: %s %s", method, url);
	s = &S.steps[S.next];
	if (strcmp(method, s->method) != 0 || strcmp(url, s->url) != 0)
		fail_msg("request #%zu: %s %s, but the script expects %s %s", S.next, method, url,
		    s->method, s->url);
	if (body != NULL) {
		assert_non_null(S.bodies[S.next] = malloc(bodylen + 1));
		memcpy(S.bodies[S.next], body, bodylen);
		S.bodies[S.next][bodylen] = '\0';
	}
	S.next++;
	resp->status = s->status;
	resp->body = dup_or_null(s->body);
	resp->len = strlen(s->body);
	resp->location = dup_or_null(s->location);
	/* What a CA labels its answers with: a problem, a chain, or JSON. */
	resp->content_type = dup_or_null(s->status >= 400 ? "application/problem+json" :
	    strcmp(url, U_CERT) == 0 || strncmp(s->body, "-----BEGIN", 10) == 0 ?
	    "application/pem-certificate-chain" :
	    "application/json");
	/* Nonces come from HEAD newNonce and POST answers, as the script lists them. */
	snprintf(nonce, sizeof(nonce), "nonce-%u", ++S.nonce);
	if (strcmp(method, "GET") != 0)
		resp->nonce = dup_or_null(nonce);
	for (i = 0; i < MAX_LINKS && s->links[i] != NULL; i++) {
		resp->links[i].url = dup_or_null(s->links[i]);
		resp->links[i].rel = dup_or_null("alternate");
		resp->nlinks++;
	}
	return 0;
}

static void
reset(void)
{
	size_t i;

	for (i = 0; i < S.nsteps; i++) {
		free(S.steps[i].body);
		free(S.bodies[i]);
	}
	memset(&S, 0, sizeof(S));
	ck_clear_error();
}

static int
setup(void **state)
{
	(void)state;
	reset();
	return (clk = ck_clock_fake_new((int64_t)time(NULL) * 1000)) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	reset();
	ck_clock_free(clk);
	return 0;
}

/* A client on directory dir with the account registered as U_ACCT. */
static struct ck_acme *
client(const char *dir)
{
	struct ck_acme *a = NULL;
	char *url = NULL;

	step("GET", U_DIR, 200, dir, NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, account, &a), 0);
	assert_int_equal(ck_acme_account(a, NULL, U_ACCT, 0, &url), 0);
	free(url);
	return a;
}

/* The verified payload of request i, signed by key, as JSON; *hdr the protected header. */
static json_t *
signed_payload(size_t i, const EVP_PKEY *key, json_t **hdr)
{
	char *payload = NULL;
	json_error_t jerr;
	json_t *j;

	assert_non_null(S.bodies[i]);
	assert_int_equal(ck_jws_verify(S.bodies[i], key, hdr, &payload), 0);
	j = payload[0] == '\0' ? json_object() : json_loads(payload, 0, &jerr);	/* "": POST-as-GET */
	free(payload);
	assert_non_null(j);
	return j;
}

static void
assert_error_has(const char *needle)
{
	if (strstr(ck_last_error(), needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", ck_last_error(), needle);
}

static const unsigned char csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
static char name0[] = "a.example";
static char *const names[] = { name0 };

static int
order(struct ck_acme *a, struct ck_order_req *req, char **pem, size_t *len)
{
	req->identifiers = names;
	req->nidentifiers = 1;
	req->csr = csr;
	req->csrlen = sizeof(csr);
	return ck_acme_order(a, req, pem, len);
}

/* --- profiles ---------------------------------------------------------------- */

/* Broken if a profile the CA lists is not sent in newOrder. */
static void
test_profile_sent(void **state)
{
	struct ck_acme *a = client(DIR_PROFILES);
	struct ck_order_req req = { 0 };
	json_t *p, *hdr = NULL;
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, "PEM", NULL);
	req.profile = "shortlived";
	assert_int_equal(order(a, &req, &pem, &len), 0);
	p = signed_payload(2, account->pub, &hdr);
	assert_string_equal(json_string_value(json_object_get(p, "profile")), "shortlived");
	json_decref(p);
	json_decref(hdr);
	free(pem);
	ck_acme_free(a);
}

/* Broken if newOrder carried a profile field when none is configured. */
static void
test_no_profile_none_sent(void **state)
{
	struct ck_acme *a = client(DIR_PROFILES);
	struct ck_order_req req = { 0 };
	json_t *p, *hdr = NULL;
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	step("POST", U_CERT, 200, "PEM", NULL);
	assert_int_equal(order(a, &req, &pem, &len), 0);
	p = signed_payload(2, account->pub, &hdr);
	assert_null(json_object_get(p, "profile"));
	json_decref(p);
	json_decref(hdr);
	free(pem);
	ck_acme_free(a);
}

/* Broken if a profile the CA does not list were ordered, or the error did not name those offered. */
static void
test_profile_not_offered(void **state)
{
	struct ck_acme *a = client(DIR_PROFILES);
	struct ck_order_req req = { 0 };
	struct ck_outcome o;
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	req.profile = "tlsserver";
	ck_outcome_begin(&o);
	assert_int_equal(order(a, &req, &pem, &len), -1);
	ck_outcome_end(&o, 0);
	assert_int_equal(S.next, 1);	/* no request after the directory */
	assert_int_equal(o.cls, CK_ERR_CONFIG);
	assert_error_has("profile \"tlsserver\" is not offered by the CA (it offers "
	    "\"classic\", \"shortlived\")");
	ck_acme_free(a);
}

/* Broken if a CA without meta.profiles were sent a profile it would ignore. */
static void
test_profile_ca_without_profiles(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_order_req req = { 0 };
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	req.profile = "classic";
	assert_int_equal(order(a, &req, &pem, &len), -1);
	assert_int_equal(S.next, 1);
	assert_error_has("the CA offers no profiles");
	ck_acme_free(a);
}

/* Broken if the CA's invalidProfile did not reach the outcome as that problem. */
static void
test_invalid_profile_reported(void **state)
{
	struct ck_acme *a = client(DIR_PROFILES);
	struct ck_order_req req = { 0 };
	struct ck_outcome o;
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWORDER, 400, PROBLEM("invalidProfile", "shortlived is closed"), NULL);
	req.profile = "shortlived";
	ck_outcome_begin(&o);
	ck_outcome_step(&o, CK_ERR_CA);
	assert_int_equal(order(a, &req, &pem, &len), -1);
	ck_outcome_end(&o, 0);
	assert_string_equal(o.problem, "invalidProfile");
	assert_error_has("invalidProfile: shortlived is closed");
	ck_acme_free(a);
}

/* --- external account binding ----------------------------------------------- */

static const unsigned char eab_key[32] = "0123456789abcdef0123456789abcdef";

/* Broken if the binding is not HS256 over the account JWK with the kid and newAccount URL. */
static void
test_eab_binding(void **state)
{
	struct ck_acme *a = NULL;
	json_t *p, *hdr = NULL, *eab, *prot = NULL, *inner = NULL, *jwk;
	const char *prot64, *pay64, *sig64;
	unsigned char *raw = NULL, mac[64];
	size_t rawlen = 0, maclen = 0;
	char *url = NULL, *input, *want, *got;
	json_error_t jerr;

	(void)state;
	step("GET", U_DIR, 200, DIR_EAB, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 201, "{\"status\":\"valid\"}", U_ACCT);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, account, &a), 0);
	ck_acme_set_eab(a, "kid-7", eab_key, sizeof(eab_key));
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), 0);
	p = signed_payload(2, account->pub, &hdr);
	eab = json_object_get(p, "externalAccountBinding");
	assert_int_equal(json_unpack(eab, "{s:s, s:s, s:s}", "protected", &prot64, "payload",
	    &pay64, "signature", &sig64), 0);
	assert_int_equal(ck_b64url_decode(prot64, &raw, &rawlen), 0);
	assert_non_null(prot = json_loadb((char *)raw, rawlen, 0, &jerr));
	free(raw);
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), "HS256");
	assert_string_equal(json_string_value(json_object_get(prot, "kid")), "kid-7");
	assert_string_equal(json_string_value(json_object_get(prot, "url")), U_NEWACCT);
	assert_null(json_object_get(prot, "nonce"));
	/* The payload is the account key's JWK. */
	assert_int_equal(ck_b64url_decode(pay64, &raw, &rawlen), 0);
	assert_non_null(inner = json_loadb((char *)raw, rawlen, 0, &jerr));
	free(raw);
	assert_non_null(jwk = ck_jwk(account->pub));
	assert_true(json_equal(inner, jwk));
	/* The MAC, recomputed here. */
	assert_non_null(input = malloc(strlen(prot64) + strlen(pay64) + 2));
	sprintf(input, "%s.%s", prot64, pay64);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, eab_key, sizeof(eab_key),
	    (unsigned char *)input, strlen(input), mac, sizeof(mac), &maclen));
	assert_non_null(want = ck_b64url_encode(mac, maclen));
	got = (char *)sig64;
	assert_string_equal(got, want);
	free(want);
	free(input);
	json_decref(jwk);
	json_decref(inner);
	json_decref(prot);
	json_decref(p);
	json_decref(hdr);
	free(url);
	ck_acme_free(a);
}

/* Broken if a CA requiring binding gave a bare CA error instead of naming the keys to set. */
static void
test_eab_required(void **state)
{
	struct ck_acme *a = NULL;
	struct ck_outcome o;
	char *url = NULL;

	(void)state;
	step("GET", U_DIR, 200, DIR_EAB, NULL);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWACCT, 400, PROBLEM("externalAccountRequired", "no binding"), NULL);
	assert_int_equal(ck_acme_new(FAKE_HTTP, clk, U_DIR, account, &a), 0);
	ck_outcome_begin(&o);
	assert_int_equal(ck_acme_account(a, NULL, NULL, 0, &url), -1);
	ck_outcome_end(&o, 0);
	assert_int_equal(o.cls, CK_ERR_CONFIG);
	assert_string_equal(o.problem, "externalAccountRequired");
	assert_error_has("set eab_kid and eab_hmac_key");
	assert_error_has("no binding");
	ck_acme_free(a);
}

/* --- alternate chains --------------------------------------------------------- */

/* A PEM chain of one certificate whose issuer's CN is root (signed by a throwaway key). */
static char *
chain_to(const char *root)
{
	EVP_PKEY *k = NULL;
	X509 *x;
	X509_NAME *n;
	BIO *bio;
	char *text, *out;
	long len;

	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &k), 0);
	assert_non_null(x = X509_new());
	assert_non_null(n = X509_NAME_new());
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)root,
	    -1, -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(X509_set_subject_name(x, n));
	assert_true(X509_set_pubkey(x, k));
	assert_true(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL);
	assert_true(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_true(PEM_write_bio_X509(bio, x));
	len = BIO_get_mem_data(bio, &text);
	/* Not strndup: the BIO's buffer has no NUL after it, and ASan's strndup reads one past. */
	assert_true(len > 0);
	assert_non_null(out = malloc((size_t)len + 1));
	memcpy(out, text, (size_t)len);
	out[len] = '\0';
	BIO_free(bio);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static int rejected_first;	/* accept_chain calls that said no */

/* accept_chain: refuses the first chain it is shown, as a failing check would. */
static int
reject_first(void *ctx, const char *pem, size_t len)
{
	(void)ctx;
	(void)pem;
	(void)len;
	if (rejected_first++ == 0) {
		ck_error_as(CK_ERR_CHECK, "scripted check failure");
		return -1;
	}
	return 0;
}

/* Scripts an order whose download offers def and two alternates. */
static void
script_chains(const char *def, const char *alt1, const char *alt2)
{
	struct step *s;

	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_NEWORDER, 201, ORDER_READY, U_ORDER);
	step("POST", U_FINALIZE, 200, ORDER_VALID, NULL);
	s = step("POST", U_CERT, 200, def, NULL);
	s->links[0] = U_ALT1;
	s->links[1] = U_ALT2;
	if (alt1 != NULL)
		step("POST", U_ALT1, 200, alt1, NULL);
	if (alt2 != NULL)
		step("POST", U_ALT2, 200, alt2, NULL);
}

/* Broken if a preferred alternate that fails the checks were installed, or a later good one not. */
static void
test_chain_preferred_checked(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_order_req req = { 0 };
	char *def = chain_to("Root A"), *alt1 = chain_to("Root B"), *alt2 = chain_to("Root B");
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	script_chains(def, alt1, alt2);
	req.preferred_chain = "Root B";
	req.accept_chain = reject_first;
	rejected_first = 0;
	assert_int_equal(order(a, &req, &pem, &len), 0);
	assert_int_equal(S.next, S.nsteps);
	assert_int_equal(rejected_first, 2);
	assert_string_equal(pem, alt2);
	free(pem);
	free(def);
	free(alt1);
	free(alt2);
	ck_acme_free(a);
}

/* Broken if the default chain were not kept when no alternate leads to the preferred root. */
static void
test_chain_default_when_none_matches(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_order_req req = { 0 };
	char *def = chain_to("Root A"), *alt1 = chain_to("Root B"), *alt2 = chain_to("Root C");
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	script_chains(def, alt1, alt2);
	req.preferred_chain = "Root D";
	assert_int_equal(order(a, &req, &pem, &len), 0);
	assert_string_equal(pem, def);
	free(pem);
	free(def);
	free(alt1);
	free(alt2);
	ck_acme_free(a);
}

/* Broken if alternates were fetched when the default chain already leads to the preferred root. */
static void
test_chain_default_preferred(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_order_req req = { 0 };
	char *def = chain_to("Root A");
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	script_chains(def, NULL, NULL);
	req.preferred_chain = "Root A";
	assert_int_equal(order(a, &req, &pem, &len), 0);
	assert_int_equal(S.next, S.nsteps);
	assert_string_equal(pem, def);
	free(pem);
	free(def);
	ck_acme_free(a);
}

/* --- revocation and key change ----------------------------------------------- */

/* Broken if revokeCert lacked the certificate or reason, or used the wrong form of key. */
static void
test_revoke(void **state)
{
	static const unsigned char der[] = { 0x30, 0x01, 0x00 };
	struct ck_acme *a = client(DIR_PLAIN);
	json_t *p, *hdr = NULL;

	(void)state;
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_REVOKE, 200, "", NULL);
	step("POST", U_REVOKE, 400, PROBLEM("alreadyRevoked", "done"), NULL);
	assert_int_equal(ck_acme_revoke(a, der, sizeof(der), 4, 0), 0);
	p = signed_payload(2, account->pub, &hdr);
	assert_string_equal(json_string_value(json_object_get(p, "certificate")), "MAEA");
	assert_int_equal(json_integer_value(json_object_get(p, "reason")), 4);
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), U_ACCT);
	json_decref(p);
	json_decref(hdr);
	/* The certificate key's form: a jwk, no kid; and alreadyRevoked is no failure. */
	assert_int_equal(ck_acme_revoke(a, der, sizeof(der), 1, 1), 1);
	p = signed_payload(3, account->pub, &hdr);
	assert_null(json_object_get(hdr, "kid"));
	assert_non_null(json_object_get(hdr, "jwk"));
	json_decref(p);
	json_decref(hdr);
	ck_acme_free(a);
}

/* Broken if the reason codes ACME forbids (2, 6, 8-10) or names were accepted, or allowed ones not. */
static void
test_revoke_reasons(void **state)
{
	static const char *const bad[] = { "2", "6", "7", "8", "9", "10", "-1", "", "01",
		"aACompromise", "removeFromCRL" };
	static const char *const good[] = { "0", "1", "3", "4", "5", "keyCompromise",
		"cessationOfOperation" };
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ck_revoke_reason_parse(bad[i], &r), -1);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(ck_revoke_reason_parse(good[i], &r), 0);
	assert_int_equal(ck_revoke_reason_parse("superseded", &r), 0);
	assert_int_equal(r, 4);
}

/* Broken if keyChange's inner JWS were not the new key's, over {account, oldKey}, or the client kept the old key. */
static void
test_key_change(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_signer *new_key = NULL;
	EVP_PKEY *k = NULL;
	json_t *p, *hdr = NULL, *ihdr = NULL, *old_jwk, *new_jwk;
	char *inner_text, *ipayload = NULL;
	json_error_t jerr;
	json_t *ip;

	(void)state;
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &k), 0);
	assert_int_equal(ck_soft_signer_new(k, &new_key), 0);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_KEYCHANGE, 200, "{}", NULL);
	step("POST", U_ACCT, 200, "{\"status\":\"valid\"}", NULL);
	assert_int_equal(ck_acme_key_change(a, new_key), 0);
	p = signed_payload(2, account->pub, &hdr);	/* the outer JWS: the old key, kid */
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), U_ACCT);
	assert_non_null(inner_text = json_dumps(p, JSON_COMPACT));
	assert_int_equal(ck_jws_verify(inner_text, new_key->pub, &ihdr, &ipayload), 0);
	assert_null(json_object_get(ihdr, "nonce"));
	assert_null(json_object_get(ihdr, "kid"));
	assert_string_equal(json_string_value(json_object_get(ihdr, "url")), U_KEYCHANGE);
	assert_non_null(new_jwk = ck_jwk(new_key->pub));
	assert_true(json_equal(json_object_get(ihdr, "jwk"), new_jwk));
	assert_non_null(ip = json_loads(ipayload, 0, &jerr));
	assert_string_equal(json_string_value(json_object_get(ip, "account")), U_ACCT);
	assert_non_null(old_jwk = ck_jwk(account->pub));
	assert_true(json_equal(json_object_get(ip, "oldKey"), old_jwk));
	/* From now on the client signs with the new key. */
	assert_int_equal(ck_acme_account_probe(a, new_key), 0);
	json_decref(hdr);
	hdr = NULL;
	json_decref(signed_payload(3, new_key->pub, &hdr));
	json_decref(hdr);
	json_decref(ip);
	json_decref(old_jwk);
	json_decref(new_jwk);
	json_decref(ihdr);
	free(ipayload);
	free(inner_text);
	json_decref(p);
	ck_acme_free(a);
	ck_signer_free(new_key);
}

/* Broken if a key the CA refuses (malformed) were taken, or the client went on signing with it. */
static void
test_probe_refused(void **state)
{
	struct ck_acme *a = client(DIR_PLAIN);
	struct ck_signer *other = NULL;
	EVP_PKEY *k = NULL;
	json_t *hdr = NULL;

	(void)state;
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &k), 0);
	assert_int_equal(ck_soft_signer_new(k, &other), 0);
	step("HEAD", U_NONCE, 200, "", NULL);
	step("POST", U_ACCT, 400, PROBLEM("malformed", "JWS verification error"), NULL);
	step("POST", U_ACCT, 200, "{\"status\":\"valid\"}", NULL);
	assert_int_equal(ck_acme_account_probe(a, other), 1);
	assert_string_equal(ck_last_error(), "");
	assert_int_equal(ck_acme_account_probe(a, account), 0);
	json_decref(signed_payload(3, account->pub, &hdr));
	json_decref(hdr);
	ck_acme_free(a);
	ck_signer_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_profile_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_profile_none_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_not_offered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_ca_without_profiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_profile_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eab_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_preferred_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_default_when_none_matches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_default_preferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test(test_revoke_reasons),
		cmocka_unit_test_setup_teardown(test_key_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_refused, setup, teardown),
	};
	EVP_PKEY *k = NULL;
	int rc;

	ck_log_set_level(CK_LOG_ERROR);
	if (ck_soft_generate(CK_KEY_EC_P256, &k) != 0 || ck_soft_signer_new(k, &account) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ck_signer_free(account);
	return rc;
}
