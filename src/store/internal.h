/*
 * store/internal.h: what the store's files share, and nothing outside
 * src/store/ may use: the store handle, paths and directories (dir.c),
 * the file primitives that work relative to an open directory (file.c)
 * and finding a key file (keyfile.c).  Internal names start with ckst_.
 *
 * Every ckst_ function that can fail reports the failure (ck_error, naming
 * the call and the path) unless its contract says otherwise.
 */
#ifndef CERTKEEPER_STORE_INTERNAL_H
#define CERTKEEPER_STORE_INTERNAL_H

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/file.h"

#define CKST_PEM_MAX	(1024 * 1024)	/* any key or certificate file */

struct ck_store {
	char *dir;	/* STATE_DIR, without trailing slashes */
	int lockfd;	/* -1 until ck_store_lock succeeds */
	int group_readable;	/* ck_store_set_group_readable */
};

/* The modes of what an install makes, by group_readable (see store/file.h). */
struct ckst_modes {
	mode_t certs;		/* STATE_DIR/certs */
	mode_t cert_dir;	/* certs/NAME and its version directories */
	mode_t cert_file;	/* cert.pem, chain.pem, fullchain.pem */
	mode_t key_file;	/* the version's key file */
};

/* The modes for st's group_readable setting. */
const struct ckst_modes *ckst_modes(const struct ck_store *st);

/* --- paths and directories (dir.c) ------------------------------------ */

/* A malloc'd formatted path, or NULL (reported): paths are built in one place. */
char *ckst_path(const char *fmt, ...) CK_PRINTF(1, 2);

/* Splits path into its directory (*dir, malloc'd, "." if none) and *base (points into path). */
int ckst_split_path(const char *path, char **dir, const char **base);

/*
 * Sets *path (malloc'd) to STATE_DIR/certs/NAME after checking NAME; with
 * create, makes it and certs/ (or gives them their modes), and with
 * group_readable lets the group into STATE_DIR.
 */
int ckst_cert_dir(const struct ck_store *st, const char *name, int create, char **path);

/*
 * Sets *path (malloc'd) to STATE_DIR/certs/NAME/FILE after checking NAME;
 * with create, makes certs/NAME.  A NULL name is the agent's own:
 * STATE_DIR/FILE.
 */
int ckst_cert_file(const struct ck_store *st, const char *name, const char *file, int create,
    char **path);

/* Flushes directory path, so that renames, creations and removals in it survive a crash. */
int ckst_fsync_dir(const char *path);

/* Flushes the directory that holds path. */
int ckst_fsync_parent(const char *path);

/*
 * Creates directory path with exactly mode (fsyncing its parent), or gives
 * the directory already there exactly mode: it is the store's own, and a
 * changed setting must reach it.  A symlink there is refused.
 */
int ckst_ensure_dir(const char *path, mode_t mode);

/* mkdir -p with 0700, for STATE_DIR itself; an existing directory (or a link to one) is fine. */
int ckst_mkdir_p(const char *path);

/* Opens directory path, never through a symlink.  Returns 0, 1 if absent, -1. */
int ckst_open_dir(const char *path, int *fd);

/*
 * Opens directory name in directory at for readdir (never through a
 * symlink) from its first entry.  NULL with errno set, not reported: the
 * callers differ on whether that is an error or a warning.
 */
DIR *ckst_dir_at(int at, const char *name);

/*
 * Removes name in directory at, with everything below it if it is a
 * directory (path names it in messages).  Only cleans up: failures are
 * warnings, so the error that caused the cleanup stays the one reported.
 */
int ckst_remove_tree(int at, const char *path, const char *name, int depth);

/* --- files (file.c) ----------------------------------------------------- */

/* Whether name in directory at is there as a regular file: 0 yes, 1 no, -1 error. */
int ckst_exists_at(int at, const char *name, const char *shown);

/*
 * Reads name in directory at whole (at most max bytes, NUL-terminated;
 * shown names it in messages).  Every byte it frees or outgrows is
 * cleared, since the file may be a private key.  0, 1 if absent, -1.
 */
int ckst_read_at(int at, const char *name, const char *shown, size_t max, char **buf,
    size_t *len);

/* A file of a set written together by ckst_write_new_set_at. */
struct ckst_new_file {
	const char *name;
	const void *data;
	size_t len;
	int mode;
};

#define CKST_NEW_SET_MAX 8

/*
 * Creates each of files[0..n) (n at most CKST_NEW_SET_MAX) in directory at
 * (dirpath/name in messages) with its mode and data, then fsyncs each: all
 * are written, and their writeback started, before the first fsync, so
 * that the disk works on the set together.  On failure (reported) the files
 * made are left for the caller to remove with the directory.
 */
int ckst_write_new_set_at(int at, const char *dirpath, const struct ckst_new_file *files,
    size_t n);

/*
 * Removes path without flushing its directory: 0 when removed, 1 when it
 * was not there, -1 (reported).  A power cut may bring the file back.
 */
int ckst_unlink(const char *path);

/*
 * Removes path, which is gone afterwards whether or not it was there, and
 * flushes its directory.  For a file that must not outlive a replacement.
 */
int ckst_remove_file(const char *path);

/* --- versions (versions.c) ---------------------------------------------- */

/* Non-zero when s is a version directory name: "v" and 20 digits. */
int ckst_is_version_name(const char *s);

/* --- JSON records (record.c): status.json, schedule.json ------------- */

/* Reports the record at path corrupt for its member key, which is not what; returns -1. */
int ckst_record_corrupt(const char *path, const char *key, const char *what);

/* Sets *out to t as RFC 3339 (null for 0); -1 when a load would not read it back as t. */
int ckst_record_time_value(time_t t, json_t **out);

/* Member key as a time the store writes (RFC 3339 UTC): absent or null is 0 unless required. */
int ckst_record_time(const json_t *root, const char *key, int required, const char *path,
    time_t *t);

/*
 * Reads certs/NAME/FILE (STATE_DIR/FILE for a NULL name; at most max bytes) as a JSON object and hands it
 * to parse (path names it in messages).  Returns parse's result, 0 when
 * there is no such file (out untouched), -1 when it cannot be read or is
 * not a JSON object (reported).
 */
int ckst_record_load(struct ck_store *st, const char *name, const char *file, size_t max,
    int (*parse)(const json_t *root, const char *path, void *out), void *out);

/* --- key files (keyfile.c) ---------------------------------------------- */

/*
 * Finds the key file in directory at (dirpath in messages), by either of
 * its two names; with want, reads it (free with OPENSSL_clear_free).
 * Both names at once is an error, never a guess.  Returns 0 (*name set),
 * 1 when neither is there (not reported), -1.
 */
int ckst_load_key(int at, const char *dirpath, int want, char **key, size_t *len,
    const char **name);

#endif
