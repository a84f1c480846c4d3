/*
 * test_manpage.c: certkeeper.conf(5) (man/certkeeper.conf.5) documents the
 * key tables of src/config/{acme,telemetry,cert}.c as they are: each key of
 * each section is an ".It Cm KEY" item of that section's ".Ss [SECTION]"
 * list, with a "Default: VALUE" line when the table applies a default, and
 * the page lists no key the tables do not have.  A key added to a table
 * without its entry in the man page fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/config/config.h"
#include "../../src/config/internal.h"

#define MAX_ITEMS 64

/* One ".It Cm KEY" of a section's top-level list, with the text up to the next item. */
struct item {
	char key[64];
	char text[4096];
};

struct page_section {
	struct item items[MAX_ITEMS];
	size_t nitems;
};

static const char *
top_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

/* True when line is the ".Ss" heading of sd: "[name]", or "[name" NAME "]" for a named one. */
static int
is_heading(const char *line, const struct section_def *sd)
{
	size_t n = strlen(sd->name);

	if (strncmp(line, ".Ss [", 5) != 0 || strncmp(line + 5, sd->name, n) != 0)
		return 0;
	return sd->named || line[5 + n] == ']';
}

/* Reads the items of sd's list from the man page into ps; returns 0 if the heading was found. */
static int
read_section(const char *path, const struct section_def *sd, struct page_section *ps)
{
	char line[1024];
	struct item *cur = NULL;
	int in = 0, found = 0, depth = 0;
	size_t len;
	FILE *fp;

	memset(ps, 0, sizeof(*ps));
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (!in) {
			if (is_heading(line, sd))
				in = found = 1;
			continue;
		}
		if (strncmp(line, ".Ss ", 4) == 0 || strncmp(line, ".Sh ", 4) == 0)
			break;
		if (strncmp(line, ".Bl ", 4) == 0)
			depth++;
		else if (strncmp(line, ".El", 3) == 0)
			depth--;
		if (depth == 1 && strncmp(line, ".It Cm ", 7) == 0) {
			assert_true(ps->nitems < MAX_ITEMS);
			cur = &ps->items[ps->nitems++];
			len = strcspn(line + 7, " \t\n");
			assert_true(len > 0 && len < sizeof(cur->key));
			memcpy(cur->key, line + 7, len);
			cur->key[len] = '\0';
		} else if (cur != NULL && strlen(cur->text) + strlen(line) < sizeof(cur->text)) {
			strcat(cur->text, line);
		}
	}
	fclose(fp);
	return found ? 0 : -1;
}

/* True when text has a line "Default: VALUE", optionally followed by '.' or ','. */
static int
has_default(const char *text, const char *value)
{
	char want[256];
	const char *p = text, *end;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "Default: %s", value);
	assert_true(n < sizeof(want));
	while ((p = strstr(p, want)) != NULL) {
		end = p + n;
		if ((p == text || p[-1] == '\n') &&
		    (*end == '\n' || ((*end == '.' || *end == ',') && end[1] == '\n')))
			return 1;
		p = end;
	}
	return 0;
}

static void
test_every_key_documented(void **state)
{
	char path[PATH_MAX];
	struct page_section *ps;
	const struct section_def *sd;
	const struct key_def *k;
	size_t i, j, m;
	int failures = 0, seen;

	(void)state;
	snprintf(path, sizeof(path), "%s/man/certkeeper.conf.5", top_srcdir());
	assert_non_null(ps = malloc(sizeof(*ps)));
	for (i = 0; i < ck_cfg_nsections; i++) {
		sd = ck_cfg_sections[i];
		if (read_section(path, sd, ps) != 0) {
			print_error("%s: no \".Ss %s\" heading\n", path, sd->title);
			failures++;
			continue;
		}
		for (j = 0; j < sd->nkeys; j++) {
			k = &sd->keys[j];
			for (m = 0; m < ps->nitems && strcmp(ps->items[m].key, k->name) != 0; m++)
				;
			if (m == ps->nitems) {
				print_error("%s %s: no \".It Cm %s\" in %s\n", sd->title, k->name,
				    k->name, path);
				failures++;
			} else if (k->def != NULL && !has_default(ps->items[m].text, k->def)) {
				print_error("%s %s: its entry lacks a line \"Default: %s\"\n", sd->title,
				    k->name, k->def);
				failures++;
			}
		}
		/* And the other way round: nothing documented that the table lacks. */
		for (m = 0; m < ps->nitems; m++) {
			seen = 0;
			for (j = 0; j < sd->nkeys; j++)
				seen |= strcmp(ps->items[m].key, sd->keys[j].name) == 0;
			if (!seen) {
				print_error("%s: %s documents \"%s\", which is not a key of the table\n",
				    path, sd->title, ps->items[m].key);
				failures++;
			}
		}
	}
	free(ps);
	assert_int_equal(failures, 0);
}

/* The parser itself: a heading, nested lists skipped, defaults matched whole. */
static void
test_has_default(void **state)
{
	(void)state;
	assert_true(has_default("x\nDefault: 90s\n", "90s"));
	assert_true(has_default("Default: no.\n", "no"));
	assert_false(has_default("Default: 900s\n", "90s"));
	assert_false(has_default("a Default: 90s\n", "90s"));
	assert_false(has_default("Default: 90s too\n", "90s"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has_default),
		cmocka_unit_test(test_every_key_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
