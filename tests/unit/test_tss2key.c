/*
 * test_tss2key.c: the "TSS2 PRIVATE KEY" format (src/tss2key.c): what we
 * write is what tpm2-openssl reads, what tpm2-openssl writes we read, and
 * malformed files are refused with a reason.  Malformed inputs are built
 * here byte by byte, so each test breaks exactly one thing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/tss2key.h"

/* 2.23.133.10.1.3 (loadable key), DER content bytes. */
static const unsigned char oid_loadable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03 };
static const unsigned char oid_importable[] = { 0x67, 0x81, 0x05, 0x0a, 0x01, 0x04 };
static const unsigned char oid_other[] = { 0x2a, 0x03, 0x04 };		/* 1.2.3.4 */

static const unsigned char good_pub[] = { 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef };
static const unsigned char good_priv[] = { 0x00, 0x02, 0x01, 0x02 };
static const unsigned char parent_owner[] = { 0x40, 0x00, 0x00, 0x01 };

/* What a hand-built key file contains; NULL fields are left out. */
struct spec {
	const unsigned char *oid;
	size_t oidlen;
	int empty_auth;			/* -1: no [0] field */
	const unsigned char *parent;	/* INTEGER content */
	size_t parentlen;
	const unsigned char *pub;
	size_t publen;
	const unsigned char *priv;
	size_t privlen;
};

static const struct spec good = {
	oid_loadable, sizeof(oid_loadable), 0xff, parent_owner, sizeof(parent_owner),
	good_pub, sizeof(good_pub), good_priv, sizeof(good_priv)
};

/* Appends tag, short-form length and content; everything here is < 128 bytes. */
static size_t
tlv(unsigned char *out, unsigned char tag, const unsigned char *c, size_t n)
{
	assert_true(n < 128);
	out[0] = tag;
	out[1] = (unsigned char)n;
	memcpy(out + 2, c, n);
	return n + 2;
}

/* DER of the TPMKey SEQUENCE described by sp; returns its length. */
static size_t
build_der(const struct spec *sp, unsigned char *out)
{
	unsigned char body[256], b[3];
	size_t n = 0;

	n += tlv(body + n, 0x06, sp->oid, sp->oidlen);
	if (sp->empty_auth >= 0) {
		b[0] = 0x01;	/* BOOLEAN, length 1 */
		b[1] = 0x01;
		b[2] = (unsigned char)sp->empty_auth;
		n += tlv(body + n, 0xa0, b, 3);
	}
	n += tlv(body + n, 0x02, sp->parent, sp->parentlen);
	n += tlv(body + n, 0x04, sp->pub, sp->publen);
	n += tlv(body + n, 0x04, sp->priv, sp->privlen);
	return tlv(out, 0x30, body, n);
}

/* PEM text of der under label (malloc'd, NUL-terminated). */
static char *
pem_wrap(const char *label, const unsigned char *der, size_t len, size_t *pemlen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_non_null(bio);
	assert_true(PEM_write_bio(bio, label, "", der, (long)len) > 0);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	pem = calloc(1, (size_t)n + 1);
	assert_non_null(pem);
	memcpy(pem, data, (size_t)n);
	*pemlen = (size_t)n;
	BIO_free(bio);
	return pem;
}

/* Decodes a hand-built file and expects a refusal whose text contains want. */
static void
expect_reject_der(const char *label, const unsigned char *der, size_t derlen, const char *want)
{
	struct ck_tss2key k;
	size_t pemlen;
	char *pem = pem_wrap(label, der, derlen, &pemlen);

	ck_clear_error();
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "test.pem", &k), -1);
	assert_non_null(strstr(ck_last_error(), "test.pem"));
	if (strstr(ck_last_error(), want) == NULL)
		fail_msg("error '%s' does not contain '%s'", ck_last_error(), want);
	assert_null(k.pub);
	assert_null(k.priv);
	free(pem);
}

static void
expect_reject(const struct spec *sp, const char *want)
{
	unsigned char der[300];
	size_t len = build_der(sp, der);

	expect_reject_der("TSS2 PRIVATE KEY", der, len, want);
}

