/*
 * keys/ecder.c: an EC key's SubjectPublicKeyInfo and PKCS#8 encodings from
 * its parameters, through OpenSSL's ASN.1 templates (see keys/ecder.h).
 *
 * What OpenSSL 3.0's encoder writes, and so what this writes:
 * - SubjectPublicKeyInfo: algorithm id-ecPublicKey with the curve's OID as
 *   parameters, the point as the key's conversion form gives it (RFC 5480);
 * - PrivateKeyInfo: version 0, the same algorithm, and an ECPrivateKey
 *   (RFC 5915) of version 1, the private scalar padded to the group order's
 *   length, no parameters (they are in the algorithm), and the public point
 *   unless the key says not to include it.
 * A key with explicit curve parameters, or compressed points, is not handled
 * here (0).  Reading goes the other way: an ECPrivateKey in a PrivateKeyInfo
 * becomes a key through the key manager (EVP_PKEY_fromdata, which checks the
 * point is on the curve), with no decoder set up.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "certkeeper/keys/ecder.h"
#include "certkeeper/util/log.h"

/* The largest private scalar: P-521, 66 bytes. */
#define SCALAR_MAX 66

/* ECPrivateKey (RFC 5915 3), as OpenSSL's own template declares it. */
typedef struct {
	int32_t version;
	ASN1_OCTET_STRING *private_key;
	ASN1_OBJECT *parameters;
	ASN1_BIT_STRING *public_key;
} CK_EC_PRIVATE_KEY;

ASN1_SEQUENCE(CK_EC_PRIVATE_KEY) = {
	ASN1_EMBED(CK_EC_PRIVATE_KEY, version, INT32),
	ASN1_SIMPLE(CK_EC_PRIVATE_KEY, private_key, ASN1_OCTET_STRING),
	ASN1_EXP_OPT(CK_EC_PRIVATE_KEY, parameters, ASN1_OBJECT, 0),
	ASN1_EXP_OPT(CK_EC_PRIVATE_KEY, public_key, ASN1_BIT_STRING, 1)
} static_ASN1_SEQUENCE_END(CK_EC_PRIVATE_KEY)

/*
 * The curve's NID of an EC key on a named curve, encoded by name, with its
 * uncompressed point into point (CK_EC_POINT_MAX bytes) and *point_len.  Returns
 * 1, or 0 for any other key, or one asking for compressed points (the queue
 * left as it was).
 */
static int
named_curve(const EVP_PKEY *key, int *nid, unsigned char *point, size_t *point_len)
{
	char group[64], encoding[32], form[32];

	if (!EVP_PKEY_is_a(key, "EC"))
		return 0;
	ERR_set_mark();
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL) != 1 ||
	    (*nid = OBJ_txt2nid(group)) == NID_undef ||
	    (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
	    sizeof(encoding), NULL) == 1 &&
	    strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0) ||
	    (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    form, sizeof(form), NULL) == 1 &&
	    strcmp(form, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0) ||
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	    CK_EC_POINT_MAX, point_len) != 1) {
		ERR_pop_to_mark();
		return 0;
	}
	ERR_clear_last_mark();
	return 1;
}

int
ck_ec_spki_set(X509_PUBKEY *spki, const EVP_PKEY *key)
{
	unsigned char point[CK_EC_POINT_MAX], *enc;
	size_t len;
	int nid;

	if (!named_curve(key, &nid, point, &len))
		return 0;
	if ((enc = OPENSSL_memdup(point, len)) == NULL) {
		ck_error("out of memory encoding a public key");
		return -1;
	}
	/* Takes enc; the two objects are OpenSSL's static ones. */
	if (X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
	    OBJ_nid2obj(nid), enc, (int)len) != 1) {
		OPENSSL_free(enc);
		ck_error_ssl("X509_PUBKEY_set0_param (EC public key)");
		return -1;
	}
	return 1;
}

/*
 * The key's ECPrivateKey, DER, into *der (OPENSSL_malloc'd, *der_len bytes;
 * wipe before freeing).  Returns 1, 0 when key has no private scalar, -1 on
 * failure (reported).
 */
