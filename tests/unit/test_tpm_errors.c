/*
 * test_tpm_errors.c: src/tpm.c against a fake TPM.
 *
 * tpm.c makes its ESAPI and TCTI-loader calls through a table (keys/tss.h);
 * this test gives it its own (ck_tss_use), whose fake_ functions below are
 * a small TPM (the marshalling and error-decoding calls are tpm2-tss's): they hand out
 * ESYS_TR handles, track which transient objects are loaded (three slots,
 * like swtpm: a fourth answers 0x902), make real P-256/P-384 keys with
 * OpenSSL and sign with them, and can be told to fail the Nth call of a
 * function with a given return code.  The tests prove that every path
 * flushes what it loaded, that errors name their cause, and how many
 * commands a normal run sends.
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

#include <malloc.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "certkeeper/keys/tss2key.h"
#include "keys/tss.h"

/* ---- the fake TPM ------------------------------------------------------ */

enum fn {
	F_TCTI_INIT, F_TCTI_FIN, F_ESYS_INIT, F_ESYS_FIN, F_STARTUP, F_SETAUTH,
	F_CREATEPRIMARY, F_CREATE, F_LOAD, F_SIGN, F_FLUSH, F_FROMPUB, F_TRCLOSE, F_COUNT
};

enum kind { K_FREE, K_PRIMARY, K_KEY, K_PERSISTENT };

#define FAKE_SLOTS	3		/* transient objects, as on swtpm */
#define FAKE_OBJS	16
#define FAKE_TR_BASE	0x1000
#define FAKE_PERSISTENT	0x81000001	/* the only persistent object */
#define FAKE_KEYS	32

static struct fake {
	unsigned calls[F_COUNT];
	unsigned fail_nth[F_COUNT];	/* 0: never */
	TSS2_RC fail_rc[F_COUNT];
	TSS2_RC startup_rc;		/* what a successful Startup answers */
	unsigned commands;		/* TPM commands received */
	struct {
		enum kind kind;
		int key;		/* index into keys[] */
	} obj[FAKE_OBJS];
	int external;			/* slots held by "another program" */
	int peak;			/* most transient objects loaded at once */
	unsigned char seed[8];		/* makes blobs of this fake TPM only load here */
	EVP_PKEY *keys[FAKE_KEYS];
	int nkeys;
	int tcti_open, esys_open;
	char tcti_conf[128];
	TPM2B_AUTH owner_auth;
	int owner_auth_set;
	TPM2B_PUBLIC primary_tmpl, create_tmpl;
	TPMI_ALG_HASH sign_hash;
	int short_r;			/* Sign returns an r shorter than the field */
	char violations[1024];		/* misuse of the API seen by the fake */
} fk;

static char fake_tcti_mem[64], fake_esys_mem[64];

/*
 * While scan_seed is set, every block certkeeper's code frees (free() is
 * wrapped) and every ESAPI output it releases (Esys_Free is wrapped) is
 * searched for this TPM's seed, which starts every private blob it makes.
 */
static int scan_seed;
static unsigned seed_hits;

void __real_free(void *p);
void __wrap_free(void *p);
void fake_Esys_Free(void *p);

static void
find_seed(const void *p)
{
	const unsigned char *b = p;
	size_t n, i;

	if (!scan_seed || p == NULL)
		return;
	n = malloc_usable_size((void *)p);
	for (i = 0; i + sizeof(fk.seed) <= n; i++)
		if (memcmp(b + i, fk.seed, sizeof(fk.seed)) == 0) {
			seed_hits++;
			return;
		}
}

void
__wrap_free(void *p)
{
	find_seed(p);
	__real_free(p);
}

void
fake_Esys_Free(void *p)
{
	find_seed(p);
	__real_free(p);		/* all ESAPI's Esys_Free does; not counted twice */
}

/* Records a misuse; the teardown fails the test if there was any. */
static void
violation(const char *what)
{
	size_t n = strlen(fk.violations);

	snprintf(fk.violations + n, sizeof(fk.violations) - n, "%s; ", what);
}

/* Counts a call; returns the injected failure code for it, or 0. */
static TSS2_RC
fake_call(enum fn f)
{
	fk.calls[f]++;
	if (fk.fail_nth[f] != 0 && fk.fail_nth[f] == fk.calls[f])
		return fk.fail_rc[f];
	return TSS2_RC_SUCCESS;
}

static void
fail_call(enum fn f, unsigned nth, TSS2_RC rc)
{
	fk.fail_nth[f] = nth;
	fk.fail_rc[f] = rc;
}

