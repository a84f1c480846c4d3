/*
 * test_tpm_open.c: opening the TPM (src/keys/tpm.c) against the fake TPM
 * of fake_tpm.c: the TCTI and its default, Startup on a TPM already
 * started, the parent setting, the owner password file, and the owner
 * hierarchy's refusals (a wrong password, lockout) named in words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <tss2/tss2_esys.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "keys/tss.h"
#include "fake_tpm.h"

/* ---- tests ------------------------------------------------------------- */

/* Broken if a wrong owner password (any session number) is not named, or a primary is cached. */
static void
test_primary_bad_auth(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	fail_call(F_CREATEPRIMARY, 1, TPM2_RC_BAD_AUTH + TPM2_RC_S + TPM2_RC_1);	/* 0x9a2 */
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("wrong owner password");
	expect_error("0x9a2");
	assert_int_equal(transients(), 0);

	/* Not cached after a failure: the next attempt asks the TPM again. */
	fail_call(F_CREATEPRIMARY, 2, TPM2_RC_AUTH_FAIL + TPM2_RC_S + TPM2_RC_1);	/* 0x98e */
	ck_clear_error();
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("wrong owner password");
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 2);
	assert_int_equal(fk.calls[F_CREATE], 0);
	assert_int_equal(transients(), 0);
	ck_tpm_close(t);
}

/* Broken if dictionary-attack lockout is reported as a bare number. */
static void
test_primary_lockout(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	fail_call(F_CREATEPRIMARY, 1, TPM2_RC_LOCKOUT);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &s, &pem, &pemlen), -1);
	expect_error("TPM is in dictionary-attack lockout");
	assert_int_equal(transients(), 0);
	ck_tpm_close(t);
}

/* Broken if an already started TPM (0x100) is refused, or a real Startup failure is not. */
static void
test_startup(void **state)
{
	struct ck_tpm *t = NULL;

	fk.startup_rc = TPM2_RC_INITIALIZE;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	ck_tpm_close(t);
	t = NULL;
	fk.startup_rc = TPM2_RC_FAILURE;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), -1);
	assert_null(t);
	expect_error("Esys_Startup");
	expect_error("0x101");
}

/* Broken if a missing TPM device is not explained, or the default TCTI is not /dev/tpmrm0. */
static void
test_tcti_fails(void **state)
{
	struct ck_tpm_config cfg = { NULL, NULL, NULL, NULL };
	struct ck_tpm *t = NULL;

	fail_call(F_TCTI_INIT, 1, TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(ck_tpm_open(&cfg, &t), -1);
	assert_null(t);
	assert_string_equal(fk.tcti_conf, "device:/dev/tpmrm0");
	expect_error("cannot open TPM through TCTI 'device:/dev/tpmrm0'");
	expect_error("is the device present / the TCTI string right?");
	assert_int_equal(fk.calls[F_ESYS_INIT], 0);
}

/* Broken if a parent setting that is neither "owner" nor 0x81xxxxxx is accepted. */
static void
test_bad_parent_setting(void **state)
{
	static const char *const bad[] = { "0x80000001", "0x8100000", "81000001", "banana",
	    "0x81000001x" };
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.parent = bad[i];
		assert_int_equal(ck_tpm_open(&cfg, &t), -1);
		expect_error(bad[i]);
	}
	assert_int_equal(fk.calls[F_TCTI_INIT], 0);
}

/* Broken if the owner password file is misread (newline kept) or an unreadable one is not named. */
static void
test_owner_auth_file(void **state)
{
	char dir[] = "/tmp/ck-tpm-test.XXXXXX", path[64];
	struct ck_tpm_config cfg = owner_cfg;
	struct ck_tpm *t = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/owner-pw", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("pa55word\r\nsecond line\n", f);
	fclose(f);
	cfg.owner_auth_file = path;
	assert_int_equal(ck_tpm_open(&cfg, &t), 0);
	assert_true(fk.owner_auth_set);
	assert_int_equal(fk.owner_auth.size, 8);
	assert_memory_equal(fk.owner_auth.buffer, "pa55word", 8);
	ck_tpm_close(t);
	t = NULL;

	unlink(path);
	assert_int_equal(ck_tpm_open(&cfg, &t), -1);
	expect_error(path);
	assert_int_equal(fk.calls[F_TCTI_INIT], 1);	/* the TPM is not touched the second time */
	rmdir(dir);

	/* No password configured: nothing set. */
	fk.owner_auth_set = 0;
	assert_int_equal(ck_tpm_open(&owner_cfg, &t), 0);
	assert_false(fk.owner_auth_set);
	ck_tpm_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_primary_bad_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_primary_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcti_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_parent_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_auth_file, setup, teardown),
	};

	srand((unsigned)getpid());
	ck_tss_use(&fake_tss);
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
