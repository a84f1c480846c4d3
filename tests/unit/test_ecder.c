/*
 * test_ecder.c: keys/ecder.c writes, for EC keys on named curves, exactly
 * the bytes OpenSSL's own encoders write (PEM_write_bio_PrivateKey,
 * i2d_PUBKEY), reads back what they write as the same key, and leaves every
 * other key to them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certkeeper/keys/ecder.h"

/* Random keys per curve: half of them end their point in a zero bit. */
#define KEYS 200

static const char *const curves[] = { "P-256", "P-384", "P-521" };

/* The bytes a memory BIO holds, compared with another's. */
static void
assert_bio_equal(BIO *a, BIO *b)
{
	char *pa, *pb;
	long la = BIO_get_mem_data(a, &pa), lb = BIO_get_mem_data(b, &pb);

	assert_true(la > 0);
	assert_int_equal(la, lb);
	assert_memory_equal(pa, pb, (size_t)la);
}

/* Our PKCS#8 PEM and our SubjectPublicKeyInfo of key equal OpenSSL's. */
static void
assert_same_as_openssl(const EVP_PKEY *key)
{
	BIO *ours = BIO_new(BIO_s_mem()), *theirs = BIO_new(BIO_s_mem());
	X509_PUBKEY *spki = X509_PUBKEY_new();
	unsigned char *a = NULL, *b = NULL;
	int la, lb;

	assert_non_null(ours);
	assert_non_null(theirs);
	assert_non_null(spki);
	assert_int_equal(ck_ec_pkcs8_write(ours, key), 1);
	assert_int_equal(PEM_write_bio_PrivateKey(theirs, key, NULL, NULL, 0, NULL, NULL), 1);
	assert_bio_equal(ours, theirs);

	assert_int_equal(ck_ec_spki_set(spki, key), 1);
	la = i2d_X509_PUBKEY(spki, &a);
	lb = i2d_PUBKEY(key, &b);
	assert_true(la > 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, (size_t)la);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_PUBKEY_free(spki);
	BIO_free(ours);
	BIO_free(theirs);
}

static void
test_random_keys(void **state)
{
	EVP_PKEY *k;
	size_t c;
	int i;

	(void)state;
	for (c = 0; c < sizeof(curves) / sizeof(curves[0]); c++)
		for (i = 0; i < KEYS; i++) {
			assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c]));
			assert_same_as_openssl(k);
			EVP_PKEY_free(k);
		}
}

/* The key of private scalar 1 (public point: the generator) on curve nid. */
static EVP_PKEY *
scalar_one_key(const char *curve, int nid)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	unsigned char point[160];
	size_t n;
	BIGNUM *one = BN_new();

	assert_non_null(g);
	assert_non_null(bld);
	assert_non_null(ctx);
	assert_int_equal(BN_one(one), 1);
	n = EC_POINT_point2oct(g, EC_GROUP_get0_generator(g), POINT_CONVERSION_UNCOMPRESSED,
	    point, sizeof(point), NULL);
	assert_true(n > 0);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    curve, 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, one), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, n),
	    1);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EC_GROUP_free(g);
	BN_free(one);
	return k;
}

/* A scalar far shorter than the order is padded to the order's length, as OpenSSL pads it. */
static void
test_short_scalar_padded(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = scalar_one_key("prime256v1", NID_X9_62_prime256v1));
	assert_same_as_openssl(k);
	EVP_PKEY_free(k);
	assert_non_null(k = scalar_one_key("secp384r1", NID_secp384r1));
	assert_same_as_openssl(k);
	EVP_PKEY_free(k);
}

/* The key's own choice is followed: no public key in the PKCS#8. */
static void
test_key_options(void **state)
{
	EVP_PKEY *k;

	(void)state;
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(EVP_PKEY_set_int_param(k, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 0), 1);
	assert_same_as_openssl(k);
	EVP_PKEY_free(k);
}

/*
 * Explicit curve parameters, compressed points, an RSA key, a public key
 * only: left to OpenSSL, nothing written.
 */
static void
test_others_left(void **state)
{
	BIO *out = BIO_new(BIO_s_mem());
	X509_PUBKEY *spki = X509_PUBKEY_new();
	EVP_PKEY *k, *pub = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	(void)state;
	assert_non_null(out);
	assert_non_null(spki);

	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
	    OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
	assert_int_equal(ck_ec_pkcs8_write(out, k), 0);
	assert_int_equal(ck_ec_spki_set(spki, k), 0);
	EVP_PKEY_free(k);

	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	assert_int_equal(ck_ec_pkcs8_write(out, k), 0);
	assert_int_equal(ck_ec_spki_set(spki, k), 0);
	EVP_PKEY_free(k);

	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	assert_int_equal(ck_ec_pkcs8_write(out, k), 0);
	assert_int_equal(ck_ec_spki_set(spki, k), 0);
	EVP_PKEY_free(k);
	assert_int_equal(BIO_pending(out), 0);

	/* A public key alone: its SubjectPublicKeyInfo, and no PKCS#8. */
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
	assert_true((len = i2d_PUBKEY(k, &der)) > 0);
	p = der;
	assert_non_null(pub = d2i_PUBKEY(NULL, &p, len));
	assert_int_equal(ck_ec_pkcs8_write(out, pub), 0);
	assert_int_equal(BIO_pending(out), 0);
	assert_int_equal(ck_ec_spki_set(spki, pub), 1);
	OPENSSL_free(der);
	der = NULL;
	assert_int_equal(i2d_X509_PUBKEY(spki, &der), len);
	p = der;
	EVP_PKEY_free(pub);
	assert_non_null(pub = d2i_PUBKEY(NULL, &p, len));
	assert_int_equal(EVP_PKEY_eq(pub, k), 1);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	X509_PUBKEY_free(spki);
	BIO_free(out);
}

