/*
 * util/notify.c: sd_notify(3) for the resident agent (see util/notify.h),
 * through util/libsystemd.c: nothing is loaded or sent without a
 * NOTIFY_SOCKET.
 */
#include <stdio.h>

#include "certkeeper/util/libsystemd.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/notify.h"

/* Sends one notification; a failure is worth a debug line, no more. */
static void
send_state(const char *state)
{
	int rc = ck_sd_notify(state);

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

	return ck_sd_watchdog_enabled(&usec) > 0 ? usec : 0;
}

void
ck_notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}
