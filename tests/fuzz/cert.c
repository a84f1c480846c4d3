/*
 * tests/fuzz/cert.c: the PEM chain splitter and the certificate checks
 * (cert/check.c): ck_chain_check against a fixed key and names (the
 * corpus holds a chain for them, made with openssl), ck_cert_info and
 * ck_cert_info_covering.  Oracles: an accepted chain's leaf is first in
 * fullchain, not_before <= now < not_after, and the leaf covers the names;
 * a certificate covers names only with a key that decodes, and an
 * unreadable one leaves the answer untouched.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "certkeeper/cert/check.h"

/* The public key of tests/fuzz/cert/corpus/leaf.pem (a throwaway P-256 key). */
static const char leaf_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBslau7EqGjzpSfMCIeNG4HFppP4+\n"
	"98RHbDTdQxc797ZuTPNi/JEq4V2GJvbqLz+KpfNYvmB4KfXdBJUVBqMURw==\n"
	"-----END PUBLIC KEY-----\n";

#define NOW ((time_t)1800000000)	/* 2027-01-15: inside the corpus chain's validity */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	static char n1[] = "a.example", n2[] = "b.example", n3[] = "192.0.2.1";
	static char *const names[] = { n1, n2, n3 };
	struct ck_chain c;
	struct ck_cert_info info;
	const char *pem = (const char *)data;
	BIO *bio;
	int covers;

	ckfz_init();
	if (key == NULL) {
		CKFZ_ASSERT((bio = BIO_new_mem_buf(leaf_pub, -1)) != NULL);
		CKFZ_ASSERT((key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) != NULL);
		BIO_free(bio);
	}
	memset(&c, 0, sizeof(c));
	if (ck_chain_check(pem, size, key, names, 3, NOW, &c) == 0) {
		CKFZ_ASSERT(c.cert != NULL && c.fullchain != NULL && c.serial != NULL);
		CKFZ_ASSERT(c.fullchain_len >= c.cert_len &&
		    memcmp(c.fullchain, c.cert, c.cert_len) == 0);
		CKFZ_ASSERT(c.not_before <= NOW && NOW < c.not_after);
		covers = -1;
		CKFZ_ASSERT(ck_cert_info_covering(c.cert, c.cert_len, names, 3, &info,
		    &covers) == 0 && covers == 1 && info.key_type >= 0);
		ck_cert_info_clear(&info);
	}
	ck_chain_clear(&c);
	memset(&info, 0, sizeof(info));
	if (ck_cert_info(pem, size, &info) == 0)
		CKFZ_ASSERT(info.serial != NULL);
	ck_cert_info_clear(&info);
	covers = -1;
	if (ck_cert_info_covering(pem, size, names, 3, &info, &covers) == 0)
		/* Covering names needs a key that decodes. */
		CKFZ_ASSERT(covers == 0 || (covers == 1 && info.key_type >= 0));
	else
		CKFZ_ASSERT(covers == -1);
	ck_cert_info_clear(&info);
	return 0;
}
