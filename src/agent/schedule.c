/*
 * agent/schedule.c: the plan for each certificate, and what an attempt's
 * outcome changes in it (see agent/schedule.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "certkeeper/agent/ari.h"
#include "certkeeper/agent/backoff.h"
#include "certkeeper/agent/schedule.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/store/revoked.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

static const char *const source_names[] = { "missing", "lifetime", "renew_before", "ari",
	"revoked" };

const char *
ck_due_source_name(enum ck_due_source src)
{
	if ((size_t)src >= sizeof(source_names) / sizeof(source_names[0]))
		return "missing";
	return source_names[src];
}

/*
 * What is installed for cc: *installed, and for a usable certificate its
 * validity and (serial, optional) whether it is the one recorded revoked.
 * keep (optional) gets the facts of a certificate that parsed, usable or
 * not (else it is left empty).
 */
static void
read_installed(struct ck_store *st, const struct ck_cert_config *cc, enum ck_installed *installed,
    time_t *not_before, time_t *not_after, char *serial, size_t serial_len, int *revoked,
    struct ck_cert_info *keep)
{
	struct ck_revoked rv;

	struct ck_cert_info info;
	char *pem = NULL;
	size_t len = 0;
	int rc, covered = 0;

	memset(&info, 0, sizeof(info));
	*not_before = *not_after = 0;
	rc = ck_store_load_current(st, cc->name, &pem, &len, NULL, NULL, NULL);
	if (rc == 1)
		*installed = CK_INSTALLED_NONE;
	else if (rc != 0 || ck_cert_info_covering(pem, len, cc->domains, cc->ndomains, &info,
	    &covered) != 0 || info.key_type < 0)
		*installed = CK_INSTALLED_UNREADABLE;
	else if (!covered)
		*installed = CK_INSTALLED_UNCOVERED;
	else
		*installed = CK_INSTALLED_OK;
	/* A certificate that misses a domain is still what services use until replaced. */
	if (*installed == CK_INSTALLED_OK || *installed == CK_INSTALLED_UNCOVERED) {
		*not_before = info.not_before;
		*not_after = info.not_after;
		if (serial != NULL && info.serial != NULL && strlen(info.serial) < serial_len)
			memcpy(serial, info.serial, strlen(info.serial) + 1);
		if (revoked != NULL && info.serial != NULL &&
		    ck_store_load_revoked(st, cc->name, &rv) == 0)
			*revoked = strcmp(rv.serial, info.serial) == 0;
	}
	if (keep != NULL) {
		*keep = info;
		memset(&info, 0, sizeof(info));
	}
	ck_cert_info_clear(&info);
	free(pem);
}

/*
 * The due time of a usable certificate: the stored ARI choice when there is
 * one (and it falls before the end, else it cannot be meant for this
 * certificate), else the rule moved earlier by the jitter once known.
 */
static int
due_time(const struct ck_cert_config *cc, const struct ck_sched *sc, struct ck_plan *p)
{
	time_t off = 0;

	if (sc->ari_id[0] != '\0' && sc->ari_chosen > 0 && sc->ari_chosen < p->not_after) {
		p->due = sc->ari_chosen;
		p->source = CK_DUE_ARI;
		return 0;
	}
	p->due = ck_renew_after(cc, p->not_before, p->not_after);
	p->source = ck_due_has_renew_before(cc) ? CK_DUE_RENEW_BEFORE : CK_DUE_LIFETIME;
	if (sc->thumbprint[0] != '\0') {
		if (ck_due_jitter(sc->thumbprint, cc->name, p->not_before, p->not_after, &off) != 0)
			return -1;
		p->due = ck_due_jittered(p->due, off, p->not_before);
		p->jitter = off;
	}
	return 0;
}

int
ck_schedule_plan_info(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p, struct ck_cert_info *info)
{
	struct ck_sched sc;
	int unreadable, revoked = 0;

	memset(p, 0, sizeof(*p));
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	p->due = now;
	p->source = CK_DUE_MISSING;
	unreadable = ck_store_load_schedule(st, cc->name, &sc) != 0;
	read_installed(st, cc, &p->installed, &p->not_before, &p->not_after, p->serial,
	    sizeof(p->serial), &revoked, info);
	if (p->installed == CK_INSTALLED_OK && revoked)
		p->source = CK_DUE_REVOKED;	/* due now */
	else if (p->installed == CK_INSTALLED_OK && due_time(cc, &sc, p) != 0) {
		if (info != NULL)
			ck_cert_info_clear(info);
		return -1;
	}
	p->failures = sc.failures;
	p->last_failure = sc.last_failure;
	p->retry_at = sc.next_attempt;
	p->act_at = p->retry_at > p->due ? p->retry_at : p->due;
	return unreadable ? 1 : 0;
}

