/*
 * net/tls.h: a client identity for mutual TLS (the device's certificate,
 * its chain and a key handle), put on each TLS context libcurl makes
 * (net/http.h: ck_http_set_identity), and the words for why a handshake
 * with it failed.
 *
 * The key is an EVP_PKEY whose private operation is a signer's
 * (keys/pkey.h): nothing here holds key material.
 */
#ifndef CERTKEEPER_NET_TLS_H
#define CERTKEEPER_NET_TLS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct ck_tls_identity;

/*
 * Makes an identity from the certificate (cert_pem: the leaf first) and
 * its issuers (chain_pem, may be NULL), and key (a reference is taken).
 * `what` names them in errors.  Fails (reported) when the PEM does not
 * parse or key is not the leaf's.
 */
int ck_tls_identity_new(const char *cert_pem, size_t cert_len, const char *chain_pem,
    size_t chain_len, EVP_PKEY *key, const char *what, struct ck_tls_identity **out);
void ck_tls_identity_free(struct ck_tls_identity *id);

/* Puts id's certificate, chain and key on ctx.  Returns 0, or -1 (reported). */
int ck_tls_identity_apply(const struct ck_tls_identity *id, SSL_CTX *ctx);

/*
 * Words for a failed transfer from libcurl's error text and whether it was
 * a peer-verification failure (verify): "the server refused our client
 * certificate", "the server's certificate is not trusted", ...; NULL when
 * none fits.
 */
const char *ck_tls_failure_words(const char *errbuf, int verify);

#endif
