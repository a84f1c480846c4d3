/*
 * cli/revoke.c: the `revoke NAME [--reason CODE]` command (see cli/commands.h).
 */
#include "certkeeper/agent/revoke.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

int
ck_cmd_revoke(const struct ck_config *cfg, const char *name, int reason)
{
	const struct ck_cert_config *cc = ck_config_cert(cfg, name);
	struct ck_session *s = NULL;
	int rc = CK_EXIT_FAILED;

	if (cc == NULL) {
		ck_error("%s: no [cert:%s] section", cfg->path, name);
		return CK_EXIT_USAGE;
	}
	if (ck_session_open(cfg, ck_clock_system(), &s) != 0)
		return CK_EXIT_FAILED;
	if (ck_session_lock(s) == 0 && ck_revoke_installed(s, cc, reason) == 0)
		rc = CK_EXIT_OK;
	ck_session_close(s);
	return rc;
}
