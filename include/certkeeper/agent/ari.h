/*
 * agent/ari.h: ACME Renewal Information (RFC 9773) for the agent: keeping
 * the CA's suggested renewal window of each installed certificate, and the
 * time chosen in it, in the certificate's schedule.  The plan
 * (agent/schedule.h) renews at that time; the order names the certificate
 * it replaces.
 *
 * The window is asked for right after an installation (over the
 * connection the renewal used) and then again when the CA's Retry-After
 * says; a CA without renewalInfo is asked again a day later.  After a
 * failure or a malformed reply no window is known (the lifetime rule
 * applies) and the CA is asked again in six hours.
 */
#ifndef CERTKEEPER_AGENT_ARI_H
#define CERTKEEPER_AGENT_ARI_H

#include <stdint.h>
#include <time.h>
#include "certkeeper/acme/ari.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/store/schedule.h"

/* Seconds before a CA without renewalInfo is asked again. */
#define CK_ARI_NONE_RECHECK 86400

/*
 * Takes a fetched window into sc for the certificate id at now: a new or
 * moved window gets a new time chosen uniformly in it (start + rnd * (end -
 * start) / 2^32), an unchanged one keeps its choice; the next fetch is
 * Retry-After from now.  Pure: the random value is an argument.
 */
void ck_ari_take_window(struct ck_sched *sc, const char *id, const struct ck_ari_window *w,
    time_t now, uint32_t rnd);

/*
 * Refreshes cc's renewal window if it is time to, saving it in cc's
 * schedule, and returns in *next when to ask again (0: never, e.g. a
 * certificate without an ARI identifier).  Connects to the CA only when a
 * fetch is due.  Failures are logged as warnings and never fail the
 * caller: the lifetime rule still applies.
 */
void ck_ari_refresh(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    time_t *next);

/*
 * Asks the CA for the window of the certificate cc just installed and
 * takes it into sc, which the caller saves; *next as for ck_ari_refresh.
 * Failures as for ck_ari_refresh.
 */
void ck_ari_after_install(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_sched *sc, time_t *next);

/*
 * The ARI identifier of cc's installed certificate, for `replaces`
 * (malloc'd), or NULL when the CA has no renewalInfo or the certificate
 * has no identifier.
 */
char *ck_ari_replaces(struct ck_session *s, const struct ck_cert_config *cc,
    struct ck_acme *acme);

#endif
