/*
 * store/keyfile.h: key file names.  A private key file is named by what it
 * holds, for certificate versions (store/versions.h) and accounts
 * (store/accounts.h) alike: a service, or the operator, can tell a key
 * that needs the TPM from a software key without reading it.
 */
#ifndef CERTKEEPER_STORE_KEYFILE_H
#define CERTKEEPER_STORE_KEYFILE_H

#include <stddef.h>

/* The key file's name says what it holds: a TPM-wrapped key needs the tpm2 provider. */
#define CK_STORE_KEY_FILE "key.pem"		/* PKCS#8 software key */
#define CK_STORE_TPM_KEY_FILE "key.tss2.pem"	/* TSS2 PRIVATE KEY */

/*
 * The name a key file takes from its content (so that a name never lies):
 * CK_STORE_TPM_KEY_FILE when it holds a "TSS2 PRIVATE KEY", else
 * CK_STORE_KEY_FILE.  pem need not be NUL-terminated.
 */
const char *ck_store_key_file_name(const char *pem, size_t len);

#endif
