/*
 * keys/ecder.h: an EC key's standard encodings, SubjectPublicKeyInfo (RFC
 * 5480) and PKCS#8 PrivateKeyInfo holding an ECPrivateKey (RFC 5208, 5915),
 * made with OpenSSL's ASN.1 templates from the key's parameters.
 *
 * OpenSSL 3.0's own route, an encoder (and for a public key in an X509_PUBKEY
 * a decoder after it), sets up every encoder its providers have, for each
 * key: about 1.5 M instructions each, a tenth of a renewal.  The output is
 * byte for byte what that route writes (tests/unit/test_ecder.c compares).
 * Named curves only; any other key is left to the caller's generic route.
 * A PrivateKeyInfo is read back the same way, through the key manager.
 */
#ifndef CERTKEEPER_KEYS_ECDER_H
#define CERTKEEPER_KEYS_ECDER_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* The largest encoded EC point here: P-521 uncompressed, 1 + 2 * 66 bytes. */
#define CK_EC_POINT_MAX 133

/*
 * Sets spki (for instance a request's, X509_REQ_get_X509_PUBKEY) to key's
 * public key.  Returns 1 when set, 0 when key is not an EC key on a named
 * curve (nothing changed), -1 on failure (reported).
 */
int ck_ec_spki_set(X509_PUBKEY *spki, const EVP_PKEY *key);

/*
 * Writes key's private key to out as a "PRIVATE KEY" PEM block (unencrypted
 * PKCS#8).  The intermediate encodings are wiped.  Returns 1 when written, 0
 * when key is not an EC private key on a named curve (nothing written), -1 on
 * failure (reported).
 */
int ck_ec_pkcs8_write(BIO *out, const EVP_PKEY *key);

/*
 * The key in p8 when it is an EC key on a named curve with its public point:
 * returns 1 with *out set (EVP_PKEY_free it).  0 for any other key (another
 * algorithm, no public point: nothing set), -1 when it is not a valid one
 * (an ECPrivateKey that does not parse, a point off the curve), with
 * OpenSSL's error queued; either way a caller can hand p8 to OpenSSL's
 * decoder for its own verdict and error.
 */
int ck_ec_pkcs8_key(const PKCS8_PRIV_KEY_INFO *p8, EVP_PKEY **out);

#endif
