/*
 * test_store_accounts.c: accounts per ACME directory and key files
 * (src/store/accounts.c, keyfile.c): key files named by content, two at
 * once refused in an account or an installed version, the stored URL
 * checked like server input, and key buffers cleared before they are freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/versions.h"

/*
 * free() is wrapped at link time (-Wl,--wrap=free): while watching, every
 * block the store (or this file) frees with plain free() is searched for
 * SECRET, so a key buffer freed without OPENSSL_clear_free is caught.
 */
#define SECRET "SECRET-KEY-MATERIAL-4f1e"

void __real_free(void *p);
void __wrap_free(void *p);

/* volatile: the compiler takes free() for libc's, which could not read them. */
static volatile int watching;
static volatile int secrets_freed;

void
__wrap_free(void *p)
{
	const char *b = p;
	size_t n, i, k = strlen(SECRET);

	if (watching && p != NULL) {
		n = malloc_usable_size(p);
		for (i = 0; i + k <= n; i++)
			if (memcmp(b + i, SECRET, k) == 0) {
				secrets_freed++;
				break;
			}
	}
	__real_free(p);
}

/* What the code under test writes to stderr between capture_start and capture_end. */
static int saved_stderr = -1;

static void
capture_start(const struct fixture *fx)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/stderr.txt", fx->tmp);
	fflush(stderr);
	assert_true((saved_stderr = dup(2)) != -1);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* The text written since capture_start (static buffer); stderr is restored. */
static const char *
capture_end(const struct fixture *fx)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/stderr.txt", fx->tmp);
	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	saved_stderr = -1;
	return contents(path);
}

/* Account key and URL round-trip per directory URL, privately, with the URL recorded. */
static void
test_account_roundtrip(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir", b[] = "https://127.0.0.1:14001/dir";
	struct fixture *fx = *state;
	char *key = (char *)1, *url = (char *)1, p[1024];
	size_t klen = 99;

	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_null(key);
	assert_null(url);
	assert_int_equal(klen, 0);
	assert_int_equal(ck_store_account_save_key(fx->st, a, "KEY-A", 5), 0);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(key, "KEY-A");
	assert_null(url);
	free(key);
	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/1"), 0);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(key, "KEY-A");
	assert_int_equal(klen, 5);
	assert_string_equal(url, "https://127.0.0.1:14000/acct/1");
	free(key);
	free(url);
	account_path(fx, a, "", p, sizeof(p));
	assert_int_equal(mode_of(p), 0700);
	account_path(fx, a, "key.pem", p, sizeof(p));
	assert_int_equal(mode_of(p), 0600);
	account_path(fx, a, "url", p, sizeof(p));
	assert_int_equal(mode_of(p), 0600);
	account_path(fx, a, "directory", p, sizeof(p));
	assert_string_equal(contents(p), a);
	assert_int_equal(mode_of(sp(fx, 0, "accounts")), 0700);
	/* Another directory has its own, still empty, account. */
	assert_int_equal(ck_store_account_load(fx->st, b, &key, &klen, &url), 0);
	assert_null(key);
	assert_null(url);
	assert_int_equal(ck_store_account_save_key(fx->st, b, "KEY-B", 5), 0);
	assert_int_equal(ck_store_account_load(fx->st, b, &key, &klen, &url), 0);
	assert_string_equal(key, "KEY-B");
	free(key);
	assert_int_equal(count_entries(sp(fx, 0, "accounts"), ""), 2);
}

/* An account whose directory file names another URL is refused, not reused. */
static void
test_account_directory_mismatch(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, p[1024];
	size_t klen;

	assert_int_equal(ck_store_account_save_key(fx->st, a, "KEY-A", 5), 0);
	account_path(fx, a, "directory", p, sizeof(p));
	put(p, "https://127.0.0.1:15000/other");
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), -1);
	assert_null(key);
	assert_non_null(strstr(ck_last_error(), "refusing"));
	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/1"), -1);
	account_path(fx, a, "url", p, sizeof(p));
	assert_false(exists(p));
}

#define TSS2_KEY "-----BEGIN TSS2 PRIVATE KEY-----\nMIIB\n-----END TSS2 PRIVATE KEY-----\n"

/* The account key file is named by what it holds, and saving one name removes the other. */
static void
test_account_key_named_by_content(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, soft[1024], tpm[1024];
	size_t klen = 0;

	account_path(fx, a, "key.pem", soft, sizeof(soft));
	account_path(fx, a, "key.tss2.pem", tpm, sizeof(tpm));
	assert_int_equal(ck_store_account_save_key(fx->st, a, TSS2_KEY, strlen(TSS2_KEY)), 0);
	assert_string_equal(contents(tpm), TSS2_KEY);
	assert_int_equal(mode_of(tpm), 0600);
	assert_false(exists(soft));
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(key, TSS2_KEY);
	assert_int_equal(klen, strlen(TSS2_KEY));
	free(key);
	/* A software key replaces it: no stale TSS2 file is left to be picked up. */
	assert_int_equal(ck_store_account_save_key(fx->st, a, "SOFT", 4), 0);
	assert_string_equal(contents(soft), "SOFT");
	assert_false(exists(tpm));
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(key, "SOFT");
	free(key);
	/* And back. */
	assert_int_equal(ck_store_account_save_key(fx->st, a, TSS2_KEY, strlen(TSS2_KEY)), 0);
	assert_false(exists(soft));
	assert_string_equal(contents(tpm), TSS2_KEY);
}

