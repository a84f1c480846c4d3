/*
 * cli/status.c: the `status` command (see cli/status.h).  It reads the store and
 * the configuration only, without the lock, so it answers while a renewal
 * runs, and never talks to the CA nor the TPM: the due time comes from the
 * plan over the store alone (ck_schedule_plan_at).
 */
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/time.h"
#include "certkeeper/agent/schedule.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/cli/status.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/counters.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/telemetry/metrics.h"
#include "certkeeper/telemetry/push.h"

/*
 * Sets o[key] to v, stealing v; a NULL v (a constructor that failed: out of
 * memory, or text that is not UTF-8) fails too.  Reported, naming what
 * (a certificate's name, or "document").
 */
static int
set_new(json_t *o, const char *what, const char *key, json_t *v)
{
	if (json_object_set_new(o, key, v) != 0) {
		ck_error("status: %s: json_object_set_new(\"%s\") failed "
		    "(out of memory, or not UTF-8)", what, key);
		return -1;
	}
	return 0;
}

/* Sets o[key] to the string s, or to null when s is NULL. */
static int
set_str(json_t *o, const char *what, const char *key, const char *s)
{
	return set_new(o, what, key, s != NULL ? json_string(s) : json_null());
}

/* Sets o[key] to an RFC 3339 time, or to null when t is 0. */
static int
set_time(json_t *o, const char *what, const char *key, time_t t)
{
	char buf[32];

	if (t == 0)
		return set_new(o, what, key, json_null());
	ck_time_rfc3339(t, buf, sizeof(buf));
	return set_new(o, what, key, json_string(buf));
}

/*
 * Key type of the installed version: the certificate's key type, held in
 * a TPM when the key file is a TSS2 one (its name says so).
 */
static const char *
installed_key_type(const struct ck_cert_info *info, const char *key_name)
{
	enum ck_key_type t = (enum ck_key_type)info->key_type;

	if (info->key_type < 0)
		return NULL;
	if (key_name != NULL && strcmp(key_name, CK_STORE_TPM_KEY_FILE) == 0)
		t = t == CK_KEY_EC_P384 ? CK_KEY_TPM_P384 : CK_KEY_TPM_P256;
	return ck_key_type_name(t);
}

