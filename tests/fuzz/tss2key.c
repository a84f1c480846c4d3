/*
 * tests/fuzz/tss2key.c: the "TSS2 PRIVATE KEY" decoder (keys/tss2key.c).
 * Oracle: what decodes encodes again, and that decodes to the same key.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "fuzz.h"
#include "certkeeper/keys/tss2key.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_tss2key k, k2;
	char *pem = NULL;
	size_t pemlen = 0;

	ckfz_init();
	memset(&k, 0, sizeof(k));
	memset(&k2, 0, sizeof(k2));
	if (ck_tss2key_decode((const char *)data, size, "fuzz input", &k) == 0) {
		CKFZ_ASSERT(ck_tss2key_encode(&k, &pem, &pemlen) == 0);
		CKFZ_ASSERT(ck_tss2key_decode(pem, pemlen, "re-encoded", &k2) == 0);
		CKFZ_ASSERT(k2.empty_auth == k.empty_auth && k2.parent == k.parent);
		CKFZ_ASSERT(k2.publen == k.publen && memcmp(k2.pub, k.pub, k.publen) == 0);
		CKFZ_ASSERT(k2.privlen == k.privlen && memcmp(k2.priv, k.priv, k.privlen) == 0);
		OPENSSL_clear_free(pem, pemlen);
	}
	ck_tss2key_clear(&k);
	ck_tss2key_clear(&k2);
	return 0;
}
