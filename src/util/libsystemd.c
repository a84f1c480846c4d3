/*
 * util/libsystemd.c: libsystemd opened on first need (see
 * util/libsystemd.h).  The three calls are looked up once, under
 * pthread_once; a missing library is said once and makes every call fail
 * with -ENOSYS.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "certkeeper/util/libsystemd.h"
#include "certkeeper/util/log.h"

#ifdef HAVE_LIBSYSTEMD
#include <dlfcn.h>
/* The plain function, not the macro that adds the caller's CODE_FILE and CODE_LINE. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/* Where journald listens for native entries (systemd.journal-fields(7), sd_journal_sendv). */
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define LIBSYSTEMD "libsystemd.so.0"

static struct {
	pthread_once_t once;
	void *handle;
	__typeof__(sd_notify) *notify;
	__typeof__(sd_watchdog_enabled) *watchdog_enabled;
	__typeof__(sd_journal_sendv) *journal_sendv;
} sd = { .once = PTHREAD_ONCE_INIT };

static void
load(void)
{
	const char *why;

	/* RTLD_LAZY: the three calls are looked up and checked below (see net/curl.c). */
	if ((sd.handle = dlopen(LIBSYSTEMD, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		ck_warn("cannot load %s (%s): no notification to the service manager and no "
		    "journal entries", LIBSYSTEMD, why != NULL ? why : "no reason given");
		return;
	}
	/* POSIX (dlsym): the object pointer converts to the function's type. */
	sd.notify = (__typeof__(sd_notify) *)dlsym(sd.handle, "sd_notify");
	sd.watchdog_enabled = (__typeof__(sd_watchdog_enabled) *)dlsym(sd.handle,
	    "sd_watchdog_enabled");
	sd.journal_sendv = (__typeof__(sd_journal_sendv) *)dlsym(sd.handle, "sd_journal_sendv");
	if (sd.notify == NULL || sd.watchdog_enabled == NULL || sd.journal_sendv == NULL) {
		ck_warn("%s lacks sd_notify, sd_watchdog_enabled or sd_journal_sendv: not used",
		    LIBSYSTEMD);
		sd.notify = NULL;
		sd.watchdog_enabled = NULL;
		sd.journal_sendv = NULL;
		(void)dlclose(sd.handle);
		sd.handle = NULL;
	}
}

/* Whether libsystemd is loaded now (loading it the first time). */
static int
loaded(void)
{
	(void)pthread_once(&sd.once, load);
	return sd.handle != NULL;
}

int
ck_sd_notify(const char *state)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	return loaded() ? sd.notify(0, state) : -ENOSYS;
}

int
ck_sd_watchdog_enabled(uint64_t *usec)
{
	if (getenv("WATCHDOG_USEC") == NULL)
		return 0;
	return loaded() ? sd.watchdog_enabled(0, usec) : -ENOSYS;
}

int
ck_sd_journal_sendv(const struct iovec *iov, int n)
{
	if (access(JOURNAL_SOCKET, F_OK) != 0)
		return -ENOENT;
	return loaded() ? sd.journal_sendv(iov, n) : -ENOSYS;
}

#else

int
ck_sd_notify(const char *state)
{
	(void)state;
	return 0;
}

int
ck_sd_watchdog_enabled(uint64_t *usec)
{
	(void)usec;
	return 0;
}

int
ck_sd_journal_sendv(const struct iovec *iov, int n)
{
	(void)iov;
	(void)n;
	return -ENOSYS;
}

#endif
