/*
 * test_renew.c: when a certificate becomes due under renew_before, and
 * without it (src/cert/due.c).  tests/unit/test_schedule.c adds the rule
 * over every lifetime, the jitter and the plan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "certkeeper/cert/due.h"

#define DAY 86400
/* A 90-day certificate starting at an arbitrary moment. */
#define NB ((time_t)1700000000)
#define NA (NB + 90 * DAY)

static struct ck_cert_config
share(int pct)
{
	struct ck_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.renew_before_pct = pct;
	return cc;
}

static struct ck_cert_config
duration(long secs)
{
	struct ck_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	cc.renew_before_secs = secs;
	return cc;
}

/* Broken: a share of the lifetime measured from the wrong end or scaled wrongly. */
static void
test_percent(void **state)
{
	struct ck_cert_config cc = share(33);

	/* 33% of 90 days is 29.7 days before the end. */
	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - (time_t)(29.7 * DAY));
	cc = share(50);
	assert_int_equal(ck_renew_after(&cc, NB, NA), NB + 45 * DAY);
	cc = share(1);
	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - 90 * DAY / 100);
	cc = share(99);
	assert_int_equal(ck_renew_after(&cc, NB, NA), NB + 90 * DAY / 100);
}

/* Broken: the expiring-soon time (ck_warn_after) by default, by share, by duration. */
static void
test_warn_after(void **state)
{
	struct ck_cert_config cc;

	memset(&cc, 0, sizeof(cc));
	/* Default: a sixth of 90 days (15 days) before the end. */
	assert_int_equal(ck_warn_after(&cc, NB, NA), NA - 15 * DAY);
	cc.warn_before_pct = 10;
	assert_int_equal(ck_warn_after(&cc, NB, NA), NA - 9 * DAY);
	cc.warn_before_pct = 0;
	cc.warn_before_secs = 2 * DAY;
	assert_int_equal(ck_warn_after(&cc, NB, NA), NA - 2 * DAY);
	/* Longer than the lifetime: from the start. */
	cc.warn_before_secs = 365 * DAY;
	assert_int_equal(ck_warn_after(&cc, NB, NA), NB);
	/* A certificate that ends before it starts: its end. */
	assert_int_equal(ck_warn_after(&cc, NA, NB), NB);
}

/* Broken: rounding of a share on a lifetime that is not a multiple of 100 seconds. */
static void
test_percent_small_lifetime(void **state)
{
	struct ck_cert_config cc = share(33);

	/* 33% of 60 s is 19.8 s: the due moment is 19 s (not 20 s) before the end. */
	assert_int_equal(ck_renew_after(&cc, NB, NB + 60), NB + 41);
}

/* Broken: a share overflowing on a huge lifetime. */
static void
test_percent_huge_lifetime(void **state)
{
	struct ck_cert_config cc = share(50);
	time_t nb = 0, na = (time_t)1 << 62;

	assert_int_equal(ck_renew_after(&cc, nb, na), (time_t)1 << 61);
}

/* Broken: a duration not subtracted from not_after. */
static void
test_duration(void **state)
{
	struct ck_cert_config cc = duration(2 * DAY);

	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - 2 * DAY);
	cc = duration(8 * 3600);
	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - 8 * 3600);
}

/* Broken: a duration longer than the lifetime gives a moment before not_before. */
static void
test_duration_longer_than_lifetime(void **state)
{
	struct ck_cert_config cc = duration(30 * DAY);

	/* A one-minute certificate (as Pebble issues in tests). */
	assert_int_equal(ck_renew_after(&cc, NB, NB + 60), NB);
	cc = duration(60);
	assert_int_equal(ck_renew_after(&cc, NB, NB + 60), NB);
	assert_false(ck_renew_is_due(&cc, NB, NB + 60, NB - 1));
	assert_true(ck_renew_is_due(&cc, NB, NB + 60, NB));
}

/* Broken: due one second early or late at the renew_after boundary. */
static void
test_boundary(void **state)
{
	struct ck_cert_config cc = share(33);
	time_t after = ck_renew_after(&cc, NB, NA);

	assert_false(ck_renew_is_due(&cc, NB, NA, after - 1));
	assert_true(ck_renew_is_due(&cc, NB, NA, after));
	assert_true(ck_renew_is_due(&cc, NB, NA, after + 1));
	cc = duration(DAY);
	assert_false(ck_renew_is_due(&cc, NB, NA, NA - DAY - 1));
	assert_true(ck_renew_is_due(&cc, NB, NA, NA - DAY));
	/* An expired certificate is always due. */
	assert_true(ck_renew_is_due(&cc, NB, NA, NA + 1));
}

/* Broken: a certificate that ends before it starts not renewed at once. */
static void
test_inverted_validity(void **state)
{
	struct ck_cert_config cc = share(33);

	assert_true(ck_renew_is_due(&cc, NA, NB, NB));
	cc = duration(60);
	assert_true(ck_renew_is_due(&cc, NA, NB, NB));
}

/*
 * Broken: without renew_before, not renewed when a third of the lifetime is
 * left (half for ten days or less), or renew_before not overriding that.
 */
static void
test_unset_uses_the_lifetime_rule(void **state)
{
	struct ck_cert_config cc = share(0), half = share(50);

	assert_false(ck_due_has_renew_before(&cc));
	assert_true(ck_due_has_renew_before(&half));
	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - 30 * DAY);
	assert_int_equal(ck_renew_after(&cc, NB, NA), ck_due_lifetime(NB, NA));
	assert_int_equal(ck_renew_after(&cc, NB, NB + 10 * DAY), NB + 5 * DAY);
	assert_int_equal(ck_renew_after(&half, NB, NA), NB + 45 * DAY);
	cc = duration(DAY);
	assert_true(ck_due_has_renew_before(&cc));
	assert_int_equal(ck_renew_after(&cc, NB, NA), NA - DAY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_percent_small_lifetime),
		cmocka_unit_test(test_warn_after),
		cmocka_unit_test(test_percent_huge_lifetime),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_longer_than_lifetime),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_inverted_validity),
		cmocka_unit_test(test_unset_uses_the_lifetime_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
