/*
 * agent/account.c: account key rollover and deactivation (see
 * agent/account.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/acme/account.h"
#include "certkeeper/agent/account.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/util/log.h"

/* Makes key the session's account key (the client signs with it already); the old one is freed. */
static void
adopt_key(struct ck_session *s, struct ck_signer *key)
{
	ck_signer_free(s->account);
	s->account = key;
}

/*
 * Asks the CA which of the session's key and new_key the account has;
 * commits new_key (adopting it: returns 1) or drops it (returns 0).  On
 * return new_key is owned by the session or freed.  -1: reported.
 */
static int
settle(struct ck_session *s, struct ck_acme *acme, struct ck_signer *new_key)
{
	const char *dir = s->cfg->directory;
	int r, rc = -1;

	if ((r = ck_acme_account_probe(acme, s->account)) == -1)
		goto out;
	if (r == 0) {
		ck_info("the CA kept the old account key: dropping the new key of an unfinished "
		    "rollover");
		rc = ck_store_account_drop_new_key(s->store, dir);
		goto out;
	}
	if ((r = ck_acme_account_probe(acme, new_key)) == -1)
		goto out;
	if (r == 1) {
		ck_error_as(CK_ERR_CA, "the CA accepts neither the account key nor the new key of "
		    "the unfinished rollover for %s: keeping both", s->account_url);
		goto out;
	}
	/* The client signs with new_key now: it is the account key from here on. */
	if (ck_store_account_commit_new_key(s->store, dir) != 0)
		goto out;
	adopt_key(s, new_key);
	new_key = NULL;
	rc = 1;
out:
	ck_signer_free(new_key);
	return rc;
}

int
ck_account_resolve_rollover(struct ck_session *s, struct ck_acme *acme)
{
	struct ck_signer *new_key = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	if ((r = ck_store_account_load_new_key(s->store, s->cfg->directory, &pem, &len)) != 0)
		return r == 1 ? 0 : -1;
	r = ck_keysource_load(&s->keys, pem, len, "new account key", &new_key);
	OPENSSL_clear_free(pem, len);
	if (r != 0)
		return -1;
	ck_info("an earlier run left an account key rollover unfinished: asking the CA which key "
	    "it holds");
	if ((r = settle(s, acme, new_key)) == 1)
		ck_info("the CA holds the new account key: finished the rollover an earlier run "
		    "began");
	return r < 0 ? -1 : 0;
}

int
ck_account_rollover(struct ck_session *s)
{
	struct ck_signer *new_key = NULL;
	struct ck_acme *acme;
	char *pem = NULL, *old = NULL, *thumb = NULL;
	size_t len = 0;
	int rc = -1;

	if (ck_session_acme(s, 0, &acme) != 0 || ck_jwk_thumbprint(s->account->pub, &old) != 0)
		goto out;
	if (ck_keysource_generate(&s->keys, s->cfg->account_key, &new_key, &pem, &len) != 0)
		goto out;
	/* On disk before the CA hears of it: a crash from here on finds both keys. */
	if (ck_store_account_save_new_key(s->store, s->cfg->directory, pem, len) != 0)
		goto out;
	if (ck_acme_key_change(acme, new_key) != 0) {
		char why[1024];
		int r;

		/* The CA may have taken it all the same (a lost answer): ask which key it holds. */
		snprintf(why, sizeof(why), "%s", ck_last_error());
		r = settle(s, acme, new_key);
		new_key = NULL;
		if (r != 1) {
			if (r == 0)
				ck_error_as(CK_ERR_CA, "%s (the account keeps its key)", why);
			goto out;
		}
	} else {
		if (ck_store_account_commit_new_key(s->store, s->cfg->directory) != 0)
			goto out;	/* the next run resolves it: the CA holds the new key */
		adopt_key(s, new_key);
		new_key = NULL;
	}
	if (ck_jwk_thumbprint(s->account->pub, &thumb) != 0)
		goto out;
	ck_info("rolled the account key over to a new %s key: thumbprint %s (was %s)",
	    ck_key_type_name(s->account->type), thumb, old);
	rc = 0;
out:
	ck_signer_free(new_key);
	if (pem != NULL)
		OPENSSL_clear_free(pem, len);
	free(old);
	free(thumb);
	return rc;
}

int
ck_account_deactivate(struct ck_session *s)
{
	struct ck_acme *acme;

	if (ck_session_acme(s, 0, &acme) != 0 || ck_acme_account_deactivate(acme) != 0)
		return -1;
	ck_info("deactivated account %s", s->account_url);
	/* Nothing of it is usable any more: the next renewal registers anew. */
	if (ck_store_account_remove(s->store, s->cfg->directory) != 0)
		return -1;
	return 0;
}