static int
transients(void)
{
	int i, n = fk.external;

	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_PRIMARY || fk.obj[i].kind == K_KEY)
			n++;
	return n;
}

static int
count_kind(enum kind k)
{
	int i, n = 0;

	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == k)
			n++;
	return n;
}

/* Index of an ESYS_TR of kind k (any non-free kind if k is K_FREE), or -1. */
static int
lookup(ESYS_TR h, enum kind k)
{
	int i = (int)h - FAKE_TR_BASE;

	if (i < 0 || i >= FAKE_OBJS || fk.obj[i].kind == K_FREE)
		return -1;
	if (k != K_FREE && fk.obj[i].kind != k)
		return -1;
	return i;
}

/* Takes an object slot; 0x902 when transient memory is full, as a TPM does. */
static TSS2_RC
new_object(enum kind k, int key, ESYS_TR *out)
{
	int i;

	if (k != K_PERSISTENT && transients() >= FAKE_SLOTS)
		return TPM2_RC_OBJECT_MEMORY;
	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_FREE) {
			fk.obj[i].kind = k;
			fk.obj[i].key = key;
			*out = (ESYS_TR)(FAKE_TR_BASE + i);
			if (transients() > fk.peak)
				fk.peak = transients();
			return TSS2_RC_SUCCESS;
		}
	violation("fake object table full");
	return TPM2_RC_OBJECT_MEMORY;
}

static int
parent_ok(ESYS_TR h)
{
	return lookup(h, K_PRIMARY) >= 0 || lookup(h, K_PERSISTENT) >= 0;
}

static void
fake_reset(void)
{
	int i;

	for (i = 0; i < fk.nkeys; i++)
		EVP_PKEY_free(fk.keys[i]);
	memset(&fk, 0, sizeof(fk));
	/* A new seed is a new TPM: blobs of the previous one fail its integrity check. */
	for (i = 0; i < 8; i++)
		fk.seed[i] = (unsigned char)rand();
	fk.startup_rc = TPM2_RC_INITIALIZE;
}

TSS2_RC fake_Tss2_TctiLdr_Initialize(const char *, TSS2_TCTI_CONTEXT **);
void fake_Tss2_TctiLdr_Finalize(TSS2_TCTI_CONTEXT **);
TSS2_RC fake_Esys_Initialize(ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *);
void fake_Esys_Finalize(ESYS_CONTEXT **);
TSS2_RC fake_Esys_Startup(ESYS_CONTEXT *, TPM2_SU);
TSS2_RC fake_Esys_TR_SetAuth(ESYS_CONTEXT *, ESYS_TR, TPM2B_AUTH const *);
TSS2_RC fake_Esys_CreatePrimary(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR,
    const TPM2B_SENSITIVE_CREATE *, const TPM2B_PUBLIC *, const TPM2B_DATA *,
    const TPML_PCR_SELECTION *, ESYS_TR *, TPM2B_PUBLIC **, TPM2B_CREATION_DATA **,
    TPM2B_DIGEST **, TPMT_TK_CREATION **);
TSS2_RC fake_Esys_Create(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR,
    const TPM2B_SENSITIVE_CREATE *, const TPM2B_PUBLIC *, const TPM2B_DATA *,
    const TPML_PCR_SELECTION *, TPM2B_PRIVATE **, TPM2B_PUBLIC **, TPM2B_CREATION_DATA **,
    TPM2B_DIGEST **, TPMT_TK_CREATION **);
TSS2_RC fake_Esys_Load(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR,
    const TPM2B_PRIVATE *, const TPM2B_PUBLIC *, ESYS_TR *);
TSS2_RC fake_Esys_Sign(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR,
    const TPM2B_DIGEST *, const TPMT_SIG_SCHEME *, const TPMT_TK_HASHCHECK *,
    TPMT_SIGNATURE **);
TSS2_RC fake_Esys_FlushContext(ESYS_CONTEXT *, ESYS_TR);
TSS2_RC fake_Esys_TR_FromTPMPublic(ESYS_CONTEXT *, TPM2_HANDLE, ESYS_TR, ESYS_TR, ESYS_TR,
    ESYS_TR *);
TSS2_RC fake_Esys_TR_Close(ESYS_CONTEXT *, ESYS_TR *);

