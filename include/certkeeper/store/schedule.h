/*
 * store/schedule.h: when each certificate may next be attempted, in
 * STATE_DIR/certs/NAME/schedule.json (0600): the consecutive failures and
 * the backoff they set, the account key thumbprint the jitter comes from,
 * and the CA's suggested renewal window (ARI, RFC 9773) once known.
 *
 * As status.json (store/state.h): one JSON object whose members are
 * checked one by one and whose unknown members are ignored; a file
 * written before a member existed loads with that member unset.  The
 * agent's schedule (agent/schedule.h) is the one reader and writer.
 */
#ifndef CERTKEEPER_STORE_SCHEDULE_H
#define CERTKEEPER_STORE_SCHEDULE_H

#include <time.h>

struct ck_store;

#define CK_SCHED_FAILURES_MAX	1000000	/* consecutive failures counted; more stay at this */
#define CK_SCHED_SERIAL_MAX	64	/* a serial number in hex: 20 octets (RFC 5280) are 40 */
#define CK_SCHED_THUMB_LEN	43	/* a JWK thumbprint: base64url of a SHA-256, no padding */
#define CK_SCHED_ARI_ID_MAX	256	/* bytes of an ARI certificate identifier */

struct ck_sched {
	long failures;		/* consecutive failed attempts, 0..CK_SCHED_FAILURES_MAX */
	time_t last_failure;	/* when the last of them ended; 0: none */
	time_t next_attempt;	/* no attempt before this (the backoff); 0: none */
	char thumbprint[CK_SCHED_THUMB_LEN + 1];	/* the account key's, "" until known */
	/*
	 * The renewal window the CA suggests for the installed certificate.
	 * Whoever stores it stores it for the installed certificate, and
	 * clears it when another is installed.
	 */
	char ari_id[CK_SCHED_ARI_ID_MAX + 1];	/* "base64url.base64url" (RFC 9773), "" none */
	time_t ari_start, ari_end;	/* the window, 0 when unknown; start <= end */
	time_t ari_chosen;		/* the time chosen in it to renew at; 0: none */
	time_t ari_next_fetch;		/* when to ask the CA again; 0: none */
	/*
	 * The serial (lower-case hex) of the installed certificate whose
	 * expiring-soon, and whose expired, event was announced, so that each
	 * is announced once per certificate (telemetry/events.h); "" none.
	 */
	char warned_expiring[CK_SCHED_SERIAL_MAX + 1];
	char warned_expired[CK_SCHED_SERIAL_MAX + 1];
};

/* Makes "no state": nothing failed, nothing known. */
void ck_sched_init(struct ck_sched *sc);

/* Clears the ARI members of sc. */
void ck_sched_clear_ari(struct ck_sched *sc);

/*
 * Saves name's schedule, atomically.  Refuses (-1, nothing written) what
 * it would not read back: failures out of range, a thumbprint or ARI id
 * not of their form, an ARI window that ends before it starts, a time that
 * RFC 3339 cannot hold.
 */
int ck_store_save_schedule(struct ck_store *st, const char *name, const struct ck_sched *sc);

/*
 * Reads name's schedule back as untrusted input: every member
 * type-checked and checked as the saver checks it.  Returns 0 (*sc "no
 * state" when there is no file) or -1 when the file is unreadable or
 * corrupt (reported, naming it and the member); *sc is then "no state"
 * too, so that a caller may go on.
 */
int ck_store_load_schedule(struct ck_store *st, const char *name, struct ck_sched *sc);

#endif
