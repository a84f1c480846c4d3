/*
 * store/accounts.c: ACME accounts per directory URL (see store/accounts.h).
 *
 * What is read back is checked as if a stranger had written it: the
 * directory file must name the URL asked for (else it is another CA's
 * account), and the account URL must look like one the CA would give.  A
 * bad account URL costs one newAccount request, which finds the account
 * by its key; a bad key or directory file is an error, since guessing
 * there would orphan an account or use another CA's.  The key file is
 * named by what it holds, and a save never leaves the account without a
 * key, nor with two.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "certkeeper/util/fault.h"
#include "certkeeper/util/log.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/keyfile.h"
#include "internal.h"

#define URL_FILE_MAX	8192	/* directory and url files: more is not ours */

/* Writes the account ID of directory_url (16 hex digits of its SHA-256) into id. */
static int
account_id(const char *directory_url, char id[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(directory_url, strlen(directory_url), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen < 8) {
		ck_error_ssl("EVP_Digest SHA-256 of %s", directory_url);
		return -1;
	}
	for (i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Strips one trailing newline (an operator's editor may add it) and checks for a NUL. */
static int
text_value(char *buf, size_t *len, const char *path)
{
	if (*len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	if (*len == 0 || strlen(buf) != *len) {
		ck_error("%s is empty or not text", path);
		return -1;
	}
	return 0;
}

/* Whether s (len bytes) is an account URL to use: https, printable ASCII, no spaces, capped. */
static int
url_ok(const char *s, size_t len)
{
	size_t i;

	if (len <= 8 || len > CK_STORE_URL_MAX || strncmp(s, "https://", 8) != 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Sets *dir (malloc'd) to STATE_DIR/accounts/ID of directory_url, after
 * checking that its directory file, if present, names that URL: another
 * directory's account (an ID collision, or tampering) is never reused.
 * With create, makes the directories and writes the file when missing.
 */
static int
account_dir(struct ck_store *st, const char *directory_url, int create, char **dir)
{
	char id[17], safe[256], *top = NULL, *adir = NULL, *dfile = NULL, *stored = NULL;
	size_t len = 0;
	int r, rc = -1;

	*dir = NULL;
	if (directory_url == NULL || *directory_url == '\0') {
		ck_error("no ACME directory URL given");
		goto out;
	}
	if (account_id(directory_url, id) == -1)
		goto out;
	if ((top = ckst_path("%s/accounts", st->dir)) == NULL ||
	    (adir = ckst_path("%s/%s", top, id)) == NULL ||
	    (dfile = ckst_path("%s/directory", adir)) == NULL)
		goto out;
	if (create && (ckst_ensure_dir(top, 0700) == -1 || ckst_ensure_dir(adir, 0700) == -1))
		goto out;
	if ((r = ck_store_read_file(dfile, URL_FILE_MAX, &stored, &len)) == -1)
		goto out;
	if (r == 1) {
		if (create && ck_store_write_file(dfile, directory_url, strlen(directory_url),
		    0600) == -1)
			goto out;
	} else {
		if (text_value(stored, &len, dfile) == -1)
			goto out;
		if (strcmp(stored, directory_url) != 0) {
			ck_sanitize(safe, sizeof(safe), stored, len);
			ck_error("%s names directory %s, not %s: refusing to use another "
			    "directory's account", dfile, safe, directory_url);
			goto out;
		}
	}
	*dir = adir;
	adir = NULL;
	rc = 0;
out:
	free(stored);
	free(dfile);
	free(adir);
	free(top);
	return rc;
}

/*
 * Reads the account URL file of adir (open as fd) into *url (NULL when
 * absent or unusable: the latter is warned about).  Returns 0, 1 when
 * absent, -1.
 */
static int
read_url(int fd, const char *adir, char **url)
{
	char *u = NULL, shown[1024], safe[256];
	size_t len = 0;
	int r;

	*url = NULL;
	snprintf(shown, sizeof(shown), "%s/url", adir);
	if ((r = ckst_read_at(fd, "url", shown, URL_FILE_MAX, &u, &len)) != 0)
		return r;
	if (len > 0 && u[len - 1] == '\n')
		u[--len] = '\0';
	if (!url_ok(u, len)) {
		ck_sanitize(safe, sizeof(safe), u, len);
		ck_warn("%s does not hold an https URL of at most %d printable characters "
		    "(\"%s\"): ignoring it, the account is looked up again by its key",
		    shown, CK_STORE_URL_MAX, safe);
		free(u);
		return 0;
	}
	*url = u;
	return 0;
}

/* The new-key name of a rollover's key file, by content. */
static const char *
new_key_name(const char *pem, size_t len)
{
	return strcmp(ck_store_key_file_name(pem, len), CK_STORE_TPM_KEY_FILE) == 0 ?
	    CK_STORE_NEW_TPM_KEY_FILE : CK_STORE_NEW_KEY_FILE;
}

/* Reads the new key of a rollover in adir (open as fd): 0, 1 when none, -1 (also for two). */
static int
load_new_key(int fd, const char *adir, char **key, size_t *len)
{
	char shown[1024];
	int r1, r2;

	snprintf(shown, sizeof(shown), "%s/" CK_STORE_NEW_TPM_KEY_FILE, adir);
	if ((r2 = ckst_exists_at(fd, CK_STORE_NEW_TPM_KEY_FILE, shown)) == -1)
		return -1;
	snprintf(shown, sizeof(shown), "%s/" CK_STORE_NEW_KEY_FILE, adir);
	if ((r1 = ckst_exists_at(fd, CK_STORE_NEW_KEY_FILE, shown)) == -1)
		return -1;
	if (r1 == 0 && r2 == 0) {
		ck_error("%s has both " CK_STORE_NEW_KEY_FILE " and " CK_STORE_NEW_TPM_KEY_FILE
		    ": refusing to guess which is the new account key", adir);
		return -1;
	}
	if (r1 == 1 && r2 == 1)
		return 1;
	if (r2 == 0)
		snprintf(shown, sizeof(shown), "%s/" CK_STORE_NEW_TPM_KEY_FILE, adir);
	return ckst_read_at(fd, r1 == 0 ? CK_STORE_NEW_KEY_FILE : CK_STORE_NEW_TPM_KEY_FILE,
	    shown, CKST_PEM_MAX, key, len);
}

/*
 * Renames the new key in adir over its final name (after removing a key
 * of the other name), fsyncing adir; *kname (optional) gets the final name.
 */
static int
finish_commit(const char *adir, const char **kname)
{
	char *from = NULL, *to = NULL, *other = NULL;
	const char *fin = CK_STORE_KEY_FILE, *oth = CK_STORE_TPM_KEY_FILE;
	int fd = -1, r, rc = -1;

	if (ckst_open_dir(adir, &fd) != 0)
		goto out;
	if ((r = ckst_exists_at(fd, CK_STORE_NEW_TPM_KEY_FILE, adir)) == -1)
		goto out;
	if (r == 0) {
		fin = CK_STORE_TPM_KEY_FILE;
		oth = CK_STORE_KEY_FILE;
	}
	if ((from = ckst_path("%s/%s", adir, r == 0 ? CK_STORE_NEW_TPM_KEY_FILE :
	    CK_STORE_NEW_KEY_FILE)) == NULL || (to = ckst_path("%s/%s", adir, fin)) == NULL ||
	    (other = ckst_path("%s/%s", adir, oth)) == NULL)
		goto out;
	/* The other name first: never two account keys, and the new one is still there. */
	if (ckst_remove_file(other) == -1)
		goto out;
	ck_fault_point("rollover-mid-commit");
	if (rename(from, to) != 0) {
		ck_error_errno("rename %s to %s", from, to);
		goto out;
	}
	if (ckst_fsync_dir(adir) == -1)
		goto out;
	if (kname != NULL)
		*kname = fin;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(from);
	free(to);
	free(other);
	return rc;
}

int
ck_store_account_load(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len, char **url)
{
	char *adir = NULL, *key = NULL, *u = NULL;
	const char *kname = NULL;
	size_t klen = 0;
	int fd = -1, r, have_key, rc = -1;

	*key_pem = NULL;
	*key_len = 0;
	*url = NULL;
	if (account_dir(st, directory_url, 0, &adir) == -1 || (r = ckst_open_dir(adir, &fd)) == -1)
		goto out;
	if (r == 1) {		/* no account yet */
		rc = 0;
		goto out;
	}
	if ((have_key = ckst_load_key(fd, adir, 1, &key, &klen, &kname)) == -1)
		goto out;
	/* Only a rollover's new key: its commit was cut short after the CA took it. */
	if (have_key == 1 && (r = load_new_key(fd, adir, &key, &klen)) != 1) {
		if (r == -1 || finish_commit(adir, &kname) == -1)
			goto out;
		ck_info("%s: finished the account key rollover a crash cut short", adir);
		have_key = 0;
	}
	if ((r = read_url(fd, adir, &u)) == -1)
		goto out;
	/* A registration without its key is unusable; silently re-registering would orphan it. */
	if (r == 0 && have_key == 1) {
		ck_error("%s/url exists but neither " CK_STORE_KEY_FILE " nor "
		    CK_STORE_TPM_KEY_FILE " does", adir);
		goto out;
	}
	*key_pem = key;
	*key_len = klen;
	*url = u;
	key = u = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	OPENSSL_clear_free(key, klen);
	free(u);
	free(adir);
	return rc;
}

/* Sets *path (malloc'd) to file in the account directory of directory_url, made if missing. */
static int
account_file(struct ck_store *st, const char *directory_url, const char *file, char **path)
{
	char *adir = NULL;
	int rc = -1;

	*path = NULL;
	if (account_dir(st, directory_url, 1, &adir) == 0 &&
	    (*path = ckst_path("%s/%s", adir, file)) != NULL)
		rc = 0;
	free(adir);
	return rc;
}

/*
 * Writes key_pem as file name in the account directory of directory_url
 * and removes the file of the other key type (other): after the write when
 * other_last (never no key, never two), before it otherwise.
 */
static int
save_key_file(struct ck_store *st, const char *directory_url, const char *name,
    const char *other, const char *key_pem, size_t key_len, int other_last)
{
	char *path = NULL, *stale = NULL;
	int rc = -1;

	if (account_file(st, directory_url, name, &path) == -1 ||
	    (stale = ckst_path("%.*s%s", (int)(strlen(path) - strlen(name)), path, other)) == NULL)
		goto out;
	if (!other_last && ckst_remove_file(stale) == -1)
		goto out;
	if (ck_store_write_file(path, key_pem, key_len, 0600) == -1)
		goto out;
	if (other_last && ckst_remove_file(stale) == -1)
		goto out;
	rc = 0;
out:
	free(stale);
	free(path);
	return rc;
}

/* Removes file in the account directory of directory_url (gone afterwards either way). */
static int
remove_account_file(struct ck_store *st, const char *directory_url, const char *file)
{
	char *path = NULL;
	int rc = -1;

	if (account_file(st, directory_url, file, &path) == 0)
		rc = ckst_remove_file(path);
	free(path);
	return rc;
}

int
ck_store_account_save_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len)
{
	const char *name = ck_store_key_file_name(key_pem, key_len);

	/* Only once the new key is durable may the other name go: never no key, never two. */
	return save_key_file(st, directory_url, name, strcmp(name, CK_STORE_KEY_FILE) == 0 ?
	    CK_STORE_TPM_KEY_FILE : CK_STORE_KEY_FILE, key_pem, key_len, 1);
}

int
ck_store_account_save_url(struct ck_store *st, const char *directory_url, const char *url)
{
	char *path = NULL, safe[256];
	int rc = -1;

	/* Never write what the next load would throw away. */
	if (url == NULL || !url_ok(url, strlen(url))) {
		ck_sanitize(safe, sizeof(safe), url != NULL ? url : "(none)", SIZE_MAX);
		ck_error("account URL \"%s\" is not an https URL of at most %d printable "
		    "characters: not saving it", safe, CK_STORE_URL_MAX);
		goto out;
	}
	if (account_file(st, directory_url, "url", &path) == -1)
		goto out;
	rc = ck_store_write_file(path, url, strlen(url), 0600);
out:
	free(path);
	return rc;
}

int
ck_store_account_forget_url(struct ck_store *st, const char *directory_url)
{
	return remove_account_file(st, directory_url, "url");
}

int
ck_store_account_save_new_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len)
{
	const char *name = new_key_name(key_pem, key_len);

	return save_key_file(st, directory_url, name, strcmp(name, CK_STORE_NEW_KEY_FILE) == 0 ?
	    CK_STORE_NEW_TPM_KEY_FILE : CK_STORE_NEW_KEY_FILE, key_pem, key_len, 0);
}

int
ck_store_account_load_new_key(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len)
{
	char *adir = NULL;
	int fd = -1, r, rc = -1;

	*key_pem = NULL;
	*key_len = 0;
	if (account_dir(st, directory_url, 0, &adir) == -1 || (r = ckst_open_dir(adir, &fd)) == -1)
		goto out;
	rc = r == 1 ? 1 : load_new_key(fd, adir, key_pem, key_len);
out:
	if (fd != -1)
		close(fd);
	free(adir);
	return rc;
}

int
ck_store_account_commit_new_key(struct ck_store *st, const char *directory_url)
{
	char *adir = NULL;
	int rc = -1;

	if (account_dir(st, directory_url, 0, &adir) == 0)
		rc = finish_commit(adir, NULL);
	free(adir);
	return rc;
}


int
ck_store_account_drop_new_key(struct ck_store *st, const char *directory_url)
{
	if (remove_account_file(st, directory_url, CK_STORE_NEW_KEY_FILE) == -1 ||
	    remove_account_file(st, directory_url, CK_STORE_NEW_TPM_KEY_FILE) == -1)
		return -1;
	return 0;
}

int
ck_store_account_remove(struct ck_store *st, const char *directory_url)
{
	static const char *const files[] = { "url", CK_STORE_KEY_FILE, CK_STORE_TPM_KEY_FILE,
	    CK_STORE_NEW_KEY_FILE, CK_STORE_NEW_TPM_KEY_FILE };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (remove_account_file(st, directory_url, files[i]) == -1)
			return -1;
	return 0;
}
