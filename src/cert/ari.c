/*
 * cert/ari.c: the ARI identifier of a certificate (RFC 9773 4.1; see
 * cert/ari.h).  The serial part is the INTEGER's DER content octets as
 * they are, so a serial with its high bit set keeps its leading 0x00, as
 * the CA's own lookup expects.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/cert/ari.h"
#include "certkeeper/cert/memo.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The serial in hex for messages, into buf ("?" if it cannot be shown). */
static void
serial_text(const X509 *x, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/*
 * The content octets of the serial's DER encoding: *der (OPENSSL_malloc'd,
 * the whole TLV) and the offset and length of the content in it.
 */
static int
serial_content(const X509 *x, unsigned char **der, size_t *off, size_t *n)
{
	int len, k;
	size_t i;

	*der = NULL;
	if ((len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), der)) <= 0) {
		ck_error_ssl("i2d_ASN1_INTEGER of the certificate's serial");
		return -1;
	}
	/* Tag 0x02, then a short length or 0x8k and k bytes of length. */
	if (len < 3 || (*der)[0] != V_ASN1_INTEGER)
		goto bad;
	if ((*der)[1] < 0x80) {
		*off = 2;
		*n = (*der)[1];
	} else {
		k = (*der)[1] & 0x7f;
		if (k < 1 || k > 4 || len < 2 + k)
			goto bad;
		*off = 2 + (size_t)k;
		for (*n = 0, i = 0; i < (size_t)k; i++)
			*n = *n << 8 | (*der)[2 + i];
	}
	if (*n == 0 || *off + *n != (size_t)len)
		goto bad;
	return 0;
bad:
	ck_error_as(CK_ERR_INTERNAL, "the DER encoding of the certificate's serial is malformed");
	OPENSSL_free(*der);
	*der = NULL;
	return -1;
}

int
ck_ari_cert_id(const char *pem, size_t len, char **id)
{
	const ASN1_OCTET_STRING *kid;
	unsigned char *der = NULL;
	char *akipart = NULL, *serialpart = NULL, *out = NULL, serial[128];
	size_t off = 0, n = 0, akilen, outlen;
	X509 *x = NULL;
	int rc = -1;

	*id = NULL;
	if ((x = ck_cert_memo_first(pem, len)) == NULL) {
		ck_error_ssl("ARI certificate identifier: cannot read a certificate");
		goto out;
	}
	serial_text(x, serial, sizeof(serial));
	kid = X509_get0_authority_key_id(x);
	if (kid == NULL || ASN1_STRING_length(kid) <= 0) {
		ck_error_as(CK_ERR_CHECK, "certificate %s has no ARI identifier: %s", serial,
		    X509_get_ext_by_NID(x, NID_authority_key_identifier, -1) < 0 ?
		    "it has no Authority Key Identifier extension" :
		    "its Authority Key Identifier has no (readable) keyIdentifier");
		goto out;
	}
	if (serial_content(x, &der, &off, &n) != 0)
		goto out;
	if ((akipart = ck_b64url_encode(ASN1_STRING_get0_data(kid),
	    (size_t)ASN1_STRING_length(kid))) == NULL ||
	    (serialpart = ck_b64url_encode(der + off, n)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	akilen = strlen(akipart);
	outlen = akilen + 1 + strlen(serialpart);
	if (outlen > CK_ARI_ID_MAX) {
		ck_error_as(CK_ERR_CHECK, "certificate %s: its ARI identifier would be %zu bytes, "
		    "more than %d", serial, outlen, CK_ARI_ID_MAX);
		goto out;
	}
	if ((out = malloc(outlen + 1)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	memcpy(out, akipart, akilen);
	out[akilen] = '.';
	memcpy(out + akilen + 1, serialpart, outlen - akilen);	/* with its NUL */
	*id = out;
	rc = 0;
out:
	free(akipart);
	free(serialpart);
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

/* Whether the n bytes at p are unpadded base64url of at least one byte. */
static int
b64url_part_ok(const char *p, size_t n)
{
	size_t i;

	/* One character holds 6 bits, less than a byte: no encoder ends a part so. */
	if (n == 0 || n % 4 == 1)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(b64url_chars, p[i]) == NULL)
			return 0;
	return 1;
}

int
ck_ari_cert_id_valid(const char *id)
{
	const char *dot;
	size_t n;

	if (id == NULL || (n = strlen(id)) > CK_ARI_ID_MAX || (dot = strchr(id, '.')) == NULL)
		return 0;
	return b64url_part_ok(id, (size_t)(dot - id)) &&
	    b64url_part_ok(dot + 1, n - (size_t)(dot - id) - 1);
}
