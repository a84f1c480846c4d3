/*
 * keys/tpm.c: keys held in a TPM 2.0, through tpm2-tss ESAPI (see keys/tpm.h).
 *
 * Many TPMs are used without a resource manager (swtpm, /dev/tpm0, early
 * boot), where only about three transient objects fit (swtpm: 3, the
 * fourth Load answers 0x902) and anything not flushed outlives this
 * process.  So the parent primary is created at most once per ck_tpm, and
 * a signer loads its key at its first signature and keeps it loaded until
 * the signer is destroyed: an ACME run signs a dozen requests with the
 * account key, and a Load and a Flush around each were most of its TPM
 * commands.
 *
 * The budget: a certkeeper run holds at most three transient objects at
 * once, the cached owner primary (none with a persistent parent), the
 * account key, and the key of the one certificate being renewed (run.c
 * destroys that signer before the next certificate).  That fits swtpm's
 * three slots exactly; a caller that keeps a third TPM signer alive will
 * see its first signature fail with 0x902, so it must destroy one first.
 * Every transient object is still flushed on every path: a failed Sign
 * flushes its key, destroying a signer flushes its key, and ck_tpm_close
 * flushes the primary.  Every TPM return code goes through cktpm_fail(),
 * which turns it into words an operator can act on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "certkeeper/keys/tss2key.h"
#include "tpm_internal.h"

const struct ck_tss *cktss;

#define DEFAULT_TCTI	"device:/dev/tpmrm0"



/*
 * The storage primary tpm2-openssl creates for parent 0x40000001: a key
 * file is bound to its parent, so any difference here (even 32 zero bytes
 * instead of an empty unique) makes the other program's keys fail to load.
 */
