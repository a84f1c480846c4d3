/*
 * keys/jws.c: JWS requests, JWKs and thumbprints for ACME (see keys/jws.h).
 *
 * The protected header carries alg, nonce, url and either the account's
 * jwk (newAccount) or its kid (everything after).  Signatures come from
 * the signer in JWS form; this file never sees a private key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/err.h>

#include "certkeeper/util/b64.h"
#include "certkeeper/keys/ecder.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/util/log.h"

/* base64url of bn, left-padded to pad bytes (0: minimal length). */
static char *
bn_b64url(const BIGNUM *bn, int pad)
{
	unsigned char *buf = NULL;
	char *out = NULL;
	int len = pad > 0 ? pad : BN_num_bytes(bn);

	if (len <= 0)
		len = 1;
	if ((buf = malloc((size_t)len)) == NULL)
		return NULL;
	if (BN_bn2binpad(bn, buf, len) == len)
		out = ck_b64url_encode(buf, (size_t)len);
	free(buf);
	return out;
}

/* Sets key in obj to the base64url of big-number parameter param of pub. */
static int
set_bn_param(json_t *obj, const char *key, const EVP_PKEY *pub, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	char *s = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(pub, param, &bn) != 1) {
		ck_error_ssl("EVP_PKEY_get_bn_param(%s)", param);
		goto out;
	}
	if ((s = bn_b64url(bn, pad)) == NULL) {
		ck_error("cannot encode JWK member %s", key);
		goto out;
	}
	if (json_object_set_new(obj, key, json_string(s)) != 0) {
		ck_error("json_object_set_new(%s) failed", key);
		goto out;
	}
	rc = 0;
out:
	free(s);
	BN_free(bn);
	return rc;
}

/* Sets key in obj to the base64url of the len bytes at p. */
static int
set_b64url(json_t *obj, const char *key, const unsigned char *p, size_t len)
{
	char *s;
	int rc = -1;

	if ((s = ck_b64url_encode(p, len)) == NULL)
		ck_error("cannot encode JWK member %s", key);
	else if (json_object_set_new(obj, key, json_string(s)) != 0)
		ck_error("json_object_set_new(%s) failed", key);
	else
		rc = 0;
	free(s);
	return rc;
}

/*
 * Sets "x" and "y" in obj, each field bytes (RFC 7518 6.2.1), from an EC
 * key's encoded point when it is uncompressed, 04 || X || Y: one export of
 * the point, where asking for the coordinates one by one costs two.  A
 * point encoded otherwise gives its coordinates one by one.
 */
static int
set_ec_point(json_t *obj, const EVP_PKEY *pub, int field)
{
	unsigned char point[CK_EC_POINT_MAX];
	size_t len = 0;
	int whole;

	ERR_set_mark();
	whole = EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	    sizeof(point), &len) == 1 && len == 1 + 2 * (size_t)field && point[0] == 0x04;
	ERR_pop_to_mark();
	if (!whole)
		return set_bn_param(obj, "x", pub, OSSL_PKEY_PARAM_EC_PUB_X, field) != 0 ||
		    set_bn_param(obj, "y", pub, OSSL_PKEY_PARAM_EC_PUB_Y, field) != 0 ? -1 : 0;
	return set_b64url(obj, "x", point + 1, (size_t)field) != 0 ||
	    set_b64url(obj, "y", point + 1 + field, (size_t)field) != 0 ? -1 : 0;
}

