/*
 * store/counters.c: per-certificate counters in certs/NAME/counters.json
 * (see store/counters.h).
 *
 * The discipline of store/schedule.c: built with jansson, written
 * atomically, read back fail-closed member by member, each getter either
 * yielding a checked value or declaring the whole file corrupt; what the
 * saver writes, the loader accepts unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/store/counters.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"
#include "internal.h"

#define COUNTERS_FILE	"counters.json"
#define COUNTERS_MAX	16384	/* what the saver writes is under 4 KiB */

void
ck_counters_init(struct ck_counters *c)
{
	memset(c, 0, sizeof(*c));
}

void
ck_counter_bump(long long *n)
{
	if (*n < CK_COUNTER_MAX)
		(*n)++;
}

/* Whether s is a problem type as counted: 1..CK_COUNTERS_TYPE_LEN bytes of printable ASCII. */
static int
type_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > CK_COUNTERS_TYPE_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* The slot counting type in c, made when there is room; NULL when there is none. */
static long long *
type_slot(struct ck_counters *c, const char *type)
{
	size_t i;

	for (i = 0; i < c->ntypes; i++)
		if (strcmp(c->errors[i].type, type) == 0)
			return &c->errors[i].n;
	if (c->ntypes == CK_COUNTERS_TYPES_MAX)
		return NULL;
	memcpy(c->errors[c->ntypes].type, type, strlen(type) + 1);
	c->errors[c->ntypes].n = 0;
	return &c->errors[c->ntypes++].n;
}

void
ck_counters_add_error(struct ck_counters *c, const char *type)
{
	char safe[CK_COUNTERS_TYPE_LEN + 1];
	long long *n = NULL;
	size_t i;

	if (type == NULL || type[0] == '\0')
		return;
	ck_sanitize(safe, sizeof(safe), type, strlen(type));
	for (i = 0; i < c->ntypes && n == NULL; i++)
		if (strcmp(c->errors[i].type, safe) == 0)
			n = &c->errors[i].n;
	/* The last slot is kept for "other", so that it is always there to count in. */
	if (n == NULL && c->ntypes < CK_COUNTERS_TYPES_MAX - 1)
		n = type_slot(c, safe);
	if (n == NULL)
		n = type_slot(c, CK_COUNTERS_OTHER);
	if (n != NULL)
		ck_counter_bump(n);
}

/* Whether every count of c is in range and every type of its form, each once. */
static int
counters_ok(const struct ck_counters *c)
{
	size_t i, j;

	if (c->success < 0 || c->success > CK_COUNTER_MAX || c->failure < 0 ||
	    c->failure > CK_COUNTER_MAX || c->rolled_back < 0 || c->rolled_back > CK_COUNTER_MAX ||
	    c->ntypes > CK_COUNTERS_TYPES_MAX)
		return 0;
	for (i = 0; i < c->ntypes; i++) {
		if (!type_ok(c->errors[i].type) || c->errors[i].n < 0 ||
		    c->errors[i].n > CK_COUNTER_MAX)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(c->errors[i].type, c->errors[j].type) == 0)
				return 0;
	}
	return 1;
}

