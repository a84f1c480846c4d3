/*
 * acme/eab.c: external account binding (RFC 8555 7.3.4): the CA gives a
 * key identifier and an HMAC key out of band; newAccount carries a JWS,
 * MACed with that key (HS256), whose payload is the account key's JWK,
 * binding the new ACME account to the CA's customer account.
 *
 * The HMAC key is borrowed from the configuration, used by EVP_Q_mac and
 * never copied, printed or logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "acme/internal.h"
#include "certkeeper/acme/account.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"

void
ck_acme_set_eab(struct ck_acme *a, const char *kid, const unsigned char *key, size_t keylen)
{
	a->eab_kid = kid;
	a->eab_key = key;
	a->eab_key_len = keylen;
}

json_t *
acme_eab_binding(const struct ck_acme *a, const char *url)
{
	json_t *hdr = NULL, *jwk = NULL, *out = NULL;
	char *prot64 = NULL, *pay64 = NULL, *input = NULL, *mac64 = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0, inlen;

	if ((jwk = ck_jwk(a->account->pub)) == NULL)
		goto out;
	hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", a->eab_kid, "url", url);
	if (hdr == NULL || (prot64 = ck_jws_b64url_json(hdr)) == NULL ||
	    (pay64 = ck_jws_b64url_json(jwk)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "cannot build the external account binding");
		goto out;
	}
	inlen = strlen(prot64) + 1 + strlen(pay64);
	if ((input = malloc(inlen + 1)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory building the external account binding");
		goto out;
	}
	snprintf(input, inlen + 1, "%s.%s", prot64, pay64);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, a->eab_key, a->eab_key_len,
	    (const unsigned char *)input, inlen, mac, sizeof(mac), &maclen) == NULL) {
		ck_error_ssl("EVP_Q_mac HMAC-SHA256 of the external account binding");
		goto out;
	}
	if ((mac64 = ck_b64url_encode(mac, maclen)) == NULL ||
	    (out = json_pack("{s:s, s:s, s:s}", "protected", prot64, "payload", pay64,
	    "signature", mac64)) == NULL)
		ck_error_as(CK_ERR_INTERNAL, "cannot build the external account binding");
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_decref(hdr);
	json_decref(jwk);
	free(prot64);
	free(pay64);
	free(input);
	free(mac64);
	return out;
}