static const TPM2B_PUBLIC primary_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
		.parameters.eccDetail = {
			.symmetric = {
				.algorithm = TPM2_ALG_AES,
				.keyBits.aes = 128,
				.mode.aes = TPM2_ALG_CFB,
			},
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/*
 * The code without the layer, and for format-one codes without the
 * handle/parameter/session number, so it compares with TPM2_RC_*.  Codes
 * from other layers (TCTI, ESAPI) come back unchanged and match none.
 */
static TSS2_RC
tpm_rc_base(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;

	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
		return rc;
	rc &= ~TSS2_RC_LAYER_MASK;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

/* "owner (0x40000001)" or "0x81xxxxxx", for messages. */
static const char *
parent_name(TPM2_HANDLE h, char *buf, size_t len)
{
	if (h == TPM2_RH_OWNER)
		snprintf(buf, len, "owner (0x%08x)", (unsigned)h);
	else
		snprintf(buf, len, "0x%08x", (unsigned)h);
	return buf;
}

/* See tpm_internal.h. */
void
cktpm_fail(const struct ck_tpm *tpm, TSS2_RC rc, const char *call, const char *keyname,
    const char *file, int line)
{
	char words[512] = "", pn[32];

	ck_debug("%s:%d: %s returned 0x%x", file, line, call, (unsigned)rc);
	if (tpm->esys == NULL) {
		/* Nothing reached the TPM: the TCTI could not be set up. */
		ck_error_as(CK_ERR_TPM, "cannot open TPM through TCTI '%s': %s (%s, 0x%x); "
		    "is the device present / "
		    "the TCTI string right?", tpm->tcti_conf, cktss->Tss2_RC_Decode(rc), call, (unsigned)rc);
		return;
	}
	switch (tpm_rc_base(rc)) {
	case TPM2_RC_LOCKOUT:
		snprintf(words, sizeof(words), "TPM is in dictionary-attack lockout (too many wrong "
		    "passwords; wait for the lockout to expire or reset it)");
		break;
	case TPM2_RC_BAD_AUTH:
	case TPM2_RC_AUTH_FAIL:
		/* Only the owner hierarchy and a persistent parent need an authorization here. */
		if (tpm->parent == TPM2_RH_OWNER)
			snprintf(words, sizeof(words), "wrong owner password");
		else
			snprintf(words, sizeof(words), "parent %s needs a password (certkeeper uses "
			    "parent keys without one)", parent_name(tpm->parent, pn, sizeof(pn)));
		break;
	case TPM2_RC_INTEGRITY:
		snprintf(words, sizeof(words), "key file %s was made by another TPM or for another "
		    "parent (integrity check failed)", keyname ? keyname : "(unnamed)");
		break;
	case TPM2_RC_OBJECT_MEMORY:
		snprintf(words, sizeof(words), "TPM out of object memory (transient objects not "
		    "flushed by another program?)");
		break;
	case TPM2_RC_HANDLE:
		/* Only reading the parent's public area names a handle the user chose. */
		if (strncmp(call, "Esys_TR_FromTPMPublic", 21) == 0)
			snprintf(words, sizeof(words), "parent %s is not in this TPM (make it "
			    "persistent with tpm2_evictcontrol, or use parent owner)",
			    parent_name(tpm->parent, pn, sizeof(pn)));
		break;
	default:
		if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER)
			snprintf(words, sizeof(words), "lost contact with the TPM through TCTI '%s'",
			    tpm->tcti_conf);
		break;
	}
	if (words[0] != '\0')
		ck_error_as(CK_ERR_TPM, "%s: %s [%s, 0x%x]", call, words, cktss->Tss2_RC_Decode(rc), (unsigned)rc);
	else
		ck_error_as(CK_ERR_TPM, "%s: %s (0x%x)", call, cktss->Tss2_RC_Decode(rc), (unsigned)rc);
}

/* See tpm_internal.h. */
int
cktpm_flush(struct ck_tpm *tpm, ESYS_TR *h, int quiet)
{
	TSS2_RC r;

	if (*h == ESYS_TR_NONE)
		return 0;
	tpm->ncmd++;
	r = cktss->Esys_FlushContext(tpm->esys, *h);
	*h = ESYS_TR_NONE;
	if (r == TSS2_RC_SUCCESS)
		return 0;
	if (quiet)
		ck_warn("Esys_FlushContext: %s (0x%x); a TPM object slot may stay in use",
		    cktss->Tss2_RC_Decode(r), (unsigned)r);
	else
		TPM_FAIL(tpm, r, "Esys_FlushContext", NULL);
	return -1;
}

int
ck_tpm_parent_parse(const char *s, uint32_t *handle)
{
	unsigned long v;
	char *end;

	if (s == NULL || strcmp(s, "owner") == 0) {
		*handle = TPM2_RH_OWNER;
		return 0;
	}
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !isxdigit((unsigned char)s[2]))
		return -1;
	errno = 0;
	v = strtoul(s + 2, &end, 16);
	if (errno != 0 || *end != '\0' ||
	    (v & 0xff000000UL) != ((unsigned long)TPM2_HT_PERSISTENT << 24))
		return -1;
	*handle = (uint32_t)v;
	return 0;
}

/* The configured parent, reported when it is not one. */
static int
parse_parent(const char *s, TPM2_HANDLE *out)
{
	if (ck_tpm_parent_parse(s, out) == 0)
		return 0;
	ck_error_as(CK_ERR_TPM, "TPM parent '%s': want \"owner\" or a persistent handle 0x81xxxxxx", s);
	return -1;
}

