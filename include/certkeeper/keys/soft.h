/*
 * keys/soft.h: software keys (OpenSSL EVP_PKEY), for devices without a TPM.
 *
 * Key files are PKCS#8 PEM ("PRIVATE KEY").  Writing them to disk is the
 * store's job: these functions only produce and consume bytes.
 */
#ifndef CERTKEEPER_KEYS_SOFT_H
#define CERTKEEPER_KEYS_SOFT_H

#include <stddef.h>
#include "certkeeper/keys/signer.h"

/* Generates a fresh software key of type t (not a TPM type). */
int ck_soft_generate(enum ck_key_type t, EVP_PKEY **out);

/* Wraps a private key in a signer; takes ownership of pkey on success. */
int ck_soft_signer_new(EVP_PKEY *pkey, struct ck_signer **out);

/*
 * PKCS#8 PEM of a private key; *pem is OPENSSL_malloc'd and NUL-terminated.
 * It is the secret: free it with OPENSSL_clear_free(*pem, *pemlen).
 */
int ck_soft_key_to_pem(EVP_PKEY *pkey, char **pem, size_t *pemlen);

/*
 * Parses a PEM private key and makes a signer.  Fails (reported) if the key
 * is not one of the supported software types.  `what` names the source in
 * errors (a path).
 */
int ck_soft_signer_from_pem(const char *pem, size_t pemlen, const char *what,
    struct ck_signer **out);

/* Key type of a public key (EC P-256/P-384, RSA 2048/3072); -1 (not reported) if other or NULL. */
int ck_key_type_of(const EVP_PKEY *pkey, enum ck_key_type *out);

#endif
