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
#include "certkeeper/cert/due.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/telemetry/events.h"
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

/*
 * Announces what attempt o at cc came to; before is the plan made before
 * it, whose certificate a failure left installed.  An interrupted attempt
 * is no event: it was stopped from outside, and is taken up again.
 */
static void
announce(const struct ck_cert_config *cc, const struct ck_outcome *o, const struct ck_plan *before)
{
	struct ck_event e;
	int installed = o->serial[0] != '\0';

	memset(&e, 0, sizeof(e));
	e.cert = cc->name;
	e.serial = installed ? o->serial : before->serial;
	e.not_after = installed ? o->not_after : before->not_after;
	if (o->result != CK_RESULT_SUCCESS) {
		e.error = o->error;
		e.error_class = ck_error_class_name(o->cls);
		e.problem = o->problem;
	}
	switch (o->result) {
	case CK_RESULT_SUCCESS:
		e.kind = CK_EVENT_RENEWED;
		break;
	case CK_RESULT_ROLLED_BACK:
		e.kind = CK_EVENT_ROLLED_BACK;
		break;
	case CK_RESULT_FAILURE:
		/* A failed deploy hook leaves the new certificate installed, its deploy pending. */
		e.kind = o->cls == CK_ERR_HOOK && installed ? CK_EVENT_DEPLOY_FAILED :
		    CK_EVENT_RENEWAL_FAILED;
		break;
	case CK_RESULT_INTERRUPTED:
		return;
	}
	ck_event_emit(&e);
}

/*
 * Announces, once per installed certificate, that it expires soon (less
 * than warn_before left) or has expired; the schedule remembers the serial
 * announced.  In *wake, the next time such an event falls due (0: none).
 */
static void
announce_expiry(struct ck_session *s, const struct ck_cert_config *cc, const struct ck_plan *p,
    time_t now, time_t *wake)
{
	struct ck_event e;
	struct ck_sched sc;
	time_t warn_at;
	char *seen;

	*wake = 0;
	if (p->serial[0] == '\0' || p->not_after == 0)
		return;
	warn_at = ck_warn_after(cc, p->not_before, p->not_after);
	memset(&e, 0, sizeof(e));
	if (now >= p->not_after) {
		e.kind = CK_EVENT_EXPIRED;
	} else if (now >= warn_at) {
		e.kind = CK_EVENT_EXPIRING_SOON;
		*wake = p->not_after;
	} else {
		*wake = warn_at;
		return;
	}
	if (ck_store_load_schedule(s->store, cc->name, &sc) != 0)
		return;		/* reported; announced when the record is whole again */
	seen = e.kind == CK_EVENT_EXPIRED ? sc.warned_expired : sc.warned_expiring;
	if (strcmp(seen, p->serial) == 0)
		return;
	if (strlen(p->serial) >= sizeof(sc.warned_expired)) {
		ck_debug("%s: serial too long to remember an expiry event for", cc->name);
		return;
	}
	memcpy(seen, p->serial, strlen(p->serial) + 1);
	e.cert = cc->name;
	e.serial = p->serial;
	e.not_after = p->not_after;
	/* Announced at most once: a schedule that cannot be saved (reported) says nothing. */
	if (ck_store_save_schedule(s->store, cc->name, &sc) == 0)
		ck_event_emit(&e);
}

/* Renews cc now: the attempt, its record, and what the schedule learns. */
static void
attempt(struct ck_session *s, const struct ck_cert_config *cc, const struct ck_plan *before,
    struct ck_pass_result *r)
{
	struct ck_outcome o;
	time_t next, now = ck_clock_now(s->clock);

	r->renewed++;
	/* The pause this certificate can afford should the CA turn out slow. */
	ck_session_set_pacing(s, ck_plan_spare_ms(before, now, s->cfg->retry_max));
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
	ck_session_set_pacing(s, 0);
	announce(cc, &o, before);
	if (ck_renew_record(s, cc->name, &o) != 0)
		r->failed++;
	/* With a success, the new certificate's renewal window, over the connection the renewal used. */
	if (ck_schedule_after(s, cc, &o, ck_clock_now(s->clock), &next) != 0)
		r->failed++;
	note_next(r, next);
	ck_metrics_count(s->store, cc->name, &o, ck_clock_now(s->clock));
}

int
ck_pass_run(struct ck_session *s, int force, char *const *names, size_t nnames,
    struct ck_pass_result *r)
{
	struct ck_outcome o;
	struct ck_plan plan;
	time_t now = ck_clock_now(s->clock);
	time_t ari_next, warn_next, push_retry;
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
			ck_ari_refresh(s, cc, now, &ari_next);
			note_next(r, ari_next);
		}
		/* A deploy an earlier run left pending goes first, due or not. */
		if (ck_deploy_retry_pending(s, cc, &o) == 1) {
			if (o.result != CK_RESULT_SUCCESS)
				r->failed++;
			if (o.result == CK_RESULT_FAILURE) {
				struct ck_event e = {
					.kind = CK_EVENT_DEPLOY_FAILED, .cert = cc->name,
					.serial = o.serial, .not_after = o.not_after, .error = o.error,
					.error_class = ck_error_class_name(o.cls)
				};

				ck_event_emit(&e);
			}
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
			attempt(s, cc, &plan, r);
			if (ck_stop_requested())
				break;
			/* What comes next for it follows from the attempt. */
			if (ck_schedule_plan(s, cc, ck_clock_now(s->clock), &plan) != 0) {
				rc = -1;
				continue;
			}
		} else if (plan.retry_at > now && plan.due <= now) {
			r->backing_off++;
			ck_time_rfc3339(plan.retry_at, when, sizeof(when));
			ck_info("%s: backing off after %ld failure%s until %s", cc->name,
			    plan.failures, plan.failures == 1 ? "" : "s", when);
		} else {
			ck_time_rfc3339(plan.act_at, when, sizeof(when));
			ck_debug("%s: not due until %s (%s)", cc->name, when,
			    ck_due_source_name(plan.source));
		}
		announce_expiry(s, cc, &plan, ck_clock_now(s->clock), &warn_next);
		note_next(r, warn_next);
		note_next(r, plan.act_at);
		/* An unfinished order is taken up again as soon as the backoff allows, due or not. */
		if (ck_store_pending_exists(s->store, cc->name) == 1)
			note_next(r, plan.retry_at > now ? plan.retry_at : now);
	}
	/* What the pass sent is counted first, so that the push carries it. */
	ck_session_count(s);
	/*
	 * A failed push is a warning and a wakeup to try again, never a failed
	 * pass; it goes before the file, so that the file shows how it went.
	 */
	if (!ck_stop_requested() &&
	    ck_push_after_pass(s, ck_clock_now(s->clock), &push_retry) != 0)
		note_next(r, push_retry);
	/* A metrics file that cannot be written is a warning, never a failed pass. */
	(void)ck_metrics_write(s->store, s->cfg, ck_clock_now(s->clock));
	return rc;
}
