/*
 * store/store.c: everything certkeeper keeps on disk (see store/store.h): the run
 * lock, ACME accounts, installed certificate versions and the last
 * attempt.  Every file and link is replaced by rename(2) after an fsync,
 * so a crash or a concurrent reader never sees half of a set.
 *
 * Permissions: STATE_DIR, accounts/ and certs/ are 0700 and keys 0600.
 * certs/NAME/ and its versions are 0755 and the certificates 0644 so that
 * a service user can traverse them, but STATE_DIR itself stays 0700:
 * opening it to a service's group (or copying the files out from a hook)
 * is the operator's decision, not ours.
 *
 * Writers (install, rollback, saves) expect the caller to hold the run
 * lock; readers take no lock, so "certkeeper status" works during a run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "certkeeper/util/time.h"
#include "certkeeper/util/log.h"
#include "certkeeper/store/store.h"

#define PEM_MAX		(1024 * 1024)	/* any key or certificate file */
#define URL_MAX		8192
#define STATUS_MAX	65536
#define VERSION_LEN	21		/* "v" and 20 digits: holds any 64-bit sequence */
#define TREE_DEPTH_MAX	4		/* versions are flat; deeper means not ours */

struct ck_store {
	char *dir;
	int lockfd;	/* -1 until ck_store_lock succeeds */
};

/* Makes the names of temporary links unique within this process. */
static unsigned int link_counter;

static char *mkpath(const char *fmt, ...) CK_PRINTF(1, 2);

/* Returns a malloc'd formatted string, or NULL (reported). */
static char *
mkpath(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL) {
		ck_error("out of memory building a path");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Splits path into its directory (*dir, malloc'd, "." if none) and *base (points into path). */
static int
split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash != NULL ? slash + 1 : path;
	if (**base == '\0') {
		ck_error("%s: not a file name", path);
		return -1;
	}
	if (slash == NULL)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	if (*dir == NULL) {
		ck_error("out of memory splitting %s", path);
		return -1;
	}
	return 0;
}

/* Flushes directory path, making renames and creations in it durable. */
static int
fsync_dir(const char *path)
{
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		ck_error_errno("open %s", path);
		return -1;
	}
	if (fsync(fd) == -1)
		ck_error_errno("fsync %s", path);
	else
		rc = 0;
	close(fd);
	return rc;
}

/* Flushes the directory that holds path. */
static int
fsync_parent(const char *path)
{
	const char *base;
	char *dir = NULL;
	int rc;

	if (split_path(path, &dir, &base) == -1)
		return -1;
	rc = fsync_dir(dir);
	free(dir);
	return rc;
}

