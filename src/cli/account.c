/*
 * cli/account.c: the `account show|rollover|deactivate` commands (see
 * cli/commands.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "certkeeper/acme/account.h"
#include "certkeeper/agent/account.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/log.h"

int
ck_cmd_account_show(const struct ck_config *cfg)
{
	struct ck_session *s = NULL;
	struct ck_acme *acme;
	json_t *acct = NULL, *contact;
	char *thumb = NULL, safe[512];
	const char *st;
	size_t i;
	int rc = CK_EXIT_FAILED;

	if (ck_session_open(cfg, ck_clock_system(), &s) != 0)
		goto out;
	if (ck_session_acme(s, 0, &acme) != 0 || ck_acme_account_fetch(acme, &acct) != 0 ||
	    ck_jwk_thumbprint(s->account->pub, &thumb) != 0)
		goto out;
	st = json_string_value(json_object_get(acct, "status"));
	ck_sanitize(safe, sizeof(safe), st ? st : "unknown", SIZE_MAX);
	/* The URL passed the same check as server input (https, printable). */
	printf("directory: %s\nurl: %s\nstatus: %s\n", cfg->directory, s->account_url, safe);
	contact = json_object_get(acct, "contact");
	if (json_array_size(contact) == 0)
		printf("contact: (none)\n");
	for (i = 0; i < json_array_size(contact); i++) {
		const char *c = json_string_value(json_array_get(contact, i));

		ck_sanitize(safe, sizeof(safe), c ? c : "?", SIZE_MAX);
		printf("contact: %s\n", safe);
	}
	printf("key type: %s\nthumbprint: %s\n", ck_key_type_name(s->account->type), thumb);
	rc = CK_EXIT_OK;
out:
	json_decref(acct);
	free(thumb);
	ck_session_close(s);
	return rc;
}

int
ck_cmd_account_rollover(const struct ck_config *cfg)
{
	struct ck_session *s = NULL;
	int rc = CK_EXIT_FAILED;

	if (ck_session_open(cfg, ck_clock_system(), &s) != 0)
		return CK_EXIT_FAILED;
	if (ck_session_lock(s) == 0 && ck_account_rollover(s) == 0)
		rc = CK_EXIT_OK;
	ck_session_close(s);
	return rc;
}

int
ck_cmd_account_deactivate(const struct ck_config *cfg, int yes)
{
	struct ck_session *s = NULL;
	int rc = CK_EXIT_FAILED;

	if (!yes) {
		ck_error("account deactivate: this would deactivate the ACME account at %s for "
		    "good (the CA refuses it afterwards; RFC 8555 7.3.6) and remove its key from "
		    "%s/accounts, so that the next renewal registers a new account; run "
		    "`account deactivate --yes` to do it", cfg->directory, cfg->state_dir);
		return CK_EXIT_USAGE;
	}
	if (ck_session_open(cfg, ck_clock_system(), &s) != 0)
		return CK_EXIT_FAILED;
	if (ck_session_lock(s) == 0 && ck_account_deactivate(s) == 0)
		rc = CK_EXIT_OK;
	ck_session_close(s);
	return rc;
}
