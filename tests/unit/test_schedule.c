/*
 * test_schedule.c: when each certificate is next acted on: the default
 * due time over every lifetime from a minute to 398 days, and the jitter
 * that moves it earlier per device and certificate (src/cert/due.c); the
 * backoff after failures (src/agent/backoff.c); the schedule file, read
 * back fail-closed (src/store/schedule.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certkeeper/agent/backoff.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/util/log.h"

#define DAY 86400
#define NB ((time_t)1700000000)
/* A JWK thumbprint (base64url SHA-256, 43 characters). */
#define THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define NNAMES 200
#define NAME "device"
#define ARI_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

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

/* --- backoff -------------------------------------------------------------- */

#define NOW ((time_t)1700000000)
#define MIN_WAIT 60L
#define MAX_WAIT (6 * 3600L)

/* A failure number n with the default policy, nothing installed, no hint from the CA. */
static struct ck_backoff
failure(long n)
{
	struct ck_backoff b;

	memset(&b, 0, sizeof(b));
	b.retry_min = MIN_WAIT;
	b.retry_max = MAX_WAIT;
	b.failures = n;
	b.retry_after = -1;
	return b;
}

/* The wait ck_backoff_retry_at gives for b at NOW with rnd. */
static long
wait_for(const struct ck_backoff *b, uint32_t rnd)
{
	return (long)(ck_backoff_retry_at(b, NOW, rnd) - NOW);
}

/*
 * Broken: the waits do not double from retry_min to retry_max, the random
 * value does not span [retry_min, bound], or many failures overflow.
 */
static void
test_backoff_sequence(void **state)
{
	static const long bound[] = { 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600,
	    21600, 21600 };
	struct ck_backoff b;
	size_t i;

	for (i = 0; i < sizeof(bound) / sizeof(bound[0]); i++) {
		b = failure((long)i + 1);
		assert_int_equal(ck_backoff_ceiling(MIN_WAIT, MAX_WAIT, (long)i + 1), bound[i]);
		assert_int_equal(wait_for(&b, UINT32_MAX), bound[i]);
		assert_int_equal(wait_for(&b, 0), MIN_WAIT);
		/* Half way: retry_min plus half of the span (rounded down). */
		assert_int_equal(wait_for(&b, 0x80000000u), MIN_WAIT + (bound[i] - MIN_WAIT + 1) / 2);
	}
	b = failure(CK_SCHED_FAILURES_MAX);
	assert_int_equal(wait_for(&b, UINT32_MAX), MAX_WAIT);
	/* The configured bounds, whatever they are; nonsense bounds are made sane. */
	b.retry_min = 1;
	b.retry_max = 7 * 86400;
	assert_int_equal(wait_for(&b, UINT32_MAX), 7 * 86400);
	assert_int_equal(wait_for(&b, 0), 1);
	assert_int_equal(ck_backoff_ceiling(0, 0, 5), 1);
	assert_int_equal(ck_backoff_ceiling(100, 10, 5), 100);
	assert_int_equal(ck_backoff_ceiling(60, 3600, 0), 60);
}

/* Broken: the CA's Retry-After not honoured, or honoured without bound. */
static void
test_backoff_retry_after(void **state)
{
	struct ck_backoff b = failure(1);

	b.retry_after = 3000;
	assert_int_equal(wait_for(&b, 0), 3000);
	/* A shorter Retry-After than the backoff does not shorten it. */
	b = failure(5);
	b.retry_after = 10;
	assert_int_equal(wait_for(&b, UINT32_MAX), 960);
	b.retry_after = 0;
	assert_int_equal(wait_for(&b, 0), MIN_WAIT);
	/* Longer than retry_max is honoured; longer than a week is cut to a week. */
	b.retry_after = 2 * 86400;
	assert_int_equal(wait_for(&b, 0), 2 * 86400);
	b.retry_after = 30 * 86400;
	assert_int_equal(wait_for(&b, 0), CK_BACKOFF_RETRY_AFTER_MAX);
}

