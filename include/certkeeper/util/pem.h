/*
 * util/pem.h: PEM text in memory, as OpenSSL's memory BIOs produce it, and
 * the passphrase callback every PEM reader here passes.
 */
#ifndef CERTKEEPER_UTIL_PEM_H
#define CERTKEEPER_UTIL_PEM_H

#include <stddef.h>
#include <openssl/bio.h>

/* PEM passphrase callback that refuses (-1): an encrypted PEM fails to load, nothing prompts. */
int ck_pem_no_passphrase(char *buf, int size, int rwflag, void *u);

/*
 * Copies the text a memory BIO holds into *out (malloc'd, NUL-terminated,
 * *outlen bytes without the NUL).  `what` names the text in errors.
 */
int ck_pem_from_bio(BIO *bio, const char *what, char **out, size_t *outlen);

/*
 * The same for text holding a private key: *out is OPENSSL_malloc'd and
 * the caller must free it with OPENSSL_clear_free(*out, *outlen); the BIO's
 * own copy is wiped.
 */
int ck_pem_secret_from_bio(BIO *bio, const char *what, char **out, size_t *outlen);

#endif
