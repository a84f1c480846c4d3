/*
 * util/clock.h: time as certkeeper sees it, and the stop request.
 *
 * Every wait (order and challenge polls, later backoff and the
 * resident agent's sleep) goes through a clock, so that tests can run
 * simulated minutes in microseconds, and so that a stop request (SIGTERM,
 * SIGINT) ends any wait at once.  Times are wall-clock milliseconds since
 * the epoch: due times are wall-clock times, and the system clock's wait
 * is a realtime timer that wakes early when the clock is stepped.
 *
 * The stop request is process-wide, as signals are: ck_stop_request() may
 * be called from a signal handler.  The HTTP transport watches
 * ck_stop_fd() so that a transfer in flight is aborted too.
 */
#ifndef CERTKEEPER_UTIL_CLOCK_H
#define CERTKEEPER_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

struct ck_clock;

struct ck_clock_ops {
	/* Milliseconds since the epoch. */
	int64_t (*now_ms)(struct ck_clock *c);
	/*
	 * Waits until now_ms() >= deadline: 0 reached, 1 stop requested, 2 with
	 * wake_on_reload a reload requested, -1 error (reported).
	 */
	int (*wait_until_ms)(struct ck_clock *c, int64_t deadline, int wake_on_reload);
	void (*destroy)(struct ck_clock *c);
};

struct ck_clock {
	const struct ck_clock_ops *ops;
	void *priv;
};

/* The system clock; one instance per process is enough.  Never fails. */
struct ck_clock *ck_clock_system(void);

/*
 * A fake clock for tests, starting at start_ms: waits return at once,
 * moving the fake time to their deadline.  Counts the waits.  When
 * stop_at_ms is > 0, a wait whose deadline reaches it stops there and
 * requests a stop, as a signal arriving at that moment would.
 */
struct ck_clock *ck_clock_fake_new(int64_t start_ms);
void ck_clock_fake_set_stop_at(struct ck_clock *c, int64_t stop_at_ms);
void ck_clock_fake_advance(struct ck_clock *c, int64_t ms);
unsigned ck_clock_fake_waits(const struct ck_clock *c);

int64_t ck_clock_now_ms(struct ck_clock *c);
/* Whole seconds since the epoch. */
time_t ck_clock_now(struct ck_clock *c);
/* As the op; returns 1 at once when a stop was already requested. */
int ck_clock_wait_until_ms(struct ck_clock *c, int64_t deadline);
int ck_clock_sleep_ms(struct ck_clock *c, int64_t ms);
/* The resident agent's sleep: as ck_clock_wait_until_ms, and 2 when a reload is requested. */
int ck_clock_idle_until_ms(struct ck_clock *c, int64_t deadline);
/* Frees a clock from ck_clock_fake_new (the system clock is kept). */
void ck_clock_free(struct ck_clock *c);

/*
 * Installs SIGTERM and SIGINT handlers that request a stop (and make the
 * stop descriptor readable).  Returns 0 or -1 (reported).
 */
int ck_stop_install(void);
/* Requests a stop; async-signal-safe. */
void ck_stop_request(void);
/* Non-zero once a stop was requested. */
int ck_stop_requested(void);
/* Forgets a stop request (tests; the resident agent after a reload). */
void ck_stop_reset(void);
/* A descriptor that is readable once a stop is requested, or -1 before ck_stop_install. */
int ck_stop_fd(void);
/*
 * In a child just forked: a stop pipe of its own, so that a stop requested
 * in the parent (which passes it on as a signal) does not leave the child's
 * waits facing a readable pipe its own flag knows nothing of.  A stop
 * already requested stays requested.  Returns 0 or -1 (reported).
 */
int ck_stop_fork_child(void);

/*
 * Installs a SIGHUP handler that requests a reload: ck_clock_idle_until_ms
 * returns 2 (other waits and transfers go on).  Returns 0 or -1 (reported).
 */
int ck_reload_install(void);
/* Whether a reload was requested since the last call (and forgets it). */
int ck_reload_take(void);

#endif
