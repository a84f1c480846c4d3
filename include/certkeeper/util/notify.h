/*
 * util/notify.h: telling the service manager how the resident agent is
 * (sd_notify(3): READY, STATUS, RELOADING, STOPPING, WATCHDOG).  Built with
 * libsystemd when configure finds it; without it these do nothing, and the
 * agent's unit must not be Type=notify.
 */
#ifndef CERTKEEPER_UTIL_NOTIFY_H
#define CERTKEEPER_UTIL_NOTIFY_H

#include <stdint.h>

/* Sends "READY=1" (once ready) with a status line; never fails the agent. */
void ck_notify_ready(const char *status);
/* Sends a STATUS= line. */
void ck_notify_status(const char *status);
/* Sends "RELOADING=1" or "STOPPING=1". */
void ck_notify_reloading(void);
void ck_notify_stopping(void);
/* Microseconds of the watchdog the manager asks for, 0 when none. */
uint64_t ck_notify_watchdog_usec(void);
/* Sends "WATCHDOG=1". */
void ck_notify_watchdog(void);

#endif
