/*
 * store/deploy.h: a deploy still to be done, in
 * STATE_DIR/certs/NAME/deploy-pending (0600).
 *
 * When the deploy hook of an installed version fails (or its hooks could
 * not finish), the version stays installed and is marked here; every later
 * run deploys it again, due or not, until its hooks succeed.  The file is
 * one line: the version's name and how it became current,
 *   v00000000000000000007 installed     a new install: a failing verify hook
 *                                       may still roll it back
 *   v00000000000000000006 restored      put back by a rollback: the version
 *                                       after it failed, so never rolled back
 * and is read back fail-closed: anything else is corrupt.
 */
#ifndef CERTKEEPER_STORE_DEPLOY_H
#define CERTKEEPER_STORE_DEPLOY_H

#include "certkeeper/store/versions.h"

struct ck_store;

struct ck_deploy_pending {
	char version[CK_STORE_VERSION_LEN + 1];	/* "v" and 20 digits */
	int restored;				/* put back by a rollback */
};

/* Marks p's deploy of name pending, atomically; refuses (-1) a malformed version name. */
int ck_store_save_deploy_pending(struct ck_store *st, const char *name,
    const struct ck_deploy_pending *p);

/*
 * Reads name's pending deploy into *p.  Returns 0, 1 when none is pending,
 * -1 when the file is unreadable or not exactly one line as above
 * (reported, naming it).
 */
int ck_store_load_deploy_pending(struct ck_store *st, const char *name,
    struct ck_deploy_pending *p);

/* Clears name's pending deploy (none is fine), durably. */
int ck_store_clear_deploy_pending(struct ck_store *st, const char *name);

#endif
