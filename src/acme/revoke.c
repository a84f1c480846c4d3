/*
 * acme/revoke.c: revokeCert (RFC 8555 7.6) and the reason codes it takes.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/acme/revoke.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"

static const struct {
	int code;
	const char *name;
} reasons[] = {
	{ CK_REVOKE_UNSPECIFIED, "unspecified" },
	{ CK_REVOKE_KEY_COMPROMISE, "keyCompromise" },
	{ CK_REVOKE_AFFILIATION_CHANGED, "affiliationChanged" },
	{ CK_REVOKE_SUPERSEDED, "superseded" },
	{ CK_REVOKE_CESSATION, "cessationOfOperation" },
};

int
ck_revoke_reason_parse(const char *s, int *reason)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		char num[4];

		snprintf(num, sizeof(num), "%d", reasons[i].code);
		if (strcmp(s, num) == 0 || strcmp(s, reasons[i].name) == 0) {
			*reason = reasons[i].code;
			return 0;
		}
	}
	return -1;
}

const char *
ck_revoke_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return "unknown";
}

int
ck_acme_revoke(struct ck_acme *a, const unsigned char *der, size_t derlen, int reason,
    int use_jwk)
{
	struct ck_http_resp r;
	json_t *payload = NULL;
	const char *url;
	char *der64 = NULL;
	int rc = -1, prc;

	memset(&r, 0, sizeof(r));
	if ((url = acme_dir_url(a, "revokeCert")) == NULL)
		goto out;
	if ((der64 = ck_b64url_encode(der, derlen)) == NULL ||
	    (payload = json_pack("{s:s, s:i}", "certificate", der64, "reason", reason)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "cannot build the revokeCert request");
		goto out;
	}
	prc = acme_post(a, url, payload, use_jwk, &r, "revokeCert",
	    PROBLEM_PREFIX "alreadyRevoked");
	rc = prc == 0 ? 0 : prc == 1 ? 1 : -1;
out:
	ck_http_resp_free(&r);
	json_decref(payload);
	free(der64);
	return rc;
}
