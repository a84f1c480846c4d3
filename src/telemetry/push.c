/*
 * telemetry/push.c: the Pushgateway's grouping key, the push's figures and
 * its status (see telemetry/push.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/store/push.h"
#include "certkeeper/telemetry/push.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* RFC 3986 unreserved characters: a path segment keeps them as they are. */
#define UNRESERVED "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

/* Writes "/LABEL/VALUE" or "/LABEL@base64/B64" to f. */
static int
segment(FILE *f, const char *label, const char *value)
{
	const unsigned char *p;
	char *b64;

	if (value[0] == '\0') {
		fprintf(f, "/%s@base64/=", label);
		return 0;
	}
	/* A '/' cannot be percent-encoded for the Pushgateway: its router decodes it first. */
	if (strchr(value, '/') != NULL) {
		if ((b64 = ck_b64url_encode((const unsigned char *)value, strlen(value))) == NULL)
			return -1;
		fprintf(f, "/%s@base64/%s", label, b64);
		free(b64);
		return 0;
	}
	fprintf(f, "/%s/", label);
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (strchr(UNRESERVED, *p) != NULL)
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	return 0;
}

int
ck_push_url(const char *base, const char *job, const char *instance, char **url)
{
	char *buf = NULL;
	size_t size = 0, blen = strlen(base);
	FILE *f;
	int failed;

	*url = NULL;
	if ((f = open_memstream(&buf, &size)) == NULL) {
		ck_error_errno("push: open_memstream");
		return -1;
	}
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	fprintf(f, "%.*s/metrics", (int)blen, base);
	failed = segment(f, "job", job) != 0 || segment(f, "instance", instance) != 0;
	failed |= ferror(f);
	if (fclose(f) != 0 || failed) {
		ck_error("push: out of memory building the Pushgateway URL");
		free(buf);
		return -1;
	}
	*url = buf;
	return 0;
}

long
ck_push_retry_delay(long long consecutive)
{
	long d = CK_PUSH_RETRY_MIN;

	while (--consecutive > 0 && d < CK_PUSH_RETRY_MAX)
		d *= 2;
	return d < CK_PUSH_RETRY_MAX ? d : CK_PUSH_RETRY_MAX;
}

int
ck_push_metrics_append(const struct ck_push_record *r, char **text, size_t *len)
{
	static const char *const names[] = {
		"certkeeper_push_last_success_timestamp_seconds",
		"certkeeper_push_last_failure_timestamp_seconds",
	};
	static const char *const helps[] = {
		"When the last push of these metrics to the Pushgateway succeeded.",
		"When the last push of these metrics to the Pushgateway failed.",
	};
	const time_t when[] = { r->last_success, r->last_failure };
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f;
	int failed;

	if ((f = open_memstream(&buf, &size)) == NULL) {
		ck_error_errno("metrics: open_memstream");
		return -1;
	}
	fwrite(*text, 1, *len, f);
	for (i = 0; i < 2; i++)
		if (when[i] != 0)
			fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", names[i], helps[i],
			    names[i], names[i], (long long)when[i]);
	fprintf(f, "# HELP certkeeper_push_failures_total Failed pushes of these metrics to the "
	    "Pushgateway.\n# TYPE certkeeper_push_failures_total counter\n"
	    "certkeeper_push_failures_total %lld\n", r->failures);
	failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		ck_error("metrics: out of memory formatting the push figures");
		free(buf);
		return -1;
	}
	free(*text);
	*text = buf;
	*len = size;
	return 0;
}

int
ck_push_load(struct ck_store *st, const struct ck_config *cfg, struct ck_push_record *r)
{
	ck_push_record_init(r);
	if (cfg->push_url == NULL || cfg->push_cert == NULL)
		return 1;
	return ck_store_load_push(st, cfg->push_cert, r) == 0 ? 0 : -1;
}

/* An RFC 3339 time, or null for 0. */
static json_t *
time_or_null(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	ck_time_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

json_t *
ck_push_status_json(struct ck_store *st, const struct ck_config *cfg, int *unreadable)
{
	struct ck_push_record r;
	json_t *o;

	if (ck_push_load(st, cfg, &r) == -1)
		*unreadable = 1;
	/* Every string is ours or was sanitized when recorded; "o" steals, also on failure. */
	o = json_pack("{s:s?, s:s?, s:s?, s:o, s:o, s:s?, s:I, s:I}",
	    "url", cfg->push_url, "job", cfg->push_job, "instance", cfg->push_instance,
	    "last_success", time_or_null(r.last_success),
	    "last_failure", time_or_null(r.last_failure),
	    "last_error", r.last_error[0] != '\0' ? r.last_error : NULL,
	    "failures", (json_int_t)r.failures,
	    "consecutive_failures", (json_int_t)r.consecutive);
	if (o == NULL)
		ck_error("status: push: json_pack failed (out of memory)");
	return o;
}
