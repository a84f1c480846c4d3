/*
 * keys/soft.c: software keys held in memory as OpenSSL EVP_PKEYs, and the
 * signer backend for them (see keys/soft.h).  Only EVP interfaces are used.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "certkeeper/keys/ecder.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"

static int soft_sign(struct ck_signer *s, const unsigned char *msg, size_t len,
    enum ck_sig_form form, unsigned char **sig, size_t *siglen);
static void soft_destroy(struct ck_signer *s);
static int soft_sign_digest(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
    unsigned char **sig, size_t *siglen);

static const struct ck_signer_ops soft_ops = {
	.sign = soft_sign,
	.destroy = soft_destroy,
	.sign_digest = soft_sign_digest,
	.in_process = 1,
};

int
ck_soft_generate(enum ck_key_type t, EVP_PKEY **out)
{
	EVP_PKEY *pkey = NULL;

	switch (t) {
	case CK_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case CK_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case CK_KEY_RSA_2048:
		/* OpenSSL's default public exponent is 65537 (RSA_F4). */
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case CK_KEY_RSA_3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case CK_KEY_TPM_P256:
	case CK_KEY_TPM_P384:
		ck_error("key type %s is not a software key", ck_key_type_name(t));
		return -1;
	}
	if (pkey == NULL) {
		ck_error_ssl("EVP_PKEY_Q_keygen (%s)", ck_key_type_name(t));
		return -1;
	}
	*out = pkey;
	return 0;
}

/* Classifies a software or TPM public key; -1 (not reported) for any other kind. */
int
ck_key_type_of(const EVP_PKEY *pkey, enum ck_key_type *out)
{
	char group[64];
	size_t glen = 0;
	int bits;

	if (pkey == NULL)
		return -1;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1)
			return -1;
		/* Generated keys report the NIST name, parsed ones the SEC/X9.62 one. */
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
		    strcmp(group, "secp256r1") == 0) {
			*out = CK_KEY_EC_P256;
			return 0;
		}
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			*out = CK_KEY_EC_P384;
			return 0;
		}
		return -1;
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits == 2048) {
			*out = CK_KEY_RSA_2048;
			return 0;
		}
		if (bits == 3072) {
			*out = CK_KEY_RSA_3072;
			return 0;
		}
		return -1;
	default:
		return -1;
	}
}

/*
 * An EC key's public-only copy: its curve copied as it is (EVP_PKEY_copy_
 * parameters), then its encoded point, which the key manager checks is on
 * the curve.  EVP_PKEY_fromdata would build the curve again from its name:
 * about 280 k instructions a copy against 110 k.  Returns 1 with *out set,
 * 0 when pkey is not an EC key (nothing set), -1 on failure (reported).
 */
static int
ec_public_copy(EVP_PKEY *pkey, EVP_PKEY **out)
{
	unsigned char point[CK_EC_POINT_MAX];
	EVP_PKEY *pub = NULL;
	size_t len = 0;

	if (!EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	    sizeof(point), &len) != 1) {
		ck_error_ssl("EVP_PKEY_get_octet_string_param (EC public key)");
		return -1;
	}
	if ((pub = EVP_PKEY_new()) == NULL || EVP_PKEY_copy_parameters(pub, pkey) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pub, point, len) != 1) {
		ck_error_ssl("EC public key copy");
		EVP_PKEY_free(pub);
		return -1;
	}
	*out = pub;
	return 1;
}

/*
 * A public-only copy of pkey, so that nothing can lean on pub holding private
 * parts.  An EC key as ec_public_copy makes it; any other's public parameters
 * go through the key manager (EVP_PKEY_todata, EVP_PKEY_fromdata), not a DER
 * round trip: OpenSSL 3's encoder and decoder setup for that cost about a
 * tenth of a renewal's instructions.
 */
