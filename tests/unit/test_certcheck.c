/*
 * test_certcheck.c: the checks a CA's chain must pass before installation,
 * and the facts read back from certificates (certcheck.c).  Keys and
 * certificates are made here with OpenSSL; nothing is read from disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/cert/check.h"
#include "certkeeper/cert/memo.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

#define NOW ((time_t)1700000000)	/* 2023-11-14T22:13:20Z */
#define DAY ((time_t)86400)

static char dom_a[] = "a.example.org", dom_b[] = "b.example.org";
static char dom_wild[] = "*.example.org", dom_www[] = "www.example.org";
static char *const two_domains[] = { dom_a, dom_b };

/* An issuer: its key and certificate. */
struct ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct fixture {
	EVP_PKEY *leafkey;
	struct ca root, inter;
};

static EVP_PKEY *
new_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Issues a certificate for key, named cn (NULL: no CN), with the SAN
 * value san (NULL: none), valid [nb, na], serial (hex), signed by issuer
 * (NULL: self-signed).  A CA gets basicConstraints and keyUsage.
 */
static X509 *
issue(EVP_PKEY *key, const char *cn, const char *san, time_t nb, time_t na, const char *serial,
    int is_ca, const struct ca *issuer)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;

	assert_non_null(x);
	assert_non_null(name);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x,
	    issuer != NULL ? X509_get_subject_name(issuer->cert) : name), 1);
	X509_NAME_free(name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (is_ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	}
	if (san != NULL)
		add_ext(x, x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, issuer != NULL ? issuer->key : key, EVP_sha256()) > 0);
	return x;
}

static void
make_ca(struct ca *ca, const char *cn, const struct ca *parent)
{
	ca->key = new_key();
	ca->cert = issue(ca->key, cn, NULL, NOW - 365 * DAY, NOW + 365 * DAY, "1000", 1, parent);
}

static void
free_ca(struct ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
}

/* PEM of one certificate, malloc'd. */
static char *
pem_of(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(bio);
	return s;
}

/* Concatenation of up to four strings (NULL ends the list early), malloc'd. */
static char *
cat(const char *a, const char *b, const char *c, const char *d)
{
	const char *parts[4] = { a, b, c, d };
	size_t len = 0, i;
	char *s;

	for (i = 0; i < 4 && parts[i] != NULL; i++)
		len += strlen(parts[i]);
	s = malloc(len + 1);
	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < 4 && parts[i] != NULL; i++)
		strcat(s, parts[i]);
	return s;
}

/* The PEM chain "leaf issued by the intermediate" + the intermediate. */
static char *
chain_for(struct fixture *f, EVP_PKEY *key, const char *cn, const char *san, time_t nb, time_t na)
{
	X509 *leaf = issue(key, cn, san, nb, na, "1", 0, &f->inter);
	char *lp = pem_of(leaf), *ip = pem_of(f->inter.cert), *s = cat(lp, ip, NULL, NULL);

	X509_free(leaf);
	free(lp);
	free(ip);
	return s;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->leafkey = new_key();
	make_ca(&f->root, "Test Root", NULL);
	make_ca(&f->inter, "Test Intermediate", &f->root);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	EVP_PKEY_free(f->leafkey);
	free_ca(&f->root);
	free_ca(&f->inter);
	free(f);
	return 0;
}