/* Broken if a key does not survive encode+decode (parent, emptyAuth, blobs). */
static void
test_round_trip(void **state)
{
	static const int auths[] = { 1, 0 };
	unsigned char pub[] = { 0x00, 0x04, 1, 2, 3, 4 }, priv[] = { 0x00, 0x03, 9, 8, 7 };
	struct ck_tss2key in = { 0 }, out;
	char *pem = NULL;
	size_t pemlen, i;

	for (i = 0; i < 2; i++) {
		in.empty_auth = auths[i];
		in.parent = 0x81000001;
		in.pub = pub;
		in.publen = sizeof(pub);
		in.priv = priv;
		in.privlen = sizeof(priv);
		assert_int_equal(ck_tss2key_encode(&in, &pem, &pemlen), 0);
		assert_int_equal(strlen(pem), pemlen);
		assert_non_null(strstr(pem, "-----BEGIN TSS2 PRIVATE KEY-----\n"));
		assert_int_equal(ck_tss2key_decode(pem, pemlen, "rt", &out), 0);
		assert_int_equal(out.empty_auth, auths[i]);
		assert_int_equal(out.parent, 0x81000001);
		assert_int_equal(out.publen, sizeof(pub));
		assert_memory_equal(out.pub, pub, sizeof(pub));
		assert_int_equal(out.privlen, sizeof(priv));
		assert_memory_equal(out.priv, priv, sizeof(priv));
		ck_tss2key_clear(&out);
		assert_null(out.pub);
		OPENSSL_clear_free(pem, pemlen);
	}
}

/*
 * Broken if the DER layout drifts from what tpm2-openssl 1.1.1 parses: the
 * OID first, then an explicit [0] BOOLEAN TRUE (DER 0xFF), then the parent.
 */
static void
test_der_layout(void **state)
{
	static const unsigned char prefix[] = {
		0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03,	/* OID 2.23.133.10.1.3 */
		0xa0, 0x03, 0x01, 0x01, 0xff,			/* [0] EXPLICIT BOOLEAN TRUE */
		0x02, 0x04, 0x40, 0x00, 0x00, 0x01,		/* INTEGER 0x40000001 */
		0x04, 0x06, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,	/* OCTET STRING pub */
		0x04, 0x04, 0x00, 0x02, 0x01, 0x02,		/* OCTET STRING priv */
	};
	struct ck_tss2key in = {
		1, 0x40000001, (unsigned char *)good_pub, sizeof(good_pub),
		(unsigned char *)good_priv, sizeof(good_priv)
	};
	char *pem = NULL, *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long derlen;
	size_t pemlen;
	BIO *bio;

	assert_int_equal(ck_tss2key_encode(&in, &pem, &pemlen), 0);
	bio = BIO_new_mem_buf(pem, (int)pemlen);
	assert_int_equal(PEM_read_bio(bio, &name, &header, &der, &derlen), 1);
	assert_string_equal(name, "TSS2 PRIVATE KEY");
	assert_int_equal(derlen, 2 + sizeof(prefix));
	assert_int_equal(der[0], 0x30);
	assert_int_equal(der[1], sizeof(prefix));
	assert_memory_equal(der + 2, prefix, sizeof(prefix));
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	OPENSSL_clear_free(pem, pemlen);
}

/* Broken if a file without emptyAuth is read as "has a password" (tpm2-openssl reads TRUE). */
static void
test_absent_empty_auth_is_true(void **state)
{
	struct spec sp = good;
	unsigned char der[300];
	struct ck_tss2key k;
	size_t len, pemlen;
	char *pem;

	sp.empty_auth = -1;
	len = build_der(&sp, der);
	pem = pem_wrap("TSS2 PRIVATE KEY", der, len, &pemlen);
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "t", &k), 0);
	assert_int_equal(k.empty_auth, 1);
	assert_int_equal(k.parent, 0x40000001);
	ck_tss2key_clear(&k);
	free(pem);
}

/* Broken if an explicit FALSE, or tpm2-openssl's non-DER TRUE (0x01), is misread. */
static void
test_empty_auth_values(void **state)
{
	struct spec sp = good;
	unsigned char der[300];
	struct ck_tss2key k;
	size_t len, pemlen;
	char *pem;

	sp.empty_auth = 0x00;
	len = build_der(&sp, der);
	pem = pem_wrap("TSS2 PRIVATE KEY", der, len, &pemlen);
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "t", &k), 0);
	assert_int_equal(k.empty_auth, 0);
	ck_tss2key_clear(&k);
	free(pem);

	sp.empty_auth = 0x01;
	len = build_der(&sp, der);
	pem = pem_wrap("TSS2 PRIVATE KEY", der, len, &pemlen);
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "t", &k), 0);
	assert_int_equal(k.empty_auth, 1);
	ck_tss2key_clear(&k);
	free(pem);
}

/* Broken if a key file written by tpm2-openssl 1.1.1 genpkey no longer reads. */
static void
test_reads_tpm2_openssl_file(void **state)
{
	const char *top = getenv("top_srcdir");
	char path[4096], buf[8192];
	struct ck_tss2key k;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/data/tss2key/tpm2-openssl-p256.pem",
	    top ? top : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(ck_tss2key_decode(buf, len, path, &k), 0);
	assert_int_equal(k.empty_auth, 1);
	assert_int_equal(k.parent, 0x40000001);
	assert_int_equal(k.publen, 88);
	assert_int_equal(k.privlen, 128);
	/* TPM2B_PUBLIC: size 0x0056, type ECC 0x0023, nameAlg SHA-256 0x000b. */
	assert_int_equal(k.pub[0], 0x00);
	assert_int_equal(k.pub[1], 0x56);
	assert_int_equal(k.pub[2], 0x00);
	assert_int_equal(k.pub[3], 0x23);
	ck_tss2key_clear(&k);
}

