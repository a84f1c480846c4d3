/*
 * util/clock.c: the system clock, the fake clock of the tests, and the stop
 * request (see util/clock.h).
 *
 * The system clock waits with a CLOCK_REALTIME timerfd armed at the
 * absolute deadline with TFD_TIMER_CANCEL_ON_SET: a step of the wall
 * clock (NTP, a suspended device) cancels it and the deadline is checked
 * again, so a wait never overruns a wall-clock due time.  The same poll(2)
 * watches the stop pipe, so a signal ends the wait at once.
 */
#define _GNU_SOURCE 1	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

static volatile sig_atomic_t stop_flag, reload_flag;
static int stop_pipe[2] = { -1, -1 };
static int wake_pipe[2] = { -1, -1 };	/* readable once a reload is requested */

/* --- the stop request ---------------------------------------------------- */

void
ck_stop_request(void)
{
	int saved = errno;
	char c = 's';

	stop_flag = 1;
	if (stop_pipe[1] >= 0)
		(void)!write(stop_pipe[1], &c, 1);
	errno = saved;
}

int
ck_stop_requested(void)
{
	return stop_flag != 0;
}

void
ck_stop_reset(void)
{
	char buf[64];

	stop_flag = 0;
	if (stop_pipe[0] >= 0)
		while (read(stop_pipe[0], buf, sizeof(buf)) > 0)
			continue;
}

int
ck_stop_fd(void)
{
	return stop_pipe[0];
}

int
ck_stop_fork_child(void)
{
	sigset_t block, saved;
	int fresh[2], rc = 0;

	if (stop_pipe[0] < 0)
		return 0;
	if (pipe2(fresh, O_CLOEXEC | O_NONBLOCK) != 0) {
		ck_error_errno("pipe2 for the stop request");
		return -1;
	}
	/* The handler writes to stop_pipe[1]: not while it changes. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &saved) != 0) {
		ck_error_errno("sigprocmask");
		rc = -1;
	}
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = fresh[0];
	stop_pipe[1] = fresh[1];
	if (stop_flag)
		ck_stop_request();
	if (rc == 0)
		(void)sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}

static void
on_stop_signal(int sig)
{
	(void)sig;
	ck_stop_request();
}

/* --- the reload request --------------------------------------------------- */

static void
on_reload_signal(int sig)
{
	int saved = errno;
	char c = 'r';

	(void)sig;
	reload_flag = 1;
	if (wake_pipe[1] >= 0)
		(void)!write(wake_pipe[1], &c, 1);
	errno = saved;
}

int
ck_reload_install(void)
{
	struct sigaction sa;

	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		ck_error_errno("pipe2 for the reload request");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_reload_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, NULL) != 0) {
		ck_error_errno("sigaction(SIGHUP)");
		return -1;
	}
	return 0;
}

int
ck_reload_take(void)
{
	char buf[64];

	if (!reload_flag)
		return 0;
	reload_flag = 0;
	if (wake_pipe[0] >= 0)
		while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
			continue;
	return 1;
}

int
ck_stop_install(void)
{
	struct sigaction sa;

	if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		ck_error_errno("pipe2 for the stop request");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
		ck_error_errno("sigaction(SIGTERM, SIGINT)");
		return -1;
	}
	return 0;
}

/* --- the system clock ------------------------------------------------------ */

