/*
 * keys/tpm_sign.c: the operations of a TPM signer (see keys/signer.h and
 * keys/tpm.h): sign a message (hashed here) or a digest the caller made
 * (the TLS stack, through keys/pkey.h), and destroy.  The key is loaded
 * under the parent at its first signature and stays loaded until the
 * signer is destroyed; a failed Sign flushes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

#include "certkeeper/util/log.h"
#include "tpm_internal.h"

static int tpm_sign(struct ck_signer *, const unsigned char *, size_t, enum ck_sig_form,
    unsigned char **, size_t *);
static int tpm_sign_digest(struct ck_signer *, const unsigned char *, size_t, unsigned char **,
    size_t *);
static void tpm_destroy(struct ck_signer *);

const struct ck_signer_ops cktpm_signer_ops = {
	.sign = tpm_sign,
	.destroy = tpm_destroy,
	.sign_digest = tpm_sign_digest,
	.in_process = 0,	/* signed in the TPM: a CSR is checked */
};

/*
 * Signs digest with ECDSA and hash in the TPM, loading the key first if
 * needed; *tsig is Esys_Free'd by the caller.  Checks that the answer is
 * an ECDSA signature whose values fit the curve.
 */
static int
sign_in_tpm(struct tpm_key *k, TPMI_ALG_HASH hash, const TPM2B_DIGEST *digest,
    TPMT_SIGNATURE **tsig)
{
	struct ck_tpm *tpm = k->tpm;
	TPMT_SIG_SCHEME scheme = { 0 };
	TPMT_TK_HASHCHECK ticket = { 0 };
	ESYS_TR parent;
	char call[64];
	TSS2_RC r;

	*tsig = NULL;
	scheme.scheme = TPM2_ALG_ECDSA;
	scheme.details.ecdsa.hashAlg = hash;
	/* The null ticket: allowed because the key is unrestricted. */
	ticket.tag = TPM2_ST_HASHCHECK;
	ticket.hierarchy = TPM2_RH_NULL;
	ticket.digest.size = 0;

	if (k->loaded == ESYS_TR_NONE) {
		if (cktpm_parent(tpm, &parent) == -1)
			return -1;
		tpm->ncmd++;
		r = cktss->Esys_Load(tpm->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
		    &k->priv, &k->pub, &k->loaded);
		if (r != TSS2_RC_SUCCESS) {
			k->loaded = ESYS_TR_NONE;
			snprintf(call, sizeof(call), "Esys_Load (%s)", k->what);
			TPM_FAIL(tpm, r, call, k->what);
			return -1;
		}
	}
	tpm->ncmd++;
	r = cktss->Esys_Sign(tpm->esys, k->loaded, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, digest,
	    &scheme, &ticket, tsig);
	if (r != TSS2_RC_SUCCESS) {
		*tsig = NULL;
		snprintf(call, sizeof(call), "Esys_Sign (%s)", k->what);
		TPM_FAIL(tpm, r, call, k->what);
		/* Whatever went wrong, the next attempt loads afresh and no slot stays taken. */
		(void)cktpm_flush(tpm, &k->loaded, 1);
		return -1;
	}
	if ((*tsig)->sigAlg != TPM2_ALG_ECDSA) {
		ck_error_as(CK_ERR_TPM, "Esys_Sign (%s): TPM returned signature algorithm 0x%04x, not ECDSA",
		    k->what, (unsigned)(*tsig)->sigAlg);
		return -1;
	}
	if ((*tsig)->signature.ecdsa.signatureR.size > k->fieldlen ||
	    (*tsig)->signature.ecdsa.signatureS.size > k->fieldlen) {
		ck_error_as(CK_ERR_TPM, "Esys_Sign (%s): TPM signature values larger than the curve", k->what);
		return -1;
	}
	return 0;
}

