/*
 * test_pem.c: PEM text in memory (util/pem.c): copying a memory BIO, wiping
 * it when it held a key, and the passphrase callback that never prompts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"

static const char marker[] = "certkeeper private marker 271828";	/* 32 bytes */

/*
 * The secret variant of the BIO helper copies the text exactly and wipes
 * the BIO's copy at once; the plain one leaves the BIO alone.  Else a PEM
 * private key lingers in a BIO buffer the caller may keep or reuse.
 */
static void
test_pem_from_bio(void **state)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	size_t len = 0, i;
	long n;

	(void)state;
	assert_non_null(bio);
	assert_int_equal(BIO_write(bio, marker, 32), 32);
	assert_int_equal(ck_pem_from_bio(bio, "text", &out, &len), 0);
	assert_int_equal(len, 32);
	assert_string_equal(out, marker);
	free(out);
	n = BIO_get_mem_data(bio, &data);
	assert_int_equal(n, 32);
	assert_memory_equal(data, marker, 32);

	assert_int_equal(ck_pem_secret_from_bio(bio, "a key", &out, &len), 0);
	assert_int_equal(len, 32);
	assert_string_equal(out, marker);
	n = BIO_get_mem_data(bio, &data);
	for (i = 0; i < (size_t)n; i++)
		assert_int_equal(data[i], 0);
	OPENSSL_clear_free(out, len);
	BIO_free(bio);

	/* An empty BIO gives an empty string, not a failure. */
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(ck_pem_from_bio(bio, "text", &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
	BIO_free(bio);
}

/*
 * A passphrase-protected key file is refused at once, through the shared
 * callback: else certkeeper would prompt on a terminal (or hang in a
 * service) for a password nobody types.
 */
static void
test_encrypted_key_refused(void **state)
{
	EVP_PKEY *key = NULL;
	struct ck_signer *s = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(bio);
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &key), 0);
	assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL, 0, NULL,
	    (void *)"pass"), 1);
	assert_int_equal(ck_pem_from_bio(bio, "encrypted key", &pem, &len), 0);
	assert_non_null(strstr(pem, "ENCRYPTED PRIVATE KEY"));
	ck_clear_error();
	assert_int_equal(ck_soft_signer_from_pem(pem, len, "enc.pem", &s), -1);
	assert_non_null(strstr(ck_last_error(), "enc.pem: cannot read a private key"));
	assert_null(s);
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_from_bio),
		cmocka_unit_test(test_encrypted_key_refused),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
