/*
 * telemetry/metrics.h: certkeeper's figures for Prometheus, written after
 * every pass to [telemetry] metrics_file in the text exposition format
 * (version 0.0.4), for node_exporter's textfile collector.  Per
 * certificate (label name): its validity, due time and readiness, from
 * the plan (agent/schedule.h); its attempts by result, the CA's errors by
 * problem type and the last success, from the counters (store/counters.h),
 * which the pass bumps after every attempt; the consecutive failures and
 * the backoff, from the schedule.  For the agent as a whole: the HTTP
 * requests, TPM commands and TLS failures towards the CA by reason, which
 * the session counts (agent/session.h).  `status --json` shows the same figures
 * through ck_metrics_ready and the same counters.
 *
 * A time not known (nothing usable installed, no backoff, never a
 * success) has no sample: a scrape tells "unknown" from the epoch.
 */
#ifndef CERTKEEPER_TELEMETRY_METRICS_H
#define CERTKEEPER_TELEMETRY_METRICS_H

#include <stdio.h>
#include <time.h>

#include "certkeeper/agent/outcome.h"
#include "certkeeper/agent/schedule.h"
#include "certkeeper/config/config.h"
#include "certkeeper/store/counters.h"

struct ck_store;

/* One certificate's figures. */
struct ck_metrics_cert {
	const char *name;
	struct ck_plan plan;
	struct ck_counters counters;
	int ready;		/* ck_metrics_ready(&plan, now) */
};

/*
 * 1 when the installed certificate is usable at now: the plan found it
 * CK_INSTALLED_OK and not_before <= now < not_after; else 0.
 */
int ck_metrics_ready(const struct ck_plan *p, time_t now);

/*
 * Gathers cc's figures at now from the store alone (no request, no TPM).
 * Returns 0, 1 when some state was unreadable (reported; counted as
 * nothing, planned without), -1 when no plan could be made (reported).
 */
int ck_metrics_gather(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_metrics_cert *m);

/*
 * Gathers the agent's own counters from the store, with a count (0 when
 * not seen) for every TLS failure reason net/http.h knows, so that a
 * scrape sees each series from the start.  Returns 0, or 1 when the
 * counters were unreadable (reported; shown as nothing counted).
 */
int ck_metrics_gather_agent(struct ck_store *st, struct ck_agent_counters *a);

/*
 * Writes s to f as a label value of the exposition format: backslash,
 * double quote and newline escaped (\\, \", \n), the rest as it is.
 * Returns 0, or -1 when f failed (not reported).
 */
int ck_metrics_label_value(FILE *f, const char *s);

/*
 * The exposition text for certs (n of them, in that order), the agent's
 * own counters (NULL: left out) and version, in *text (malloc'd, len
 * bytes, NUL-terminated).  Returns 0, or -1 when out of memory (reported).
 */
int ck_metrics_format(const struct ck_metrics_cert *certs, size_t n,
    const struct ck_agent_counters *agent, const char *version, char **text, size_t *len);

/*
 * Counts the attempt at name whose outcome is o, ended at now, in name's
 * counters: by result (an interrupted attempt is not counted), the CA's
 * problem type when o has one, and the time of a success.  Unreadable
 * counters are reported and counted on from zero; a failure to save them
 * is a warning: metrics never fail a renewal.
 */
void ck_metrics_count(struct ck_store *st, const char *name, const struct ck_outcome *o,
    time_t now);

/*
 * The exposition text of every configured certificate's figures at now,
 * and the push's when there is one (telemetry/push.h), in *text
 * (malloc'd, len bytes): what the metrics file holds and what is pushed.
 * Returns 0, or -1 (reported) when out of memory.
 */
int ck_metrics_text(struct ck_store *st, const struct ck_config *cfg, time_t now, char **text,
    size_t *len);

/*
 * Writes cfg's metrics_file (nothing when it is off) with every
 * configured certificate's figures at now, atomically, mode 0644.
 * Returns 0, or -1 after a warning that it was not written.
 */
int ck_metrics_write(struct ck_store *st, const struct ck_config *cfg, time_t now);

#endif