static int
ec_private_key_der(const EVP_PKEY *key, const unsigned char *point, size_t point_len,
    unsigned char **der, int *der_len)
{
	CK_EC_PRIVATE_KEY v;
	unsigned char scalar[SCALAR_MAX];
	BIGNUM *priv = NULL;
	int bytes = (EVP_PKEY_get_bits(key) + 7) / 8, include_public = 1, rc = -1;

	memset(&v, 0, sizeof(v));
	ERR_set_mark();
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) {
		ERR_pop_to_mark();
		return 0;
	}
	ERR_clear_last_mark();
	if (bytes <= 0 || bytes > SCALAR_MAX || BN_bn2binpad(priv, scalar, bytes) != bytes) {
		ck_error("EC private key: the scalar does not fit the curve (%d bits)",
		    EVP_PKEY_get_bits(key));
		goto out;
	}
	/* OpenSSL's "include public key" flag; absent means included. */
	ERR_set_mark();
	if (EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, &include_public) != 1)
		include_public = 1;
	ERR_pop_to_mark();
	v.version = 1;
	if ((v.private_key = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(v.private_key, scalar, bytes) != 1 ||
	    (include_public && ((v.public_key = ASN1_BIT_STRING_new()) == NULL ||
	    ASN1_BIT_STRING_set(v.public_key, (unsigned char *)point, (int)point_len) != 1))) {
		ck_error_ssl("ASN1_STRING_set (EC private key)");
		goto out;
	}
	if (v.public_key != NULL) {
		/* A point is whole bytes: no unused bits, whatever its last byte is. */
		v.public_key->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
		v.public_key->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	}
	*der = NULL;
	if ((*der_len = ASN1_item_i2d((ASN1_VALUE *)&v, der, ASN1_ITEM_rptr(CK_EC_PRIVATE_KEY)))
	    <= 0) {
		ck_error_ssl("ASN1_item_i2d (ECPrivateKey)");
		goto out;
	}
	rc = 1;
out:
	OPENSSL_cleanse(scalar, sizeof(scalar));
	BN_clear_free(priv);
	ASN1_STRING_clear_free(v.private_key);
	ASN1_BIT_STRING_free(v.public_key);
	return rc;
}

int
ck_ec_pkcs8_write(BIO *out, const EVP_PKEY *key)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char point[CK_EC_POINT_MAX], *der = NULL;
	size_t point_len;
	int nid, der_len = 0, rc;

	if (!named_curve(key, &nid, point, &point_len))
		return 0;
	if ((rc = ec_private_key_der(key, point, point_len, &der, &der_len)) != 1)
		return rc;
	rc = -1;
	if ((p8 = PKCS8_PRIV_KEY_INFO_new()) == NULL) {
		ck_error_ssl("PKCS8_PRIV_KEY_INFO_new");
		goto out;
	}
	/* Takes der (wiped when p8 is freed). */
	if (PKCS8_pkey_set0(p8, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0, V_ASN1_OBJECT,
	    OBJ_nid2obj(nid), der, der_len) != 1) {
		ck_error_ssl("PKCS8_pkey_set0");
		goto out;
	}
	der = NULL;
	if (PEM_write_bio_PKCS8_PRIV_KEY_INFO(out, p8) != 1) {
		ck_error_ssl("PEM_write_bio_PKCS8_PRIV_KEY_INFO");
		goto out;
	}
	rc = 1;
out:
	OPENSSL_clear_free(der, der_len > 0 ? (size_t)der_len : 0);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc;
}

/*
 * The key in an ECPrivateKey on curve nid: its scalar and its public point
 * through the key manager.  Returns 1 with *out set, 0 when v says other
 * parameters than nid or has no public key (the caller's decoder derives
 * one), -1 when the key manager refuses it (an off-curve point).
 */
static int
from_ec_private_key(const CK_EC_PRIVATE_KEY *v, int nid, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *priv = NULL;
	const char *group = OBJ_nid2sn(nid);
	int rc = 0;

	if (v->version != 1 || v->public_key == NULL || group == NULL ||
	    (v->parameters != NULL && OBJ_obj2nid(v->parameters) != nid))
		return 0;
	rc = -1;
	if ((priv = BN_secure_new()) == NULL ||
	    BN_bin2bn(ASN1_STRING_get0_data(v->private_key), ASN1_STRING_length(v->private_key),
	    priv) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    ASN1_STRING_get0_data(v->public_key), (size_t)ASN1_STRING_length(v->public_key)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	rc = 1;
out:
	EVP_PKEY_CTX_free(ctx);
	/* The scalar went in the "secure" part (priv is secure), which OSSL_PARAM_free wipes. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return rc;
}

int
ck_ec_pkcs8_key(const PKCS8_PRIV_KEY_INFO *p8, EVP_PKEY **out)
{
	const ASN1_OBJECT *alg;
	const X509_ALGOR *algor;
	const unsigned char *der, *p;
	const void *pval;
	CK_EC_PRIVATE_KEY *v = NULL;
	int len, ptype, rc;

	if (PKCS8_pkey_get0(&alg, &der, &len, &algor, p8) != 1 ||
	    OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
		return 0;
	X509_ALGOR_get0(NULL, &ptype, &pval, algor);
	if (ptype != V_ASN1_OBJECT || OBJ_obj2nid(pval) == NID_undef)
		return 0;
	p = der;
	if ((v = (CK_EC_PRIVATE_KEY *)ASN1_item_d2i(NULL, &p, len,
	    ASN1_ITEM_rptr(CK_EC_PRIVATE_KEY))) == NULL || p != der + len) {
		rc = -1;
		goto out;
	}
	rc = from_ec_private_key(v, OBJ_obj2nid(pval), out);
out:
	if (v != NULL)
		OPENSSL_cleanse(v->private_key->data, (size_t)v->private_key->length);
	ASN1_item_free((ASN1_VALUE *)v, ASN1_ITEM_rptr(CK_EC_PRIVATE_KEY));
	return rc;
}
