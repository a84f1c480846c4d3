/*
 * tests/fuzz/b64url.c: base64url (util/b64.c).  Oracles: what decodes
 * re-encodes to something that decodes to the same bytes; any bytes
 * encode, and decode back to themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "certkeeper/util/b64.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0;
	char *s, *enc = NULL;

	ckfz_init();
	s = ckfz_str(data, size);
	if (ck_b64url_decode(s, &out, &outlen) == 0) {
		CKFZ_ASSERT((enc = ck_b64url_encode(out, outlen)) != NULL);
		CKFZ_ASSERT(ck_b64url_decode(enc, &again, &againlen) == 0);
		CKFZ_ASSERT(againlen == outlen && memcmp(again, out, outlen) == 0);
		free(enc);
		free(again);
		again = NULL;
	}
	free(out);
	CKFZ_ASSERT((enc = ck_b64url_encode(data, size)) != NULL);
	CKFZ_ASSERT(ck_b64url_decode(enc, &again, &againlen) == 0);
	CKFZ_ASSERT(againlen == size && (size == 0 || memcmp(again, data, size) == 0));
	free(enc);
	free(again);
	free(s);
	return 0;
}
