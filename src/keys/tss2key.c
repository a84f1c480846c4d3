/*
 * keys/tss2key.c: the "TSS2 PRIVATE KEY" file of tpm2-openssl (see keys/tss2key.h),
 * read and written with an OpenSSL ASN.1 template, so that key files made
 * here load in tpm2-openssl and the other way round.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"
#include "certkeeper/keys/tss2key.h"

#define TSS2KEY_PEM_LABEL	"TSS2 PRIVATE KEY"
#define OID_LOADABLE		"2.23.133.10.1.3"
#define OID_IMPORTABLE		"2.23.133.10.1.4"
#define OID_SEALED		"2.23.133.10.1.5"
/* Key files are a few hundred bytes; anything far larger is not one. */
#define TSS2KEY_MAX_PEM		(64 * 1024)

typedef struct {
	ASN1_OBJECT *type;
	ASN1_BOOLEAN empty_auth;	/* -1 when absent */
	ASN1_INTEGER *parent;
	ASN1_OCTET_STRING *pubkey;
	ASN1_OCTET_STRING *privkey;
} CK_TSS2KEY_ASN1;

/*
 * Only the fields tpm2-openssl 1.1.1 parses: a file with the optional
 * policy/secret fields of later drafts would not load there either.
 */
ASN1_SEQUENCE(CK_TSS2KEY_ASN1) = {
	ASN1_SIMPLE(CK_TSS2KEY_ASN1, type, ASN1_OBJECT),
	ASN1_EXP_OPT(CK_TSS2KEY_ASN1, empty_auth, ASN1_BOOLEAN, 0),
	ASN1_SIMPLE(CK_TSS2KEY_ASN1, parent, ASN1_INTEGER),
	ASN1_SIMPLE(CK_TSS2KEY_ASN1, pubkey, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CK_TSS2KEY_ASN1, privkey, ASN1_OCTET_STRING)
} static_ASN1_SEQUENCE_END(CK_TSS2KEY_ASN1)

/* Non-zero if buf is a TPM2B: a big-endian 16-bit size, then exactly that many bytes. */
static int
tpm2b_ok(const unsigned char *buf, size_t len)
{
	return len >= 2 && ((size_t)buf[0] << 8 | buf[1]) == len - 2;
}

/*
 * Copies an OCTET STRING holding a TPM2B into *out (OPENSSL_malloc'd, as
 * ck_tss2key_clear frees it); `field` and `what` name it in errors.
 */
static int
copy_tpm2b(const ASN1_OCTET_STRING *os, const char *field, const char *what,
    unsigned char **out, size_t *outlen)
{
	const unsigned char *data = ASN1_STRING_get0_data(os);
	size_t len = (size_t)ASN1_STRING_length(os);

	if (!tpm2b_ok(data, len)) {
		ck_error("%s: truncated or malformed %s blob in TSS2 key (%zu bytes, size prefix "
		    "disagrees)", what, field, len);
		return -1;
	}
	if ((*out = OPENSSL_malloc(len)) == NULL) {
		ck_error("%s: out of memory reading TSS2 key", what);
		return -1;
	}
	memcpy(*out, data, len);
	*outlen = len;
	return 0;
}

/* Frees a TPMKey structure, wiping its private blob first (ASN1_item_free does not). */
static void
asn_free(CK_TSS2KEY_ASN1 *asn)
{
	if (asn != NULL && asn->privkey != NULL && asn->privkey->data != NULL)
		OPENSSL_cleanse(asn->privkey->data, (size_t)asn->privkey->length);
	ASN1_item_free((ASN1_VALUE *)asn, ASN1_ITEM_rptr(CK_TSS2KEY_ASN1));
}

int
ck_tss2key_encode(const struct ck_tss2key *k, char **pem, size_t *pemlen)
{
	CK_TSS2KEY_ASN1 *asn = NULL;
	ASN1_OBJECT *oid = NULL;
	unsigned char *der = NULL;
	BIO *bio = NULL;
	int derlen = 0, rc = -1;

	if (!tpm2b_ok(k->pub, k->publen) || !tpm2b_ok(k->priv, k->privlen) ||
	    k->publen > INT_MAX || k->privlen > INT_MAX) {
		ck_error("TSS2 key encoding: public or private blob is not a marshalled TPM2B");
		goto out;
	}
	if ((asn = (CK_TSS2KEY_ASN1 *)ASN1_item_new(ASN1_ITEM_rptr(CK_TSS2KEY_ASN1))) == NULL ||
	    (oid = OBJ_txt2obj(OID_LOADABLE, 1)) == NULL) {
		ck_error_ssl("TSS2 key encoding: ASN1_item_new");
		goto out;
	}
	ASN1_OBJECT_free(asn->type);
	asn->type = oid;
	oid = NULL;
	/*
	 * Written even when TRUE (absent reads as TRUE, but explicit is clearer).
	 * OpenSSL writes the int's low byte as the content: DER wants 0xFF.
	 */
	asn->empty_auth = k->empty_auth ? 0xff : 0;
	if (ASN1_INTEGER_set_uint64(asn->parent, k->parent) != 1 ||
	    ASN1_OCTET_STRING_set(asn->pubkey, k->pub, (int)k->publen) != 1 ||
	    ASN1_OCTET_STRING_set(asn->privkey, k->priv, (int)k->privlen) != 1) {
		ck_error_ssl("TSS2 key encoding: setting fields");
		goto out;
	}
	if ((derlen = ASN1_item_i2d((ASN1_VALUE *)asn, &der, ASN1_ITEM_rptr(CK_TSS2KEY_ASN1))) <= 0) {
		ck_error_ssl("TSS2 key encoding: ASN1_item_i2d");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(bio, TSS2KEY_PEM_LABEL, "", der, derlen) <= 0) {
		ck_error_ssl("TSS2 key encoding: PEM_write_bio");
		goto out;
	}
	rc = ck_pem_secret_from_bio(bio, "a TSS2 key", pem, pemlen);
out:
	BIO_free(bio);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	ASN1_OBJECT_free(oid);
	asn_free(asn);
	return rc;
}

