/*
 * keys/tss.c: the tpm2-tss libraries opened on first use (see keys/tss.h).
 * Each library is opened by its soname, as the package installs it; each
 * call is looked up by its name, once, under pthread_once.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "certkeeper/util/log.h"
#include "tss.h"

struct lib {
	const char *soname;
	const char *package;	/* Debian's, for the message */
};

static const struct lib libs[] = {
	{ "libtss2-tctildr.so.0", "libtss2-tctildr0" },
	{ "libtss2-esys.so.0", "libtss2-esys-3.0.2-0" },
	{ "libtss2-mu.so.0", "libtss2-mu0" },
	{ "libtss2-rc.so.0", "libtss2-rc0" },
};

/* Which library each call comes from (an index into libs), and where it goes in the table. */
struct sym {
	const char *name;
	int lib;
	size_t offset;
};

#define SYM(lib, name) { #name, lib, offsetof(struct ck_tss, name) }
static const struct sym syms[] = {
	SYM(0, Tss2_TctiLdr_Initialize), SYM(0, Tss2_TctiLdr_Finalize),
	SYM(1, Esys_Initialize), SYM(1, Esys_Finalize), SYM(1, Esys_Startup),
	SYM(1, Esys_TR_SetAuth), SYM(1, Esys_TR_FromTPMPublic), SYM(1, Esys_TR_Close),
	SYM(1, Esys_CreatePrimary), SYM(1, Esys_Create), SYM(1, Esys_Load), SYM(1, Esys_Sign),
	SYM(1, Esys_FlushContext), SYM(1, Esys_Free),
	SYM(2, Tss2_MU_TPM2B_PUBLIC_Marshal), SYM(2, Tss2_MU_TPM2B_PUBLIC_Unmarshal),
	SYM(2, Tss2_MU_TPM2B_PRIVATE_Marshal), SYM(2, Tss2_MU_TPM2B_PRIVATE_Unmarshal),
	SYM(3, Tss2_RC_Decode),
};
#undef SYM

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ck_tss loaded;
static int loaded_ok;
static char failure[512];
static const struct ck_tss *override;

static void
load(void)
{
	void *h[sizeof(libs) / sizeof(libs[0])] = { NULL };
	const char *why;
	void *fn;
	size_t i;

	/* RTLD_LAZY: the calls made are looked up and checked below (see net/curl.c). */
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if ((h[i] = dlopen(libs[i].soname, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
			why = dlerror();
			snprintf(failure, sizeof(failure), "cannot load the TPM library %s (%s): "
			    "install %s, or use software keys", libs[i].soname,
			    why != NULL ? why : "no reason given", libs[i].package);
			return;
		}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((fn = dlsym(h[syms[i].lib], syms[i].name)) == NULL) {
			snprintf(failure, sizeof(failure), "the TPM library %s has no %s (too old? "
			    "certkeeper needs tpm2-tss 3)", libs[syms[i].lib].soname, syms[i].name);
			return;
		}
		/* POSIX (dlsym): the object pointer is the function's; the slot has its type. */
		memcpy((char *)&loaded + syms[i].offset, &fn, sizeof(fn));
	}
	/* Kept open for the life of the process, as a linked library would be. */
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