int
ck_store_save_counters(struct ck_store *st, const char *name, const struct ck_counters *c)
{
	json_t *obj = NULL, *when = NULL, *errors = NULL;
	char *path = NULL, *text = NULL;
	int rc = -1;

	if (ckst_cert_file(st, name, COUNTERS_FILE, 1, &path) == -1)
		goto out;
	if (!counters_ok(c)) {
		ck_error("not writing %s: a count out of range, or a problem type that is "
		    "empty, not printable, too long or there twice", path);
		goto out;
	}
	if (ckst_record_time_value(c->last_success, &when) == -1) {
		ck_error("not writing %s: last_success cannot be written as RFC 3339", path);
		goto out;
	}
	errors = ck_counters_errors_json(c);
	/* json_pack's "o" steals each value, also when it fails. */
	obj = json_pack("{s:{s:I, s:I, s:I}, s:o, s:o}",
	    "attempts",
	    "success", (json_int_t)c->success,
	    "failure", (json_int_t)c->failure,
	    "rolled_back", (json_int_t)c->rolled_back,
	    "acme_errors", errors,
	    "last_success", when);
	errors = when = NULL;
	if (obj == NULL || (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	/* Telemetry, rewritten every pass: atomic, not worth a wait for the disk. */
	rc = ck_store_replace_file(path, text, strlen(text), 0600);
out:
	json_decref(when);
	json_decref(errors);
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/* Member key of obj as a count 0..CK_COUNTER_MAX; absent or null is 0. */
static int
get_count(const json_t *obj, const char *key, const char *path, long long *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > CK_COUNTER_MAX)
		return ckst_record_corrupt(path, key, "a count from 0 to 2^53");
	*out = (long long)json_integer_value(v);
	return 0;
}

/* Member "acme_errors": an object of problem types and their counts; absent or null is none. */
static int
get_errors(const json_t *root, const char *path, struct ck_counters *c)
{
	const json_t *o = json_object_get(root, "acme_errors"), *v;
	const char *type;

	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o) || json_object_size(o) > CK_COUNTERS_TYPES_MAX)
		return ckst_record_corrupt(path, "acme_errors",
		    "an object of at most 32 problem types and their counts");
	json_object_foreach((json_t *)o, type, v) {
		/* Keys are unique: the reader refuses duplicates. */
		if (!type_ok(type))
			return ckst_record_corrupt(path, "acme_errors",
			    "keyed by problem types (1 to 63 printable characters)");
		memcpy(c->errors[c->ntypes].type, type, strlen(type) + 1);
		if (get_count(o, type, path, &c->errors[c->ntypes].n) == -1)
			return -1;
		c->ntypes++;
	}
	return 0;
}

/* Parses a counters.json (path in messages) into c, made "nothing counted" on failure. */
static int
parse_counters(const json_t *root, const char *path, void *out)
{
	struct ck_counters *c = out;
	const json_t *att = json_object_get(root, "attempts");
	int rc = -1;

	if (att != NULL && !json_is_null(att) && !json_is_object(att)) {
		ckst_record_corrupt(path, "attempts", "an object of counts by result");
		goto out;
	}
	if (get_count(att, "success", path, &c->success) == -1 ||
	    get_count(att, "failure", path, &c->failure) == -1 ||
	    get_count(att, "rolled_back", path, &c->rolled_back) == -1 ||
	    get_errors(root, path, c) == -1 ||
	    ckst_record_time(root, "last_success", 0, path, &c->last_success) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		ck_counters_init(c);
	return rc;
}

int
ck_store_load_counters(struct ck_store *st, const char *name, struct ck_counters *c)
{
	ck_counters_init(c);
	return ckst_record_load(st, name, COUNTERS_FILE, COUNTERS_MAX, parse_counters, c);
}

json_t *
ck_counters_errors_json(const struct ck_counters *c)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < c->ntypes; i++)
		if (json_object_set_new(o, c->errors[i].type,
		    json_integer((json_int_t)c->errors[i].n)) != 0) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

/* --- the agent's own counters, STATE_DIR/counters.json ------------------- */

void
ck_agent_counters_init(struct ck_agent_counters *c)
{
	memset(c, 0, sizeof(*c));
}

void
ck_counter_add(long long *count, long long n)
{
	if (n < 0)
		return;
	*count = n > CK_COUNTER_MAX - *count ? CK_COUNTER_MAX : *count + n;
}

/* Whether s is a reason as counted: 1..CK_COUNTERS_REASON_LEN bytes of [a-z_]. */
static int
reason_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= CK_COUNTERS_REASON_LEN &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz_") == len;
}

int
ck_agent_counters_add_tls(struct ck_agent_counters *c, const char *reason, long long n)
{
	size_t i;

	if (!reason_ok(reason))
		return -1;
	for (i = 0; i < c->nreasons; i++)
		if (strcmp(c->tls_failures[i].reason, reason) == 0)
			break;
	if (i == c->nreasons) {
		if (c->nreasons == CK_COUNTERS_REASONS_MAX)
			return -1;
		memcpy(c->tls_failures[i].reason, reason, strlen(reason) + 1);
		c->tls_failures[i].n = 0;
		c->nreasons++;
	}
	ck_counter_add(&c->tls_failures[i].n, n);
	return 0;
}

