/*
 * store/state.h: what certkeeper remembers about each certificate between
 * runs, in STATE_DIR/certs/NAME/status.json (0600).
 *
 * Today that is the outcome of the last attempt.  The file is one JSON
 * object whose members are checked one by one and whose unknown members
 * are ignored, so it can grow (failure count, next attempt, resume state,
 * renewal window) without breaking an older reader; records written
 * before a member existed load with that member unset.
 */
#ifndef CERTKEEPER_STORE_STATE_H
#define CERTKEEPER_STORE_STATE_H

#include <time.h>

struct ck_store;

#define CK_ATTEMPT_TEXT_MAX	1024	/* bytes kept of problem and error */
#define CK_ATTEMPT_RETRY_MAX	86400	/* longest retry_after kept, in seconds */

/* The outcome of the last attempt at a certificate.  Strings are malloc'd when loaded. */
struct ck_attempt {
	time_t when;		/* 0: never attempted */
	char *result;		/* "success", "failure", "interrupted", "rolled-back" or NULL */
	char *error_class;	/* NULL, or one of: "config", "network", "tls", "ca",
				 * "validation", "tpm", "store", "check", "hook",
				 * "interrupted", "internal" */
	char *problem;		/* short ACME problem type, e.g. "rateLimited", or NULL */
	char *error;		/* error text or NULL */
	long retry_after;	/* seconds the CA asked to wait, -1 when none */
	char *serial;		/* on success: the new certificate's serial (hex) */
	time_t not_before, not_after;	/* on success, else 0 */
};

/* Makes a "no record" (retry_after -1, the rest 0 or NULL): where a record to save starts. */
void ck_attempt_init(struct ck_attempt *a);

/*
 * Records how the last attempt at name went, atomically, for status and
 * for the next run.  Refuses (-1, nothing written) what it would not read
 * back: a result or error class not listed above, a serial that is not
 * hex.  problem and error are made printable (newlines and tabs kept) and
 * cut to CK_ATTEMPT_TEXT_MAX bytes; retry_after is capped at
 * CK_ATTEMPT_RETRY_MAX, and any negative value means none.
 */
int ck_store_save_attempt(struct ck_store *st, const char *name, const struct ck_attempt *a);

/*
 * Reads name's last attempt back as untrusted input: every member
 * type-checked, words only from the lists above, text made printable and
 * cut as when saving, times as the store writes them, retry_after from 0
 * to CK_ATTEMPT_RETRY_MAX.  Returns 0 (*a "no record" when never
 * attempted) or -1 when the file is unreadable or corrupt (reported,
 * naming it); *a is then "no record" too, so that a caller may go on.
 */
int ck_store_load_attempt(struct ck_store *st, const char *name, struct ck_attempt *a);

/* Frees a's strings and makes it "no record" again; NULL is fine. */
void ck_attempt_clear(struct ck_attempt *a);

#endif
