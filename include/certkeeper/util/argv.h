/*
 * util/argv.h: a command line split into words by certkeeper itself, so
 * that a hook is run without a shell unless the operator writes one
 * (/bin/sh -c '...').
 *
 * Words are separated by blanks (space, tab).  '...' keeps everything up
 * to the next ' as it is; "..." does too, except that \" and \\ stand for
 * " and \; outside quotes a backslash makes the next character literal.
 * Quoted and unquoted parts of one word join ("a"'b'c is abc; '' is an
 * empty word).  Nothing is expanded: no variables, no globs, no ~.
 */
#ifndef CERTKEEPER_UTIL_ARGV_H
#define CERTKEEPER_UTIL_ARGV_H

#include <stddef.h>

/*
 * Splits command into *argv (malloc'd, NULL-terminated; free with
 * ck_argv_free).  Returns 0, or -1 with *why set to a static phrase
 * ("unterminated single quote", "empty command", "out of memory", ...)
 * and *argv NULL; nothing is reported, so that the caller can say where.
 */
int ck_argv_split(const char *command, char ***argv, const char **why);

/* The number of words of argv (NULL: 0). */
size_t ck_argv_count(char *const *argv);

/* Frees what ck_argv_split made; NULL is fine. */
void ck_argv_free(char **argv);

#endif