TSS2_RC
fake_Tss2_TctiLdr_Initialize(const char *conf, TSS2_TCTI_CONTEXT **ctx)
{
	TSS2_RC rc = fake_call(F_TCTI_INIT);

	snprintf(fk.tcti_conf, sizeof(fk.tcti_conf), "%s", conf ? conf : "(null)");
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	fk.tcti_open = 1;
	*ctx = (TSS2_TCTI_CONTEXT *)(void *)fake_tcti_mem;
	return TSS2_RC_SUCCESS;
}

void
fake_Tss2_TctiLdr_Finalize(TSS2_TCTI_CONTEXT **ctx)
{
	fake_call(F_TCTI_FIN);
	if (fk.esys_open)
		violation("TCTI finalized before ESAPI");
	fk.tcti_open = 0;
	*ctx = NULL;
}

TSS2_RC
fake_Esys_Initialize(ESYS_CONTEXT **esys, TSS2_TCTI_CONTEXT *tcti, TSS2_ABI_VERSION *abi)
{
	TSS2_RC rc = fake_call(F_ESYS_INIT);

	if (!fk.tcti_open)
		violation("Esys_Initialize without a TCTI");
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	fk.esys_open = 1;
	*esys = (ESYS_CONTEXT *)(void *)fake_esys_mem;
	return TSS2_RC_SUCCESS;
}

void
fake_Esys_Finalize(ESYS_CONTEXT **esys)
{
	int i;

	fake_call(F_ESYS_FIN);
	/* ESAPI forgets its handles; a transient object stays in the TPM. */
	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_PERSISTENT)
			fk.obj[i].kind = K_FREE;
	fk.esys_open = 0;
	*esys = NULL;
}

TSS2_RC
fake_Esys_Startup(ESYS_CONTEXT *esys, TPM2_SU su)
{
	TSS2_RC rc = fake_call(F_STARTUP);

	fk.commands++;
	if (su != TPM2_SU_CLEAR)
		violation("Startup not CLEAR");
	return rc != TSS2_RC_SUCCESS ? rc : fk.startup_rc;
}

TSS2_RC
fake_Esys_TR_SetAuth(ESYS_CONTEXT *esys, ESYS_TR h, TPM2B_AUTH const *auth)
{
	TSS2_RC rc = fake_call(F_SETAUTH);

	if (rc != TSS2_RC_SUCCESS)
		return rc;
	if (h != ESYS_TR_RH_OWNER)
		violation("SetAuth on something else than the owner hierarchy");
	fk.owner_auth = *auth;
	fk.owner_auth_set = 1;
	return TSS2_RC_SUCCESS;
}

TSS2_RC
fake_Esys_CreatePrimary(ESYS_CONTEXT *esys, ESYS_TR hierarchy, ESYS_TR s1, ESYS_TR s2,
    ESYS_TR s3, const TPM2B_SENSITIVE_CREATE *sens, const TPM2B_PUBLIC *tmpl,
    const TPM2B_DATA *outside, const TPML_PCR_SELECTION *pcrs, ESYS_TR *obj,
    TPM2B_PUBLIC **outpub, TPM2B_CREATION_DATA **cdata, TPM2B_DIGEST **chash,
    TPMT_TK_CREATION **ticket)
{
	TSS2_RC rc = fake_call(F_CREATEPRIMARY);

	fk.commands++;
	if (hierarchy != ESYS_TR_RH_OWNER || s1 != ESYS_TR_PASSWORD)
		violation("CreatePrimary not under the owner hierarchy with a password session");
	if (sens->sensitive.userAuth.size != 0 || sens->sensitive.data.size != 0)
		violation("CreatePrimary with a non-empty sensitive area");
	fk.primary_tmpl = *tmpl;
	if (rc != TSS2_RC_SUCCESS) {
		*obj = 0x1fff;	/* an output is not to be trusted after a failure */
		return rc;
	}
	if ((rc = new_object(K_PRIMARY, -1, obj)) != TSS2_RC_SUCCESS)
		return rc;
	if (outpub != NULL && (*outpub = calloc(1, sizeof(**outpub))) != NULL)
		**outpub = *tmpl;
	if (cdata != NULL)
		*cdata = calloc(1, sizeof(**cdata));
	if (chash != NULL)
		*chash = calloc(1, sizeof(**chash));
	if (ticket != NULL)
		*ticket = calloc(1, sizeof(**ticket));
	return TSS2_RC_SUCCESS;
}

