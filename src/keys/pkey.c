/*
 * keys/pkey.c: a signer as an EVP_PKEY (see keys/pkey.h).
 *
 * OpenSSL 3.0 keeps the legacy path for a "foreign" EC_KEY, one whose
 * EC_KEY_METHOD is not OpenSSL's: an EVP_PKEY holding it is never exported
 * to a provider, and EVP_DigestSign (libssl's CertificateVerify included)
 * ends in the method's sign callbacks.  That takes EC_KEY and
 * EC_KEY_METHOD, deprecated since 3.0; this file is the one place that
 * uses them (a provider of our own would be ten times the code for the
 * same two callbacks).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include "certkeeper/keys/pkey.h"
#include "certkeeper/util/log.h"

static EC_KEY_METHOD *method;
static int signer_index = -1;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

/* The signer's DER signature of dgst; NULL (reported by the signer) on failure. */
static int
signer_der(EC_KEY *eckey, const unsigned char *dgst, int dlen, unsigned char **der,
    size_t *derlen)
{
	struct ck_signer *s = EC_KEY_get_ex_data(eckey, signer_index);

	if (s == NULL || dlen <= 0) {
		ck_error("TLS signature: the key has no signer");
		return -1;
	}
	return ck_signer_sign_digest(s, dgst, (size_t)dlen, der, derlen);
}

/* EC_KEY_METHOD sign: DER into sig (ECDSA_size bytes of room). */
static int
method_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	int size = ECDSA_size(eckey), ok = 0;

	if (signer_der(eckey, dgst, dlen, &der, &derlen) != 0)
		goto out;
	if (size <= 0 || derlen > (size_t)size) {
		ck_error("TLS signature: %zu bytes, more than the key's %d", derlen, size);
		goto out;
	}
	memcpy(sig, der, derlen);
	*siglen = (unsigned int)derlen;
	ok = 1;
out:
	free(der);
	return ok;
}

/* EC_KEY_METHOD sign_sig: the same signature as an ECDSA_SIG. */
static ECDSA_SIG *
method_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r,
    EC_KEY *eckey)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	ECDSA_SIG *sig = NULL;
	size_t derlen = 0;

	if (signer_der(eckey, dgst, dlen, &der, &derlen) == 0) {
		p = der;
		if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
			ck_error_ssl("d2i_ECDSA_SIG (TLS signature)");
	}
	free(der);
	return sig;
}

/* Makes the method (OpenSSL's, with signing replaced) and the ex_data slot, once. */
static void
method_init(void)
{
	int (*sign_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
	EC_KEY_METHOD *m;

	if ((m = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) == NULL)
		return;
	EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), NULL, &sign_setup, NULL);
	EC_KEY_METHOD_set_sign(m, method_sign, sign_setup, method_sign_sig);
	if ((signer_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL)) < 0) {
		EC_KEY_METHOD_free(m);
		return;
	}
	method = m;
}

int
ck_signer_pkey(struct ck_signer *s, EVP_PKEY **out)
{
	EVP_PKEY *pkey = NULL;
	EC_KEY *ec = NULL;
	int rc = -1;

	*out = NULL;
	if (s->ops->sign_digest == NULL || EVP_PKEY_get_base_id(s->pub) != EVP_PKEY_EC) {
		ck_error_as(CK_ERR_CONFIG, "a %s key cannot authenticate TLS here (EC keys only)",
		    ck_key_type_name(s->type));
		goto out;
	}
	if (pthread_once(&method_once, method_init) != 0 || method == NULL) {
		ck_error_ssl("EC_KEY_METHOD_new");
		goto out;
	}
	/* A legacy copy of the public key, with our method in place of the private operations. */
	if ((ec = EVP_PKEY_get1_EC_KEY(s->pub)) == NULL) {
		ck_error_ssl("EVP_PKEY_get1_EC_KEY");
		goto out;
	}
	if (EC_KEY_set_method(ec, method) != 1 || EC_KEY_set_ex_data(ec, signer_index, s) != 1) {
		ck_error_ssl("EC_KEY_set_method");
		goto out;
	}
	if ((pkey = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
		ck_error_ssl("EVP_PKEY_assign_EC_KEY");
		goto out;
	}
	ec = NULL;
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	EC_KEY_free(ec);
	EVP_PKEY_free(pkey);
	return rc;
}
