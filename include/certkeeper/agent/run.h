/*
 * agent/run.h: the commands that act: a renewal pass over the configured
 * certificates, and showing the ACME account.  They tie the parts
 * together (config, store, keys/TPM, ACME, checks) and return the
 * process exit code.
 */
#ifndef CERTKEEPER_AGENT_RUN_H
#define CERTKEEPER_AGENT_RUN_H

#include <stddef.h>
#include "certkeeper/config/config.h"

#define CK_EXIT_OK 0
#define CK_EXIT_FAILED 1
#define CK_EXIT_USAGE 2

/*
 * One pass: renews every certificate that is due (or, with force, every
 * named one, or every one when none is named).  Unknown names are a usage
 * error.  Returns CK_EXIT_OK when all succeeded or nothing was due,
 * CK_EXIT_FAILED when any failed (or another run holds the lock).
 */
int ck_run_renew(const struct ck_config *cfg, int force, char *const *names, size_t nnames);

/* Prints the account: URL, status, contact, key thumbprint. */
int ck_run_account_show(const struct ck_config *cfg);

#endif