/* Makes a real EC key for curve and stores its point in pt; returns its index. */
static int
fake_keygen(TPMI_ECC_CURVE curve, TPMS_ECC_POINT *pt)
{
	int fl = curve == TPM2_ECC_NIST_P384 ? 48 : 32;
	EVP_PKEY *pk = EVP_EC_gen(curve == TPM2_ECC_NIST_P384 ? "P-384" : "P-256");
	BIGNUM *x = NULL, *y = NULL;

	assert_non_null(pk);
	assert_true(fk.nkeys < FAKE_KEYS);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	pt->x.size = (UINT16)fl;
	pt->y.size = (UINT16)fl;
	assert_int_equal(BN_bn2binpad(x, pt->x.buffer, fl), fl);
	assert_int_equal(BN_bn2binpad(y, pt->y.buffer, fl), fl);
	BN_free(x);
	BN_free(y);
	fk.keys[fk.nkeys] = pk;
	return fk.nkeys++;
}

TSS2_RC
fake_Esys_Create(ESYS_CONTEXT *esys, ESYS_TR parent, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPM2B_SENSITIVE_CREATE *sens, const TPM2B_PUBLIC *tmpl, const TPM2B_DATA *outside,
    const TPML_PCR_SELECTION *pcrs, TPM2B_PRIVATE **outpriv, TPM2B_PUBLIC **outpub,
    TPM2B_CREATION_DATA **cdata, TPM2B_DIGEST **chash, TPMT_TK_CREATION **ticket)
{
	TSS2_RC rc = fake_call(F_CREATE);
	int key;

	fk.commands++;
	fk.create_tmpl = *tmpl;
	if (!parent_ok(parent))
		violation("Create under a parent that is not loaded");
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	*outpub = calloc(1, sizeof(**outpub));
	*outpriv = calloc(1, sizeof(**outpriv));
	assert_non_null(*outpub);
	assert_non_null(*outpriv);
	**outpub = *tmpl;
	key = fake_keygen(tmpl->publicArea.parameters.eccDetail.curveID,
	    &(*outpub)->publicArea.unique.ecc);
	/* The "wrapped" private part: this TPM's seed and the key's index. */
	memcpy((*outpriv)->buffer, fk.seed, sizeof(fk.seed));
	(*outpriv)->buffer[sizeof(fk.seed)] = (BYTE)key;
	(*outpriv)->size = sizeof(fk.seed) + 1;
	if (cdata != NULL)
		*cdata = calloc(1, sizeof(**cdata));
	if (chash != NULL)
		*chash = calloc(1, sizeof(**chash));
	if (ticket != NULL)
		*ticket = calloc(1, sizeof(**ticket));
	return TSS2_RC_SUCCESS;
}

TSS2_RC
fake_Esys_Load(ESYS_CONTEXT *esys, ESYS_TR parent, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPM2B_PRIVATE *priv, const TPM2B_PUBLIC *pub, ESYS_TR *obj)
{
	TSS2_RC rc = fake_call(F_LOAD);
	int key;

	fk.commands++;
	if (!parent_ok(parent))
		violation("Load under a parent that is not loaded");
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	if (priv->size != sizeof(fk.seed) + 1 || memcmp(priv->buffer, fk.seed, sizeof(fk.seed)) != 0 ||
	    (key = priv->buffer[sizeof(fk.seed)]) >= fk.nkeys)
		return TPM2_RC_INTEGRITY + TPM2_RC_P + TPM2_RC_1;
	return new_object(K_KEY, key, obj);
}