/* Expects ck_chain_check to refuse pem with an error containing why. */
static void
expect_refused(struct fixture *f, const char *pem, char *const *domains, size_t n, time_t now,
    const char *why)
{
	struct ck_chain c, before;

	memset(&c, 0xA5, sizeof(c));
	before = c;
	ck_clear_error();
	assert_int_equal(ck_chain_check(pem, strlen(pem), f->leafkey, domains, n, now, &c), -1);
	if (strstr(ck_last_error(), why) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", ck_last_error(), why);
	/* The contract: *out untouched on failure. */
	assert_memory_equal(&c, &before, sizeof(c));
}

/* A good three-certificate chain is accepted and split, with serial and dates: else nothing installs. */
static void
test_good_chain(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, "a.example.org", "DNS:a.example.org,DNS:b.example.org",
	    NOW - DAY, NOW + 90 * DAY, "00ABCDEF0123456789", 0, &f->inter);
	char *lp = pem_of(leaf), *ip = pem_of(f->inter.cert), *rp = pem_of(f->root.cert);
	char *in = cat("\n", lp, ip, rp), *chain = cat(ip, rp, NULL, NULL);
	char *full = cat(lp, ip, rp, NULL);
	struct ck_chain c;

	assert_int_equal(ck_chain_check(in, strlen(in), f->leafkey, two_domains, 2, NOW, &c), 0);
	assert_string_equal(c.cert, lp);
	assert_int_equal(c.cert_len, strlen(lp));
	assert_string_equal(c.chain, chain);
	assert_int_equal(c.chain_len, strlen(chain));
	assert_string_equal(c.fullchain, full);
	assert_int_equal(c.fullchain_len, strlen(full));
	assert_string_equal(c.serial, "abcdef0123456789");
	assert_true(c.not_before == NOW - DAY);
	assert_true(c.not_after == NOW + 90 * DAY);
	ck_chain_clear(&c);
	assert_null(c.cert);
	X509_free(leaf);
	free(lp);
	free(ip);
	free(rp);
	free(in);
	free(chain);
	free(full);
}

/* A wildcard name we asked for, and a name a wildcard SAN covers, pass: else dns-01 wildcard orders fail. */
static void
test_wildcard(void **state)
{
	struct fixture *f = *state;
	char *const names[] = { dom_wild, dom_www };
	char *in = chain_for(f, f->leafkey, NULL, "DNS:*.example.org", NOW - DAY, NOW + DAY);
	struct ck_chain c;

	assert_int_equal(ck_chain_check(in, strlen(in), f->leafkey, names, 2, NOW, &c), 0);
	ck_chain_clear(&c);
	free(in);
	/* One name under the wildcard does not stand for the wildcard we asked for. */
	in = chain_for(f, f->leafkey, NULL, "DNS:x.example.org", NOW - DAY, NOW + DAY);
	expect_refused(f, in, names, 1, NOW, "does not cover *.example.org");
	free(in);
}

/* A certificate for another key is refused: else we would install a cert our key cannot serve. */
static void
test_other_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *other = new_key();
	char *in = chain_for(f, other, NULL, "DNS:a.example.org,DNS:b.example.org",
	    NOW - DAY, NOW + DAY);

	expect_refused(f, in, two_domains, 2, NOW, "public key does not match our key");
	EVP_PKEY_free(other);
	free(in);
}

/* A certificate missing one requested name is refused: else a site loses a name silently. */
static void
test_missing_domain(void **state)
{
	struct fixture *f = *state;
	char *in = chain_for(f, f->leafkey, "a.example.org", "DNS:a.example.org",
	    NOW - DAY, NOW + DAY);

	expect_refused(f, in, two_domains, 2, NOW, "does not cover b.example.org");
	free(in);
}

/* A name only in the CN (no SAN) does not count: else a CN fallback lets such certs in. */
static void
test_cn_only(void **state)
{
	struct fixture *f = *state;
	char *in = chain_for(f, f->leafkey, "a.example.org", NULL, NOW - DAY, NOW + DAY);

	expect_refused(f, in, two_domains, 1, NOW, "does not cover a.example.org");
	free(in);
}

/* An expired certificate is refused, notAfter itself still valid: else stale certs install. */
static void
test_expired(void **state)
{
	struct fixture *f = *state;
	char *in = chain_for(f, f->leafkey, NULL, "DNS:a.example.org", NOW - 10 * DAY, NOW - DAY);
	struct ck_chain c;

	expect_refused(f, in, two_domains, 1, NOW, "certificate expired at 2023-11-13T22:13:20Z");
	assert_int_equal(ck_chain_check(in, strlen(in), f->leafkey, two_domains, 1, NOW - DAY, &c), 0);
	ck_chain_clear(&c);
	free(in);
}

/* A certificate valid only later is refused: else a clock skew at the CA breaks TLS for a while. */
static void
test_not_yet_valid(void **state)
{
	struct fixture *f = *state;
	char *in = chain_for(f, f->leafkey, NULL, "DNS:a.example.org", NOW + DAY, NOW + 10 * DAY);

	expect_refused(f, in, two_domains, 1, NOW, "not valid until 2023-11-15T22:13:20Z");
	free(in);
}