static int64_t
system_now_ms(struct ck_clock *c)
{
	struct timespec ts;

	(void)c;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Arms fd at the absolute wall-clock deadline, cancelled by a clock step. */
static int
arm_timer(int fd, int64_t deadline)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(deadline / 1000);
	its.it_value.tv_nsec = (long)(deadline % 1000) * 1000000L;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;	/* zero would disarm it */
	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

static int
system_wait_until_ms(struct ck_clock *c, int64_t deadline, int wake_on_reload)
{
	struct pollfd pfd[3];
	uint64_t expirations;
	int tfd, n, rc = -1;

	if ((tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) {
		ck_error_errno("timerfd_create(CLOCK_REALTIME)");
		return -1;
	}
	while (!ck_stop_requested() && !(wake_on_reload && reload_flag) &&
	    system_now_ms(c) < deadline) {
		if (arm_timer(tfd, deadline) != 0) {
			ck_error_errno("timerfd_settime");
			goto out;
		}
		pfd[0].fd = tfd;
		pfd[0].events = POLLIN;
		/* A descriptor of -1 is skipped by poll(2). */
		pfd[1].fd = stop_pipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = wake_on_reload ? wake_pipe[0] : -1;
		pfd[2].events = POLLIN;
		n = poll(pfd, 3, -1);
		if (n < 0 && errno != EINTR) {
			ck_error_errno("poll while waiting");
			goto out;
		}
		/* Expired, or ECANCELED after a clock step: the loop checks the deadline again. */
		if (n > 0 && (pfd[0].revents & POLLIN))
			(void)!read(tfd, &expirations, sizeof(expirations));
	}
	rc = ck_stop_requested() ? 1 : wake_on_reload && reload_flag ? 2 : 0;
out:
	close(tfd);
	return rc;
}

static const struct ck_clock_ops system_ops = {
	system_now_ms, system_wait_until_ms, NULL
};

static struct ck_clock system_clock = { &system_ops, NULL };

struct ck_clock *
ck_clock_system(void)
{
	return &system_clock;
}

/* --- the fake clock ------------------------------------------------------- */

struct fake {
	int64_t now;
	int64_t stop_at;
	unsigned waits;
};

static int64_t
fake_now_ms(struct ck_clock *c)
{
	return ((struct fake *)c->priv)->now;
}

static int
fake_wait_until_ms(struct ck_clock *c, int64_t deadline, int wake_on_reload)
{
	struct fake *f = c->priv;

	(void)wake_on_reload;
	f->waits++;
	if (f->stop_at > 0 && deadline >= f->stop_at) {
		if (f->now < f->stop_at)
			f->now = f->stop_at;
		ck_stop_request();
		return 1;
	}
	if (deadline > f->now)
		f->now = deadline;
	return 0;
}

static void
fake_destroy(struct ck_clock *c)
{
	free(c->priv);
	free(c);
}

static const struct ck_clock_ops fake_ops = {
	fake_now_ms, fake_wait_until_ms, fake_destroy
};

struct ck_clock *
ck_clock_fake_new(int64_t start_ms)
{
	struct ck_clock *c = calloc(1, sizeof(*c));
	struct fake *f = calloc(1, sizeof(*f));

	if (c == NULL || f == NULL) {
		free(c);
		free(f);
		return NULL;
	}
	f->now = start_ms;
	c->ops = &fake_ops;
	c->priv = f;
	return c;
}

void
ck_clock_fake_set_stop_at(struct ck_clock *c, int64_t stop_at_ms)
{
	((struct fake *)c->priv)->stop_at = stop_at_ms;
}

void
ck_clock_fake_advance(struct ck_clock *c, int64_t ms)
{
	((struct fake *)c->priv)->now += ms;
}

unsigned
ck_clock_fake_waits(const struct ck_clock *c)
{
	return ((const struct fake *)c->priv)->waits;
}

/* --- whatever the clock ---------------------------------------------------- */

int64_t
ck_clock_now_ms(struct ck_clock *c)
{
	return c->ops->now_ms(c);
}

time_t
ck_clock_now(struct ck_clock *c)
{
	return (time_t)(c->ops->now_ms(c) / 1000);
}

int
ck_clock_wait_until_ms(struct ck_clock *c, int64_t deadline)
{
	if (ck_stop_requested())
		return 1;
	return c->ops->wait_until_ms(c, deadline, 0);
}

int
ck_clock_idle_until_ms(struct ck_clock *c, int64_t deadline)
{
	if (ck_stop_requested())
		return 1;
	if (reload_flag)
		return 2;
	return c->ops->wait_until_ms(c, deadline, 1);
}

int
ck_clock_sleep_ms(struct ck_clock *c, int64_t ms)
{
	return ck_clock_wait_until_ms(c, ck_clock_now_ms(c) + ms);
}

void
ck_clock_free(struct ck_clock *c)
{
	if (c != NULL && c->ops->destroy != NULL)
		c->ops->destroy(c);
}
