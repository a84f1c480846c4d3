/*
 * test_tpm_keys.c: TPM keys (src/keys/tpm.c) against the fake TPM of
 * fake_tpm.c: P-256 and P-384 keys created under tpm2-openssl's storage
 * primary or a persistent parent, their key file and what a normal run
 * costs in TPM commands, the key file loaded back in a later run (refused,
 * with its cause named, when it is another TPM's or another parent's, or
 * not a key we can sign with), and the private blob never left in freed
 * memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "certkeeper/keys/tss2key.h"
#include "keys/tss.h"
#include "fake_tpm.h"

/* ---- helpers ----------------------------------------------------------- */

/* A key file for `pub` with a dummy private blob, as another tool might write it. */
static char *
craft_key_file(const TPM2B_PUBLIC *pub, int empty_auth, uint32_t parent, size_t *pemlen)
{
	unsigned char pubbuf[sizeof(TPM2B_PUBLIC)], priv[] = { 0x00, 0x02, 0xaa, 0xbb };
	struct ck_tss2key k = { 0 };
	size_t publen = 0;
	char *pem = NULL;

	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(pub, pubbuf, sizeof(pubbuf), &publen), 0);
	k.empty_auth = empty_auth;
	k.parent = parent;
	k.pub = pubbuf;
	k.publen = publen;
	k.priv = priv;
	k.privlen = sizeof(priv);
	assert_int_equal(ck_tss2key_encode(&k, &pem, pemlen), 0);
	return pem;
}

/* ---- tests ------------------------------------------------------------- */

/*
 * Broken if a normal run costs more TPM commands than Startup, one
 * CreatePrimary per ck_tpm, one Create, one Load for the signer's first
 * signature and one Sign per signature, with the flushes at destroy and
 * close; or if the signatures do not verify under the key's public key.
 */
static void
test_create_sign_sign_command_count(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	struct ck_tss2key k;
	TPM2B_PUBLIC pub = { 0 };
	char *pem = NULL;
	size_t pemlen, off = 0;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	assert_int_equal(ck_tpm_command_count(t), 1);			/* Startup */
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), 0);
	assert_int_equal(ck_tpm_command_count(t), 3);			/* + CreatePrimary, Create */
	assert_int_equal(s->type, CK_KEY_TPM_P256);
	assert_string_equal(ck_signer_jws_alg(s), "ES256");
	sign_and_verify(s, 32);
	assert_int_equal(ck_tpm_command_count(t), 6);			/* + Load, Sign, Sign */
	assert_int_equal(fk.commands, 6);
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 1);
	assert_int_equal(fk.calls[F_LOAD], 1);
	assert_int_equal(fk.calls[F_SIGN], 2);
	assert_int_equal(fk.calls[F_FLUSH], 0);
	assert_int_equal(fk.sign_hash, TPM2_ALG_SHA256);
	assert_int_equal(fk.peak, 2);					/* primary + one key */
	assert_int_equal(transients(), 2);				/* both stay loaded */

	/* The key file: owner parent, explicit emptyAuth, the TPM's public area. */
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "new", &k), 0);
	assert_int_equal(k.parent, 0x40000001);
	assert_int_equal(k.empty_auth, 1);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Unmarshal(k.pub, k.publen, &off, &pub), 0);
	assert_int_equal(pub.publicArea.unique.ecc.x.size, 32);
	ck_tss2key_clear(&k);

	/* The key template of FACTS.md: sign-only, noDA, SHA-256 name, scheme NULL, empty unique. */
	assert_int_equal(fk.create_tmpl.publicArea.type, TPM2_ALG_ECC);
	assert_int_equal(fk.create_tmpl.publicArea.nameAlg, TPM2_ALG_SHA256);
	assert_int_equal(fk.create_tmpl.publicArea.objectAttributes, 0x00040472);
	assert_int_equal(fk.create_tmpl.publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
	assert_int_equal(fk.create_tmpl.publicArea.parameters.eccDetail.scheme.scheme, TPM2_ALG_NULL);
	assert_int_equal(fk.create_tmpl.publicArea.unique.ecc.x.size, 0);

	ck_signer_free(s);
	assert_int_equal(ck_tpm_command_count(t), 7);			/* + Flush of the key */
	assert_int_equal(fk.calls[F_FLUSH], 1);
	assert_int_equal(transients(), 1);				/* the cached primary */
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(fk.commands, 8);				/* + Flush of the primary */
	assert_int_equal(fk.calls[F_FLUSH], 2);
	assert_int_equal(transients(), 0);
}

/*
 * Broken if the storage primary differs from tpm2-openssl's: every key
 * file would then fail to load in the other program (0x1DF).
 */