/* A leaf signed by a same-named CA with another key is refused: else chain signatures go unchecked. */
static void
test_wrong_signer(void **state)
{
	struct fixture *f = *state;
	struct ca impostor;
	X509 *leaf;
	char *lp, *ip, *in;

	make_ca(&impostor, "Test Intermediate", &f->root);
	leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "1", 0, &impostor);
	lp = pem_of(leaf);
	ip = pem_of(f->inter.cert);
	in = cat(lp, ip, NULL, NULL);
	expect_refused(f, in, two_domains, 1, NOW, "certificate 1 is not signed by certificate 2");
	X509_free(leaf);
	free_ca(&impostor);
	free(lp);
	free(ip);
	free(in);
}

/* A chain whose second certificate did not issue the first (by name) is refused. */
static void
test_wrong_issuer_name(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "1", 0,
	    &f->inter);
	char *lp = pem_of(leaf), *rp = pem_of(f->root.cert), *in = cat(lp, rp, NULL, NULL);

	expect_refused(f, in, two_domains, 1, NOW, "certificate 1 is not signed by certificate 2");
	X509_free(leaf);
	free(lp);
	free(rp);
	free(in);
}

/* The intermediate -> root link is checked too, not only the leaf's. */
static void
test_broken_upper_link(void **state)
{
	struct fixture *f = *state;
	struct ca other;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "1", 0,
	    &f->inter);
	char *lp, *ip, *op, *in;

	make_ca(&other, "Test Root", NULL);
	lp = pem_of(leaf);
	ip = pem_of(f->inter.cert);
	op = pem_of(other.cert);
	in = cat(lp, ip, op, NULL);
	expect_refused(f, in, two_domains, 1, NOW, "certificate 2 is not signed by certificate 3");
	X509_free(leaf);
	free_ca(&other);
	free(lp);
	free(ip);
	free(op);
	free(in);
}

/* Non-PEM data, text around blocks and an empty answer are refused: else junk is installed. */
static void
test_garbage(void **state)
{
	struct fixture *f = *state;
	char *good = chain_for(f, f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY);
	char *trailing = cat(good, "<html>oops</html>\n", NULL, NULL);
	char *leading = cat("oops\n", good, NULL, NULL);

	expect_refused(f, "<html>not a certificate</html>", two_domains, 1, NOW, "unexpected text");
	expect_refused(f, "", two_domains, 1, NOW, "no certificate");
	expect_refused(f, " \n", two_domains, 1, NOW, "no certificate");
	expect_refused(f, trailing, two_domains, 1, NOW, "unexpected text");
	expect_refused(f, leading, two_domains, 1, NOW, "unexpected text at byte 0");
	expect_refused(f, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    two_domains, 1, NOW, "cannot parse certificate 1");
	expect_refused(f, "-----BEGIN CERTIFICATE-----\nAAAA\n", two_domains, 1, NOW,
	    "no END line");
	free(good);
	free(trailing);
	free(leading);
}

/* A PRIVATE KEY block in the chain is refused: else a key could end up in a public chain file. */
static void
test_private_key_block(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "1", 0,
	    &f->inter);
	BIO *bio = BIO_new(BIO_s_mem());
	char *lp = pem_of(leaf), *ip = pem_of(f->inter.cert), *kp, *in;
	long n;

	assert_int_equal(PEM_write_bio_PrivateKey(bio, f->leafkey, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(BIO_write(bio, "", 1), 1);
	n = BIO_get_mem_data(bio, &kp);
	assert_true(n > 0);
	in = cat(lp, kp, ip, NULL);
	expect_refused(f, in, two_domains, 1, NOW, "\"PRIVATE KEY\" PEM block is not allowed");
	X509_free(leaf);
	BIO_free(bio);
	free(lp);
	free(ip);
	free(in);
}

/* A leaf without its issuer is refused: else clients get a chain they cannot build. */
static void
test_leaf_only(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "1", 0,
	    &f->inter);
	char *lp = pem_of(leaf);

	expect_refused(f, lp, two_domains, 1, NOW, "no issuer certificate in the chain");
	X509_free(leaf);
	free(lp);
}

