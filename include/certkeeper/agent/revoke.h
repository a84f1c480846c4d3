/*
 * agent/revoke.h: revoking the installed certificate of a [cert:NAME]:
 * signed with the account key, or with the certificate's own key when
 * there is no usable account (none stored, or the CA refuses it as
 * deactivated); the revocation is recorded (store/revoked.h) so that
 * `status` shows it and the next renewal replaces the certificate at once.
 */
#ifndef CERTKEEPER_AGENT_REVOKE_H
#define CERTKEEPER_AGENT_REVOKE_H

#include <time.h>

#include "certkeeper/agent/session.h"
#include "certkeeper/config/config.h"

/*
 * Revokes cc's installed certificate with reason (an RFC 5280 code that
 * acme/revoke.h accepts) and records it.  Returns 0, or -1 (reported;
 * nothing recorded).
 */
int ck_revoke_installed(struct ck_session *s, const struct ck_cert_config *cc, int reason);

/*
 * The lifecycle event of a revocation, once recorded: the "revoked" event
 * (telemetry/events.h) with the serial, end and reason of the certificate.
 */
void ck_revoke_event(struct ck_session *s, const struct ck_cert_config *cc, const char *serial,
    time_t not_after, int reason);

#endif
