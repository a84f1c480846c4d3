/*
 * store/push.h: the last push of the metrics to the Pushgateway, in
 * STATE_DIR/certs/NAME/push.json (0600), NAME being [telemetry] push_cert,
 * whose certificate authenticates the push: when it last succeeded and
 * failed, how often it failed, and why it last failed.  The metrics and
 * `status` show it; the agent's push (agent/push.h) is its one writer.
 *
 * As counters.json (store/counters.h): one JSON object whose members are
 * checked one by one and whose unknown members are ignored; a file that is
 * not what the saver writes is reported and read as "never pushed".
 */
#ifndef CERTKEEPER_STORE_PUSH_H
#define CERTKEEPER_STORE_PUSH_H

#include <time.h>

struct ck_store;

#define CK_PUSH_ERROR_MAX	512	/* bytes of the last error kept */
#define CK_PUSH_FAILURES_MAX	9007199254740992LL	/* as CK_COUNTER_MAX */

struct ck_push_record {
	time_t last_success;	/* 0: never */
	time_t last_failure;	/* 0: never */
	long long failures;	/* failed pushes, ever (0..CK_PUSH_FAILURES_MAX) */
	long long consecutive;	/* failed pushes since the last success */
	char last_error[CK_PUSH_ERROR_MAX + 1];	/* printable ASCII; "" when none */
};

/* Makes "never pushed". */
void ck_push_record_init(struct ck_push_record *r);

/* Records a success at now: the consecutive failures and the last error are cleared. */
void ck_push_record_success(struct ck_push_record *r, time_t now);

/* Records a failure at now with its error (made printable and cut to CK_PUSH_ERROR_MAX). */
void ck_push_record_failure(struct ck_push_record *r, time_t now, const char *error);

/*
 * Saves name's push record, atomically.  Refuses (-1, nothing written)
 * what it would not read back: counts out of range, consecutive above
 * failures, an error that is not printable ASCII.
 */
int ck_store_save_push(struct ck_store *st, const char *name, const struct ck_push_record *r);

/*
 * Reads name's push record back as untrusted input.  Returns 0 (*r "never
 * pushed" when there is no file) or -1 when unreadable or corrupt
 * (reported, naming the file and the member; *r is then "never pushed").
 */
int ck_store_load_push(struct ck_store *st, const char *name, struct ck_push_record *r);

#endif