TSS2_RC
fake_Esys_Sign(ESYS_CONTEXT *esys, ESYS_TR keyh, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPM2B_DIGEST *digest, const TPMT_SIG_SCHEME *scheme,
    const TPMT_TK_HASHCHECK *ticket, TPMT_SIGNATURE **sig)
{
	TSS2_RC rc = fake_call(F_SIGN);
	unsigned char der[160];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	const BIGNUM *r, *s;
	EVP_PKEY_CTX *ctx;
	ECDSA_SIG *es;
	int i;

	fk.commands++;
	if ((i = lookup(keyh, K_KEY)) < 0) {
		violation("Sign with a key that is not loaded");
		return TPM2_RC_REFERENCE_H0;
	}
	if (scheme->scheme != TPM2_ALG_ECDSA || ticket->tag != TPM2_ST_HASHCHECK ||
	    ticket->hierarchy != TPM2_RH_NULL || ticket->digest.size != 0)
		violation("Sign without ECDSA and the null ticket");
	fk.sign_hash = scheme->details.ecdsa.hashAlg;
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	ctx = EVP_PKEY_CTX_new(fk.keys[fk.obj[i].key], NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	for (;;) {
		/* For short_r, sign again until r has a leading zero byte (1 in 256). */
		derlen = sizeof(der);
		p = der;
		assert_int_equal(EVP_PKEY_sign(ctx, der, &derlen, digest->buffer, digest->size), 1);
		es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		assert_non_null(es);
		ECDSA_SIG_get0(es, &r, &s);
		if (!fk.short_r || BN_num_bytes(r) < EVP_PKEY_get_bits(fk.keys[fk.obj[i].key]) / 8)
			break;
		ECDSA_SIG_free(es);
	}
	EVP_PKEY_CTX_free(ctx);
	*sig = calloc(1, sizeof(**sig));
	assert_non_null(*sig);
	(*sig)->sigAlg = TPM2_ALG_ECDSA;
	(*sig)->signature.ecdsa.hash = scheme->details.ecdsa.hashAlg;
	/* Minimal big-endian, not padded: the caller must pad. */
	(*sig)->signature.ecdsa.signatureR.size = (UINT16)BN_bn2bin(r,
	    (*sig)->signature.ecdsa.signatureR.buffer);
	(*sig)->signature.ecdsa.signatureS.size = (UINT16)BN_bn2bin(s,
	    (*sig)->signature.ecdsa.signatureS.buffer);
	ECDSA_SIG_free(es);
	return TSS2_RC_SUCCESS;
}

TSS2_RC
fake_Esys_FlushContext(ESYS_CONTEXT *esys, ESYS_TR h)
{
	TSS2_RC rc = fake_call(F_FLUSH);
	int i;

	fk.commands++;
	if (!fk.esys_open)
		violation("FlushContext without an ESAPI context (a signer outlived its ck_tpm?)");
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	if ((i = lookup(h, K_FREE)) < 0 || fk.obj[i].kind == K_PERSISTENT) {
		violation("flush of something that is not a loaded transient object");
		return TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1;
	}
	fk.obj[i].kind = K_FREE;
	return TSS2_RC_SUCCESS;
}

TSS2_RC
fake_Esys_TR_FromTPMPublic(ESYS_CONTEXT *esys, TPM2_HANDLE handle, ESYS_TR s1, ESYS_TR s2,
    ESYS_TR s3, ESYS_TR *obj)
{
	TSS2_RC rc = fake_call(F_FROMPUB);

	fk.commands++;	/* ReadPublic */
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	if (handle != FAKE_PERSISTENT)
		return TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1;	/* 0x18b, as swtpm answers */
	return new_object(K_PERSISTENT, -1, obj);
}

TSS2_RC
fake_Esys_TR_Close(ESYS_CONTEXT *esys, ESYS_TR *h)
{
	TSS2_RC rc = fake_call(F_TRCLOSE);
	int i;

	if (rc != TSS2_RC_SUCCESS)
		return rc;
	if ((i = lookup(*h, K_PERSISTENT)) < 0) {
		violation("TR_Close of something that is not a persistent object");
		return TSS2_ESYS_RC_BAD_TR;
	}
	fk.obj[i].kind = K_FREE;
	*h = ESYS_TR_NONE;
	return TSS2_RC_SUCCESS;
}

/* ---- helpers ----------------------------------------------------------- */

static const struct ck_tpm_config owner_cfg = { "swtpm:host=127.0.0.1,port=2321", NULL, NULL, NULL };
static const unsigned char msg[] = "{\"protected\":\"...\",\"payload\":\"...\"}";

static int
setup(void **state)
{
	fake_reset();
	ck_clear_error();
	return 0;
}

/* Every test ends with the fake TPM empty and the API used correctly. */
static int
teardown(void **state)
{
	if (fk.violations[0] != '\0')
		fail_msg("fake TPM saw misuse: %s", fk.violations);
	assert_int_equal(transients() - fk.external, 0);
	assert_int_equal(count_kind(K_PERSISTENT), 0);
	assert_false(fk.esys_open);
	assert_false(fk.tcti_open);
	return 0;
}

static void
expect_error(const char *want)
{
	if (strstr(ck_last_error(), want) == NULL)
		fail_msg("error '%s' does not contain '%s'", ck_last_error(), want);
}

/* Verifies a DER ECDSA signature over msg with the signer's public key and digest. */
static void
verify_der(struct ck_signer *s, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, ck_signer_md(s), NULL, s->pub), 1);
	assert_int_equal(EVP_DigestVerify(c, sig, siglen, msg, sizeof(msg) - 1), 1);
	EVP_MD_CTX_free(c);
}

