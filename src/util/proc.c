/*
 * util/proc.c: running one hook, an operator's command (see util/proc.h).
 *
 * fork, then in the child only async-signal-safe calls: its own process
 * group, default signals and an empty mask, /dev/null and the pipe as
 * descriptors 0-2, every other descriptor closed, execve.  An exec that
 * fails is reported through a close-on-exec pipe, so that "no such file"
 * is told apart from a hook that exits 127.
 *
 * The parent polls the output pipe and the stop descriptor, with a short
 * tick to notice the hook's exit (the pipe may stay open in a child the
 * hook left behind).  The exit is seen with WNOWAIT, so the hook stays a
 * zombie until the end: its process group id cannot be reused while the
 * group is still being killed.
 */
#define _GNU_SOURCE 1	/* pipe2, F_DUPFD_CLOEXEC, NSIG */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "certkeeper/util/proc.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

#define TICK_MS		50	/* how often a quiet hook is checked for its exit */
#define LOG_LINE_MAX	1024	/* longest output line logged; the rest is cut */
#define ENV_PREFIX	"CERTKEEPER_"

/* Milliseconds on the monotonic clock: a hook's timeout does not move with the wall clock. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the child ------------------------------------------------------------ */

/* Closes every descriptor from 3 up but keep; maxfd bounds the loop where close_range is missing. */
static void
close_others(int keep, int maxfd)
{
	int fd;

#ifdef SYS_close_range
	if ((keep == 3 || syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) == 0) &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
		return;
#endif
	for (fd = 3; fd < maxfd; fd++)
		if (fd != keep)
			(void)close(fd);
}

/*
 * Between fork and exec: async-signal-safe calls only (dfl was prepared by
 * the parent, which forked with every signal blocked: they are unblocked
 * here once the handlers are reset).  Writes errno to errfd when the exec
 * fails.  Never returns.
 */
