/*
 * telemetry/push.h: what the push of the metrics to a Prometheus
 * Pushgateway is made of, apart from the transfer (agent/push.h): the URL
 * of its grouping key, the push's own figures in the exposition text, the
 * `status` view of the last push, and the wait before a failed push is
 * tried again.
 */
#ifndef CERTKEEPER_TELEMETRY_PUSH_H
#define CERTKEEPER_TELEMETRY_PUSH_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "certkeeper/config/config.h"
#include "certkeeper/store/push.h"

struct ck_store;

/* First wait after a failed push, doubled after each further one up to the second. */
#define CK_PUSH_RETRY_MIN	60
#define CK_PUSH_RETRY_MAX	3600

/*
 * BASE/metrics/job/JOB/instance/INSTANCE in *url (malloc'd), each value
 * escaped as the Pushgateway API wants: a value with a '/' (or empty) as
 * LABEL@base64/BASE64URL ("=" for empty), any other percent-encoded
 * outside RFC 3986's unreserved characters.  Returns 0, or -1 (reported).
 */
int ck_push_url(const char *base, const char *job, const char *instance, char **url);

/* Seconds to wait after the consecutive-th failed push in a row (>= 1). */
long ck_push_retry_delay(long long consecutive);

/*
 * Appends to *text (malloc'd, *len bytes, NUL-terminated; reallocated)
 * the push's figures from r: certkeeper_push_last_success_timestamp_seconds,
 * certkeeper_push_last_failure_timestamp_seconds (each only once known),
 * certkeeper_push_failures_total.  Returns 0, or -1 (reported; *text
 * unchanged) when out of memory.
 */
int ck_push_metrics_append(const struct ck_push_record *r, char **text, size_t *len);

/*
 * The figures of cfg's last push as appended to the metrics, read from
 * st: 0 when there are (push on), 1 when the push is off, -1 when the
 * record could not be read (reported; *r is then "never pushed").
 */
int ck_push_load(struct ck_store *st, const struct ck_config *cfg, struct ck_push_record *r);

/*
 * `status`'s "push" object (new reference): url, job, instance,
 * last_success, last_failure, last_error, failures,
 * consecutive_failures; NULL when out of memory (reported).  *unreadable
 * is set when the record could not be read.
 */
json_t *ck_push_status_json(struct ck_store *st, const struct ck_config *cfg, int *unreadable);

#endif
