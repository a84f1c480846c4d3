/*
 * net/tls.c: the client identity for mutual TLS (see net/tls.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "certkeeper/net/tls.h"
#include "certkeeper/util/log.h"

struct ck_tls_identity {
	X509 *leaf;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
};

void
ck_tls_identity_free(struct ck_tls_identity *id)
{
	if (id == NULL)
		return;
	X509_free(id->leaf);
	sk_X509_pop_free(id->chain, X509_free);
	EVP_PKEY_free(id->key);
	free(id);
}

/* Appends every certificate of pem to chain (none is fine); -1 (reported) on a bad one. */
static int
read_certs(const char *pem, size_t len, const char *what, STACK_OF(X509) *chain)
{
	BIO *bio = NULL;
	X509 *x;
	int n = 0, rc = -1;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		ck_error_ssl("BIO_new_mem_buf (%s)", what);
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(chain, x) <= 0) {
			X509_free(x);
			ck_error("out of memory reading %s", what);
			goto out;
		}
		n++;
	}
	/* The end of the text is the one error expected. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE || n == 0) {
		if (n > 0 || len > 0) {
			ck_error_ssl("PEM_read_bio_X509 (%s)", what);
			goto out;
		}
	}
	ERR_clear_error();
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int
ck_tls_identity_new(const char *cert_pem, size_t cert_len, const char *chain_pem,
    size_t chain_len, EVP_PKEY *key, const char *what, struct ck_tls_identity **out)
{
	struct ck_tls_identity *id = NULL;
	STACK_OF(X509) *certs = NULL;
	int rc = -1;

	*out = NULL;
	if ((id = calloc(1, sizeof(*id))) == NULL || (certs = sk_X509_new_null()) == NULL ||
	    (id->chain = sk_X509_new_null()) == NULL) {
		ck_error("out of memory loading %s", what);
		goto out;
	}
	if (read_certs(cert_pem, cert_len, what, certs) != 0)
		goto out;
	if (sk_X509_num(certs) == 0) {
		ck_error("%s: no certificate", what);
		goto out;
	}
	id->leaf = sk_X509_shift(certs);
	if (chain_pem != NULL && read_certs(chain_pem, chain_len, what, id->chain) != 0)
		goto out;
	if (X509_check_private_key(id->leaf, key) != 1) {
		ck_error_ssl("%s: the key is not the certificate's", what);
		goto out;
	}
	if (EVP_PKEY_up_ref(key) != 1) {
		ck_error_ssl("EVP_PKEY_up_ref");
		goto out;
	}
	id->key = key;
	*out = id;
	id = NULL;
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	ck_tls_identity_free(id);
	return rc;
}

int
ck_tls_identity_apply(const struct ck_tls_identity *id, SSL_CTX *ctx)
{
	int i;

	/* The certificate first: set after it, a key that does not match is an error, not dropped. */
	if (SSL_CTX_use_certificate(ctx, id->leaf) != 1) {
		ck_error_ssl("SSL_CTX_use_certificate");
		return -1;
	}
	for (i = 0; i < sk_X509_num(id->chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(id->chain, i)) != 1) {
			ck_error_ssl("SSL_CTX_add1_chain_cert");
			return -1;
		}
	if (SSL_CTX_use_PrivateKey(ctx, id->key) != 1) {
		ck_error_ssl("SSL_CTX_use_PrivateKey");
		return -1;
	}
	return 0;
}

const char *
ck_tls_failure_words(const char *errbuf, int verify)
{
	static const struct {
		const char *needle;
		const char *words;
	} alerts[] = {
		/* What a server that checks client certificates answers, TLS 1.3 and 1.2. */
		{ "alert certificate required", "the server refused the connection without an "
		    "accepted client certificate" },
		{ "alert bad certificate", "the server refused our client certificate" },
		{ "alert unknown ca", "the server does not trust the issuer of our client certificate" },
		{ "alert certificate expired", "the server refused our client certificate as expired" },
		{ "alert certificate unknown", "the server refused our client certificate" },
		{ "alert handshake failure", "the server refused the handshake" },
	};
	size_t i;

	if (verify)
		return "the server's certificate is not trusted (push_ca_bundle?)";
	for (i = 0; errbuf != NULL && i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (strstr(errbuf, alerts[i].needle) != NULL)
			return alerts[i].words;
	return NULL;
}
