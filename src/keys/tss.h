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
#define CK_TSS_FN(name) __typeof__(name) *name
struct ck_tss {
	CK_TSS_FN(Tss2_TctiLdr_Initialize);
	CK_TSS_FN(Tss2_TctiLdr_Finalize);
	CK_TSS_FN(Esys_Initialize);
	CK_TSS_FN(Esys_Finalize);
	CK_TSS_FN(Esys_Startup);
	CK_TSS_FN(Esys_TR_SetAuth);
	CK_TSS_FN(Esys_TR_FromTPMPublic);
	CK_TSS_FN(Esys_TR_Close);
	CK_TSS_FN(Esys_CreatePrimary);
	CK_TSS_FN(Esys_Create);
	CK_TSS_FN(Esys_Load);
	CK_TSS_FN(Esys_Sign);
	CK_TSS_FN(Esys_FlushContext);
	CK_TSS_FN(Esys_Free);
	CK_TSS_FN(Tss2_MU_TPM2B_PUBLIC_Marshal);
	CK_TSS_FN(Tss2_MU_TPM2B_PUBLIC_Unmarshal);
	CK_TSS_FN(Tss2_MU_TPM2B_PRIVATE_Marshal);
	CK_TSS_FN(Tss2_MU_TPM2B_PRIVATE_Unmarshal);
	CK_TSS_FN(Tss2_RC_Decode);
};
#undef CK_TSS_FN

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