/* Whether every count of c is in range and every reason of its form, each once. */
static int
agent_counters_ok(const struct ck_agent_counters *c)
{
	size_t i, j;

	if (c->http_requests < 0 || c->http_requests > CK_COUNTER_MAX || c->tpm_commands < 0 ||
	    c->tpm_commands > CK_COUNTER_MAX || c->nreasons > CK_COUNTERS_REASONS_MAX)
		return 0;
	for (i = 0; i < c->nreasons; i++) {
		if (!reason_ok(c->tls_failures[i].reason) || c->tls_failures[i].n < 0 ||
		    c->tls_failures[i].n > CK_COUNTER_MAX)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(c->tls_failures[i].reason, c->tls_failures[j].reason) == 0)
				return 0;
	}
	return 1;
}

json_t *
ck_agent_counters_tls_json(const struct ck_agent_counters *c)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < c->nreasons; i++)
		if (json_object_set_new(o, c->tls_failures[i].reason,
		    json_integer((json_int_t)c->tls_failures[i].n)) != 0) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

int
ck_store_save_agent_counters(struct ck_store *st, const struct ck_agent_counters *c)
{
	json_t *obj = NULL, *tls = NULL;
	char *path = NULL, *text = NULL;
	int rc = -1;

	if (ckst_cert_file(st, NULL, COUNTERS_FILE, 0, &path) == -1)
		goto out;
	if (!agent_counters_ok(c)) {
		ck_error("not writing %s: a count out of range, or a TLS failure reason that is "
		    "not of lower-case letters or there twice", path);
		goto out;
	}
	tls = ck_agent_counters_tls_json(c);
	/* json_pack's "o" steals the value, also when it fails. */
	obj = json_pack("{s:I, s:I, s:o}",
	    "http_requests", (json_int_t)c->http_requests,
	    "tpm_commands", (json_int_t)c->tpm_commands,
	    "ca_tls_failures", tls);
	tls = NULL;
	if (obj == NULL || (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	/* Telemetry, rewritten every pass: atomic, not worth a wait for the disk. */
	rc = ck_store_replace_file(path, text, strlen(text), 0600);
out:
	json_decref(tls);
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/* Parses STATE_DIR/counters.json (path in messages) into c, "nothing counted" on failure. */
static int
parse_agent_counters(const json_t *root, const char *path, void *out)
{
	struct ck_agent_counters *c = out;
	const json_t *o = json_object_get(root, "ca_tls_failures"), *v;
	const char *reason;
	long long n;
	int rc = -1;

	if (get_count(root, "http_requests", path, &c->http_requests) == -1 ||
	    get_count(root, "tpm_commands", path, &c->tpm_commands) == -1)
		goto out;
	if (o != NULL && !json_is_null(o)) {
		if (!json_is_object(o) || json_object_size(o) > CK_COUNTERS_REASONS_MAX) {
			ckst_record_corrupt(path, "ca_tls_failures",
			    "an object of at most 8 reasons and their counts");
			goto out;
		}
		json_object_foreach((json_t *)o, reason, v) {
			(void)v;
			if (get_count(o, reason, path, &n) == -1)
				goto out;
			if (ck_agent_counters_add_tls(c, reason, n) == -1) {
				ckst_record_corrupt(path, "ca_tls_failures",
				    "keyed by reasons (1 to 15 lower-case letters or '_')");
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (rc == -1)
		ck_agent_counters_init(c);
	return rc;
}

int
ck_store_load_agent_counters(struct ck_store *st, struct ck_agent_counters *c)
{
	ck_agent_counters_init(c);
	return ckst_record_load(st, NULL, COUNTERS_FILE, COUNTERS_MAX, parse_agent_counters, c);
}