/* Broken if a PKCS#8 key (or any other PEM) is taken for a TSS2 key. */
static void
test_rejects_wrong_label(void **state)
{
	unsigned char der[300];
	size_t len = build_der(&good, der);

	expect_reject_der("PRIVATE KEY", der, len, "PEM label 'PRIVATE KEY'");
}

/* Broken if importable keys, sealed data or unrelated OIDs pass as loadable keys. */
static void
test_rejects_wrong_oid(void **state)
{
	struct spec sp = good;

	sp.oid = oid_importable;
	sp.oidlen = sizeof(oid_importable);
	expect_reject(&sp, "importable");
	sp.oid = oid_other;
	sp.oidlen = sizeof(oid_other);
	expect_reject(&sp, "wrong OID 1.2.3.4");
}

/* Broken if a DER structure cut short (at any point) is accepted. */
static void
test_rejects_truncated_der(void **state)
{
	unsigned char der[300];
	size_t len = build_der(&good, der), cut;

	for (cut = 1; cut < len; cut++)
		expect_reject_der("TSS2 PRIVATE KEY", der, len - cut, "malformed");
}

/* Broken if bytes after the key structure are silently ignored. */
static void
test_rejects_trailing_data(void **state)
{
	unsigned char der[300];
	size_t len = build_der(&good, der);

	der[len] = 0x00;
	der[len + 1] = 0x00;
	expect_reject_der("TSS2 PRIVATE KEY", der, len + 2, "after the key structure");
}

/* Broken if a public or private blob whose TPM2B size prefix disagrees is accepted. */
static void
test_rejects_bad_blobs(void **state)
{
	static const unsigned char long_prefix[] = { 0x00, 0x10, 0xaa, 0xbb };
	static const unsigned char short_prefix[] = { 0x00, 0x01, 0xaa, 0xbb };
	static const unsigned char one_byte[] = { 0x00 };
	struct spec sp = good;

	sp.pub = long_prefix;
	sp.publen = sizeof(long_prefix);
	expect_reject(&sp, "public blob");
	sp.pub = short_prefix;
	sp.publen = sizeof(short_prefix);
	expect_reject(&sp, "public blob");
	sp = good;
	sp.priv = one_byte;
	sp.privlen = sizeof(one_byte);
	expect_reject(&sp, "private blob");
}

/* Broken if a negative or wider-than-32-bit parent handle is accepted. */
static void
test_rejects_bad_parent(void **state)
{
	static const unsigned char negative[] = { 0x81, 0x00, 0x00, 0x01 };
	static const unsigned char wide[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };
	struct spec sp = good;

	sp.parent = negative;
	sp.parentlen = sizeof(negative);
	expect_reject(&sp, "parent");
	sp.parent = wide;
	sp.parentlen = sizeof(wide);
	expect_reject(&sp, "parent");
}

/* Broken if garbage (no PEM, or PEM of random bytes) is not refused with the file's name. */
static void
test_rejects_garbage(void **state)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01 };
	static const char text[] = "this is not a key\n";
	struct ck_tss2key k;

	ck_clear_error();
	assert_int_equal(ck_tss2key_decode(text, sizeof(text) - 1, "test.pem", &k), -1);
	assert_non_null(strstr(ck_last_error(), "test.pem: not a TSS2 key"));
	assert_int_equal(ck_tss2key_decode("", 0, "test.pem", &k), -1);
	expect_reject_der("TSS2 PRIVATE KEY", junk, sizeof(junk), "malformed");
}

/* Broken if the encoder writes a file whose blobs are not marshalled TPM2Bs. */
static void
test_encode_rejects_bad_blob(void **state)
{
	unsigned char pub[] = { 0x00, 0x09, 1 };
	struct ck_tss2key in = {
		1, 0x40000001, pub, sizeof(pub), (unsigned char *)good_priv, sizeof(good_priv)
	};
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tss2key_encode(&in, &pem, &pemlen), -1);
	assert_null(pem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_der_layout),
		cmocka_unit_test(test_absent_empty_auth_is_true),
		cmocka_unit_test(test_empty_auth_values),
		cmocka_unit_test(test_reads_tpm2_openssl_file),
		cmocka_unit_test(test_rejects_wrong_label),
		cmocka_unit_test(test_rejects_wrong_oid),
		cmocka_unit_test(test_rejects_truncated_der),
		cmocka_unit_test(test_rejects_trailing_data),
		cmocka_unit_test(test_rejects_bad_blobs),
		cmocka_unit_test(test_rejects_bad_parent),
		cmocka_unit_test(test_rejects_garbage),
		cmocka_unit_test(test_encode_rejects_bad_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
