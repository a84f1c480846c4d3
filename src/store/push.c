/*
 * store/push.c: the last push's record in certs/NAME/push.json (see
 * store/push.h).
 *
 * The discipline of store/counters.c: built with jansson, written
 * atomically, read back fail-closed member by member; what the saver
 * writes, the loader accepts unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/store/push.h"
#include "certkeeper/util/log.h"
#include "internal.h"

#define PUSH_FILE	"push.json"
#define PUSH_MAX	16384	/* what the saver writes is under 1 KiB */

void
ck_push_record_init(struct ck_push_record *r)
{
	memset(r, 0, sizeof(*r));
}

void
ck_push_record_success(struct ck_push_record *r, time_t now)
{
	r->last_success = now;
	r->consecutive = 0;
	r->last_error[0] = '\0';
}

void
ck_push_record_failure(struct ck_push_record *r, time_t now, const char *error)
{
	r->last_failure = now;
	if (r->failures < CK_PUSH_FAILURES_MAX)
		r->failures++;
	if (r->consecutive < r->failures)
		r->consecutive++;
	if (error == NULL || error[0] == '\0')
		error = "unknown error";
	ck_sanitize(r->last_error, sizeof(r->last_error), error, strlen(error));
}

/* Whether s is an error as kept: printable ASCII, at most CK_PUSH_ERROR_MAX bytes. */
static int
error_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len > CK_PUSH_ERROR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Whether r holds what the loader reads back. */
static int
record_ok(const struct ck_push_record *r)
{
	return r->failures >= 0 && r->failures <= CK_PUSH_FAILURES_MAX && r->consecutive >= 0 &&
	    r->consecutive <= r->failures && error_ok(r->last_error);
}

int
ck_store_save_push(struct ck_store *st, const char *name, const struct ck_push_record *r)
{
	json_t *obj = NULL, *t[2] = { NULL, NULL };
	char *path = NULL, *text = NULL;
	int rc = -1;

	if (ckst_cert_file(st, name, PUSH_FILE, 1, &path) == -1)
		goto out;
	if (!record_ok(r)) {
		ck_error("not writing %s: a count out of range or an error not printable", path);
		goto out;
	}
	if (ckst_record_time_value(r->last_success, &t[0]) == -1 ||
	    ckst_record_time_value(r->last_failure, &t[1]) == -1) {
		ck_error("not writing %s: a time cannot be written as RFC 3339", path);
		goto out;
	}
	/* json_pack's "o" steals each time, also when it fails. */
	obj = json_pack("{s:o, s:o, s:I, s:I, s:s?}", "last_success", t[0], "last_failure", t[1],
	    "failures", (json_int_t)r->failures, "consecutive_failures",
	    (json_int_t)r->consecutive, "last_error",
	    r->last_error[0] != '\0' ? r->last_error : NULL);
	t[0] = t[1] = NULL;
	if (obj == NULL || (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	rc = ck_store_write_file(path, text, strlen(text), 0600);
out:
	json_decref(t[0]);
	json_decref(t[1]);
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/* Member key: a count 0..CK_PUSH_FAILURES_MAX; absent or null is 0. */
static int
get_count(const json_t *root, const char *key, const char *path, long long *out)
{
	const json_t *v = json_object_get(root, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > CK_PUSH_FAILURES_MAX)
		return ckst_record_corrupt(path, key, "a count from 0 to 2^53");
	*out = (long long)json_integer_value(v);
	return 0;
}

/* Parses a push.json (path in messages) into the record out, "never pushed" on failure. */
static int
parse_push(const json_t *root, const char *path, void *out)
{
	struct ck_push_record *r = out;
	const json_t *e = json_object_get(root, "last_error");
	int rc = -1;

	if (ckst_record_time(root, "last_success", 0, path, &r->last_success) == -1 ||
	    ckst_record_time(root, "last_failure", 0, path, &r->last_failure) == -1 ||
	    get_count(root, "failures", path, &r->failures) == -1 ||
	    get_count(root, "consecutive_failures", path, &r->consecutive) == -1)
		goto out;
	if (e != NULL && !json_is_null(e)) {
		if (!json_is_string(e) || !error_ok(json_string_value(e))) {
			ckst_record_corrupt(path, "last_error", "printable text of at most 512 bytes or null");
			goto out;
		}
		memcpy(r->last_error, json_string_value(e), strlen(json_string_value(e)) + 1);
	}
	if (r->consecutive > r->failures) {
		ckst_record_corrupt(path, "consecutive_failures", "at most \"failures\"");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		ck_push_record_init(r);
	return rc;
}

int
ck_store_load_push(struct ck_store *st, const char *name, struct ck_push_record *r)
{
	ck_push_record_init(r);
	return ckst_record_load(st, name, PUSH_FILE, PUSH_MAX, parse_push, r);
}
