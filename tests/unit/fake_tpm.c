/*
 * tests/unit/fake_tpm.c: the fake TPM the test_tpm_* programs run
 * src/keys/tpm.c against (see fake_tpm.h).
 *
 * tpm.c makes its ESAPI and TCTI-loader calls through a table (keys/tss.h);
 * the tests give it this one (fake_tss, through ck_tss_use), whose fake_
 * functions below are a small TPM (the marshalling and error-decoding
 * calls are tpm2-tss's): they hand out ESYS_TR handles, track which
 * transient objects are loaded (three slots, like swtpm: a fourth answers
 * 0x902), make real P-256/P-384 keys with OpenSSL and sign with them, and
 * can be told to fail the Nth call of a function with a given return code.
 * free is wrapped here, so every program built with this file is linked
 * with -Wl,--wrap=free.  Also the helpers the tests share: the setup that
 * gives each test a new TPM, the teardown that fails a test which left
 * anything loaded or misused the API, signing and verifying.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "keys/tss.h"
#include "fake_tpm.h"

/* ---- the fake TPM ------------------------------------------------------ */

struct fake fk;

static char fake_tcti_mem[64], fake_esys_mem[64];

/*
 * While scan_seed is set, every block certkeeper's code frees (free() is
 * wrapped) and every ESAPI output it releases (Esys_Free is wrapped) is
 * searched for this TPM's seed, which starts every private blob it makes.
 */
int scan_seed;
unsigned seed_hits;

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

void
fail_call(enum fn f, unsigned nth, TSS2_RC rc)
{
	fk.fail_nth[f] = nth;
	fk.fail_rc[f] = rc;
}

int
transients(void)
{
	int i, n = fk.external;

	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_PRIMARY || fk.obj[i].kind == K_KEY)
			n++;
	return n;
}

int
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

void
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
int
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

const struct ck_tpm_config owner_cfg = { "swtpm:host=127.0.0.1,port=2321", NULL, NULL, NULL };
const unsigned char msg[] = FAKE_MSG;

int
setup(void **state)
{
	fake_reset();
	ck_clear_error();
	return 0;
}

/* Every test ends with the fake TPM empty and the API used correctly. */
int
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

void
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
void
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
void
open_and_create(const struct ck_tpm_config *cfg, struct ck_tpm **t, struct ck_signer **s,
    char **pem, size_t *pemlen)
{
	assert_int_equal(ck_tpm_open(cfg, t), 0);
	assert_int_equal(ck_tpm_key_create(*t, CK_KEY_TPM_P256, s, pem, pemlen), 0);
}

/* Frees the fake's keys after the last test. */
int
group_teardown(void **state)
{
	fake_reset();
	return 0;
}

/* The fake TPM, as keys/tpm.c sees the TPM stack. */
const struct ck_tss fake_tss = {
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
