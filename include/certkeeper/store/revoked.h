/*
 * store/revoked.h: the revocation of an installed certificate, in
 * STATE_DIR/certs/NAME/revoked.json (0600): its serial, when it was
 * revoked and the reason code.  The plan (agent/schedule.h) makes a
 * certificate whose installed serial is recorded here due at once; the
 * record is read fail-closed like the other records and means nothing once
 * another certificate is installed.
 */
#ifndef CERTKEEPER_STORE_REVOKED_H
#define CERTKEEPER_STORE_REVOKED_H

#include <time.h>

struct ck_store;

#define CK_REVOKED_SERIAL_MAX	64	/* hex digits of a serial (RFC 5280: 20 octets) */

struct ck_revoked {
	char serial[CK_REVOKED_SERIAL_MAX + 1];	/* lower-case hex, as cert/check.h gives it */
	time_t when;
	int reason;				/* RFC 5280 reason code */
};

/* Records the revocation, atomically; refuses a serial that is not lower-case hex. */
int ck_store_save_revoked(struct ck_store *st, const char *name, const struct ck_revoked *r);

/* Reads it back: 0, 1 when there is none (not reported), -1 when corrupt (reported). */
int ck_store_load_revoked(struct ck_store *st, const char *name, struct ck_revoked *r);

#endif
