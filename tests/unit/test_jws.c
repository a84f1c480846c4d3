/*
 * test_jws.c: JWS requests signed through the signer verify, carry the
 * right protected header, and JWK thumbprints match RFC 7638.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "certkeeper/util/b64.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/keys/soft.h"

static struct ck_signer *
make_signer(enum ck_key_type t)
{
	struct ck_signer *s = NULL;
	EVP_PKEY *pkey = NULL;

	assert_int_equal(ck_soft_generate(t, &pkey), 0);
	assert_int_equal(ck_soft_signer_new(pkey, &s), 0);
	return s;
}

/* Signs a payload with kid and checks signature, alg, nonce, url, kid; no jwk. */
static void
check_kid_request(enum ck_key_type t, const char *alg)
{
	struct ck_signer *s = make_signer(t);
	json_t *payload = json_pack("{s:[s]}", "contact", "mailto:a@example.com");
	json_t *hdr = NULL, *got = NULL;
	char *jws = NULL, *body = NULL;

	assert_int_equal(ck_jws_sign(s, "https://ca/new-order", "nonce-1", "https://ca/acct/1",
	    payload, &jws), 0);
	assert_int_equal(ck_jws_verify(jws, s->pub, &hdr, &body), 0);
	/* The flattened serialization: an object of exactly three strings. */
	got = json_loads(jws, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(got);
	assert_int_equal(json_object_size(got), 3);
	assert_true(json_is_string(json_object_get(got, "protected")));
	assert_true(json_is_string(json_object_get(got, "payload")));
	assert_true(json_is_string(json_object_get(got, "signature")));
	json_decref(got);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), alg);
	assert_string_equal(json_string_value(json_object_get(hdr, "nonce")), "nonce-1");
	assert_string_equal(json_string_value(json_object_get(hdr, "url")), "https://ca/new-order");
	assert_string_equal(json_string_value(json_object_get(hdr, "kid")), "https://ca/acct/1");
	assert_null(json_object_get(hdr, "jwk"));
	got = json_loads(body, 0, NULL);
	assert_true(json_equal(got, payload));
	json_decref(got);
	json_decref(hdr);
	json_decref(payload);
	free(body);
	free(jws);
	ck_signer_free(s);
}

/* ES256, ES384 and RS256 requests verify and name their algorithm. */
static void
test_sign_verify_es256(void **state) { check_kid_request(CK_KEY_EC_P256, "ES256"); }
static void
test_sign_verify_es384(void **state) { check_kid_request(CK_KEY_EC_P384, "ES384"); }
static void
test_sign_verify_rs256(void **state) { check_kid_request(CK_KEY_RSA_2048, "RS256"); }

/* newAccount carries the jwk (and no kid); POST-as-GET has an empty payload. */
static void
test_jwk_and_post_as_get(void **state)
{
	struct ck_signer *s = make_signer(CK_KEY_EC_P256);
	json_t *hdr = NULL, *jwk;
	char *jws = NULL, *body = NULL;

	assert_int_equal(ck_jws_sign(s, "https://ca/new-acct", "n", NULL, NULL, &jws), 0);
	assert_int_equal(ck_jws_verify(jws, s->pub, &hdr, &body), 0);
	assert_string_equal(body, "");
	assert_null(json_object_get(hdr, "kid"));
	jwk = json_object_get(hdr, "jwk");
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	/* Coordinates are always 32 bytes: 43 base64url characters, even with leading zeros. */
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
	assert_int_equal(strlen(json_string_value(json_object_get(jwk, "y"))), 43);
	assert_int_equal(json_object_size(jwk), 4);
	json_decref(hdr);
	free(body);
	free(jws);
	ck_signer_free(s);
}

/* base64url of the big-number parameter param of pub, padded to field bytes. */
static char *
coordinate(const EVP_PKEY *pub, const char *param, int field)
{
	unsigned char buf[66];
	BIGNUM *bn = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(pub, param, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, buf, field), field);
	BN_free(bn);
	return ck_b64url_encode(buf, (size_t)field);
}

/* The JWK's x and y are the key's coordinates, whatever form its point is encoded in. */
static void
check_ec_coordinates(enum ck_key_type t, int field, const char *form)
{
	struct ck_signer *s = make_signer(t);
	char *x = coordinate(s->pub, OSSL_PKEY_PARAM_EC_PUB_X, field);
	char *y = coordinate(s->pub, OSSL_PKEY_PARAM_EC_PUB_Y, field);
	json_t *jwk;

	if (form != NULL)
		assert_int_equal(EVP_PKEY_set_utf8_string_param(s->pub,
		    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form), 1);
	assert_non_null(jwk = ck_jwk(s->pub));
	assert_string_equal(json_string_value(json_object_get(jwk, "x")), x);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")), y);
	assert_int_equal(json_object_size(jwk), 4);
	json_decref(jwk);
	free(x);
	free(y);
	ck_signer_free(s);
}

static void
test_ec_coordinates(void **state)
{
	check_ec_coordinates(CK_KEY_EC_P256, 32, NULL);
	check_ec_coordinates(CK_KEY_EC_P384, 48, NULL);
	check_ec_coordinates(CK_KEY_EC_P256, 32, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED);
	check_ec_coordinates(CK_KEY_EC_P384, 48, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED);
}

/* A tampered payload or another key fails verification. */
static void
test_tamper_detected(void **state)
{
	struct ck_signer *s = make_signer(CK_KEY_EC_P256), *other = make_signer(CK_KEY_EC_P256);
	json_t *payload = json_pack("{s:b}", "onlyReturnExisting", 1), *j, *hdr = NULL;
	char *jws = NULL, *body = NULL, *forged, *evil;

	assert_int_equal(ck_jws_sign(s, "https://ca/x", "n", "k", payload, &jws), 0);
	assert_int_equal(ck_jws_verify(jws, other->pub, &hdr, &body), -1);
	j = json_loads(jws, 0, NULL);
	evil = ck_b64url_encode((const unsigned char *)"{\"onlyReturnExisting\":false}", 28);
	json_object_set_new(j, "payload", json_string(evil));
	forged = json_dumps(j, 0);
	assert_int_equal(ck_jws_verify(forged, s->pub, &hdr, &body), -1);
	free(forged);
	free(evil);
	json_decref(j);
	json_decref(payload);
	free(jws);
	ck_signer_free(s);
	ck_signer_free(other);
}

/* RFC 7638 section 3.1: the example RSA key's thumbprint. */
static void
test_thumbprint_rfc7638(void **state)
{
	static const char n64[] =
	    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
	    "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGj"
	    "QR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-b"
	    "FTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
	unsigned char *n = NULL;
	size_t nlen;
	BIGNUM *bn_n, *bn_e;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;
	char *thumb = NULL;

	assert_int_equal(ck_b64url_decode(n64, &n, &nlen), 0);
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_new();
	BN_set_word(bn_e, 65537);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	assert_int_equal(ck_jwk_thumbprint(pkey, &thumb), 0);
	assert_string_equal(thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(thumb);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_es256),
		cmocka_unit_test(test_sign_verify_es384),
		cmocka_unit_test(test_sign_verify_rs256),
		cmocka_unit_test(test_jwk_and_post_as_get),
		cmocka_unit_test(test_ec_coordinates),
		cmocka_unit_test(test_tamper_detected),
		cmocka_unit_test(test_thumbprint_rfc7638),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