/* The signer's sign op: hash in software, sign in the TPM, encode as form asks. */
static int
tpm_sign(struct ck_signer *s, const unsigned char *msg, size_t len, enum ck_sig_form form,
    unsigned char **sig, size_t *siglen)
{
	struct tpm_key *k = s->priv;
	TPM2B_DIGEST digest = { 0 };
	TPMT_SIGNATURE *tsig = NULL;
	const TPM2B_ECC_PARAMETER *sr, *ss;
	unsigned char *buf = NULL;
	unsigned int dlen = 0;
	int rc = -1;

	*sig = NULL;
	if (EVP_Digest(msg, len, digest.buffer, &dlen, k->md, NULL) != 1) {
		ck_error_ssl("EVP_Digest (TPM key %s)", k->what);
		goto out;
	}
	digest.size = (UINT16)dlen;
	if (sign_in_tpm(k, k->hash, &digest, &tsig) == -1)
		goto out;
	sr = &tsig->signature.ecdsa.signatureR;
	ss = &tsig->signature.ecdsa.signatureS;
	if (form == CK_SIG_DER) {
		if (ck_sig_ecdsa_raw_to_der(sr->buffer, sr->size, ss->buffer, ss->size, sig,
		    siglen) == -1)
			goto out;
	} else {
		if ((buf = calloc(1, 2 * k->fieldlen)) == NULL) {
			ck_error_as(CK_ERR_TPM, "out of memory signing with TPM key %s", k->what);
			goto out;
		}
		memcpy(buf + k->fieldlen - sr->size, sr->buffer, sr->size);
		memcpy(buf + 2 * k->fieldlen - ss->size, ss->buffer, ss->size);
		*sig = buf;
		*siglen = 2 * k->fieldlen;
		buf = NULL;
	}
	rc = 0;
out:
	free(buf);
	cktss->Esys_Free(tsig);
	return rc;
}

/*
 * The signer's digest op: the TPM signs the caller's digest natively; its
 * length names the hash (a TLS 1.2 peer may pick another than the curve's).
 */
static int
tpm_sign_digest(struct ck_signer *s, const unsigned char *dgst, size_t dlen,
    unsigned char **sig, size_t *siglen)
{
	struct tpm_key *k = s->priv;
	TPM2B_DIGEST digest = { 0 };
	TPMT_SIGNATURE *tsig = NULL;
	TPMI_ALG_HASH hash;
	int rc = -1;

	*sig = NULL;
	switch (dlen) {
	case 32:
		hash = TPM2_ALG_SHA256;
		break;
	case 48:
		hash = TPM2_ALG_SHA384;
		break;
	case 64:
		hash = TPM2_ALG_SHA512;
		break;
	default:
		ck_error_as(CK_ERR_TPM, "TPM key %s: cannot sign a %zu-byte digest (SHA-256, "
		    "SHA-384 or SHA-512 only)", k->what, dlen);
		return -1;
	}
	memcpy(digest.buffer, dgst, dlen);
	digest.size = (UINT16)dlen;
	if (sign_in_tpm(k, hash, &digest, &tsig) == -1)
		goto out;
	if (ck_sig_ecdsa_raw_to_der(tsig->signature.ecdsa.signatureR.buffer,
	    tsig->signature.ecdsa.signatureR.size, tsig->signature.ecdsa.signatureS.buffer,
	    tsig->signature.ecdsa.signatureS.size, sig, siglen) == -1)
		goto out;
	rc = 0;
out:
	cktss->Esys_Free(tsig);
	return rc;
}

/*
 * Flushes the loaded key (a failure is a warning: this is cleanup) and
 * frees the blobs, the private one wiped.  k->tpm must still be open; it
 * belongs to the caller.
 */
static void
tpm_destroy(struct ck_signer *s)
{
	struct tpm_key *k = s->priv;

	if (k == NULL)
		return;
	if (k->loaded != ESYS_TR_NONE)
		(void)cktpm_flush(k->tpm, &k->loaded, 1);
	free(k->what);
	OPENSSL_cleanse(&k->priv, sizeof(k->priv));
	free(k);
	s->priv = NULL;
}
