/*
 * test_tpm_sign.c: TPM signers (src/keys/tpm.c, tpm_sign.c) against the
 * fake TPM of fake_tpm.c: r and s shorter than the field padded, a full
 * TPM (0x902) explained, a run's keys within swtpm's three slots, and what
 * was loaded flushed on every path, also when Sign or the flush fails.
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

#include <openssl/evp.h>

#include <tss2/tss2_esys.h>

#include "certkeeper/util/log.h"
#include "certkeeper/keys/signer.h"
#include "certkeeper/keys/tpm.h"
#include "keys/tss.h"
#include "fake_tpm.h"

/* ---- helpers ----------------------------------------------------------- */

/* Forgets keys the fake TPM still holds after a failed flush, so teardown checks the rest. */
static void
forget_leaked_keys(void)
{
	int i;

	for (i = 0; i < FAKE_OBJS; i++)
		if (fk.obj[i].kind == K_KEY)
			fk.obj[i].kind = K_FREE;
}

/* ---- tests ------------------------------------------------------------- */

/* Broken if a full TPM (objects leaked by another program) is not explained, or we leak too. */
static void
test_sign_object_memory(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	unsigned char *sig = NULL;
	size_t siglen, pemlen;
	char *pem = NULL;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fk.external = 2;		/* primary + 2 foreign objects: the TPM is full */
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), -1);
	expect_error("Esys_Load");
	expect_error("TPM out of object memory (transient objects not flushed by another program?)");
	assert_int_equal(transients() - fk.external, 1);

	/* Once the other program's objects are gone, the same signer works again. */
	fk.external = 0;
	sign_and_verify(s, 32);
	assert_int_equal(transients(), 2);

	/* An injected 0x902 from Sign itself: the loaded key must be flushed and forgotten. */
	fail_call(F_SIGN, fk.calls[F_SIGN] + 1, TPM2_RC_OBJECT_MEMORY);
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_JWS, &sig, &siglen), -1);
	assert_null(sig);
	expect_error("Esys_Sign");
	expect_error("TPM out of object memory");
	assert_int_equal(transients(), 1);
	assert_int_equal(fk.calls[F_FLUSH], 1);

	/* The next signature starts clean: it loads the key again. */
	assert_int_equal(fk.calls[F_LOAD], 2);
	sign_and_verify(s, 32);
	assert_int_equal(fk.calls[F_LOAD], 3);
	ck_signer_free(s);
	assert_int_equal(fk.calls[F_FLUSH], 2);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/*
 * Broken if a failed Sign whose cleanup flush also fails reports the flush
 * instead of the Sign, or keeps the stale handle (flushed again at destroy).
 */
static void
test_sign_fails_flush_fails(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	unsigned char *sig = NULL;
	size_t siglen, pemlen;
	char *pem = NULL;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fail_call(F_SIGN, 1, TPM2_RC_FAILURE);
	fail_call(F_FLUSH, 1, TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(ck_signer_sign(s, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen), -1);
	assert_null(sig);
	expect_error("Esys_Sign");
	expect_error("0x101");
	assert_int_equal(fk.calls[F_FLUSH], 1);
	assert_int_equal(count_kind(K_KEY), 1);		/* what the TPM still holds */

	/* A fresh Load (the old object still takes its slot: 3 of 3), and one flush at destroy. */
	sign_and_verify(s, 32);
	assert_int_equal(fk.calls[F_LOAD], 2);
	ck_signer_free(s);
	assert_int_equal(fk.calls[F_FLUSH], 2);
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_FLUSH], 3);
	assert_int_equal(count_kind(K_KEY), 1);
	forget_leaked_keys();
}

/*
 * Broken if a certkeeper run's keys do not fit swtpm's three slots: the
 * primary, the account key and a certificate key stay loaded together; a
 * second certificate's key fits once the first one's signer is destroyed;
 * and after destroying the signers and closing, nothing is left loaded.
 */