/* Reports an OID other than a loadable key's, naming what the file is instead. */
static void
report_oid(const ASN1_OBJECT *type, const char *what)
{
	ASN1_OBJECT *imp = OBJ_txt2obj(OID_IMPORTABLE, 1);
	ASN1_OBJECT *sealed = OBJ_txt2obj(OID_SEALED, 1);
	char txt[80];

	if (OBJ_obj2txt(txt, sizeof(txt), type, 1) <= 0)
		snprintf(txt, sizeof(txt), "(unprintable)");
	if (imp != NULL && OBJ_cmp(type, imp) == 0)
		ck_error("%s: TSS2 key is an importable key (OID %s), not a loadable one", what, txt);
	else if (sealed != NULL && OBJ_cmp(type, sealed) == 0)
		ck_error("%s: TSS2 file holds sealed data (OID %s), not a key", what, txt);
	else
		ck_error("%s: wrong OID %s in TSS2 key (want %s, loadable key)", what, txt,
		    OID_LOADABLE);
	ASN1_OBJECT_free(imp);
	ASN1_OBJECT_free(sealed);
}

int
ck_tss2key_decode(const char *pem, size_t pemlen, const char *what, struct ck_tss2key *k)
{
	CK_TSS2KEY_ASN1 *asn = NULL;
	ASN1_OBJECT *loadable = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	uint64_t parent;
	BIO *bio = NULL;
	long derlen = 0;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (pemlen > TSS2KEY_MAX_PEM) {
		ck_error("%s: too large for a TSS2 key (%zu bytes)", what, pemlen);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL) {
		ck_error_ssl("%s: BIO_new_mem_buf", what);
		goto out;
	}
	if (PEM_read_bio(bio, &name, &header, &der, &derlen) != 1) {
		ck_error_ssl("%s: not a TSS2 key (no PEM block)", what);
		goto out;
	}
	if (strcmp(name, TSS2KEY_PEM_LABEL) != 0) {
		char label[64];

		ck_sanitize(label, sizeof(label), name, strlen(name));
		ck_error("%s: not a TSS2 key (PEM label '%s', want '%s')", what, label,
		    TSS2KEY_PEM_LABEL);
		goto out;
	}
	p = der;
	asn = (CK_TSS2KEY_ASN1 *)ASN1_item_d2i(NULL, &p, derlen, ASN1_ITEM_rptr(CK_TSS2KEY_ASN1));
	if (asn == NULL) {
		ck_error_ssl("%s: malformed TSS2 key (truncated or not the TPMKey structure)", what);
		goto out;
	}
	if (p != der + derlen) {
		ck_error("%s: malformed TSS2 key (%ld bytes after the key structure)", what,
		    (long)(der + derlen - p));
		goto out;
	}
	if ((loadable = OBJ_txt2obj(OID_LOADABLE, 1)) == NULL) {
		ck_error_ssl("OBJ_txt2obj(%s)", OID_LOADABLE);
		goto out;
	}
	if (OBJ_cmp(asn->type, loadable) != 0) {
		report_oid(asn->type, what);
		goto out;
	}
	if (ASN1_INTEGER_get_uint64(&parent, asn->parent) != 1 || parent > UINT32_MAX) {
		ERR_clear_error();
		ck_error("%s: TSS2 key parent handle is not a 32-bit handle", what);
		goto out;
	}
	if (copy_tpm2b(asn->pubkey, "public", what, &k->pub, &k->publen) == -1 ||
	    copy_tpm2b(asn->privkey, "private", what, &k->priv, &k->privlen) == -1)
		goto out;
	/* Absent means TRUE: that is how tpm2-openssl reads it. */
	k->empty_auth = asn->empty_auth != 0;
	k->parent = (uint32_t)parent;
	rc = 0;
out:
	if (rc == -1)
		ck_tss2key_clear(k);
	ASN1_OBJECT_free(loadable);
	asn_free(asn);
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	BIO_free(bio);
	return rc;
}

void
ck_tss2key_clear(struct ck_tss2key *k)
{
	OPENSSL_free(k->pub);
	if (k->priv != NULL)
		OPENSSL_clear_free(k->priv, k->privlen);
	memset(k, 0, sizeof(*k));
}
