/*
 * keys/csr.c: the PKCS#10 request that finalizes an order (see keys/csr.h).
 *
 * The signer may hold only a public key (TPM keys), so X509_REQ_sign is
 * never used: the "to be signed" bytes are encoded here, signed through
 * the signer interface, and the signature is put in place by hand.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/keys/csr.h"
#include "certkeeper/keys/ecder.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/util/log.h"

/* RFC 5280 ub-common-name: a longer first domain goes in the SAN only. */
#define CN_MAX 64

/* A DNS name we can put in an IA5String: non-empty printable ASCII without spaces. */
static int
domain_ok(const char *d)
{
	const char *p;

	if (*d == '\0')
		return 0;
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/*
 * Adds the subjectAltName as a requested extension: every domain as a
 * dNSName, an IP address as an iPAddress (RFC 8738 3).
 */
static int
add_san(X509_REQ *req, char *const *domains, size_t ndomains)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_OCTET_STRING *ip = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char bin[16];
	size_t i, n;
	int rc = -1;

	if ((gens = GENERAL_NAMES_new()) == NULL) {
		ck_error_ssl("GENERAL_NAMES_new");
		goto out;
	}
	for (i = 0; i < ndomains; i++) {
		if ((gen = GENERAL_NAME_new()) == NULL) {
			ck_error_ssl("GENERAL_NAME_new");
			goto out;
		}
		if ((n = ck_ip_parse(domains[i], bin)) != 0) {
			if ((ip = ASN1_OCTET_STRING_new()) == NULL ||
			    ASN1_OCTET_STRING_set(ip, bin, (int)n) != 1) {
				ck_error_ssl("ASN1_OCTET_STRING_set (%s)", domains[i]);
				goto out;
			}
			GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
			ip = NULL;
		} else {
			if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
			    ASN1_STRING_set(ia5, domains[i], -1) != 1) {
				ck_error_ssl("ASN1_STRING_set (%s)", domains[i]);
				goto out;
			}
			GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
			ia5 = NULL;
		}
		if (sk_GENERAL_NAME_push(gens, gen) <= 0) {
			ck_error_ssl("sk_GENERAL_NAME_push");
			goto out;
		}
		gen = NULL;
	}
	if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1) {
		ck_error_ssl("X509V3_add1_i2d (subjectAltName)");
		goto out;
	}
	if (X509_REQ_add_extensions(req, exts) != 1) {
		ck_error_ssl("X509_REQ_add_extensions");
		goto out;
	}
	rc = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_IA5STRING_free(ia5);
	ASN1_OCTET_STRING_free(ip);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Sets the request's signature algorithm for s's key (RFC 5758: ECDSA has no parameters). */
static int
set_sig_alg(X509_REQ *req, const struct ck_signer *s)
{
	X509_ALGOR *alg = NULL;
	int nid, ptype, rc = -1;

	switch (s->type) {
	case CK_KEY_EC_P256:
	case CK_KEY_TPM_P256:
		nid = NID_ecdsa_with_SHA256;
		ptype = V_ASN1_UNDEF;
		break;
	case CK_KEY_EC_P384:
	case CK_KEY_TPM_P384:
		nid = NID_ecdsa_with_SHA384;
		ptype = V_ASN1_UNDEF;
		break;
	case CK_KEY_RSA_2048:
	case CK_KEY_RSA_3072:
	default:
		nid = NID_sha256WithRSAEncryption;
		ptype = V_ASN1_NULL;
		break;
	}
	if ((alg = X509_ALGOR_new()) == NULL) {
		ck_error_ssl("X509_ALGOR_new");
		goto out;
	}
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(nid), ptype, NULL) != 1) {
		ck_error_ssl("X509_ALGOR_set0");
		goto out;
	}
	if (X509_REQ_set1_signature_algo(req, alg) != 1) {
		ck_error_ssl("X509_REQ_set1_signature_algo");
		goto out;
	}
	rc = 0;
out:
	X509_ALGOR_free(alg);
	return rc;
}

