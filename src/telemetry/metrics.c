/*
 * telemetry/metrics.c: the Prometheus textfile (see telemetry/metrics.h):
 * the figures of each certificate, their exposition text, and the counts
 * an attempt adds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certkeeper/net/http.h"
#include "certkeeper/store/file.h"
#include "certkeeper/telemetry/metrics.h"
#include "certkeeper/telemetry/push.h"
#include "certkeeper/util/log.h"

/* A metric family: its name, type and HELP text (no backslash, no newline). */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

/* The gauges with one sample per certificate, in the order they are written. */
enum gauge {
	G_NOT_BEFORE,
	G_NOT_AFTER,
	G_RENEWAL,
	G_READY,
	G_FAILURES,
	G_NEXT_ATTEMPT,
	G_LAST_SUCCESS,
	NGAUGES
};

static const struct family gauges[NGAUGES] = {
	{ "certkeeper_certificate_not_before_timestamp_seconds", "gauge",
	    "Start of the installed certificate's validity." },
	{ "certkeeper_certificate_not_after_timestamp_seconds", "gauge",
	    "End of the installed certificate's validity." },
	{ "certkeeper_certificate_renewal_timestamp_seconds", "gauge",
	    "When the certificate is due for renewal (the time of the pass when nothing usable "
	    "is installed)." },
	{ "certkeeper_certificate_ready", "gauge",
	    "1 when the installed certificate is readable, covers every configured name and is "
	    "valid now; else 0." },
	{ "certkeeper_renewal_consecutive_failures", "gauge",
	    "Failed renewal attempts since the last success." },
	{ "certkeeper_next_attempt_timestamp_seconds", "gauge",
	    "After failures, the time before which no renewal is attempted." },
	{ "certkeeper_last_success_timestamp_seconds", "gauge",
	    "When the last successful renewal ended." },
};

static const struct family info_family = {
	"certkeeper_info", "gauge", "The certkeeper that wrote these metrics."
};
static const struct family attempts_family = {
	"certkeeper_renewal_attempts_total", "counter", "Renewal attempts, by result."
};
static const struct family http_family = {
	"certkeeper_http_requests_total", "counter", "HTTP requests sent to the ACME server."
};
static const struct family tpm_family = {
	"certkeeper_tpm_commands_total", "counter", "Commands sent to the TPM."
};
static const struct family tls_family = {
	"certkeeper_ca_tls_failures_total", "counter",
	"TLS connections to the ACME server that failed, by reason (handshake, untrusted, expired, "
	"hostname, pin)."
};
static const struct family errors_family = {
	"certkeeper_acme_errors_total", "counter",
	"Errors the ACME server reported, by problem type (urn:ietf:params:acme:error:TYPE)."
};

int
ck_metrics_ready(const struct ck_plan *p, time_t now)
{
	/*
	 * CK_INSTALLED_OK: current/ holds a certificate that parses, whose
	 * public key decodes and that covers every configured name.  That
	 * it matches its key is what every install checked before the one
	 * rename that made the set current (cert/check.h), so current/ only
	 * ever holds a matching set; the plan does not redo that check.
	 */
	return p->installed == CK_INSTALLED_OK && p->not_before <= now && now < p->not_after;
}

int
ck_metrics_gather(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_metrics_cert *m)
{
	int r, unreadable = 0;

	memset(m, 0, sizeof(*m));
	m->name = cc->name;
	if ((r = ck_schedule_plan_at(st, cc, now, &m->plan)) == -1)
		return -1;
	if (r == 1)
		unreadable = 1;
	if (ck_store_load_counters(st, cc->name, &m->counters) != 0)
		unreadable = 1;
	m->ready = ck_metrics_ready(&m->plan, now);
	return unreadable;
}

int
ck_metrics_label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*s, f);
		}
	}
	return ferror(f) ? -1 : 0;
}

