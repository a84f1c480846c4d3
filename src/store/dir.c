/*
 * store/dir.c: directories and paths of the store (see store/internal.h):
 * building paths, making directories with exact modes, flushing them so
 * that renames and removals in them last, opening them without following
 * links, and removing what an interrupted install left.
 *
 * Whatever is created or removed here is made durable by an fsync of the
 * directory that holds it; a name read from disk is never followed out
 * of the tree it belongs to.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "certkeeper/util/log.h"
#include "internal.h"

#define TREE_DEPTH_MAX	4	/* versions are flat; deeper means not ours */

char *
ckst_path(const char *fmt, ...)
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

int
ckst_split_path(const char *path, char **dir, const char **base)
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

const struct ckst_modes *
ckst_modes(const struct ck_store *st)
{
	/* Private: certs/ keeps everyone out, so the files below may be 0644. */
	static const struct ckst_modes private_modes = { 0700, 0755, 0644, 0600 };
	/* Shared with the group: nothing below STATE_DIR is open to others. */
	static const struct ckst_modes group_modes = { 0750, 0750, 0640, 0640 };

	return st->group_readable ? &group_modes : &private_modes;
}

/*
 * Lets the group of STATE_DIR into it (g+rx), as group_readable asks.
 * Only warns: the install itself is not at fault if it cannot, and
 * STATE_DIR may belong to someone else (a systemd StateDirectory= is
 * made with the unit's mode).
 */
static void
share_state_dir(const struct ck_store *st)
{
	struct stat sb;

	if (stat(st->dir, &sb) == -1) {
		ck_warn("cannot make %s group-readable: stat: %s", st->dir, strerror(errno));
		return;
	}
	if ((sb.st_mode & (S_IRGRP | S_IXGRP)) == (S_IRGRP | S_IXGRP))
		return;
	if (chmod(st->dir, (sb.st_mode & 07777) | S_IRGRP | S_IXGRP) == -1)
		ck_warn("%s is mode %04o, so its group cannot reach the certificates: chmod: %s",
		    st->dir, (unsigned)(sb.st_mode & 07777), strerror(errno));
}

int
ckst_cert_dir(const struct ck_store *st, const char *name, int create, char **path)
{
	const struct ckst_modes *m = ckst_modes(st);
	char *top = NULL;
	int rc = -1;

	*path = NULL;
	if (valid_name(name) == -1)
		return -1;
	if ((top = ckst_path("%s/certs", st->dir)) == NULL ||
	    (*path = ckst_path("%s/%s", top, name)) == NULL)
		goto out;
	if (create && st->group_readable)
		share_state_dir(st);
	if (create && (ckst_ensure_dir(top, m->certs) == -1 ||
	    ckst_ensure_dir(*path, m->cert_dir) == -1))
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

int
ckst_cert_file(const struct ck_store *st, const char *name, const char *file, int create,
    char **path)
{
	char *cdir = NULL;

	*path = NULL;
	if (name == NULL)
		return (*path = ckst_path("%s/%s", st->dir, file)) != NULL ? 0 : -1;
	if (ckst_cert_dir(st, name, create, &cdir) == 0)
		*path = ckst_path("%s/%s", cdir, file);
	free(cdir);
	return *path != NULL ? 0 : -1;
}

int
ckst_fsync_dir(const char *path)
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

int
ckst_fsync_parent(const char *path)
{
	const char *base;
	char *dir = NULL;
	int rc;

	if (ckst_split_path(path, &dir, &base) == -1)
		return -1;
	rc = ckst_fsync_dir(dir);
	free(dir);
	return rc;
}

/*
 * Accepts an existing directory at path (stat follows links with follow);
 * anything else errs.  *mode (optional) receives its permission bits.
 */
static int
is_dir(const char *path, int follow, mode_t *mode)
{
	struct stat sb;

	if ((follow ? stat(path, &sb) : lstat(path, &sb)) == -1) {
		ck_error_errno("%s %s", follow ? "stat" : "lstat", path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ck_error("%s exists and is not a directory", path);
		return -1;
	}
	if (mode != NULL)
		*mode = sb.st_mode & 07777;
	return 0;
}

int
ckst_ensure_dir(const char *path, mode_t mode)
{
	mode_t have;

	if (mkdir(path, mode) == 0) {
		/* Our umask (077) cleared the group and other bits mode may ask for. */
		if (chmod(path, mode) == -1) {
			ck_error_errno("chmod %s", path);
			return -1;
		}
		return ckst_fsync_parent(path);
	}
	if (errno != EEXIST) {
		ck_error_errno("mkdir %s", path);
		return -1;
	}
	if (is_dir(path, 0, &have) == -1)
		return -1;
	/* Only the store writes in its directories: what lstat saw is what chmod changes. */
	if (have != mode && chmod(path, mode) == -1) {
		ck_error_errno("chmod %s", path);
		return -1;
	}
	return 0;
}

int
ckst_mkdir_p(const char *path)
{
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
			if (is_dir(copy, 1, NULL) == -1)
				goto out;
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
ckst_open_dir(const char *path, int *fd)
{
	if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		ck_error_errno("open %s", path);
		return -1;
	}
	return 0;
}

DIR *
ckst_dir_at(int at, const char *name)
{
	DIR *d;
	int fd, saved;

	/* A fresh open file description: readdir must start at the beginning. */
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

int
ckst_remove_tree(int at, const char *path, const char *name, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0;

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
	if ((d = ckst_dir_at(at, name)) == NULL) {
		ck_warn("cannot remove %s: open: %s", path, strerror(errno));
		return -1;
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (ckst_remove_tree(dirfd(d), child, de->d_name, depth + 1) == -1)
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
