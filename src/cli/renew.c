/*
 * cli/renew.c: the `renew` command: one pass over the configured
 * certificates on one session (see cli/commands.h).
 */
#include <string.h>

#include "certkeeper/agent/renew.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

/* Whether name is in names (or names is empty). */
static int
selected(const char *name, char *const *names, size_t nnames)
{
	size_t i;

	if (nnames == 0)
		return 1;
	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

int
ck_cmd_renew(const struct ck_config *cfg, int force, char *const *names, size_t nnames)
{
	struct ck_session *s = NULL;
	struct ck_outcome o;
	size_t i, failed = 0, renewed = 0;
	time_t now;

	for (i = 0; i < nnames; i++)
		if (ck_config_cert(cfg, names[i]) == NULL) {
			ck_error("%s: no [cert:%s] section", cfg->path, names[i]);
			return CK_EXIT_USAGE;
		}
	if (ck_session_open(cfg, ck_clock_system(), &s) != 0)
		return CK_EXIT_FAILED;
	if (ck_session_lock(s) != 0) {
		ck_session_close(s);
		return CK_EXIT_FAILED;
	}
	now = ck_clock_now(s->clock);
	for (i = 0; i < cfg->ncerts && !ck_stop_requested(); i++) {
		const struct ck_cert_config *cc = &cfg->certs[i];

		if (!selected(cc->name, names, nnames))
			continue;
		if (!(force || ck_renew_due(s, cc, now)))
			continue;
		renewed++;
		if (ck_renew_cert(s, cc, &o) != 0) {
			failed++;
			ck_log(CK_LOG_ERROR, "%s: renewal %s; the installed certificate is unchanged",
			    cc->name, o.result == CK_RESULT_INTERRUPTED ? "interrupted" : "failed");
		}
		if (ck_renew_record(s, cc->name, &o) != 0)
			failed++;
	}
	if (renewed == 0 && !ck_stop_requested())
		ck_info("nothing due");
	ck_session_close(s);
	return failed ? CK_EXIT_FAILED : CK_EXIT_OK;
}
