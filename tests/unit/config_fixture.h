/*
 * tests/unit/config_fixture.h: what test_config_loader.c and
 * test_config_values.c share: the source tree, the data files under
 * tests/unit/data/config/, and a configuration written to a fresh file.
 */
#ifndef CERTKEEPER_TESTS_CONFIG_FIXTURE_H
#define CERTKEEPER_TESTS_CONFIG_FIXTURE_H

#include <stddef.h>

struct ck_config;

/* The source tree: $top_srcdir (make check sets it), else ".". */
const char *top_srcdir(void);

/* Puts the path of tests/unit/data/config/NAME in buf (fails the test if it does not fit). */
void data_path(char *buf, size_t len, const char *name);

/* Loads the data file name; fails the test, with the loader's error, if it does not load. */
struct ck_config *load_good(const char *name);

/* Writes text to a fresh file under dir; returns its path in path. */
void write_conf(char *path, size_t len, const char *dir, const char *text);

#endif