/* Writes fam's HELP and TYPE lines. */
static void
header(FILE *f, const struct family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

/* Writes one sample of metric: {label="value"[,label2="value2"]} v. */
static void
sample(FILE *f, const char *metric, const char *label, const char *value, const char *label2,
    const char *value2, long long v)
{
	fprintf(f, "%s{%s=\"", metric, label);
	ck_metrics_label_value(f, value);
	if (label2 != NULL) {
		fprintf(f, "\",%s=\"", label2);
		ck_metrics_label_value(f, value2);
	}
	fprintf(f, "\"} %lld\n", v);
}

/* Sets *v to m's value of gauge g; 0 when it has none (a time not known). */
static int
gauge_value(const struct ck_metrics_cert *m, enum gauge g, long long *v)
{
	switch (g) {
	case G_NOT_BEFORE:
		*v = (long long)m->plan.not_before;
		break;
	case G_NOT_AFTER:
		*v = (long long)m->plan.not_after;
		break;
	case G_RENEWAL:
		*v = (long long)m->plan.due;
		break;
	case G_READY:
		*v = m->ready;
		return 1;
	case G_FAILURES:
		*v = m->plan.failures;
		return 1;
	case G_NEXT_ATTEMPT:
		*v = (long long)m->plan.retry_at;
		break;
	case G_LAST_SUCCESS:
		*v = (long long)m->counters.last_success;
		break;
	case NGAUGES:
		return 0;
	}
	return *v != 0;
}

int
ck_metrics_gather_agent(struct ck_store *st, struct ck_agent_counters *a)
{
	struct ck_agent_counters stored;
	size_t i;
	int rc;

	rc = ck_store_load_agent_counters(st, &stored) != 0 ? 1 : 0;
	ck_agent_counters_init(a);
	a->http_requests = stored.http_requests;
	a->tpm_commands = stored.tpm_commands;
	for (i = 0; i < CK_TLS_NFAILURES; i++)
		(void)ck_agent_counters_add_tls(a, ck_tls_failure_name((enum ck_tls_failure)i), 0);
	for (i = 0; i < stored.nreasons; i++)
		(void)ck_agent_counters_add_tls(a, stored.tls_failures[i].reason,
		    stored.tls_failures[i].n);
	return rc;
}

/* The agent's own counters, as ck_metrics_gather_agent gave them. */
static void
agent_families(FILE *f, const struct ck_agent_counters *a)
{
	size_t i;

	header(f, &http_family);
	fprintf(f, "%s %lld\n", http_family.name, a->http_requests);
	header(f, &tpm_family);
	fprintf(f, "%s %lld\n", tpm_family.name, a->tpm_commands);
	header(f, &tls_family);
	for (i = 0; i < a->nreasons; i++)
		sample(f, tls_family.name, "reason", a->tls_failures[i].reason, NULL, NULL,
		    a->tls_failures[i].n);
}

/* Every family in order; a family without samples is left out, headers too. */
static void
families(FILE *f, const struct ck_metrics_cert *certs, size_t n,
    const struct ck_agent_counters *agent, const char *version)
{
	static const char *const results[] = { "success", "failure", "rolled_back" };
	long long v, counts[3];
	size_t i, j, g;
	int headed;

	header(f, &info_family);
	sample(f, info_family.name, "version", version, NULL, NULL, 1);
	for (g = 0; g < NGAUGES; g++) {
		headed = 0;
		for (i = 0; i < n; i++) {
			if (!gauge_value(&certs[i], (enum gauge)g, &v))
				continue;
			if (!headed++)
				header(f, &gauges[g]);
			sample(f, gauges[g].name, "name", certs[i].name, NULL, NULL, v);
		}
	}
	if (n > 0)
		header(f, &attempts_family);
	for (i = 0; i < n; i++) {
		counts[0] = certs[i].counters.success;
		counts[1] = certs[i].counters.failure;
		counts[2] = certs[i].counters.rolled_back;
		for (j = 0; j < 3; j++)
			sample(f, attempts_family.name, "name", certs[i].name, "result", results[j],
			    counts[j]);
	}
	headed = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < certs[i].counters.ntypes; j++) {
			if (!headed++)
				header(f, &errors_family);
			sample(f, errors_family.name, "name", certs[i].name, "type",
			    certs[i].counters.errors[j].type, certs[i].counters.errors[j].n);
		}
	if (agent != NULL)
		agent_families(f, agent);
}

