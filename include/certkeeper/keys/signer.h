/*
 * keys/signer.h: the only way the rest of certkeeper uses a private key.
 *
 * A signer holds a key somewhere (in memory, or in a TPM) and signs
 * messages with it.  The ACME, JWS and CSR code see only this interface
 * and the public key, so they never touch private key material.
 */
#ifndef CERTKEEPER_KEYS_SIGNER_H
#define CERTKEEPER_KEYS_SIGNER_H

#include <stddef.h>
#include <openssl/evp.h>

enum ck_key_type {
	CK_KEY_EC_P256,
	CK_KEY_EC_P384,
	CK_KEY_RSA_2048,
	CK_KEY_RSA_3072,
	CK_KEY_TPM_P256,	/* "tpm" */
	CK_KEY_TPM_P384		/* "tpm-p384" */
};

/* "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "tpm", "tpm-p384". */
const char *ck_key_type_name(enum ck_key_type t);
/* Returns 0 and sets *out, or -1 (not reported) for an unknown name. */
int ck_key_type_parse(const char *name, enum ck_key_type *out);
/* Non-zero for the TPM-held types. */
int ck_key_type_is_tpm(enum ck_key_type t);

enum ck_sig_form {
	/* JWS form (RFC 7518 3.3/3.4): RSASSA-PKCS1-v1_5 bytes, or EC r||s each left-padded to the curve size. */
	CK_SIG_JWS,
	/* X.509 form: RSASSA-PKCS1-v1_5 bytes, or DER ECDSA-Sig-Value. */
	CK_SIG_DER
};

struct ck_signer;

struct ck_signer_ops {
	/* Hashes msg with the signer's digest and signs it; *sig is malloc'd. */
	int (*sign)(struct ck_signer *s, const unsigned char *msg, size_t len,
	    enum ck_sig_form form, unsigned char **sig, size_t *siglen);
	/* Releases priv (and anything behind it). */
	void (*destroy)(struct ck_signer *s);
	/*
	 * Signs a digest the caller made (dlen bytes: 32, 48 or 64, for
	 * SHA-256/384/512) as a DER ECDSA-Sig-Value; *sig is malloc'd.  For
	 * the TLS stack (keys/pkey.h).  NULL: the key cannot (RSA keys).
	 */
	int (*sign_digest)(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
	    unsigned char **sig, size_t *siglen);
	/*
	 * Non-zero when the signatures are OpenSSL's own, made in this process
	 * with the private key whose public half is pub: a CSR signed through
	 * it needs no self-check.  Zero, the default, for a backend whose
	 * signatures are checked before they leave (the TPM).
	 */
	int in_process;
};

struct ck_signer {
	const struct ck_signer_ops *ops;
	enum ck_key_type type;
	EVP_PKEY *pub;		/* public key only is guaranteed; owned by the signer */
	void *priv;		/* backend state */
};

/* Signs msg through s's backend (see ck_signer_ops.sign); *sig is malloc'd. */
int ck_signer_sign(struct ck_signer *s, const unsigned char *msg, size_t len,
    enum ck_sig_form form, unsigned char **sig, size_t *siglen);
/*
 * Signs a digest through s's backend (see ck_signer_ops.sign_digest);
 * reported failure for a key that cannot.  *sig is malloc'd.
 */
int ck_signer_sign_digest(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
    unsigned char **sig, size_t *siglen);
/* "ES256", "ES384" or "RS256". */
const char *ck_signer_jws_alg(const struct ck_signer *s);
/* EVP_sha256() or EVP_sha384(), matching the key (P-384 uses SHA-384). */
const EVP_MD *ck_signer_md(const struct ck_signer *s);
/* Frees the signer (NULL is fine). */
void ck_signer_free(struct ck_signer *s);

/*
 * Helpers shared by the backends (signer.c).
 * ck_sig_ecdsa_der_to_raw: DER ECDSA-Sig-Value -> r||s, each left-padded to
 * fieldlen bytes.  ck_sig_ecdsa_raw_to_der: r (rlen) and s (slen) big-endian
 * integers -> DER ECDSA-Sig-Value.  Both malloc *out.
 */
int ck_sig_ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t fieldlen,
    unsigned char **out, size_t *outlen);
int ck_sig_ecdsa_raw_to_der(const unsigned char *r, size_t rlen, const unsigned char *s,
    size_t slen, unsigned char **out, size_t *outlen);

#endif
