/*
 * tests/fuzz/ip.c: the IP address parser (util/ip.c).  Oracles: an
 * address's canonical text is an address with the same bytes and is its
 * own canonical text; the reverse name fits; a non-address gives none.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "certkeeper/util/ip.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char bin[16], bin2[16];
	char canon[CK_IP_TEXT_MAX], canon2[CK_IP_TEXT_MAX], rev[CK_IP_REVERSE_MAX];
	size_t n;
	char *s;

	ckfz_init();
	s = ckfz_str(data, size);
	n = ck_ip_parse(s, bin);
	CKFZ_ASSERT(n == 0 || n == 4 || n == 16);
	CKFZ_ASSERT((n != 0) == (ck_ip_is_addr(s) != 0));
	if (n == 0) {
		CKFZ_ASSERT(ck_ip_canonical(s, canon, sizeof(canon)) == -1);
		CKFZ_ASSERT(ck_ip_reverse_name(s, rev, sizeof(rev)) == -1);
	} else {
		CKFZ_ASSERT(ck_ip_canonical(s, canon, sizeof(canon)) == 0);
		CKFZ_ASSERT(ck_ip_parse(canon, bin2) == n && memcmp(bin, bin2, n) == 0);
		CKFZ_ASSERT(ck_ip_canonical(canon, canon2, sizeof(canon2)) == 0);
		CKFZ_ASSERT(strcmp(canon, canon2) == 0);
		CKFZ_ASSERT(ck_ip_reverse_name(s, rev, sizeof(rev)) == 0);
		CKFZ_ASSERT(strlen(rev) < sizeof(rev));
	}
	free(s);
	return 0;
}
