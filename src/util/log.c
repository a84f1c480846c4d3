/*
 * util/log.c: operator messages, sanitized, and error reports to the sink
 * (see util/log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "certkeeper/util/log.h"

static int log_level = CK_LOG_INFO;
static char last_error[1024];
static ck_error_sink error_sink;
static void *error_sink_ctx;

static const char *const class_names[] = {
	"", "config", "network", "tls", "ca", "validation", "tpm", "store", "check", "hook",
	"interrupted", "internal"
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };
/* syslog(3) priorities of the levels: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int level_prio[] = { 3, 4, 6, 7 };
static int to_journal = -1;	/* stderr is a journald stream: unknown yet */

/*
 * Whether stderr is the journal stream systemd set up for us: JOURNAL_STREAM
 * names its device and inode (systemd.exec(5)), and it must still be fd 2.
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int
ck_log_to_journal(void)
{
	if (to_journal < 0)
		to_journal = stderr_is_journal();
	return to_journal;
}

void
ck_log_set_level(int level)
{
	if (level < CK_LOG_ERROR)
		level = CK_LOG_ERROR;
	if (level > CK_LOG_DEBUG)
		level = CK_LOG_DEBUG;
	log_level = level;
}

static void vlog(int level, const char *fmt, va_list ap) CK_PRINTF(2, 0);
static void
vlog(int level, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* In place: whatever a message quotes, only printable ASCII goes out. */
	ck_sanitize(msg, sizeof(msg), msg, sizeof(msg));
	/* journald reads the "<N>" prefix as the priority and adds the identifier itself. */
	if (ck_log_to_journal())
		fprintf(stderr, "<%d>%s: %s\n", level_prio[level], level_names[level], msg);
	else
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

const char *
ck_error_class_name(enum ck_error_class c)
{
	if ((size_t)c >= sizeof(class_names) / sizeof(class_names[0]))
		return "internal";
	return class_names[c];
}

int
ck_error_class_parse(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(class_names) / sizeof(class_names[0]); i++)
		if (strcmp(name, class_names[i]) == 0)
			return (int)i;
	return -1;
}

void
ck_log_set_error_sink(ck_error_sink sink, void *ctx)
{
	error_sink = sink;
	error_sink_ctx = ctx;
}

/* Records, prints and hands to the sink msg followed by suffix (may be empty). */
static void report(struct ck_error_report *r, const char *fmt, va_list ap, const char *suffix)
    CK_PRINTF(2, 0);
static void
report(struct ck_error_report *r, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A message longer than the record is cut: the start names the failure. */
	if (snprintf(last_error, sizeof(last_error), "%s%s%s", msg, *suffix ? ": " : "",
	    suffix) >= (int)sizeof(last_error))
		last_error[sizeof(last_error) - 2] = '~';
	ck_sanitize(last_error, sizeof(last_error), last_error, sizeof(last_error));
	ck_log(CK_LOG_ERROR, "%s", last_error);
	if (error_sink != NULL) {
		r->text = last_error;
		error_sink(error_sink_ctx, r);
	}
}

void
ck_error(const char *fmt, ...)
{
	struct ck_error_report r = { CK_ERR_NONE, NULL, -1, NULL };
	va_list ap;

	va_start(ap, fmt);
	report(&r, fmt, ap, "");
	va_end(ap);
}

void
ck_error_as(enum ck_error_class cls, const char *fmt, ...)
{
	struct ck_error_report r = { cls, NULL, -1, NULL };
	va_list ap;

	va_start(ap, fmt);
	report(&r, fmt, ap, "");
	va_end(ap);
}

void
ck_error_problem(enum ck_error_class cls, const char *problem, long retry_after,
    const char *fmt, ...)
{
	struct ck_error_report r = { cls != CK_ERR_NONE ? cls : CK_ERR_CA, NULL, retry_after, NULL };
	char safe[64];
	va_list ap;

	if (problem != NULL) {
		ck_sanitize(safe, sizeof(safe), problem, SIZE_MAX);
		r.problem = safe;
	}
	va_start(ap, fmt);
	report(&r, fmt, ap, "");
	va_end(ap);
}

void
ck_error_errno(const char *fmt, ...)
{
	va_list ap;
	struct ck_error_report r = { CK_ERR_NONE, NULL, -1, NULL };
	const char *why = strerror(errno);

	va_start(ap, fmt);
	report(&r, fmt, ap, why);
	va_end(ap);
}

void
ck_error_ssl(const char *fmt, ...)
{
	struct ck_error_report r = { CK_ERR_NONE, NULL, -1, NULL };
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
	report(&r, fmt, ap, why);
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
