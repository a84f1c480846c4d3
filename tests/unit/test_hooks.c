/*
 * test_hooks.c: deploy and verify hooks: the command splitter
 * (util/argv.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "certkeeper/util/argv.h"

/* --- the splitter ----------------------------------------------------------- */

/* Splits command and checks it gives exactly the words of want (NULL-terminated). */
static void
expect_words(const char *command, const char *const *want)
{
	const char *why = "unset";
	char **argv = NULL;
	size_t i;

	if (ck_argv_split(command, &argv, &why) != 0)
		fail_msg("<%s>: refused: %s", command, why);
	for (i = 0; want[i] != NULL; i++) {
		if (argv[i] == NULL)
			fail_msg("<%s>: word %zu missing (want <%s>)", command, i, want[i]);
		if (strcmp(argv[i], want[i]) != 0)
			fail_msg("<%s>: word %zu is <%s>, want <%s>", command, i, argv[i], want[i]);
	}
	if (argv[i] != NULL)
		fail_msg("<%s>: extra word <%s>", command, argv[i]);
	assert_int_equal(ck_argv_count(argv), i);
	ck_argv_free(argv);
}

/* Broken: blanks not separating words, or runs of them making empty words. */
static void
test_split_blanks(void **state)
{
	expect_words("/bin/true", (const char *[]){ "/bin/true", NULL });
	expect_words("/usr/bin/systemctl reload nginx",
	    (const char *[]){ "/usr/bin/systemctl", "reload", "nginx", NULL });
	expect_words("  /a \t b\t\tc   ", (const char *[]){ "/a", "b", "c", NULL });
	expect_words("/a,b;c|d&e", (const char *[]){ "/a,b;c|d&e", NULL });
}

/* Broken: quotes not grouping, joining, or keeping what is inside as written. */
static void
test_split_quotes(void **state)
{
	expect_words("/bin/sh -c 'echo a b; exit 3'",
	    (const char *[]){ "/bin/sh", "-c", "echo a b; exit 3", NULL });
	expect_words("/x \"two words\" 'it''s'", (const char *[]){ "/x", "two words", "its", NULL });
	expect_words("/x \"a\"'b'c", (const char *[]){ "/x", "abc", NULL });
	expect_words("/x '' \"\"", (const char *[]){ "/x", "", "", NULL });
	expect_words("/x 'say \"hi\"' \"it's\"", (const char *[]){ "/x", "say \"hi\"", "it's", NULL });
	/* In single quotes a backslash is an ordinary character. */
	expect_words("/x 'a\\b' 'c\\'", (const char *[]){ "/x", "a\\b", "c\\", NULL });
}

/* Broken: backslash escapes (outside quotes: any character; in "...": only " and \). */
static void
test_split_escapes(void **state)
{
	expect_words("/x a\\ b \\'c\\' \\\\", (const char *[]){ "/x", "a b", "'c'", "\\", NULL });
	expect_words("/x \"a\\\"b\" \"c\\\\d\" \"e\\nf\"",
	    (const char *[]){ "/x", "a\"b", "c\\d", "e\\nf", NULL });
	expect_words("/x \\\t", (const char *[]){ "/x", "\t", NULL });
}

/* Broken: something expanded that the operator wrote literally. */
static void
test_split_no_expansion(void **state)
{
	expect_words("/x $HOME ${PATH} * ~ `id` $(id)",
	    (const char *[]){ "/x", "$HOME", "${PATH}", "*", "~", "`id`", "$(id)", NULL });
}

/* Broken: a malformed command accepted, or refused without saying why. */
static void
test_split_errors(void **state)
{
	static const struct {
		const char *command;
		const char *why;
	} bad[] = {
		{ "", "empty command" },
		{ "   \t ", "empty command" },
		{ "/x 'abc", "unterminated single quote" },
		{ "/x \"abc", "unterminated double quote" },
		{ "/x \"a\\\"", "unterminated double quote" },
		{ "/x 'a\"b", "unterminated single quote" },
		{ "/x a\\", "backslash at the end of the command" },
	};
	const char *why;
	char **argv;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv = (char **)&why;	/* must be reset to NULL */
		why = NULL;
		assert_int_equal(ck_argv_split(bad[i].command, &argv, &why), -1);
		assert_null(argv);
		assert_non_null(why);
		if (strcmp(why, bad[i].why) != 0)
			fail_msg("<%s>: why is <%s>, want <%s>", bad[i].command, why, bad[i].why);
	}
	ck_argv_free(NULL);
	assert_int_equal(ck_argv_count(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_escapes),
		cmocka_unit_test(test_split_no_expansion),
		cmocka_unit_test(test_split_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
