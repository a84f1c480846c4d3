/*
 * store/file.h: the state directory, its run lock, and the two file
 * primitives the rest of certkeeper builds on: a read with a size cap and
 * an atomic write.
 *
 * Layout under STATE_DIR (directories 0700, files 0600 unless noted, or
 * as ck_store_set_group_readable makes them):
 *   lock                 flock(2) held by a running pass      (this header)
 *   accounts/ID/         ACME account per directory URL       (store/accounts.h)
 *   certs/NAME/VERSION/  installed certificate versions       (store/versions.h)
 *   certs/NAME/current, previous -> VERSION                   (store/versions.h)
 *   certs/NAME/status.json  the certificate's state           (store/state.h)
 *   certs/NAME/schedule.json  its backoff, jitter, ARI window (store/schedule.h)
 *   certs/NAME/counters.json  its attempts, for the metrics (store/counters.h)
 *   certs/NAME/push.json  the last push, NAME being push_cert  (store/push.h)
 *   pending/NAME/        an order to resume after a crash     (store/pending.h)
 *   certs/NAME/deploy-pending  a deploy to run again          (store/deploy.h)
 *
 * Every file is written to a temporary name in its directory, fsync'd and
 * renamed: a crash or a concurrent reader sees the old file or the new
 * one, never a mix.  What a renewal or a service depends on (versions,
 * pending orders, schedules, accounts) is durable too: the directory is
 * fsync'd after the rename.  The telemetry (status.json, counters.json,
 * the metrics file) is only replaced atomically: a power cut may bring back
 * its previous content, rewritten at the next pass.  Writers expect the caller to
 * hold the run lock; readers take none, so "certkeeper status" works
 * during a run.
 */
#ifndef CERTKEEPER_STORE_FILE_H
#define CERTKEEPER_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct ck_clock;
struct ck_store;

/* Creates STATE_DIR (0700) if needed and opens it; sets umask 077 so nothing is born readable. */
int ck_store_open(const char *state_dir, struct ck_store **out);
/*
 * With on, installs make the certificates and keys readable by the group
 * of STATE_DIR, so that a service in that group can use them: STATE_DIR
 * gets g+rx, certs/, certs/NAME/ and versions 0750, their files 0640.
 * Accounts, the lock and status files stay private (0700/0600).  Off (the
 * default): certs/ is 0700, which keeps all below it to the owner.  The
 * next install applies it to certs/ and certs/NAME/ too; a version kept as
 * previous keeps its modes until it is pruned.
 */
void ck_store_set_group_readable(struct ck_store *st, int on);
/* Releases st and with it the run lock; NULL is fine. */
void ck_store_close(struct ck_store *st);
/* STATE_DIR as opened, without trailing slashes: for messages and paths shown to the operator. */
const char *ck_store_dir(const struct ck_store *st);

/*
 * Takes the exclusive run lock without waiting, so two runs never write at
 * once.  Returns 0, 1 when another process holds it (reported: "another
 * certkeeper run holds LOCKPATH"), or -1 on error.
 */
int ck_store_lock(struct ck_store *st);

/* How long ck_store_lock_wait sleeps between two tries, in milliseconds. */
#define CK_STORE_LOCK_POLL_MS 100

/*
 * Takes the run lock, waiting up to max_ms on clock for another process
 * to release it (said once at info level, and again when taken): the
 * resident agent started while a stopped one's pass is still finishing.
 * Returns 0, 1 when it is still held after max_ms (reported: "another
 * certkeeper run holds LOCKPATH: gave up after N s"), 2 when a stop was
 * requested during the wait (said at info level: a stop is no error), or
 * -1 on error (reported).
 */
int ck_store_lock_wait(struct ck_store *st, struct ck_clock *clock, int64_t max_ms);

/*
 * Reads a whole file, refusing one over max bytes so that no file can
 * exhaust memory: *buf is malloc'd and NUL-terminated.  Returns 0, 1 if it
 * does not exist, -1.  The reader clears what it outgrows; a buffer that
 * holds private key material must be freed with OPENSSL_clear_free(buf, len).
 */
int ck_store_read_file(const char *path, size_t max, char **buf, size_t *len);

/* Replaces path atomically (temp file, fsync, rename, fsync dir) with mode: all or nothing. */
int ck_store_write_file(const char *path, const void *data, size_t len, int mode);
/*
 * Replaces path atomically as ck_store_write_file does, without the fsync
 * of its directory: after a power cut path holds the new content or the
 * previous one, never a mix.  For what is rewritten every pass and worth
 * no wait for the disk (status, counters, metrics).
 */
int ck_store_replace_file(const char *path, const void *data, size_t len, int mode);

#endif
