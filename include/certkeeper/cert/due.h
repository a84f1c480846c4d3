/*
 * cert/due.h: when a certificate becomes due for renewal.
 */
#ifndef CERTKEEPER_CERT_DUE_H
#define CERTKEEPER_CERT_DUE_H

#include <time.h>
#include "certkeeper/config/config.h"

/*
 * The moment the certificate [not_before, not_after] becomes due under
 * cc's renew_before: not_after minus the share of the lifetime, or minus
 * the duration (never before not_before).
 */
time_t ck_renew_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after);

/* Non-zero when due at now. */
int ck_renew_is_due(const struct ck_cert_config *cc, time_t not_before, time_t not_after,
    time_t now);

#endif
