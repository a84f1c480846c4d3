/*
 * tests/unit/store_fixture.h: what the store's unit tests (test_store_*.c)
 * share: a fresh state directory per test, paths and files in it,
 * certificate sets to install and where an account's files are.
 */
#ifndef CERTKEEPER_TESTS_STORE_FIXTURE_H
#define CERTKEEPER_TESTS_STORE_FIXTURE_H

#include <stddef.h>
#include <sys/resource.h>

#include "certkeeper/store/versions.h"

#define NAME "www"

struct fixture {
	char tmp[256];
	char state[512];
	struct ck_store *st;
};

/* A new state directory under TMPDIR, opened as fx->st; teardown removes it all. */
int setup(void **state);
int teardown(void **state);

/* Path under the state directory (one static buffer per slot, 0 to 3). */
const char *sp(const struct fixture *fx, int slot, const char *rel);

/* Mode bits of path (not followed), or -1. */
int mode_of(const char *path);

/* Whether path exists (a dangling link counts). */
int exists(const char *path);

/* Whole contents of path (static buffer), or "" if unreadable. */
const char *contents(const char *path);

/* Writes text as path (fails the test if it cannot). */
void put(const char *path, const char *text);

/* Entries of dir whose names start with prefix ("" counts everything but . and ..). */
int count_entries(const char *dir, const char *prefix);

/* A certificate set whose every file says which install it came from. */
struct set {
	char cert[64], chain[64], full[128], key[64];
	struct ck_cert_files f;
};

/* Fills s with set n, key file key_name; returns its files. */
const struct ck_cert_files *make_set(struct set *s, int n, const char *key_name);

/* Installs set n and returns its version name (malloc'd). */
char *install(struct fixture *fx, int n);

/* Lowers RLIMIT_FSIZE so that writes past limit fail with EFBIG (root is not exempt). */
void limit_file_size(rlim_t limit, struct rlimit *saved);

/* Path of file in url's account directory, its ID computed here independently of the store. */
void account_path(const struct fixture *fx, const char *url, const char *file, char *out,
    size_t outlen);

#endif
