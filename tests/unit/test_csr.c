/*
 * test_csr.c: software keys and their signer (keys.c), and the CSR built
 * through the signer interface (csr.c).  Keys are generated here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/keys/csr.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"

static char dom_a[] = "a.example.org", dom_b[] = "b.example.org";
static char *const two_domains[] = { dom_a, dom_b };

/* Makes a signer of type t and keeps a reference to its key in *key. */
static struct ck_signer *
new_signer(enum ck_key_type t, EVP_PKEY **key)
{
	EVP_PKEY *k = NULL;
	struct ck_signer *s = NULL;

	assert_int_equal(ck_soft_generate(t, &k), 0);
	assert_int_equal(EVP_PKEY_up_ref(k), 1);
	assert_int_equal(ck_soft_signer_new(k, &s), 0);
	assert_int_equal(s->type, t);
	*key = k;
	return s;
}

/* Verifies a DER-form signature over msg with key and md (PKCS#1 v1.5 for RSA). */
static int
verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key), 1);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0);
	ok = EVP_DigestVerify(ctx, sig, siglen, msg, len);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Builds a CSR for two domains with a key of type t and checks all of it. */
static void
check_csr(enum ck_key_type t, int signid, int ptype)
{
	EVP_PKEY *key = NULL;
	struct ck_signer *s = new_signer(t, &key);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t derlen = 0;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	const void *pval;
	int i, pt, idx;
	char cn[128];

	assert_int_equal(ck_csr_build(s, two_domains, 2, &der, &derlen), 0);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)derlen);
	assert_non_null(req);
	assert_ptr_equal(p, der + derlen);
	assert_int_equal(X509_REQ_get_version(req), 0);
	assert_int_equal(X509_REQ_verify(req, key), 1);

	/* Exactly our names, in order, as dNSNames. */
	exts = X509_REQ_get_extensions(req);
	assert_non_null(exts);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	for (i = 0; i < 2; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		assert_int_equal(g->type, GEN_DNS);
		assert_int_equal(ASN1_STRING_length(g->d.dNSName), (int)strlen(two_domains[i]));
		assert_memory_equal(ASN1_STRING_get0_data(g->d.dNSName), two_domains[i],
		    strlen(two_domains[i]));
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

	idx = X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req), NID_commonName, -1);
	assert_true(idx >= 0);
	assert_true(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
	    cn, sizeof(cn)) > 0);
	assert_string_equal(cn, dom_a);

	/* RFC 5758: ECDSA algorithm identifiers carry no parameters; RSA ones a NULL. */
	X509_REQ_get0_signature(req, &sig, &alg);
	X509_ALGOR_get0(&obj, &pt, &pval, alg);
	assert_int_equal(OBJ_obj2nid(obj), signid);
	assert_int_equal(pt, ptype);
	assert_int_equal(X509_REQ_get_signature_nid(req), signid);
	assert_true(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), key) == 1);

	X509_REQ_free(req);
	free(der);
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

/* An EC P-256 CSR verifies with ecdsa-with-SHA256: else the CA rejects finalize. */
static void
test_csr_ec_p256(void **state)
{
	(void)state;
	check_csr(CK_KEY_EC_P256, NID_ecdsa_with_SHA256, V_ASN1_UNDEF);
}

/* An EC P-384 CSR uses ecdsa-with-SHA384: else the hash does not match the curve. */
static void
test_csr_ec_p384(void **state)
{
	(void)state;
	check_csr(CK_KEY_EC_P384, NID_ecdsa_with_SHA384, V_ASN1_UNDEF);
}

/* An RSA-2048 CSR uses sha256WithRSAEncryption with NULL parameters. */
static void
test_csr_rsa_2048(void **state)
{
	(void)state;
	check_csr(CK_KEY_RSA_2048, NID_sha256WithRSAEncryption, V_ASN1_NULL);
}

