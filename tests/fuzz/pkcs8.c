/*
 * tests/fuzz/pkcs8.c: reading an unencrypted PKCS#8 PrivateKeyInfo through
 * the key manager (keys/ecder.c, ck_ec_pkcs8_key), against OpenSSL's own
 * decoder.  Oracles: what it takes, OpenSSL's decoder takes too, as the
 * same key pair (public point and private scalar); what it leaves (0) or
 * refuses (-1) gives no key; a key it took is written back
 * (ck_ec_pkcs8_write) as a text it reads again as the same key.
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "certkeeper/keys/ecder.h"

/* Whether a and b have the same private scalar. */
static int
same_scalar(const EVP_PKEY *a, const EVP_PKEY *b)
{
	BIGNUM *x = NULL, *y = NULL;
	int same;

	same = EVP_PKEY_get_bn_param(a, OSSL_PKEY_PARAM_PRIV_KEY, &x) == 1 &&
	    EVP_PKEY_get_bn_param(b, OSSL_PKEY_PARAM_PRIV_KEY, &y) == 1 && BN_cmp(x, y) == 0;
	BN_clear_free(x);
	BN_clear_free(y);
	return same;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	PKCS8_PRIV_KEY_INFO *p8, *again = NULL;
	EVP_PKEY *ours = NULL, *theirs = NULL, *back = NULL;
	BIO *bio = NULL;
	int rc;

	ckfz_init();
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)size)) == NULL)
		goto out;
	rc = ck_ec_pkcs8_key(p8, &ours);
	CKFZ_ASSERT(rc == 1 || rc == 0 || rc == -1);
	CKFZ_ASSERT((rc == 1) == (ours != NULL));
	if (rc != 1)
		goto out;
	theirs = EVP_PKCS82PKEY(p8);
	CKFZ_ASSERT(theirs != NULL);
	CKFZ_ASSERT(EVP_PKEY_eq(ours, theirs) == 1);
	CKFZ_ASSERT(same_scalar(ours, theirs));

	CKFZ_ASSERT((bio = BIO_new(BIO_s_mem())) != NULL);
	CKFZ_ASSERT(ck_ec_pkcs8_write(bio, ours) == 1);
	CKFZ_ASSERT((again = PEM_read_bio_PKCS8_PRIV_KEY_INFO(bio, NULL, NULL, NULL)) != NULL);
	CKFZ_ASSERT(ck_ec_pkcs8_key(again, &back) == 1);
	CKFZ_ASSERT(EVP_PKEY_eq(ours, back) == 1 && same_scalar(ours, back));
out:
	EVP_PKEY_free(back);
	EVP_PKEY_free(theirs);
	EVP_PKEY_free(ours);
	PKCS8_PRIV_KEY_INFO_free(again);
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(bio);
	ERR_clear_error();
	return 0;
}