/* Signs msg in both forms and checks both verify under the public key. */
static void
sign_and_verify(struct ck_signer *s, size_t fieldlen)
{
	unsigned char *sig = NULL, *der = NULL;
	size_t siglen = 0, derlen = 0;

	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_JWS, &sig, &siglen), 0);
	assert_int_equal(siglen, 2 * fieldlen);
	assert_int_equal(ck_sig_ecdsa_raw_to_der(sig, fieldlen, sig + fieldlen, fieldlen, &der,
	    &derlen), 0);
	verify_der(s, der, derlen);
	free(sig);
	free(der);
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), 0);
	verify_der(s, sig, siglen);
	free(sig);
}

/* Opens a ck_tpm with cfg and creates a P-256 key, asserting success. */
static void
open_and_create(const struct ck_tpm_config *cfg, struct ck_tpm **t, struct ck_signer **s,
    char **pem, size_t *pemlen)
{
	assert_int_equal(ck_tpm_open(cfg, t), 0);
	assert_int_equal(ck_tpm_key_create(*t, CK_KEY_TPM_P256, s, pem, pemlen), 0);
}

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

/* Forgets keys the fake TPM still holds after a failed flush, so teardown checks the rest. */
static void
forget_leaked_keys(void)
{
	int i;

	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_KEY)
			fk.obj[i].kind = K_FREE;
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

/* Broken if a full TPM (objects leaked by another program) is not explained, or we leak too. */
static void
test_sign_object_memory(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	unsigned char *sig = NULL;
	size_t siglen, pemlen;
	char *pem = NULL;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fk.external = 2;		/* primary + 2 foreign objects: the TPM is full */
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), -1);
	expect_error("Esys_Load");
	expect_error("TPM out of object memory (transient objects not flushed by another program?)");
	assert_int_equal(transients() - fk.external, 1);

	/* Once the other program's objects are gone, the same signer works again. */
	fk.external = 0;
	sign_and_verify(s, 32);
	assert_int_equal(transients(), 2);

	/* An injected 0x902 from Sign itself: the loaded key must be flushed and forgotten. */
	fail_call(F_SIGN, fk.calls[F_SIGN] + 1, TPM2_RC_OBJECT_MEMORY);
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_JWS, &sig, &siglen), -1);
	assert_null(sig);
	expect_error("Esys_Sign");
	expect_error("TPM out of object memory");
	assert_int_equal(transients(), 1);
	assert_int_equal(fk.calls[F_FLUSH], 1);

	/* The next signature starts clean: it loads the key again. */
	assert_int_equal(fk.calls[F_LOAD], 2);
	sign_and_verify(s, 32);
	assert_int_equal(fk.calls[F_LOAD], 3);
	ck_signer_free(s);
	assert_int_equal(fk.calls[F_FLUSH], 2);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/*
 * Broken if a failed Sign whose cleanup flush also fails reports the flush
 * instead of the Sign, or keeps the stale handle (flushed again at destroy).
 */
static void
test_sign_fails_flush_fails(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	unsigned char *sig = NULL;
	size_t siglen, pemlen;
	char *pem = NULL;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fail_call(F_SIGN, 1, TPM2_RC_FAILURE);
	fail_call(F_FLUSH, 1, TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), -1);
	assert_null(sig);
	expect_error("Esys_Sign");
	expect_error("0x101");
	assert_int_equal(fk.calls[F_FLUSH], 1);
	assert_int_equal(count_kind(K_KEY), 1);		/* what the TPM still holds */

	/* A fresh Load (the old object still takes its slot: 3 of 3), and one flush at destroy. */
	sign_and_verify(s, 32);
	assert_int_equal(fk.calls[F_LOAD], 2);
	ck_signer_free(s);
	assert_int_equal(fk.calls[F_FLUSH], 2);
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_FLUSH], 3);
	assert_int_equal(count_kind(K_KEY), 1);
	forget_leaked_keys();
}

/*
 * Broken if a certkeeper run's keys do not fit swtpm's three slots: the
 * primary, the account key and a certificate key stay loaded together; a
 * second certificate's key fits once the first one's signer is destroyed;
 * and after destroying the signers and closing, nothing is left loaded.
 */