/* A first domain longer than 64 characters leaves the subject empty: else the CSR is malformed. */
static void
test_csr_long_first_domain(void **state)
{
	char longname[] = "a123456789012345678901234567890123456789012345678901234567890.example.org";
	char *const names[] = { longname, dom_b };
	EVP_PKEY *key = NULL;
	struct ck_signer *s = new_signer(CK_KEY_EC_P256, &key);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t derlen = 0;
	X509_REQ *req;

	(void)state;
	assert_int_equal(ck_csr_build(s, names, 2, &der, &derlen), 0);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)derlen);
	assert_non_null(req);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 0);
	assert_int_equal(X509_REQ_verify(req, key), 1);
	X509_REQ_free(req);
	free(der);
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

/* Signs a different message than asked: stands for a broken backend. */
static int
bad_sign(struct ck_signer *s, const unsigned char *msg, size_t len, enum ck_sig_form form,
    unsigned char **sig, size_t *siglen)
{
	struct ck_signer *inner = s->priv;
	unsigned char *copy = malloc(len);
	int rc;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	copy[len - 1] ^= 1;
	rc = ck_signer_sign(inner, copy, len, form, sig, siglen);
	free(copy);
	return rc;
}

static void
bad_destroy(struct ck_signer *s)
{
	ck_signer_free(s->priv);
}

/* A signer that signs the wrong bytes is caught by the self-check: else the CA gets a bad CSR. */
static void
test_csr_self_check(void **state)
{
	static const struct ck_signer_ops bad_ops = { bad_sign, bad_destroy, NULL, 0 };
	EVP_PKEY *key = NULL;
	struct ck_signer *inner = new_signer(CK_KEY_EC_P256, &key);
	struct ck_signer *s = calloc(1, sizeof(*s));
	unsigned char *der = NULL;
	size_t derlen = 0;

	(void)state;
	assert_non_null(s);
	s->ops = &bad_ops;
	s->type = inner->type;
	s->priv = inner;
	assert_int_equal(EVP_PKEY_up_ref(inner->pub), 1);
	s->pub = inner->pub;
	/* Only an in-process backend (software keys) skips the self-check; this one is not. */
	assert_true(inner->ops->in_process);
	assert_false(s->ops->in_process);
	ck_clear_error();
	assert_int_equal(ck_csr_build(s, two_domains, 2, &der, &derlen), -1);
	assert_null(der);
	assert_non_null(strstr(ck_last_error(), "self-check"));
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

/* No domain, or an unusable one, gives no CSR: else an empty or broken order is finalized. */
static void
test_csr_bad_domains(void **state)
{
	char empty[] = "", spaced[] = "a b.example.org";
	char *const e[] = { dom_a, empty }, *const sp[] = { spaced };
	EVP_PKEY *key = NULL;
	struct ck_signer *s = new_signer(CK_KEY_EC_P256, &key);
	unsigned char *der = NULL;
	size_t derlen = 0;

	(void)state;
	assert_int_equal(ck_csr_build(s, two_domains, 0, &der, &derlen), -1);
	assert_int_equal(ck_csr_build(s, e, 2, &der, &derlen), -1);
	assert_int_equal(ck_csr_build(s, sp, 1, &der, &derlen), -1);
	assert_null(der);
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

/* A key survives PKCS#8 PEM and back with its type: else restarts lose or change the key. */
static void
test_key_pem_round_trip(void **state)
{
	static const enum ck_key_type types[] = { CK_KEY_EC_P256, CK_KEY_EC_P384, CK_KEY_RSA_2048 };
	static const char begin[] = "-----BEGIN PRIVATE KEY-----\n";
	EVP_PKEY *key = NULL;
	struct ck_signer *s2 = NULL;
	char *pem = NULL;
	size_t pemlen = 0, i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(ck_soft_generate(types[i], &key), 0);
		assert_int_equal(ck_soft_key_to_pem(key, &pem, &pemlen), 0);
		assert_int_equal(strlen(pem), pemlen);
		assert_memory_equal(pem, begin, sizeof(begin) - 1);
		assert_int_equal(ck_soft_signer_from_pem(pem, pemlen, "key.pem", &s2), 0);
		assert_int_equal(s2->type, types[i]);
		assert_true(EVP_PKEY_eq(s2->pub, key) == 1);
		ck_signer_free(s2);
		OPENSSL_clear_free(pem, pemlen);
		EVP_PKEY_free(key);
	}
}

/*
 * A traditional "EC PRIVATE KEY" PEM (openssl ecparam -genkey, a key_file made
 * elsewhere) is still read, by the generic decoder: else only certkeeper's own
 * PKCS#8 keys would load.
 */
static void
test_key_pem_traditional(void **state)
{
	static const char begin[] = "-----BEGIN EC PRIVATE KEY-----\n";
	EVP_PKEY *key = NULL;
	struct ck_signer *s = NULL;
	BIO *bio;
	char *data;
	long n;

	(void)state;
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &key), 0);
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > (long)sizeof(begin));
	assert_memory_equal(data, begin, sizeof(begin) - 1);
	assert_int_equal(ck_soft_signer_from_pem(data, (size_t)n, "ec.pem", &s), 0);
	assert_int_equal(s->type, CK_KEY_EC_P256);
	assert_true(EVP_PKEY_eq(s->pub, key) == 1);
	ck_signer_free(s);
	BIO_free(bio);
	EVP_PKEY_free(key);
}