/* Broken: a rateLimited answer without Retry-After retried within the hour. */
static void
test_backoff_rate_limited(void **state)
{
	struct ck_backoff b = failure(1);

	b.rate_limited = 1;
	assert_int_equal(wait_for(&b, 0), CK_BACKOFF_RATE_LIMITED);
	assert_int_equal(CK_BACKOFF_RATE_LIMITED, 3600);
	/* The backoff still grows past it. */
	b.failures = 10;
	assert_int_equal(wait_for(&b, UINT32_MAX), MAX_WAIT);
	/* With a Retry-After, that is what the CA asks for. */
	b.failures = 1;
	b.retry_after = 120;
	assert_int_equal(wait_for(&b, UINT32_MAX), 120);
}

/*
 * Broken: a wait that outlasts the installed certificate, or a certificate
 * about to expire retried in a tight loop, or an expired one no longer
 * backed off.
 */
static void
test_backoff_expiry_cap(void **state)
{
	struct ck_backoff b = failure(10);
	time_t now, at;
	int tries;

	b.not_after = NOW + 1000;
	assert_int_equal(wait_for(&b, UINT32_MAX), 800);
	/*
	 * The share of what is left is random too (rnd's low bits), from 50% to
	 * 80%: a fleet whose certificates fell due together retries spread in
	 * proportion to the time each has left.
	 */
	assert_int_equal(wait_for(&b, 0xffff0000u), 500);
	assert_int_equal(wait_for(&b, 0xffff8000u), 650);
	assert_int_equal(wait_for(&b, 0xffffffffu), 800);
	/* Over Retry-After and rateLimited too: the certificate comes first. */
	b.retry_after = 3600;
	assert_int_equal(wait_for(&b, 0), 500);
	b.retry_after = -1;
	b.rate_limited = 1;
	assert_int_equal(wait_for(&b, 0), 500);
	b.rate_limited = 0;
	/*
	 * Near the end, a share of what is left even below retry_min (a minute
	 * here): a retry at the moment of expiry (what a floor of retry_min
	 * made) comes too late to keep a valid certificate installed.
	 */
	b.not_after = NOW + 90;
	assert_int_equal(wait_for(&b, UINT32_MAX), 72);
	b.not_after = NOW + 30;
	assert_int_equal(wait_for(&b, UINT32_MAX), 24);
	assert_int_equal(wait_for(&b, 0), 15);
	b.not_after = NOW + 3;
	assert_int_equal(wait_for(&b, 0), 1);
	b.not_after = NOW + 1;	/* the floor: a second */
	assert_int_equal(wait_for(&b, 0), 1);
	b.retry_min = 3600;
	b.retry_max = 86400;
	b.not_after = NOW + 7200;
	assert_int_equal(wait_for(&b, 0), 3600);
	b.not_after = NOW + 100;
	assert_int_equal(wait_for(&b, 0), 50);
	/* Expired, or nothing installed: the plain backoff. */
	b = failure(10);
	b.not_after = NOW - 10;
	assert_int_equal(wait_for(&b, UINT32_MAX), MAX_WAIT);
	b.not_after = NOW;
	assert_int_equal(wait_for(&b, UINT32_MAX), MAX_WAIT);
	b.not_after = NOW + 30 * 86400;
	assert_int_equal(wait_for(&b, UINT32_MAX), MAX_WAIT);

	/*
	 * Failing at every attempt from 5 days before the end, with the longest
	 * waits: every retry comes at or before not_after, and few of them.
	 */
	b = failure(1);
	b.not_after = NOW + 5 * 86400;
	for (now = NOW, tries = 0; now < b.not_after; now = at, tries++) {
		at = ck_backoff_retry_at(&b, now, UINT32_MAX);
		assert_true(at > now);
		assert_true(at <= b.not_after);
		b.failures++;
	}
	assert_int_equal(now, b.not_after);
	/* The ramp, 20 waits of retry_max, then the cuts to a fifth down to a second. */
	if (tries > 45)
		fail_msg("%d attempts in the last 5 days: a retry loop near expiry", tries);
}

