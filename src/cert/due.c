/*
 * cert/due.c: when a certificate becomes due for renewal (see cert/due.h).
 */
#include "certkeeper/cert/due.h"

/* Used only when cc carries neither a share nor a duration (the loader always sets one). */
#define FALLBACK_RENEW_PCT 33

time_t
ck_renew_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after)
{
	time_t lifetime, before;
	int pct = cc->renew_before_pct;

	/* A certificate that ends before it starts is of no use: due at once. */
	if (not_after <= not_before)
		return not_after;
	lifetime = not_after - not_before;
	if (cc->renew_before_secs > 0) {
		if ((time_t)cc->renew_before_secs >= lifetime)
			return not_before;
		return not_after - (time_t)cc->renew_before_secs;
	}
	if (pct < 1 || pct > 99)
		pct = FALLBACK_RENEW_PCT;
	/* Split the product so that it cannot overflow for any lifetime. */
	before = lifetime / 100 * pct + lifetime % 100 * pct / 100;
	return not_after - before;
}

int
ck_renew_is_due(const struct ck_cert_config *cc, time_t not_before, time_t not_after,
    time_t now)
{
	return now >= ck_renew_after(cc, not_before, not_after);
}
