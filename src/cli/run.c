/*
 * cli/run.c: `certkeeper run`, the resident agent (see cli/commands.h).
 *
 * One session for the life of the process, holding the run lock.  A pass,
 * in a child process (agent/child.h), renews what is due and reports when
 * to come back; the agent, which never loads the network or key code's
 * libraries itself, then sleeps, on one realtime timer, until
 * the earliest time a certificate is next to be acted on (its due time,
 * the end of a backoff, a renewal-information re-check), so an idle agent
 * makes no wakeups.  Only a watchdog the service manager asks for
 * shortens the sleep.  SIGHUP reloads the configuration (a bad one is
 * refused and the old one kept); SIGTERM ends any wait or transfer at once
 * and the agent exits 0 with the installed sets whole.
 */
#include <stdio.h>
#include <stdlib.h>

#include "certkeeper/agent/child.h"
#include "certkeeper/agent/pass.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/notify.h"
#include "certkeeper/util/time.h"

/* Longest sleep when no certificate names a time (none configured can renew). */
#define IDLE_MAX_SECS 86400

/*
 * How long the agent waits for the run lock at start.  An agent killed
 * outright (SIGKILL) takes its pass with it, but the pass may still be
 * finishing a step (a transfer aborted, an install completed) when the
 * agent is started again by hand; a one-shot renew from a timer never
 * waits, and a second resident agent gives up after this.
 */
#define RUN_LOCK_WAIT_MS 30000

/* Opens a session on cfg and takes the run lock; NULL on failure (reported). */
static struct ck_session *
start_session(const struct ck_config *cfg, struct ck_clock *clock)
{
	struct ck_session *s = NULL;

	if (ck_session_open(cfg, clock, &s) != 0)
		return NULL;
	if (ck_session_lock_wait(s, RUN_LOCK_WAIT_MS) != 0) {
		ck_session_close(s);
		return NULL;
	}
	return s;
}

/*
 * Loads the configuration again from its file.  On success the session is
 * replaced by one on the new configuration (*cur, freed on the next
 * reload); on failure the old one stays.  Returns 0, or -1 when no session
 * could be opened at all (reported).
 */
static int
reload(const struct ck_config **cfg, struct ck_config **cur, struct ck_session **s,
    struct ck_clock *clock)
{
	struct ck_config *fresh = NULL;
	struct ck_session *ns;

	ck_notify_reloading();
	if (ck_config_load((*cfg)->path, &fresh) != 0) {
		ck_log(CK_LOG_ERROR, "reload: %s is not valid: keeping the configuration in use",
		    (*cfg)->path);
		ck_notify_ready("configuration reload refused");
		return 0;
	}
	/* The lock must be released before the new session can take it. */
	ck_session_close(*s);
	if ((ns = start_session(fresh, clock)) == NULL) {
		ck_config_free(fresh);
		*s = start_session(*cfg, clock);
		return *s != NULL ? 0 : -1;
	}
	ck_config_free(*cur);
	*cur = fresh;
	*cfg = fresh;
	*s = ns;
	ck_info("reloaded %s: %zu certificates", fresh->path, fresh->ncerts);
	return 0;
}

int
ck_cmd_run(const struct ck_config *cfg)
{
	struct ck_clock *clock = ck_clock_system();
	struct ck_config *cur = NULL;	/* a reloaded configuration, owned here */
	struct ck_session *s = NULL;
	struct ck_pass_result r;
	uint64_t wd = ck_notify_watchdog_usec();
	int64_t wake, now_ms;
	time_t now;
	char when[32], status[128];
	int ready = 0, w, rc = CK_EXIT_FAILED;

	if (ck_reload_install() != 0)
		return CK_EXIT_FAILED;
	if ((s = start_session(cfg, clock)) == NULL) {
		/* Stopped while another run held the lock: nothing was started. */
		if (ck_stop_requested())
			rc = CK_EXIT_OK;
		goto out;
	}
	ck_info("resident agent started: %zu certificates%s", cfg->ncerts,
	    wd ? ", watchdog on" : "");
	for (;;) {
		(void)ck_pass_run_child(s, &r);
		if (ck_stop_requested())
			break;
		now = ck_clock_now(clock);
		if (r.next == 0 || r.next > now + IDLE_MAX_SECS)
			r.next = now + IDLE_MAX_SECS;
		/* A plan due now again after its attempt would spin: the schedule's backoff rules it out. */
		if (r.next <= now)
			r.next = now + 1;
		ck_time_rfc3339(r.next, when, sizeof(when));
		snprintf(status, sizeof(status), "%zu renewed, %zu failed; next at %s", r.renewed,
		    r.failed, when);
		if (!ready) {
			ck_notify_ready(status);
			ready = 1;
		} else {
			ck_notify_status(status);
		}
		ck_debug("sleeping until %s", when);
		for (;;) {
			now_ms = ck_clock_now_ms(clock);
			wake = (int64_t)r.next * 1000;
			/* Ping at half the watchdog period, the usual margin. */
			if (wd > 0 && wake > now_ms + (int64_t)(wd / 2000))
				wake = now_ms + (int64_t)(wd / 2000);
			w = ck_clock_idle_until_ms(clock, wake);
			if (wd > 0)
				ck_notify_watchdog();
			if (w != 0 || ck_clock_now(clock) >= r.next)
				break;
		}
		if (w == 1 || ck_stop_requested())
			break;
		if (w < 0)
			goto out;
		if (ck_reload_take() && reload(&cfg, &cur, &s, clock) != 0) {
			if (ck_stop_requested())
				break;
			goto out;
		}
	}
	ck_notify_stopping();
	ck_info("stopping on request; installed certificates are whole");
	rc = CK_EXIT_OK;
out:
	ck_session_close(s);
	ck_config_free(cur);
	return rc;
}
