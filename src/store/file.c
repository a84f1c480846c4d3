/*
 * store/file.c: the file primitives of the store (see store/file.h and
 * store/internal.h): opening the state directory, the run lock, capped
 * reads, atomic writes and removal of files.  Directories and paths are
 * in store/dir.c.
 *
 * Nothing here knows what a certificate or an account is.  Every write
 * reaches the disk (fsync) before it becomes visible (rename); the rename
 * of a durable write (ck_store_write_file) and a removal
 * (ckst_remove_file) are followed by an fsync of their directory.
 */
#define _GNU_SOURCE 1	/* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/store/file.h"
#include "internal.h"

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
	if (ckst_mkdir_p(st->dir) == -1)
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

void
ck_store_set_group_readable(struct ck_store *st, int on)
{
	st->group_readable = on != 0;
}

const char *
ck_store_dir(const struct ck_store *st)
{
	return st->dir;
}

/*
 * One try at the run lock: 0 taken (or already held by st), 1 held by
 * another process (not reported), -1 on error (reported).  *path is the
 * lock's path, made on the first try and kept for the caller's messages.
 */
static int
lock_try(struct ck_store *st, char **path)
{
	int fd;

	if (st->lockfd != -1)
		return 0;
	if (*path == NULL && (*path = ckst_path("%s/lock", st->dir)) == NULL)
		return -1;
	if ((fd = open(*path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		ck_error_errno("open %s", *path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		st->lockfd = fd;
		return 0;
	}
	if (errno != EWOULDBLOCK && errno != EAGAIN) {
		ck_error_errno("flock %s", *path);
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

int
ck_store_lock(struct ck_store *st)
{
	char *path = NULL;
	int rc;

	if ((rc = lock_try(st, &path)) == 1)
		ck_error("another certkeeper run holds %s", path);
	free(path);
	return rc;
}

/*
 * The wait is counted in tries, not read off the clock: a clock stepped
 * while it waits (a device setting its time at boot) neither cuts it short
 * nor stretches it.
 */
int
ck_store_lock_wait(struct ck_store *st, struct ck_clock *clock, int64_t max_ms)
{
	char *path = NULL;
	int64_t tries = max_ms / CK_STORE_LOCK_POLL_MS, i;
	int rc, w;

	for (i = 0; (rc = lock_try(st, &path)) == 1; i++) {
		if (i >= tries) {
			ck_error("another certkeeper run holds %s: gave up after %lld s", path,
			    (long long)(max_ms / 1000));
			break;
		}
		if (i == 0)
			ck_info("another certkeeper run holds %s: waiting up to %lld s for it", path,
			    (long long)(max_ms / 1000));
		if ((w = ck_clock_sleep_ms(clock, CK_STORE_LOCK_POLL_MS)) != 0) {
			if (w == 1)
				ck_info("stop requested while waiting for %s", path);
			rc = w == 1 ? 2 : -1;
			break;
		}
	}
	if (rc == 0 && i > 0)
		ck_info("took %s after waiting about %lld ms for it", path,
		    (long long)(i * CK_STORE_LOCK_POLL_MS));
	free(path);
	return rc;
}

int
ckst_exists_at(int at, const char *name, const char *shown)
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
 * Reads all of fd into b (alloc bytes, grown up to max + 2; what it
 * outgrows is cleared); more than max bytes is an error.
 */
static int
read_all(int fd, const char *shown, size_t max, char **b, size_t *alloc, size_t *used)
{
	char *nb;
	size_t na;
	ssize_t n;

	for (;;) {
		if (*used == *alloc - 1) {
			if (*used > max) {
				ck_error("%s is larger than %zu bytes; refusing to read it", shown, max);
				return -1;
			}
			na = *alloc > (max + 2) / 2 ? max + 2 : *alloc * 2;
			if ((nb = OPENSSL_clear_realloc(*b, *alloc, na)) == NULL) {
				ck_error("out of memory reading %s", shown);
				return -1;
			}
			*b = nb;
			*alloc = na;
		}
		if ((n = read(fd, *b + *used, *alloc - 1 - *used)) == -1) {
			if (errno == EINTR)
				continue;
			ck_error_errno("read %s", shown);
			return -1;
		}
		if (n == 0)
			return 0;
		*used += (size_t)n;
	}
}

int
ckst_read_at(int at, const char *name, const char *shown, size_t max, char **buf, size_t *len)
{
	struct stat sb;
	char *b = NULL;
	size_t used = 0, alloc = 0;
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
	if (read_all(fd, shown, max, &b, &alloc, &used) == -1)
		goto out;
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	OPENSSL_clear_free(b, alloc);
	return rc;
}

int
ck_store_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	return ckst_read_at(AT_FDCWD, path, path, max, buf, len);
}

/* Gives open file fd (path in messages) mode and writes all of data. */
static int
fill(int fd, const char *path, const void *data, size_t len, int mode)
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
	return 0;
}

/* Fsyncs (when sync) and closes fd (path in messages): fd is closed whatever happens. */
static int
sync_and_close(int fd, const char *path, int sync)
{
	int rc = 0;

	if (sync && fsync(fd) == -1) {
		ck_error_errno("fsync %s", path);
		rc = -1;
	}
	if (close(fd) == -1 && rc == 0) {
		ck_error_errno("close %s", path);
		rc = -1;
	}
	return rc;
}

/*
 * Gives open file fd (path in messages) mode, writes all of data, fsyncs
 * and closes it: fd is closed whatever happens.
 */
static int
fill_and_close(int fd, const char *path, const void *data, size_t len, int mode)
{
	int ok = fill(fd, path, data, len, mode) == 0;

	return sync_and_close(fd, path, ok) == 0 && ok ? 0 : -1;
}

/* Replaces path atomically; with durable, the rename is made durable too (fsync of its directory). */
static int
write_file(const char *path, const void *data, size_t len, int mode, int durable)
{
	char *dir = NULL, *tmp = NULL;
	const char *base;
	int fd, made = 0, rc = -1;

	if (ckst_split_path(path, &dir, &base) == -1)
		goto out;
	if ((tmp = ckst_path("%s/.%s.XXXXXX", dir, base)) == NULL)
		goto out;
	/* mkstemp opens with O_EXCL under a fresh name: never someone else's file. */
	if ((fd = mkstemp(tmp)) == -1) {
		ck_error_errno("mkstemp %s", tmp);
		goto out;
	}
	made = 1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		ck_error_errno("fcntl %s", tmp);
		close(fd);
		goto out;
	}
	if (fill_and_close(fd, tmp, data, len, mode) == -1)
		goto out;
	if (rename(tmp, path) == -1) {
		ck_error_errno("rename %s to %s", tmp, path);
		goto out;
	}
	made = 0;
	if (durable && ckst_fsync_dir(dir) == -1)
		goto out;
	rc = 0;
out:
	if (made)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

int
ck_store_write_file(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 1);
}

int
ck_store_replace_file(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 0);
}

int
ckst_write_new_set_at(int at, const char *dirpath, const struct ckst_new_file *files, size_t n)
{
	char *paths[CKST_NEW_SET_MAX] = { NULL };
	int fds[CKST_NEW_SET_MAX];
	size_t i, opened = 0;
	int rc = -1;

	if (n > CKST_NEW_SET_MAX) {
		ck_error_as(CK_ERR_INTERNAL, "%s: %zu files in one set, at most %d", dirpath, n,
		    CKST_NEW_SET_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((paths[i] = ckst_path("%s/%s", dirpath, files[i].name)) == NULL)
			goto out;
		if ((fds[i] = openat(at, files[i].name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, (mode_t)files[i].mode)) == -1) {
			ck_error_errno("open %s", paths[i]);
			goto out;
		}
		opened++;
		if (fill(fds[i], paths[i], files[i].data, files[i].len, files[i].mode) == -1)
			goto out;
		/*
		 * Starts the file's writeback without waiting for it, so that the
		 * disk has all of the set at once and the fsyncs below mostly
		 * wait together.  Only a head start: a failure here is no error
		 * (the fsync below writes and reports).
		 */
		(void)sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	rc = 0;
out:
	for (i = 0; i < opened; i++)
		if (sync_and_close(fds[i], paths[i], rc == 0) == -1)
			rc = -1;
	for (i = 0; i < n; i++)
		free(paths[i]);
	return rc;
}

int
ckst_unlink(const char *path)
{
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return 1;
		ck_error_errno("unlink %s", path);
		return -1;
	}
	return 0;
}

int
ckst_remove_file(const char *path)
{
	int r = ckst_unlink(path);

	if (r == 1)
		return 0;	/* not there: nothing to flush */
	return r == 0 ? ckst_fsync_parent(path) : -1;
}
