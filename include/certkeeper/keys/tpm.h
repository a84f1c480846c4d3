/*
 * keys/tpm.h: keys held in a TPM 2.0, through tpm2-tss ESAPI.
 *
 * A ck_tpm is one connection to the TPM for one run.  Keys are created
 * inside the TPM under a parent (the standard ECC P-256 storage primary
 * under the owner hierarchy, created at most once per run, or a
 * persistent handle), and leave it only wrapped, as a "TSS2 PRIVATE KEY"
 * PEM file that tpm2-openssl can load too.  A signer loads its key at its
 * first signature and keeps it loaded until it is destroyed, so each live
 * signer that has signed takes a transient slot (besides the primary; see
 * the budget in tpm.c).  Every transient object is flushed on every path,
 * so no resource manager is needed.
 */
#ifndef CERTKEEPER_KEYS_TPM_H
#define CERTKEEPER_KEYS_TPM_H

#include <stddef.h>
#include <stdint.h>
#include "certkeeper/keys/signer.h"

struct ck_tpm_config {
	const char *tcti;		/* NULL: "device:/dev/tpmrm0" */
	const char *parent;		/* NULL or "owner", or "0x81xxxxxx" */
	const char *owner_auth;		/* NULL: empty */
	const char *owner_auth_file;	/* NULL: none; first line is the password */
};

struct ck_tpm;

/*
 * Parses a parent setting: NULL or "owner" (the owner hierarchy), or a
 * persistent handle "0x81xxxxxx".  Returns 0, or -1 (not reported).
 */
int ck_tpm_parent_parse(const char *s, uint32_t *handle);

/* Connects to the TPM (TCTI, Esys_Initialize, Startup); errors name the cause. */
int ck_tpm_open(const struct ck_tpm_config *cfg, struct ck_tpm **out);
/*
 * Flushes the cached primary, reports the number of TPM commands sent (at
 * debug level), finalizes ESAPI and the TCTI (NULL is fine).
 * Destroy its signers first: each flushes its own loaded key through tpm.
 */
void ck_tpm_close(struct ck_tpm *tpm);

/*
 * Creates a fresh sign-only key in the TPM (t is CK_KEY_TPM_P256 or
 * CK_KEY_TPM_P384) and returns a signer for it and its key file (TSS2
 * PRIVATE KEY PEM, OPENSSL_malloc'd, NUL-terminated: free it with
 * OPENSSL_clear_free(*pem, *pemlen)).  The signer refers to tpm, which
 * must outlive it: destroying the signer flushes its loaded key.
 */
int ck_tpm_key_create(struct ck_tpm *tpm, enum ck_key_type t, struct ck_signer **out,
    char **pem, size_t *pemlen);

/*
 * Makes a signer from a TSS2 PRIVATE KEY PEM; `what` names it (a path) in
 * errors.  No TPM command until the first signature; tpm must outlive the
 * signer, as above.
 */
int ck_tpm_key_load(struct ck_tpm *tpm, const char *pem, size_t pemlen, const char *what,
    struct ck_signer **out);

/* Number of TPM commands sent through this connection so far. */
unsigned ck_tpm_command_count(const struct ck_tpm *tpm);

#endif