/* Fills auth with the owner password: owner_auth, else the first line of owner_auth_file. */
static int
read_owner_auth(const struct ck_tpm_config *cfg, TPM2B_AUTH *auth)
{
	char line[sizeof(auth->buffer) + 3];
	const char *pw = cfg->owner_auth;
	FILE *f = NULL;
	size_t len;
	int rc = -1;

	auth->size = 0;
	if (pw == NULL && cfg->owner_auth_file != NULL) {
		if ((f = fopen(cfg->owner_auth_file, "r")) == NULL) {
			ck_error_errno("cannot read owner password file %s", cfg->owner_auth_file);
			goto out;
		}
		if (fgets(line, sizeof(line), f) == NULL) {
			if (ferror(f)) {
				ck_error_errno("cannot read owner password file %s",
				    cfg->owner_auth_file);
				goto out;
			}
			line[0] = '\0';
		}
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
			ck_error_as(CK_ERR_TPM, "owner password in %s is longer than %zu bytes",
			    cfg->owner_auth_file, sizeof(auth->buffer));
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		pw = line;
	}
	if (pw == NULL) {
		rc = 0;
		goto out;
	}
	if ((len = strlen(pw)) > sizeof(auth->buffer)) {
		ck_error_as(CK_ERR_TPM, "owner password is longer than the TPM's %zu bytes",
		    sizeof(auth->buffer));
		goto out;
	}
	memcpy(auth->buffer, pw, len);
	auth->size = (UINT16)len;
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	if (f != NULL)
		fclose(f);
	return rc;
}

int
ck_tpm_open(const struct ck_tpm_config *cfg, struct ck_tpm **out)
{
	struct ck_tpm *tpm = NULL;
	TPM2B_AUTH auth = { 0 };
	TSS2_RC r;
	int rc = -1;

	*out = NULL;
	if ((tpm = calloc(1, sizeof(*tpm))) == NULL) {
		ck_error_as(CK_ERR_TPM, "out of memory opening the TPM");
		goto out;
	}
	tpm->parent_tr = ESYS_TR_NONE;
	if ((tpm->tcti_conf = strdup(cfg->tcti ? cfg->tcti : DEFAULT_TCTI)) == NULL) {
		ck_error_as(CK_ERR_TPM, "out of memory opening the TPM");
		goto out;
	}
	/* Configuration errors first: they need no TPM to be found. */
	if (parse_parent(cfg->parent, &tpm->parent) == -1 || read_owner_auth(cfg, &auth) == -1)
		goto out;
	/* The TPM stack is opened only now: a device with software keys never loads it. */
	if ((cktss = ck_tss_load()) == NULL)
		goto out;
	if ((r = cktss->Tss2_TctiLdr_Initialize(tpm->tcti_conf, &tpm->tcti)) != TSS2_RC_SUCCESS) {
		tpm->tcti = NULL;
		TPM_FAIL(tpm, r, "Tss2_TctiLdr_Initialize", NULL);
		goto out;
	}
	if ((r = cktss->Esys_Initialize(&tpm->esys, tpm->tcti, NULL)) != TSS2_RC_SUCCESS) {
		tpm->esys = NULL;
		TPM_FAIL(tpm, r, "Esys_Initialize", NULL);
		goto out;
	}
	/* Firmware or the kernel has usually started the TPM already: that answers INITIALIZE. */
	tpm->ncmd++;
	r = cktss->Esys_Startup(tpm->esys, TPM2_SU_CLEAR);
	if (r != TSS2_RC_SUCCESS && tpm_rc_base(r) != TPM2_RC_INITIALIZE) {
		TPM_FAIL(tpm, r, "Esys_Startup", NULL);
		goto out;
	}
	if (auth.size > 0 &&
	    (r = cktss->Esys_TR_SetAuth(tpm->esys, ESYS_TR_RH_OWNER, &auth)) != TSS2_RC_SUCCESS) {
		TPM_FAIL(tpm, r, "Esys_TR_SetAuth (owner password)", NULL);
		goto out;
	}
	*out = tpm;
	tpm = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(&auth, sizeof(auth));
	ck_tpm_close(tpm);
	return rc;
}