static void
test_account_and_cert_keys_fit(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *acct = NULL, *cert1 = NULL, *cert2 = NULL;
	unsigned char *sig = NULL;
	char *apem = NULL, *pem1 = NULL, *pem2 = NULL;
	size_t alen, len1, len2, siglen;

	open_and_create(&owner_cfg, &t, &acct, &apem, &alen);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P256, &cert1, &pem1, &len1), 0);
	assert_int_equal(ck_tpm_key_create(t, CK_KEY_TPM_P384, &cert2, &pem2, &len2), 0);
	sign_and_verify(acct, 32);		/* newAccount, newOrder, ... */
	sign_and_verify(cert1, 32);		/* the CSR */
	sign_and_verify(acct, 32);		/* finalize, certificate download */
	assert_int_equal(transients(), 3);
	assert_int_equal(fk.peak, 3);

	/* The budget is spent: a third live signer cannot load, and says why. */
	assert_int_equal(ck_signer_sign(cert2, msg, sizeof(msg) - 1, CK_SIG_DER, &sig, &siglen),
	    -1);
	assert_null(sig);
	expect_error("TPM out of object memory");
	assert_int_equal(transients(), 3);

	/* The next certificate, as run.c does it: the previous key's signer is gone first. */
	ck_signer_free(cert1);
	assert_int_equal(transients(), 2);
	sign_and_verify(cert2, 48);
	sign_and_verify(acct, 32);
	assert_int_equal(fk.calls[F_LOAD], 4);	/* acct, cert1, cert2 (failed), cert2 */
	assert_int_equal(fk.calls[F_CREATEPRIMARY], 1);

	ck_signer_free(cert2);
	ck_signer_free(acct);
	assert_int_equal(transients(), 1);
	ck_tpm_close(t);
	assert_int_equal(transients(), 0);
	assert_int_equal(fk.calls[F_FLUSH], 4);	/* acct, cert1, cert2, primary */
	assert_int_equal(fk.peak, 3);
	OPENSSL_free(apem);
	OPENSSL_free(pem1);
	OPENSSL_free(pem2);
}

/* Broken if r or s shorter than the field is not left-padded (JWS) or mis-encoded (DER). */
static void
test_sign_pads_short_values(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	fk.short_r = 1;
	sign_and_verify(s, 32);
	ck_signer_free(s);
	OPENSSL_free(pem);
	ck_tpm_close(t);
}

/*
 * Broken if a key that cannot be flushed when its signer is destroyed
 * replaces the run's real error (run.c records ck_last_error() after the
 * signers are gone), is flushed twice, or stops the primary's flush.
 */
static void
test_flush_fails_at_destroy(void **state)
{
	struct ck_tpm *t = NULL;
	struct ck_signer *s = NULL;
	char *pem = NULL;
	size_t pemlen;

	open_and_create(&owner_cfg, &t, &s, &pem, &pemlen);
	sign_and_verify(s, 32);
	ck_error("finalize: order is invalid");	/* the error the run is failing with */
	fail_call(F_FLUSH, 1, TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1);
	ck_signer_free(s);
	assert_string_equal(ck_last_error(), "finalize: order is invalid");
	assert_int_equal(fk.calls[F_FLUSH], 1);		/* not retried on the same handle */
	OPENSSL_free(pem);
	ck_tpm_close(t);
	assert_int_equal(fk.calls[F_FLUSH], 2);		/* the primary */
	assert_int_equal(count_kind(K_PRIMARY), 0);
	/* The TPM still holds that key (the honest outcome): forget it for teardown. */
	assert_int_equal(count_kind(K_KEY), 1);
	forget_leaked_keys();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_object_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_fails_flush_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_and_cert_keys_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_pads_short_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_fails_at_destroy, setup, teardown),
	};

	srand((unsigned)getpid());
	ck_tss_use(&fake_tss);
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