/* More than ten certificates are refused: else a hostile CA answer grows without bound. */
static void
test_too_many(void **state)
{
	struct fixture *f = *state;
	char *in = chain_for(f, f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY);
	char *ip = pem_of(f->inter.cert), *tmp;
	int i;

	/* Leaf + intermediate + 8 more = 10: still fine as far as the count goes. */
	for (i = 0; i < 8; i++) {
		tmp = cat(in, ip, NULL, NULL);
		free(in);
		in = tmp;
	}
	expect_refused(f, in, two_domains, 1, NOW, "is not signed by");
	tmp = cat(in, ip, NULL, NULL);
	free(in);
	in = tmp;
	expect_refused(f, in, two_domains, 1, NOW, "more than 10 certificates");
	free(ip);
	free(in);
}

/* ck_cert_info reads serial and dates of the first certificate: else renewal timing is wrong. */
static void
test_cert_info(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - 2 * DAY, NOW + 30 * DAY,
	    "0", 0, &f->inter);
	char *lp = pem_of(leaf), *ip = pem_of(f->inter.cert), *in = cat(lp, ip, NULL, NULL);
	struct ck_cert_info info;

	assert_int_equal(ck_cert_info(in, strlen(in), &info), 0);
	assert_string_equal(info.serial, "0");
	assert_true(info.not_before == NOW - 2 * DAY);
	assert_true(info.not_after == NOW + 30 * DAY);
	ck_cert_info_clear(&info);
	assert_null(info.serial);

	assert_int_equal(ck_cert_info(ip, strlen(ip), &info), 0);
	assert_string_equal(info.serial, "1000");
	ck_cert_info_clear(&info);

	assert_int_equal(ck_cert_info("nothing here", 12, &info), -1);
	X509_free(leaf);
	free(lp);
	free(ip);
	free(in);
}

/*
 * PEM of x with one byte flipped in the middle of the y coordinate of its
 * P-256 key, as worn flash does: the certificate still parses, the point
 * is off the curve so the key does not decode (both checked); malloc'd.
 */
static char *
pem_with_bad_point(X509 *x)
{
	static const unsigned char spki[] = {	/* id-ecPublicKey, prime256v1, BIT STRING */
		0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
		0x03, 0x42, 0x00,
	};
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *bad;
	char *pem;
	int len, i, at = -1;

	assert_true((len = i2d_X509(x, &der)) > 0);
	for (i = 0; i + (int)sizeof(spki) + 65 <= len && at < 0; i++)
		if (memcmp(der + i, spki, sizeof(spki)) == 0)
			at = i + (int)sizeof(spki);
	assert_true(at >= 0);
	assert_int_equal(der[at], 0x04);		/* uncompressed: 04 || x || y */
	der[at + 1 + 32 + 16] ^= 0x01;
	p = der;
	bad = d2i_X509(NULL, &p, len);
	assert_non_null(bad);
	assert_null(X509_get0_pubkey(bad));
	ERR_clear_error();
	pem = pem_of(bad);
	X509_free(bad);
	OPENSSL_free(der);
	return pem;
}

/*
 * A certificate whose public key does not decode still gives its serial and
 * dates, key type unknown, and counts as unreadable for coverage (so that
 * it is renewed): else `status` and `renew` crash on a corrupt cert.pem.
 */
