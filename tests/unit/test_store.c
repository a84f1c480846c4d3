/*
 * test_store.c: the on-disk store (src/store/): atomic files, versioned
 * certificate installs with current/previous links, rollback, accounts per
 * ACME directory (key files named by content, the stored URL checked like
 * server input), the run lock, the outcome record read back fail-closed,
 * and key buffers cleared before they are freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"

#define NAME "www"

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

struct fixture {
	char tmp[256];
	char state[512];
	struct ck_store *st;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *t = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/ck-store-XXXXXX", t != NULL && *t ? t : "/tmp");
	if (mkdtemp(fx->tmp) == NULL)
		return -1;
	/* Nested and missing: ck_store_open must create both levels. */
	snprintf(fx->state, sizeof(fx->state), "%s/var/state", fx->tmp);
	if (ck_store_open(fx->state, &fx->st) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	ck_store_close(fx->st);
	ck_test_rm_rf(fx->tmp);
	free(fx);
	return 0;
}

/* Path under the state directory (one static buffer per slot). */
static const char *
sp(const struct fixture *fx, int slot, const char *rel)
{
	static char buf[4][1024];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", fx->state, rel);
	return buf[slot];
}

static int
mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return -1;
	return (int)(sb.st_mode & 07777);
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* The target of symlink path, or "" if it is not one. */
static const char *
link_of(const char *path)
{
	static char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Whole contents of path (static buffer), or "" if unreadable. */
static const char *
contents(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Entries of dir whose names start with prefix ("" counts everything but . and ..). */
static int
count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
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

/* A certificate set whose every file says which install it came from. */
struct set {
	char cert[64], chain[64], full[128], key[64];
	struct ck_cert_files f;
};

static const struct ck_cert_files *
make_set(struct set *s, int n, const char *key_name)
{
	snprintf(s->cert, sizeof(s->cert), "cert-%d\n", n);
	snprintf(s->chain, sizeof(s->chain), "chain-%d\n", n);
	snprintf(s->full, sizeof(s->full), "cert-%d\nchain-%d\n", n, n);
	snprintf(s->key, sizeof(s->key), "key-%d\n", n);
	s->f.cert = s->cert;
	s->f.cert_len = strlen(s->cert);
	s->f.chain = s->chain;
	s->f.chain_len = strlen(s->chain);
	s->f.fullchain = s->full;
	s->f.fullchain_len = strlen(s->full);
	s->f.key = s->key;
	s->f.key_len = strlen(s->key);
	s->f.key_name = key_name;
	return &s->f;
}

/* Installs set n and returns its version name (malloc'd). */
static char *
install(struct fixture *fx, int n)
{
	struct set s;
	char *v = NULL;

	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, n, "key.pem"), &v), 0);
	assert_non_null(v);
	return v;
}

/* Lowers RLIMIT_FSIZE so that writes past limit fail with EFBIG (root is not exempt). */
static void
limit_file_size(rlim_t limit, struct rlimit *saved)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, saved), 0);
	rl = *saved;
	rl.rlim_cur = limit;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* The state directory is created, nested, and private: else keys could be exposed. */
static void
test_open_private(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mode_of(fx->state), 0700);
	assert_string_equal(ck_store_dir(fx->st), fx->state);
	assert_int_equal(umask(077), 077);
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

/*
 * write_file and replace_file (which skips only the directory's fsync)
 * replace the whole file with the given mode and leave no temporary file.
 */
static void
test_write_file(void **state)
{
	static int (*const writers[])(const char *, const void *, size_t, int) = {
		ck_store_write_file, ck_store_replace_file
	};
	struct fixture *fx = *state;
	const char *path = sp(fx, 0, "f.txt");
	struct rlimit saved;
	char *big;
	size_t i;
	int rc;

	big = calloc(1, 65536);
	assert_non_null(big);
	for (i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		assert_int_equal(unlink(path) == 0 || errno == ENOENT, 1);
		assert_int_equal(writers[i](path, "one, longer\n", 12, 0644), 0);
		assert_int_equal(mode_of(path), 0644);
		assert_int_equal(writers[i](path, "two\n", 4, 0640), 0);
		assert_string_equal(contents(path), "two\n");
		assert_int_equal(mode_of(path), 0640);
		assert_int_equal(count_entries(fx->state, ""), 1);
		/* A failed write keeps the old file and removes its temporary file. */
		limit_file_size(4096, &saved);
		rc = writers[i](path, big, 65536, 0600);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
		assert_int_equal(rc, -1);
		assert_string_equal(contents(path), "two\n");
		assert_int_equal(count_entries(fx->state, ""), 1);
		/* No directory to write into. */
		assert_int_equal(writers[i](sp(fx, 1, "missing/f"), "x", 1, 0600), -1);
	}
	free(big);
}

