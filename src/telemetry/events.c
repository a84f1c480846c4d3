/*
 * telemetry/events.c: lifecycle events as log lines and journal entries
 * (see telemetry/events.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "certkeeper/telemetry/events.h"
#include "certkeeper/util/libsystemd.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* Longest error text an event carries; the attempt record keeps the whole of it. */
#define EVENT_ERROR_MAX	512

struct kind_def {
	const char *name;
	const char *message_id;		/* fixed forever: operators' queries and alerts use it */
	int level;			/* util/log.h level of its line */
	int priority;			/* syslog priority of its journal entry */
};

static const struct kind_def kinds[CK_EVENT_NKINDS] = {
	{ "renewed", "4ccb8eb7835a497c994ebf4ce3c5774f", CK_LOG_INFO, 5 },
	{ "renewal-failed", "c68ce1e5eb8f4bfdb1a06d0ca9bcdf68", CK_LOG_ERROR, 3 },
	{ "expiring-soon", "a2418ec27974420ea4ee82715867b906", CK_LOG_WARN, 4 },
	{ "expired", "da36e3ce85334a6691850241243559d9", CK_LOG_ERROR, 2 },
	{ "rolled-back", "2c6af920df864c3dbf15c57cdaf8792d", CK_LOG_ERROR, 3 },
	{ "deploy-failed", "318435bc29d84eaf8780849693793a0e", CK_LOG_ERROR, 3 },
	{ "revoked", "a88281dd90914e739b9e814ac94e53ae", CK_LOG_WARN, 4 },
};

const char *
ck_event_name(enum ck_event_kind k)
{
	return (unsigned)k < CK_EVENT_NKINDS ? kinds[k].name : "unknown";
}

const char *
ck_event_message_id(enum ck_event_kind k)
{
	return (unsigned)k < CK_EVENT_NKINDS ? kinds[k].message_id : "";
}

/* The fields of e, sanitized: name=value pairs in the order of the line. */
struct fields {
	const char *key[8];		/* logfmt key; the journal field is CERTKEEPER_ + upper case */
	char val[8][EVENT_ERROR_MAX];
	size_t n;
};

static void
add_field(struct fields *f, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	f->key[f->n] = key;
	ck_sanitize(f->val[f->n], sizeof(f->val[f->n]), value, strlen(value));
	f->n++;
}

static void
collect(const struct ck_event *e, struct fields *f)
{
	char when[32] = "";

	f->n = 0;
	add_field(f, "event", ck_event_name(e->kind));
	add_field(f, "cert", e->cert);
	add_field(f, "serial", e->serial);
	if (e->not_after != 0)
		ck_time_rfc3339(e->not_after, when, sizeof(when));
	add_field(f, "not_after", when);
	add_field(f, "error_class", e->error_class);
	add_field(f, "problem", e->problem);
	add_field(f, "reason", e->reason);
	add_field(f, "error", e->error);
}

/* Appends s to buf (len bytes, *used so far), quoted when logfmt needs it. */
static void
append_value(char *buf, size_t len, size_t *used, const char *s)
{
	int quote = s[strcspn(s, " \"\\=")] != '\0';
	size_t u = *used;

	if (quote && u + 1 < len)
		buf[u++] = '"';
	for (; *s != '\0' && u + 2 < len; s++) {
		if (quote && (*s == '"' || *s == '\\'))
			buf[u++] = '\\';
		buf[u++] = *s;
	}
	if (quote && u + 1 < len)
		buf[u++] = '"';
	buf[u] = '\0';
	*used = u;
}

const char *
ck_event_format(const struct ck_event *e, char *buf, size_t len)
{
	struct fields f;
	size_t i, used = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	collect(e, &f);
	for (i = 0; i < f.n; i++) {
		n = snprintf(buf + used, len - used, "%s%s=", i > 0 ? " " : "", f.key[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
		append_value(buf, len, &used, f.val[i]);
	}
	return buf;
}

/* Sends e to journald as one entry; 0, or -1 when journald did not take it (or there is none). */
static int
to_journal(const struct ck_event *e, const char *line)
{
	const struct kind_def *k = &kinds[e->kind];
	char buf[4 + 8][EVENT_ERROR_MAX + 64];
	struct iovec iov[4 + 8];
	struct fields f;
	size_t i, j, n = 0;

	collect(e, &f);
	snprintf(buf[n++], sizeof(buf[0]), "MESSAGE=%s", line);
	snprintf(buf[n++], sizeof(buf[0]), "MESSAGE_ID=%s", k->message_id);
	snprintf(buf[n++], sizeof(buf[0]), "PRIORITY=%d", k->priority);
	snprintf(buf[n++], sizeof(buf[0]), "SYSLOG_IDENTIFIER=certkeeper");
	for (i = 0; i < f.n; i++) {
		char field[32];

		snprintf(field, sizeof(field), "CERTKEEPER_%s", f.key[i]);
		for (j = 0; field[j] != '\0'; j++)
			if (field[j] >= 'a' && field[j] <= 'z')
				field[j] = (char)(field[j] - 'a' + 'A');
		snprintf(buf[n++], sizeof(buf[0]), "%s=%s", field, f.val[i]);
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = strlen(buf[i]);
	}
	return ck_sd_journal_sendv(iov, (int)n) < 0 ? -1 : 0;
}

void
ck_event_emit(const struct ck_event *e)
{
	char line[1024];
	int sent = 0;

	if ((unsigned)e->kind >= CK_EVENT_NKINDS)
		return;
	ck_event_format(e, line, sizeof(line));
	sent = to_journal(e, line) == 0;
	/* Under systemd, stderr is the journal too: one entry is enough. */
	if (!(sent && ck_log_to_journal()))
		ck_log(kinds[e->kind].level, "%s", line);
}
