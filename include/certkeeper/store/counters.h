/*
 * store/counters.h: what each certificate's attempts came to, counted
 * across runs and restarts, in STATE_DIR/certs/NAME/counters.json (0600):
 * attempts by result, the CA's errors by problem type, the last success.
 * The metrics (telemetry/metrics.h) and `status` read them.  What the
 * agent did for all certificates together (HTTP requests, TPM commands,
 * TLS failures towards the CA by reason) is counted the same way in
 * STATE_DIR/counters.json.
 *
 * As schedule.json (store/schedule.h): one JSON object whose members are
 * checked one by one and whose unknown members are ignored; a file that is
 * not what the saver writes is reported and its counters read as zeros.
 */
#ifndef CERTKEEPER_STORE_COUNTERS_H
#define CERTKEEPER_STORE_COUNTERS_H

#include <jansson.h>

#include <time.h>

struct ck_store;

/* A count stops here (2^53: a double, as Prometheus holds it, keeps it exact). */
#define CK_COUNTER_MAX		9007199254740992LL
/* Problem types counted apart; the CA's further ones are counted as CK_COUNTERS_OTHER. */
#define CK_COUNTERS_TYPES_MAX	32
#define CK_COUNTERS_TYPE_LEN	63	/* bytes of a short ACME problem type */
#define CK_COUNTERS_OTHER	"other"

struct ck_counters {
	long long success;	/* attempts by result (an interrupted one is not counted) */
	long long failure;
	long long rolled_back;
	time_t last_success;	/* when the last successful attempt ended; 0: never */
	size_t ntypes;
	struct {
		char type[CK_COUNTERS_TYPE_LEN + 1];	/* printable ASCII, not empty */
		long long n;
	} errors[CK_COUNTERS_TYPES_MAX];	/* the CA's problems, in the order first seen */
};

/* Reasons of TLS failures counted apart (net/http.h has five). */
#define CK_COUNTERS_REASONS_MAX	8
#define CK_COUNTERS_REASON_LEN	15	/* bytes of a reason: lower-case letters and '_' */

struct ck_agent_counters {
	long long http_requests;	/* requests sent to the CA */
	long long tpm_commands;		/* commands sent to the TPM */
	size_t nreasons;
	struct {
		char reason[CK_COUNTERS_REASON_LEN + 1];
		long long n;
	} tls_failures[CK_COUNTERS_REASONS_MAX];	/* in the order first seen */
};

/* Makes "nothing counted". */
void ck_counters_init(struct ck_counters *c);

/*
 * Counts one ACME error of the short problem type (made printable, cut to
 * CK_COUNTERS_TYPE_LEN bytes; an empty one is not counted).  Once
 * CK_COUNTERS_TYPES_MAX - 1 types are kept, new ones count as
 * CK_COUNTERS_OTHER, so that a CA cannot grow the file without bound.
 */
void ck_counters_add_error(struct ck_counters *c, const char *type);

/* Adds one to *n, which stays at CK_COUNTER_MAX. */
void ck_counter_bump(long long *n);

/*
 * Saves name's counters, atomically.  Refuses (-1, nothing written) what
 * it would not read back: a count outside 0..CK_COUNTER_MAX, a type not
 * of its form, a type twice.
 */
int ck_store_save_counters(struct ck_store *st, const char *name, const struct ck_counters *c);

/*
 * Reads name's counters back as untrusted input, each member checked as
 * the saver checks it.  Returns 0 (*c "nothing counted" when there is no
 * file) or -1 when the file is unreadable or corrupt (reported, naming it
 * and the member); *c is then "nothing counted" too, so that a caller may
 * go on.
 */
int ck_store_load_counters(struct ck_store *st, const char *name, struct ck_counters *c);

/* Makes "nothing counted". */
void ck_agent_counters_init(struct ck_agent_counters *c);

/*
 * Adds n TLS failures of reason (1..CK_COUNTERS_REASON_LEN bytes of
 * [a-z_]); -1 (nothing added, not reported) for a reason not of that form
 * or when CK_COUNTERS_REASONS_MAX reasons are kept already.
 */
int ck_agent_counters_add_tls(struct ck_agent_counters *c, const char *reason, long long n);

/* Adds n to *count, which stays at CK_COUNTER_MAX. */
void ck_counter_add(long long *count, long long n);

/* Saves and reads back STATE_DIR/counters.json, as the per-certificate counters. */
int ck_store_save_agent_counters(struct ck_store *st, const struct ck_agent_counters *c);
int ck_store_load_agent_counters(struct ck_store *st, struct ck_agent_counters *c);

/* c's TLS failures as a JSON object {REASON: N} (new reference), or NULL (out of memory). */
json_t *ck_agent_counters_tls_json(const struct ck_agent_counters *c);

/* The CA's errors counted in c as a JSON object {TYPE: N} (new reference), or NULL (out of memory). */
json_t *ck_counters_errors_json(const struct ck_counters *c);

#endif