/* read_file caps the size, NUL-terminates and says 1 for a missing file. */
static void
test_read_file(void **state)
{
	struct fixture *fx = *state;
	const char *path = sp(fx, 0, "r.txt");
	char text[101], *buf = NULL;
	size_t len = 0;

	memset(text, 'x', 100);
	text[100] = '\0';
	put(path, text);
	assert_int_equal(ck_store_read_file(path, 99, &buf, &len), -1);
	assert_null(buf);
	assert_non_null(strstr(ck_last_error(), "larger than 99 bytes"));
	assert_int_equal(ck_store_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, 100);
	assert_int_equal(buf[100], '\0');
	assert_memory_equal(buf, text, 100);
	free(buf);
	buf = NULL;
	assert_int_equal(ck_store_read_file(sp(fx, 1, "none"), 100, &buf, &len), 1);
	assert_null(buf);
	assert_int_equal(ck_store_read_file(fx->state, 100, &buf, &len), -1);	/* a directory */
}

/* Path of file in url's account directory, its ID computed here independently of the store. */
static void
account_path(const struct fixture *fx, const char *url, const char *file, char *out, size_t outlen)
{
	unsigned char md[32];
	unsigned int mdlen = 0, i;
	char id[17];

	assert_int_equal(EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	snprintf(out, outlen, "%s/accounts/%s%s%s", fx->state, id, *file ? "/" : "", file);
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

/* A second store on the same directory cannot take the lock; readers need none. */
static void
test_lock(void **state)
{
	struct fixture *fx = *state;
	struct ck_store *other = NULL;
	struct ck_attempt a = { 0 };

	assert_int_equal(ck_store_open(fx->state, &other), 0);
	assert_int_equal(ck_store_lock(fx->st), 0);
	assert_int_equal(ck_store_lock(fx->st), 0);	/* already ours */
	assert_int_equal(mode_of(sp(fx, 0, "lock")), 0600);
	assert_int_equal(ck_store_lock(other), 1);
	assert_non_null(strstr(ck_last_error(), "another certkeeper run holds"));
	assert_non_null(strstr(ck_last_error(), "/lock"));
	/* Reading during someone else's run. */
	assert_int_equal(ck_store_load_attempt(other, NAME, &a), 0);
	assert_int_equal(a.when, 0);
	ck_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(ck_store_lock(other), 0);
	ck_store_close(other);
}

/*
 * Waiting for the lock: free, it is taken without a wait; held by another
 * store, every try fails until max_ms, one each CK_STORE_LOCK_POLL_MS, and
 * the error says so; a stop during the wait ends it at once.
 */
static void
test_lock_wait(void **state)
{
	struct fixture *fx = *state;
	struct ck_store *other = NULL;
	struct ck_clock *c = ck_clock_fake_new(1700000000000LL);

	assert_int_equal(ck_store_open(fx->state, &other), 0);
	assert_int_equal(ck_store_lock_wait(fx->st, c, 1000), 0);
	assert_int_equal(ck_clock_fake_waits(c), 0);

	ck_clear_error();
	assert_int_equal(ck_store_lock_wait(other, c, 1000), 1);
	assert_int_equal(ck_clock_fake_waits(c), 1000 / CK_STORE_LOCK_POLL_MS);
	assert_int_equal(ck_clock_now_ms(c), 1700000001000LL);
	assert_non_null(strstr(ck_last_error(), "another certkeeper run holds"));
	assert_non_null(strstr(ck_last_error(), "/lock: gave up after 1 s"));

	ck_clear_error();
	ck_clock_fake_set_stop_at(c, 1700000001250LL);
	assert_int_equal(ck_store_lock_wait(other, c, 30000), 2);
	assert_true(ck_stop_requested());
	assert_int_equal(ck_clock_now_ms(c), 1700000001250LL);
	assert_string_equal(ck_last_error(), "");	/* a stop is no error */
	ck_stop_reset();

	/* Once its holder has let go, it is taken at the first try, with no wait. */
	ck_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(ck_store_lock_wait(other, c, 1000), 0);
	assert_int_equal(ck_clock_fake_waits(c), 1000 / CK_STORE_LOCK_POLL_MS + 3);
	ck_store_close(other);
	ck_clock_free(c);
}

/* The last attempt round-trips, with an RFC 3339 UTC time and null for no error. */
static void
test_attempt_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a = { .when = 1700000000, .result = (char *)"failure",
	    .error = (char *)"order invalid: \"x\"\n", .retry_after = -1 };
	struct ck_attempt b = { 0 };
	const char *text;

	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 0);
	assert_null(b.result);
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/status.json")), 0600);
	assert_non_null(strstr(contents(sp(fx, 0, "certs/" NAME "/status.json")),
	    "\"2023-11-14T22:13:20Z\""));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 1700000000);
	assert_string_equal(b.result, "failure");
	assert_string_equal(b.error, "order invalid: \"x\"\n");
	ck_attempt_clear(&b);
	a.result = (char *)"success";
	a.error = NULL;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	text = contents(sp(fx, 0, "certs/" NAME "/status.json"));
	assert_non_null(strstr(text, "\"error\": null"));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_string_equal(b.result, "success");
	assert_null(b.error);
	ck_attempt_clear(&b);
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), "."), 0);
}