void
ck_tpm_close(struct ck_tpm *tpm)
{
	TSS2_RC r;

	if (tpm == NULL)
		return;
	if (tpm->parent_tr != ESYS_TR_NONE) {
		if (tpm->parent == TPM2_RH_OWNER) {
			(void)cktpm_flush(tpm, &tpm->parent_tr, 1);
		} else if ((r = cktss->Esys_TR_Close(tpm->esys, &tpm->parent_tr)) != TSS2_RC_SUCCESS) {
			ck_warn("Esys_TR_Close(parent 0x%08x): %s", (unsigned)tpm->parent,
			    cktss->Tss2_RC_Decode(r));
		}
	}
	ck_debug("%u TPM commands", tpm->ncmd);
	if (tpm->esys != NULL)
		cktss->Esys_Finalize(&tpm->esys);
	if (tpm->tcti != NULL)
		cktss->Tss2_TctiLdr_Finalize(&tpm->tcti);
	free(tpm->tcti_conf);
	free(tpm);
}

unsigned
ck_tpm_command_count(const struct ck_tpm *tpm)
{
	return tpm->ncmd;
}

/* See tpm_internal.h. */
int
cktpm_parent(struct ck_tpm *tpm, ESYS_TR *out)
{
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_DATA outside = { 0 };
	TSS2_RC r;

	if (tpm->parent_tr != ESYS_TR_NONE) {
		*out = tpm->parent_tr;
		return 0;
	}
	tpm->ncmd++;
	if (tpm->parent == TPM2_RH_OWNER) {
		r = cktss->Esys_CreatePrimary(tpm->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, &sensitive, &primary_template, &outside, &pcrs, &tpm->parent_tr,
		    NULL, NULL, NULL, NULL);
		if (r != TSS2_RC_SUCCESS) {
			tpm->parent_tr = ESYS_TR_NONE;
			TPM_FAIL(tpm, r, "Esys_CreatePrimary (owner storage primary)", NULL);
			return -1;
		}
	} else {
		r = cktss->Esys_TR_FromTPMPublic(tpm->esys, tpm->parent, ESYS_TR_NONE, ESYS_TR_NONE,
		    ESYS_TR_NONE, &tpm->parent_tr);
		if (r != TSS2_RC_SUCCESS) {
			tpm->parent_tr = ESYS_TR_NONE;
			TPM_FAIL(tpm, r, "Esys_TR_FromTPMPublic (parent)", NULL);
			return -1;
		}
	}
	*out = tpm->parent_tr;
	return 0;
}

/* Digest and field size for a TPM curve; -1 (not reported) for others. */
static int
curve_params(TPMI_ECC_CURVE curve, enum ck_key_type *type, TPMI_ALG_HASH *hash,
    const EVP_MD **md, size_t *fieldlen, const char **group)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256:
		*type = CK_KEY_TPM_P256;
		*hash = TPM2_ALG_SHA256;
		*md = EVP_sha256();
		*fieldlen = 32;
		*group = "prime256v1";
		return 0;
	case TPM2_ECC_NIST_P384:
		*type = CK_KEY_TPM_P384;
		*hash = TPM2_ALG_SHA384;
		*md = EVP_sha384();
		*fieldlen = 48;
		*group = "secp384r1";
		return 0;
	default:
		return -1;
	}
}

/* The public key of an ECC TPM key as an EVP_PKEY (the point is checked to be on the curve). */
static int
ecc_pubkey(const TPMS_ECC_POINT *pt, const char *group, size_t fieldlen, const char *what,
    EVP_PKEY **out)
{
	unsigned char point[1 + 2 * 48] = { 0 };
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (pt->x.size > fieldlen || pt->y.size > fieldlen) {
		ck_error_as(CK_ERR_TPM, "%s: TPM public key point larger than the curve", what);
		goto out;
	}
	point[0] = 0x04;
	memcpy(point + 1 + fieldlen - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 2 * fieldlen - pt->y.size, pt->y.buffer, pt->y.size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
	    1 + 2 * fieldlen) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		ck_error_ssl("%s: building the TPM public key", what);
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ck_error_ssl("%s: EVP_PKEY_fromdata (TPM public key)", what);
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}