/* State from before key files were named by content, a TSS2 key in key.pem, still loads. */
static void
test_account_old_tss2_in_key_pem(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, p[1024];
	size_t klen = 0;

	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/7"), 0);
	account_path(fx, a, "key.pem", p, sizeof(p));
	put(p, TSS2_KEY);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(key, TSS2_KEY);
	assert_int_equal(klen, strlen(TSS2_KEY));
	assert_string_equal(url, "https://127.0.0.1:14000/acct/7");
	free(key);
	free(url);
}

/* Two key files at once are refused, never guessed between; a URL without a key is refused. */
static void
test_account_key_files_refused(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, p[1024];
	size_t klen = 0;

	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/7"), 0);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), -1);
	assert_non_null(strstr(ck_last_error(), "/url exists but neither key.pem nor key.tss2.pem"));
	assert_null(url);
	assert_int_equal(ck_store_account_save_key(fx->st, a, TSS2_KEY, strlen(TSS2_KEY)), 0);
	account_path(fx, a, "key.pem", p, sizeof(p));
	put(p, "SOFT");
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), -1);
	assert_non_null(strstr(ck_last_error(), "both key.pem and key.tss2.pem"));
	assert_null(key);
	assert_null(url);
	assert_int_equal(klen, 0);
}

/* A key save that fails keeps the old key of the other name: it is removed only afterwards. */
static void
test_account_key_save_fails_keeps_old(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	struct fixture *fx = *state;
	char *big, soft[1024], tpm[1024], dir[1024];
	struct rlimit saved;
	size_t n = 65536, hl = strlen("-----BEGIN TSS2 PRIVATE KEY-----\n");
	int rc;

	assert_int_equal(ck_store_account_save_key(fx->st, a, "SOFT", 4), 0);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'A', n);
	memcpy(big, TSS2_KEY, hl);
	limit_file_size(4096, &saved);
	rc = ck_store_account_save_key(fx->st, a, big, n);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(rc, -1);
	account_path(fx, a, "key.pem", soft, sizeof(soft));
	account_path(fx, a, "key.tss2.pem", tpm, sizeof(tpm));
	account_path(fx, a, "", dir, sizeof(dir));
	assert_string_equal(contents(soft), "SOFT");
	assert_false(exists(tpm));
	/* directory and key.pem: no temporary file is left either. */
	assert_int_equal(count_entries(dir, ""), 2);
	free(big);
}

/*
 * A stored account URL is read back like server input: anything but an https URL of
 * printable ASCII is warned about (file named, content made safe) and taken as not
 * registered, so the next run finds the account by its key and saves the URL anew.
 */
static void
test_account_url_validated(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	static char long_url[2100];
	const char *bad[] = {
		"https://127.0.0.1:14000/acct/1\n\n",
		"https://127.0.0.1:14000/acct/\x1b]0;owned\x07\x1b[2J",
		"http://127.0.0.1:14000/acct/1",
		"https://127.0.0.1:14000/acct 1",
		"https://127.0.0.1:14000/acct/\xc3\xa9",
		"https://127.0.0.1:14000/acct/\x7f",
		"\thttps://127.0.0.1:14000/acct/1",
		"https://",
		"",
		long_url,
	};
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, p[1024];
	const char *err;
	size_t klen = 0, i;

	memcpy(long_url, "https://", 8);
	memset(long_url + 8, 'a', CK_STORE_URL_MAX + 1 - 8);	/* one byte too many */
	long_url[CK_STORE_URL_MAX + 1] = '\0';
	assert_int_equal(ck_store_account_save_key(fx->st, a, "KEY-A", 5), 0);
	account_path(fx, a, "url", p, sizeof(p));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(p, bad[i]);
		capture_start(fx);
		assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
		err = capture_end(fx);
		assert_null(url);
		assert_string_equal(key, "KEY-A");
		free(key);
		assert_non_null(strstr(err, "warning: "));
		assert_non_null(strstr(err, p));
		assert_non_null(strstr(err, "looked up again by its key"));
		assert_null(strchr(err, '\x1b'));
		assert_null(strchr(err, '\x07'));
	}
	/* The escape sequence is shown made safe, not raw and not hidden. */
	put(p, bad[1]);
	capture_start(fx);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	err = capture_end(fx);
	assert_non_null(strstr(err, "/acct/?]0;owned??[2J"));
	free(key);
	/* The next registration rewrites the file, and it is used again. */
	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/1"), 0);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(url, "https://127.0.0.1:14000/acct/1");
	free(key);
	free(url);
	/* One trailing newline (an editor's) is fine, and so is the longest URL. */
	put(p, "https://127.0.0.1:14000/acct/2\n");
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_string_equal(url, "https://127.0.0.1:14000/acct/2");
	free(key);
	free(url);
	long_url[CK_STORE_URL_MAX] = '\0';
	put(p, long_url);
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), 0);
	assert_non_null(url);
	assert_int_equal(strlen(url), CK_STORE_URL_MAX);
	free(key);
	free(url);
}