/* The domains of cc as a JSON array (new reference), or NULL (not reported: see set_new). */
static json_t *
domain_list(const struct ck_cert_config *cc)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < cc->ndomains; i++)
		if (json_array_append_new(a, json_string(cc->domains[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The attempts of c by result, as {"success":N,"failure":N,"rolled_back":N}; NULL: see set_new. */
static json_t *
attempt_counts(const struct ck_counters *c)
{
	return json_pack("{s:I, s:I, s:I}", "success", (json_int_t)c->success,
	    "failure", (json_int_t)c->failure, "rolled_back", (json_int_t)c->rolled_back);
}

/*
 * One certificate's entry (new reference), or NULL (reported).  State that
 * cannot be read (reported by whoever failed) is null in the entry and sets
 * *unreadable; a certificate not installed yet is not a failure.
 */
static json_t *
cert_entry(struct ck_store *st, const struct ck_cert_config *cc, time_t now, int *unreadable)
{
	struct ck_cert_info info;
	struct ck_attempt att;
	struct ck_counters cnt;
	struct ck_plan plan;
	json_t *e = NULL, *res = NULL;
	char *paths[4] = { NULL };
	const char *key_name = NULL, *files[4] = { "cert.pem", "chain.pem", "fullchain.pem", NULL };
	const char *n = cc->name;
	size_t i;
	int r, present, readable;

	memset(&info, 0, sizeof(info));
	memset(&att, 0, sizeof(att));
	/* Whether something is installed, and its key file's name; the plan reads the certificate. */
	r = ck_store_load_current(st, cc->name, NULL, NULL, NULL, NULL, &key_name);
	present = r == 0;
	if (r == -1)
		*unreadable = 1;
	if (ck_store_load_attempt(st, cc->name, &att) != 0)
		*unreadable = 1;
	/* The plan's one read of the certificate gives its facts: one report of what is wrong. */
	if ((r = ck_schedule_plan_info(st, cc, now, &plan, &info)) == -1)
		goto out;
	if (r == 1)
		*unreadable = 1;
	readable = present && info.serial != NULL;
	if (present && !readable)
		*unreadable = 1;
	/* The figures of the metrics file (telemetry/metrics.h), from the same code. */
	if (ck_store_load_counters(st, cc->name, &cnt) != 0)
		*unreadable = 1;
	files[3] = key_name != NULL ? key_name : CK_STORE_KEY_FILE;
	for (i = 0; present && i < 4; i++)
		if ((paths[i] = ck_store_current_path(st, cc->name, files[i])) == NULL) {
			ck_error("status: %s: ck_store_current_path(%s): out of memory", n,
			    files[i]);
			goto out;
		}
	if ((e = json_object()) == NULL) {
		ck_error("status: %s: json_object: out of memory", n);
		goto out;
	}
	/* In the order of the documented format; unknown is null. */
	if (set_str(e, n, "name", cc->name) != 0 ||
	    set_new(e, n, "domains", domain_list(cc)) != 0 ||
	    set_str(e, n, "cert_path", paths[0]) != 0 ||
	    set_str(e, n, "chain_path", paths[1]) != 0 ||
	    set_str(e, n, "fullchain_path", paths[2]) != 0 ||
	    set_str(e, n, "key_path", paths[3]) != 0 ||
	    set_str(e, n, "key_type", readable ? installed_key_type(&info, key_name) : NULL) != 0 ||
	    set_str(e, n, "serial", readable ? info.serial : NULL) != 0 ||
	    set_time(e, n, "not_before", readable ? info.not_before : 0) != 0 ||
	    set_time(e, n, "not_after", readable ? info.not_after : 0) != 0 ||
	    /* Due at once (null) when nothing usable is installed. */
	    set_time(e, n, "renew_after", plan.source != CK_DUE_MISSING ? plan.due : 0) != 0 ||
	    set_str(e, n, "due_source", ck_due_source_name(plan.source)) != 0 ||
	    set_new(e, n, "failures", json_integer(plan.failures)) != 0 ||
	    set_time(e, n, "next_attempt", plan.retry_at) != 0 ||
	    set_str(e, n, "last_result", att.result) != 0 ||
	    set_str(e, n, "last_error", att.error) != 0 ||
	    set_time(e, n, "last_attempt", att.when) != 0 ||
	    set_str(e, n, "last_error_class", att.error_class) != 0 ||
	    set_str(e, n, "last_problem", att.problem) != 0 ||
	    set_new(e, n, "ready", json_boolean(ck_metrics_ready(&plan, now))) != 0 ||
	    set_new(e, n, "renewal_attempts", attempt_counts(&cnt)) != 0 ||
	    set_new(e, n, "acme_errors", ck_counters_errors_json(&cnt)) != 0 ||
	    set_time(e, n, "last_success", cnt.last_success) != 0)
		goto out;
	res = e;
	e = NULL;
out:
	for (i = 0; i < 4; i++)
		free(paths[i]);
	json_decref(e);
	ck_attempt_clear(&att);
	ck_cert_info_clear(&info);
	return res;
}

int
ck_status_json(const struct ck_config *cfg, json_t **out)
{
	struct ck_agent_counters agent;
	struct ck_store *st = NULL;
	json_t *doc = NULL, *list, *e;
	time_t now = ck_clock_now(ck_clock_system());
	size_t i;
	int unreadable = 0, rc = -1;

	if (ck_store_open(cfg->state_dir, &st) != 0)
		goto out;
	if ((doc = json_object()) == NULL) {
		ck_error("status: json_object: out of memory");
		goto out;
	}
	if (set_new(doc, "document", "certificates", json_array()) != 0)
		goto out;
	list = json_object_get(doc, "certificates");	/* borrowed from doc */
	for (i = 0; i < cfg->ncerts; i++) {
		if ((e = cert_entry(st, &cfg->certs[i], now, &unreadable)) == NULL)
			goto out;
		if (json_array_append_new(list, e) != 0) {
			ck_error("status: %s: json_array_append_new: out of memory",
			    cfg->certs[i].name);
			goto out;
		}
	}
	if (ck_metrics_gather_agent(st, &agent) != 0)
		unreadable = 1;
	if (set_new(doc, "document", "agent", json_pack("{s:I, s:I, s:o}",
	    "http_requests", (json_int_t)agent.http_requests,
	    "tpm_commands", (json_int_t)agent.tpm_commands,
	    "ca_tls_failures", ck_agent_counters_tls_json(&agent))) != 0)
		goto out;
	/* The last push to the Pushgateway, when there is one. */
	if (cfg->push_url != NULL &&
	    set_new(doc, "document", "push", ck_push_status_json(st, cfg, &unreadable)) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	rc = unreadable;
out:
	json_decref(doc);
	ck_store_close(st);
	return rc;
}

/* Prints one entry as text. */
static void
print_entry(FILE *out, json_t *e)
{
	const char *labels[][2] = {
		{ "cert_path", "certificate" }, { "chain_path", "chain" },
		{ "fullchain_path", "fullchain" }, { "key_path", "key" },
		{ "key_type", "key type" }, { "serial", "serial" },
		{ "not_before", "not before" }, { "not_after", "not after" },
		{ "renew_after", "renew after" }, { "due_source", "due source" },
		{ "failures", "failures" }, { "next_attempt", "next attempt" },
		{ "last_result", "last result" },
		{ "last_error", "last error" }, { "last_attempt", "last attempt" },
		{ "last_error_class", "error class" }, { "last_problem", "ACME problem" },
		{ "last_success", "last success" },
	};
	json_t *d;
	size_t i;

	fprintf(out, "%s\n  %-12s ", json_string_value(json_object_get(e, "name")), "domains:");
	json_array_foreach(json_object_get(e, "domains"), i, d)
		fprintf(out, "%s%s", i ? ", " : "", json_string_value(d));
	fputc('\n', out);
	if (json_is_null(json_object_get(e, "serial")))
		fprintf(out, json_is_null(json_object_get(e, "cert_path")) ?
		    "  (no certificate installed)\n" : "  (installed certificate unreadable)\n");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		json_t *jv = json_object_get(e, labels[i][0]);
		const char *v = json_string_value(jv);
		char label[32], num[32];

		/* A count is shown once there is something to count. */
		if (json_is_integer(jv) && json_integer_value(jv) > 0) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(jv));
			v = num;
		}

		/* An installed certificate always has a key; null means it did not decode. */
		if (v == NULL && strcmp(labels[i][0], "key_type") == 0 &&
		    !json_is_null(json_object_get(e, "serial")))
			v = "unknown";
		if (v == NULL)
			continue;
		snprintf(label, sizeof(label), "%s:", labels[i][1]);
		fprintf(out, "  %-12s %s\n", label, v);
	}
}

/* Prints the push object as text. */
static void
print_push(FILE *out, json_t *p)
{
	const char *labels[][2] = {
		{ "url", "url" }, { "last_success", "last success" },
		{ "last_failure", "last failure" }, { "last_error", "last error" },
	};
	const char *v;
	char label[32];
	size_t i;

	fprintf(out, "push\n");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if ((v = json_string_value(json_object_get(p, labels[i][0]))) == NULL)
			continue;
		snprintf(label, sizeof(label), "%s:", labels[i][1]);
		fprintf(out, "  %-12s %s\n", label, v);
	}
	if (json_integer_value(json_object_get(p, "failures")) > 0)
		fprintf(out, "  %-12s %" JSON_INTEGER_FORMAT "\n", "failures:",
		    json_integer_value(json_object_get(p, "failures")));
}

/*
 * doc as indented JSON in *text (malloc'd, len bytes, NUL-terminated).  It is
 * encoded whole before anything is printed, so a failure prints nothing
 * rather than half a document.  json_dumpb writes into our buffer without
 * allocating one: json_dumps drops an object key when its buffer cannot
 * grow, and says nothing (jansson 2.14, dump.c ignores dump_string there).
 */
static int
encode(const json_t *doc, char **text, size_t *len)
{
	const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
	char *buf = NULL;
	size_t n;
	int rc = -1;

	if ((n = json_dumpb(doc, NULL, 0, flags)) == 0) {
		ck_error("status: json_dumpb failed (out of memory)");
		goto out;
	}
	if ((buf = malloc(n + 1)) == NULL) {
		ck_error("status: out of memory encoding %zu bytes of JSON", n);
		goto out;
	}
	if (json_dumpb(doc, buf, n, flags) != n) {
		ck_error("status: json_dumpb failed (out of memory)");
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	return rc;
}

int
ck_status_print(const struct ck_config *cfg, int json, FILE *out)
{
	json_t *doc = NULL, *e;
	char *text = NULL;
	size_t i, len = 0;
	int r, rc = CK_EXIT_FAILED;

	if ((r = ck_status_json(cfg, &doc)) == -1)
		goto out;
	if (json) {
		if (encode(doc, &text, &len) != 0)
			goto out;
		fwrite(text, 1, len, out);
		fputc('\n', out);
	} else {
		json_array_foreach(json_object_get(doc, "certificates"), i, e)
			print_entry(out, e);
		if ((e = json_object_get(doc, "push")) != NULL)
			print_push(out, e);
	}
	/* Output that did not get out (a full disk, a closed pipe) is a failure. */
	if (fflush(out) == EOF) {
		ck_error_errno("status: cannot write the output");
		goto out;
	}
	if (ferror(out)) {
		ck_error("status: cannot write the output");
		goto out;
	}
	/* What could be read is shown; what could not was reported and fails the command. */
	rc = r == 0 ? CK_EXIT_OK : CK_EXIT_FAILED;
out:
	free(text);
	json_decref(doc);
	return rc;
}