/* Checks that pub is a key we can sign with and makes its signer; `what` names it. */
static int
make_signer(struct ck_tpm *tpm, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
    const char *what, struct ck_signer **out)
{
	const TPMT_PUBLIC *pa = &pub->publicArea;
	const TPMS_ECC_PARMS *ecc = &pa->parameters.eccDetail;
	struct ck_signer *s = NULL;
	struct tpm_key *k = NULL;
	const char *group;
	int rc = -1;

	if (pa->type != TPM2_ALG_ECC) {
		ck_error_as(CK_ERR_TPM, "%s: TPM key is not an ECC key (type 0x%04x); certkeeper signs with "
		    "ECC P-256/P-384 TPM keys only", what, (unsigned)pa->type);
		goto out;
	}
	/* A restricted key signs only TPM-made digests: the null ticket would be refused. */
	if (!(pa->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (pa->objectAttributes & TPMA_OBJECT_RESTRICTED)) {
		ck_error_as(CK_ERR_TPM, "%s: TPM key is not an unrestricted signing key (attributes 0x%08x)",
		    what, (unsigned)pa->objectAttributes);
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (k = calloc(1, sizeof(*k))) == NULL ||
	    (k->what = strdup(what)) == NULL) {
		ck_error_as(CK_ERR_TPM, "out of memory loading TPM key %s", what);
		goto out;
	}
	if (curve_params(ecc->curveID, &s->type, &k->hash, &k->md, &k->fieldlen, &group) == -1) {
		ck_error_as(CK_ERR_TPM, "%s: TPM key on unsupported curve 0x%04x (want NIST P-256 or P-384)",
		    what, (unsigned)ecc->curveID);
		goto out;
	}
	if (ecc->scheme.scheme != TPM2_ALG_NULL &&
	    (ecc->scheme.scheme != TPM2_ALG_ECDSA || ecc->scheme.details.ecdsa.hashAlg != k->hash)) {
		ck_error_as(CK_ERR_TPM, "%s: TPM key is fixed to signature scheme 0x%04x/0x%04x, not ECDSA with "
		    "the curve's hash", what, (unsigned)ecc->scheme.scheme,
		    (unsigned)ecc->scheme.details.ecdsa.hashAlg);
		goto out;
	}
	if (ecc_pubkey(&pa->unique.ecc, group, k->fieldlen, what, &s->pub) == -1)
		goto out;
	k->tpm = tpm;
	k->loaded = ESYS_TR_NONE;
	k->pub = *pub;
	k->priv = *priv;
	s->ops = &cktpm_signer_ops;
	s->priv = k;
	k = NULL;
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (k != NULL)
		free(k->what);
	free(k);
	ck_signer_free(s);
	return rc;
}

int
ck_tpm_key_create(struct ck_tpm *tpm, enum ck_key_type t, struct ck_signer **out,
    char **pem, size_t *pemlen)
{
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_DATA outside = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_PUBLIC *outpub = NULL;
	TPM2B_PRIVATE *outpriv = NULL;
	unsigned char pubbuf[sizeof(TPM2B_PUBLIC)], privbuf[sizeof(TPM2B_PRIVATE)];
	struct ck_tss2key key = { 0 };
	struct ck_signer *s = NULL;
	size_t publen = 0, privlen = 0;
	ESYS_TR parent;
	TSS2_RC r;
	int rc = -1;

	*out = NULL;
	*pem = NULL;
	if (t != CK_KEY_TPM_P256 && t != CK_KEY_TPM_P384) {
		ck_error_as(CK_ERR_TPM, "ck_tpm_key_create: %s is not a TPM key type", ck_key_type_name(t));
		goto out;
	}
	/* Scheme NULL: the hash is chosen at sign time, as tpm2-openssl does. */
	tmpl.publicArea.type = TPM2_ALG_ECC;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
	    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
	    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
	tmpl.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.eccDetail.curveID =
	    t == CK_KEY_TPM_P384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
	tmpl.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;

	if (cktpm_parent(tpm, &parent) == -1)
		goto out;
	tpm->ncmd++;
	r = cktss->Esys_Create(tpm->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    &sensitive, &tmpl, &outside, &pcrs, &outpriv, &outpub, NULL, NULL, NULL);
	if (r != TSS2_RC_SUCCESS) {
		TPM_FAIL(tpm, r, "Esys_Create (new key)", NULL);
		goto out;
	}
	if ((r = cktss->Tss2_MU_TPM2B_PUBLIC_Marshal(outpub, pubbuf, sizeof(pubbuf), &publen)) !=
	    TSS2_RC_SUCCESS ||
	    (r = cktss->Tss2_MU_TPM2B_PRIVATE_Marshal(outpriv, privbuf, sizeof(privbuf), &privlen)) !=
	    TSS2_RC_SUCCESS) {
		ck_error_as(CK_ERR_TPM, "Tss2_MU marshalling the new TPM key: %s", cktss->Tss2_RC_Decode(r));
		goto out;
	}
	if (make_signer(tpm, outpub, outpriv, "new TPM key", &s) == -1)
		goto out;
	key.empty_auth = 1;
	key.parent = tpm->parent;
	key.pub = pubbuf;
	key.publen = publen;
	key.priv = privbuf;
	key.privlen = privlen;
	if (ck_tss2key_encode(&key, pem, pemlen) == -1)
		goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	ck_signer_free(s);
	cktss->Esys_Free(outpub);
	/* The wrapped private part: only the key file keeps it. */
	if (outpriv != NULL)
		OPENSSL_cleanse(outpriv, sizeof(*outpriv));
	cktss->Esys_Free(outpriv);
	OPENSSL_cleanse(privbuf, sizeof(privbuf));
	return rc;
}

int
ck_tpm_key_load(struct ck_tpm *tpm, const char *pem, size_t pemlen, const char *what,
    struct ck_signer **out)
{
	struct ck_tss2key key = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	char want[32], got[32];
	size_t off;
	TSS2_RC r;
	int rc = -1;

	*out = NULL;
	if (ck_tss2key_decode(pem, pemlen, what, &key) == -1)
		goto out;
	if (!key.empty_auth) {
		ck_error_as(CK_ERR_TPM, "%s: TPM key has a password (emptyAuth FALSE); certkeeper uses keys "
		    "without one", what);
		goto out;
	}
	if (key.parent != tpm->parent) {
		ck_error_as(CK_ERR_TPM,
		    "%s: key file was made for parent %s, but the configured TPM parent is %s",
		    what, parent_name(key.parent, got, sizeof(got)),
		    parent_name(tpm->parent, want, sizeof(want)));
		goto out;
	}
	off = 0;
	if ((r = cktss->Tss2_MU_TPM2B_PUBLIC_Unmarshal(key.pub, key.publen, &off, &pub)) !=
	    TSS2_RC_SUCCESS || off != key.publen) {
		ck_error_as(CK_ERR_TPM, "%s: malformed public area in TSS2 key: %s", what,
		    r ? cktss->Tss2_RC_Decode(r) : "trailing bytes");
		goto out;
	}
	off = 0;
	if ((r = cktss->Tss2_MU_TPM2B_PRIVATE_Unmarshal(key.priv, key.privlen, &off, &priv)) !=
	    TSS2_RC_SUCCESS || off != key.privlen) {
		ck_error_as(CK_ERR_TPM, "%s: malformed private blob in TSS2 key: %s", what,
		    r ? cktss->Tss2_RC_Decode(r) : "trailing bytes");
		goto out;
	}
	/*
	 * Not loaded into the TPM here: the first signature loads it (and names
	 * a foreign key), so a signer that never signs costs no command or slot.
	 */
	if (make_signer(tpm, &pub, &priv, what, out) == -1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(&priv, sizeof(priv));
	ck_tss2key_clear(&key);
	return rc;
}
