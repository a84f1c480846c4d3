/*
 * keys/pkey.h: a signer seen as an OpenSSL EVP_PKEY, for the TLS stack
 * (mutual TLS to the fleet's Pushgateway with the device's own key).
 *
 * The EVP_PKEY holds the public key only; its private operation (ECDSA
 * on a digest the TLS stack made) calls the signer (ck_signer_sign_digest),
 * so a TPM key signs inside the TPM and the network code holds a handle,
 * never key material.  EC keys (software or TPM, P-256 or P-384) only.
 */
#ifndef CERTKEEPER_KEYS_PKEY_H
#define CERTKEEPER_KEYS_PKEY_H

#include <openssl/evp.h>

#include "certkeeper/keys/signer.h"

/*
 * Makes *out (free with EVP_PKEY_free) whose signatures are s's.  s must
 * outlive *out and everything holding a reference to it (an SSL_CTX).
 * Fails (reported) for a key that cannot sign digests (RSA).
 */
int ck_signer_pkey(struct ck_signer *s, EVP_PKEY **out);

#endif
