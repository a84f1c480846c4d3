/*
 * util/time.h: RFC 3339 UTC timestamps, as certkeeper writes them in state
 * files, status and logs ("2026-11-25T17:07:26Z"), and RFC 3339 times as
 * servers write them (fractions of a second, offsets from UTC).
 */
#ifndef CERTKEEPER_UTIL_TIME_H
#define CERTKEEPER_UTIL_TIME_H

#include <stddef.h>
#include <time.h>

/* Formats t into buf (>= 21 bytes; "?" if t cannot be represented). */
void ck_time_rfc3339(time_t t, char *buf, size_t len);

/*
 * Parses exactly "YYYY-MM-DDTHH:MM:SSZ" into *t.  Returns 0, or -1 (not
 * reported) for any other text or an out-of-range field.
 */
int ck_time_parse_rfc3339(const char *s, time_t *t);

/*
 * Parses any RFC 3339 date-time (section 5.6: "T" or "t", optional
 * fraction, "Z", "z" or +HH:MM / -HH:MM, second 60 after minute 59 only)
 * into *t, rounded down to the second.  Returns 0, or -1 (not reported).
 */
int ck_time_parse_rfc3339_any(const char *s, time_t *t);

#endif