static void
test_account_and_cert_keys_fit(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *acct = NULL, *cert1 = NULL, *cert2 = NULL;
	unsigned char *sig = NULL;
	char *apem = NULL, *pem1 = NULL, *pem2 = NULL;
	size_t alen, len1, len2, siglen;

	open_and_create(&owner_cfg, &t, &acct, &apem, &alen);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &cert1, &pem1, &len1), 0);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P384, &cert2, &pem2, &len2), 0);
	sign_and_verify(acct, 32);		/* newAccount, newOrder, ... */
	sign_and_verify(cert1, 32);		/* the CSR */
	sign_and_verify(acct, 32);		/* finalize, certificate download */
	assert_int_equal(transients(), 3);
	assert_int_equal(fk.peak, 3);

	/* The budget is spent: a third live signer cannot load, and says why. */
	assert_int_equal(ck_signer_sign(cert2, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen),
	    -1);
	assert_null(sig);
	expect_error("TPM out of object memory");
	assert_int_equal(transients(), 3);

	/* The next certificate, as run.c does it: the previous key's signer is gone first. */
	ck_signer_free(cert1);
	assert_int_equal(transients(), 2);
	sign_and_verify(cert2, 48);
	sign_and_verify(acct, 32);
	assert_int_equal(fk.calls[F_LOAD], 4);	/* acct, cert1, cert2 (failed), cert2 */
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 1);

	ck_signer_free(cert2);
	ck_signer_free(acct);
	assert_int_equal(transients(), 1);
	ck_tpm_close(t);
	assert_int_equal(transients(), 0);
	assert_int_equal(fk.calls[F_FLUSH], 4);	/* acct, cert1, cert2, primary */
	assert_int_equal(fk.peak, 3);
	OPENSSL_free(apem);
	OPENSSL_free(pem1);
	OPENSSL_free(pem2);
}

/* Broken if a wrong owner password (any session number) is not named, or a primary is cached. */
static void
test_primary_bad_auth(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	fail_call(F_CREATEPRIMARY, 1, TPM2_RC_BAD_AUTH + TPM2_RC_S + TPM2_RC_1);	/* 0x9a2 */
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("wrong owner password");
	expect_error("0x9a2");
	assert_int_equal(transients(), 0);

	/* Not cached after a failure: the next attempt asks the TPM again. */
	fail_call(F_CREATEPRIMARY, 2, TPM2_RC_AUTH_FAIL + TPM2_RC_S + TPM2_RC_1);	/* 0x98e */
	ck_clear_error();
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("wrong owner password");
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 2);
	assert_int_equal(fk.calls[F_CREATE], 0);
	assert_int_equal(transients(), 0);
	ck_tpm_close(t);
}

/* Broken if dictionary-attack lockout is reported as a bare number. */
static void
test_primary_lockout(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	fail_call(F_CREATEPRIMARY, 1, TPM2_RC_LOCKOUT);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("TPM is in dictionary-attack lockout");
	assert_int_equal(transients(), 0);
	ck_tpm_close(t);
}

/* Broken if an already started TPM (0x100) is refused, or a real Startup failure is not. */
static void
test_startup(void **state)
{
	struct ck_tpm *t = NULL;

	fk.startup_rc = TPM2_RC_INITIALIZE;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	ck_tpm_close(t);
	t = NULL;
	fk.startup_rc = TPM2_RC_FAILURE;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), -1);
	assert_null(t);
	expect_error("Esys_Startup");
	expect_error("0x101");
}

