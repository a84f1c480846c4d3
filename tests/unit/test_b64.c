/*
 * test_b64.c: base64url encoding and decoding (RFC 4648 section 5, no padding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "certkeeper/util/b64.h"

/* RFC 4648 section 10 vectors, without padding: a wrong alphabet or tail breaks these. */
static void
test_vectors(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *enc = ck_b64url_encode((const unsigned char *)in[i], strlen(in[i]));
		unsigned char *dec = NULL;
		size_t len = 0;

		assert_non_null(enc);
		assert_string_equal(enc, out[i]);
		assert_int_equal(ck_b64url_decode(enc, &dec, &len), 0);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(dec, in[i], len);
		free(enc);
		free(dec);
	}
}

/* The URL-safe alphabet: '-' and '_' instead of '+' and '/'. */
static void
test_urlsafe_alphabet(void **state)
{
	const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };
	char *enc = ck_b64url_encode(bytes, sizeof(bytes));
	unsigned char *dec = NULL;
	size_t len;

	assert_string_equal(enc, "-_-_");
	assert_int_equal(ck_b64url_decode("-_-_", &dec, &len), 0);
	assert_memory_equal(dec, bytes, sizeof(bytes));
	free(enc);
	free(dec);
}

/* Standard base64, padding, whitespace and impossible lengths are refused. */
static void
test_rejects(void **state)
{
	static const char *const bad[] = { "Zm9v+A", "Zm9v/A", "Zg==", "Zm 9v", "Z", "Zm9vY", "Zh" };
	unsigned char *dec = NULL;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ck_b64url_decode(bad[i], &dec, &len), -1);
		assert_null(dec);
	}
}

/* All byte values survive a round trip. */
static void
test_round_trip_all_bytes(void **state)
{
	unsigned char buf[256], *dec = NULL;
	size_t i, n, len;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)i;
	for (n = 0; n <= sizeof(buf); n += 37) {
		char *enc = ck_b64url_encode(buf, n);

		assert_int_equal(ck_b64url_decode(enc, &dec, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(dec, buf, n);
		free(enc);
		free(dec);
		dec = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_urlsafe_alphabet),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_round_trip_all_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