json_t *
ck_jwk(const EVP_PKEY *pub)
{
	char group[32];
	json_t *jwk = NULL;
	const char *crv;
	int field;

	if ((jwk = json_object()) == NULL)
		goto fail;
	if (EVP_PKEY_is_a(pub, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), NULL) != 1) {
			ck_error_ssl("EVP_PKEY_get_utf8_string_param(group)");
			goto fail;
		}
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			crv = "P-256";
			field = 32;
		} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			crv = "P-384";
			field = 48;
		} else {
			ck_error("no JWK for EC curve %s", group);
			goto fail;
		}
		if (json_object_set_new(jwk, "crv", json_string(crv)) != 0 ||
		    json_object_set_new(jwk, "kty", json_string("EC")) != 0 ||
		    set_ec_point(jwk, pub, field) != 0)
			goto fail;
	} else if (EVP_PKEY_is_a(pub, "RSA")) {
		if (json_object_set_new(jwk, "kty", json_string("RSA")) != 0 ||
		    set_bn_param(jwk, "n", pub, OSSL_PKEY_PARAM_RSA_N, 0) != 0 ||
		    set_bn_param(jwk, "e", pub, OSSL_PKEY_PARAM_RSA_E, 0) != 0)
			goto fail;
	} else {
		ck_error("no JWK for key type %s", EVP_PKEY_get0_type_name(pub));
		goto fail;
	}
	return jwk;
fail:
	json_decref(jwk);
	return NULL;
}

