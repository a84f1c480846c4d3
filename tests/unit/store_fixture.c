/*
 * tests/unit/store_fixture.c: the state directory, paths, files and
 * certificate sets the store's unit tests share (see store_fixture.h).
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
#include "store_fixture.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "certkeeper/store/file.h"
#include "certkeeper/store/versions.h"

int
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

int
teardown(void **state)
{
	struct fixture *fx = *state;

	ck_store_close(fx->st);
	ck_test_rm_rf(fx->tmp);
	free(fx);
	return 0;
}

/* Path under the state directory (one static buffer per slot). */
const char *
sp(const struct fixture *fx, int slot, const char *rel)
{
	static char buf[4][1024];

	snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", fx->state, rel);
	return buf[slot];
}

int
mode_of(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == -1)
		return -1;
	return (int)(sb.st_mode & 07777);
}

int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Whole contents of path (static buffer), or "" if unreadable. */
const char *
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

void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Entries of dir whose names start with prefix ("" counts everything but . and ..). */
int
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

const struct ck_cert_files *
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
char *
install(struct fixture *fx, int n)
{
	struct set s;
	char *v = NULL;

	assert_int_equal(ck_store_install(fx->st, NAME, make_set(&s, n, "key.pem"), &v), 0);
	assert_non_null(v);
	return v;
}

/* Lowers RLIMIT_FSIZE so that writes past limit fail with EFBIG (root is not exempt). */
void
limit_file_size(rlim_t limit, struct rlimit *saved)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, saved), 0);
	rl = *saved;
	rl.rlim_cur = limit;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* Path of file in url's account directory, its ID computed here independently of the store. */
void
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
