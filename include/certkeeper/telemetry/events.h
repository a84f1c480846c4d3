/*
 * telemetry/events.h: one structured line per lifecycle event of a
 * certificate, for the operator and for the journal.
 *
 * A line reads "event=KIND cert=NAME serial=HEX not_after=RFC3339
 * error=\"...\"" (logfmt: a value with a space, a quote or a backslash is
 * quoted, quotes and backslashes escaped; an unknown field is left out).
 * With libsystemd the event also goes to journald with a fixed MESSAGE_ID
 * per kind and CERTKEEPER_EVENT, CERTKEEPER_CERT, CERTKEEPER_SERIAL,
 * CERTKEEPER_NOT_AFTER, CERTKEEPER_ERROR, CERTKEEPER_ERROR_CLASS,
 * CERTKEEPER_PROBLEM and CERTKEEPER_REASON fields, so that `journalctl MESSAGE_ID=...` finds
 * every event of a kind.  When stderr is itself the journal (a systemd
 * unit), the event is sent once, as the structured entry.
 *
 * The text fields are sanitized here, whatever the caller passes.
 */
#ifndef CERTKEEPER_TELEMETRY_EVENTS_H
#define CERTKEEPER_TELEMETRY_EVENTS_H

#include <stddef.h>
#include <time.h>

enum ck_event_kind {
	CK_EVENT_RENEWED,		/* a new certificate is installed and deployed */
	CK_EVENT_RENEWAL_FAILED,	/* an attempt failed; the installed one is unchanged */
	CK_EVENT_EXPIRING_SOON,		/* less than warn_before is left of the installed one */
	CK_EVENT_EXPIRED,		/* the installed certificate's validity has ended */
	CK_EVENT_ROLLED_BACK,		/* a verify hook failed: the previous set is back */
	CK_EVENT_DEPLOY_FAILED,		/* installed, but its deploy hook failed (retried) */
	CK_EVENT_REVOKED,		/* the CA revoked it at our request */
	CK_EVENT_NKINDS
};

struct ck_event {
	enum ck_event_kind kind;
	const char *cert;		/* the [cert:NAME] */
	const char *serial;		/* the certificate's serial in hex, or NULL/"" */
	time_t not_after;		/* its end; 0: unknown */
	const char *error;		/* what went wrong, or NULL/"" */
	const char *error_class;	/* its class (util/log.h names), or NULL/"" */
	const char *problem;		/* the CA's short problem type, or NULL/"" */
	const char *reason;		/* revoked: the RFC 5280 reason name, or NULL/"" */
};

/* "renewed", "renewal-failed", "expiring-soon", "expired", "rolled-back", ... */
const char *ck_event_name(enum ck_event_kind k);
/* The journal MESSAGE_ID of kind k: 32 lower-case hex digits. */
const char *ck_event_message_id(enum ck_event_kind k);

/*
 * Formats e's line (without the "certkeeper: LEVEL: " of the log) into buf;
 * a line longer than len is cut.  Returns buf.
 */
const char *ck_event_format(const struct ck_event *e, char *buf, size_t len);

/* Announces e: the line at its kind's log level, and the journal entry. */
void ck_event_emit(const struct ck_event *e);

#endif
