/*
 * util/argv.c: splitting a command line into words (see util/argv.h).
 *
 * One pass over the text with a three-state scanner (outside quotes, in
 * '...', in "..."); each word is built in a buffer as long as the command,
 * which no word can outgrow.
 */
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/argv.h"

enum scan { BARE, SINGLE, DOUBLE };

/* Appends word (a copy of len bytes) to *argv of *n words; -1 when out of memory. */
static int
push_word(char ***argv, size_t *n, const char *word, size_t len)
{
	char **grown, *copy;

	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, word, len);
	copy[len] = '\0';
	if ((grown = realloc(*argv, (*n + 2) * sizeof(*grown))) == NULL) {
		free(copy);
		return -1;
	}
	*argv = grown;
	grown[(*n)++] = copy;
	grown[*n] = NULL;
	return 0;
}

int
ck_argv_split(const char *command, char ***argv, const char **why)
{
	enum scan st = BARE;
	char **words = NULL, *buf = NULL;
	const char *s;
	size_t n = 0, len = 0;
	int inword = 0, rc = -1;

	*argv = NULL;
	*why = "out of memory";
	if ((buf = malloc(strlen(command) + 1)) == NULL)
		goto out;
	for (s = command; *s != '\0'; s++) {
		switch (st) {
		case BARE:
			if (*s == ' ' || *s == '\t') {
				if (inword && push_word(&words, &n, buf, len) != 0)
					goto out;
				inword = 0;
				len = 0;
				continue;
			}
			inword = 1;
			if (*s == '\'')
				st = SINGLE;
			else if (*s == '"')
				st = DOUBLE;
			else if (*s == '\\') {
				if (s[1] == '\0') {
					*why = "backslash at the end of the command";
					goto out;
				}
				buf[len++] = *++s;
			} else
				buf[len++] = *s;
			break;
		case SINGLE:
			if (*s == '\'')
				st = BARE;
			else
				buf[len++] = *s;
			break;
		case DOUBLE:
			if (*s == '"')
				st = BARE;
			else if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				buf[len++] = *++s;
			else
				buf[len++] = *s;
			break;
		}
	}
	if (st != BARE) {
		*why = st == SINGLE ? "unterminated single quote" : "unterminated double quote";
		goto out;
	}
	if (inword && push_word(&words, &n, buf, len) != 0)
		goto out;
	if (n == 0) {
		*why = "empty command";
		goto out;
	}
	*argv = words;
	words = NULL;
	*why = NULL;
	rc = 0;
out:
	ck_argv_free(words);
	free(buf);
	return rc;
}

size_t
ck_argv_count(char *const *argv)
{
	size_t n = 0;

	while (argv != NULL && argv[n] != NULL)
		n++;
	return n;
}

void
ck_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}
