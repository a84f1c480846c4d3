/*
 * agent/renew.h: renewing one certificate over a session: getting,
 * checking and installing a new version, and recording the outcome of the
 * attempt.
 */
#ifndef CERTKEEPER_AGENT_RENEW_H
#define CERTKEEPER_AGENT_RENEW_H

#include <time.h>
#include "certkeeper/agent/outcome.h"
#include "certkeeper/agent/session.h"

/*
 * Gets a new certificate for cc, checks that it is ours, for our names and
 * valid now, installs it and runs its hooks (agent/deploy.h).  Fills *o
 * (success with the serial and validity, or the failure with its class);
 * on failure nothing installed changes, but for a failed deploy hook (the
 * new certificate stays, its deploy pending) and a failed verify hook
 * (rolled back to the previous version).  Returns 0 on success, -1
 * otherwise.
 */
int ck_renew_cert(struct ck_session *s, const struct ck_cert_config *cc, struct ck_outcome *o);

/* Saves o as cc's last attempt, for `status`. */
int ck_renew_record(struct ck_session *s, const char *name, const struct ck_outcome *o);

#endif
