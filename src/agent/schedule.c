/*
 * agent/schedule.c: the plan for each certificate (see agent/schedule.h):
 * due at once when nothing usable is installed, else at the time its
 * renew_before (or, without it, the lifetime rule) gives.
 */
#include <stdlib.h>
#include <string.h>

#include "certkeeper/agent/schedule.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/log.h"

static const char *const source_names[] = { "missing", "lifetime", "renew_before", "ari" };

const char *
ck_due_source_name(enum ck_due_source src)
{
	if ((size_t)src >= sizeof(source_names) / sizeof(source_names[0]))
		return "missing";
	return source_names[src];
}

int
ck_schedule_plan(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_plan *p)
{
	struct ck_cert_info info;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&info, 0, sizeof(info));
	p->due = now;
	p->source = CK_DUE_MISSING;
	rc = ck_store_load_current(s->store, cc->name, &pem, &len, NULL, NULL, NULL);
	if (rc == 1) {
		ck_info("%s: no certificate installed yet", cc->name);
	} else if (rc != 0 || ck_cert_info(pem, len, &info) != 0 || info.key_type < 0) {
		ck_warn("%s: installed certificate unreadable: renewing", cc->name);
	} else if (ck_cert_covers(pem, len, cc->domains, cc->ndomains) != 1) {
		ck_info("%s: installed certificate does not cover every configured domain", cc->name);
	} else {
		p->due = ck_renew_after(cc, info.not_before, info.not_after);
		p->source = ck_due_has_renew_before(cc) ?
		    CK_DUE_RENEW_BEFORE : CK_DUE_LIFETIME;
		p->not_after = info.not_after;
	}
	p->act_at = p->due;
	ck_cert_info_clear(&info);
	free(pem);
	return 0;
}

int
ck_schedule_after(struct ck_session *s, const struct ck_cert_config *cc,
    const struct ck_outcome *o, time_t now)
{
	(void)s;
	(void)cc;
	(void)o;
	(void)now;
	return 0;
}
