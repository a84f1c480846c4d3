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
 * here (0).
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "certkeeper/keys/ecder.h"
#include "certkeeper/util/log.h"

/* The largest encoded point: P-521 uncompressed, 1 + 2 * 66 bytes. */
#define POINT_MAX 133
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
 * uncompressed point into point (POINT_MAX bytes) and *point_len.  Returns
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
	    POINT_MAX, point_len) != 1) {
		ERR_pop_to_mark();
		return 0;
	}
	ERR_clear_last_mark();
	return 1;
}

int
ck_ec_spki_set(X509_PUBKEY *spki, const EVP_PKEY *key)
{
	unsigned char point[POINT_MAX], *enc;
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
	unsigned char point[POINT_MAX], *der = NULL;
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
