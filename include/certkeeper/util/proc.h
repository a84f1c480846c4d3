/*
 * util/proc.h: running one hook, an operator's command, as a child
 * process that cannot hang the agent or flood its log.
 *
 * The command (argv, as util/argv.h splits it; argv[0] an absolute path)
 * is executed directly, never through a shell, with stdin from /dev/null,
 * stdout and stderr into one pipe, signals at their defaults, no
 * descriptor of the agent's, and an environment of only CK_HOOK_PATH and
 * the CERTKEEPER_* variables given.  It runs in a process group of its
 * own, so that whatever it starts can be stopped with it: on timeout or
 * on a stop request (util/clock.h) the group gets SIGTERM, then SIGKILL
 * CK_HOOK_KILL_GRACE_MS later.  Its output is read while it runs (so it
 * never blocks on a full pipe); the first CK_HOOK_OUTPUT_MAX bytes are
 * kept and logged line by line, sanitized.
 */
#ifndef CERTKEEPER_UTIL_PROC_H
#define CERTKEEPER_UTIL_PROC_H

#include <stddef.h>

#define CK_HOOK_PATH		"PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define CK_HOOK_OUTPUT_MAX	4096	/* bytes of output kept */
#define CK_HOOK_KILL_GRACE_MS	2000	/* from SIGTERM to SIGKILL */

struct ck_hook_result {
	int status;		/* exit status when it exited, else -1 */
	int signal;		/* the signal that ended it, else 0 */
	int timed_out;		/* it ran past the timeout and was killed */
	int interrupted;	/* a stop was requested: killed, or never started */
	int start_errno;	/* it could not be started: why (errno), else 0 */
	long timeout_ms;	/* the timeout it ran under */
	char output[CK_HOOK_OUTPUT_MAX + 1];	/* stdout and stderr as received, NUL added */
	size_t output_len;	/* bytes in output (which may itself hold NULs) */
	int output_cut;		/* there was more than CK_HOOK_OUTPUT_MAX bytes */
};

/*
 * Runs argv with env (NULL-terminated "CERTKEEPER_...=value" strings; NULL
 * for none) for at most timeout_ms, waits for it and fills *r; label
 * ("device: deploy hook") starts the log lines of its output.  Returns 0
 * when *r holds the result (whatever it is; a stop requested before it
 * starts leaves it unstarted and interrupted), -1 when the hook could not
 * be started, or not waited for (reported; r->start_errno says why).
 */
int ck_hook_run(const char *label, char *const *argv, char *const *env, long timeout_ms,
    struct ck_hook_result *r);

/* Non-zero when the hook ran to the end and exited with status 0. */
int ck_hook_succeeded(const struct ck_hook_result *r);

/*
 * How it ended, as a phrase for messages: "exited with status 3", "was
 * killed by signal 9 (Killed)", "timed out after 60s", "was interrupted by a
 * stop request", "could not be started: ...".  Returns buf.
 */
const char *ck_hook_describe(const struct ck_hook_result *r, char *buf, size_t len);

/*
 * The output on one line for an error text: sanitized, lines joined by
 * " | ", trailing blank lines dropped, cut to fit len with "..." (and
 * "[cut]" when the hook wrote more than was kept).  "" when it wrote
 * nothing.  Returns buf.
 */
const char *ck_hook_output_line(const struct ck_hook_result *r, char *buf, size_t len);

#endif