/*
 * The signer's pub is the key's public half and holds no private key: else
 * CSR/JWS code could depend on it and break with a TPM.  EC keys and RSA
 * keys are copied by different routes (keys/soft.c).
 */
static void
check_pub_is_public_only(enum ck_key_type t, const char *priv_param)
{
	EVP_PKEY *key = NULL;
	struct ck_signer *s = new_signer(t, &key);
	BIGNUM *priv = NULL;

	assert_int_equal(EVP_PKEY_get_bn_param(key, priv_param, &priv), 1);
	BN_free(priv);
	priv = NULL;
	assert_int_not_equal(EVP_PKEY_get_bn_param(s->pub, priv_param, &priv), 1);
	BN_free(priv);
	assert_int_equal(EVP_PKEY_eq(s->pub, key), 1);
	assert_int_equal(EVP_PKEY_get_bits(s->pub), EVP_PKEY_get_bits(key));
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

static void
test_pub_is_public_only(void **state)
{
	(void)state;
	check_pub_is_public_only(CK_KEY_EC_P256, OSSL_PKEY_PARAM_PRIV_KEY);
	check_pub_is_public_only(CK_KEY_EC_P384, OSSL_PKEY_PARAM_PRIV_KEY);
	check_pub_is_public_only(CK_KEY_RSA_2048, OSSL_PKEY_PARAM_RSA_D);
}

/* Checks the JWS form of a signature by a key of type t: fixed r||s length, verifies. */
static void
check_jws(enum ck_key_type t, size_t rawlen, const EVP_MD *md)
{
	static const unsigned char msg[] = "protected.payload";
	EVP_PKEY *key = NULL;
	struct ck_signer *s = new_signer(t, &key);
	unsigned char *sig = NULL, *der = NULL;
	size_t siglen = 0, derlen = 0, half;
	int i;

	/* Several rounds: short r or s values (one in 128) must still be padded. */
	for (i = 0; i < 8; i++) {
		assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_JWS, &sig, &siglen), 0);
		assert_int_equal(siglen, rawlen);
		if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
			half = siglen / 2;
			assert_int_equal(ck_sig_ecdsa_raw_to_der(sig, half, sig + half, half, &der,
			    &derlen), 0);
			assert_int_equal(verify(key, md, msg, sizeof(msg) - 1, der, derlen), 1);
			free(der);
		} else {
			assert_int_equal(verify(key, md, msg, sizeof(msg) - 1, sig, siglen), 1);
		}
		free(sig);
	}
	/* The DER form is an ECDSA-Sig-Value (or the same RSA bytes) and verifies as is. */
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), 0);
	assert_int_equal(verify(key, md, msg, sizeof(msg) - 1, sig, siglen), 1);
	free(sig);
	ck_signer_free(s);
	EVP_PKEY_free(key);
}

