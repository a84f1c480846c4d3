/*
 * store/state.c: per-certificate state in certs/NAME/status.json (see
 * store/state.h).
 *
 * The record is built with jansson and written atomically.  It is read
 * back fail-closed, member by member: one getter per kind of member (a
 * time, a string that a checker accepts or that is made safe, a number of
 * seconds), each of which either yields a checked value or declares the
 * whole record corrupt.  A new member is one more line in the saver's
 * json_pack and one more getter call in parse_attempt.  What the saver
 * writes, the loader accepts unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"
#include "certkeeper/store/state.h"
#include "internal.h"

#define STATUS_FILE	"status.json"
#define STATUS_MAX	65536	/* a record the saver writes is a few KiB at most */
#define SERIAL_MAX	128	/* hex digits: X.509 allows 40, leave room for odd CAs */

static const char *const results[] = {
	"success", "failure", "interrupted", "rolled-back", NULL
};
static const char *const error_classes[] = {
	"config", "network", "tls", "ca", "validation", "tpm", "store", "check", "hook",
	"interrupted", "internal", NULL
};

/* Whether s is NULL or one of words. */
static int
word_ok(const char *s, const char *const *words)
{
	size_t i;

	if (s == NULL)
		return 1;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* The checkers get_string takes: each accepts NULL. */
static int
result_ok(const char *s)
{
	return word_ok(s, results);
}

static int
error_class_ok(const char *s)
{
	return word_ok(s, error_classes);
}

/* Whether s is NULL or 1 to SERIAL_MAX hex digits. */
static int
serial_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 1;
	n = strspn(s, "0123456789abcdefABCDEF");
	return n > 0 && n <= SERIAL_MAX && s[n] == '\0';
}

/*
 * Copies text src into dst (CK_ATTEMPT_TEXT_MAX + 1 bytes), safe to show
 * on a terminal: bytes outside printable ASCII but for newline and tab
 * become '?'; longer text is cut.
 */
static void
safe_text(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < CK_ATTEMPT_TEXT_MAX && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? (char)c : '?';
	}
	dst[i] = '\0';
}

/* Formats t into buf (32 bytes) and checks that the loader will read it back as t. */
static int
format_time(time_t t, char buf[32])
{
	time_t back;

	ck_time_rfc3339(t, buf, 32);
	return ck_time_parse_rfc3339(buf, &back) == 0 && back == t ? 0 : -1;
}

void
ck_attempt_init(struct ck_attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
}

int
ck_store_save_attempt(struct ck_store *st, const char *name, const struct ck_attempt *a)
{
	char when[32], nb[32], na[32], problem[CK_ATTEMPT_TEXT_MAX + 1];
	char error[CK_ATTEMPT_TEXT_MAX + 1], *path = NULL, *text = NULL;
	json_t *obj = NULL;
	int rc = -1;

	if (ckst_cert_file(st, name, STATUS_FILE, 1, &path) == -1)
		goto out;
	if (!result_ok(a->result) || !error_class_ok(a->error_class) || !serial_ok(a->serial)) {
		ck_error("not writing %s: unknown result or error class, or a serial that is "
		    "not hex", path);
		goto out;
	}
	if (format_time(a->when, when) == -1 || format_time(a->not_before, nb) == -1 ||
	    format_time(a->not_after, na) == -1) {
		ck_error("not writing %s: a time cannot be written as RFC 3339", path);
		goto out;
	}
	safe_text(problem, a->problem != NULL ? a->problem : "");
	safe_text(error, a->error != NULL ? a->error : "");
	obj = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:s?, s:s?}",
	    "when", when,
	    "result", a->result,
	    "error_class", a->error_class,
	    "problem", a->problem != NULL ? problem : NULL,
	    "error", a->error != NULL ? error : NULL,
	    "retry_after", a->retry_after < 0 ? json_null() :
		json_integer(a->retry_after < CK_ATTEMPT_RETRY_MAX ? a->retry_after :
		CK_ATTEMPT_RETRY_MAX),
	    "serial", a->serial,
	    "not_before", a->not_before != 0 ? nb : NULL,
	    "not_after", a->not_after != 0 ? na : NULL);
	if (obj == NULL || (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	/* Telemetry, rewritten every pass: atomic, not worth a wait for the disk. */
	rc = ck_store_replace_file(path, text, strlen(text), 0600);
out:
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/*
 * Member key as a malloc'd string (*out NULL when absent or null): with
 * ok, only what ok accepts; without, any text, made safe and cut.
 */
static int
get_string(const json_t *root, const char *key, int (*ok)(const char *), const char *what,
    const char *path, char **out)
{
	const json_t *v = json_object_get(root, key);
	char safe[CK_ATTEMPT_TEXT_MAX + 1];
	const char *s;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || (ok != NULL && !ok(json_string_value(v))))
		return ckst_record_corrupt(path, key, what);
	s = json_string_value(v);
	if (ok == NULL) {
		safe_text(safe, s);
		s = safe;
	}
	if ((*out = strdup(s)) == NULL) {
		ck_error("out of memory reading %s", path);
		return -1;
	}
	return 0;
}

/* Member key as seconds from 0 to CK_ATTEMPT_RETRY_MAX; absent or null is -1. */
static int
get_seconds(const json_t *root, const char *key, const char *path, long *out)
{
	const json_t *v = json_object_get(root, key);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > CK_ATTEMPT_RETRY_MAX)
		return ckst_record_corrupt(path, key, "a number of seconds from 0 to 86400, or null");
	*out = (long)json_integer_value(v);
	return 0;
}

/* Parses the text of a status.json (path in messages) into a, which is then cleared on failure. */
static int
parse_attempt(const json_t *root, const char *path, void *out)
{
	struct ck_attempt *a = out;
	int rc = -1;

	if (ckst_record_time(root, "when", 1, path, &a->when) == -1 ||
	    get_string(root, "result", result_ok, "a known result or null", path,
	    &a->result) == -1 ||
	    get_string(root, "error_class", error_class_ok, "a known error class or null", path,
	    &a->error_class) == -1 ||
	    get_string(root, "problem", NULL, "a string or null", path, &a->problem) == -1 ||
	    get_string(root, "error", NULL, "a string or null", path, &a->error) == -1 ||
	    get_seconds(root, "retry_after", path, &a->retry_after) == -1 ||
	    get_string(root, "serial", serial_ok, "a hex serial number or null", path,
	    &a->serial) == -1 ||
	    ckst_record_time(root, "not_before", 0, path, &a->not_before) == -1 ||
	    ckst_record_time(root, "not_after", 0, path, &a->not_after) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		ck_attempt_clear(a);
	return rc;
}

int
ck_store_load_attempt(struct ck_store *st, const char *name, struct ck_attempt *a)
{
	ck_attempt_init(a);
	return ckst_record_load(st, name, STATUS_FILE, STATUS_MAX, parse_attempt, a);
}

void
ck_attempt_clear(struct ck_attempt *a)
{
	if (a == NULL)
		return;
	free(a->result);
	free(a->error_class);
	free(a->problem);
	free(a->error);
	free(a->serial);
	ck_attempt_init(a);
}