int
ck_schedule_plan_at(struct ck_store *st, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p)
{
	return ck_schedule_plan_info(st, cc, now, p, NULL);
}

int64_t
ck_plan_spare_ms(const struct ck_plan *p, time_t now, long retry_max)
{
	uint64_t spare;

	if (p->not_after <= now || p->source == CK_DUE_REVOKED ||
	    (p->installed != CK_INSTALLED_OK && p->installed != CK_INSTALLED_UNCOVERED))
		return 0;
	/* Exact in unsigned arithmetic, since not_after > now. */
	spare = (uint64_t)p->not_after - (uint64_t)now;
	if (retry_max > 0 && spare > (uint64_t)retry_max)
		spare = (uint64_t)retry_max;
	return spare > (uint64_t)INT64_MAX / 1000 ? INT64_MAX : (int64_t)spare * 1000;
}

int
ck_schedule_plan(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p)
{
	int rc = ck_schedule_plan_at(s->store, cc, now, p);

	if (rc == -1)
		return -1;
	if (rc == 1)
		ck_warn("%s: planning without the unreadable schedule (no backoff); the next "
		    "attempt rewrites it", cc->name);
	switch (p->installed) {
	case CK_INSTALLED_NONE:
		ck_info("%s: no certificate installed yet", cc->name);
		break;
	case CK_INSTALLED_UNREADABLE:
		ck_warn("%s: installed certificate unreadable: renewing", cc->name);
		break;
	case CK_INSTALLED_UNCOVERED:
		ck_info("%s: installed certificate does not cover every configured domain",
		    cc->name);
		break;
	case CK_INSTALLED_OK:
		if (p->source == CK_DUE_REVOKED)
			ck_info("%s: installed certificate was revoked: renewing", cc->name);
		break;
	}
	return 0;
}

/* Sets sc's thumbprint from the session's account key, when it is loaded. */
static void
learn_thumbprint(struct ck_session *s, struct ck_sched *sc)
{
	char *thumb = NULL;

	if (s->account == NULL || s->account->pub == NULL)
		return;
	if (ck_jwk_thumbprint(s->account->pub, &thumb) != 0)
		return;		/* reported; the jitter keeps the thumbprint it had */
	if (strlen(thumb) == CK_SCHED_THUMB_LEN)
		memcpy(sc->thumbprint, thumb, CK_SCHED_THUMB_LEN + 1);
	free(thumb);
}

/* A uniformly random value; the longest wait when the generator fails (reported). */
static uint32_t
random_value(const char *name)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		ck_error_ssl("%s: RAND_bytes for the backoff (waiting the longest)", name);
		return UINT32_MAX;
	}
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int
ck_schedule_after(struct ck_session *s, const struct ck_cert_config *cc,
    const struct ck_outcome *o, time_t now, time_t *ari_next)
{
	enum ck_installed installed;
	time_t not_before, not_after = 0;
	struct ck_sched sc;
	char when[32];

	/* An unreadable schedule was reported; it is replaced by what this attempt teaches. */
	(void)ck_store_load_schedule(s->store, cc->name, &sc);
	learn_thumbprint(s, &sc);
	if (o->result == CK_RESULT_FAILURE)
		read_installed(s->store, cc, &installed, &not_before, &not_after, NULL, 0, NULL,
		    NULL);
	ck_backoff_learn(&sc, o, s->cfg->retry_min, s->cfg->retry_max, not_after, now,
	    o->result == CK_RESULT_FAILURE ? random_value(cc->name) : 0);
	if (o->result == CK_RESULT_FAILURE) {
		ck_time_rfc3339(sc.next_attempt, when, sizeof(when));
		ck_info("%s: %ld consecutive failure%s; next attempt not before %s", cc->name,
		    sc.failures, sc.failures == 1 ? "" : "s", when);
	}
	if (ari_next != NULL) {
		*ari_next = 0;
		if (o->result == CK_RESULT_SUCCESS)
			ck_ari_after_install(s, cc, now, &sc, ari_next);
	}
	return ck_store_save_schedule(s->store, cc->name, &sc);
}
