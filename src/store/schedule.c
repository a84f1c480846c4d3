/*
 * store/schedule.c: per-certificate schedule in certs/NAME/schedule.json
 * (see store/schedule.h).
 *
 * The discipline of store/state.c: built with jansson, written atomically,
 * read back fail-closed member by member, each getter either yielding a
 * checked value or declaring the whole file corrupt; what the saver
 * writes, the loader accepts unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certkeeper/store/schedule.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"
#include "internal.h"

#define SCHEDULE_FILE	"schedule.json"
#define SCHEDULE_MAX	16384	/* what the saver writes is under 1 KiB */

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

void
ck_sched_init(struct ck_sched *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void
ck_sched_clear_ari(struct ck_sched *sc)
{
	sc->ari_id[0] = '\0';
	sc->ari_start = sc->ari_end = sc->ari_chosen = sc->ari_next_fetch = 0;
}

/* Whether s is a JWK thumbprint: CK_SCHED_THUMB_LEN base64url characters. */
static int
thumb_ok(const char *s)
{
	return strlen(s) == CK_SCHED_THUMB_LEN && strspn(s, B64URL) == CK_SCHED_THUMB_LEN;
}

/* Whether s is an ARI identifier: base64url, one '.', base64url, at most CK_SCHED_ARI_ID_MAX. */
static int
ari_id_ok(const char *s)
{
	size_t a = strspn(s, B64URL), b;

	if (a == 0 || s[a] != '.')
		return 0;
	b = strspn(s + a + 1, B64URL);
	return b > 0 && s[a + 1 + b] == '\0' && a + 1 + b <= CK_SCHED_ARI_ID_MAX;
}

/* Whether s is a serial as the certificate checks write it: lower-case hex, no leading zero. */
static int
serial_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= CK_SCHED_SERIAL_MAX && strspn(s, "0123456789abcdef") == len &&
	    (s[0] != '0' || len == 1);
}

/* Whether the ARI window of sc does not end before it starts. */
static int
window_ok(const struct ck_sched *sc)
{
	return sc->ari_start == 0 || sc->ari_end == 0 || sc->ari_start <= sc->ari_end;
}

int
ck_store_save_schedule(struct ck_store *st, const char *name, const struct ck_sched *sc)
{
	json_t *obj = NULL, *t[6] = { NULL };
	char *path = NULL, *text = NULL;
	size_t i;
	int rc = -1;

	if (ckst_cert_file(st, name, SCHEDULE_FILE, 1, &path) == -1)
		goto out;
	if (sc->failures < 0 || sc->failures > CK_SCHED_FAILURES_MAX ||
	    (sc->thumbprint[0] != '\0' && !thumb_ok(sc->thumbprint)) ||
	    (sc->ari_id[0] != '\0' && !ari_id_ok(sc->ari_id)) || !window_ok(sc) ||
	    (sc->warned_expiring[0] != '\0' && !serial_ok(sc->warned_expiring)) ||
	    (sc->warned_expired[0] != '\0' && !serial_ok(sc->warned_expired))) {
		ck_error("not writing %s: failures out of range, a malformed thumbprint, "
		    "ARI id or serial, or an ARI window that ends before it starts", path);
		goto out;
	}
	if (ckst_record_time_value(sc->last_failure, &t[0]) == -1 ||
	    ckst_record_time_value(sc->next_attempt, &t[1]) == -1 ||
	    ckst_record_time_value(sc->ari_start, &t[2]) == -1 || ckst_record_time_value(sc->ari_end, &t[3]) == -1 ||
	    ckst_record_time_value(sc->ari_chosen, &t[4]) == -1 ||
	    ckst_record_time_value(sc->ari_next_fetch, &t[5]) == -1) {
		ck_error("not writing %s: a time cannot be written as RFC 3339", path);
		goto out;
	}
	/* json_pack's "o" steals each time, also when it fails. */
	obj = json_pack("{s:I, s:o, s:o, s:s?, s:s?, s:o, s:o, s:o, s:o, s:s?, s:s?}",
	    "failures", (json_int_t)sc->failures,
	    "last_failure", t[0],
	    "next_attempt", t[1],
	    "account_thumbprint", sc->thumbprint[0] != '\0' ? sc->thumbprint : NULL,
	    "ari_id", sc->ari_id[0] != '\0' ? sc->ari_id : NULL,
	    "ari_start", t[2],
	    "ari_end", t[3],
	    "ari_chosen", t[4],
	    "ari_next_fetch", t[5],
	    "warned_expiring", sc->warned_expiring[0] != '\0' ? sc->warned_expiring : NULL,
	    "warned_expired", sc->warned_expired[0] != '\0' ? sc->warned_expired : NULL);
	for (i = 0; i < 6; i++)
		t[i] = NULL;
	if (obj == NULL || (text = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		ck_error("out of memory building %s", path);
		goto out;
	}
	rc = ck_store_write_file(path, text, strlen(text), 0600);
out:
	for (i = 0; i < 6; i++)
		json_decref(t[i]);
	free(text);
	json_decref(obj);
	free(path);
	return rc;
}

/* Member key as a string that ok accepts, copied into buf (size bytes); absent or null is "". */
static int
get_word(const json_t *root, const char *key, int (*ok)(const char *), const char *what,
    const char *path, char *buf, size_t size)
{
	const json_t *v = json_object_get(root, key);

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !ok(json_string_value(v)) ||
	    strlen(json_string_value(v)) >= size)
		return ckst_record_corrupt(path, key, what);
	memcpy(buf, json_string_value(v), strlen(json_string_value(v)) + 1);
	return 0;
}