static void
test_cert_info_bad_key(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - 2 * DAY, NOW + 30 * DAY,
	    "4242", 0, &f->inter);
	char *bad = pem_with_bad_point(leaf), *ip = pem_of(f->inter.cert);
	char *in = cat(bad, ip, NULL, NULL);
	struct ck_cert_info info;
	int covered;

	memset(&info, 0, sizeof(info));
	assert_int_equal(ck_cert_info(bad, strlen(bad), &info), 0);
	assert_int_equal(info.key_type, -1);
	assert_string_equal(info.serial, "4242");
	assert_true(info.not_before == NOW - 2 * DAY);
	assert_true(info.not_after == NOW + 30 * DAY);
	ck_cert_info_clear(&info);

	/* A certificate whose key does not decode serves no name; a chain with it is refused. */
	covered = -7;
	assert_int_equal(ck_cert_info_covering(bad, strlen(bad), two_domains, 1, &info,
	    &covered), 0);
	assert_int_equal(covered, 0);
	ck_cert_info_clear(&info);
	expect_refused(f, in, two_domains, 1, NOW, "unreadable public key");

	/* The good certificate still reads with its type. */
	free(bad);
	bad = pem_of(leaf);
	assert_int_equal(ck_cert_info(bad, strlen(bad), &info), 0);
	assert_int_equal(info.key_type, CK_KEY_EC_P256);
	ck_cert_info_clear(&info);
	assert_int_equal(ck_cert_info_covering(bad, strlen(bad), two_domains, 1, &info,
	    &covered), 0);
	assert_int_equal(covered, 1);
	ck_cert_info_clear(&info);
	X509_free(leaf);
	free(bad);
	free(ip);
	free(in);
}

/*
 * ck_cert_info_covering gives the facts of ck_cert_info and the names it
 * covers, from one parse: else the schedule would call a certificate with a bad key
 * or a missing name usable (or a good one uncovered).
 */
static void
test_cert_info_covering(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - 2 * DAY, NOW + 30 * DAY,
	    "4242", 0, &f->inter);
	char *good = pem_of(leaf), *bad = pem_with_bad_point(leaf), *ip;
	struct ck_cert_info info;
	int covered = -7;

	assert_int_equal(ck_cert_info_covering(good, strlen(good), two_domains, 1, &info,
	    &covered), 0);
	assert_int_equal(covered, 1);
	assert_int_equal(info.key_type, CK_KEY_EC_P256);
	assert_string_equal(info.serial, "4242");
	assert_true(info.not_after == NOW + 30 * DAY);
	ck_cert_info_clear(&info);

	/* b.example.org is not in it. */
	covered = -7;
	assert_int_equal(ck_cert_info_covering(good, strlen(good), two_domains, 2, &info,
	    &covered), 0);
	assert_int_equal(covered, 0);
	ck_cert_info_clear(&info);

	/* A key that does not decode covers nothing, the rest still reads. */
	covered = -7;
	assert_int_equal(ck_cert_info_covering(bad, strlen(bad), two_domains, 1, &info,
	    &covered), 0);
	assert_int_equal(covered, 0);
	assert_int_equal(info.key_type, -1);
	assert_true(info.not_before == NOW - 2 * DAY);
	ck_cert_info_clear(&info);

	/* Not a certificate: -1, *covered untouched. */
	covered = -7;
	ck_clear_error();
	assert_int_equal(ck_cert_info_covering("nothing here", 12, two_domains, 1, &info,
	    &covered), -1);
	assert_int_equal(covered, -7);
	assert_non_null(strstr(ck_last_error(), "cannot read a certificate"));
	ip = pem_of(f->inter.cert);
	/* Only the first certificate counts: the issuer has no such name. */
	assert_int_equal(ck_cert_info_covering(ip, strlen(ip), two_domains, 1, &info,
	    &covered), 0);
	assert_int_equal(covered, 0);
	assert_string_equal(info.serial, "1000");
	ck_cert_info_clear(&info);
	X509_free(leaf);
	free(good);
	free(bad);
	free(ip);
}

/*
 * The memo gives back the X509 it parsed for the very same text, and what
 * was put for a text; any other text (one byte more), a text pushed out by
 * four others, or one too large to keep is parsed afresh; a failure is not
 * kept: else a pass parses the installed certificate four times, or worse,
 * reads a changed file as the old one.
 */
