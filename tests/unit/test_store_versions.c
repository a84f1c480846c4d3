/*
 * test_store_versions.c: versioned certificate installs (src/store/versions.c):
 * current/previous links switched whole, old versions and leftovers pruned,
 * rollback, what a failed or refused install leaves, and the modes of the
 * versions (private or group-readable) beside the run's private state.
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

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"

/* The target of symlink path, or "" if it is not one. */
static const char *
link_of(const char *path)
{
	static char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* A first install makes current and no previous; load_current reads it back. */
static void
test_first_install(void **state)
{
	struct fixture *fx = *state;
	char *cert = NULL, *key = NULL, *v, *p;
	size_t clen, klen;
	const char *kname = NULL;

	assert_int_equal(ck_store_load_current(fx->st, NAME, &cert, &clen, &key, &klen, &kname), 1);
	v = install(fx, 1);
	assert_string_equal(v, "v00000000000000000001");
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v);
	assert_false(exists(sp(fx, 0, "certs/" NAME "/previous")));
	assert_int_equal(ck_store_load_current(fx->st, NAME, &cert, &clen, &key, &klen, &kname), 0);
	assert_string_equal(cert, "cert-1\n");
	assert_int_equal(clen, 7);
	assert_string_equal(key, "key-1\n");
	assert_string_equal(kname, "key.pem");
	p = ck_store_current_path(fx->st, NAME, "fullchain.pem");
	assert_string_equal(p, sp(fx, 0, "certs/" NAME "/current/fullchain.pem"));
	assert_string_equal(contents(p), "cert-1\nchain-1\n");
	free(p);
	free(cert);
	free(key);
	free(v);
}

/* A second install switches current, keeps the first as previous, with the right modes. */
static void
test_second_install(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2 = install(fx, 2);
	char rel[128];

	assert_true(strcmp(v2, v1) > 0);	/* names sort in installation order */
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v2);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v1);
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/cert.pem")), "cert-2\n");
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/chain.pem")), "chain-2\n");
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/fullchain.pem")),
	    "cert-2\nchain-2\n");
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/key.pem")), "key-2\n");
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/previous/cert.pem")), "cert-1\n");
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/current/key.pem")), 0600);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/current/cert.pem")), 0644);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/current/chain.pem")), 0644);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/current/fullchain.pem")), 0644);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s", v2);
	assert_int_equal(mode_of(sp(fx, 0, rel)), 0755);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME)), 0755);
	assert_int_equal(mode_of(sp(fx, 0, "certs")), 0700);
	/* Nothing temporary is left behind. */
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), "."), 0);
	free(v1);
	free(v2);
}

/* A third install prunes the first version and leftovers; else disk use grows forever. */
static void
test_third_install_prunes(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2 = install(fx, 2), *v3 = NULL, rel[128];
	const char *kname = NULL;
	char *key = NULL;
	size_t klen;
	struct set s;

	/* What an interrupted install leaves. */
	assert_int_equal(mkdir(sp(fx, 0, "certs/" NAME "/.tmp-crash1"), 0700), 0);
	put(sp(fx, 0, "certs/" NAME "/.tmp-crash1/cert.pem"), "x");
	/* And what a state file write killed before its rename leaves. */
	put(sp(fx, 0, "certs/" NAME "/.schedule.json.Ab12Cd"), "{");
	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, 3, "key.tss2.pem"), &v3), 0);
	assert_false(exists(sp(fx, 0, "certs/" NAME "/.schedule.json.Ab12Cd")));
	assert_true(strcmp(v3, v2) > 0);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s", v1);
	assert_false(exists(sp(fx, 0, rel)));
	assert_false(exists(sp(fx, 0, "certs/" NAME "/.tmp-crash1")));
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v3);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v2);
	/* current, previous and their two versions. */
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), ""), 4);
	assert_int_equal(ck_store_load_current(fx->st, NAME, NULL, NULL, &key, &klen, &kname), 0);
	assert_string_equal(kname, "key.tss2.pem");
	assert_string_equal(key, "key-3\n");
	free(key);
	free(v1);
	free(v2);
	free(v3);
}

