/*
 * test_log.c: what the log writes: every byte printable, and under
 * journald the "<N>" priority prefix instead of the program name.
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

#include "certkeeper/util/log.h"

/* Runs fn with stderr in a temporary file; returns what it wrote (malloc'd). */
static char *
captured(void (*fn)(void), int journal)
{
	char path[] = "/tmp/ck-log.XXXXXX", env[64], *buf;
	struct stat st;
	int fd, saved;
	FILE *f;

	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(2)) >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	assert_int_equal(fstat(2, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	if (journal)
		assert_int_equal(setenv("JOURNAL_STREAM", env, 1), 0);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_non_null(buf = calloc(1, (size_t)st.st_size + 1));
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	unlink(path);
	return buf;
}

static void
log_lines(void)
{
	ck_info("renewed %s", "device");
	ck_warn("server said \033[2J\r\nFAKE");
	ck_error("failed");
}

/* Broken if journald gets no priority prefix (every line would be "info") or the name twice. */
static void
test_journal_prefix(void **state)
{
	char *out = captured(log_lines, 1);

	assert_string_equal(out, "<6>info: renewed device\n<4>warning: server said ?[2J??FAKE\n"
	    "<3>error: failed\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
