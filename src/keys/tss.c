/*
 * keys/tss.c: the tpm2-tss libraries opened on first use (see keys/tss.h).
 * Each library is opened by its soname, as the package installs it; each
 * call is looked up by its name, once, under pthread_once.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "certkeeper/util/dl.h"
#include "certkeeper/util/log.h"
#include "tss.h"

#define SYM(name) { #name, offsetof(struct ck_tss, name) }
static const struct ck_dl_sym tctildr_syms[] = {
	SYM(Tss2_TctiLdr_Initialize), SYM(Tss2_TctiLdr_Finalize),
};
static const struct ck_dl_sym esys_syms[] = {
	SYM(Esys_Initialize), SYM(Esys_Finalize), SYM(Esys_Startup),
	SYM(Esys_TR_SetAuth), SYM(Esys_TR_FromTPMPublic), SYM(Esys_TR_Close),
	SYM(Esys_CreatePrimary), SYM(Esys_Create), SYM(Esys_Load), SYM(Esys_Sign),
	SYM(Esys_FlushContext), SYM(Esys_Free),
};
static const struct ck_dl_sym mu_syms[] = {
	SYM(Tss2_MU_TPM2B_PUBLIC_Marshal), SYM(Tss2_MU_TPM2B_PUBLIC_Unmarshal),
	SYM(Tss2_MU_TPM2B_PRIVATE_Marshal), SYM(Tss2_MU_TPM2B_PRIVATE_Unmarshal),
};
static const struct ck_dl_sym rc_syms[] = {
	SYM(Tss2_RC_Decode),
};
#undef SYM

/* Each library, by its soname, the package that installs it and the calls taken from it. */
struct lib {
	const char *soname;
	const char *package;	/* Debian's, for the message */
	const struct ck_dl_sym *syms;
	size_t nsyms;
};

#define LIB(soname, package, syms) { soname, package, syms, sizeof(syms) / sizeof((syms)[0]) }
static const struct lib libs[] = {
	LIB("libtss2-tctildr.so.0", "libtss2-tctildr0", tctildr_syms),
	LIB("libtss2-esys.so.0", "libtss2-esys-3.0.2-0", esys_syms),
	LIB("libtss2-mu.so.0", "libtss2-mu0", mu_syms),
	LIB("libtss2-rc.so.0", "libtss2-rc0", rc_syms),
};
#undef LIB

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ck_tss loaded;
static int loaded_ok;
static char failure[512];
static const struct ck_tss *override;

static void
load(void)
{
	const char *why, *missing;
	void *h;
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		if ((h = ck_dl_open(libs[i].soname, &why)) == NULL) {
			snprintf(failure, sizeof(failure), "cannot load the TPM library %s (%s): "
			    "install %s, or use software keys", libs[i].soname, why, libs[i].package);
			return;
		}
		if ((missing = ck_dl_fill(h, libs[i].syms, libs[i].nsyms, &loaded)) != NULL) {
			snprintf(failure, sizeof(failure), "the TPM library %s has no %s (too old? "
			    "certkeeper needs tpm2-tss 3)", libs[i].soname, missing);
			return;
		}
	}
	loaded_ok = 1;
}

const struct ck_tss *
ck_tss_load(void)
{
	if (override != NULL)
		return override;
	(void)pthread_once(&once, load);
	if (!loaded_ok) {
		ck_error_as(CK_ERR_TPM, "%s", failure);
		return NULL;
	}
	return &loaded;
}

void
ck_tss_use(const struct ck_tss *t)
{
	override = t;
}
