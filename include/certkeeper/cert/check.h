/*
 * cert/check.h: what a downloaded certificate chain must satisfy before it
 * may be installed, and facts read from installed certificates.
 */
#ifndef CERTKEEPER_CERT_CHECK_H
#define CERTKEEPER_CERT_CHECK_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

struct ck_chain {
	char *cert;		/* leaf PEM, re-encoded by OpenSSL */
	size_t cert_len;
	char *chain;		/* issuers PEM, in order */
	size_t chain_len;
	char *fullchain;	/* cert + chain */
	size_t fullchain_len;
	char *serial;		/* lower-case hex, no leading zeros ("0" for zero) */
	time_t not_before;
	time_t not_after;
};

/*
 * Checks a PEM chain from the CA (leaf first) for installation: it parses
 * (only CERTIFICATE blocks, at least the leaf), the leaf's public key is
 * key, the leaf covers every domain in its subjectAltName DNS names, it is
 * valid at now, and each certificate is signed by the next one.  On
 * failure the error names what is wrong and *out is untouched.
 */
int ck_chain_check(const char *pem, size_t len, const EVP_PKEY *key,
    char *const *domains, size_t ndomains, time_t now, struct ck_chain *out);
/* Frees what ck_chain_check filled in and zeroes c (NULL is fine). */
void ck_chain_clear(struct ck_chain *c);

struct ck_cert_info {
	char *serial;		/* as in ck_chain */
	time_t not_before;
	time_t not_after;
	int key_type;		/* enum ck_key_type of its public key (software type), or -1 */
};

/*
 * Reads the first certificate of a PEM text; a public key that does not
 * decode (a corrupt file) gives key_type -1 and a warning, not a failure.
 */
int ck_cert_info(const char *pem, size_t len, struct ck_cert_info *out);
/*
 * ck_cert_info, and from the same parse (each costs OpenSSL 3.0 a decoder
 * setup for the key) *covered: 1 when its key decodes and its
 * subjectAltName covers every one of the domains, else 0 (a key that does
 * not decode serves no name).  *covered is untouched on failure.
 */
int ck_cert_info_covering(const char *pem, size_t len, char *const *domains, size_t ndomains,
    struct ck_cert_info *out, int *covered);

/* Frees what ck_cert_info filled in and zeroes i (NULL is fine). */
void ck_cert_info_clear(struct ck_cert_info *i);

#endif
