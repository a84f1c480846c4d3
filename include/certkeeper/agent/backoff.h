/*
 * agent/backoff.h: how long to wait after failed attempts, and what one
 * attempt's outcome does to a certificate's schedule.  Pure: the random
 * value is an argument (agent/schedule.c draws it with RAND_bytes), so the
 * tests can fix it.
 *
 * After the n-th consecutive failure the wait is drawn uniformly from
 * [retry_min, min(retry_min * 2^(n-1), retry_max)] ("full jitter" above
 * the floor retry_min), so that devices that failed together do not retry
 * together.  The CA's Retry-After lengthens it (up to
 * CK_BACKOFF_RETRY_AFTER_MAX), and so does a rateLimited problem without
 * one (to CK_BACKOFF_RATE_LIMITED).  But while the installed certificate is
 * valid, no wait goes past a random share of the time it has left, 50% to
 * 80%, so that it is retried before it expires: each retry leaves a fifth
 * to a half of what was left, down to CK_BACKOFF_EXPIRY_FLOOR, so a
 * certificate about to expire is retried a few times, not in a loop, and
 * no retry is put off to the moment it expires.  The share is random so
 * that a fleet whose certificates all fell due in an outage retries in
 * order of expiry, spread in proportion to the time each has left, not
 * in the same few seconds.  Past its expiry the plain backoff applies.
 */
#ifndef CERTKEEPER_AGENT_BACKOFF_H
#define CERTKEEPER_AGENT_BACKOFF_H

#include <stdint.h>
#include <time.h>
#include "certkeeper/agent/outcome.h"
#include "certkeeper/store/schedule.h"

#define CK_BACKOFF_RATE_LIMITED		3600L		/* rateLimited, no Retry-After: 1 h */
#define CK_BACKOFF_RETRY_AFTER_MAX	(7 * 86400L)	/* longest Retry-After honoured */
#define CK_BACKOFF_EXPIRY_FLOOR		1L		/* shortest wait the expiry cap makes */
#define CK_BACKOFF_SHARE_MIN		500L		/* the expiry cap: 50% of what is left, */
#define CK_BACKOFF_SHARE_MAX		800L		/* to 80% (per mille) */

struct ck_backoff {
	long retry_min, retry_max;	/* seconds, as configured ([acme] retry_min, retry_max) */
	long failures;			/* consecutive failures, this one included: >= 1 */
	long retry_after;		/* seconds the CA asked to wait, or -1 */
	int rate_limited;		/* the CA answered with a rateLimited problem */
	time_t not_after;		/* the installed certificate's end; 0: none installed */
};

/*
 * The bound of the wait after the failures-th consecutive failure:
 * retry_min doubled failures - 1 times, at most retry_max.  A retry_min
 * below 1 counts as 1 and a retry_max below retry_min as retry_min.
 */
long ck_backoff_ceiling(long retry_min, long retry_max, long failures);

/*
 * When to attempt again after the failure b describes, which ended at now;
 * rnd is a uniformly random value (0 gives the shortest wait and the
 * smallest share of what is left, UINT32_MAX the longest and the largest).
 */
time_t ck_backoff_retry_at(const struct ck_backoff *b, time_t now, uint32_t rnd);

/*
 * Updates sc for the outcome o of an attempt that ended at now: a success
 * clears the failures, the backoff and the ARI window (it was for the
 * certificate just replaced); a failure counts one more and sets
 * next_attempt by ck_backoff_retry_at (with retry_min, retry_max, the
 * installed certificate's not_after and rnd); an interrupted attempt
 * changes nothing, as it says nothing about the CA.
 */
void ck_backoff_learn(struct ck_sched *sc, const struct ck_outcome *o, long retry_min,
    long retry_max, time_t not_after, time_t now, uint32_t rnd);

#endif