static void
child_exec(char *const *argv, char *const *envp, int in, int out, int errfd, int maxfd,
    const struct sigaction *dfl)
{
	sigset_t none;
	int sig, e;

	(void)setpgid(0, 0);
	/* A disposition the agent set (or ignored) must not reach the hook. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1)
		goto fail;
	close_others(errfd, maxfd);
	execve(argv[0], argv, envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

/* --- the parent ----------------------------------------------------------- */

/* Moves *fd above 0-2 (close-on-exec), so that the child's dup2 onto 0-2 never meets it there. */
static int
lift(int *fd)
{
	int nfd;

	if (*fd > 2)
		return 0;
	if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

/* envp for the hook: CK_HOOK_PATH, then env (only CERTKEEPER_ variables); pointers only. */
static int
build_env(const char *label, char *const *env, char ***out)
{
	char **envp, safe[64];
	size_t n, i;

	*out = NULL;
	for (n = 0; env != NULL && env[n] != NULL; n++)
		if (strncmp(env[n], ENV_PREFIX, strlen(ENV_PREFIX)) != 0 ||
		    strchr(env[n], '=') == NULL) {
			ck_sanitize(safe, sizeof(safe), env[n], strlen(env[n]));
			ck_error("%s: \"%s\" is not a " ENV_PREFIX " variable", label, safe);
			return -1;
		}
	if ((envp = calloc(n + 2, sizeof(*envp))) == NULL) {
		ck_error("%s: calloc: out of memory", label);
		return -1;
	}
	envp[0] = (char *)CK_HOOK_PATH;
	for (i = 0; i < n; i++)
		envp[i + 1] = env[i];
	*out = envp;
	return 0;
}

/*
 * Sends sig to the hook's process group, and to the hook itself in case it
 * left the group (setsid): whatever it did, the wait for it ends.
 */
static void
signal_hook(pid_t pid, int sig)
{
	(void)kill(-pid, sig);
	(void)kill(pid, sig);
}

/*
 * Reads what the pipe holds, at most chunks reads: the first
 * CK_HOOK_OUTPUT_MAX bytes are kept, the rest only noted as cut.  Closes
 * *fd and sets it to -1 at end of file.
 */
static void
drain(int *fd, struct ck_hook_result *r, int chunks)
{
	char buf[4096];
	size_t take;
	ssize_t n;

	while (chunks-- > 0) {
		if ((n = read(*fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
		}
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return;
		}
		take = CK_HOOK_OUTPUT_MAX - r->output_len;
		if ((size_t)n < take)
			take = (size_t)n;
		memcpy(r->output + r->output_len, buf, take);
		r->output_len += take;
		if ((size_t)n > take)
			r->output_cut = 1;
	}
}

/*
 * Waits for the hook pid while reading its output from *outfd; on timeout
 * or a stop request kills its group (SIGTERM, SIGKILL after the grace).
 * Reaps it and fills r.  Returns 0, or -1 when waiting failed (reported;
 * the group is killed and reaped as far as possible).
 */
static int
wait_hook(const char *label, pid_t pid, int *outfd, long timeout_ms, struct ck_hook_result *r)
{
	int64_t now, deadline = mono_ms() + timeout_ms, kill_at = 0, wait;
	struct pollfd pfd[2];
	siginfo_t si;
	int stopfd = ck_stop_fd(), killing = 0, nfds, status, rc = 0;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1 &&
		    errno != EINTR) {
			ck_error_errno("%s: waitid(%ld)", label, (long)pid);
			rc = -1;
			killing = 1;
			break;
		}
		if (si.si_pid == pid)
			break;
		now = mono_ms();
		if (!killing && (ck_stop_requested() || now >= deadline)) {
			if (ck_stop_requested())
				r->interrupted = 1;
			else
				r->timed_out = 1;
			signal_hook(pid, SIGTERM);
			killing = 1;
			kill_at = now + CK_HOOK_KILL_GRACE_MS;
		}
		if (killing == 1 && now >= kill_at) {
			signal_hook(pid, SIGKILL);
			killing = 2;
		}
		wait = TICK_MS;
		if (!killing && deadline - now < wait)
			wait = deadline - now;
		if (killing == 1 && kill_at - now < wait)
			wait = kill_at - now;
		nfds = 0;
		if (*outfd >= 0) {
			pfd[nfds].fd = *outfd;
			pfd[nfds++].events = POLLIN;
		}
		/* Readable for good once a stop is requested: watched only until then. */
		if (!killing && stopfd >= 0) {
			pfd[nfds].fd = stopfd;
			pfd[nfds++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfds, (int)(wait > 0 ? wait : 0)) == -1 && errno != EINTR) {
			ck_error_errno("%s: poll", label);
			rc = -1;
			killing = 1;
			break;
		}
		if (*outfd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(outfd, r, 16);
	}
	/* What it wrote before it ended; a child it left may still hold the pipe, so no more. */
	if (*outfd >= 0)
		drain(outfd, r, 256);
	/* Whatever is left of a group that was told to stop goes now. */
	if (killing)
		signal_hook(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			ck_error_errno("%s: waitpid(%ld)", label, (long)pid);
			return -1;
		}
	}
	if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
	return rc;
}

/* Logs the output line by line, sanitized, each line cut at LOG_LINE_MAX. */
static void
log_output(const char *label, const struct ck_hook_result *r)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX + 1];
	size_t i, start = 0, len, j;

	for (i = 0; i <= r->output_len; i++) {
		if (i < r->output_len && r->output[i] != '\n')
			continue;
		len = i - start;
		if (i == r->output_len && len == 0)
			break;
		/* A NUL would end ck_sanitize's copy: it becomes another unprintable byte. */
		for (j = 0; j < len && j < sizeof(raw); j++)
			raw[j] = r->output[start + j] != '\0' ? r->output[start + j] : '\001';
		ck_sanitize(line, sizeof(line), raw, j);
		ck_info("%s: %s%s", label, line, len > sizeof(raw) ? "..." : "");
		start = i + 1;
	}
	if (r->output_cut)
		ck_info("%s: (output cut: only its first %d bytes are kept)", label,
		    CK_HOOK_OUTPUT_MAX);
}

