/*
 * store/record.c: what the store's JSON records (status.json,
 * schedule.json) share when they are read back as untrusted input: the
 * file itself, a member's time, and the report that names what is wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "certkeeper/util/time.h"

int
ckst_record_corrupt(const char *path, const char *key, const char *what)
{
	ck_error("%s is corrupt: \"%s\" is not %s", path, key, what);
	return -1;
}

int
ckst_record_time(const json_t *root, const char *key, int required, const char *path,
    time_t *t)
{
	const json_t *v = json_object_get(root, key);
	char back[32];
	int ok = 0;

	*t = 0;
	if (!required && (v == NULL || json_is_null(v)))
		return 0;
	/*
	 * Only a time the saver writes as the same text: a year before 1000
	 * parses, but strftime writes it with fewer digits, so that a record
	 * carrying it could never be saved again (found by fuzzing).
	 */
	if (json_is_string(v) && ck_time_parse_rfc3339(json_string_value(v), t) == 0) {
		ck_time_rfc3339(*t, back, sizeof(back));
		ok = strcmp(back, json_string_value(v)) == 0;
	}
	/*
	 * The epoch is "unknown" to every record, written as null: a required
	 * time cannot be it, or the record would not load back once saved
	 * (found by fuzzing, store_revoked).
	 */
	if (ok && required && *t == 0)
		ok = 0;
	if (!ok) {
		*t = 0;
		return ckst_record_corrupt(path, key, required ? "an RFC 3339 UTC time" :
		    "an RFC 3339 UTC time or null");
	}
	return 0;
}

int
ckst_record_load(struct ck_store *st, const char *name, const char *file, size_t max,
    int (*parse)(const json_t *root, const char *path, void *out), void *out)
{
	char *text = NULL, *path = NULL, safe[160];
	json_t *root = NULL;
	json_error_t jerr;
	size_t len = 0;
	int r, rc = -1;

	if (ckst_cert_file(st, name, file, 0, &path) == -1)
		goto out;
	if ((r = ck_store_read_file(path, max, &text, &len)) != 0) {
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
	rc = parse(root, path, out);
out:
	json_decref(root);
	free(text);
	free(path);
	return rc;
}

int
ckst_record_time_value(time_t t, json_t **out)
{
	char buf[32];
	time_t back;

	*out = NULL;
	if (t == 0) {
		*out = json_null();
		return 0;
	}
	ck_time_rfc3339(t, buf, sizeof(buf));
	if (ck_time_parse_rfc3339(buf, &back) != 0 || back != t)
		return -1;
	*out = json_string(buf);
	return 0;
}
