/*
 * agent/account.h: the account operations that change state on both
 * sides, the CA's and the store's: key rollover, crash-safe, and
 * deactivation.
 *
 * A rollover keeps both keys on disk while the CA's answer is not known:
 * the new key is saved beside the old (store/accounts.h) before the
 * keyChange request and becomes the account key only once the CA took it.
 * A run that finds a new key left behind asks the CA which key the
 * account has (ck_account_resolve_rollover) and finishes or drops the
 * rollover accordingly; a crash at any point leaves a working account.
 */
#ifndef CERTKEEPER_AGENT_ACCOUNT_H
#define CERTKEEPER_AGENT_ACCOUNT_H

#include "certkeeper/agent/session.h"

/*
 * Rolls the account key over to a fresh key of the configured
 * account_key type (software or TPM).  Returns 0, or -1 (reported; the
 * account still works with whichever key the store then holds).
 */
int ck_account_rollover(struct ck_session *s);

/*
 * With a rollover's new key left in the store: asks the CA which key the
 * account has, and drops the new key (the CA kept the old one) or commits
 * it and signs with it from then on.  Called by ck_session_acme once the
 * account URL is known.  Returns 0 (also when there was nothing to
 * resolve), -1 (reported) when the CA accepts neither key or cannot be
 * asked: both keys stay.
 */
int ck_account_resolve_rollover(struct ck_session *s, struct ck_acme *acme);

/*
 * Deactivates the account at the CA and forgets it locally (URL, then
 * key): the next renewal registers a new account with a new key.
 */
int ck_account_deactivate(struct ck_session *s);

#endif