/* Signs the request's "to be signed" part through s and installs the signature. */
static int
sign_req(X509_REQ *req, struct ck_signer *s)
{
	unsigned char *tbs = NULL, *p, *sig = NULL;
	size_t siglen = 0;
	ASN1_BIT_STRING *bits = NULL;
	int len, rc = -1;

	/* The "re" variant drops any cached encoding, so the bytes match what we set. */
	if ((len = i2d_re_X509_REQ_tbs(req, NULL)) <= 0) {
		ck_error_ssl("i2d_re_X509_REQ_tbs");
		goto out;
	}
	if ((tbs = malloc((size_t)len)) == NULL) {
		ck_error("out of memory building a CSR");
		goto out;
	}
	p = tbs;
	if (i2d_re_X509_REQ_tbs(req, &p) != len) {
		ck_error_ssl("i2d_re_X509_REQ_tbs");
		goto out;
	}
	if (ck_signer_sign(s, tbs, (size_t)len, CK_SIG_DER, &sig, &siglen) != 0)
		goto out;
	if (siglen > INT_MAX) {
		ck_error("CSR signature too long (%zu bytes)", siglen);
		goto out;
	}
	if ((bits = ASN1_BIT_STRING_new()) == NULL) {
		ck_error_ssl("ASN1_BIT_STRING_new");
		goto out;
	}
	if (ASN1_STRING_set(bits, sig, (int)siglen) != 1) {
		ck_error_ssl("ASN1_STRING_set (CSR signature)");
		goto out;
	}
	/* A signature is whole bytes: say explicitly that no bits are unused. */
	bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bits);
	bits = NULL;
	rc = 0;
out:
	ASN1_BIT_STRING_free(bits);
	free(sig);
	free(tbs);
	return rc;
}

int
ck_csr_build(struct ck_signer *s, char *const *domains, size_t ndomains,
    unsigned char **der, size_t *derlen)
{
	X509_REQ *req = NULL;
	X509_NAME *subject;
	unsigned char *buf = NULL, *p;
	size_t i;
	int len, set, rc = -1;

	if (ndomains == 0) {
		ck_error("cannot build a CSR without any domain");
		goto out;
	}
	for (i = 0; i < ndomains; i++)
		if (!domain_ok(domains[i])) {
			ck_error("cannot put domain %zu in a CSR: empty or not printable ASCII",
			    i + 1);
			goto out;
		}
	if ((req = X509_REQ_new()) == NULL) {
		ck_error_ssl("X509_REQ_new");
		goto out;
	}
	if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1) {
		ck_error_ssl("X509_REQ_set_version");
		goto out;
	}
	/* An IP address goes in the SAN only: CAs refuse one as a common name. */
	if (strlen(domains[0]) <= CN_MAX && !ck_ip_is_addr(domains[0])) {
		subject = X509_REQ_get_subject_name(req);
		if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
		    (const unsigned char *)domains[0], -1, -1, 0) != 1) {
			ck_error_ssl("X509_NAME_add_entry_by_NID (CN=%s)", domains[0]);
			goto out;
		}
	}
	if (add_san(req, domains, ndomains) != 0)
		goto out;
	/* An EC key through keys/ecder.c (no encoder and decoder set up), others by OpenSSL. */
	if ((set = ck_ec_spki_set(X509_REQ_get_X509_PUBKEY(req), s->pub)) < 0)
		goto out;
	if (set == 0 && X509_REQ_set_pubkey(req, s->pub) != 1) {
		ck_error_ssl("X509_REQ_set_pubkey");
		goto out;
	}
	if (set_sig_alg(req, s) != 0 || sign_req(req, s) != 0)
		goto out;
	/*
	 * Catches a backend (the TPM) that signed other bytes, or with another
	 * key.  An in-process signature (a software key) is OpenSSL's own, over
	 * these bytes, with the key s->pub was taken from; checking it cost a
	 * renewal 0.9 M instructions (2%), and the CA checks it anyway (badCSR).
	 */
	if (!s->ops->in_process && X509_REQ_verify(req, s->pub) != 1) {
		ck_error_ssl("CSR self-check: the %s signature does not verify",
		    ck_key_type_name(s->type));
		goto out;
	}
	if ((len = i2d_X509_REQ(req, NULL)) <= 0) {
		ck_error_ssl("i2d_X509_REQ");
		goto out;
	}
	if ((buf = malloc((size_t)len)) == NULL) {
		ck_error("out of memory building a CSR");
		goto out;
	}
	p = buf;
	if (i2d_X509_REQ(req, &p) != len) {
		ck_error_ssl("i2d_X509_REQ");
		goto out;
	}
	*der = buf;
	*derlen = (size_t)len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	X509_REQ_free(req);
	return rc;
}
