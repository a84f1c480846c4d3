/*
 * test_time.c: RFC 3339 times (util/time.c): the strict form certkeeper
 * writes and reads back, and the lenient one servers send (RFC 9773's
 * renewal windows, say), with fractions and offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "certkeeper/util/time.h"

#define T0 ((time_t)1609632000)	/* 2021-01-03T00:00:00Z */

/* Broken if a server's time with a fraction, an offset or lower-case letters is misread or refused. */
static void
test_any_accepts(void **state)
{
	static const struct {
		const char *text;
		time_t want;
	} cases[] = {
		{ "2021-01-03T00:00:00Z", T0 },
		{ "2021-01-03t00:00:00z", T0 },
		{ "2021-01-03T00:00:00.999999999Z", T0 },	/* rounded down */
		{ "2021-01-03T00:00:00.5+00:00", T0 },
		{ "2021-01-03T00:00:00-00:00", T0 },
		{ "2021-01-03T02:00:00+02:00", T0 },
		{ "2021-01-02T18:30:00-05:30", T0 },
		{ "2021-01-02T23:59:60Z", T0 },			/* a leap second */
		{ "2020-12-31T23:59:60.25-23:59", T0 - 2 * 86400 + 23 * 3600 + 59 * 60 },
		{ "2024-02-29T12:00:00Z", (time_t)1709208000 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "9999-12-31T23:59:59Z", (time_t)253402300799LL },
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = 42;
		if (ck_time_parse_rfc3339_any(cases[i].text, &t) != 0)
			fail_msg("\"%s\" refused", cases[i].text);
		if (t != cases[i].want)
			fail_msg("\"%s\": %lld, expected %lld", cases[i].text, (long long)t,
			    (long long)cases[i].want);
	}
}

/* Broken if text that is not an RFC 3339 date-time passes as a time (fail closed on server data). */
static void
test_any_refuses(void **state)
{
	static const char *const bad[] = {
		"", "2021", "2021-01-03", "2021-01-03T00:00:00",	/* no offset */
		"2021-01-03 00:00:00Z", "2021-01-03T00:00Z", "21-01-03T00:00:00Z",
		"2021-1-03T00:00:00Z", "2021-01-03T00:00:00.Z", "2021-01-03T00:00:00,5Z",
		"2021-01-03T00:00:00+0200", "2021-01-03T00:00:00+02", "2021-01-03T00:00:00+2:00",
		"2021-01-03T00:00:00ZZ", "2021-01-03T00:00:00Z ", " 2021-01-03T00:00:00Z",
		"2021-01-03T00:00:00UTC", "2021-13-01T00:00:00Z", "2021-00-01T00:00:00Z",
		"2021-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2021-04-31T00:00:00Z",
		"2021-01-00T00:00:00Z", "2021-01-03T24:00:00Z", "2021-01-03T00:60:00Z",
		"2021-01-03T00:00:61Z", "2021-01-03T00:58:60Z", "2021-01-03T00:00:00+24:00",
		"2021-01-03T00:00:00+02:60", "+2021-01-03T00:00:00Z", "2021-01-03T00:00:00\nZ",
		"\xef\xbc\x92" "021-01-03T00:00:00Z",
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		if (ck_time_parse_rfc3339_any(bad[i], &t) == 0)
			fail_msg("\"%s\" accepted as %lld", bad[i], (long long)t);
	}
	assert_int_equal(ck_time_parse_rfc3339_any(NULL, &t), -1);
}

/* Broken if the strict reader of our own files took what only the lenient one may. */
static void
test_strict_unchanged(void **state)
{
	time_t t = 0;

	(void)state;
	assert_int_equal(ck_time_parse_rfc3339("2021-01-03T00:00:00Z", &t), 0);
	assert_true(t == T0);
	assert_int_equal(ck_time_parse_rfc3339("2021-01-03T00:00:00.5Z", &t), -1);
	assert_int_equal(ck_time_parse_rfc3339("2021-01-03T02:00:00+02:00", &t), -1);
	assert_int_equal(ck_time_parse_rfc3339("2021-01-03t00:00:00z", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_accepts),
		cmocka_unit_test(test_any_refuses),
		cmocka_unit_test(test_strict_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
