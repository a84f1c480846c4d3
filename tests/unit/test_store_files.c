/*
 * test_store_files.c: the store's own files (src/store/file.c): the state
 * directory created nested and private, files written atomically and read
 * with a size cap, and the run lock, taken at once or waited for.
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

#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"

/* The state directory is created, nested, and private: else keys could be exposed. */
static void
test_open_private(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mode_of(fx->state), 0700);
	assert_string_equal(ck_store_dir(fx->st), fx->state);
	assert_int_equal(umask(077), 077);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_wait, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
