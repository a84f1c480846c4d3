/*
 * cert/check.c: what a certificate chain from the CA must satisfy before it
 * is installed, and facts read back from installed certificates (see
 * cert/check.h).  Anchoring the chain in a trusted root is the relying
 * party's business; here the chain must fit our key, our names, the
 * clock, and hang together.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/util/time.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/cert/memo.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"

/* Leaf, intermediates and a root or two: a longer chain is not a CA's answer. */
#define CHAIN_MAX 10

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* First occurrence of needle in the len bytes at p, or NULL. */
static const char *
find(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(p + i, needle, n) == 0)
			return p + i;
	return NULL;
}

/* Reports the PEM block or text found at p where a certificate was expected. */
static void
report_stray(const char *p, size_t left, size_t off)
{
	char label[48];
	const char *e;

	if (left > 11 && memcmp(p, "-----BEGIN ", 11) == 0) {
		e = find(p + 11, left - 11, "-----");
		ck_sanitize(label, sizeof(label), p + 11,
		    e != NULL ? (size_t)(e - (p + 11)) : left - 11);
		ck_error("certificate chain: a \"%s\" PEM block is not allowed "
		    "(only CERTIFICATE blocks)", label);
		return;
	}
	ck_error("certificate chain: unexpected text at byte %zu "
	    "(only CERTIFICATE PEM blocks are allowed)", off);
}

/*
 * Parses a PEM text made only of CERTIFICATE blocks (and whitespace) into
 * *out; OpenSSL's own readers would skip other blocks and text silently.
 */
