/*
 * test_ari.c: a certificate's ACME Renewal Information identifier
 * (cert/ari.c, RFC 9773 4.1): the RFC's own example, serials with and
 * without their high bit set, and certificates that have no identifier.
 * Certificates other than the RFC's are made here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/agent/ari.h"
#include "certkeeper/cert/ari.h"
#include "certkeeper/util/log.h"

/* RFC 9773 Appendix A. */
static const char rfc_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
    "cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
    "BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
    "7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
    "qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
    "yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
    "+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
    "-----END CERTIFICATE-----\n";
#define RFC_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static EVP_PKEY *key;
static X509 *issuer;	/* self-signed, subjectKeyIdentifier fb:ff:bf:01 */

static void
add_ext(X509 *x, X509 *iss, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, iss, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate with serial (hex, may be negative "-..."), signed by iss (NULL: itself), with the extensions given. */
static X509 *
make(const char *serial, X509 *iss, const char *ski, const char *aki)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;

	assert_non_null(x);
	assert_non_null(name);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"ari.test", -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, iss ? X509_get_subject_name(iss) : name), 1);
	X509_NAME_free(name);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (ski != NULL)
		add_ext(x, iss ? iss : x, NID_subject_key_identifier, ski);
	if (aki != NULL)
		add_ext(x, iss ? iss : x, NID_authority_key_identifier, aki);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static char *
pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	assert_non_null(out = calloc(1, (size_t)n + 1));
	memcpy(out, data, (size_t)n);
	BIO_free(b);
	return out;
}

/* The identifier of a leaf with serial, issued by the fixture's issuer with AKI keyid. */
static char *
id_of_serial(const char *serial)
{
	X509 *leaf = make(serial, issuer, NULL, "keyid:always");
	char *pem = pem_of(leaf), *id = NULL;

	if (ck_ari_cert_id(pem, strlen(pem), &id) != 0)
		fail_msg("serial %s: %s", serial, ck_last_error());
	X509_free(leaf);
	free(pem);
	return id;
}

/* Broken if the identifier differs from RFC 9773's worked example (key id, leading zero, padding). */
static void
test_rfc_example(void **state)
{
	char *id = NULL;

	(void)state;
	assert_int_equal(ck_ari_cert_id(rfc_cert, strlen(rfc_cert), &id), 0);
	assert_string_equal(id, RFC_ID);
	assert_true(ck_ari_cert_id_valid(id));
	free(id);
}

/*
 * Broken if the serial part is not the DER content octets: a high bit set
 * needs its 0x00 kept (the CA would not find the certificate), one not
 * set must have none added; the key id must be base64url, not base64.
 */
static void
test_serials(void **state)
{
	static const struct {
		const char *serial, *want;
	} cases[] = {
		{ "FF01", "-_-_AQ.AP8B" },		/* 00 ff 01 */
		{ "0102", "-_-_AQ.AQI" },		/* 01 02 */
		{ "80", "-_-_AQ.AIA" },			/* 00 80 */
		{ "7F", "-_-_AQ.fw" },			/* 7f */
		{ "00", "-_-_AQ.AA" },			/* 00: zero is one content octet */
		/* 20 bytes, high bit set: 21 content octets. */
		{ "FBFFBFFBFFBFFBFFBFFBFFBFFBFFBFFBFFBFFBFF", "-_-_AQ.APv_v_v_v_v_v_v_v_v_v_v_v_v_" },
		{ "-01", "-_-_AQ._w" },			/* negative (not RFC 5280, but seen): ff */
	};
	size_t i;
	char *id;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = id_of_serial(cases[i].serial);
		if (strcmp(id, cases[i].want) != 0)
			fail_msg("serial %s: \"%s\", expected \"%s\"", cases[i].serial, id,
			    cases[i].want);
		assert_true(ck_ari_cert_id_valid(id));
		free(id);
	}
}

/* Broken if a chain (leaf first) gives another certificate's identifier than the leaf's. */
static void
test_first_of_chain(void **state)
{
	X509 *leaf = make("0abc", issuer, NULL, "keyid:always");
	char *a = pem_of(leaf), *b = pem_of(issuer), *chain, *id = NULL;

	(void)state;
	assert_non_null(chain = calloc(1, strlen(a) + strlen(b) + 1));
	strcat(strcat(chain, a), b);
	assert_int_equal(ck_ari_cert_id(chain, strlen(chain), &id), 0);
	assert_string_equal(id, "-_-_AQ.Crw");
	free(id);
	X509_free(leaf);
	free(a);
	free(b);
	free(chain);
}

/*
 * Broken if a certificate without an AKI keyIdentifier gets an identifier
 * anyway (the CA could not match it), or the error does not say why.
 */