static int
public_copy(EVP_PKEY *pkey, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pub = NULL;
	int rc;

	if ((rc = ec_public_copy(pkey, out)) != 0)
		return rc > 0 ? 0 : -1;
	rc = -1;

	if (EVP_PKEY_todata(pkey, EVP_PKEY_PUBLIC_KEY, &params) != 1) {
		ck_error_ssl("EVP_PKEY_todata (public key)");
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL) {
		ck_error_ssl("EVP_PKEY_CTX_new_from_pkey");
		goto out;
	}
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ck_error_ssl("EVP_PKEY_fromdata (public key)");
		goto out;
	}
	*out = pub;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return rc;
}

int
ck_soft_signer_new(EVP_PKEY *pkey, struct ck_signer **out)
{
	struct ck_signer *s = NULL;
	enum ck_key_type t;

	if (ck_key_type_of(pkey, &t) != 0) {
		ck_error("unsupported key (expected EC P-256/P-384 or RSA 2048/3072)");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ck_error("out of memory creating a signer");
		return -1;
	}
	if (public_copy(pkey, &s->pub) != 0) {
		free(s);
		return -1;
	}
	s->ops = &soft_ops;
	s->type = t;
	s->priv = pkey;
	*out = s;
	return 0;
}

/* Signs msg with the software key; JWS EC signatures are converted to r||s. */
static int
soft_sign(struct ck_signer *s, const unsigned char *msg, size_t len,
    enum ck_sig_form form, unsigned char **sig, size_t *siglen)
{
	EVP_PKEY *pkey = s->priv;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *buf = NULL;
	size_t buflen = 0;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL) {
		ck_error_ssl("EVP_MD_CTX_new");
		goto out;
	}
	if (EVP_DigestSignInit(md, &pctx, ck_signer_md(s), NULL, pkey) != 1) {
		ck_error_ssl("EVP_DigestSignInit (%s key)", ck_key_type_name(s->type));
		goto out;
	}
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
		ck_error_ssl("EVP_PKEY_CTX_set_rsa_padding");
		goto out;
	}
	if (EVP_DigestSign(md, NULL, &buflen, msg, len) != 1) {
		ck_error_ssl("EVP_DigestSign (%s key)", ck_key_type_name(s->type));
		goto out;
	}
	if ((buf = malloc(buflen)) == NULL) {
		ck_error("out of memory signing");
		goto out;
	}
	if (EVP_DigestSign(md, buf, &buflen, msg, len) != 1) {
		ck_error_ssl("EVP_DigestSign (%s key)", ck_key_type_name(s->type));
		goto out;
	}
	if (form == CK_SIG_JWS && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
		size_t field = s->type == CK_KEY_EC_P384 ? 48 : 32;

		if (ck_sig_ecdsa_der_to_raw(buf, buflen, field, sig, siglen) != 0)
			goto out;
	} else {
		*sig = buf;
		*siglen = buflen;
		buf = NULL;
	}
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * Signs a digest made by the caller (the TLS stack) with an EC key: DER
 * ECDSA.  RSA keys are refused: TLS 1.3 wants RSA-PSS, which this seam
 * does not carry.
 */
static int
soft_sign_digest(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
    unsigned char **sig, size_t *siglen)
{
	EVP_PKEY *pkey = s->priv;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	size_t buflen = 0;
	int rc = -1;

	*sig = NULL;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
		ck_error_as(CK_ERR_CONFIG, "a %s key cannot sign a TLS handshake here (EC keys only)",
		    ck_key_type_name(s->type));
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, NULL, &buflen, dgst, dlen) != 1) {
		ck_error_ssl("EVP_PKEY_sign (%s key)", ck_key_type_name(s->type));
		goto out;
	}
	if ((buf = malloc(buflen)) == NULL) {
		ck_error("out of memory signing");
		goto out;
	}
	if (EVP_PKEY_sign(ctx, buf, &buflen, dgst, dlen) != 1) {
		ck_error_ssl("EVP_PKEY_sign (%s key)", ck_key_type_name(s->type));
		goto out;
	}
	*sig = buf;
	*siglen = buflen;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static void
