/*
 * keys/jws.h: JSON Web Signatures for ACME requests (RFC 7515, RFC 8555 6.2),
 * JWKs (RFC 7517) and their thumbprints (RFC 7638).  Signing goes
 * through the signer; JSON is built with jansson.
 */
#ifndef CERTKEEPER_KEYS_JWS_H
#define CERTKEEPER_KEYS_JWS_H

#include <jansson.h>
#include <openssl/evp.h>
#include "certkeeper/keys/signer.h"

/* Public JWK of pub (EC: crv,kty,x,y; RSA: e,kty,n); new reference or NULL. */
json_t *ck_jwk(const EVP_PKEY *pub);

/* base64url SHA-256 thumbprint of pub's JWK (malloc'd). */
int ck_jwk_thumbprint(const EVP_PKEY *pub, char **out);

/* base64url of the compact JSON serialization of j (malloc'd), or NULL when out of memory. */
char *ck_jws_b64url_json(const json_t *j);

/*
 * Flattened JWS JSON serialization of payload for url, with nonce, and kid
 * (or the jwk when kid is NULL).  payload NULL makes a POST-as-GET (empty
 * payload).  nonce NULL leaves it out (the inner JWS of a key change).
 * *out is malloc'd.
 */
int ck_jws_sign(struct ck_signer *s, const char *url, const char *nonce, const char *kid,
    const json_t *payload, char **out);

/*
 * Verifies a flattened JWS against pub (ES256/ES384/RS256); on success
 * returns the protected header and payload (payload "" for POST-as-GET).
 * Used by the tests.
 */
int ck_jws_verify(const char *jws, const EVP_PKEY *pub, json_t **protected_hdr,
    char **payload);

#endif
