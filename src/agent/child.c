/*
 * agent/child.c: a pass in a child process (see agent/child.h).
 *
 * The child gets a fresh stop pipe (util/clock.h), so that its waits and
 * transfers watch its own stop requests; the agent passes a SIGTERM on
 * once.  The result crosses a pipe as one struct, written after the pass
 * and its session are closed, so an end of file before it means the pass
 * did not finish.
 */
#define _GNU_SOURCE 1	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "certkeeper/agent/child.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* The child's exit status when it could not even start its pass. */
#define CHILD_SETUP_FAILED 70

/* Runs the pass and sends its result on fd; never returns.  parent: the agent's pid. */
static void __attribute__((noreturn))
child(struct ck_session *s, int fd, pid_t parent)
{
	struct ck_pass_result r;
	const char *p;
	size_t left;
	ssize_t n;

	if (ck_stop_fork_child() != 0)
		_exit(CHILD_SETUP_FAILED);
	/*
	 * An agent that dies (SIGKILL) takes its pass with it, as a stop: else
	 * the pass would go on holding the lock the restarted agent needs.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		ck_stop_request();
	(void)ck_pass_run(s, 0, NULL, 0, &r);
	/* Closing the store closes this process's copy of the lock: the agent keeps it. */
	ck_session_close(s);
	for (p = (const char *)&r, left = sizeof(r); left > 0; p += n, left -= (size_t)n)
		if ((n = write(fd, p, left)) < 0) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			ck_error_errno("sending the pass result to the agent");
			exit(CHILD_SETUP_FAILED);
		}
	exit(0);
}

/* How the child ended, in words, into buf. */
static void
describe(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "wait status %#x", (unsigned)status);
}

/*
 * Reads the child's result from fd until its end, passing a stop request
 * on; then reaps it.  Returns 0 when the whole result came and the child
 * exited 0, else -1 (reported).
 */
static int
collect(pid_t pid, int fd, struct ck_pass_result *r)
{
	struct pollfd pfd[2];
	char how[96], buf[sizeof(*r) + 1];	/* one byte more: a longer answer is no result */
	size_t got = 0;
	ssize_t n;
	int status = 0, forwarded = 0;

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ck_stop_fd();	/* -1 (skipped by poll) when no stop is installed */
	pfd[1].events = POLLIN;
	for (;;) {
		if (ck_stop_requested() && !forwarded) {
			(void)kill(pid, SIGTERM);
			forwarded = 1;
			pfd[1].fd = -1;	/* stays readable: no longer watched */
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ck_error_errno("poll for the pass result");
			(void)kill(pid, SIGKILL);
			break;
		}
		if (pfd[0].revents == 0)
			continue;
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((got += (size_t)n) == sizeof(buf))
			break;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			ck_error_errno("waitpid for the pass");
			return -1;
		}
	if (got == sizeof(*r) && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		memcpy(r, buf, sizeof(*r));
		return 0;
	}
	describe(status, how, sizeof(how));
	ck_error("the pass ended without its result (%s)", how);
	return -1;
}

int
ck_pass_run_child(struct ck_session *s, struct ck_pass_result *r)
{
	char when[32];
	pid_t pid, self = getpid();
	int fds[2];

	memset(r, 0, sizeof(*r));
	if (pipe2(fds, O_CLOEXEC) != 0) {
		ck_error_errno("pipe2 for the pass result");
		goto failed;
	}
	/* Nothing buffered is written twice. */
	(void)fflush(NULL);
	if ((pid = fork()) < 0) {
		ck_error_errno("fork for a pass");
		close(fds[0]);
		close(fds[1]);
		goto failed;
	}
	if (pid == 0) {
		close(fds[0]);
		child(s, fds[1], self);
	}
	close(fds[1]);
	if (collect(pid, fds[0], r) == 0) {
		close(fds[0]);
		return 0;
	}
	close(fds[0]);
failed:
	memset(r, 0, sizeof(*r));
	r->failed = 1;
	r->next = ck_clock_now(s->clock) + s->cfg->retry_min;
	ck_time_rfc3339(r->next, when, sizeof(when));
	ck_log(CK_LOG_ERROR, "the pass failed; the next one is at %s", when);
	return -1;
}
