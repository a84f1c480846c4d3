/*
 * store/pending.c: the order a run left to resume (see store/pending.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "certkeeper/store/keyfile.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/util/time.h"

#define PENDING_DIR "pending"
#define ORDER_FILE "order.json"
#define ORDER_MAX 8192
#define URL_MAX 2048

/*
 * STATE_DIR/pending/NAME (malloc'd in *path), beside certs/ so that nothing
 * but installed versions sits where services look; with create, made 0700.
 */
static int
pending_dir(struct ck_store *st, const char *name, int create, char **path)
{
	char *cdir = NULL, *top = NULL;
	int rc = -1;

	*path = NULL;
	/* Checks name as a certificate name, without creating anything. */
	if (ckst_cert_dir(st, name, 0, &cdir) != 0)
		goto out;
	if ((top = ckst_path("%s/" PENDING_DIR, st->dir)) == NULL ||
	    (*path = ckst_path("%s/%s", top, name)) == NULL)
		goto out;
	if (create && (ckst_ensure_dir(top, 0700) != 0 || ckst_ensure_dir(*path, 0700) != 0))
		goto out;
	rc = 0;
out:
	free(top);
	free(cdir);
	if (rc != 0) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

/* An order URL as the ACME client would follow it: https, printable, no spaces. */
static int
url_ok(const char *url)
{
	size_t i, n = strlen(url);

	if (n <= 8 || n > URL_MAX || strncmp(url, "https://", 8) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

int
ck_store_pending_save(struct ck_store *st, const char *name, const char *directory,
    const char *url, const char *key, size_t key_len, time_t created)
{
	char *dir = NULL, *kpath = NULL, *opath = NULL, *text = NULL, when[32];
	const char *kname = ck_store_key_file_name(key, key_len);
	const char *other = strcmp(kname, CK_STORE_KEY_FILE) == 0 ? CK_STORE_TPM_KEY_FILE :
	    CK_STORE_KEY_FILE;
	json_t *obj = NULL;
	int rc = -1;

	if (!url_ok(url) || !url_ok(directory)) {
		ck_error_as(CK_ERR_STORE, "not recording order URL for %s: not an https URL", name);
		return -1;
	}
	ck_time_rfc3339(created, when, sizeof(when));
	if (pending_dir(st, name, 1, &dir) != 0 ||
	    (kpath = ckst_path("%s/%s", dir, kname)) == NULL ||
	    (opath = ckst_path("%s/" ORDER_FILE, dir)) == NULL)
		goto out;
	if ((obj = json_pack("{s:s, s:s, s:s}", "directory", directory, "url", url,
	    "created", when)) == NULL ||
	    (text = json_dumps(obj, JSON_COMPACT)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory building %s", opath);
		goto out;
	}
	/*
	 * The key first, its own data flushed: an order.json never names a key
	 * that is not there.  Its rename waits for no flush of the directory:
	 * the one that makes order.json's rename durable, in the same
	 * directory after it, makes the key's durable too.  A power cut before
	 * that leaves at most a key without an order, which load ignores (and
	 * an order without its key would be dropped as unusable, never used).
	 */
	if (ck_store_replace_file(kpath, key, key_len, 0600) != 0)
		goto out;
	free(kpath);
	/* A key of the other kind from an older pending order must not linger. */
	if ((kpath = ckst_path("%s/%s", dir, other)) == NULL || ckst_remove_file(kpath) != 0)
		goto out;
	rc = ck_store_write_file(opath, text, strlen(text), 0600);
out:
	free(text);
	json_decref(obj);
	free(opath);
	free(kpath);
	free(dir);
	return rc;
}

/* Parses order.json's text into p->url and p->created; -1 (reported) if it is not what save writes. */
static int
parse_order(const char *text, size_t len, const char *path, struct ck_pending_order *p)
{
	json_error_t jerr;
	json_t *obj;
	const char *dir, *url, *created;
	int rc = -1;

	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	dir = json_string_value(json_object_get(obj, "directory"));
	url = json_string_value(json_object_get(obj, "url"));
	created = json_string_value(json_object_get(obj, "created"));
	if (!json_is_object(obj) || dir == NULL || url == NULL || created == NULL ||
	    !url_ok(dir) || !url_ok(url) || ck_time_parse_rfc3339(created, &p->created) != 0) {
		ck_error_as(CK_ERR_STORE, "%s is corrupt: not the order a run recorded", path);
		goto out;
	}
	if ((p->url = strdup(url)) == NULL || (p->directory = strdup(dir)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory reading %s", path);
		goto out;
	}
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

int
ck_store_pending_load(struct ck_store *st, const char *name, struct ck_pending_order *p)
{
	char *dir = NULL, *text = NULL;
	const char *kname = NULL;
	size_t len = 0;
	int fd = -1, r, rc = -1;

	memset(p, 0, sizeof(*p));
	if (pending_dir(st, name, 0, &dir) != 0)
		goto out;
	if ((r = ckst_open_dir(dir, &fd)) != 0) {
		rc = r == 1 ? 1 : -1;
		goto out;
	}
	if ((r = ckst_read_at(fd, ORDER_FILE, dir, ORDER_MAX, &text, &len)) != 0) {
		rc = r == 1 ? 1 : -1;
		goto out;
	}
	if (parse_order(text, len, dir, p) != 0)
		goto out;
	if ((r = ckst_load_key(fd, dir, 1, &p->key, &p->key_len, &kname)) != 0) {
		if (r == 1)
			ck_error_as(CK_ERR_STORE, "%s: the pending order's key is missing", dir);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		ck_pending_order_clear(p);
	if (fd >= 0)
		close(fd);
	free(text);
	free(dir);
	return rc;
}

int
ck_store_pending_exists(struct ck_store *st, const char *name)
{
	char *dir = NULL;
	int fd = -1, rc = -1, r;

	if (pending_dir(st, name, 0, &dir) != 0)
		goto out;
	if ((r = ckst_open_dir(dir, &fd)) != 0) {
		rc = r == 1 ? 0 : -1;
		goto out;
	}
	if ((r = ckst_exists_at(fd, ORDER_FILE, dir)) < 0)
		goto out;
	rc = r == 0 ? 1 : 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
ck_store_pending_clear(struct ck_store *st, const char *name)
{
	static const char *const files[] = { ORDER_FILE, CK_STORE_KEY_FILE, CK_STORE_TPM_KEY_FILE };
	char *dir = NULL, *path = NULL;
	size_t i;
	int rc = -1;

	if (pending_dir(st, name, 0, &dir) != 0)
		goto out;
	/*
	 * order.json first, and durably: a crash or a power cut leaves at most
	 * a stray key, never an order without one.  A stray key is harmless
	 * (load ignores a key without an order; the next save replaces it),
	 * so the keys' removal waits for no flush.
	 */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((path = ckst_path("%s/%s", dir, files[i])) == NULL ||
		    (i == 0 ? ckst_remove_file(path) : ckst_unlink(path)) < 0)
			goto out;
		free(path);
		path = NULL;
	}
	rc = 0;
out:
	free(path);
	free(dir);
	return rc;
}

void
ck_pending_order_clear(struct ck_pending_order *p)
{
	free(p->url);
	free(p->directory);
	if (p->key != NULL)
		OPENSSL_clear_free(p->key, p->key_len);
	memset(p, 0, sizeof(*p));
}
