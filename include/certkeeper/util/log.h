/*
 * util/log.h: messages to the operator, and the error-reporting convention.
 *
 * Every function in certkeeper returns a status (0 on success, -1 on
 * failure unless its contract says otherwise).  The function that sees a
 * failure reports it once with ck_error*(), naming the failed call and its
 * context; callers add context only when it says something new.  The text
 * of the most recent error is kept so that the renewal pass can record it
 * as the certificate's last_error.
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

/* Writes "certkeeper: LEVEL: message" to stderr when level is enabled. */
void ck_log(int level, const char *fmt, ...) CK_PRINTF(2, 3);

#define ck_warn(...) ck_log(CK_LOG_WARN, __VA_ARGS__)
#define ck_info(...) ck_log(CK_LOG_INFO, __VA_ARGS__)
#define ck_debug(...) ck_log(CK_LOG_DEBUG, __VA_ARGS__)

/* Reports an error and remembers it as the last error. */
void ck_error(const char *fmt, ...) CK_PRINTF(1, 2);
/* Same, with ": " and the decoded OpenSSL error queue appended (queue cleared). */
void ck_error_ssl(const char *fmt, ...) CK_PRINTF(1, 2);
/* Same, with ": " and strerror(errno) appended. */
void ck_error_errno(const char *fmt, ...) CK_PRINTF(1, 2);

/* The last error reported (empty string if none); ck_clear_error() forgets it. */
const char *ck_last_error(void);
void ck_clear_error(void);

/*
 * Copies at most srclen bytes of untrusted text (server output) into dst,
 * replacing every byte outside printable ASCII with '?', and truncating
 * to dstlen-1 bytes.  dst is always NUL-terminated (dstlen > 0).
 */
void ck_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
