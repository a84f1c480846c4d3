/*
 * keys/tss2key.h: the "TSS2 PRIVATE KEY" file format of tpm2-openssl and
 * tpm2-tss-engine (an ASN.1 SEQUENCE in PEM), encoded and decoded with
 * OpenSSL's ASN.1 support.
 *
 *   TPMKey ::= SEQUENCE {
 *     type       OBJECT IDENTIFIER (2.23.133.10.1.3, loadable key),
 *     emptyAuth  [0] EXPLICIT BOOLEAN,     -- always written
 *     parent     INTEGER,                  -- 0x40000001 owner, or 0x81xxxxxx
 *     pubkey     OCTET STRING,             -- marshalled TPM2B_PUBLIC
 *     privkey    OCTET STRING }            -- marshalled TPM2B_PRIVATE
 */
#ifndef CERTKEEPER_KEYS_TSS2KEY_H
#define CERTKEEPER_KEYS_TSS2KEY_H

#include <stddef.h>
#include <stdint.h>

struct ck_tss2key {
	int empty_auth;
	uint32_t parent;
	unsigned char *pub;	/* marshalled TPM2B_PUBLIC, with its size prefix */
	size_t publen;
	unsigned char *priv;	/* marshalled TPM2B_PRIVATE, with its size prefix */
	size_t privlen;
};

/*
 * PEM text of k; *pem is OPENSSL_malloc'd and NUL-terminated.  It holds the
 * private blob: free it with OPENSSL_clear_free(*pem, *pemlen).
 */
int ck_tss2key_encode(const struct ck_tss2key *k, char **pem, size_t *pemlen);
/*
 * Parses PEM text; errors name `what` and the cause (not a TSS2 key, wrong
 * OID, truncated...).  An absent emptyAuth reads as TRUE, as tpm2-openssl
 * does.  Fills k (blobs OPENSSL_malloc'd); free with ck_tss2key_clear.
 */
int ck_tss2key_decode(const char *pem, size_t pemlen, const char *what, struct ck_tss2key *k);
/* Frees the blobs ck_tss2key_decode made, wiping the private one, and zeroes k. */
void ck_tss2key_clear(struct ck_tss2key *k);

#endif