int
ck_metrics_format(const struct ck_metrics_cert *certs, size_t n,
    const struct ck_agent_counters *agent, const char *version, char **text, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int failed;

	*text = NULL;
	*len = 0;
	if ((f = open_memstream(&buf, &size)) == NULL) {
		ck_error_errno("metrics: open_memstream");
		return -1;
	}
	families(f, certs, n, agent, version);
	failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		ck_error("metrics: out of memory formatting the metrics");
		free(buf);
		return -1;
	}
	*text = buf;
	*len = size;
	return 0;
}

void
ck_metrics_count(struct ck_store *st, const char *name, const struct ck_outcome *o, time_t now)
{
	struct ck_counters c;

	if (ck_store_load_counters(st, name, &c) != 0)
		ck_warn("%s: counting on from zero after the unreadable counters", name);
	switch (o->result) {
	case CK_RESULT_SUCCESS:
		ck_counter_bump(&c.success);
		c.last_success = now;
		break;
	case CK_RESULT_FAILURE:
		ck_counter_bump(&c.failure);
		break;
	case CK_RESULT_ROLLED_BACK:
		ck_counter_bump(&c.rolled_back);
		break;
	case CK_RESULT_INTERRUPTED:	/* stopped from outside: neither a success nor a failure */
		break;
	}
	ck_counters_add_error(&c, o->problem);
	if (ck_store_save_counters(st, name, &c) != 0)
		ck_warn("%s: this attempt is not counted in the metrics", name);
}

/* Whether the directory of path is there; else warns (no temporary file can be made). */
static int
dir_exists(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat sb;
	size_t len = slash != NULL && slash != path ? (size_t)(slash - path) : 1;

	if (len >= sizeof(dir)) {
		ck_warn("metrics: %s: path too long; not written", path);
		return 0;
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &sb) != 0) {
		/* No node_exporter textfile directory where the default expects one: nothing to feed. */
		if (errno == ENOENT && strcmp(path, CK_DEFAULT_METRICS_FILE) == 0)
			ck_debug("metrics: %s not written: %s does not exist", path, dir);
		else
			ck_warn("metrics: %s not written: %s: %s", path, dir, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ck_warn("metrics: %s not written: %s is not a directory", path, dir);
		return 0;
	}
	return 1;
}

int
ck_metrics_text(struct ck_store *st, const struct ck_config *cfg, time_t now, char **text,
    size_t *len)
{
	struct ck_metrics_cert *certs = NULL;
	struct ck_agent_counters agent;
	struct ck_push_record push;
	size_t i, n = 0;
	int rc = -1;

	*text = NULL;
	*len = 0;
	if (cfg->ncerts > 0 && (certs = calloc(cfg->ncerts, sizeof(*certs))) == NULL) {
		ck_error("metrics: out of memory");
		goto out;
	}
	/* A certificate without a plan (reported) is left out; the others are still shown. */
	for (i = 0; i < cfg->ncerts; i++)
		if (ck_metrics_gather(st, &cfg->certs[i], now, &certs[n]) != -1)
			n++;
	/* Unreadable agent counters are reported and shown as nothing counted. */
	(void)ck_metrics_gather_agent(st, &agent);
	if (ck_metrics_format(certs, n, &agent, PACKAGE_VERSION, text, len) != 0)
		goto out;
	/* The push's own figures, when there is a push (an unreadable record reads as none). */
	if (ck_push_load(st, cfg, &push) != 1 && ck_push_metrics_append(&push, text, len) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	free(certs);
	return rc;
}

int
ck_metrics_write(struct ck_store *st, const struct ck_config *cfg, time_t now)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (cfg->metrics_file == NULL)
		return 0;
	if (!dir_exists(cfg->metrics_file))
		goto out;
	if (ck_metrics_text(st, cfg, now, &text, &len) != 0 ||
	    ck_store_replace_file(cfg->metrics_file, text, len, 0644) != 0) {
		ck_warn("metrics: %s not written (renewals are not affected)", cfg->metrics_file);
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}
