/*
 * acme/rollover.c: the account key change (RFC 8555 7.3.5), and the
 * question a restart asks after a rollover was cut short: which key does
 * the CA hold for the account?  Keeping both keys on disk until the answer
 * is known is the agent's business (agent/rollover.c).
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/acme/account.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/fault.h"
#include "certkeeper/util/log.h"

int
ck_acme_key_change(struct ck_acme *a, struct ck_signer *new_key)
{
	struct ck_http_resp r;
	json_t *inner_payload = NULL, *old_jwk = NULL, *inner = NULL;
	json_error_t jerr;
	const char *url;
	char *inner_text = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((url = acme_dir_url(a, "keyChange")) == NULL)
		goto out;
	if ((old_jwk = ck_jwk(a->account->pub)) == NULL)
		goto out;
	if ((inner_payload = json_pack("{s:s, s:O}", "account", a->kid, "oldKey", old_jwk)) ==
	    NULL) {
		ck_error_as(CK_ERR_INTERNAL, "json_pack of the keyChange request failed");
		goto out;
	}
	/* The inner JWS: signed by the new key, with its jwk, the same url, no nonce. */
	if (ck_jws_sign(new_key, url, NULL, NULL, inner_payload, &inner_text) != 0)
		goto out;
	if ((inner = json_loads(inner_text, 0, &jerr)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "cannot reparse the inner keyChange JWS");
		goto out;
	}
	ck_fault_point("rollover-before-request");
	if (acme_post(a, url, inner, 0, &r, "keyChange", NULL) != 0)
		goto out;
	ck_fault_point("rollover-after-accept");
	if (acme_use_key(a, new_key) != 0)
		goto out;
	rc = 0;
out:
	ck_http_resp_free(&r);
	json_decref(inner);
	json_decref(inner_payload);
	json_decref(old_jwk);
	free(inner_text);
	return rc;
}

int
ck_acme_account_probe(struct ck_acme *a, struct ck_signer *key)
{
	static const char *const refusals[] = {
		PROBLEM_PREFIX "unauthorized", PROBLEM_PREFIX "malformed",
		PROBLEM_PREFIX "accountDoesNotExist"
	};
	struct ck_http_resp r;
	struct ck_signer *was = a->account;
	json_t *prob = NULL;
	json_error_t jerr;
	const char *type;
	size_t i;
	int rc = -1, prc;

	memset(&r, 0, sizeof(r));
	if (acme_use_key(a, key) != 0)
		return -1;
	/* Any refusal is tolerated here, then sorted: only these mean "not this key". */
	prc = acme_post(a, a->kid, NULL, 0, &r, "account (which key)", PROBLEM_PREFIX "malformed");
	if (prc == 0) {
		rc = 0;
		goto out;
	}
	prob = json_loadb(r.body, r.len, 0, &jerr);
	type = json_string_value(json_object_get(prob, "type"));
	for (i = 0; type != NULL && i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(type, refusals[i]) == 0) {
			ck_clear_error();
			rc = 1;
		}
out:
	if (rc != 0)
		(void)acme_use_key(a, was);
	json_decref(prob);
	ck_http_resp_free(&r);
	return rc;
}
