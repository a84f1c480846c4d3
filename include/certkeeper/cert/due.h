/*
 * cert/due.h: when a certificate becomes due for renewal: by default when
 * a third of its lifetime is left (half of it for a lifetime of ten days
 * or less, as certbot and lego do for short-lived certificates), or at the
 * configured renew_before; in either case moved earlier by a jitter that
 * is fixed for each device and certificate, so that a fleet whose
 * certificates were issued together does not renew all at once.
 *
 * Everything here is pure arithmetic on the validity (and a hash for the
 * jitter), safe from overflow for any not_before < not_after a time_t holds.
 */
#ifndef CERTKEEPER_CERT_DUE_H
#define CERTKEEPER_CERT_DUE_H

#include <time.h>
#include "certkeeper/config/config.h"

/* The longest lifetime that is renewed at half of it, not at a third: ten days. */
#define CK_DUE_SHORT_LIFETIME	((time_t)10 * 86400)

/*
 * The default rule: not_after minus a third of the lifetime, or minus half
 * of it when the lifetime is CK_DUE_SHORT_LIFETIME or less (rounded so
 * that the time left is never more than the share).  not_after when the
 * certificate ends before it starts.
 */
time_t ck_due_lifetime(time_t not_before, time_t not_after);

/* Non-zero when cc sets renew_before (a share or a duration). */
int ck_due_has_renew_before(const struct ck_cert_config *cc);

/*
 * The moment the certificate [not_before, not_after] becomes due: under
 * cc's renew_before when set (not_after minus the share of the lifetime,
 * or minus the duration, never before not_before), else by the default
 * rule.  not_after when the certificate ends before it starts.
 */
time_t ck_renew_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after);

/*
 * When a certificate [not_before, not_after] is announced as expiring soon
 * (telemetry/events.h): not_after minus cc's warn_before (a share of the
 * lifetime or a duration, never before not_before), by default minus a
 * sixth of the lifetime, which the shipped alert rules also use.
 */
time_t ck_warn_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after);

/* Non-zero when due at now. */
int ck_renew_is_due(const struct ck_cert_config *cc, time_t not_before, time_t not_after,
    time_t now);

/* The jitter is at most the lifetime divided by this: a twentieth. */
#define CK_DUE_JITTER_DIVISOR	20

/*
 * The jitter of certificate name on the device whose ACME account key has
 * the JWK thumbprint thumb: from 0 to a twentieth of the lifetime of
 * [not_before, not_after] seconds, taken from SHA-256(thumb, NUL, name), so
 * the same for the same inputs on every run, and spread evenly over
 * devices and names.  0 for a certificate that ends before it starts.
 * Returns 0, or -1 (reported) when hashing fails.
 */
int ck_due_jitter(const char *thumb, const char *name, time_t not_before, time_t not_after,
    time_t *offset);

/* due moved earlier by offset seconds, but never before not_before. */
time_t ck_due_jittered(time_t due, time_t offset, time_t not_before);

#endif
