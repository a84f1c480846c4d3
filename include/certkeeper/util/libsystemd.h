/*
 * util/libsystemd.h: libsystemd, opened (dlopen) the first time there is
 * something for it to do: a notification socket (NOTIFY_SOCKET), a
 * watchdog (WATCHDOG_USEC), a journal to write to.  A pass that needs none
 * of them (a timer run on a machine without journald, a test) does not
 * load it and the libraries it pulls in (compression, gcrypt, libcap):
 * about 0.8 MiB of resident memory and 1.8 M instructions of the loader.
 * Built only when configure finds libsystemd's headers; the Debian package
 * depends on libsystemd0.
 */
#ifndef CERTKEEPER_UTIL_LIBSYSTEMD_H
#define CERTKEEPER_UTIL_LIBSYSTEMD_H

#include <stdint.h>
#include <sys/uio.h>

/*
 * sd_notify(0, state) when NOTIFY_SOCKET is set: 1 sent, 0 nothing to
 * send to, -errno on failure (libsystemd missing: -ENOSYS, warned once).
 */
int ck_sd_notify(const char *state);

/* sd_watchdog_enabled(0, usec) when WATCHDOG_USEC is set: > 0 enabled, else 0 or -errno. */
int ck_sd_watchdog_enabled(uint64_t *usec);

/*
 * sd_journal_sendv(iov, n) when journald's socket exists: 0 sent, -ENOENT
 * when there is no journal, -errno when it refused or libsystemd is missing.
 */
int ck_sd_journal_sendv(const struct iovec *iov, int n);

#endif