/* Creates directory path with exactly mode unless it exists; anything else there is an error. */
static int
ensure_dir(const char *path, mode_t mode)
{
	struct stat sb;

	if (mkdir(path, mode) == 0) {
		/* Our umask (077) cleared the group and other bits mode may ask for. */
		if (chmod(path, mode) == -1) {
			ck_error_errno("chmod %s", path);
			return -1;
		}
		return fsync_parent(path);
	}
	if (errno != EEXIST) {
		ck_error_errno("mkdir %s", path);
		return -1;
	}
	if (lstat(path, &sb) == -1) {
		ck_error_errno("lstat %s", path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ck_error("%s exists and is not a directory", path);
		return -1;
	}
	return 0;
}

/* mkdir -p with 0700; an existing directory (or a link to one) is fine. */
static int
mkdir_p(const char *path)
{
	struct stat sb;
	char *copy = NULL, *p;
	int rc = -1, last;

	if ((copy = strdup(path)) == NULL) {
		ck_error("out of memory creating %s", path);
		return -1;
	}
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = *p == '\0';
		*p = '\0';
		if (mkdir(copy, 0700) == -1) {
			if (errno != EEXIST) {
				ck_error_errno("mkdir %s", copy);
				goto out;
			}
			if (stat(copy, &sb) == -1) {
				ck_error_errno("stat %s", copy);
				goto out;
			}
			if (!S_ISDIR(sb.st_mode)) {
				ck_error("%s exists and is not a directory", copy);
				goto out;
			}
		}
		if (last)
			break;
		*p = '/';
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int
ck_store_open(const char *state_dir, struct ck_store **out)
{
	struct ck_store *st = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	umask(077);
	if (state_dir == NULL || *state_dir == '\0') {
		ck_error("no state directory given");
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ck_error("out of memory opening %s", state_dir);
		goto out;
	}
	st->lockfd = -1;
	if ((st->dir = strdup(state_dir)) == NULL) {
		ck_error("out of memory opening %s", state_dir);
		goto out;
	}
	/* Trailing slashes would only make every message uglier. */
	for (len = strlen(st->dir); len > 1 && st->dir[len - 1] == '/'; len--)
		st->dir[len - 1] = '\0';
	if (mkdir_p(st->dir) == -1)
		goto out;
	*out = st;
	st = NULL;
	rc = 0;
out:
	ck_store_close(st);
	return rc;
}

void
ck_store_close(struct ck_store *st)
{
	if (st == NULL)
		return;
	if (st->lockfd != -1)
		close(st->lockfd);	/* drops the flock */
	free(st->dir);
	free(st);
}

const char *
ck_store_dir(const struct ck_store *st)
{
	return st->dir;
}

int
ck_store_lock(struct ck_store *st)
{
	char *path = NULL;
	int fd = -1, rc = -1;

	if (st->lockfd != -1)
		return 0;
	if ((path = mkpath("%s/lock", st->dir)) == NULL)
		goto out;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		ck_error_errno("open %s", path);
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK || errno == EAGAIN) {
			ck_error("another certkeeper run holds %s", path);
			rc = 1;
		} else
			ck_error_errno("flock %s", path);
		goto out;
	}
	st->lockfd = fd;
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/* --- files ------------------------------------------------------------ */

/* Whether name exists (as a regular file) in directory fd at: 0 yes, 1 no, -1 error. */
static int
exists_at(int at, const char *name, const char *shown)
{
	struct stat sb;

	if (fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 1;
		ck_error_errno("stat %s", shown);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		ck_error("%s is not a regular file", shown);
		return -1;
	}
	return 0;
}

/*
 * Reads name, relative to directory fd at, whole: at most max bytes,
 * NUL-terminated; shown names it in messages.  0, 1 if absent, -1.
 */
static int
read_at(int at, const char *name, const char *shown, size_t max, char **buf, size_t *len)
{
	struct stat sb;
	char *b = NULL, *nb;
	size_t used = 0, alloc;
	ssize_t n;
	int fd = -1, rc = -1;

	*buf = NULL;
	*len = 0;
	if (max > SIZE_MAX - 2)
		max = SIZE_MAX - 2;
	/* O_NONBLOCK: a FIFO planted here must not hang us before the S_ISREG check. */
	if ((fd = openat(at, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			rc = 1;
		else
			ck_error_errno("open %s", shown);
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		ck_error_errno("fstat %s", shown);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		ck_error("%s is not a regular file", shown);
		goto out;
	}
	if ((uintmax_t)sb.st_size > max) {
		ck_error("%s is larger than %zu bytes; refusing to read it", shown, max);
		goto out;
	}
	/* One byte to notice a file that grows under us, one for the NUL. */
	alloc = (size_t)sb.st_size + 2;
	if ((b = malloc(alloc)) == NULL) {
		ck_error("out of memory reading %s", shown);
		goto out;
	}
	for (;;) {
		if (used == alloc - 1) {
			if (used > max)
				break;
			alloc = alloc > (max + 2) / 2 ? max + 2 : alloc * 2;
			if ((nb = realloc(b, alloc)) == NULL) {
				ck_error("out of memory reading %s", shown);
				goto out;
			}
			b = nb;
		}
		if ((n = read(fd, b + used, alloc - 1 - used)) == -1) {
			if (errno == EINTR)
				continue;
			ck_error_errno("read %s", shown);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		ck_error("%s is larger than %zu bytes; refusing to read it", shown, max);
		goto out;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(b);
	return rc;
}

int
ck_store_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	return read_at(AT_FDCWD, path, path, max, buf, len);
}

/* Gives open file fd (path in messages) mode, writes all of data and fsyncs it. */
static int
write_fd(int fd, const char *path, const void *data, size_t len, int mode)
{
	const char *p = data;
	ssize_t n;

	/* mkstemp and the umask chose the creation mode; the caller's wins. */
	if (fchmod(fd, (mode_t)mode) == -1) {
		ck_error_errno("fchmod %s", path);
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			ck_error_errno("write %s", path);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		ck_error_errno("fsync %s", path);
		return -1;
	}
	return 0;
}

int
ck_store_write_file(const char *path, const void *data, size_t len, int mode)
{
	char *dir = NULL, *tmp = NULL;
	const char *base;
	int fd = -1, made = 0, rc = -1;

	if (split_path(path, &dir, &base) == -1)
		goto out;
	if ((tmp = mkpath("%s/.%s.XXXXXX", dir, base)) == NULL)
		goto out;
	/* mkstemp opens with O_EXCL under a fresh name: never someone else's file. */
	if ((fd = mkstemp(tmp)) == -1) {
		ck_error_errno("mkstemp %s", tmp);
		goto out;
	}
	made = 1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		ck_error_errno("fcntl %s", tmp);
		goto out;
	}
	if (write_fd(fd, tmp, data, len, mode) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		ck_error_errno("close %s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		ck_error_errno("rename %s to %s", tmp, path);
		goto out;
	}
	made = 0;
	if (fsync_dir(dir) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (made)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

/* Creates at/name (dirpath/name in messages) with mode, writes data and fsyncs it. */
static int
write_new_at(int at, const char *dirpath, const char *name, const void *data, size_t len,
    int mode)
{
	char *path = NULL;
	int fd = -1, rc = -1;

	if ((path = mkpath("%s/%s", dirpath, name)) == NULL)
		goto out;
	if ((fd = openat(at, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (mode_t)mode)) == -1) {
		ck_error_errno("open %s", path);
		goto out;
	}
	if (write_fd(fd, path, data, len, mode) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		ck_error_errno("close %s", path);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return rc;
}

/*
 * Removes at/name, and everything below it if it is a directory (path
 * names it in messages).  Only cleans up: failures are warnings, so the
 * error that caused the cleanup stays the one reported.
 */
static int
remove_tree(int at, const char *path, const char *name, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	int fd, rc = -1;

	if (fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		ck_warn("cannot remove %s: lstat: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (unlinkat(at, name, 0) == -1 && errno != ENOENT) {
			ck_warn("cannot remove %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (depth >= TREE_DEPTH_MAX) {
		ck_warn("not removing %s: nested deeper than certkeeper writes", path);
		return -1;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		ck_warn("cannot remove %s: open: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rc = 0;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (remove_tree(dirfd(d), child, de->d_name, depth + 1) == -1)
			rc = -1;
	}
	if (errno != 0) {
		ck_warn("cannot remove %s: readdir: %s", path, strerror(errno));
		rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) == -1) {
		ck_warn("cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* --- ACME accounts ---------------------------------------------------- */

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
	if ((top = mkpath("%s/accounts", st->dir)) == NULL ||
	    (adir = mkpath("%s/%s", top, id)) == NULL ||
	    (dfile = mkpath("%s/directory", adir)) == NULL)
		goto out;
	if (create && (ensure_dir(top, 0700) == -1 || ensure_dir(adir, 0700) == -1))
		goto out;
	if ((r = ck_store_read_file(dfile, URL_MAX, &stored, &len)) == -1)
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

int
ck_store_account_load(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len, char **url)
{
	char *adir = NULL, *key = NULL, *u = NULL, *kpath = NULL, *upath = NULL;
	size_t klen = 0, ulen = 0;
	int r, rc = -1;

	*key_pem = NULL;
	*key_len = 0;
	*url = NULL;
	if (account_dir(st, directory_url, 0, &adir) == -1 ||
	    (kpath = mkpath("%s/key.pem", adir)) == NULL ||
	    (upath = mkpath("%s/url", adir)) == NULL)
		goto out;
	if (ck_store_read_file(kpath, PEM_MAX, &key, &klen) == -1 ||
	    (r = ck_store_read_file(upath, URL_MAX, &u, &ulen)) == -1)
		goto out;
	if (r == 0) {
		if (text_value(u, &ulen, upath) == -1)
			goto out;
		/* A registration without its key is unusable; silently re-registering would orphan it. */
		if (key == NULL) {
			ck_error("%s exists but %s does not", upath, kpath);
			goto out;
		}
	}
	*key_pem = key;
	*key_len = klen;
	*url = u;
	key = u = NULL;
	rc = 0;
out:
	free(key);
	free(u);
	free(upath);
	free(kpath);
	free(adir);
	return rc;
}

int
ck_store_account_save_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len)
{
	char *adir = NULL, *path = NULL;
	int rc = -1;

	if (account_dir(st, directory_url, 1, &adir) == -1 ||
	    (path = mkpath("%s/key.pem", adir)) == NULL)
		goto out;
	rc = ck_store_write_file(path, key_pem, key_len, 0600);
out:
	free(path);
	free(adir);
	return rc;
}

int
ck_store_account_save_url(struct ck_store *st, const char *directory_url, const char *url)
{
	char *adir = NULL, *path = NULL;
	int rc = -1;

	if (account_dir(st, directory_url, 1, &adir) == -1 ||
	    (path = mkpath("%s/url", adir)) == NULL)
		goto out;
	rc = ck_store_write_file(path, url, strlen(url), 0600);
out:
	free(path);
	free(adir);
	return rc;
}

/* --- certificates ----------------------------------------------------- */

/* Accepts a certificate name usable as one path component, else reports it. */
static int
valid_name(const char *name)
{
	const unsigned char *p;
	char safe[128];

	if (name == NULL) {
		ck_error("no certificate name given");
		return -1;
	}
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		goto bad;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			goto bad;
	return 0;
bad:
	ck_sanitize(safe, sizeof(safe), name, strlen(name));
	ck_error("invalid certificate name \"%s\": it must be one path component "
	    "without control characters", safe);
	return -1;
}

/* Non-zero when s is a version directory name: "v" and 20 digits. */
static int
is_version_name(const char *s)
{
	size_t i;

	if (s[0] != 'v')
		return 0;
	for (i = 1; i < VERSION_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[VERSION_LEN] == '\0';
}

/* Sets *path (malloc'd) to STATE_DIR/certs/NAME; with create, makes the directories. */
static int
cert_dir(const struct ck_store *st, const char *name, int create, char **path)
{
	char *top = NULL;
	int rc = -1;

	*path = NULL;
	if (valid_name(name) == -1)
		return -1;
	if ((top = mkpath("%s/certs", st->dir)) == NULL ||
	    (*path = mkpath("%s/%s", top, name)) == NULL)
		goto out;
	if (create && (ensure_dir(top, 0700) == -1 || ensure_dir(*path, 0755) == -1))
		goto out;
	rc = 0;
out:
	free(top);
	if (rc == -1) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

/* Opens directory path (not through a symlink).  Returns 0, 1 if absent, -1. */
static int
open_dir(const char *path, int *fd)
{
	if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		ck_error_errno("open %s", path);
		return -1;
	}
	return 0;
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
	if (!is_version_name(buf)) {
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
	DIR *d = NULL;
	int fd, rc = -1;

	/* A fresh open file description: readdir must start at the beginning. */
	if ((fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		ck_error_errno("open %s", dirpath);
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		/* Any entry with a version name counts, so a stray file cannot block a name. */
		if (!is_version_name(de->d_name))
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
static int
prune(int at, const char *dirpath, const char *keep1, const char *keep2)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *n;
	DIR *d = NULL;
	int fd, rc = 0;

	if ((fd = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		ck_warn("cannot prune %s: open: %s", dirpath, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		n = de->d_name;
		if (is_version_name(n)) {
			if ((keep1 != NULL && strcmp(n, keep1) == 0) ||
			    (keep2 != NULL && strcmp(n, keep2) == 0))
				continue;
		} else if (strncmp(n, ".tmp-", 5) != 0 && strncmp(n, ".lnk-", 5) != 0 &&
		    strncmp(n, ".status.json.", 13) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, n);
		if (remove_tree(at, path, n, 0) == -1)
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

int
ck_store_install(struct ck_store *st, const char *name, const struct ck_cert_files *f,
    char **version)
{
	char cur[VERSION_LEN + 1], oldprev[VERSION_LEN + 1], vname[VERSION_LEN + 1];
	char *cdir = NULL, *tmpl = NULL, *vcopy = NULL, vpath[PATH_MAX];
	const char *tmpbase = NULL;
	int fd = -1, tfd = -1, r, have_cur = 1, have_prev = 1, made_tmp = 0, made_version = 0;
	int moved_prev = 0, rc = -1;

	if (version != NULL)
		*version = NULL;
	if (check_files(f) == -1 || cert_dir(st, name, 1, &cdir) == -1)
		goto out;
	if ((r = open_dir(cdir, &fd)) != 0) {
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

	/* The whole set is written and flushed under a temporary name first. */
	if ((tmpl = mkpath("%s/.tmp-XXXXXX", cdir)) == NULL)
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
	if (fchmod(tfd, 0755) == -1) {
		ck_error_errno("fchmod %s", tmpl);
		goto out;
	}
	if (write_new_at(tfd, tmpl, "cert.pem", f->cert, f->cert_len, 0644) == -1 ||
	    write_new_at(tfd, tmpl, "chain.pem", f->chain, f->chain_len, 0644) == -1 ||
	    write_new_at(tfd, tmpl, "fullchain.pem", f->fullchain, f->fullchain_len, 0644) == -1 ||
	    write_new_at(tfd, tmpl, f->key_name, f->key, f->key_len, 0600) == -1)
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
	made_version = 1;
	if (fsync(fd) == -1) {
		ck_error_errno("fsync %s", cdir);
		goto out;
	}

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
		(void)remove_tree(fd, vpath, vname, 0);
	}
	if (made_tmp)
		(void)remove_tree(fd, tmpl, tmpbase, 0);
	if (tfd != -1)
		close(tfd);
	if (fd != -1)
		close(fd);
	free(vcopy);
	free(tmpl);
	free(cdir);
	return rc;
}

int
ck_store_rollback(struct ck_store *st, const char *name)
{
	char cur[VERSION_LEN + 1], prev[VERSION_LEN + 1];
	char *cdir = NULL;
	struct stat sb;
	int fd = -1, r, rc = -1;

	if (cert_dir(st, name, 0, &cdir) == -1)
		goto out;
	if ((r = open_dir(cdir, &fd)) != 0) {
		if (r == 1)
			ck_error("%s: nothing installed, nothing to roll back", cdir);
		goto out;
	}
	if ((r = read_version_link(fd, cdir, "current", cur)) != 0) {
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

char *
ck_store_current_path(const struct ck_store *st, const char *name, const char *file)
{
	return mkpath("%s/certs/%s/current/%s", st->dir, name, file);
}

int
ck_store_load_current(struct ck_store *st, const char *name, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, const char **key_name)
{
	static const char *const key_names[] = { CK_STORE_KEY_FILE, CK_STORE_TPM_KEY_FILE };
	char cur[VERSION_LEN + 1];
	char *cdir = NULL, *vdir = NULL, *cert = NULL, *key = NULL, shown[PATH_MAX];
	const char *kname = NULL;
	size_t clen = 0, klen = 0, i;
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
	if (cert_dir(st, name, 0, &cdir) == -1)
		goto out;
	if ((r = open_dir(cdir, &fd)) != 0 || (r = read_version_link(fd, cdir, "current", cur)) != 0) {
		rc = r;
		goto out;
	}
	if ((vdir = mkpath("%s/%s", cdir, cur)) == NULL)
		goto out;
	/* One open directory: cert and key come from one version even if current moves meanwhile. */
	if ((vfd = openat(fd, cur, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		ck_error_errno("open %s", vdir);
		goto out;
	}
	if (cert_pem != NULL) {
		snprintf(shown, sizeof(shown), "%s/cert.pem", vdir);
		if ((r = read_at(vfd, "cert.pem", shown, PEM_MAX, &cert, &clen)) == -1)
			goto out;
		if (r == 1) {
			ck_error("%s has no cert.pem", vdir);
			goto out;
		}
	}
	if (key_pem != NULL || key_name != NULL) {
		for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]) && kname == NULL; i++) {
			snprintf(shown, sizeof(shown), "%s/%s", vdir, key_names[i]);
			if (key_pem != NULL)
				r = read_at(vfd, key_names[i], shown, PEM_MAX, &key, &klen);
			else	/* only its name is wanted: the secret stays unread */
				r = exists_at(vfd, key_names[i], shown);
			if (r == -1)
				goto out;
			if (r == 0)
				kname = key_names[i];
		}
		if (kname == NULL) {
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
	free(key);
	free(vdir);
	free(cdir);
	return rc;
}

/* --- last attempt ----------------------------------------------------- */

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
	char when[32], *cdir = NULL, *path = NULL, *text = NULL;
	json_t *obj = NULL;
	struct tm tm;
	int rc = -1;

	if (cert_dir(st, name, 1, &cdir) == -1 || (path = mkpath("%s/status.json", cdir)) == NULL)
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
	free(cdir);
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
	char *cdir = NULL, *text = NULL, *path = NULL, safe[160];
	json_t *root = NULL, *when;
	json_error_t jerr;
	size_t len = 0;
	int r, rc = -1;

	memset(a, 0, sizeof(*a));
	if (cert_dir(st, name, 0, &cdir) == -1 || (path = mkpath("%s/status.json", cdir)) == NULL)
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
	free(cdir);
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
