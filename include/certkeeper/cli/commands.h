/*
 * cli/commands.h: the commands that act, as thin users of a session
 * (agent/session.h), and the exit codes every command returns.
 */
#ifndef CERTKEEPER_CLI_COMMANDS_H
#define CERTKEEPER_CLI_COMMANDS_H

#include <stddef.h>
#include "certkeeper/config/config.h"

#define CK_EXIT_OK 0
#define CK_EXIT_FAILED 1
#define CK_EXIT_USAGE 2

/*
 * One pass: renews every certificate that is due (or, with force, every
 * named one, or every one when none is named).  Unknown names are a usage
 * error.  Returns CK_EXIT_OK when all succeeded or nothing was due,
 * CK_EXIT_FAILED when any failed, was interrupted, or another run holds
 * the lock.
 */
int ck_cmd_renew(const struct ck_config *cfg, int force, char *const *names, size_t nnames);

/*
 * The resident agent: passes, and between them one sleep until the next
 * event, until SIGTERM or SIGINT (CK_EXIT_OK); SIGHUP reloads cfg's file.
 * CK_EXIT_FAILED when it cannot start (another run holds the lock, say).
 */
int ck_cmd_run(const struct ck_config *cfg);

/* Prints the account: URL, status, contact, key thumbprint. */
int ck_cmd_account_show(const struct ck_config *cfg);
/* Rolls the account key over (agent/account.h). */
int ck_cmd_account_rollover(const struct ck_config *cfg);
/* Deactivates the account; without yes only says what it would do (CK_EXIT_USAGE). */
int ck_cmd_account_deactivate(const struct ck_config *cfg, int yes);

/* Revokes NAME's installed certificate with reason (acme/revoke.h); CK_EXIT_USAGE for an unknown NAME. */
int ck_cmd_revoke(const struct ck_config *cfg, const char *name, int reason);

#endif