/* Member "failures": an integer 0..CK_SCHED_FAILURES_MAX; absent or null is 0. */
static int
get_failures(const json_t *root, const char *path, long *out)
{
	const json_t *v = json_object_get(root, "failures");

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > CK_SCHED_FAILURES_MAX)
		return ckst_record_corrupt(path, "failures", "a number of failures from 0 to 1000000");
	*out = (long)json_integer_value(v);
	return 0;
}

/* Parses the text of a schedule.json (path in messages) into sc, made "no state" on failure. */
static int
parse_schedule(const json_t *root, const char *path, void *out)
{
	struct ck_sched *sc = out;
	int rc = -1;

	if (get_failures(root, path, &sc->failures) == -1 ||
	    ckst_record_time(root, "last_failure", 0, path, &sc->last_failure) == -1 ||
	    ckst_record_time(root, "next_attempt", 0, path, &sc->next_attempt) == -1 ||
	    get_word(root, "account_thumbprint", thumb_ok,
	    "a JWK thumbprint (43 base64url characters) or null", path, sc->thumbprint,
	    sizeof(sc->thumbprint)) == -1 ||
	    get_word(root, "ari_id", ari_id_ok, "an ARI identifier (base64url.base64url) or null",
	    path, sc->ari_id, sizeof(sc->ari_id)) == -1 ||
	    ckst_record_time(root, "ari_start", 0, path, &sc->ari_start) == -1 ||
	    ckst_record_time(root, "ari_end", 0, path, &sc->ari_end) == -1 ||
	    ckst_record_time(root, "ari_chosen", 0, path, &sc->ari_chosen) == -1 ||
	    ckst_record_time(root, "ari_next_fetch", 0, path, &sc->ari_next_fetch) == -1 ||
	    get_word(root, "warned_expiring", serial_ok, "a serial number in hex or null", path,
	    sc->warned_expiring, sizeof(sc->warned_expiring)) == -1 ||
	    get_word(root, "warned_expired", serial_ok, "a serial number in hex or null", path,
	    sc->warned_expired, sizeof(sc->warned_expired)) == -1)
		goto out;
	if (!window_ok(sc)) {
		ckst_record_corrupt(path, "ari_end", "at or after ari_start");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		ck_sched_init(sc);
	return rc;
}

int
ck_store_load_schedule(struct ck_store *st, const char *name, struct ck_sched *sc)
{
	ck_sched_init(sc);
	return ckst_record_load(st, name, SCHEDULE_FILE, SCHEDULE_MAX, parse_schedule, sc);
}