/* The outcome of an attempt, for ck_backoff_learn. */
static struct ck_outcome
outcome(enum ck_result r, const char *problem, long retry_after)
{
	struct ck_outcome o;

	memset(&o, 0, sizeof(o));
	o.result = r;
	o.cls = r == CK_RESULT_SUCCESS ? CK_ERR_NONE : CK_ERR_NETWORK;
	snprintf(o.problem, sizeof(o.problem), "%s", problem);
	o.retry_after = retry_after;
	return o;
}

/*
 * Broken: a failure not counted or not backed off, a success not resetting
 * the failures (or keeping the old certificate's ARI window), or a stop
 * request counted as a failure.
 */
static void
test_backoff_learn(void **state)
{
	struct ck_outcome fail = outcome(CK_RESULT_FAILURE, "", -1);
	struct ck_outcome limited = outcome(CK_RESULT_FAILURE, "rateLimited", -1);
	struct ck_outcome hinted = outcome(CK_RESULT_FAILURE, "", 7200);
	struct ck_outcome ok = outcome(CK_RESULT_SUCCESS, "", -1);
	struct ck_outcome stop = outcome(CK_RESULT_INTERRUPTED, "", -1);
	struct ck_sched sc;

	ck_sched_init(&sc);
	snprintf(sc.thumbprint, sizeof(sc.thumbprint), "%s", THUMB);
	ck_backoff_learn(&sc, &fail, MIN_WAIT, MAX_WAIT, 0, NOW, UINT32_MAX);
	assert_int_equal(sc.failures, 1);
	assert_int_equal(sc.last_failure, NOW);
	assert_int_equal(sc.next_attempt, NOW + 60);
	ck_backoff_learn(&sc, &fail, MIN_WAIT, MAX_WAIT, 0, NOW + 60, UINT32_MAX);
	assert_int_equal(sc.failures, 2);
	assert_int_equal(sc.last_failure, NOW + 60);
	assert_int_equal(sc.next_attempt, NOW + 60 + 120);
	/* Interrupted: neither a failure nor a success. */
	ck_backoff_learn(&sc, &stop, MIN_WAIT, MAX_WAIT, 0, NOW + 100, UINT32_MAX);
	assert_int_equal(sc.failures, 2);
	assert_int_equal(sc.last_failure, NOW + 60);
	assert_int_equal(sc.next_attempt, NOW + 60 + 120);
	/* The CA's hints reach the backoff. */
	ck_backoff_learn(&sc, &limited, MIN_WAIT, MAX_WAIT, 0, NOW + 200, 0);
	assert_int_equal(sc.next_attempt, NOW + 200 + 3600);
	ck_backoff_learn(&sc, &hinted, MIN_WAIT, MAX_WAIT, 0, NOW + 300, 0);
	assert_int_equal(sc.failures, 4);
	assert_int_equal(sc.next_attempt, NOW + 300 + 7200);
	/* The installed certificate's end caps it. */
	ck_backoff_learn(&sc, &fail, MIN_WAIT, MAX_WAIT, NOW + 1400, NOW + 400, UINT32_MAX);
	assert_int_equal(sc.next_attempt, NOW + 400 + 800);
	/* Success: no failures, no backoff, no ARI window; the thumbprint stays. */
	snprintf(sc.ari_id, sizeof(sc.ari_id), "%s", ARI_ID);
	sc.ari_start = NOW;
	sc.ari_end = NOW + 10;
	sc.ari_chosen = NOW + 5;
	sc.ari_next_fetch = NOW + 3600;
	ck_backoff_learn(&sc, &ok, MIN_WAIT, MAX_WAIT, 0, NOW + 500, UINT32_MAX);
	assert_int_equal(sc.failures, 0);
	assert_int_equal(sc.next_attempt, 0);
	assert_string_equal(sc.ari_id, "");
	assert_int_equal(sc.ari_chosen, 0);
	assert_int_equal(sc.ari_next_fetch, 0);
	assert_string_equal(sc.thumbprint, THUMB);
	/* And the next failure starts over at retry_min. */
	ck_backoff_learn(&sc, &fail, MIN_WAIT, MAX_WAIT, 0, NOW + 600, UINT32_MAX);
	assert_int_equal(sc.failures, 1);
	assert_int_equal(sc.next_attempt, NOW + 600 + 60);
	/* The count stops at its maximum. */
	sc.failures = CK_SCHED_FAILURES_MAX;
	ck_backoff_learn(&sc, &fail, MIN_WAIT, MAX_WAIT, 0, NOW, UINT32_MAX);
	assert_int_equal(sc.failures, CK_SCHED_FAILURES_MAX);
	assert_int_equal(sc.next_attempt, NOW + MAX_WAIT);
}

