/*
 * keys/tss.h: the tpm2-tss calls the TPM code makes (keys/tpm.c,
 * keys/tpm_sign.c), through a table filled from the libraries the first
 * time a TPM is opened (dlopen).  A device with software keys never loads
 * the TPM stack: five libraries, about 0.5 MiB of resident memory and
 * 2.4 M instructions of the dynamic loader per run.  Not for use outside
 * src/keys/.
 */
#ifndef CERTKEEPER_KEYS_TSS_H
#define CERTKEEPER_KEYS_TSS_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

/* Each member is named and typed after the function it points to. */
struct ck_tss {
	__typeof__(Tss2_TctiLdr_Initialize) *Tss2_TctiLdr_Initialize;
	__typeof__(Tss2_TctiLdr_Finalize) *Tss2_TctiLdr_Finalize;
	__typeof__(Esys_Initialize) *Esys_Initialize;
	__typeof__(Esys_Finalize) *Esys_Finalize;
	__typeof__(Esys_Startup) *Esys_Startup;
	__typeof__(Esys_TR_SetAuth) *Esys_TR_SetAuth;
	__typeof__(Esys_TR_FromTPMPublic) *Esys_TR_FromTPMPublic;
	__typeof__(Esys_TR_Close) *Esys_TR_Close;
	__typeof__(Esys_CreatePrimary) *Esys_CreatePrimary;
	__typeof__(Esys_Create) *Esys_Create;
	__typeof__(Esys_Load) *Esys_Load;
	__typeof__(Esys_Sign) *Esys_Sign;
	__typeof__(Esys_FlushContext) *Esys_FlushContext;
	__typeof__(Esys_Free) *Esys_Free;
	__typeof__(Tss2_MU_TPM2B_PUBLIC_Marshal) *Tss2_MU_TPM2B_PUBLIC_Marshal;
	__typeof__(Tss2_MU_TPM2B_PUBLIC_Unmarshal) *Tss2_MU_TPM2B_PUBLIC_Unmarshal;
	__typeof__(Tss2_MU_TPM2B_PRIVATE_Marshal) *Tss2_MU_TPM2B_PRIVATE_Marshal;
	__typeof__(Tss2_MU_TPM2B_PRIVATE_Unmarshal) *Tss2_MU_TPM2B_PRIVATE_Unmarshal;
	__typeof__(Tss2_RC_Decode) *Tss2_RC_Decode;
};

/*
 * The table, the libraries opened on the first call (thread-safe); NULL
 * when one cannot be opened or lacks a call (reported, CK_ERR_TPM, naming
 * the library and the Debian package that has it).
 */
const struct ck_tss *ck_tss_load(void);

/*
 * For tests that fake the TPM stack: the table ck_tss_load returns from
 * now on (NULL: the libraries again).  t must outlive its use.
 */
void ck_tss_use(const struct ck_tss *t);

#endif