/* A URL the load would throw away is never saved: the old file stays. */
static void
test_account_url_save_refused(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	static const char *const bad[] = {
		"http://127.0.0.1:14000/acct/1", "https://127.0.0.1:14000/acct 1",
		"https://127.0.0.1:14000/acct/1\n", "https://127.0.0.1:14000/\x1b[2J", "",
	};
	struct fixture *fx = *state;
	char p[1024];
	size_t i;

	assert_int_equal(ck_store_account_save_url(fx->st, a, "https://127.0.0.1:14000/acct/1"), 0);
	account_path(fx, a, "url", p, sizeof(p));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ck_store_account_save_url(fx->st, a, bad[i]), -1);
		assert_non_null(strstr(ck_last_error(), "not saving it"));
		assert_null(strchr(ck_last_error(), '\x1b'));
		assert_string_equal(contents(p), "https://127.0.0.1:14000/acct/1");
	}
	assert_int_equal(ck_store_account_save_url(fx->st, a, NULL), -1);
}

/* A version with both key files is refused: which key the service uses is never a guess. */
static void
test_current_two_keys_refused(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *key = NULL;
	const char *kname = "unset";
	size_t klen = 9;

	put(sp(fx, 0, "certs/" NAME "/current/key.tss2.pem"), TSS2_KEY);
	assert_int_equal(ck_store_load_current(fx->st, NAME, NULL, NULL, &key, &klen, &kname), -1);
	assert_non_null(strstr(ck_last_error(), "both key.pem and key.tss2.pem"));
	assert_null(key);
	assert_int_equal(klen, 0);
	assert_null(kname);
	/* Also when only the name is wanted (status). */
	assert_int_equal(ck_store_load_current(fx->st, NAME, NULL, NULL, NULL, NULL, &kname), -1);
	assert_null(kname);
	free(v1);
}

/* Key buffers the store reads and then drops are cleared before they are freed. */
static void
test_key_buffers_cleared(void **state)
{
	static const char a[] = "https://127.0.0.1:14000/dir";
	static const char key_text[] = "-----BEGIN PRIVATE KEY-----\n" SECRET "\n"
	    "-----END PRIVATE KEY-----\n";
	struct fixture *fx = *state;
	char *key = NULL, *url = NULL, *v1, p[1024], *volatile copy;
	const char *kname;
	size_t klen = 0;

	/* The hook sees a plain free() of a secret: else this test proves nothing. */
	copy = strdup(key_text);	/* volatile: the compiler may not drop the pair */
	assert_non_null(copy);
	watching = 1;
	free(copy);
	watching = 0;
	assert_int_equal(secrets_freed, 1);
	secrets_freed = 0;

	/* An account key read, then dropped because the url file is unreadable. */
	assert_int_equal(ck_store_account_save_key(fx->st, a, key_text, strlen(key_text)), 0);
	account_path(fx, a, "url", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	watching = 1;
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), -1);
	watching = 0;
	assert_null(key);
	assert_int_equal(rmdir(p), 0);
	/* An account key read, then dropped because a second key file is there. */
	account_path(fx, a, "key.tss2.pem", p, sizeof(p));
	put(p, TSS2_KEY);
	watching = 1;
	assert_int_equal(ck_store_account_load(fx->st, a, &key, &klen, &url), -1);
	watching = 0;
	assert_null(key);
	/* The same for an installed version's key. */
	v1 = install(fx, 1);
	put(sp(fx, 0, "certs/" NAME "/current/key.pem"), key_text);
	put(sp(fx, 0, "certs/" NAME "/current/key.tss2.pem"), TSS2_KEY);
	watching = 1;
	assert_int_equal(ck_store_load_current(fx->st, NAME, NULL, NULL, &key, &klen, &kname), -1);
	watching = 0;
	assert_null(key);
	assert_int_equal(secrets_freed, 0);
	/* A key handed to the caller is the caller's to clear. */
	assert_int_equal(unlink(sp(fx, 0, "certs/" NAME "/current/key.tss2.pem")), 0);
	assert_int_equal(ck_store_load_current(fx->st, NAME, NULL, NULL, &key, &klen, &kname), 0);
	assert_string_equal(key, key_text);
	watching = 1;
	OPENSSL_clear_free(key, klen);
	watching = 0;
	assert_int_equal(secrets_freed, 0);
	free(v1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_account_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_directory_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_key_named_by_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_old_tss2_in_key_pem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_key_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_key_save_fails_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_url_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_url_save_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_current_two_keys_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_buffers_cleared, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