/* Broken if a missing TPM device is not explained, or the default TCTI is not /dev/tpmrm0. */
static void
test_tcti_fails(void **state)
{
	struct ck_tpm_config cfg = { NULL, NULL, NULL, NULL };
	struct ck_tpm *t = NULL;

	fail_call(F_TCTI_INIT, 1, TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(ck_tpm_open(&cfg, &t), -1);
	assert_null(t);
	assert_string_equal(fk.tcti_conf, "device:/dev/tpmrm0");
	expect_error("cannot open TPM through TCTI 'device:/dev/tpmrm0'");
	expect_error("is the device present / the TCTI string right?");
	assert_int_equal(fk.calls[F_ESYS_INIT], 0);
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

/* Broken if a parent setting that is neither "owner" nor 0x81xxxxxx is accepted. */
static void
test_bad_parent_setting(void **state)
{
	static const char *const bad[] = { "0x80000001", "0x8100000", "81000001", "banana",
	    "0x81000001x" };
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.parent = bad[i];
		assert_int_equal(ck_tpm_open(&cfg, &t), -1);
		expect_error(bad[i]);
	}
	assert_int_equal(fk.calls[F_TCTI_INIT], 0);
}

/* Broken if the owner password file is misread (newline kept) or an unreadable one is not named. */
static void
test_owner_auth_file(void **state)
{
	char dir[] = "/tmp/ck-tpm-test.XXXXXX", path[64];
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/owner-pw", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("pa55word\r\nsecond line\n", f);
	fclose(f);
	cfg.owner_auth_file = path;
	assert_int_equal(ck_tpm_open(&cfg, &t), 0);
	assert_true(fk.owner_auth_set);
	assert_int_equal(fk.owner_auth.size, 8);
	assert_memory_equal(fk.owner_auth.buffer, "pa55word", 8);
	ck_tpm_close(t);
	t = NULL;

	unlink(path);
	assert_int_equal(ck_tpm_open(&cfg, &t), -1);
	expect_error(path);
	assert_int_equal(fk.calls[F_TCTI_INIT], 1);	/* the TPM is not touched the second time */
	rmdir(dir);

	/* No password configured: nothing set. */
	fk.owner_auth_set = 0;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	assert_false(fk.owner_auth_set);
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

/* Broken if r or s shorter than the field is not left-padded (JWS) or mis-encoded (DER). */
static void
test_sign_pads_short_values(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fk.short_r = 1;
	sign_and_verify(s, 32);
	ck_signer_free(s);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/*
 * Broken if a key that cannot be flushed when its signer is destroyed
 * replaces the run's real error (run.c records ck_last_error() after the
 * signers are gone), is flushed twice, or stops the primary's flush.
 */
static void
test_flush_fails_at_destroy(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	sign_and_verify(s, 32);
	ck_error("finalize: order is invalid");	/* the error the run is failing with */
	fail_call(F_FLUSH, 1, TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1);
	ck_signer_free(s);
	assert_string_equal(ck_last_error(), "finalize: order is invalid");
	assert_int_equal(fk.calls[F_FLUSH], 1);		/* not retried on the same handle */
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_FLUSH], 2);		/* the primary */
	assert_int_equal(count_kind(K_PRIMARY), 0);
	/* The TPM still holds that key (the honest outcome): forget it for teardown. */
	assert_int_equal(count_kind(K_KEY), 1);
	forget_leaked_keys();
}

/* Frees the fake's keys after the last test. */
static int
group_teardown(void **state)
{
	fake_reset();
	return 0;
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

/* The fake TPM, as keys/tpm.c sees the TPM stack. */
static const struct ck_tss fake_tss = {
	.Tss2_TctiLdr_Initialize = fake_Tss2_TctiLdr_Initialize,
	.Tss2_TctiLdr_Finalize = fake_Tss2_TctiLdr_Finalize,
	.Esys_Initialize = fake_Esys_Initialize,
	.Esys_Finalize = fake_Esys_Finalize,
	.Esys_Startup = fake_Esys_Startup,
	.Esys_TR_SetAuth = fake_Esys_TR_SetAuth,
	.Esys_TR_FromTPMPublic = fake_Esys_TR_FromTPMPublic,
	.Esys_TR_Close = fake_Esys_TR_Close,
	.Esys_CreatePrimary = fake_Esys_CreatePrimary,
	.Esys_Create = fake_Esys_Create,
	.Esys_Load = fake_Esys_Load,
	.Esys_Sign = fake_Esys_Sign,
	.Esys_FlushContext = fake_Esys_FlushContext,
	.Esys_Free = fake_Esys_Free,
	.Tss2_MU_TPM2B_PUBLIC_Marshal = Tss2_MU_TPM2B_PUBLIC_Marshal,
	.Tss2_MU_TPM2B_PUBLIC_Unmarshal = Tss2_MU_TPM2B_PUBLIC_Unmarshal,
	.Tss2_MU_TPM2B_PRIVATE_Marshal = Tss2_MU_TPM2B_PRIVATE_Marshal,
	.Tss2_MU_TPM2B_PRIVATE_Unmarshal = Tss2_MU_TPM2B_PRIVATE_Unmarshal,
	.Tss2_RC_Decode = Tss2_RC_Decode,
};

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
		cmocka_unit_test_setup_teardown(test_sign_object_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_fails_flush_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_and_cert_keys_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_bad_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcti_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_parent_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_parent_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_auth_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_pads_short_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_fails_at_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_blob_wiped, setup, teardown),
	};

	srand((unsigned)getpid());
	ck_tss_use(&fake_tss);
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
