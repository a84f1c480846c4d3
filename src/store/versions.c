/*
 * store/versions.c: installed certificate versions (see store/versions.h):
 * install, rollback, pruning, the current and previous links, and reading
 * the current set back.
 *
 * A version is written whole under a temporary name, flushed, and renamed
 * into place; then previous and current are switched by renaming fresh
 * symlinks over them.  Until current has switched, a failure undoes what
 * was done; after it, nothing may fail, since every reader already sees
 * the new set.  Links are read back only when they name a sibling
 * version: "../x" or "/etc" is never followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/keyfile.h"
#include "certkeeper/store/versions.h"
#include "internal.h"

#define VERSION_LEN	CK_STORE_VERSION_LEN	/* "v" and 20 digits: any 64-bit sequence */

/* Makes the names of temporary links unique within this process. */
static unsigned int link_counter;

int
ckst_is_version_name(const char *s)
{
	size_t i;

	if (s[0] != 'v')
		return 0;
	for (i = 1; i < VERSION_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[VERSION_LEN] == '\0';
}

/*
 * Reads link (current or previous) in directory at (dirpath) into version.
 * Returns 0, 1 if absent, -1 if unreadable or not a plain version name.
 */
static int
read_version_link(int at, const char *dirpath, const char *link, char version[VERSION_LEN + 1])
{
	char buf[64], safe[64];
	ssize_t n;

	if ((n = readlinkat(at, link, buf, sizeof(buf) - 1)) == -1) {
		if (errno == ENOENT)
			return 1;
		if (errno == EINVAL)
			ck_error("%s/%s is not a symbolic link", dirpath, link);
		else
			ck_error_errno("readlink %s/%s", dirpath, link);
		return -1;
	}
	buf[n] = '\0';
	/* Anything but a sibling version, even "../x" or "/etc", is not ours to follow. */
	if (!ckst_is_version_name(buf)) {
		ck_sanitize(safe, sizeof(safe), buf, (size_t)n);
		ck_error("%s/%s points at \"%s\", not at a version directory", dirpath, link, safe);
		return -1;
	}
	memcpy(version, buf, VERSION_LEN + 1);
	return 0;
}

/* Points link in directory at (dirpath) at target by renaming a fresh symlink over it. */
static int
switch_link(int at, const char *dirpath, const char *link, const char *target)
{
	char tmp[64];
	int tries;

	/* A crashed run with our pid may have left the name; take the next one. */
	for (tries = 0;; tries++) {
		snprintf(tmp, sizeof(tmp), ".lnk-%ld-%u", (long)getpid(), link_counter++);
		if (symlinkat(target, at, tmp) == 0)
			break;
		if (errno != EEXIST || tries >= 100) {
			ck_error_errno("symlink %s/%s", dirpath, tmp);
			return -1;
		}
	}
	if (renameat(at, tmp, at, link) == -1) {
		ck_error_errno("rename %s/%s to %s", dirpath, tmp, link);
		unlinkat(at, tmp, 0);
		return -1;
	}
	return 0;
}

/* Writes into version the name following the highest version in directory at (dirpath). */
static int
next_version(int at, const char *dirpath, char version[VERSION_LEN + 1])
{
	unsigned long long seq, max = 0;
	struct dirent *de;
	DIR *d;
	int rc = -1;

	if ((d = ckst_dir_at(at, ".")) == NULL) {
		ck_error_errno("open %s", dirpath);
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		/* Any entry with a version name counts, so a stray file cannot block a name. */
		if (!ckst_is_version_name(de->d_name))
			continue;
		seq = strtoull(de->d_name + 1, NULL, 10);	/* saturates: caught below */
		if (seq > max)
			max = seq;
	}
	if (errno != 0) {
		ck_error_errno("readdir %s", dirpath);
		goto out;
	}
	if (max == ULLONG_MAX) {
		ck_error("%s: version numbers exhausted", dirpath);
		goto out;
	}
	/* Zero-padded, so names sort in installation order. */
	snprintf(version, VERSION_LEN + 1, "v%020llu", max + 1);
	rc = 0;
out:
	closedir(d);
	return rc;
}

/*
 * Removes every version but keep1 and keep2 (either may be NULL), and what
 * interrupted installs and writes left behind.  Failures are warnings:
 * the install they follow has succeeded.  Returns 0 or -1.
 */
/*
 * Whether n is what a killed run can leave in certs/NAME: a half-made
 * version or link, or the temporary file of a record written atomically
 * (".FILE.XXXXXX", see ck_store_write_file).
 */
static int
is_leftover(const char *n)
{
	static const char *const records[] = {
		"status.json", "schedule.json", "deploy-pending", "counters.json", "push.json"
	};
	size_t i, len;

	if (strncmp(n, ".tmp-", 5) == 0 || strncmp(n, ".lnk-", 5) == 0)
		return 1;
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		len = strlen(records[i]);
		if (n[0] == '.' && strncmp(n + 1, records[i], len) == 0 && n[1 + len] == '.')
			return 1;
	}
	return 0;
}