static int
parse_chain(const char *pem, size_t len, STACK_OF(X509) **out)
{
	STACK_OF(X509) *certs = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	const char *body, *end;
	size_t pos = 0, blen;
	int rc = -1;

	if ((certs = sk_X509_new_null()) == NULL) {
		ck_error_ssl("sk_X509_new_null");
		goto out;
	}
	for (;;) {
		while (pos < len && isspace((unsigned char)pem[pos]))
			pos++;
		if (pos == len)
			break;
		if (len - pos < sizeof(pem_begin) - 1 ||
		    memcmp(pem + pos, pem_begin, sizeof(pem_begin) - 1) != 0) {
			report_stray(pem + pos, len - pos, pos);
			goto out;
		}
		body = pem + pos + sizeof(pem_begin) - 1;
		if ((end = find(body, len - (size_t)(body - pem), pem_end)) == NULL) {
			ck_error("certificate chain: CERTIFICATE block %d has no END line",
			    sk_X509_num(certs) + 1);
			goto out;
		}
		/* Another BEGIN inside the block: a block hidden in a block. */
		if (find(body, (size_t)(end - body), "-----") != NULL) {
			ck_error("certificate chain: CERTIFICATE block %d is malformed",
			    sk_X509_num(certs) + 1);
			goto out;
		}
		if (sk_X509_num(certs) == CHAIN_MAX) {
			ck_error("certificate chain: more than %d certificates", CHAIN_MAX);
			goto out;
		}
		blen = (size_t)(end - (pem + pos)) + sizeof(pem_end) - 1;
		if (blen > INT_MAX || (bio = BIO_new_mem_buf(pem + pos, (int)blen)) == NULL) {
			ck_error_ssl("BIO_new_mem_buf");
			goto out;
		}
		if ((x = PEM_read_bio_X509(bio, NULL, ck_pem_no_passphrase, NULL)) == NULL) {
			ck_error_ssl("certificate chain: cannot parse certificate %d",
			    sk_X509_num(certs) + 1);
			goto out;
		}
		if (sk_X509_push(certs, x) <= 0) {
			ck_error_ssl("sk_X509_push");
			goto out;
		}
		x = NULL;
		BIO_free(bio);
		bio = NULL;
		pos += blen;
	}
	if (sk_X509_num(certs) == 0) {
		ck_error("certificate chain: no certificate");
		goto out;
	}
	*out = certs;
	certs = NULL;
	rc = 0;
out:
	X509_free(x);
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12); avoids timegm(). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Converts a certificate time to time_t (UTC). */
static int
asn1_to_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ck_error_ssl("ASN1_TIME_to_tm: malformed certificate time");
		return -1;
	}
	*out = (time_t)(days_from_civil((long long)tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	return 0;
}

/* The serial number in lower-case hex without leading zeros; *out is malloc'd. */
static int
serial_hex(const X509 *x, char **out)
{
	BIGNUM *bn = NULL;
	char *hex = NULL, *p, *digits, *res = NULL;
	int neg, rc = -1;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL) {
		ck_error_ssl("certificate serial number");
		goto out;
	}
	neg = hex[0] == '-';
	digits = hex + neg;
	while (digits[0] == '0' && digits[1] != '\0')
		digits++;
	if ((res = malloc(strlen(digits) + 2)) == NULL) {
		ck_error("out of memory reading a serial number");
		goto out;
	}
	strcpy(res + neg, digits);
	if (neg)
		res[0] = '-';
	for (p = res; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	*out = res;
	res = NULL;
	rc = 0;
out:
	free(res);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* PEM of certs[from..to) concatenated; *out is malloc'd and NUL-terminated. */
static int
certs_pem(STACK_OF(X509) *certs, int from, int to, char **out, size_t *outlen)
{
	BIO *bio = NULL;
	int i, rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		ck_error_ssl("BIO_new");
		goto out;
	}
	for (i = from; i < to; i++)
		if (PEM_write_bio_X509(bio, sk_X509_value(certs, i)) != 1) {
			ck_error_ssl("PEM_write_bio_X509");
			goto out;
		}
	rc = ck_pem_from_bio(bio, "certificates", out, outlen);
out:
	BIO_free(bio);
	return rc;
}

/*
 * Non-zero if the leaf's subjectAltName covers d: an address by an
 * iPAddress, a name by its DNS names (exactly, or by a wildcard; a wildcard
 * d needs the same wildcard).  The CN never counts.
 */
static int
covers(X509 *x, const char *d)
{
	/* An IP address must be an iPAddress SAN (RFC 8738 3), never a dNSName or the subject. */
	if (ck_ip_is_addr(d))
		return X509_check_ip_asc(x, d, 0) == 1;
	return X509_check_host(x, d, strlen(d), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
}

/*
 * A TLS server's leaf: not a CA (basicConstraints CA:TRUE would let its key
 * sign certificates), and, when it limits its extended key usage, for
 * serverAuth.  Returns 0, or -1 naming what is wrong.
 */
static int
leaf_usage_ok(X509 *leaf)
{
	uint32_t xku;

	/* X509_get_extension_flags caches the extensions; EXFLAG_INVALID: they do not parse. */
	if (X509_get_extension_flags(leaf) & EXFLAG_INVALID) {
		ck_error("certificate: its extensions do not parse");
		return -1;
	}
	if (X509_check_ca(leaf) != 0) {
		ck_error("certificate is a CA certificate (basicConstraints CA:TRUE or keyCertSign), "
		    "not a server's");
		return -1;
	}
	xku = X509_get_extended_key_usage(leaf);
	if (xku != UINT32_MAX && !(xku & (XKU_SSL_SERVER | XKU_ANYEKU))) {
		ck_error("certificate's extended key usage does not include serverAuth");
		return -1;
	}
	return 0;
}

int
ck_chain_check(const char *pem, size_t len, const EVP_PKEY *key,
    char *const *domains, size_t ndomains, time_t now, struct ck_chain *out)
{
	STACK_OF(X509) *certs = NULL;
	X509 *leaf, *x, *issuer;
	EVP_PKEY *leafkey;
	struct ck_chain c;
	char when[32];
	size_t i;
	int n, k, rc = -1;

	memset(&c, 0, sizeof(c));
	if (parse_chain(pem, len, &certs) != 0)
		goto out;
	n = sk_X509_num(certs);
	leaf = sk_X509_value(certs, 0);

	if ((leafkey = X509_get0_pubkey(leaf)) == NULL) {
		ck_error_ssl("certificate: unreadable public key");
		goto out;
	}
	if (EVP_PKEY_eq(leafkey, key) != 1) {
		/* A key of another type leaves a queue entry that says nothing more. */
		ERR_clear_error();
		ck_error("certificate's public key does not match our key");
		goto out;
	}
	for (i = 0; i < ndomains; i++)
		if (!covers(leaf, domains[i])) {
			ck_error("certificate does not cover %s", domains[i]);
			goto out;
		}
	if (asn1_to_time(X509_get0_notBefore(leaf), &c.not_before) != 0 ||
	    asn1_to_time(X509_get0_notAfter(leaf), &c.not_after) != 0)
		goto out;
	if (now < c.not_before) {
		ck_time_rfc3339(c.not_before, when, sizeof(when));
		ck_error("certificate is not valid until %s", when);
		goto out;
	}
	/* notAfter is the last valid second (RFC 5280 4.1.2.5). */
	if (now > c.not_after) {
		ck_time_rfc3339(c.not_after, when, sizeof(when));
		ck_error("certificate expired at %s", when);
		goto out;
	}
	if (leaf_usage_ok(leaf) != 0)
		goto out;
	if (n < 2) {
		ck_error("no issuer certificate in the chain");
		goto out;
	}
	for (k = 0; k + 1 < n; k++) {
		x = sk_X509_value(certs, k);
		issuer = sk_X509_value(certs, k + 1);
		if (X509_check_issued(issuer, x) != X509_V_OK ||
		    X509_get0_pubkey(issuer) == NULL ||
		    X509_verify(x, X509_get0_pubkey(issuer)) != 1) {
			ERR_clear_error();
			ck_error("certificate %d is not signed by certificate %d "
			    "(issuer name or signature mismatch)", k + 1, k + 2);
			goto out;
		}
	}
	if (serial_hex(leaf, &c.serial) != 0 ||
	    certs_pem(certs, 0, 1, &c.cert, &c.cert_len) != 0 ||
	    certs_pem(certs, 1, n, &c.chain, &c.chain_len) != 0)
		goto out;
	/* Once installed, c.cert is read back (plan, ARI, metrics): no need to parse it again. */
	ck_cert_memo_put(c.cert, c.cert_len, leaf);
	if ((c.fullchain = malloc(c.cert_len + c.chain_len + 1)) == NULL) {
		ck_error("out of memory joining the certificate chain");
		goto out;
	}
	memcpy(c.fullchain, c.cert, c.cert_len);
	memcpy(c.fullchain + c.cert_len, c.chain, c.chain_len);
	c.fullchain_len = c.cert_len + c.chain_len;
	c.fullchain[c.fullchain_len] = '\0';
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	ck_chain_clear(&c);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

void
ck_chain_clear(struct ck_chain *c)
{
	if (c == NULL)
		return;
	free(c->cert);
	free(c->chain);
	free(c->fullchain);
	free(c->serial);
	memset(c, 0, sizeof(*c));
}

/* The reason of the oldest OpenSSL error queued, for a warning that is not an error. */
static const char *
ssl_reason(void)
{
	const char *r = ERR_reason_error_string(ERR_peek_error());

	return r != NULL ? r : "no OpenSSL error recorded";
}

/* The first certificate of a PEM text (parsed once a process: cert/memo.h), or NULL (reported). */
static X509 *
first_cert(const char *pem, size_t len)
{
	X509 *x;

	if ((x = ck_cert_memo_first(pem, len)) == NULL)
		ck_error_ssl("cannot read a certificate");
	return x;
}

/* Whether x covers every one of the domains (its key decodes: checked by the caller). */
static int
covers_all(X509 *x, char *const *domains, size_t ndomains)
{
	size_t i;

	for (i = 0; i < ndomains; i++)
		if (!covers(x, domains[i]))
			return 0;
	return 1;
}

/*
 * The facts of x into *out; a key that does not decode (a flipped bit off
 * the curve) leaves the rest of the certificate readable: warned, key_type
 * -1.  0, or -1 (reported).
 */
static int
info_of(X509 *x, struct ck_cert_info *out)
{
	struct ck_cert_info info;
	enum ck_key_type t;
	EVP_PKEY *pub;

	memset(&info, 0, sizeof(info));
	if (serial_hex(x, &info.serial) != 0 ||
	    asn1_to_time(X509_get0_notBefore(x), &info.not_before) != 0 ||
	    asn1_to_time(X509_get0_notAfter(x), &info.not_after) != 0) {
		ck_cert_info_clear(&info);
		return -1;
	}
	if ((pub = X509_get0_pubkey(x)) == NULL) {
		ck_warn("certificate %s: unreadable public key (%s): key type unknown",
		    info.serial, ssl_reason());
		ERR_clear_error();
	}
	info.key_type = pub != NULL && ck_key_type_of(pub, &t) == 0 ? (int)t : -1;
	*out = info;
	return 0;
}

int
ck_cert_info(const char *pem, size_t len, struct ck_cert_info *out)
{
	return ck_cert_info_covering(pem, len, NULL, 0, out, NULL);
}

int
ck_cert_info_covering(const char *pem, size_t len, char *const *domains, size_t ndomains,
    struct ck_cert_info *out, int *covered)
{
	X509 *x;
	int rc;

	if ((x = first_cert(pem, len)) == NULL)
		return -1;
	rc = info_of(x, out);
	if (rc == 0 && covered != NULL)
		*covered = out->key_type >= 0 && covers_all(x, domains, ndomains);
	X509_free(x);
	return rc;
}

void
ck_cert_info_clear(struct ck_cert_info *i)
{
	if (i == NULL)
		return;
	free(i->serial);
	memset(i, 0, sizeof(*i));
}
