/*
 * agent/pass.c: one pass over the configured certificates (see
 * agent/pass.h).
 */
#include <string.h>

#include "certkeeper/agent/ari.h"
#include "certkeeper/agent/deploy.h"
#include "certkeeper/agent/pass.h"
#include "certkeeper/agent/push.h"
#include "certkeeper/agent/renew.h"
#include "certkeeper/agent/schedule.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/telemetry/metrics.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* Whether name is in names (or names is empty). */
static int
selected(const char *name, char *const *names, size_t nnames)
{
	size_t i;

	if (nnames == 0)
		return 1;
	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Keeps the earliest of the times seen in r->next. */
static void
note_next(struct ck_pass_result *r, time_t t)
{
	if (t > 0 && (r->next == 0 || t < r->next))
		r->next = t;
}

/* Renews cc now: the attempt, its record, and what the schedule learns. */
static void
attempt(struct ck_session *s, const struct ck_cert_config *cc, struct ck_pass_result *r)
{
	struct ck_outcome o;
	time_t next;

	r->renewed++;
	if (ck_renew_cert(s, cc, &o) != 0) {
		r->failed++;
		if (o.result == CK_RESULT_ROLLED_BACK)
			ck_log(CK_LOG_ERROR, "%s: renewal rolled back; the previous certificate is "
			    "current again", cc->name);
		else if (o.cls == CK_ERR_HOOK)
			ck_log(CK_LOG_ERROR, "%s: the new certificate is installed, but its deploy "
			    "is pending: it is run again at the next pass", cc->name);
		else
			ck_log(CK_LOG_ERROR, "%s: renewal %s; the installed certificate is unchanged",
			    cc->name, o.result == CK_RESULT_INTERRUPTED ? "interrupted" : "failed");
	}
	if (ck_renew_record(s, cc->name, &o) != 0)
		r->failed++;
	if (ck_schedule_after(s, cc, &o, ck_clock_now(s->clock)) != 0)
		r->failed++;
	ck_metrics_count(s->store, cc->name, &o, ck_clock_now(s->clock));
	/* The new certificate's renewal window, over the connection the renewal used. */
	if (o.result == CK_RESULT_SUCCESS) {
		ck_ari_refresh(s, cc, ck_clock_now(s->clock), 1, &next);
		note_next(r, next);
	}
}

int
ck_pass_run(struct ck_session *s, int force, char *const *names, size_t nnames,
    struct ck_pass_result *r)
{
	struct ck_outcome o;
	struct ck_plan plan;
	time_t now = ck_clock_now(s->clock);
	time_t ari_next, push_retry;
	char when[32];
	size_t i;
	int pending, rc = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < s->cfg->ncerts && !ck_stop_requested(); i++) {
		const struct ck_cert_config *cc = &s->cfg->certs[i];

		if (!selected(cc->name, names, nnames))
			continue;
		/* A renewal window is asked for again when the CA said to (RFC 9773 4.3). */
		if (!force) {
			ck_ari_refresh(s, cc, now, 0, &ari_next);
			note_next(r, ari_next);
		}
		/* A deploy an earlier run left pending goes first, due or not. */
		if (ck_deploy_retry_pending(s, cc, &o) == 1) {
			if (o.result != CK_RESULT_SUCCESS)
				r->failed++;
			if (ck_renew_record(s, cc->name, &o) != 0)
				r->failed++;
			if (ck_stop_requested())
				break;
		}
		if (ck_schedule_plan(s, cc, now, &plan) != 0) {
			r->failed++;
			rc = -1;
			continue;
		}
		/* An order a crash interrupted is finished first, backoff permitting. */
		pending = ck_store_pending_exists(s->store, cc->name) == 1 && plan.retry_at <= now;
		if (force || plan.act_at <= now || pending) {
			if (pending)
				ck_info("%s: an order an earlier run left is to be finished", cc->name);
			else if (!force && plan.source != CK_DUE_MISSING) {
				ck_time_rfc3339(plan.due, when, sizeof(when));
				ck_info("%s: due since %s (%s)", cc->name, when,
				    ck_due_source_name(plan.source));
			}
			attempt(s, cc, r);
			if (ck_stop_requested())
				break;
			/* What comes next for it follows from the attempt. */
			if (ck_schedule_plan(s, cc, ck_clock_now(s->clock), &plan) != 0) {
				rc = -1;
				continue;
			}
		} else if (plan.retry_at > now && plan.due <= now) {
			ck_time_rfc3339(plan.retry_at, when, sizeof(when));
			ck_info("%s: backing off after %ld failure%s until %s", cc->name,
			    plan.failures, plan.failures == 1 ? "" : "s", when);
		} else {
			ck_time_rfc3339(plan.act_at, when, sizeof(when));
			ck_debug("%s: not due until %s (%s)", cc->name, when,
			    ck_due_source_name(plan.source));
		}
		note_next(r, plan.act_at);
		/* An unfinished order is taken up again as soon as the backoff allows, due or not. */
		if (ck_store_pending_exists(s->store, cc->name) == 1)
			note_next(r, plan.retry_at > now ? plan.retry_at : now);
	}
	/*
	 * A failed push is a warning and a wakeup to try again, never a failed
	 * pass; it goes first, so that the file shows how it went.
	 */
	if (!ck_stop_requested() &&
	    ck_push_after_pass(s, ck_clock_now(s->clock), &push_retry) != 0)
		note_next(r, push_retry);
	/* A metrics file that cannot be written is a warning, never a failed pass. */
	(void)ck_metrics_write(s->store, s->cfg, ck_clock_now(s->clock));
	return rc;
}