/* A corrupt status.json is an error naming the file, never a crash or a made-up attempt. */
static void
test_attempt_corrupt(void **state)
{
	static const char *const bad[] = {
		"{not json",
		"[]",
		"{}",
		"{\"when\": 5}",
		"{\"when\": \"2023-02-30T00:00:00Z\"}",
		"{\"when\": \"2023-11-14 22:13:20\"}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"result\": 5}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"error\": {}}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"when\": \"2023-11-14T22:13:20Z\"}",
	};
	struct fixture *fx = *state;
	struct ck_attempt a;
	size_t i;

	assert_int_equal(mkdir(sp(fx, 0, "certs"), 0700), 0);
	assert_int_equal(mkdir(sp(fx, 0, "certs/" NAME), 0755), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(sp(fx, 0, "certs/" NAME "/status.json"), bad[i]);
		ck_clear_error();
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
		assert_non_null(strstr(ck_last_error(), "status.json"));
		assert_int_equal(a.when, 0);
		assert_null(a.result);
		assert_null(a.error);
	}
	put(sp(fx, 0, "certs/" NAME "/status.json"),
	    "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"success\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(a.when, 1700000000);
	ck_attempt_clear(&a);
}

/* Writes text as certs/NAME/status.json, making the directories. */
static void
put_status(const struct fixture *fx, const char *text)
{
	mkdir(sp(fx, 0, "certs"), 0700);
	mkdir(sp(fx, 0, "certs/" NAME), 0755);
	put(sp(fx, 0, "certs/" NAME "/status.json"), text);
}

/* Every member of the outcome record round-trips, as JSON members named for what they hold. */
static void
test_attempt_every_field(void **state)
{
	static const char *const results[] = { "success", "failure", "interrupted", "rolled-back" };
	static const char *const classes[] = { "config", "network", "tls", "ca", "validation",
	    "tpm", "store", "check", "hook", "interrupted", "internal" };
	struct fixture *fx = *state;
	struct ck_attempt a, b;
	const char *text;
	size_t i;

	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"failure";
	a.error_class = (char *)"ca";
	a.problem = (char *)"rateLimited";
	a.error = (char *)"too many certificates\nfor this name";
	a.retry_after = 3600;
	a.serial = (char *)"3f00a1b2";
	a.not_before = 1690000000;
	a.not_after = 1697776000;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	text = contents(sp(fx, 0, "certs/" NAME "/status.json"));
	assert_non_null(strstr(text, "\"error_class\": \"ca\""));
	assert_non_null(strstr(text, "\"problem\": \"rateLimited\""));
	assert_non_null(strstr(text, "\"retry_after\": 3600"));
	assert_non_null(strstr(text, "\"serial\": \"3f00a1b2\""));
	assert_non_null(strstr(text, "\"not_before\": \"2023-07-22T04:26:40Z\""));
	assert_non_null(strstr(text, "\"not_after\": \"2023-10-20T04:26:40Z\""));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 1700000000);
	assert_string_equal(b.result, "failure");
	assert_string_equal(b.error_class, "ca");
	assert_string_equal(b.problem, "rateLimited");
	assert_string_equal(b.error, "too many certificates\nfor this name");
	assert_int_equal(b.retry_after, 3600);
	assert_string_equal(b.serial, "3f00a1b2");
	assert_int_equal(b.not_before, 1690000000);
	assert_int_equal(b.not_after, 1697776000);
	ck_attempt_clear(&b);
	assert_int_equal(b.retry_after, -1);
	assert_null(b.serial);
	/* Every word of both lists is accepted; unset members come back unset. */
	ck_attempt_init(&a);
	a.when = 1700000000;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		a.result = (char *)results[i % 4];
		a.error_class = (char *)classes[i];
		assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
		assert_string_equal(b.result, results[i % 4]);
		assert_string_equal(b.error_class, classes[i]);
		assert_null(b.problem);
		assert_null(b.error);
		assert_int_equal(b.retry_after, -1);
		assert_null(b.serial);
		assert_int_equal(b.not_before, 0);
		assert_int_equal(b.not_after, 0);
		ck_attempt_clear(&b);
	}
	a.result = NULL;
	a.error_class = NULL;
	a.retry_after = 0;	/* "retry at once" is not "no hint" */
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_null(b.result);
	assert_int_equal(b.retry_after, 0);
	ck_attempt_clear(&b);
}