static int
prune(int at, const char *dirpath, const char *keep1, const char *keep2)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *n;
	DIR *d;
	int rc = 0;

	if ((d = ckst_dir_at(at, ".")) == NULL) {
		ck_warn("cannot prune %s: open: %s", dirpath, strerror(errno));
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		n = de->d_name;
		if (ckst_is_version_name(n)) {
			if ((keep1 != NULL && strcmp(n, keep1) == 0) ||
			    (keep2 != NULL && strcmp(n, keep2) == 0))
				continue;
		} else if (!is_leftover(n))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, n);
		if (ckst_remove_tree(at, path, n, 0) == -1)
			rc = -1;
	}
	if (errno != 0) {
		ck_warn("cannot prune %s: readdir: %s", dirpath, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* Checks that f holds a complete set and a key name we know. */
static int
check_files(const struct ck_cert_files *f)
{
	if (f == NULL || f->cert == NULL || f->cert_len == 0 || f->fullchain == NULL ||
	    f->fullchain_len == 0 || f->key == NULL || f->key_len == 0 ||
	    (f->chain == NULL && f->chain_len != 0)) {
		ck_error("incomplete certificate files: certificate, full chain and key are required");
		return -1;
	}
	if (f->key_name == NULL ||
	    (strcmp(f->key_name, CK_STORE_KEY_FILE) != 0 &&
	    strcmp(f->key_name, CK_STORE_TPM_KEY_FILE) != 0)) {
		ck_error("invalid key file name: must be " CK_STORE_KEY_FILE " or "
		    CK_STORE_TPM_KEY_FILE);
		return -1;
	}
	return 0;
}

/*
 * Writes f as version vname of certs/NAME (open as fd, cdir in messages)
 * with the modes m: every file written and flushed under a temporary name,
 * renamed into place, and the directory flushed.  On failure nothing is
 * left behind.
 */
static int
stage_version(int fd, const char *cdir, const char *vname, const struct ck_cert_files *f,
    const struct ckst_modes *m)
{
	struct ckst_new_file files[4];
	char *tmpl = NULL, vpath[PATH_MAX];
	const char *tmpbase = NULL;
	int tfd = -1, made_tmp = 0, rc = -1;

	if ((tmpl = ckst_path("%s/.tmp-XXXXXX", cdir)) == NULL)
		goto out;
	if (mkdtemp(tmpl) == NULL) {
		ck_error_errno("mkdtemp %s", tmpl);
		goto out;
	}
	made_tmp = 1;
	tmpbase = strrchr(tmpl, '/') + 1;
	if ((tfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		ck_error_errno("open %s", tmpl);
		goto out;
	}
	if (fchmod(tfd, m->cert_dir) == -1) {
		ck_error_errno("fchmod %s", tmpl);
		goto out;
	}
	files[0] = (struct ckst_new_file){ "cert.pem", f->cert, f->cert_len, (int)m->cert_file };
	files[1] = (struct ckst_new_file){ "chain.pem", f->chain, f->chain_len, (int)m->cert_file };
	files[2] = (struct ckst_new_file){ "fullchain.pem", f->fullchain, f->fullchain_len,
	    (int)m->cert_file };
	files[3] = (struct ckst_new_file){ f->key_name, f->key, f->key_len, (int)m->key_file };
	if (ckst_write_new_set_at(tfd, tmpl, files, sizeof(files) / sizeof(files[0])) == -1)
		goto out;
	if (fsync(tfd) == -1) {
		ck_error_errno("fsync %s", tmpl);
		goto out;
	}
	if (renameat(fd, tmpbase, fd, vname) == -1) {
		ck_error_errno("rename %s to %s/%s", tmpl, cdir, vname);
		goto out;
	}
	made_tmp = 0;
	if (fsync(fd) == -1) {
		ck_error_errno("fsync %s", cdir);
		snprintf(vpath, sizeof(vpath), "%s/%s", cdir, vname);
		(void)ckst_remove_tree(fd, vpath, vname, 0);
		goto out;
	}
	rc = 0;
out:
	if (made_tmp)
		(void)ckst_remove_tree(fd, tmpl, tmpbase, 0);
	if (tfd != -1)
		close(tfd);
	free(tmpl);
	return rc;
}

int
ck_store_install(struct ck_store *st, const char *name, const struct ck_cert_files *f,
    char **version)
{
	char cur[VERSION_LEN + 1], oldprev[VERSION_LEN + 1], vname[VERSION_LEN + 1];
	char *cdir = NULL, *vcopy = NULL, vpath[PATH_MAX];
	int fd = -1, r, have_cur = 1, have_prev = 1, made_version = 0, moved_prev = 0, rc = -1;

	if (version != NULL)
		*version = NULL;
	if (check_files(f) == -1 || ckst_cert_dir(st, name, 1, &cdir) == -1)
		goto out;
	if ((r = ckst_open_dir(cdir, &fd)) != 0) {
		if (r == 1)
			ck_error("%s vanished while installing", cdir);
		goto out;
	}
	if ((have_cur = read_version_link(fd, cdir, "current", cur)) == -1 ||
	    (have_prev = read_version_link(fd, cdir, "previous", oldprev)) == -1 ||
	    next_version(fd, cdir, vname) == -1)
		goto out;
	/* Allocated now: once current has switched, nothing may fail. */
	if (version != NULL && (vcopy = strdup(vname)) == NULL) {
		ck_error("out of memory installing %s", name);
		goto out;
	}
	if (stage_version(fd, cdir, vname, f, ckst_modes(st)) == -1)
		goto out;
	made_version = 1;
	if (have_cur == 0) {
		if (switch_link(fd, cdir, "previous", cur) == -1)
			goto out;
		moved_prev = 1;
	}
	if (switch_link(fd, cdir, "current", vname) == -1)
		goto out;
	made_version = moved_prev = 0;
	/*
	 * Every reader already sees the new set, so this is no longer a failure
	 * to install: a crash now can only bring back the old, complete set.
	 */
	if (fsync(fd) == -1)
		ck_warn("fsync %s: %s", cdir, strerror(errno));
	/* Best effort; leftovers go at the next install. */
	(void)prune(fd, cdir, vname, have_cur == 0 ? cur : (have_prev == 0 ? oldprev : NULL));
	ck_debug("installed %s as %s/%s", name, cdir, vname);
	if (version != NULL) {
		*version = vcopy;
		vcopy = NULL;
	}
	rc = 0;
out:
	if (moved_prev) {
		/* Undo, so that the failed install changes nothing already installed. */
		if (have_prev == 0)
			(void)switch_link(fd, cdir, "previous", oldprev);
		else if (unlinkat(fd, "previous", 0) == -1)
			ck_warn("cannot remove %s/previous: %s", cdir, strerror(errno));
	}
	if (made_version) {
		snprintf(vpath, sizeof(vpath), "%s/%s", cdir, vname);
		(void)ckst_remove_tree(fd, vpath, vname, 0);
	}
	if (fd != -1)
		close(fd);
	free(vcopy);
	free(cdir);
	return rc;
}

/*
 * Opens certs/NAME of name (*fd, *cdir malloc'd) and reads its current
 * link into cur.  Returns 0, 1 when nothing is installed (not reported),
 * -1 on error.
 */
static int
open_current(const struct ck_store *st, const char *name, int *fd, char **cdir,
    char cur[VERSION_LEN + 1])
{
	int r;

	*fd = -1;
	if (ckst_cert_dir(st, name, 0, cdir) == -1)
		return -1;
	if ((r = ckst_open_dir(*cdir, fd)) != 0)
		return r;
	return read_version_link(*fd, *cdir, "current", cur);
}

int
ck_store_rollback(struct ck_store *st, const char *name)
{
	char cur[VERSION_LEN + 1], prev[VERSION_LEN + 1];
	char *cdir = NULL;
	struct stat sb;
	int fd = -1, r, rc = -1;

	if ((r = open_current(st, name, &fd, &cdir, cur)) != 0) {
		if (r == 1)
			ck_error("%s: nothing installed, nothing to roll back", cdir);
		goto out;
	}
	if ((r = read_version_link(fd, cdir, "previous", prev)) != 0) {
		if (r == 1)
			ck_error("%s: no previous version to roll back to", cdir);
		goto out;
	}
	if (strcmp(cur, prev) == 0) {
		ck_error("%s: previous is the current version, nothing to roll back", cdir);
		goto out;
	}
	/* Never point current at nothing. */
	if (fstatat(fd, prev, &sb, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(sb.st_mode)) {
		ck_error("%s/%s is missing or not a directory: cannot roll back to it", cdir, prev);
		goto out;
	}
	if (switch_link(fd, cdir, "current", prev) == -1)
		goto out;
	if (switch_link(fd, cdir, "previous", cur) == -1) {
		/* Back to the old pair rather than current == previous. */
		(void)switch_link(fd, cdir, "current", cur);
		goto out;
	}
	/* As in install: readers already see the rolled-back set. */
	if (fsync(fd) == -1)
		ck_warn("fsync %s: %s", cdir, strerror(errno));
	ck_debug("rolled %s back from %s to %s", cdir, cur, prev);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(cdir);
	return rc;
}

int
ck_store_current_version(struct ck_store *st, const char *name,
    char version[CK_STORE_VERSION_LEN + 1])
{
	char *cdir = NULL;
	int fd = -1, rc;

	rc = open_current(st, name, &fd, &cdir, version);
	if (fd != -1)
		close(fd);
	free(cdir);
	return rc;
}

char *
ck_store_current_path(const struct ck_store *st, const char *name, const char *file)
{
	return ckst_path("%s/certs/%s/current/%s", st->dir, name, file);
}

int
ck_store_load_current(struct ck_store *st, const char *name, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, const char **key_name)
{
	char cur[VERSION_LEN + 1];
	char *cdir = NULL, *vdir = NULL, *cert = NULL, *key = NULL, shown[PATH_MAX];
	const char *kname = NULL;
	size_t clen = 0, klen = 0;
	int fd = -1, vfd = -1, r, rc = -1;

	if (cert_pem != NULL) {
		*cert_pem = NULL;
		*cert_len = 0;
	}
	if (key_pem != NULL) {
		*key_pem = NULL;
		*key_len = 0;
	}
	if (key_name != NULL)
		*key_name = NULL;
	if ((r = open_current(st, name, &fd, &cdir, cur)) != 0) {
		rc = r;
		goto out;
	}
	if ((vdir = ckst_path("%s/%s", cdir, cur)) == NULL)
		goto out;
	/* One open directory: cert and key come from one version even if current moves meanwhile. */
	if ((vfd = openat(fd, cur, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		ck_error_errno("open %s", vdir);
		goto out;
	}
	if (cert_pem != NULL) {
		snprintf(shown, sizeof(shown), "%s/cert.pem", vdir);
		if ((r = ckst_read_at(vfd, "cert.pem", shown, CKST_PEM_MAX, &cert, &clen)) == -1)
			goto out;
		if (r == 1) {
			ck_error("%s has no cert.pem", vdir);
			goto out;
		}
	}
	if (key_pem != NULL || key_name != NULL) {
		if ((r = ckst_load_key(vfd, vdir, key_pem != NULL, &key, &klen, &kname)) == -1)
			goto out;
		if (r == 1) {
			ck_error("%s has neither " CK_STORE_KEY_FILE " nor " CK_STORE_TPM_KEY_FILE,
			    vdir);
			goto out;
		}
	}
	if (cert_pem != NULL) {
		*cert_pem = cert;
		*cert_len = clen;
		cert = NULL;
	}
	if (key_pem != NULL) {
		*key_pem = key;
		*key_len = klen;
		key = NULL;
	}
	if (key_name != NULL)
		*key_name = kname;
	rc = 0;
out:
	if (vfd != -1)
		close(vfd);
	if (fd != -1)
		close(fd);
	free(cert);
	OPENSSL_clear_free(key, klen);
	free(vdir);
	free(cdir);
	return rc;
}
