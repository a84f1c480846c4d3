/*
 * agent/backoff.c: the wait after failed attempts (see agent/backoff.h).
 *
 * Every wait is at most a week and the failure count at most
 * CK_SCHED_FAILURES_MAX, so nothing here overflows: the doubling stops at
 * retry_max, and the random share is a 32-bit value times a span under
 * 2^20, shifted back down.
 */
#include <string.h>

#include "certkeeper/agent/backoff.h"

/* The retry_min and retry_max to use: at least a second, and max >= min. */
static void
policy(long retry_min, long retry_max, long *lo, long *hi)
{
	*lo = retry_min < 1 ? 1 : retry_min;
	*hi = retry_max < *lo ? *lo : retry_max;
}

long
ck_backoff_ceiling(long retry_min, long retry_max, long failures)
{
	long lo, hi, c, i;

	policy(retry_min, retry_max, &lo, &hi);
	for (c = lo, i = 1; i < failures && c < hi; i++)
		c = c > hi / 2 ? hi : c * 2;
	return c;
}

time_t
ck_backoff_retry_at(const struct ck_backoff *b, time_t now, uint32_t rnd)
{
	long lo, hi, ceiling, wait, left, cap, share;

	policy(b->retry_min, b->retry_max, &lo, &hi);
	ceiling = ck_backoff_ceiling(lo, hi, b->failures);
	wait = lo + (long)(((uint64_t)rnd * (uint64_t)(ceiling - lo + 1)) >> 32);
	if (b->retry_after >= 0) {
		if (wait < b->retry_after)
			wait = b->retry_after < CK_BACKOFF_RETRY_AFTER_MAX ? b->retry_after :
			    CK_BACKOFF_RETRY_AFTER_MAX;
	} else if (b->rate_limited && wait < CK_BACKOFF_RATE_LIMITED)
		wait = CK_BACKOFF_RATE_LIMITED;
	/*
	 * A valid certificate is retried before it expires: at most a share of
	 * what is left, from CK_BACKOFF_SHARE_MIN to CK_BACKOFF_SHARE_MAX per
	 * mille, drawn from rnd's low 16 bits (its high bits set the wait above),
	 * so that a fleet at the cap does not retry at the same share.
	 */
	if (b->not_after > now) {
		/* No wait is longer than a week: beyond two weeks left, the cap does not bite. */
		left = b->not_after - now < 2 * CK_BACKOFF_RETRY_AFTER_MAX ?
		    (long)(b->not_after - now) : 2 * CK_BACKOFF_RETRY_AFTER_MAX;
		share = CK_BACKOFF_SHARE_MIN + (long)((rnd & 0xffffU) *
		    (uint32_t)(CK_BACKOFF_SHARE_MAX - CK_BACKOFF_SHARE_MIN) / 0xffffU);
		cap = left / 1000 * share + left % 1000 * share / 1000;
		if (cap < CK_BACKOFF_EXPIRY_FLOOR)
			cap = CK_BACKOFF_EXPIRY_FLOOR;
		if (wait > cap)
			wait = cap;
	}
	return now + wait;
}

void
ck_backoff_learn(struct ck_sched *sc, const struct ck_outcome *o, long retry_min,
    long retry_max, time_t not_after, time_t now, uint32_t rnd)
{
	struct ck_backoff b;

	switch (o->result) {
	case CK_RESULT_SUCCESS:
		sc->failures = 0;
		sc->next_attempt = 0;
		ck_sched_clear_ari(sc);
		return;
	case CK_RESULT_INTERRUPTED:
		return;
	case CK_RESULT_FAILURE:
	case CK_RESULT_ROLLED_BACK:	/* the new version did not verify: retried after a wait too */
		break;
	}
	if (sc->failures < CK_SCHED_FAILURES_MAX)
		sc->failures++;
	sc->last_failure = now;
	memset(&b, 0, sizeof(b));
	b.retry_min = retry_min;
	b.retry_max = retry_max;
	b.failures = sc->failures;
	b.retry_after = o->retry_after;
	b.rate_limited = strcmp(o->problem, "rateLimited") == 0;
	b.not_after = not_after;
	sc->next_attempt = ck_backoff_retry_at(&b, now, rnd);
}
