/*
 * tests/unit/fake_tpm.h: the fake TPM of the test_tpm_* programs, which run
 * src/keys/tpm.c against it (fake_tpm.c): its state, the failures it can
 * be told to inject, its table for ck_tss_use, and what the tests share
 * around it.  A program built with fake_tpm.c is linked with
 * -Wl,--wrap=free (fake_tpm.c defines __wrap_free).
 */
#ifndef CERTKEEPER_TESTS_FAKE_TPM_H
#define CERTKEEPER_TESTS_FAKE_TPM_H

#include <stddef.h>

#include <openssl/evp.h>

#include <tss2/tss2_esys.h>

#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "keys/tss.h"

enum fn {
	F_TCTI_INIT, F_TCTI_FIN, F_ESYS_INIT, F_ESYS_FIN, F_STARTUP, F_SETAUTH,
	F_CREATEPRIMARY, F_CREATE, F_LOAD, F_SIGN, F_FLUSH, F_FROMPUB, F_TRCLOSE, F_COUNT
};

enum kind { K_FREE, K_PRIMARY, K_KEY, K_PERSISTENT };

#define FAKE_SLOTS	3		/* transient objects, as on swtpm */
#define FAKE_OBJS	16
#define FAKE_TR_BASE	0x1000
#define FAKE_PERSISTENT	0x81000001	/* the only persistent object */
#define FAKE_KEYS	32

struct fake {
	unsigned calls[F_COUNT];
	unsigned fail_nth[F_COUNT];	/* 0: never */
	TSS2_RC fail_rc[F_COUNT];
	TSS2_RC startup_rc;		/* what a successful Startup answers */
	unsigned commands;		/* TPM commands received */
	struct {
		enum kind kind;
		int key;		/* index into keys[] */
	} obj[FAKE_OBJS];
	int external;			/* slots held by "another program" */
	int peak;			/* most transient objects loaded at once */
	unsigned char seed[8];		/* makes blobs of this fake TPM only load here */
	EVP_PKEY *keys[FAKE_KEYS];
	int nkeys;
	int tcti_open, esys_open;
	char tcti_conf[128];
	TPM2B_AUTH owner_auth;
	int owner_auth_set;
	TPM2B_PUBLIC primary_tmpl, create_tmpl;
	TPMI_ALG_HASH sign_hash;
	int short_r;			/* Sign returns an r shorter than the field */
	char violations[1024];		/* misuse of the API seen by the fake */
};

/* The fake TPM's state, a new TPM for every test (setup, fake_reset). */
extern struct fake fk;

/* While set, freed memory is searched for the seed; seed_hits counts the finds. */
extern int scan_seed;
extern unsigned seed_hits;

/* The fake TPM, as keys/tpm.c sees the TPM stack: given with ck_tss_use. */
extern const struct ck_tss fake_tss;

/* A configuration with the owner hierarchy's primary as parent, and a message to sign. */
#define FAKE_MSG	"{\"protected\":\"...\",\"payload\":\"...\"}"
extern const struct ck_tpm_config owner_cfg;
extern const unsigned char msg[sizeof(FAKE_MSG)];

/* The nth call (from 1) of f answers rc; 0 never fails. */
void fail_call(enum fn f, unsigned nth, TSS2_RC rc);

/* Transient objects loaded, with those of "another program" (fk.external). */
int transients(void);

/* Objects of kind k held by the fake TPM. */
int count_kind(enum kind k);

/* A new, empty TPM with a new seed: the previous one's blobs no longer load. */
void fake_reset(void);

/* Makes a real EC key for curve and stores its point in pt; returns its index. */
int fake_keygen(TPMI_ECC_CURVE curve, TPMS_ECC_POINT *pt);

/* Per test: a new TPM; at the end, nothing left loaded and no misuse seen. */
int setup(void **state);
int teardown(void **state);

/* Frees the fake's keys after the last test. */
int group_teardown(void **state);

/* Fails the test unless ck_last_error() contains want. */
void expect_error(const char *want);

/* Signs msg in both forms and checks both verify under the public key. */
void sign_and_verify(struct ck_signer *s, size_t fieldlen);

/* Opens a ck_tpm with cfg and creates a P-256 key, asserting success. */
void open_and_create(const struct ck_tpm_config *cfg, struct ck_tpm **t, struct ck_signer **s,
    char **pem, size_t *pemlen);

#endif
