/*
 * store/state.c: per-certificate state in certs/NAME/status.json (see
 * store/state.h), built with jansson, written atomically and read back
 * fail-closed.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"
#include "certkeeper/store/state.h"
#include "internal.h"

#define STATUS_FILE	"status.json"
#define STATUS_MAX	65536

/* Sets *path (malloc'd) to certs/NAME/status.json; with create, makes certs/NAME. */
static int
status_path(struct ck_store *st, const char *name, int create, char **path)
{
	char *cdir = NULL;

	*path = NULL;
	if (ckst_cert_dir(st, name, create, &cdir) == 0)
		*path = ckst_path("%s/" STATUS_FILE, cdir);
	free(cdir);
	return *path != NULL ? 0 : -1;
}

/* JSON for optional text s: null, the string, or (not UTF-8) a sanitized copy. */
static json_t *
json_text(const char *s)
{
	json_t *v;
	char *safe;
	size_t len;

	if (s == NULL)
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	len = strlen(s);
	if ((safe = malloc(len + 1)) == NULL)
		return NULL;
	ck_sanitize(safe, len + 1, s, len);
	v = json_string(safe);
	free(safe);
	return v;
}

int
ck_store_save_attempt(struct ck_store *st, const char *name, const struct ck_attempt *a)
{
	char when[32], *path = NULL, *text = NULL;
	json_t *obj = NULL;
	struct tm tm;
	int rc = -1;

	if (status_path(st, name, 1, &path) == -1)
		goto out;
	if (gmtime_r(&a->when, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		ck_error("cannot write time %lld as RFC 3339 for %s", (long long)a->when, path);
		goto out;
	}
	if ((obj = json_object()) == NULL ||
	    json_object_set_new(obj, "when", json_string(when)) == -1 ||
	    json_object_set_new(obj, "result", json_text(a->result)) == -1 ||
	    json_object_set_new(obj, "error", json_text(a->error)) == -1 ||
	    (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	rc = ck_store_write_file(path, text, strlen(text), 0600);
out:
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/* Sets *out to a copy of obj's member key: a string, or NULL when absent or null. */
static int
optional_string(const json_t *obj, const char *key, const char *path, char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		ck_error("%s is corrupt: \"%s\" is neither a string nor null", path, key);
		return -1;
	}
	if ((*out = strdup(json_string_value(v))) == NULL) {
		ck_error("out of memory reading %s", path);
		return -1;
	}
	return 0;
}

int
ck_store_load_attempt(struct ck_store *st, const char *name, struct ck_attempt *a)
{
	char *text = NULL, *path = NULL, safe[160];
	json_t *root = NULL, *when;
	json_error_t jerr;
	size_t len = 0;
	int r, rc = -1;

	memset(a, 0, sizeof(*a));
	if (status_path(st, name, 0, &path) == -1)
		goto out;
	if ((r = ck_store_read_file(path, STATUS_MAX, &text, &len)) != 0) {
		rc = r == 1 ? 0 : -1;
		goto out;
	}
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		ck_sanitize(safe, sizeof(safe), jerr.text, strlen(jerr.text));
		ck_error("%s is corrupt: line %d: %s", path, jerr.line, safe);
		goto out;
	}
	if (!json_is_object(root)) {
		ck_error("%s is corrupt: not a JSON object", path);
		goto out;
	}
	when = json_object_get(root, "when");
	if (!json_is_string(when) || ck_time_parse_rfc3339(json_string_value(when), &a->when) == -1) {
		ck_error("%s is corrupt: \"when\" is not an RFC 3339 UTC time", path);
		goto out;
	}
	if (optional_string(root, "result", path, &a->result) == -1 ||
	    optional_string(root, "error", path, &a->error) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		ck_attempt_clear(a);
	json_decref(root);
	free(text);
	free(path);
	return rc;
}

void
ck_attempt_clear(struct ck_attempt *a)
{
	if (a == NULL)
		return;
	free(a->result);
	free(a->error);
	memset(a, 0, sizeof(*a));
}
