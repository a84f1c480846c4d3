/*
 * test_lifecycle_store.c: what the account lifecycle keeps on disk: a
 * rollover's new key beside the old (store/accounts.c), its commit and
 * the state a crash in the commit leaves, the account's removal, and the
 * revocation record (store/revoked.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/keyfile.h"
#include "certkeeper/store/revoked.h"
#include "certkeeper/util/log.h"

#define DIRURL "https://ca.test/dir"
#define ACCT "https://ca.test/acct/1"
#define OLD "-----BEGIN PRIVATE KEY-----\nOLD\n-----END PRIVATE KEY-----\n"
#define NEW "-----BEGIN PRIVATE KEY-----\nNEW\n-----END PRIVATE KEY-----\n"
#define TSS2 "-----BEGIN TSS2 PRIVATE KEY-----\nTPM\n-----END TSS2 PRIVATE KEY-----\n"

struct fx {
	char dir[64];
	char adir[128];
	struct ck_store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *key = NULL, *url = NULL;
	size_t len = 0;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ck-lcstore.XXXXXX");
	if (mkdtemp(f->dir) == NULL || ck_store_open(f->dir, &f->st) != 0 ||
	    ck_store_account_save_key(f->st, DIRURL, OLD, strlen(OLD)) != 0 ||
	    ck_store_account_save_url(f->st, DIRURL, ACCT) != 0 ||
	    ck_store_account_load(f->st, DIRURL, &key, &len, &url) != 0)
		return -1;
	OPENSSL_clear_free(key, len);
	free(url);
	/* The one account directory: accounts/ID (16 hex digits). */
	snprintf(f->adir, sizeof(f->adir), "%s/accounts/", f->dir);
	{
		FILE *p;
		char cmd[160], line[64];

		snprintf(cmd, sizeof(cmd), "ls '%s'", f->adir);
		if ((p = popen(cmd, "r")) == NULL || fgets(line, sizeof(line), p) == NULL)
			return -1;
		pclose(p);
		line[strcspn(line, "\n")] = '\0';
		strncat(f->adir, line, sizeof(f->adir) - strlen(f->adir) - 1);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ck_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Whether FILE exists in the account directory. */
static int
has(struct fx *f, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->adir, file);
	return access(path, F_OK) == 0;
}

/* The account key the store loads now, as text (malloc'd). */
static char *
loaded_key(struct fx *f)
{
	char *key = NULL, *url = NULL, *out;
	size_t len = 0;

	assert_int_equal(ck_store_account_load(f->st, DIRURL, &key, &len, &url), 0);
	assert_non_null(key);
	assert_string_equal(url, ACCT);
	assert_non_null(out = strndup(key, len));
	OPENSSL_clear_free(key, len);
	free(url);
	return out;
}

/* Broken if the new key displaced the old before the commit, or the commit left either behind. */
static void
test_new_key_then_commit(void **state)
{
	struct fx *f = *state;
	char *key = NULL, *k;
	size_t len = 0;

	assert_int_equal(ck_store_account_load_new_key(f->st, DIRURL, &key, &len), 1);
	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, NEW, strlen(NEW)), 0);
	assert_true(has(f, CK_STORE_NEW_KEY_FILE));
	k = loaded_key(f);
	assert_string_equal(k, OLD);	/* until the commit, the old key is the key */
	free(k);
	assert_int_equal(ck_store_account_load_new_key(f->st, DIRURL, &key, &len), 0);
	assert_memory_equal(key, NEW, strlen(NEW));
	OPENSSL_clear_free(key, len);
	assert_int_equal(ck_store_account_commit_new_key(f->st, DIRURL), 0);
	assert_false(has(f, CK_STORE_NEW_KEY_FILE));
	k = loaded_key(f);
	assert_string_equal(k, NEW);
	free(k);
}

/* Broken if dropping the new key touched the old, or left the new one. */
static void
test_drop(void **state)
{
	struct fx *f = *state;
	char *k;

	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, NEW, strlen(NEW)), 0);
	assert_int_equal(ck_store_account_drop_new_key(f->st, DIRURL), 0);
	assert_false(has(f, CK_STORE_NEW_KEY_FILE));
	k = loaded_key(f);
	assert_string_equal(k, OLD);
	free(k);
}