/* A record written before the outcome members existed still loads, with them unset. */
static void
test_attempt_old_format(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a;

	put_status(fx, "{\n  \"when\": \"2023-11-14T22:13:20Z\",\n  \"result\": \"failure\",\n"
	    "  \"error\": \"order invalid: \\\"x\\\"\"\n}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(a.when, 1700000000);
	assert_string_equal(a.result, "failure");
	assert_string_equal(a.error, "order invalid: \"x\"");
	assert_null(a.error_class);
	assert_null(a.problem);
	assert_int_equal(a.retry_after, -1);
	assert_null(a.serial);
	assert_int_equal(a.not_before, 0);
	assert_int_equal(a.not_after, 0);
	ck_attempt_clear(&a);
	/* Members a later version may add are no reason to refuse the record. */
	put_status(fx, "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"success\", "
	    "\"failures\": 3, \"next_attempt\": \"2023-11-15T00:00:00Z\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_string_equal(a.result, "success");
	ck_attempt_clear(&a);
}

/*
 * A member of the wrong type or outside its range makes the whole record corrupt:
 * reported naming the file and the member, and loaded as no record, never half of one.
 */
static void
test_attempt_corrupt_members(void **state)
{
	static const struct {
		const char *member, *json;
	} bad[] = {
		{ "result", "\"result\": \"succes\"" },
		{ "result", "\"result\": \"SUCCESS\"" },
		{ NULL, "\"result\": \"success\\u0000\"" },	/* jansson refuses it */
		{ "result", "\"result\": [\"success\"]" },
		{ "error_class", "\"error_class\": \"dns\"" },
		{ "error_class", "\"error_class\": 7" },
		{ "error_class", "\"error_class\": \"\"" },
		{ "problem", "\"problem\": 429" },
		{ "error", "\"error\": true" },
		{ "retry_after", "\"retry_after\": -1" },
		{ "retry_after", "\"retry_after\": 86401" },
		{ "retry_after", "\"retry_after\": 60.5" },
		{ "retry_after", "\"retry_after\": \"60\"" },
		{ NULL, "\"retry_after\": 99999999999999999999" },	/* so does it */
		{ "serial", "\"serial\": \"3f:00\"" },
		{ "serial", "\"serial\": \"\"" },
		{ "serial", "\"serial\": 1234" },
		{ "not_before", "\"not_before\": 1700000000" },
		{ "not_before", "\"not_before\": \"2023-11-14T22:13:20+01:00\"" },
		{ "not_after", "\"not_after\": \"2023-13-01T00:00:00Z\"" },
		{ "not_after", "\"not_after\": {}" },
	};
	struct fixture *fx = *state;
	struct ck_attempt a;
	char text[512], want[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"when\": \"2023-11-14T22:13:20Z\", "
		    "\"error\": \"kept?\", \"serial\": \"01\", %s}", bad[i].json);
		if (bad[i].member != NULL && (strcmp(bad[i].member, "serial") == 0 ||
		    strcmp(bad[i].member, "error") == 0))
			snprintf(text, sizeof(text), "{\"when\": \"2023-11-14T22:13:20Z\", "
			    "\"result\": \"failure\", %s}", bad[i].json);
		put_status(fx, text);
		ck_clear_error();
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
		assert_non_null(strstr(ck_last_error(), "/certs/" NAME "/status.json is corrupt"));
		snprintf(want, sizeof(want), "\"%s\"", bad[i].member != NULL ? bad[i].member : "");
		if (bad[i].member != NULL)
			assert_non_null(strstr(ck_last_error(), want));
		assert_int_equal(a.when, 0);
		assert_null(a.result);
		assert_null(a.error);
		assert_null(a.serial);
		assert_int_equal(a.retry_after, -1);
	}
}

/* Text from a file is made safe to print and cut; a file too big to be ours is corrupt. */
static void
test_attempt_hostile_text(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a;
	char *text, *huge;
	size_t n = 5000, i;

	put_status(fx, "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"failure\", "
	    "\"error\": \"bad\\u001b]0;owned\\u0007\\u001b[2J\\r\\nline\\ttab \\u00e9 \\u007f\", "
	    "\"problem\": \"rate\\u001bLimited\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_string_equal(a.error, "bad?]0;owned??[2J?\nline\ttab ?? ?");
	assert_string_equal(a.problem, "rate?Limited");
	ck_attempt_clear(&a);
	/* A huge string is cut to CK_ATTEMPT_TEXT_MAX bytes. */
	text = malloc(n + 200);
	assert_non_null(text);
	i = (size_t)snprintf(text, 200, "{\"when\": \"2023-11-14T22:13:20Z\", \"error\": \"");
	memset(text + i, 'E', n);
	strcpy(text + i + n, "\"}");
	put_status(fx, text);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(strlen(a.error), CK_ATTEMPT_TEXT_MAX);
	assert_int_equal(a.error[0], 'E');
	ck_attempt_clear(&a);
	free(text);
	/* A file larger than any record the store writes is not read at all. */
	n = 100000;
	huge = malloc(n + 200);
	assert_non_null(huge);
	i = (size_t)snprintf(huge, 200, "{\"when\": \"2023-11-14T22:13:20Z\", \"error\": \"");
	memset(huge + i, 'E', n);
	strcpy(huge + i + n, "\"}");
	put_status(fx, huge);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
	assert_non_null(strstr(ck_last_error(), "status.json is larger than"));
	assert_null(a.error);
	/* What is saved is made safe and cut the same way, so it reads back as written. */
	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"failure";
	a.error = huge + i;
	huge[i + 3] = '\x1b';
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_null(strchr(contents(sp(fx, 0, "certs/" NAME "/status.json")), '\x1b'));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(strlen(a.error), CK_ATTEMPT_TEXT_MAX);
	assert_memory_equal(a.error, "EEE?EE", 6);
	ck_attempt_clear(&a);
	free(huge);
}

/* The saver refuses what the loader would refuse, and keeps the record it had. */
static void
test_attempt_save_refused(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a, b;
	const char *path = sp(fx, 2, "certs/" NAME "/status.json");
	char *before;

	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"success";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_non_null(before = strdup(contents(path)));
	a.result = (char *)"ok";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	a.result = (char *)"failure";
	a.error_class = (char *)"dns";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	a.error_class = NULL;
	a.serial = (char *)"3f:00";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	assert_non_null(strstr(ck_last_error(), "status.json"));
	assert_string_equal(contents(path), before);
	free(before);
	/* A longer wait than the loader takes is kept as the longest; a negative one as none. */
	a.serial = NULL;
	a.retry_after = 7 * 86400;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.retry_after, CK_ATTEMPT_RETRY_MAX);
	ck_attempt_clear(&b);
	a.retry_after = -5;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_non_null(strstr(contents(path), "\"retry_after\": null"));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.retry_after, -1);
	ck_attempt_clear(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_private, setup, teardown),
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
		cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
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
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_old_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_corrupt_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_save_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