static void
test_primary_template(void **state)
{
	const TPMT_PUBLIC *p = &fk.primary_tmpl.publicArea;
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	assert_int_equal(p->type, TPM2_ALG_ECC);
	assert_int_equal(p->nameAlg, TPM2_ALG_SHA256);
	assert_int_equal(p->objectAttributes, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT);
	assert_int_equal(p->authPolicy.size, 0);
	assert_int_equal(p->parameters.eccDetail.symmetric.algorithm, TPM2_ALG_AES);
	assert_int_equal(p->parameters.eccDetail.symmetric.keyBits.aes, 128);
	assert_int_equal(p->parameters.eccDetail.symmetric.mode.aes, TPM2_ALG_CFB);
	assert_int_equal(p->parameters.eccDetail.scheme.scheme, TPM2_ALG_NULL);
	assert_int_equal(p->parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
	assert_int_equal(p->parameters.eccDetail.kdf.scheme, TPM2_ALG_NULL);
	assert_int_equal(p->unique.ecc.x.size, 0);
	assert_int_equal(p->unique.ecc.y.size, 0);
	ck_signer_free(s);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/* Broken if tpm-p384 keys are made on the wrong curve or signed with the wrong hash/size. */
static void
test_p384(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P384, &s, &pem, &pemlen), 0);
	assert_int_equal(fk.create_tmpl.publicArea.parameters.eccDetail.curveID, TPM2_ECC_NIST_P384);
	assert_int_equal(fk.create_tmpl.publicArea.nameAlg, TPM2_ALG_SHA256);
	assert_int_equal(s->type, CK_KEY_TPM_P384);
	assert_string_equal(ck_signer_jws_alg(s), "ES384");
	sign_and_verify(s, 48);
	assert_int_equal(fk.sign_hash, TPM2_ALG_SHA384);
	ck_signer_free(s);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/*
 * Broken if a saved key file does not load and sign in a later run, if
 * loading it costs a TPM command, or if it is loaded more than once.
 */
static void
test_load_then_sign(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL, *s2 = NULL;
	EVP_PKEY *pub;
	char *pem = NULL;
	size_t pemlen;
	unsigned before;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	pub = s->pub;
	assert_int_equal(EVP_PKEY_up_ref(pub), 1);
	ck_signer_free(s);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_FLUSH], 1);		/* a signer that never signed loaded nothing */
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	before = ck_tpm_command_count(t);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "account.key", &s2), 0);
	assert_int_equal(ck_tpm_command_count(t), before);
	assert_true(EVP_PKEY_eq(pub, s2->pub) == 1);
	sign_and_verify(s2, 32);
	/* CreatePrimary once in this run, Load once, then one Sign per signature. */
	assert_int_equal(ck_tpm_command_count(t), before + 4);
	sign_and_verify(s2, 32);
	assert_int_equal(ck_tpm_command_count(t), before + 6);
	assert_int_equal(fk.calls[F_LOAD], 1);
	ck_signer_free(s2);
	assert_int_equal(ck_tpm_command_count(t), before + 7);	/* its Flush */
	EVP_PKEY_free(pub);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/* Broken if a failed Create leaves an object loaded or its error unnamed. */
static void
test_create_fails(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	fail_call(F_CREATE, 1, TPM2_RC_CURVE + TPM2_RC_P + 2 * TPM2_RC_1);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	assert_null(s);
	assert_null(pem);
	expect_error("Esys_Create");
	expect_error("curve not supported");
	assert_int_equal(transients(), 1);				/* only the primary */
	ck_tpm_close(t);
	assert_int_equal(transients(), 0);
}

/*
 * Broken if a key file from another TPM (or another parent) is not named
 * as such, or if the failed load leaves anything behind.
 */
static void
test_load_integrity(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL, *s2 = NULL;
	unsigned char *sig = NULL;
	size_t siglen, pemlen;
	char *pem = NULL;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	ck_signer_free(s);
	ck_tpm_close(t);
	teardown(state);
	fake_reset();			/* another TPM: its seed differs */

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "/var/lib/certkeeper/acct.key", &s2), 0);
	assert_int_equal(ck_signer_sign(s2, msg, sizeof(msg) - 1, CK_SIG_JWS, &sig, &siglen), -1);
	assert_null(sig);
	expect_error("key file /var/lib/certkeeper/acct.key was made by another TPM or for "
	    "another parent (integrity check failed)");
	expect_error("0x1df");
	assert_int_equal(transients(), 1);
	ck_signer_free(s2);
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(transients(), 0);
}

/*
 * Broken if a persistent parent is flushed (destroying nothing, but an
 * error) instead of closed, or if the key file does not name it.
 */