int
ck_jwk_thumbprint(const EVP_PKEY *pub, char **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	json_t *jwk = NULL;
	char *text = NULL;
	int rc = -1;

	/* RFC 7638: required members only, sorted, no whitespace. */
	if ((jwk = ck_jwk(pub)) == NULL)
		goto out;
	if ((text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		ck_error("json_dumps of the JWK failed");
		goto out;
	}
	if (EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1) {
		ck_error_ssl("EVP_Digest(JWK thumbprint)");
		goto out;
	}
	if ((*out = ck_b64url_encode(md, mdlen)) == NULL) {
		ck_error("out of memory encoding the thumbprint");
		goto out;
	}
	rc = 0;
out:
	free(text);
	json_decref(jwk);
	return rc;
}

char *
ck_jws_b64url_json(const json_t *j)
{
	char *text, *out;

	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		return NULL;
	out = ck_b64url_encode((const unsigned char *)text, strlen(text));
	free(text);
	return out;
}

#define JWS_FORMAT "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}"

int
ck_jws_sign(struct ck_signer *s, const char *url, const char *nonce, const char *kid,
    const json_t *payload, char **out)
{
	json_t *hdr = NULL, *jwk = NULL;
	char *prot64 = NULL, *pay64 = NULL, *input = NULL, *sig64 = NULL;
	unsigned char *sig = NULL;
	size_t siglen, inlen, len;
	int rc = -1;

	hdr = json_pack("{s:s, s:s}", "alg", ck_signer_jws_alg(s), "url", url);
	if (hdr == NULL || (nonce != NULL &&
	    json_object_set_new(hdr, "nonce", json_string(nonce)) != 0)) {
		ck_error("json_pack of the JWS header failed");
		goto out;
	}
	if (kid != NULL) {
		if (json_object_set_new(hdr, "kid", json_string(kid)) != 0) {
			ck_error("json_object_set_new(kid) failed");
			goto out;
		}
	} else {
		if ((jwk = ck_jwk(s->pub)) == NULL)
			goto out;
		if (json_object_set(hdr, "jwk", jwk) != 0) {
			ck_error("json_object_set(jwk) failed");
			goto out;
		}
	}
	if ((prot64 = ck_jws_b64url_json(hdr)) == NULL ||
	    (pay64 = payload != NULL ? ck_jws_b64url_json(payload) : strdup("")) == NULL) {
		ck_error("cannot serialize the JWS for %s", url);
		goto out;
	}
	inlen = strlen(prot64) + 1 + strlen(pay64);
	if ((input = malloc(inlen + 1)) == NULL) {
		ck_error("out of memory building the JWS for %s", url);
		goto out;
	}
	snprintf(input, inlen + 1, "%s.%s", prot64, pay64);
	if (ck_signer_sign(s, (const unsigned char *)input, inlen, CK_SIG_JWS, &sig, &siglen) != 0)
		goto out;
	if ((sig64 = ck_b64url_encode(sig, siglen)) == NULL) {
		ck_error("out of memory encoding the JWS signature");
		goto out;
	}
	/* The flattened JSON serialization (RFC 7515 7.2.2): three base64url
	 * strings, which need no escaping, so no JSON object is built for it. */
	len = sizeof(JWS_FORMAT) + inlen + strlen(sig64);
	if ((*out = malloc(len)) == NULL) {
		ck_error("out of memory serializing the JWS for %s", url);
		goto out;
	}
	snprintf(*out, len, JWS_FORMAT, prot64, pay64, sig64);
	rc = 0;
out:
	json_decref(jwk);
	json_decref(hdr);
	free(sig64);
	free(sig);
	free(input);
	free(pay64);
	free(prot64);
	return rc;
}

int
ck_jws_verify(const char *text, const EVP_PKEY *pub, json_t **protected_hdr, char **payload)
{
	json_t *jws = NULL, *hdr = NULL;
	const char *prot64, *pay64, *sig64, *alg;
	unsigned char *prot = NULL, *pay = NULL, *sig = NULL, *der = NULL;
	size_t protlen, paylen, siglen, derlen, field;
	const unsigned char *vsig;
	size_t vsiglen;
	const EVP_MD *md;
	EVP_MD_CTX *ctx = NULL;
	char *input = NULL;
	json_error_t jerr;
	int rc = -1;

	if ((jws = json_loads(text, 0, &jerr)) == NULL ||
	    json_unpack(jws, "{s:s, s:s, s:s}", "protected", &prot64, "payload", &pay64,
	    "signature", &sig64) != 0) {
		ck_error("JWS is not a flattened JSON serialization");
		goto out;
	}
	if (ck_b64url_decode(prot64, &prot, &protlen) != 0 ||
	    ck_b64url_decode(pay64, &pay, &paylen) != 0 ||
	    ck_b64url_decode(sig64, &sig, &siglen) != 0)
		goto out;
	if ((hdr = json_loadb((const char *)prot, protlen, 0, &jerr)) == NULL ||
	    json_unpack(hdr, "{s:s}", "alg", &alg) != 0) {
		ck_error("JWS protected header is not JSON with an alg");
		goto out;
	}
	vsig = sig;
	vsiglen = siglen;
	if (strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0) {
		md = strcmp(alg, "ES256") == 0 ? EVP_sha256() : EVP_sha384();
		field = strcmp(alg, "ES256") == 0 ? 32 : 48;
		if (siglen != 2 * field) {
			ck_error("JWS %s signature has %zu bytes, expected %zu", alg, siglen, 2 * field);
			goto out;
		}
		if (ck_sig_ecdsa_raw_to_der(sig, field, sig + field, field, &der, &derlen) != 0)
			goto out;
		vsig = der;
		vsiglen = derlen;
	} else if (strcmp(alg, "RS256") == 0) {
		md = EVP_sha256();
	} else {
		ck_error("JWS alg %s is not supported", alg);
		goto out;
	}
	if ((input = malloc(strlen(prot64) + strlen(pay64) + 2)) == NULL) {
		ck_error("out of memory verifying a JWS");
		goto out;
	}
	sprintf(input, "%s.%s", prot64, pay64);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, (EVP_PKEY *)pub) != 1) {
		ck_error_ssl("EVP_DigestVerifyInit");
		goto out;
	}
	if (EVP_DigestVerify(ctx, vsig, vsiglen, (const unsigned char *)input, strlen(input)) != 1) {
		ck_error_ssl("JWS signature does not verify");
		goto out;
	}
	if ((*payload = malloc(paylen + 1)) == NULL) {
		ck_error("out of memory verifying a JWS");
		goto out;
	}
	memcpy(*payload, pay, paylen);
	(*payload)[paylen] = '\0';
	*protected_hdr = hdr;
	hdr = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(input);
	free(der);
	free(sig);
	free(pay);
	free(prot);
	json_decref(hdr);
	json_decref(jws);
	return rc;
}