static void
test_memo(void **state)
{
	struct fixture *f = *state;
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", NOW - DAY, NOW + DAY, "2a", 0,
	    &f->inter);
	char *lp = pem_of(leaf), *ip = pem_of(f->inter.cert), *more = cat(lp, "\n", NULL, NULL);
	char *big, *texts[4];
	X509 *a, *b;
	size_t i, n;

	ck_cert_memo_clear();
	assert_non_null(a = ck_cert_memo_first(lp, strlen(lp)));
	assert_non_null(b = ck_cert_memo_first(lp, strlen(lp)));
	assert_ptr_equal(a, b);
	X509_free(b);
	assert_non_null(b = ck_cert_memo_first(more, strlen(more)));
	assert_ptr_not_equal(a, b);
	assert_int_equal(X509_cmp(a, b), 0);
	X509_free(b);

	/* What the chain check puts is what the next read of that text gets. */
	ck_cert_memo_put(ip, strlen(ip), leaf);
	assert_non_null(b = ck_cert_memo_first(ip, strlen(ip)));
	assert_ptr_equal(b, leaf);
	X509_free(b);

	/* Four more texts push the first one out. */
	for (i = 0; i < 4; i++) {
		texts[i] = malloc(strlen(lp) + i + 2);
		assert_non_null(texts[i]);
		memcpy(texts[i], lp, strlen(lp));
		memset(texts[i] + strlen(lp), '\n', i + 1);
		texts[i][strlen(lp) + i + 1] = '\0';
		assert_non_null(b = ck_cert_memo_first(texts[i], strlen(texts[i])));
		X509_free(b);
	}
	assert_non_null(b = ck_cert_memo_first(lp, strlen(lp)));
	assert_ptr_not_equal(a, b);
	X509_free(a);
	X509_free(b);
	for (i = 0; i < 4; i++)
		free(texts[i]);

	/* Too large to keep: parsed each time. */
	n = strlen(lp) + 20000;
	assert_non_null(big = malloc(n + 1));
	memcpy(big, lp, strlen(lp));
	memset(big + strlen(lp), '\n', 20000);
	big[n] = '\0';
	assert_non_null(a = ck_cert_memo_first(big, n));
	assert_non_null(b = ck_cert_memo_first(big, n));
	assert_ptr_not_equal(a, b);
	X509_free(a);
	X509_free(b);
	free(big);

	assert_null(ck_cert_memo_first("nothing here", 12));
	ERR_clear_error();
	assert_null(ck_cert_memo_first("nothing here", 12));
	ERR_clear_error();
	ck_cert_memo_clear();
	X509_free(leaf);
	free(lp);
	free(ip);
	free(more);
}

/* ck_key_type_of has no key to classify when a certificate's key did not decode. */
static void
test_key_type_of_null(void **state)
{
	enum ck_key_type t = CK_KEY_RSA_3072;

	(void)state;
	assert_int_equal(ck_key_type_of(NULL, &t), -1);
	assert_int_equal(t, CK_KEY_RSA_3072);
}

/* RFC 3339 formatting of the epoch and a known instant: else logs and state show wrong times. */
static void
test_time_rfc3339(void **state)
{
	char buf[32];

	(void)state;
	ck_time_rfc3339(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	ck_time_rfc3339(1795626446, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T17:07:26Z");
	ck_time_rfc3339(NOW, buf, 21);
	assert_string_equal(buf, "2023-11-14T22:13:20Z");
}

/* Dates after 2049 (GeneralizedTime) and on a leap day convert exactly: else far dates are misread. */
static void
test_far_dates(void **state)
{
	struct fixture *f = *state;
	time_t nb = (time_t)951782400LL;	/* 2000-02-29T00:00:00Z */
	time_t na = (time_t)4107542400LL;	/* 2100-03-01T00:00:00Z */
	X509 *leaf = issue(f->leafkey, NULL, "DNS:a.example.org", nb, na, "1", 0, &f->inter);
	char *lp = pem_of(leaf);
	struct ck_cert_info info;

	assert_int_equal(ck_cert_info(lp, strlen(lp), &info), 0);
	assert_true(info.not_before == nb);
	assert_true(info.not_after == na);
	ck_cert_info_clear(&info);
	X509_free(leaf);
	free(lp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wildcard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cn_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_yet_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_issuer_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_upper_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_key_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_info_bad_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_info_covering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memo, setup, teardown),
		cmocka_unit_test(test_key_type_of_null),
		cmocka_unit_test(test_time_rfc3339),
		cmocka_unit_test_setup_teardown(test_far_dates, setup, teardown),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