static void
test_persistent_parent(void **state)
{
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	struct ck_tss2key k;
	char *pem = NULL, *opem = NULL;
	size_t pemlen, opemlen;

	/* A key file made under the owner primary, for later. */
	open_and_create(&owner_cfg, &t, &s, &opem, &opemlen);
	ck_signer_free(s);
	s = NULL;
	ck_tpm_close(t);
	t = NULL;
	assert_int_equal(fk.calls[F_FLUSH], 1);		/* its primary */

	cfg.parent = "0x81000001";
	open_and_create(&cfg, &t, &s, &pem, &pemlen);
	sign_and_verify(s, 32);
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 1);	/* the owner run's only */
	assert_int_equal(fk.calls[F_FROMPUB], 1);
	assert_int_equal(ck_tss2key_decode(pem, pemlen, "k", &k), 0);
	assert_int_equal(k.parent, 0x81000001);
	ck_tss2key_clear(&k);
	ck_signer_free(s);
	s = NULL;

	/* The owner key file is refused, naming both parents. */
	assert_int_equal(ck_tpm_key_load(t, opem, opemlen, "old.key", &s), -1);
	assert_null(s);
	expect_error("old.key");
	expect_error("owner (0x40000001)");
	expect_error("0x81000001");

	OPENSSL_free(pem);
	OPENSSL_free(opem);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_TRCLOSE], 1);
	assert_int_equal(fk.calls[F_FLUSH], 1 + 1);	/* + the key at destroy, never the parent */
}

/* Broken if a missing persistent parent is not named. */
static void
test_persistent_parent_missing(void **state)
{
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	cfg.parent = "0x81000002";
	assert_int_equal(ck_tpm_open(&cfg, &t), 0);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("parent 0x81000002 is not in this TPM");
	expect_error("0x18b");
	ck_tpm_close(t);
}

/* Broken if keys we cannot sign with (password, RSA, restricted, other curve) are accepted. */
static void
test_load_rejects(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	TPM2B_PUBLIC pub = { 0 };
	char *pem;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	pub.publicArea.type = TPM2_ALG_ECC;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes = 0x00040472;
	pub.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	pub.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	fake_keygen(TPM2_ECC_NIST_P256, &pub.publicArea.unique.ecc);

	/* The good one first, so that the rejections below are about one field each. */
	pem = craft_key_file(&pub, 1, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), 0);
	ck_signer_free(s);
	s = NULL;
	OPENSSL_free(pem);

	pem = craft_key_file(&pub, 0, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), -1);
	expect_error("has a password");
	OPENSSL_free(pem);

	pub.publicArea.objectAttributes |= TPMA_OBJECT_RESTRICTED;
	pem = craft_key_file(&pub, 1, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), -1);
	expect_error("not an unrestricted signing key");
	OPENSSL_free(pem);
	pub.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;

	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	pem = craft_key_file(&pub, 1, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), -1);
	expect_error("unsupported curve");
	OPENSSL_free(pem);
	pub.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;

	pub.publicArea.unique.ecc.y.buffer[5] ^= 1;	/* no longer on the curve */
	pem = craft_key_file(&pub, 1, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), -1);
	expect_error("EVP_PKEY_fromdata");
	OPENSSL_free(pem);

	memset(&pub, 0, sizeof(pub));
	pub.publicArea.type = TPM2_ALG_RSA;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes = 0x00040472;
	pub.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	pub.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	pub.publicArea.parameters.rsaDetail.keyBits = 2048;
	pem = craft_key_file(&pub, 1, 0x40000001, &pemlen);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "k", &s), -1);
	expect_error("not an ECC key");
	OPENSSL_free(pem);

	assert_null(s);
	assert_int_equal(ck_tpm_command_count(t), 1);	/* loading costs no TPM command */
	ck_tpm_close(t);
}

/*
 * Broken if a TPM key's wrapped private blob (its TPM2B_PRIVATE) is left
 * in memory certkeeper frees: ESAPI's Create output, or the signer's copy
 * when the signer goes, after a create or a load from the key file.
 */
static void
test_private_blob_wiped(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen = 0;

	(void)state;
	seed_hits = 0;
	scan_seed = 1;
	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	sign_and_verify(s, 32);
	ck_signer_free(s);
	assert_int_equal(ck_tpm_key_load(t, pem, pemlen, "key.tss2.pem", &s), 0);
	sign_and_verify(s, 32);
	ck_signer_free(s);
	ck_tpm_close(t);
	scan_seed = 0;
	OPENSSL_clear_free(pem, pemlen);
	assert_int_equal(seed_hits, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_sign_sign_command_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p384, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_then_sign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_integrity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_parent_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_blob_wiped, setup, teardown),
	};

	srand((unsigned)getpid());
	ck_tss_use(&fake_tss);
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
