/*
 * agent/schedule.h: when each certificate is next to be acted on: the time
 * it becomes due (and by which rule), and after failures the backoff.
 * A renewal pass and the resident agent both ask the plan; after every
 * attempt the schedule learns its outcome.
 */
#ifndef CERTKEEPER_AGENT_SCHEDULE_H
#define CERTKEEPER_AGENT_SCHEDULE_H

#include <time.h>
#include "certkeeper/agent/outcome.h"
#include "certkeeper/agent/session.h"

enum ck_due_source {
	CK_DUE_MISSING,		/* nothing usable installed: due now */
	CK_DUE_LIFETIME,	/* the default share of the lifetime */
	CK_DUE_RENEW_BEFORE,	/* the configured renew_before */
	CK_DUE_ARI		/* a time chosen in the CA's renewal window */
};

struct ck_plan {
	time_t due;			/* when the certificate is due; <= now: due now */
	enum ck_due_source source;
	time_t not_after;		/* the installed certificate's end, 0 if none */
	time_t retry_at;		/* after failures: not before this; 0: no backoff */
	time_t act_at;			/* when to renew: the later of due and retry_at */
};

/* "missing", "lifetime", "renew_before", "ari". */
const char *ck_due_source_name(enum ck_due_source src);

/* The plan for cc at now, from what is installed and the stored schedule. */
int ck_schedule_plan(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p);

/* Learns the outcome of an attempt at cc that ended at now (backoff after failures). */
int ck_schedule_after(struct ck_session *s, const struct ck_cert_config *cc,
    const struct ck_outcome *o, time_t now);

#endif
