/*
 * agent/schedule.h: when each certificate is next to be acted on: the time
 * it becomes due (and by which rule), and after failures the backoff.
 * A renewal pass and the resident agent both ask the plan; after every
 * attempt the schedule learns its outcome.
 *
 * The due time is, in this order: at once when nothing usable is
 * installed, or when the installed certificate was revoked; the time chosen in the CA's renewal window (ARI) when one is
 * stored for the installed certificate; else renew_before, or without it
 * the lifetime rule (cert/due.h), moved earlier by the device's jitter
 * once the account key's thumbprint is known.  After failures no attempt
 * is made before the stored next attempt (agent/backoff.h).  The plan
 * reads the store only (certs/NAME/current and schedule.json): no request,
 * no TPM command, so `status` and a pass with nothing due can afford it.
 */
#ifndef CERTKEEPER_AGENT_SCHEDULE_H
#define CERTKEEPER_AGENT_SCHEDULE_H

#include <time.h>
#include "certkeeper/agent/outcome.h"
#include "certkeeper/agent/session.h"

struct ck_cert_info;

enum ck_due_source {
	CK_DUE_MISSING,		/* nothing usable installed: due now */
	CK_DUE_LIFETIME,	/* the default share of the lifetime */
	CK_DUE_RENEW_BEFORE,	/* the configured renew_before */
	CK_DUE_ARI,		/* a time chosen in the CA's renewal window */
	CK_DUE_REVOKED		/* the installed certificate was revoked (store/revoked.h): due now */
};

/* What the plan found installed. */
enum ck_installed {
	CK_INSTALLED_OK,
	CK_INSTALLED_NONE,		/* nothing installed yet */
	CK_INSTALLED_UNREADABLE,	/* unreadable, or its key does not decode */
	CK_INSTALLED_UNCOVERED		/* misses a configured domain */
};

struct ck_plan {
	time_t due;			/* when the certificate is due; <= now: due now */
	enum ck_due_source source;
	time_t not_after;		/* the installed certificate's end, 0 if none */
	time_t retry_at;		/* after failures: not before this; 0: no backoff */
	time_t act_at;			/* when to renew: the later of due and retry_at */
	enum ck_installed installed;
	time_t not_before;		/* the installed certificate's start, 0 if none */
	time_t jitter;			/* seconds due was moved earlier; 0 also when not known yet */
	long failures;			/* consecutive failed attempts */
	time_t last_failure;		/* when the last of them ended; 0: none */
	char serial[72];		/* the installed certificate's, lower-case hex; "" if none */
};

/* "missing", "lifetime", "renew_before", "ari", "revoked". */
const char *ck_due_source_name(enum ck_due_source src);

/*
 * The plan for cc at now from the store st alone, silently.  Returns 0;
 * 1 when the stored schedule is unreadable (reported; the plan is made
 * without it: no backoff, no jitter, no ARI); -1 on failure (reported).
 */
int ck_schedule_plan_at(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p);

/*
 * ck_schedule_plan_at, also giving the installed certificate's facts in
 * *info when it parsed, usable or not (info->serial set; key_type -1 for a
 * key that does not decode), else an empty *info: a caller that shows them
 * reads the certificate once, and reports what is wrong with it once.
 * ck_cert_info_clear *info after any return.
 */
int ck_schedule_plan_info(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p, struct ck_cert_info *info);

/*
 * What a renewal by plan p at now can spare, in milliseconds, for a pause
 * after a slow answer of the CA (ck_acme_set_pacing, which pauses for a
 * share of it): what is left of the installed certificate, at most
 * retry_max seconds (the wait the operator allows between attempts); 0 for
 * one that has expired, is revoked or is not there.
 */
int64_t ck_plan_spare_ms(const struct ck_plan *p, time_t now, long retry_max);

/*
 * The plan for cc at now, from what is installed and the stored schedule
 * (ck_schedule_plan_at over the session's store), saying why a
 * certificate is due at once.  An unreadable schedule is reported and
 * planned without: 0, or -1 on failure.
 */
int ck_schedule_plan(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p);

/*
 * Learns the outcome of an attempt at cc that ended at now, and saves it
 * in cc's schedule: the account key's thumbprint when the session has the
 * key loaded, then the backoff (ck_backoff_learn, with a random value from
 * RAND_bytes).  With ari_next, a success also takes in the new
 * certificate's renewal window (ck_ari_after_install, *ari_next when to
 * ask again), so that the schedule is written once.  Returns 0, or -1 when
 * the schedule cannot be saved (reported).
 */
int ck_schedule_after(struct ck_session *s, const struct ck_cert_config *cc,
    const struct ck_outcome *o, time_t now, time_t *ari_next);

#endif
