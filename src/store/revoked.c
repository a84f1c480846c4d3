/*
 * store/revoked.c: certs/NAME/revoked.json (see store/revoked.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/store/revoked.h"
#include "certkeeper/util/log.h"
#include "internal.h"

#define REVOKED_FILE	"revoked.json"
#define REVOKED_MAX	4096

static int
serial_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CK_REVOKED_SERIAL_MAX && strspn(s, "0123456789abcdef") == n;
}

int
ck_store_save_revoked(struct ck_store *st, const char *name, const struct ck_revoked *r)
{
	json_t *obj = NULL, *when = NULL;
	char *path = NULL, *text = NULL;
	int rc = -1;

	if (!serial_ok(r->serial) || r->reason < 0 || r->reason > 10) {
		ck_error("%s: refusing to record a revocation of serial \"%.64s\" reason %d",
		    name, serial_ok(r->serial) ? r->serial : "(not hex)", r->reason);
		goto out;
	}
	if (ckst_record_time_value(r->when, &when) != 0 ||
	    (obj = json_pack("{s:s, s:O, s:i}", "serial", r->serial, "revoked_at", when,
	    "reason", r->reason)) == NULL ||
	    (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("%s: cannot build %s", name, REVOKED_FILE);
		goto out;
	}
	if (ckst_cert_file(st, name, REVOKED_FILE, 1, &path) != 0)
		goto out;
	rc = ck_store_write_file(path, text, strlen(text), 0600);
out:
	json_decref(when);
	json_decref(obj);
	free(text);
	free(path);
	return rc;
}

static int
parse_revoked(const json_t *root, const char *path, void *out)
{
	struct ck_revoked *r = out;
	const char *serial = json_string_value(json_object_get(root, "serial"));
	const json_t *reason = json_object_get(root, "reason");

	if (serial == NULL || !serial_ok(serial))
		return ckst_record_corrupt(path, "serial", "a lower-case hex serial");
	if (!json_is_integer(reason) || json_integer_value(reason) < 0 ||
	    json_integer_value(reason) > 10)
		return ckst_record_corrupt(path, "reason", "a reason code 0..10");
	if (ckst_record_time(root, "revoked_at", 1, path, &r->when) != 0)
		return -1;
	snprintf(r->serial, sizeof(r->serial), "%s", serial);
	r->reason = (int)json_integer_value(reason);
	return 0;
}

int
ck_store_load_revoked(struct ck_store *st, const char *name, struct ck_revoked *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = ckst_record_load(st, name, REVOKED_FILE, REVOKED_MAX, parse_revoked, r);
	if (rc == 0 && r->serial[0] == '\0')
		return 1;
	if (rc != 0)
		memset(r, 0, sizeof(*r));
	return rc;
}
