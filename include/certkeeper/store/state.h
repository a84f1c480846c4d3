/*
 * store/state.h: what certkeeper remembers about each certificate between
 * runs, in STATE_DIR/certs/NAME/status.json (0600): the last attempt.
 */
#ifndef CERTKEEPER_STORE_STATE_H
#define CERTKEEPER_STORE_STATE_H

#include <time.h>

struct ck_store;

struct ck_attempt {
	time_t when;		/* 0: never attempted */
	char *result;		/* "success", "failure" (malloc'd) or NULL */
	char *error;		/* error text or NULL */
};

/* Records how the last attempt at name went, atomically, for status and the next run. */
int ck_store_save_attempt(struct ck_store *st, const char *name, const struct ck_attempt *a);
/* Reads name's last attempt back.  Returns 0 (a zeroed if never attempted) or -1. */
int ck_store_load_attempt(struct ck_store *st, const char *name, struct ck_attempt *a);
/* Frees a's strings and zeroes it; NULL is fine. */
void ck_attempt_clear(struct ck_attempt *a);

#endif
