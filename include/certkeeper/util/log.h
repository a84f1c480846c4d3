/*
 * util/log.h: messages to the operator, and the error-reporting convention.
 *
 * Every function in certkeeper returns a status (0 on success, -1 on
 * failure unless its contract says otherwise).  The function that sees a
 * failure reports it once with ck_error*(), naming the failed call and its
 * context; callers add context only when it says something new.
 *
 * A report goes to stderr and to the error sink, if one is set: the
 * renewal session sets one to build the outcome of an attempt (its error
 * text, its class, the CA's problem type and Retry-After).  A reporter that
 * knows the class of a failure (the transport knows a TLS failure from a
 * refused connection, the ACME client knows a CA's problem) says so; the
 * others leave it to the sink's default for the step under way.
 *
 * Every line written is sanitized here, whatever its source: no byte
 * outside printable ASCII reaches the terminal or the journal.
 */
#ifndef CERTKEEPER_UTIL_LOG_H
#define CERTKEEPER_UTIL_LOG_H

#include <stddef.h>

enum ck_log_level {
	CK_LOG_ERROR = 0,
	CK_LOG_WARN = 1,
	CK_LOG_INFO = 2,	/* default */
	CK_LOG_DEBUG = 3	/* -v */
};

#define CK_PRINTF(a, b) __attribute__((format(printf, a, b)))

void ck_log_set_level(int level);

/* Non-zero when stderr is the journal stream systemd set up (JOURNAL_STREAM). */
int ck_log_to_journal(void);

/* Writes "certkeeper: LEVEL: message" to stderr when level is enabled. */
void ck_log(int level, const char *fmt, ...) CK_PRINTF(2, 3);

#define ck_warn(...) ck_log(CK_LOG_WARN, __VA_ARGS__)
#define ck_info(...) ck_log(CK_LOG_INFO, __VA_ARGS__)
#define ck_debug(...) ck_log(CK_LOG_DEBUG, __VA_ARGS__)

/* What a failure was about; CK_ERR_NONE: the reporter did not say. */
enum ck_error_class {
	CK_ERR_NONE = 0,
	CK_ERR_CONFIG,		/* the configuration cannot work */
	CK_ERR_NETWORK,		/* no answer: DNS, refused, reset, timed out */
	CK_ERR_TLS,		/* the TLS handshake or the CA's certificate failed */
	CK_ERR_CA,		/* the CA answered with a problem or nonsense */
	CK_ERR_VALIDATION,	/* the CA could not validate a challenge */
	CK_ERR_TPM,		/* the TPM refused or is unreachable */
	CK_ERR_STORE,		/* reading or writing local state failed */
	CK_ERR_CHECK,		/* what the CA sent failed our checks */
	CK_ERR_HOOK,		/* a deploy or verify hook failed */
	CK_ERR_INTERRUPTED,	/* a stop was requested */
	CK_ERR_INTERNAL		/* out of memory, a library failure */
};

/* "config", "network", "tls", "ca", ...; "" for CK_ERR_NONE. */
const char *ck_error_class_name(enum ck_error_class c);
/* The class named name (as ck_error_class_name gives), or -1. */
int ck_error_class_parse(const char *name);

struct ck_error_report {
	enum ck_error_class cls;
	const char *problem;	/* short ACME problem type ("rateLimited"), or NULL */
	long retry_after;	/* seconds the CA asked to wait, or -1 */
	const char *text;	/* the message, sanitized */
};

/* Receives every error reported while it is set (NULL unsets). */
typedef void (*ck_error_sink)(void *ctx, const struct ck_error_report *r);
void ck_log_set_error_sink(ck_error_sink sink, void *ctx);

/* Reports an error. */
void ck_error(const char *fmt, ...) CK_PRINTF(1, 2);
/* Same, saying what the failure was about. */
void ck_error_as(enum ck_error_class cls, const char *fmt, ...) CK_PRINTF(2, 3);
/* Same, for a problem document from the CA (class CK_ERR_CA unless cls says otherwise). */
void ck_error_problem(enum ck_error_class cls, const char *problem, long retry_after,
    const char *fmt, ...) CK_PRINTF(4, 5);
/* Same as ck_error, with ": " and the decoded OpenSSL error queue appended (queue cleared). */
void ck_error_ssl(const char *fmt, ...) CK_PRINTF(1, 2);
/* Same as ck_error, with ": " and strerror(errno) appended. */
void ck_error_errno(const char *fmt, ...) CK_PRINTF(1, 2);

/*
 * The last error reported (empty string if none), and forgetting it: for
 * the unit tests only.  The agent learns of errors through its sink.
 */
const char *ck_last_error(void);
void ck_clear_error(void);

/*
 * Copies at most srclen bytes of untrusted text (server output) into dst,
 * replacing every byte outside printable ASCII with '?', and truncating
 * to dstlen-1 bytes.  dst is always NUL-terminated (dstlen > 0).
 */
void ck_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