/* --- schedule.json ---------------------------------------------------- */


struct fixture {
	char tmp[256];
	char path[512];		/* certs/NAME/schedule.json */
	struct ck_store *st;
};

static int
setup_store(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *t = getenv("TMPDIR");

	assert_non_null(fx);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/ck-schedule-XXXXXX", t != NULL && *t ? t : "/tmp");
	assert_non_null(mkdtemp(fx->tmp));
	snprintf(fx->path, sizeof(fx->path), "%s/certs/" NAME "/schedule.json", fx->tmp);
	assert_int_equal(ck_store_open(fx->tmp, &fx->st), 0);
	*state = fx;
	return 0;
}

static int
teardown_store(void **state)
{
	struct fixture *fx = *state;

	ck_store_close(fx->st);
	ck_test_rm_rf(fx->tmp);
	free(fx);
	return 0;
}

/* Writes text as certs/NAME/schedule.json, making the directories. */
static void
put_schedule(const struct fixture *fx, const char *text)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/certs", fx->tmp);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/certs/" NAME, fx->tmp);
	mkdir(dir, 0755);
	assert_non_null(f = fopen(fx->path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* The text of fx's schedule.json (static buffer). */
static const char *
schedule_text(const struct fixture *fx)
{
	static char buf[8192];
	size_t n;
	FILE *f;

	assert_non_null(f = fopen(fx->path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A schedule with every member set. */
static struct ck_sched
full_schedule(void)
{
	struct ck_sched sc;

	ck_sched_init(&sc);
	sc.failures = 3;
	sc.last_failure = 1700000000;
	sc.next_attempt = 1700000240;
	snprintf(sc.thumbprint, sizeof(sc.thumbprint), "%s", THUMB);
	snprintf(sc.ari_id, sizeof(sc.ari_id), "%s", ARI_ID);
	sc.ari_start = 1700100000;
	sc.ari_end = 1700200000;
	sc.ari_chosen = 1700150000;
	sc.ari_next_fetch = 1700021600;
	snprintf(sc.warned_expiring, sizeof(sc.warned_expiring), "%s", "6c57eb8ac137561a");
	snprintf(sc.warned_expired, sizeof(sc.warned_expired), "%s", "1f");
	return sc;
}

/* Fails unless a and b hold the same schedule. */
static void
assert_sched_equal(const struct ck_sched *a, const struct ck_sched *b)
{
	assert_int_equal(a->failures, b->failures);
	assert_int_equal(a->last_failure, b->last_failure);
	assert_int_equal(a->next_attempt, b->next_attempt);
	assert_string_equal(a->thumbprint, b->thumbprint);
	assert_string_equal(a->ari_id, b->ari_id);
	assert_int_equal(a->ari_start, b->ari_start);
	assert_int_equal(a->ari_end, b->ari_end);
	assert_int_equal(a->ari_chosen, b->ari_chosen);
	assert_int_equal(a->ari_next_fetch, b->ari_next_fetch);
	assert_string_equal(a->warned_expiring, b->warned_expiring);
	assert_string_equal(a->warned_expired, b->warned_expired);
}

/*
 * Broken: a member lost or renamed on the way to disk and back, the file
 * readable by others, or a missing file not read as "no state".
 */
static void
test_schedule_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc = full_schedule(), back;
	const char *text;
	struct stat sb;

	back.failures = 9;
	assert_int_equal(ck_store_load_schedule(fx->st, NAME, &back), 0);
	assert_int_equal(back.failures, 0);
	assert_int_equal(back.next_attempt, 0);
	assert_string_equal(back.thumbprint, "");

	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &sc), 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	text = schedule_text(fx);
	assert_non_null(strstr(text, "\"failures\": 3"));
	assert_non_null(strstr(text, "\"last_failure\": \"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(text, "\"next_attempt\": \"2023-11-14T22:17:20Z\""));
	assert_non_null(strstr(text, "\"account_thumbprint\": \"" THUMB "\""));
	assert_non_null(strstr(text, "\"ari_id\": \"" ARI_ID "\""));
	assert_non_null(strstr(text, "\"ari_chosen\": \"2023-11-16T15:53:20Z\""));
	assert_int_equal(ck_store_load_schedule(fx->st, NAME, &back), 0);
	assert_sched_equal(&back, &sc);

	/* Unset members are null and come back unset. */
	ck_sched_init(&sc);
	sc.failures = 1;
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &sc), 0);
	assert_non_null(strstr(schedule_text(fx), "\"next_attempt\": null"));
	assert_non_null(strstr(schedule_text(fx), "\"ari_id\": null"));
	assert_int_equal(ck_store_load_schedule(fx->st, NAME, &back), 0);
	assert_sched_equal(&back, &sc);

	/* An older or newer writer's file: missing members unset, unknown ones ignored. */
	put_schedule(fx, "{\"failures\": 2, \"resume\": {\"order\": \"x\"}}");
	assert_int_equal(ck_store_load_schedule(fx->st, NAME, &back), 0);
	assert_int_equal(back.failures, 2);
	assert_int_equal(back.next_attempt, 0);
	assert_string_equal(back.ari_id, "");
}

/*
 * Broken: a schedule.json that is garbage, or has any member of the wrong
 * type or form, read as something (or crashing) instead of "no state"
 * with an error naming the file and the member.
 */
static void
test_schedule_corrupt(void **state)
{
	static const struct {
		const char *member, *json;
	} bad[] = {
		{ NULL, "{not json" },
		{ NULL, "[]" },
		{ NULL, "\"failures\"" },
		{ NULL, "" },
		{ NULL, "{\"failures\": 1, \"failures\": 2}" },
		{ "failures", "{\"failures\": \"3\"}" },
		{ "failures", "{\"failures\": -1}" },
		{ "failures", "{\"failures\": 1000001}" },
		{ "failures", "{\"failures\": 1.5}" },
		{ "failures", "{\"failures\": true}" },
		{ "last_failure", "{\"last_failure\": 1700000000}" },
		{ "last_failure", "{\"last_failure\": \"2023-02-30T00:00:00Z\"}" },
		{ "next_attempt", "{\"next_attempt\": {}}" },
		{ "next_attempt", "{\"next_attempt\": \"2023-11-14T22:13:20+01:00\"}" },
		{ "account_thumbprint", "{\"account_thumbprint\": 5}" },
		{ "account_thumbprint", "{\"account_thumbprint\": \"" THUMB "A\"}" },
		{ "account_thumbprint", "{\"account_thumbprint\": \"NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs\"}" },
		{ "account_thumbprint", "{\"account_thumbprint\": \"\"}" },
		{ "ari_id", "{\"ari_id\": [\"" ARI_ID "\"]}" },
		{ "ari_id", "{\"ari_id\": \"aYhba4dGQEHhs3uEe6CuLN4ByNQ\"}" },
		{ "ari_id", "{\"ari_id\": \"a.b.c\"}" },
		{ "ari_id", "{\"ari_id\": \".b\"}" },
		{ "ari_id", "{\"ari_id\": \"a\\u001b.b\"}" },
		{ "ari_start", "{\"ari_start\": false}" },
		{ "ari_end", "{\"ari_end\": \"soon\"}" },
		{ "ari_end", "{\"ari_start\": \"2023-11-15T00:00:00Z\", "
		    "\"ari_end\": \"2023-11-14T00:00:00Z\"}" },
		{ "ari_chosen", "{\"ari_chosen\": 0}" },
		{ "ari_next_fetch", "{\"ari_next_fetch\": []}" },
		{ "warned_expiring", "{\"warned_expiring\": \"6C57EB\"}" },
		{ "warned_expiring", "{\"warned_expiring\": \"00ab\"}" },
		{ "warned_expired", "{\"warned_expired\": 17}" },
		{ "warned_expired", "{\"warned_expired\": \"\"}" },
	};
	struct fixture *fx = *state;
	struct ck_sched sc;
	char want[600];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_schedule(fx, bad[i].json);
		ck_clear_error();
		memset(&sc, 0x5a, sizeof(sc));
		if (ck_store_load_schedule(fx->st, NAME, &sc) != -1)
			fail_msg("%s: loaded", bad[i].json);
		snprintf(want, sizeof(want), "%s is corrupt", fx->path);
		if (strstr(ck_last_error(), want) == NULL)
			fail_msg("%s: error \"%s\" does not name %s", bad[i].json, ck_last_error(),
			    fx->path);
		snprintf(want, sizeof(want), "\"%s\"", bad[i].member != NULL ? bad[i].member : "");
		if (bad[i].member != NULL && strstr(ck_last_error(), want) == NULL)
			fail_msg("%s: error \"%s\" does not name %s", bad[i].json, ck_last_error(),
			    want);
		/* "No state": nothing failed, nothing known. */
		assert_int_equal(sc.failures, 0);
		assert_int_equal(sc.next_attempt, 0);
		assert_int_equal(sc.last_failure, 0);
		assert_string_equal(sc.thumbprint, "");
		assert_string_equal(sc.ari_id, "");
		assert_int_equal(sc.ari_chosen, 0);
	}
}

