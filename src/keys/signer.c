/*
 * keys/signer.c: the signer interface shared by the software and TPM backends
 * (see keys/signer.h), and the ECDSA signature encodings both need.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"

static const struct {
	enum ck_key_type type;
	const char *name;
} key_types[] = {
	{ CK_KEY_EC_P256, "ec-p256" },
	{ CK_KEY_EC_P384, "ec-p384" },
	{ CK_KEY_RSA_2048, "rsa-2048" },
	{ CK_KEY_RSA_3072, "rsa-3072" },
	{ CK_KEY_TPM_P256, "tpm" },
	{ CK_KEY_TPM_P384, "tpm-p384" },
};

const char *
ck_key_type_name(enum ck_key_type t)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].type == t)
			return key_types[i].name;
	return "unknown";
}

int
ck_key_type_parse(const char *name, enum ck_key_type *out)
{
	size_t i;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcmp(key_types[i].name, name) == 0) {
			*out = key_types[i].type;
			return 0;
		}
	return -1;
}

int
ck_key_type_is_tpm(enum ck_key_type t)
{
	return t == CK_KEY_TPM_P256 || t == CK_KEY_TPM_P384;
}

int
ck_signer_sign(struct ck_signer *s, const unsigned char *msg, size_t len,
    enum ck_sig_form form, unsigned char **sig, size_t *siglen)
{
	return s->ops->sign(s, msg, len, form, sig, siglen);
}

int
ck_signer_sign_digest(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
    unsigned char **sig, size_t *siglen)
{
	*sig = NULL;
	if (s->ops->sign_digest == NULL) {
		ck_error_as(CK_ERR_CONFIG, "a %s key cannot sign a TLS handshake here (EC keys only)",
		    ck_key_type_name(s->type));
		return -1;
	}
	return s->ops->sign_digest(s, dgst, dlen, sig, siglen);
}

const char *
ck_signer_jws_alg(const struct ck_signer *s)
{
	switch (s->type) {
	case CK_KEY_EC_P256:
	case CK_KEY_TPM_P256:
		return "ES256";
	case CK_KEY_EC_P384:
	case CK_KEY_TPM_P384:
		return "ES384";
	case CK_KEY_RSA_2048:
	case CK_KEY_RSA_3072:
		break;
	}
	return "RS256";
}

const EVP_MD *
ck_signer_md(const struct ck_signer *s)
{
	if (s->type == CK_KEY_EC_P384 || s->type == CK_KEY_TPM_P384)
		return EVP_sha384();
	return EVP_sha256();
}

void
ck_signer_free(struct ck_signer *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->destroy != NULL)
		s->ops->destroy(s);
	EVP_PKEY_free(s->pub);
	free(s);
}

int
ck_sig_ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t fieldlen,
    unsigned char **out, size_t *outlen)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig = NULL;
	unsigned char *buf = NULL;
	int rc = -1;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL || p != der + derlen) {
		ck_error_ssl("d2i_ECDSA_SIG: malformed ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &r, &s);
	if ((buf = malloc(2 * fieldlen)) == NULL) {
		ck_error("out of memory converting a signature");
		goto out;
	}
	if (BN_bn2binpad(r, buf, (int)fieldlen) < 0 ||
	    BN_bn2binpad(s, buf + fieldlen, (int)fieldlen) < 0) {
		ck_error("ECDSA signature value larger than the %zu-byte field", fieldlen);
		goto out;
	}
	*out = buf;
	*outlen = 2 * fieldlen;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	ECDSA_SIG_free(sig);
	return rc;
}

int
ck_sig_ecdsa_raw_to_der(const unsigned char *r, size_t rlen, const unsigned char *s,
    size_t slen, unsigned char **out, size_t *outlen)
{
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *sig = NULL;
	unsigned char *der = NULL, *p;
	int len, rc = -1;

	if ((sig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(r, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(s, (int)slen, NULL)) == NULL) {
		ck_error_ssl("ECDSA_SIG_new");
		goto out;
	}
	if (ECDSA_SIG_set0(sig, br, bs) != 1) {
		ck_error_ssl("ECDSA_SIG_set0");
		goto out;
	}
	br = bs = NULL;
	if ((len = i2d_ECDSA_SIG(sig, NULL)) <= 0) {
		ck_error_ssl("i2d_ECDSA_SIG");
		goto out;
	}
	/* Our buffers are malloc'd, so encode into one rather than OpenSSL's. */
	if ((der = malloc((size_t)len)) == NULL) {
		ck_error("out of memory converting a signature");
		goto out;
	}
	p = der;
	if (i2d_ECDSA_SIG(sig, &p) != len) {
		ck_error_ssl("i2d_ECDSA_SIG");
		goto out;
	}
	*out = der;
	*outlen = (size_t)len;
	der = NULL;
	rc = 0;
out:
	free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return rc;
}
