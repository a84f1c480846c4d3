/*
 * test_pending.c: the record of an order to resume (store/pending.c).
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

#include "certkeeper/store/file.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/util/log.h"

#define DIRURL "https://ca.test/dir"
#define URL "https://ca.test/order/1"
#define KEY "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n"
#define TSS2 "-----BEGIN TSS2 PRIVATE KEY-----\nMIIB\n-----END TSS2 PRIVATE KEY-----\n"

struct fx {
	char dir[64];
	struct ck_store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ck-pending.XXXXXX");
	if (mkdtemp(f->dir) == NULL || ck_store_open(f->dir, &f->st) != 0)
		return -1;
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

/* Writes text to STATE/pending/NAME/FILE. */
static void
put(struct fx *f, const char *file, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pending/dev/%s", f->dir, file);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* Broken if a recorded order does not come back whole, or clearing leaves it there. */
static void
test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct ck_pending_order p;
	char path[256];
	struct stat st;

	assert_int_equal(ck_store_pending_exists(f->st, "dev"), 0);
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), 1);
	assert_int_equal(ck_store_pending_save(f->st, "dev", DIRURL, URL, KEY, strlen(KEY),
	    1700000000), 0);
	assert_int_equal(ck_store_pending_exists(f->st, "dev"), 1);
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), 0);
	assert_string_equal(p.directory, DIRURL);
	assert_string_equal(p.url, URL);
	assert_int_equal(p.created, 1700000000);
	assert_int_equal(p.key_len, strlen(KEY));
	assert_memory_equal(p.key, KEY, p.key_len);
	ck_pending_order_clear(&p);
	snprintf(path, sizeof(path), "%s/pending/dev/key.pem", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A TPM key replaces a software one under its own name, never beside it. */
	assert_int_equal(ck_store_pending_save(f->st, "dev", DIRURL, URL, TSS2, strlen(TSS2),
	    1700000001), 0);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), 0);
	assert_memory_equal(p.key, TSS2, p.key_len);
	ck_pending_order_clear(&p);
	assert_int_equal(ck_store_pending_clear(f->st, "dev"), 0);
	assert_int_equal(ck_store_pending_exists(f->st, "dev"), 0);
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), 1);
	/* Clearing nothing is fine. */
	assert_int_equal(ck_store_pending_clear(f->st, "dev"), 0);
}

/* Broken if a record that is not what save writes is taken (a URL from a corrupt file, say). */
static void
test_corrupt(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{\"url\": 5}",
		"{\"directory\": \"" DIRURL "\", \"url\": \"http://ca.test/o\", \"created\": "
		    "\"2026-01-01T00:00:00Z\"}",
		"{\"directory\": \"" DIRURL "\", \"url\": \"https://ca.test/o\\u001b[2J\", "
		    "\"created\": \"2026-01-01T00:00:00Z\"}",
		"{\"directory\": \"" DIRURL "\", \"url\": \"" URL "\", \"created\": \"yesterday\"}",
		"{\"url\": \"" URL "\", \"created\": \"2026-01-01T00:00:00Z\"}",
	};
	struct fx *f = *state;
	struct ck_pending_order p;
	char path[256];
	size_t i;

	assert_int_equal(ck_store_pending_save(f->st, "dev", DIRURL, URL, KEY, strlen(KEY), 1), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(f, "order.json", bad[i]);
		ck_clear_error();
		if (ck_store_pending_load(f->st, "dev", &p) != -1)
			fail_msg("record %zu was taken: %s", i, bad[i]);
		assert_null(p.url);
		assert_null(p.key);
	}
	/* A record whose key went missing. */
	put(f, "order.json", "{\"directory\": \"" DIRURL "\", \"url\": \"" URL "\", \"created\": "
	    "\"2026-01-01T00:00:00Z\"}");
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), 0);
	ck_pending_order_clear(&p);
	snprintf(path, sizeof(path), "%s/pending/dev/key.pem", f->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ck_store_pending_load(f->st, "dev", &p), -1);
	assert_non_null(strstr(ck_last_error(), "key is missing"));
	/* Refused at the source: a URL that is not https, a name that is not one. */
	assert_int_equal(ck_store_pending_save(f->st, "dev", DIRURL, "http://x/o", KEY,
	    strlen(KEY), 1), -1);
	assert_int_equal(ck_store_pending_save(f->st, "../x", DIRURL, URL, KEY, strlen(KEY), 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
