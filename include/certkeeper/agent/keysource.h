/*
 * agent/keysource.h: where the keys of a session come from: software keys,
 * or keys in the TPM (connected at first use, once per session), chosen by
 * the configured type or by what a key file holds.
 */
#ifndef CERTKEEPER_AGENT_KEYSOURCE_H
#define CERTKEEPER_AGENT_KEYSOURCE_H

#include <stddef.h>
#include "certkeeper/config/config.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"

struct ck_keysource {
	const struct ck_config *cfg;
	struct ck_store *store;
	struct ck_tpm *tpm;	/* NULL until a TPM key is needed */
};

/* The TPM connection, opened at the first call. */
int ck_keysource_tpm(struct ck_keysource *ks, struct ck_tpm **out);

/*
 * A fresh key of type t: its signer and its key file (*pem, malloc'd; it
 * holds a private key or a TPM-wrapped one: free with OPENSSL_clear_free).
 */
int ck_keysource_generate(struct ck_keysource *ks, enum ck_key_type t, struct ck_signer **s,
    char **pem, size_t *len);

/* A signer for a key file's text; a TSS2 key goes to the TPM.  `what` names it in errors. */
int ck_keysource_load(struct ck_keysource *ks, const char *pem, size_t len, const char *what,
    struct ck_signer **s);

/*
 * The key for the next version of cc: the named key_file, the installed
 * key when key_reuse is on (and of the configured type), else a fresh one.
 * *pem is the key file to install (free with OPENSSL_clear_free).
 */
int ck_keysource_cert_key(struct ck_keysource *ks, const struct ck_cert_config *cc,
    struct ck_signer **s, char **pem, size_t *len);

/* Closes the TPM connection; destroy every signer from it first. */
void ck_keysource_close(struct ck_keysource *ks);

#endif
