/*
 * acme/account.c: the ACME account (RFC 8555 7.3): registering or finding
 * it with newAccount (with an external account binding, eab.c, when one
 * is configured), reading it back, and deactivating it.  The key change
 * is in rollover.c.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/acme/account.h"
#include "certkeeper/util/log.h"

int
ck_acme_account(struct ck_acme *a, const char *contact, const char *known_url,
    int only_existing, char **url)
{
	struct ck_http_resp r;
	json_t *payload = NULL, *acct = NULL;
	const char *tos;
	int created, rc = -1, prc;

	memset(&r, 0, sizeof(r));
	if (known_url != NULL) {
		/* Stored from an earlier run: no newAccount round trip needed. */
		if (!acme_url_ok(known_url, "stored account"))
			goto out;
		if ((a->kid = strdup(known_url)) == NULL || (*url = strdup(known_url)) == NULL) {
			ck_error_as(CK_ERR_INTERNAL, "out of memory");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (only_existing)
		payload = json_pack("{s:b}", "onlyReturnExisting", 1);
	else if (contact != NULL)
		payload = json_pack("{s:b, s:[s]}", "termsOfServiceAgreed", 1, "contact", contact);
	else
		payload = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	if (payload == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "json_pack of the newAccount request failed");
		goto out;
	}
	if (!only_existing && a->eab_kid != NULL &&
	    json_object_set_new(payload, "externalAccountBinding",
	    acme_eab_binding(a, a->new_account)) != 0)
		goto out;	/* the binding's failure was reported */
	prc = acme_post(a, a->new_account, payload, 1, &r, "newAccount",
	    only_existing ? PROBLEM_PREFIX "accountDoesNotExist" :
	    PROBLEM_PREFIX "externalAccountRequired");
	if (prc == 1 && only_existing) {
		ck_error_as(CK_ERR_CA, "no account with this key exists at %s", a->directory_url);
		goto out;
	}
	if (prc == 1) {
		char why[512];

		if (ck_acme_problem_format(r.body, r.len, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "externalAccountRequired");
		ck_error_problem(CK_ERR_CONFIG, "externalAccountRequired", -1,
		    "newAccount: the CA requires external account binding (%s); set eab_kid and "
		    "eab_hmac_key (or eab_hmac_key_file) in [acme] to what the CA gave", why);
		goto out;
	}
	if (prc != 0)
		goto out;
	created = r.status == 201;
	if ((acct = acme_body_object(&r, "newAccount")) == NULL ||
	    !acme_url_ok(r.location, "account"))
		goto out;
	if (strcmp(acme_status_of(acct), "valid") != 0) {
		char st[32];

		ck_sanitize(st, sizeof(st), acme_status_of(acct), SIZE_MAX);
		ck_error_as(CK_ERR_CA, "account %s is %s, not valid", r.location, st);
		goto out;
	}
	if (created) {
		tos = json_string_value(json_object_get(json_object_get(a->dir, "meta"),
		    "termsOfService"));
		if (tos != NULL) {
			char safe[512];

			ck_sanitize(safe, sizeof(safe), tos, SIZE_MAX);
			ck_info("registered account %s, agreeing to the terms of service at %s",
			    r.location, safe);
		} else {
			ck_info("registered account %s", r.location);
		}
	}
	if ((a->kid = strdup(r.location)) == NULL || (*url = strdup(r.location)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(acct);
	json_decref(payload);
	ck_http_resp_free(&r);
	return rc;
}

int
ck_acme_account_fetch(struct ck_acme *a, json_t **account)
{
	return acme_post_object(a, a->kid, NULL, "account", account, NULL);
}

int
ck_acme_account_deactivate(struct ck_acme *a)
{
	json_t *payload = NULL, *acct = NULL;
	char st[32];
	int rc = -1;

	if ((payload = json_pack("{s:s}", "status", "deactivated")) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "json_pack of the deactivation request failed");
		goto out;
	}
	if (acme_post_object(a, a->kid, payload, "account deactivation", &acct, NULL) != 0)
		goto out;
	if (strcmp(acme_status_of(acct), "deactivated") != 0) {
		ck_sanitize(st, sizeof(st), acme_status_of(acct), SIZE_MAX);
		ck_error_as(CK_ERR_CA, "account deactivation: the CA says the account is %s, not "
		    "deactivated", st[0] ? st : "without status");
		goto out;
	}
	rc = 0;
out:
	json_decref(acct);
	json_decref(payload);
	return rc;
}