/* ES256 signatures are 64 bytes of r||s: else ACME servers reject every request. */
static void
test_jws_es256(void **state)
{
	(void)state;
	check_jws(CK_KEY_EC_P256, 64, EVP_sha256());
}

/* ES384 signatures are 96 bytes, hashed with SHA-384. */
static void
test_jws_es384(void **state)
{
	(void)state;
	check_jws(CK_KEY_EC_P384, 96, EVP_sha384());
}

/* RS256 signatures are PKCS#1 v1.5 over SHA-256, the modulus size. */
static void
test_jws_rs256(void **state)
{
	(void)state;
	check_jws(CK_KEY_RSA_2048, 256, EVP_sha256());
}

/* PEM of an arbitrary private key, optionally encrypted with "secret". */
static char *
key_pem(EVP_PKEY *k, int encrypt)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, encrypt ? EVP_aes_128_cbc() : NULL,
	    encrypt ? (unsigned char *)"secret" : NULL, encrypt ? 6 : 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	/* The BIO's data is not NUL-terminated. */
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(bio);
	return s;
}

/* Expects ck_soft_signer_from_pem to refuse pem with an error containing why. */
static void
expect_pem_refused(const char *pem, const char *why)
{
	struct ck_signer *s = NULL;

	ck_clear_error();
	assert_int_equal(ck_soft_signer_from_pem(pem, strlen(pem), "/etc/x/key.pem", &s), -1);
	assert_null(s);
	if (strstr(ck_last_error(), why) == NULL || strstr(ck_last_error(), "/etc/x/key.pem") == NULL)
		fail_msg("error \"%s\" does not say \"%s\" and the path", ck_last_error(), why);
}

/* Ed25519 and RSA-1024 keys are refused by name: else an unusable key is used with the CA. */
static void
test_unsupported_keys(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	char *pem;

	(void)state;
	assert_non_null(ed);
	assert_non_null(rsa);
	pem = key_pem(ed, 0);
	expect_pem_refused(pem, "unsupported key (expected EC P-256/P-384 or RSA 2048/3072)");
	free(pem);
	pem = key_pem(rsa, 0);
	expect_pem_refused(pem, "unsupported key");
	free(pem);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}

/* Garbage and encrypted keys fail without a passphrase prompt: else a daemon hangs on a tty. */
static void
test_unreadable_pem(void **state)
{
	EVP_PKEY *k = NULL;
	char *pem;

	(void)state;
	expect_pem_refused("not a key\n", "cannot read a private key");
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &k), 0);
	pem = key_pem(k, 1);
	expect_pem_refused(pem, "cannot read a private key");
	free(pem);
	EVP_PKEY_free(k);
}

/* TPM key types are not generated in software: else a "tpm" config silently gets a file key. */
static void
test_generate_tpm_refused(void **state)
{
	EVP_PKEY *k = NULL;

	(void)state;
	ck_clear_error();
	assert_int_equal(ck_soft_generate(CK_KEY_TPM_P256, &k), -1);
	assert_null(k);
	assert_string_equal(ck_last_error(), "key type tpm is not a software key");
	assert_int_equal(ck_soft_generate(CK_KEY_TPM_P384, &k), -1);
	assert_null(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr_ec_p256),
		cmocka_unit_test(test_csr_ec_p384),
		cmocka_unit_test(test_csr_rsa_2048),
		cmocka_unit_test(test_csr_long_first_domain),
		cmocka_unit_test(test_csr_self_check),
		cmocka_unit_test(test_csr_bad_domains),
		cmocka_unit_test(test_key_pem_round_trip),
		cmocka_unit_test(test_key_pem_traditional),
		cmocka_unit_test(test_pub_is_public_only),
		cmocka_unit_test(test_jws_es256),
		cmocka_unit_test(test_jws_es384),
		cmocka_unit_test(test_jws_rs256),
		cmocka_unit_test(test_unsupported_keys),
		cmocka_unit_test(test_unreadable_pem),
		cmocka_unit_test(test_generate_tpm_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