int
ck_hook_run(const char *label, char *const *argv, char *const *env, long timeout_ms,
    struct ck_hook_result *r)
{
	struct sigaction dfl;
	sigset_t all, saved;
	struct rlimit rl;
	char **envp = NULL;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, nullfd = -1, maxfd, e = 0, rc = -1;
	ssize_t n;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->timeout_ms = timeout_ms;
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		r->start_errno = EINVAL;
		ck_error("%s: the command is not an absolute path", label);
		goto out;
	}
	if (ck_stop_requested()) {
		r->interrupted = 1;
		ck_info("%s: not run: a stop was requested", label);
		rc = 0;
		goto out;
	}
	if (build_env(label, env, &envp) != 0) {
		r->start_errno = EINVAL;
		goto out;
	}
	maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 || lift(&nullfd) == -1) {
		r->start_errno = errno;
		ck_error_errno("%s: open /dev/null", label);
		goto out;
	}
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 || lift(&out[0]) == -1 ||
	    lift(&out[1]) == -1 || lift(&errp[1]) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1) {
		r->start_errno = errno;
		ck_error_errno("%s: pipe", label);
		goto out;
	}
	/*
	 * Signals wait until the child has reset its handlers: the agent's
	 * stop handler must never run in it (it would write to the stop pipe).
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &saved);
	pid = fork();
	if (pid == 0)
		child_exec(argv, envp, nullfd, out[1], errp[1], maxfd, &dfl);
	e = errno;
	(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	if (pid == -1) {
		r->start_errno = errno = e;
		ck_error_errno("%s: fork", label);
		goto out;
	}
	e = 0;
	/* Also here, so that the group exists before any kill(-pid) whatever the child's progress. */
	(void)setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	while ((n = read(errp[0], &e, sizeof(e))) == -1 && errno == EINTR)
		continue;
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			continue;
		r->start_errno = e;
		errno = e;
		ck_error_errno("%s: cannot run %s", label, argv[0]);
		goto out;
	}
	if (wait_hook(label, pid, &out[0], timeout_ms, r) != 0)
		goto out;
	log_output(label, r);
	rc = 0;
out:
	if (rc != 0 && r->start_errno == 0)
		r->start_errno = EIO;
	if (nullfd != -1)
		close(nullfd);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	free(envp);
	r->output[r->output_len] = '\0';
	return rc;
}

int
ck_hook_succeeded(const struct ck_hook_result *r)
{
	return r->start_errno == 0 && !r->interrupted && !r->timed_out && r->signal == 0 &&
	    r->status == 0;
}

const char *
ck_hook_describe(const struct ck_hook_result *r, char *buf, size_t len)
{
	char sig[64] = "";

	if (r->signal != 0)
		snprintf(sig, sizeof(sig), " by signal %d (%s)", r->signal, strsignal(r->signal));
	if (r->start_errno != 0)
		snprintf(buf, len, "could not be started: %s", strerror(r->start_errno));
	else if (r->interrupted)
		snprintf(buf, len, "was interrupted by a stop request");
	else if (r->timed_out && r->timeout_ms % 1000 == 0)
		snprintf(buf, len, "timed out after %lds and was killed%s", r->timeout_ms / 1000, sig);
	else if (r->timed_out)
		snprintf(buf, len, "timed out after %ldms and was killed%s", r->timeout_ms, sig);
	else if (r->signal != 0)
		snprintf(buf, len, "was killed%s", sig);
	else
		snprintf(buf, len, "exited with status %d", r->status);
	return buf;
}

const char *
ck_hook_output_line(const struct ck_hook_result *r, char *buf, size_t len)
{
	static const char sep[] = " | ", more[] = "...", cut[] = " [cut]";
	char raw[CK_HOOK_OUTPUT_MAX * 3 + sizeof(more) + sizeof(cut)];
	size_t end = r->output_len, i, used = 0, room;
	int full = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	while (end > 0 && strchr(" \t\r\n", r->output[end - 1]) != NULL && r->output[end - 1] != '\0')
		end--;
	if (end == 0 || len <= sizeof(more) + sizeof(cut))
		return buf;
	room = len - sizeof(more) - sizeof(cut);	/* always room for the markers */
	for (i = 0; i < end; i++) {
		if (r->output[i] == '\n') {
			if (used + strlen(sep) > room) {
				full = 1;
				break;
			}
			memcpy(raw + used, sep, strlen(sep));
			used += strlen(sep);
			continue;
		}
		if (used + 1 > room) {
			full = 1;
			break;
		}
		/* A NUL would end ck_sanitize's copy: it becomes another unprintable byte. */
		raw[used++] = r->output[i] != '\0' ? r->output[i] : '\001';
	}
	if (full) {
		memcpy(raw + used, more, strlen(more));
		used += strlen(more);
	}
	if (r->output_cut) {
		memcpy(raw + used, cut, strlen(cut));
		used += strlen(cut);
	}
	ck_sanitize(buf, len, raw, used);
	return buf;
}
