/*
 * cli/renew.c: the `renew` command: one pass over the configured
 * certificates on one session (see cli/commands.h).
 */
#include "certkeeper/agent/pass.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

int
ck_cmd_renew(const struct ck_config *cfg, int force, char *const *names, size_t nnames)
{
	struct ck_session *s = NULL;
	struct ck_pass_result r;
	size_t i;
	int rc;

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
	rc = ck_pass_run(s, force, names, nnames, &r);
	if (r.renewed == 0 && r.failed == 0 && r.backing_off > 0 && !ck_stop_requested())
		ck_info("no attempt: %zu certificate%s due but backing off after failures",
		    r.backing_off, r.backing_off == 1 ? "" : "s");
	else if (r.renewed == 0 && r.failed == 0 && !ck_stop_requested())
		ck_info("nothing due");
	ck_session_close(s);
	return rc != 0 || r.failed || ck_stop_requested() ? CK_EXIT_FAILED : CK_EXIT_OK;
}
