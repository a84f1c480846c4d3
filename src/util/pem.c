/*
 * util/pem.c: PEM text in memory (see util/pem.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"

int
ck_pem_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Copies the BIO's text; a secret goes to OpenSSL's allocator and the BIO's copy is wiped. */
static int
take(BIO *bio, int secret, const char *what, char **out, size_t *outlen)
{
	char *data = NULL, *buf;
	long n;
	int rc = -1;

	if ((n = BIO_get_mem_data(bio, &data)) < 0) {
		ck_error_ssl("BIO_get_mem_data (%s)", what);
		return -1;
	}
	buf = secret ? OPENSSL_malloc((size_t)n + 1) : malloc((size_t)n + 1);
	if (buf == NULL) {
		ck_error("out of memory copying %s (%ld bytes)", what, n);
		goto out;
	}
	if (n > 0)
		memcpy(buf, data, (size_t)n);
	buf[n] = '\0';
	*out = buf;
	*outlen = (size_t)n;
	rc = 0;
out:
	/* Now, not only when the BIO is freed (OpenSSL wipes it then): the caller may keep it. */
	if (secret && n > 0)
		OPENSSL_cleanse(data, (size_t)n);
	return rc;
}

int
ck_pem_from_bio(BIO *bio, const char *what, char **out, size_t *outlen)
{
	return take(bio, 0, what, out, outlen);
}

int
ck_pem_secret_from_bio(BIO *bio, const char *what, char **out, size_t *outlen)
{
	return take(bio, 1, what, out, outlen);
}