soft_destroy(struct ck_signer *s)
{
	EVP_PKEY_free(s->priv);
	s->priv = NULL;
}

int
ck_soft_key_to_pem(EVP_PKEY *pkey, char **pem, size_t *pemlen)
{
	BIO *bio = NULL;
	int written, rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		ck_error_ssl("BIO_new");
		goto out;
	}
	/*
	 * PKCS#8 ("PRIVATE KEY"): an EC key through keys/ecder.c, which writes
	 * what OpenSSL 3's encoder would without setting one up; others (RSA)
	 * through the encoder.
	 */
	if ((written = ck_ec_pkcs8_write(bio, pkey)) < 0)
		goto out;
	if (written == 0 &&
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		ck_error_ssl("PEM_write_bio_PrivateKey");
		goto out;
	}
	rc = ck_pem_secret_from_bio(bio, "a private key", pem, pemlen);
out:
	BIO_free(bio);
	return rc;
}

/*
 * Decodes an unencrypted PKCS#8 "PRIVATE KEY" PEM (what ck_soft_to_pem
 * writes) with a decoder for its one key type, DER and PrivateKeyInfo: the
 * generic PEM_read_bio_PrivateKey sets up every decoder OpenSSL 3 has (about
 * 5 M instructions, a tenth of a renewal).  Returns 0 with *out set, or -1
 * for anything else (another label, an encrypted key, a key type other than
 * EC or RSA, a decoding error), which the caller hands to the generic
 * decoder, so that its errors stay the ones the user sees.
 */
static int
read_pkcs8(const char *pem, size_t pemlen, EVP_PKEY **out)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const ASN1_OBJECT *alg = NULL;
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *pkey = NULL;
	const char *type;
	size_t left;
	int rc = -1;

	ERR_set_mark();
	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL ||
	    PEM_read_bio(bio, &name, &header, &der, &derlen) != 1 ||
	    strcmp(name, PEM_STRING_PKCS8INF) != 0 || header[0] != '\0')
		goto out;
	p = der;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, derlen)) == NULL ||
	    PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8) != 1)
		goto out;
	/* An EC key through the key manager (keys/ecder.c): no decoder at all. */
	if (ck_ec_pkcs8_key(p8, &pkey) == 1) {
		*out = pkey;
		pkey = NULL;
		rc = 0;
		goto out;
	}
	switch (OBJ_obj2nid(alg)) {
	case NID_X9_62_id_ecPublicKey:
		type = "EC";
		break;
	case NID_rsaEncryption:
		type = "RSA";
		break;
	default:
		goto out;
	}
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo", type,
	    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL || OSSL_DECODER_CTX_get_num_decoders(dctx) == 0)
		goto out;
	p = der;
	left = (size_t)derlen;
	if (OSSL_DECODER_from_data(dctx, &p, &left) != 1 || pkey == NULL)
		goto out;
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_clear_free(der, (size_t)derlen);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	/* A key this cannot read goes to the generic decoder: no stale errors. */
	ERR_pop_to_mark();
	return rc;
}

int
ck_soft_signer_from_pem(const char *pem, size_t pemlen, const char *what,
    struct ck_signer **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	enum ck_key_type t;
	int rc = -1;

	if (pemlen > INT_MAX) {
		ck_error("%s: key file too large", what);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL) {
		ck_error_ssl("BIO_new_mem_buf");
		goto out;
	}
	if (read_pkcs8(pem, pemlen, &pkey) != 0 &&
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, ck_pem_no_passphrase, NULL)) == NULL) {
		ck_error_ssl("%s: cannot read a private key", what);
		goto out;
	}
	if (ck_key_type_of(pkey, &t) != 0) {
		ck_error("%s: unsupported key (expected EC P-256/P-384 or RSA 2048/3072)", what);
		goto out;
	}
	if (ck_soft_signer_new(pkey, out) != 0)
		goto out;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}
