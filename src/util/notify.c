/*
 * util/notify.c: sd_notify(3) for the resident agent (see util/notify.h).
 */
#include <stdio.h>

#include "certkeeper/util/log.h"
#include "certkeeper/util/notify.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

/* Sends one notification; a failure is worth a debug line, no more. */
static void
send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		ck_debug("sd_notify: error %d", -rc);
}

void
ck_notify_ready(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	send_state(buf);
}

void
ck_notify_status(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "STATUS=%s", status);
	send_state(buf);
}

void
ck_notify_reloading(void)
{
	send_state("RELOADING=1");
}

void
ck_notify_stopping(void)
{
	send_state("STOPPING=1");
}

uint64_t
ck_notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void
ck_notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}

#else

void
ck_notify_ready(const char *status)
{
	(void)status;
}

void
ck_notify_status(const char *status)
{
	(void)status;
}

void
ck_notify_reloading(void)
{
}

void
ck_notify_stopping(void)
{
}

uint64_t
ck_notify_watchdog_usec(void)
{
	return 0;
}

void
ck_notify_watchdog(void)
{
}

#endif