/* Rollback restores the previous set and swaps the links, and can be undone the same way. */
static void
test_rollback(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2 = install(fx, 2), *cert = NULL;
	size_t clen;

	assert_int_equal(ck_store_rollback(fx->st, NAME), 0);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v1);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v2);
	assert_int_equal(ck_store_load_current(fx->st, NAME, &cert, &clen, NULL, NULL, NULL), 0);
	assert_string_equal(cert, "cert-1\n");
	free(cert);
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/key.pem")), "key-1\n");
	assert_int_equal(ck_store_rollback(fx->st, NAME), 0);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v2);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v1);
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), ".lnk-"), 0);
	free(v1);
	free(v2);
}

/* Rollback without previous fails and leaves current alone. */
static void
test_rollback_without_previous(void **state)
{
	struct fixture *fx = *state;
	char *v1;

	assert_int_equal(ck_store_rollback(fx->st, NAME), -1);	/* never installed */
	v1 = install(fx, 1);
	assert_int_equal(ck_store_rollback(fx->st, NAME), -1);
	assert_non_null(strstr(ck_last_error(), "no previous version"));
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v1);
	assert_false(exists(sp(fx, 0, "certs/" NAME "/previous")));
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/cert.pem")), "cert-1\n");
	free(v1);
}

/* A write failing halfway through an install leaves the installed pair as it was. */
static void
test_failed_install_keeps_current(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2 = install(fx, 2), *v = NULL, *big, *v3;
	struct rlimit saved;
	struct set s;
	int rc;

	big = malloc(65536);
	assert_non_null(big);
	memset(big, 'A', 65536);
	make_set(&s, 9, "key.pem");
	s.f.fullchain = big;
	s.f.fullchain_len = 65536;
	limit_file_size(4096, &saved);
	rc = ck_store_install(fx->st, NAME, &s.f, &v);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(rc, -1);
	assert_null(v);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), v2);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v1);
	assert_string_equal(contents(sp(fx, 0, "certs/" NAME "/current/cert.pem")), "cert-2\n");
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), ""), 4);
	/* The store still works afterwards. */
	v3 = install(fx, 3);
	assert_true(strcmp(v3, v2) > 0);
	free(big);
	free(v1);
	free(v2);
	free(v3);
}

/* Names that are not one safe path component, bad key names and blocked paths are refused. */
static void
test_install_rejects(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "../x", "a\nb", "a\tb", "a\x7f" };
	struct fixture *fx = *state;
	struct set s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ck_store_install(fx->st, bad[i], make_set(&s, 1, "key.pem"), NULL), -1);
	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, 1, "../key.pem"), NULL), -1);
	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, 1, NULL), NULL), -1);
	/* Nothing was created for any of them. */
	assert_int_equal(count_entries(sp(fx, 0, "certs"), ""), -1);
	assert_int_equal(count_entries(fx->state, ""), 0);
	/* A file where certs/NAME must go. */
	assert_int_equal(mkdir(sp(fx, 0, "certs"), 0700), 0);
	put(sp(fx, 0, "certs/blocked"), "not a directory");
	assert_int_equal(ck_store_install(fx->st, "blocked", make_set(&s, 1, "key.pem"), NULL), -1);
	assert_string_equal(contents(sp(fx, 0, "certs/blocked")), "not a directory");
}

/* A current link leading out of certs/NAME is never followed, read or replaced. */
static void
test_current_outside_refused(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2 = install(fx, 2), *cert = NULL;
	size_t clen;
	struct set s;

	assert_int_equal(mkdir(sp(fx, 0, "certs/other"), 0700), 0);
	put(sp(fx, 0, "certs/other/cert.pem"), "foreign");
	assert_int_equal(unlink(sp(fx, 0, "certs/" NAME "/current")), 0);
	assert_int_equal(symlink("../other", sp(fx, 0, "certs/" NAME "/current")), 0);
	assert_int_equal(ck_store_load_current(fx->st, NAME, &cert, &clen, NULL, NULL, NULL), -1);
	assert_null(cert);
	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, 3, "key.pem"), NULL), -1);
	assert_int_equal(ck_store_rollback(fx->st, NAME), -1);
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/current")), "../other");
	assert_string_equal(link_of(sp(fx, 0, "certs/" NAME "/previous")), v1);
	free(v1);
	free(v2);
}

/* Checks the modes of version v of NAME and of its files. */
static void
assert_version_modes(const struct fixture *fx, const char *v, int dir, int cert, int key)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "certs/" NAME "/%s", v);
	assert_int_equal(mode_of(sp(fx, 1, rel)), dir);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s/cert.pem", v);
	assert_int_equal(mode_of(sp(fx, 1, rel)), cert);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s/chain.pem", v);
	assert_int_equal(mode_of(sp(fx, 1, rel)), cert);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s/fullchain.pem", v);
	assert_int_equal(mode_of(sp(fx, 1, rel)), cert);
	snprintf(rel, sizeof(rel), "certs/" NAME "/%s/key.pem", v);
	assert_int_equal(mode_of(sp(fx, 1, rel)), key);
}

