/*
 * test_schedule.c: when each certificate is next acted on: the default
 * due time over every lifetime from a minute to 398 days, and the jitter
 * that moves it earlier per device and certificate (src/cert/due.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certkeeper/cert/due.h"
#include "certkeeper/util/log.h"

#define DAY 86400
#define NB ((time_t)1700000000)
/* A JWK thumbprint (base64url SHA-256, 43 characters). */
#define THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define NNAMES 200

/* The lifetimes of the brief, each with the due time the rule gives. */
static const struct {
	const char *what;
	time_t life;
	time_t left;	/* seconds left at the due time */
} lifetimes[] = {
	{ "60 s", 60, 30 },
	{ "1 h", 3600, 1800 },
	{ "6 d", 6 * DAY, 3 * DAY },
	{ "10 d", 10 * DAY, 5 * DAY },
	/* One second more than ten days: a third, rounded so that no more is left. */
	{ "10 d + 1 s", 10 * DAY + 1, (10 * DAY + 1) / 3 },
	{ "90 d", 90 * DAY, 30 * DAY },
	{ "398 d", 398 * DAY, 398 * DAY / 3 },
};

/* Broken: the default rule takes the wrong share, or switches at the wrong lifetime. */
static void
test_lifetime_rule(void **state)
{
	struct ck_cert_config cc;
	size_t i;

	memset(&cc, 0, sizeof(cc));
	for (i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++) {
		time_t na = NB + lifetimes[i].life;

		if (ck_due_lifetime(NB, na) != na - lifetimes[i].left)
			fail_msg("%s: due %lld s before the end, expected %lld", lifetimes[i].what,
			    (long long)(na - ck_due_lifetime(NB, na)),
			    (long long)lifetimes[i].left);
		assert_int_equal(ck_renew_after(&cc, NB, na), na - lifetimes[i].left);
	}
	assert_int_equal(CK_DUE_SHORT_LIFETIME, 10 * DAY);
	/* Inverted or empty validity: due at once (at not_after). */
	assert_int_equal(ck_due_lifetime(NB, NB), NB);
	assert_int_equal(ck_due_lifetime(NB + 10, NB), NB);
}

/* Broken: the rule overflows for a validity far from the epoch on both sides. */
static void
test_lifetime_rule_extremes(void **state)
{
	time_t lo = -((time_t)1 << 62), hi = (time_t)1 << 62;

	/* The lifetime (2^63) does not fit a time_t; a third of it is left. */
	assert_int_equal(ck_due_lifetime(lo, hi), hi - (time_t)(((uint64_t)1 << 63) / 3));
	assert_int_equal(ck_due_jittered(hi, hi, lo), lo + hi);
	assert_int_equal(ck_due_jittered(lo + 5, 10, lo), lo);
}

/*
 * Broken: the jitter exceeds a twentieth of the lifetime, moves the due
 * time later or before not_before, changes between calls, or does not
 * spread certificates apart.
 */
static void
test_jitter_bounds(void **state)
{
	char name[16];
	size_t i, n, distinct;
	time_t off, again, most, due, jittered, lowest, highest;
	static time_t seen[NNAMES];

	for (i = 0; i < sizeof(lifetimes) / sizeof(lifetimes[0]); i++) {
		time_t na = NB + lifetimes[i].life;

		most = lifetimes[i].life / 20;
		due = ck_due_lifetime(NB, na);
		lowest = most;
		highest = 0;
		distinct = 0;
		for (n = 0; n < NNAMES; n++) {
			snprintf(name, sizeof(name), "cert-%zu", n);
			assert_int_equal(ck_due_jitter(THUMB, name, NB, na, &off), 0);
			assert_int_equal(ck_due_jitter(THUMB, name, NB, na, &again), 0);
			assert_int_equal(off, again);
			if (off < 0 || off > most)
				fail_msg("%s: jitter %lld outside 0..%lld", lifetimes[i].what,
				    (long long)off, (long long)most);
			jittered = ck_due_jittered(due, off, NB);
			assert_true(jittered <= due && jittered >= due - most && jittered >= NB);
			lowest = off < lowest ? off : lowest;
			highest = off > highest ? off : highest;
			seen[n] = off;
		}
		/* Spread: the range is covered, and names rarely share an offset. */
		for (n = 0; n < NNAMES; n++) {
			size_t k;

			for (k = 0; k < n && seen[k] != seen[n]; k++)
				;
			distinct += k == n;
		}
		if (lowest > most / 10 || highest < most - most / 10)
			fail_msg("%s: %d names span only %lld..%lld of 0..%lld", lifetimes[i].what,
			    NNAMES, (long long)lowest, (long long)highest, (long long)most);
		if (most >= 10 * NNAMES && distinct < NNAMES * 9 / 10)
			fail_msg("%s: only %zu distinct offsets for %d names", lifetimes[i].what,
			    distinct, NNAMES);
	}
}

/* Broken: the jitter ignores the device (its account key) or mixes the two inputs up. */
static void
test_jitter_inputs(void **state)
{
	time_t a, b, c, na = NB + 90 * DAY;

	assert_int_equal(ck_due_jitter(THUMB, "device", NB, na, &a), 0);
	assert_int_equal(ck_due_jitter("AAAA" THUMB, "device", NB, na, &b), 0);
	assert_int_not_equal(a, b);
	/* The separator: ("ab", "c") and ("a", "bc") are different inputs. */
	assert_int_equal(ck_due_jitter("ab", "c", NB, na, &b), 0);
	assert_int_equal(ck_due_jitter("a", "bc", NB, na, &c), 0);
	assert_int_not_equal(b, c);
	/* A certificate that ends before it starts has no jitter. */
	assert_int_equal(ck_due_jitter(THUMB, "device", na, NB, &a), 0);
	assert_int_equal(a, 0);
}

/* Broken: a jittered due time before not_before, or renew_before not jittered the same way. */
static void
test_jitter_not_before(void **state)
{
	struct ck_cert_config cc;
	time_t na = NB + 90 * DAY;

	memset(&cc, 0, sizeof(cc));
	/* renew_before longer than the lifetime: due at not_before, and no earlier. */
	cc.renew_before_secs = 100 * DAY;
	assert_int_equal(ck_due_jittered(ck_renew_after(&cc, NB, na), 4 * DAY, NB), NB);
	cc.renew_before_secs = 0;
	cc.renew_before_pct = 99;
	assert_int_equal(ck_due_jittered(ck_renew_after(&cc, NB, na), 4 * DAY, NB), NB);
	assert_int_equal(ck_due_jittered(NB + DAY, 0, NB), NB + DAY);
	assert_int_equal(ck_due_jittered(NB + DAY, DAY - 1, NB), NB + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifetime_rule),
		cmocka_unit_test(test_lifetime_rule_extremes),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_jitter_inputs),
		cmocka_unit_test(test_jitter_not_before),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
