/*
 * util/log.c: operator messages and the last-error record (see util/log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "certkeeper/util/log.h"

static int log_level = CK_LOG_INFO;
static char last_error[1024];

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
ck_log_set_level(int level)
{
	if (level < CK_LOG_ERROR)
		level = CK_LOG_ERROR;
	if (level > CK_LOG_DEBUG)
		level = CK_LOG_DEBUG;
	log_level = level;
}

static void
vlog(int level, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level <= log_level)
		fprintf(stderr, "certkeeper: %s: %s\n", level_names[level], msg);
}

void
ck_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* Records and prints msg followed by suffix (may be empty). */
static void
report(const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A message longer than the record is cut: the start names the failure. */
	if (snprintf(last_error, sizeof(last_error), "%s%s%s", msg, *suffix ? ": " : "",
	    suffix) >= (int)sizeof(last_error))
		last_error[sizeof(last_error) - 2] = '~';
	ck_log(CK_LOG_ERROR, "%s", last_error);
}

void
ck_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(fmt, ap, "");
	va_end(ap);
}

void
ck_error_errno(const char *fmt, ...)
{
	va_list ap;
	const char *why = strerror(errno);

	va_start(ap, fmt);
	report(fmt, ap, why);
	va_end(ap);
}

void
ck_error_ssl(const char *fmt, ...)
{
	char why[512] = "", one[256];
	unsigned long e;
	size_t used = 0;
	va_list ap;

	/* Oldest first: the first entry usually names the real cause. */
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, one, sizeof(one));
		used += (size_t)snprintf(why + used, used < sizeof(why) ? sizeof(why) - used : 0,
		    "%s%s", used ? "; " : "", one);
		if (used >= sizeof(why))
			break;
	}
	ERR_clear_error();
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "no OpenSSL error recorded");
	va_start(ap, fmt);
	report(fmt, ap, why);
	va_end(ap);
}

const char *
ck_last_error(void)
{
	return last_error;
}

void
ck_clear_error(void)
{
	last_error[0] = '\0';
}

void
ck_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; i < srclen && i + 1 < dstlen && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
}