/* The run's private state beside the certificates: lock, status and account. */
static void
make_private_state(struct fixture *fx)
{
	struct ck_attempt a = { .when = 1700000000, .result = (char *)"success", .retry_after = -1 };

	assert_int_equal(ck_store_lock(fx->st), 0);
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(ck_store_account_save_key(fx->st, "https://127.0.0.1:14000/dir",
	    "KEY-A", 5), 0);
}

/* Lock, status and account stay the owner's, whatever the certificates' modes are. */
static void
assert_private_state(const struct fixture *fx)
{
	char p[1024];

	assert_int_equal(mode_of(sp(fx, 1, "lock")), 0600);
	assert_int_equal(mode_of(sp(fx, 1, "certs/" NAME "/status.json")), 0600);
	assert_int_equal(mode_of(sp(fx, 1, "accounts")), 0700);
	account_path(fx, "https://127.0.0.1:14000/dir", "", p, sizeof(p));
	assert_int_equal(mode_of(p), 0700);
	account_path(fx, "https://127.0.0.1:14000/dir", "key.pem", p, sizeof(p));
	assert_int_equal(mode_of(p), 0600);
}

/*
 * Without group_readable, the default, nobody but the owner gets past
 * certs/ (0700): a key readable by another user is a leak.
 */
static void
test_modes_private(void **state)
{
	struct fixture *fx = *state;
	char *v = install(fx, 1);

	make_private_state(fx);
	assert_int_equal(mode_of(fx->state), 0700);
	assert_int_equal(mode_of(sp(fx, 0, "certs")), 0700);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME)), 0755);
	assert_version_modes(fx, v, 0755, 0644, 0600);
	assert_private_state(fx);
	assert_int_equal(umask(077), 077);
	free(v);
}

/*
 * With group_readable, a service in the state directory's group reads the
 * certificate and its key (0640 below 0750 directories) and others get
 * nothing; the account, lock and status stay private.  Broken: the group
 * cannot reach the files, or others or the group get more than that.
 */
static void
test_modes_group_readable(void **state)
{
	struct fixture *fx = *state;
	char *v1, *v2;

	ck_store_set_group_readable(fx->st, 1);
	v1 = install(fx, 1);
	v2 = install(fx, 2);
	make_private_state(fx);
	assert_int_equal(mode_of(fx->state), 0750);
	assert_int_equal(mode_of(sp(fx, 0, "certs")), 0750);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME)), 0750);
	assert_version_modes(fx, v1, 0750, 0640, 0640);
	assert_version_modes(fx, v2, 0750, 0640, 0640);
	assert_private_state(fx);
	/* Nothing is born readable: the modes are given, not left to the umask. */
	assert_int_equal(umask(077), 077);
	free(v1);
	free(v2);
}

/*
 * Turning group_readable on, then off, takes effect at the next install
 * for the directories above the versions, so that "no" shuts the group
 * out at once; each version keeps the modes it was written with.
 */
static void
test_modes_switched(void **state)
{
	struct fixture *fx = *state;
	char *v1 = install(fx, 1), *v2, *v3;

	ck_store_set_group_readable(fx->st, 1);
	v2 = install(fx, 2);
	assert_int_equal(mode_of(fx->state), 0750);
	assert_int_equal(mode_of(sp(fx, 0, "certs")), 0750);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME)), 0750);
	assert_version_modes(fx, v1, 0755, 0644, 0600);
	assert_version_modes(fx, v2, 0750, 0640, 0640);
	ck_store_set_group_readable(fx->st, 0);
	v3 = install(fx, 3);
	assert_int_equal(mode_of(sp(fx, 0, "certs")), 0700);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME)), 0755);
	assert_version_modes(fx, v3, 0755, 0644, 0600);
	/* The group's way in is closed at certs/; STATE_DIR is left as it is. */
	assert_int_equal(mode_of(fx->state), 0750);
	free(v1);
	free(v2);
	free(v3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_third_install_prunes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_group_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_switched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_without_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_install_keeps_current, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_current_outside_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
