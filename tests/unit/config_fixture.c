/*
 * tests/unit/config_fixture.c: the source tree, the data files and the
 * temporary files of the configuration tests (see config_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "certkeeper/config/config.h"
#include "certkeeper/util/log.h"
#include "config_fixture.h"

const char *
top_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL && *d != '\0' ? d : ".";
}

void
data_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/tests/unit/data/config/%s", top_srcdir(), name);

	assert_true(n > 0 && (size_t)n < len);
}

struct ck_config *
load_good(const char *name)
{
	char path[PATH_MAX];
	struct ck_config *cfg = NULL;

	data_path(path, sizeof(path), name);
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s: %s", name, ck_last_error());
	assert_non_null(cfg);
	return cfg;
}

/* Writes text to a fresh file under dir; returns its path in path. */
void
write_conf(char *path, size_t len, const char *dir, const char *text)
{
	FILE *fp;

	snprintf(path, len, "%s/c.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}
