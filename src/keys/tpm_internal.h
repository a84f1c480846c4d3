/*
 * keys/tpm_internal.h: what keys/tpm.c (the connection, creating and
 * loading keys) and keys/tpm_sign.c (the signer's operations) share;
 * private to src/keys/, never installed.  Names start with cktpm_.
 */
#ifndef CERTKEEPER_KEYS_TPM_INTERNAL_H
#define CERTKEEPER_KEYS_TPM_INTERNAL_H

#include <stddef.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "tss.h"

#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"

/*
 * The tpm2-tss calls (keys/tss.h), set by ck_tpm_open before its first
 * one: every call is made on an open TPM.
 */
extern const struct ck_tss *cktss;

struct ck_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char *tcti_conf;		/* for messages */
	TPM2_HANDLE parent;		/* TPM2_RH_OWNER or a persistent handle */
	ESYS_TR parent_tr;		/* ESYS_TR_NONE until first needed */
	unsigned ncmd;
};

/* The signer's backend state: the wrapped key, loaded from first signature to destroy. */
struct tpm_key {
	struct ck_tpm *tpm;		/* must outlive the signer: destroy flushes through it */
	ESYS_TR loaded;			/* ESYS_TR_NONE until the first signature */
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	TPMI_ALG_HASH hash;
	const EVP_MD *md;
	size_t fieldlen;
	char *what;			/* key file name, for messages */
};

/* The ops of every TPM signer (tpm_sign.c). */
extern const struct ck_signer_ops cktpm_signer_ops;

#define TPM_FAIL(tpm, rc, call, keyname) \
	cktpm_fail((tpm), (rc), (call), (keyname), __FILE__, __LINE__)

/*
 * Reports the failure rc of `call` once: plain words for the causes an
 * operator can fix, then Tss2_RC_Decode's text and the number.  keyname is
 * the key file involved (or NULL); file and line go to the debug log.
 */
void cktpm_fail(const struct ck_tpm *tpm, TSS2_RC rc, const char *call, const char *keyname,
    const char *file, int line);

/*
 * Flushes a transient object and forgets *h.  quiet: on an error path or
 * in a destructor, a failure is a warning, so the first error stays the last one.
 */
int cktpm_flush(struct ck_tpm *tpm, ESYS_TR *h, int quiet);

/*
 * Sets *out to the parent: the cached primary or persistent handle, made
 * on first use (one CreatePrimary or ReadPublic per ck_tpm).
 */
int cktpm_parent(struct ck_tpm *tpm, ESYS_TR *out);

#endif