/* Broken: a file larger than any the store writes read into memory, or not reported. */
static void
test_schedule_too_large(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc;
	size_t n = 20000;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "{\"failures\": 1, \"x\": \"");
	memset(text + strlen(text), 'x', n);
	strcpy(text + strlen("{\"failures\": 1, \"x\": \"") + n, "\"}");
	put_schedule(fx, text);
	free(text);
	ck_clear_error();
	assert_int_equal(ck_store_load_schedule(fx->st, NAME, &sc), -1);
	assert_non_null(strstr(ck_last_error(), "schedule.json is larger than"));
	assert_int_equal(sc.failures, 0);
}

/* Broken: the saver writes what the loader would refuse, or replaces the good file when it refuses. */
static void
test_schedule_save_refused(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc = full_schedule(), bad;
	char before[8192];

	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &sc), 0);
	snprintf(before, sizeof(before), "%s", schedule_text(fx));
	bad = sc;
	bad.failures = -1;
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	bad.failures = CK_SCHED_FAILURES_MAX + 1;
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	bad = sc;
	bad.thumbprint[5] = '+';
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	bad = sc;
	snprintf(bad.ari_id, sizeof(bad.ari_id), "no-dot");
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	bad = sc;
	bad.ari_end = bad.ari_start - 1;
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	bad = sc;
	bad.next_attempt = -((time_t)1 << 60);
	assert_int_equal(ck_store_save_schedule(fx->st, NAME, &bad), -1);
	assert_non_null(strstr(ck_last_error(), "schedule.json"));
	assert_string_equal(schedule_text(fx), before);
	/* Clearing the ARI members leaves the rest. */
	ck_sched_clear_ari(&sc);
	assert_string_equal(sc.ari_id, "");
	assert_int_equal(sc.ari_start + sc.ari_end + sc.ari_chosen + sc.ari_next_fetch, 0);
	assert_int_equal(sc.failures, 3);
	assert_string_equal(sc.thumbprint, THUMB);
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
		cmocka_unit_test(test_backoff_sequence),
		cmocka_unit_test(test_backoff_retry_after),
		cmocka_unit_test(test_backoff_rate_limited),
		cmocka_unit_test(test_backoff_expiry_cap),
		cmocka_unit_test(test_backoff_learn),
		cmocka_unit_test_setup_teardown(test_schedule_roundtrip, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_schedule_corrupt, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_schedule_too_large, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_schedule_save_refused, setup_store,
		    teardown_store),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
