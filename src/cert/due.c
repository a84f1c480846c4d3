/*
 * cert/due.c: when a certificate becomes due for renewal (see cert/due.h).
 *
 * The lifetime is computed in unsigned 64-bit arithmetic: not_after -
 * not_before may exceed what a time_t holds when the two lie far apart on
 * either side of the epoch, but it always fits a uint64_t, and every share
 * of it taken here is at most the lifetime, so not_after minus the share
 * lands in [not_before, not_after].
 */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "certkeeper/cert/due.h"
#include "certkeeper/util/log.h"

/* The lifetime of [nb, na] in seconds; the caller has checked na > nb. */
static uint64_t
lifetime_of(time_t nb, time_t na)
{
	return (uint64_t)na - (uint64_t)nb;
}

/* na minus before, which is at most the lifetime (so the result is at least nb). */
static time_t
minus(time_t na, uint64_t before)
{
	return (time_t)((uint64_t)na - before);
}

time_t
ck_due_lifetime(time_t not_before, time_t not_after)
{
	uint64_t life;

	if (not_after <= not_before)
		return not_after;
	life = lifetime_of(not_before, not_after);
	return minus(not_after, life <= (uint64_t)CK_DUE_SHORT_LIFETIME ? life / 2 : life / 3);
}

int
ck_due_has_renew_before(const struct ck_cert_config *cc)
{
	return cc->renew_before_secs > 0 || (cc->renew_before_pct >= 1 &&
	    cc->renew_before_pct <= 99);
}

time_t
ck_renew_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after)
{
	uint64_t life, pct;

	/* A certificate that ends before it starts is of no use: due at once. */
	if (not_after <= not_before)
		return not_after;
	if (!ck_due_has_renew_before(cc))
		return ck_due_lifetime(not_before, not_after);
	life = lifetime_of(not_before, not_after);
	if (cc->renew_before_secs > 0) {
		if ((uint64_t)cc->renew_before_secs >= life)
			return not_before;
		return minus(not_after, (uint64_t)cc->renew_before_secs);
	}
	/* Split the product so that it cannot overflow for any lifetime. */
	pct = (uint64_t)cc->renew_before_pct;
	return minus(not_after, life / 100 * pct + life % 100 * pct / 100);
}

time_t
ck_warn_after(const struct ck_cert_config *cc, time_t not_before, time_t not_after)
{
	uint64_t life, pct;

	if (not_after <= not_before)
		return not_after;
	life = lifetime_of(not_before, not_after);
	if (cc->warn_before_secs > 0) {
		if ((uint64_t)cc->warn_before_secs >= life)
			return not_before;
		return minus(not_after, (uint64_t)cc->warn_before_secs);
	}
	if (cc->warn_before_pct > 0) {
		pct = (uint64_t)cc->warn_before_pct;
		return minus(not_after, life / 100 * pct + life % 100 * pct / 100);
	}
	return minus(not_after, life / 6);
}

int
ck_renew_is_due(const struct ck_cert_config *cc, time_t not_before, time_t not_after,
    time_t now)
{
	return now >= ck_renew_after(cc, not_before, not_after);
}

int
ck_due_jitter(const char *thumb, const char *name, time_t not_before, time_t not_after,
    time_t *offset)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	uint64_t h = 0, most;
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	*offset = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		ck_error_ssl("jitter of %s: EVP_MD_CTX_new", name);
		goto out;
	}
	/* The NUL keeps ("ab", "c") and ("a", "bc") apart. */
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, thumb, strlen(thumb) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, name, strlen(name)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 8) {
		ck_error_ssl("jitter of %s: SHA-256", name);
		goto out;
	}
	if (not_after > not_before) {
		for (i = 0; i < 8; i++)
			h = h << 8 | md[i];
		/* most + 1 cannot wrap (most <= 2^64 / 20); for any lifetime under a
		 * century the modulo bias is below 2^-30. */
		most = lifetime_of(not_before, not_after) / CK_DUE_JITTER_DIVISOR;
		*offset = (time_t)(h % (most + 1));
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

time_t
ck_due_jittered(time_t due, time_t offset, time_t not_before)
{
	if (offset <= 0 || due <= not_before)
		return due;
	if ((uint64_t)due - (uint64_t)not_before <= (uint64_t)offset)
		return not_before;
	return due - offset;
}
