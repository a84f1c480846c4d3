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

#include "helpers.h"

#include "certkeeper/util/log.h"

static void
log_lines(void)
{
	ck_info("renewed %s", "device");
	ck_warn("server said \033[2J\r\nFAKE");
	ck_error("failed");
}

/* Points JOURNAL_STREAM at the stderr it runs with, as systemd does, then logs. */
static void
log_to_journal(void)
{
	char env[64];
	struct stat st;

	assert_int_equal(fstat(2, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	assert_int_equal(setenv("JOURNAL_STREAM", env, 1), 0);
	log_lines();
}

/* Broken if journald gets no priority prefix (every line would be "info") or the name twice. */
static void
test_journal_prefix(void **state)
{
	char *out = ck_test_capture_stderr(log_to_journal);

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