/* Broken if a software-to-TPM commit left two key files, or a crash inside it lost the key. */
static void
test_commit_other_name_and_crash(void **state)
{
	struct fx *f = *state;
	char path[256], *k;

	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, TSS2, strlen(TSS2)), 0);
	assert_true(has(f, CK_STORE_NEW_TPM_KEY_FILE));
	/* What a crash between the removal of key.pem and the rename leaves. */
	snprintf(path, sizeof(path), "%s/" CK_STORE_KEY_FILE, f->adir);
	assert_int_equal(unlink(path), 0);
	k = loaded_key(f);		/* the load finishes the commit */
	assert_string_equal(k, TSS2);
	free(k);
	assert_true(has(f, CK_STORE_TPM_KEY_FILE));
	assert_false(has(f, CK_STORE_NEW_TPM_KEY_FILE));
	assert_false(has(f, CK_STORE_KEY_FILE));
	/* And a TPM-to-software commit in one go. */
	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, NEW, strlen(NEW)), 0);
	assert_int_equal(ck_store_account_commit_new_key(f->st, DIRURL), 0);
	assert_false(has(f, CK_STORE_TPM_KEY_FILE));
	k = loaded_key(f);
	assert_string_equal(k, NEW);
	free(k);
}

/* Broken if both new-key names at once were guessed between. */
static void
test_two_new_keys_refused(void **state)
{
	struct fx *f = *state;
	char path[256], *key = NULL;
	size_t len = 0;
	FILE *fp;

	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, NEW, strlen(NEW)), 0);
	snprintf(path, sizeof(path), "%s/" CK_STORE_NEW_TPM_KEY_FILE, f->adir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(TSS2, fp);
	fclose(fp);
	assert_int_equal(ck_store_account_load_new_key(f->st, DIRURL, &key, &len), -1);
	assert_non_null(strstr(ck_last_error(), "refusing to guess"));
}

/* Broken if a removed account left its URL or any key. */
static void
test_remove(void **state)
{
	struct fx *f = *state;
	char *key = NULL, *url = NULL;
	size_t len = 0;

	assert_int_equal(ck_store_account_save_new_key(f->st, DIRURL, NEW, strlen(NEW)), 0);
	assert_int_equal(ck_store_account_remove(f->st, DIRURL), 0);
	assert_int_equal(ck_store_account_load(f->st, DIRURL, &key, &len, &url), 0);
	assert_null(key);
	assert_null(url);
	assert_false(has(f, CK_STORE_NEW_KEY_FILE));
}

/* Broken if a revocation did not come back whole, or a corrupt record were believed. */
static void
test_revoked_record(void **state)
{
	struct fx *f = *state;
	struct ck_revoked r = { "1c77a2921307ed73", 1764590400, 4 }, back;
	char path[256];
	FILE *fp;

	assert_int_equal(ck_store_load_revoked(f->st, "dev", &back), 1);
	assert_int_equal(ck_store_save_revoked(f->st, "dev", &r), 0);
	assert_int_equal(ck_store_load_revoked(f->st, "dev", &back), 0);
	assert_string_equal(back.serial, r.serial);
	assert_int_equal(back.when, r.when);
	assert_int_equal(back.reason, 4);
	snprintf(path, sizeof(path), "%s/certs/dev/revoked.json", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("{\"serial\":\"1C77;rm\",\"revoked_at\":\"2025-12-01T12:00:00Z\",\"reason\":4}", fp);
	fclose(fp);
	assert_int_equal(ck_store_load_revoked(f->st, "dev", &back), -1);
	assert_string_equal(back.serial, "");
	snprintf(r.serial, sizeof(r.serial), "ABC");
	assert_int_equal(ck_store_save_revoked(f->st, "dev", &r), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_key_then_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_other_name_and_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_new_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_record, setup, teardown),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