static void
test_no_key_identifier(void **state)
{
	X509 *none = make("0102", issuer, NULL, NULL);
	X509 *issuer_only = make("0102", issuer, NULL, "issuer:always");
	char *pem, *id = NULL;

	(void)state;
	pem = pem_of(none);
	ck_clear_error();
	assert_int_equal(ck_ari_cert_id(pem, strlen(pem), &id), -1);
	assert_null(id);
	assert_non_null(strstr(ck_last_error(), "certificate 0102 has no ARI identifier: it has no "
	    "Authority Key Identifier extension"));
	free(pem);

	pem = pem_of(issuer_only);
	ck_clear_error();
	assert_int_equal(ck_ari_cert_id(pem, strlen(pem), &id), -1);
	assert_null(id);
	assert_non_null(strstr(ck_last_error(), "its Authority Key Identifier has no (readable) "
	    "keyIdentifier"));
	free(pem);
	X509_free(none);
	X509_free(issuer_only);
}

/* Broken if text that holds no certificate gives an identifier, or fails without a word. */
static void
test_not_a_certificate(void **state)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	char *id = NULL;

	(void)state;
	ck_clear_error();
	assert_int_equal(ck_ari_cert_id(junk, strlen(junk), &id), -1);
	assert_null(id);
	assert_non_null(strstr(ck_last_error(), "cannot read a certificate"));
	assert_int_equal(ck_ari_cert_id("", 0, &id), -1);
	assert_null(id);
}

/* Broken if an identifier that could change a URL's path, or is not base64url, passes as one. */
static void
test_valid_form(void **state)
{
	static const char *const bad[] = {
		"", ".", "abc", "abc.", ".abc", "ab.cd.ef", "ab/cd.ef", "ab.cd/..", "../ab.cd",
		"ab.cd?x=1", "ab.cd#x", "ab%2f.cd", "ab+c.def", "ab=.cd", "ab .cd", "ab.c",
		"a.cd", "ab.cd\n",
	};
	char longid[CK_ARI_ID_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ck_ari_cert_id_valid(bad[i]))
			fail_msg("\"%s\" passed as an ARI identifier", bad[i]);
	assert_false(ck_ari_cert_id_valid(NULL));
	assert_true(ck_ari_cert_id_valid("ab.cd"));
	assert_true(ck_ari_cert_id_valid("-_-_AQ.AP8B"));
	/* "AAAA." and 251 more: CK_ARI_ID_MAX bytes pass, one more does not. */
	memset(longid, 'A', sizeof(longid));
	longid[4] = '.';
	longid[CK_ARI_ID_MAX] = '\0';
	assert_true(ck_ari_cert_id_valid(longid));
	longid[CK_ARI_ID_MAX] = 'A';
	longid[CK_ARI_ID_MAX + 1] = '\0';
	assert_false(ck_ari_cert_id_valid(longid));
}

static int
group_setup(void **state)
{
	(void)state;
	ck_log_set_level(CK_LOG_ERROR);
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return -1;
	issuer = make("01", NULL, "FBFFBF01", NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	X509_free(issuer);
	EVP_PKEY_free(key);
	return 0;
}

/*
 * Broken if the time chosen in a window falls outside it, is drawn again
 * while the window stands (a device would drift inside its window at every
 * check), or is kept when the window moves (a revocation drill would not
 * reach the device).
 */
static void
test_window_choice(void **state)
{
	struct ck_ari_window w = { 1000000, 1003600, 600, "" };
	struct ck_sched sc;

	ck_sched_init(&sc);
	ck_ari_take_window(&sc, "a.b", &w, 999000, 0);
	assert_string_equal(sc.ari_id, "a.b");
	assert_int_equal(sc.ari_chosen, 1000000);
	assert_int_equal(sc.ari_next_fetch, 999600);
	ck_sched_init(&sc);
	ck_ari_take_window(&sc, "a.b", &w, 999000, 0xffffffffu);
	assert_true(sc.ari_chosen >= 1003599 && sc.ari_chosen < 1003600);
	ck_sched_init(&sc);
	ck_ari_take_window(&sc, "a.b", &w, 999000, 0x80000000u);
	assert_int_equal(sc.ari_chosen, 1001800);
	/* The same window again: the choice stands, whatever the new draw. */
	ck_ari_take_window(&sc, "a.b", &w, 999500, 7);
	assert_int_equal(sc.ari_chosen, 1001800);
	assert_int_equal(sc.ari_next_fetch, 1000100);
	/* Moved into the past (the CA wants it replaced now): a new choice, in the past. */
	w.start = 900000;
	w.end = 900060;
	ck_ari_take_window(&sc, "a.b", &w, 999600, 0);
	assert_int_equal(sc.ari_chosen, 900000);
	/* Another certificate's window is never taken for this one's choice. */
	ck_ari_take_window(&sc, "c.d", &w, 999600, 0x80000000u);
	assert_string_equal(sc.ari_id, "c.d");
	assert_int_equal(sc.ari_chosen, 900030);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_first_of_chain),
		cmocka_unit_test(test_no_key_identifier),
		cmocka_unit_test(test_not_a_certificate),
		cmocka_unit_test(test_valid_form),
		cmocka_unit_test(test_window_choice),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