/* OpenSSL's PKCS#8 of key, parsed. */
static PKCS8_PRIV_KEY_INFO *
pkcs8_of(const EVP_PKEY *key)
{
	PKCS8_PRIV_KEY_INFO *p8;

	assert_non_null(p8 = EVP_PKEY2PKCS8(key));
	return p8;
}

/* What OpenSSL writes is read back as the same key pair, which writes the same bytes again. */
static void
test_read_back(void **state)
{
	BIO *a, *b;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *k, *back;
	size_t c;
	int i;

	(void)state;
	for (c = 0; c < sizeof(curves) / sizeof(curves[0]); c++)
		for (i = 0; i < KEYS / 4; i++) {
			assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c]));
			p8 = pkcs8_of(k);
			back = NULL;
			assert_int_equal(ck_ec_pkcs8_key(p8, &back), 1);
			assert_int_equal(EVP_PKEY_eq(k, back), 1);
			assert_non_null(a = BIO_new(BIO_s_mem()));
			assert_non_null(b = BIO_new(BIO_s_mem()));
			assert_int_equal(PEM_write_bio_PrivateKey(a, k, NULL, NULL, 0, NULL, NULL), 1);
			assert_int_equal(PEM_write_bio_PrivateKey(b, back, NULL, NULL, 0, NULL, NULL),
			    1);
			assert_bio_equal(a, b);
			BIO_free(a);
			BIO_free(b);
			PKCS8_PRIV_KEY_INFO_free(p8);
			EVP_PKEY_free(back);
			EVP_PKEY_free(k);
		}
}

/* len bytes at der (copied) as the ECPrivateKey of a PrivateKeyInfo said to be on P-256. */
static PKCS8_PRIV_KEY_INFO *
wrap_as_p256(const unsigned char *der, int len)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *copy;

	assert_non_null(copy = OPENSSL_memdup(der, (size_t)len));
	assert_non_null(p8 = PKCS8_PRIV_KEY_INFO_new());
	assert_int_equal(PKCS8_pkey_set0(p8, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0,
	    V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), copy, len), 1);
	return p8;
}

/*
 * Left to OpenSSL's decoder (0): an RSA key, an ECPrivateKey without its
 * public point.  Refused (-1): a point off the curve, a P-384 key said to be
 * on P-256, bytes after the ECPrivateKey.
 */
static void
test_read_others(void **state)
{
	PKCS8_PRIV_KEY_INFO *p8, *wrapped;
	EVP_PKEY *k, *back = NULL;
	const unsigned char *inner;
	unsigned char longer[256], *pt;
	int len;

	(void)state;
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	p8 = pkcs8_of(k);
	assert_int_equal(ck_ec_pkcs8_key(p8, &back), 0);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);

	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_int_equal(EVP_PKEY_set_int_param(k, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 0), 1);
	p8 = pkcs8_of(k);
	assert_int_equal(ck_ec_pkcs8_key(p8, &back), 0);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);
	assert_null(back);

	/* The point's last byte changed: off the curve. */
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	p8 = pkcs8_of(k);
	assert_int_equal(PKCS8_pkey_get0(NULL, &inner, &len, NULL, p8), 1);
	pt = (unsigned char *)inner + len - 1;
	*pt ^= 0x01;
	assert_int_equal(ck_ec_pkcs8_key(p8, &back), -1);
	assert_null(back);

	/* Two bytes more after the ECPrivateKey. */
	*pt ^= 0x01;
	assert_true(len + 2 <= (int)sizeof(longer));
	memcpy(longer, inner, (size_t)len);
	longer[len] = 0x05;
	longer[len + 1] = 0x00;
	wrapped = wrap_as_p256(longer, len + 2);
	assert_int_equal(ck_ec_pkcs8_key(wrapped, &back), -1);
	PKCS8_PRIV_KEY_INFO_free(wrapped);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);

	/* A P-384 ECPrivateKey under a P-256 algorithm. */
	assert_non_null(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
	p8 = pkcs8_of(k);
	assert_int_equal(PKCS8_pkey_get0(NULL, &inner, &len, NULL, p8), 1);
	wrapped = wrap_as_p256(inner, len);
	assert_int_equal(ck_ec_pkcs8_key(wrapped, &back), -1);
	assert_null(back);
	PKCS8_PRIV_KEY_INFO_free(wrapped);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);
	ERR_clear_error();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_keys),
		cmocka_unit_test(test_short_scalar_padded),
		cmocka_unit_test(test_key_options),
		cmocka_unit_test(test_others_left),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_read_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
