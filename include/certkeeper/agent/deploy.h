/*
 * agent/deploy.h: handing an installed certificate to the services that
 * use it, through the operator's hooks ([cert:NAME] deploy_hook and
 * verify_hook; each run with util/proc.h).
 *
 * After an install the deploy hook runs, then the verify hook, both with
 * CERTKEEPER_NAME, CERTKEEPER_CERT, CERTKEEPER_CHAIN, CERTKEEPER_FULLCHAIN,
 * CERTKEEPER_KEY (paths through current/) and CERTKEEPER_KEY_TYPE.
 *   - deploy hook fails: the certificate stays installed (it is valid) and
 *     its deploy is marked pending (store/deploy.h);
 *   - verify hook fails or times out: current is rolled back to the
 *     previous version, the deploy hook runs again for that one, and the
 *     attempt is CK_RESULT_ROLLED_BACK;
 *   - a stop request: the hook is killed and the deploy stays pending.
 * A pending deploy is retried at every later pass, due or not, until its
 * hooks succeed.  Every failure here is of class CK_ERR_HOOK and its text
 * names the hook, how it ended and its output (sanitized, cut).
 */
#ifndef CERTKEEPER_AGENT_DEPLOY_H
#define CERTKEEPER_AGENT_DEPLOY_H

#include "certkeeper/agent/outcome.h"
#include "certkeeper/agent/session.h"

/*
 * Within an attempt (o is the error sink, as in ck_renew_cert), right after
 * cc's install: runs its hooks as above.  Returns 0 when there are none or
 * all succeeded (a pending mark is then cleared), -1 otherwise (reported;
 * the outcome marked rolled back when it was).
 */
int ck_deploy_after_install(struct ck_session *s, const struct ck_cert_config *cc,
    struct ck_outcome *o);

/*
 * At the start of a pass: when cc has a pending deploy, runs its hooks
 * again for the current version, as one attempt of its own (the rollback
 * only for a version that a new install made current).  Returns 1 when
 * there was one (*o filled: success clears the mark), 0 when none (*o
 * then means nothing).
 */
int ck_deploy_retry_pending(struct ck_session *s, const struct ck_cert_config *cc,
    struct ck_outcome *o);

#endif
