/*
 * tests/unit/helpers.h: what several unit tests need from their machine:
 * a loopback port that is free, removing a temporary tree, and what a
 * piece of code writes to stderr.
 */
#ifndef CERTKEEPER_TESTS_HELPERS_H
#define CERTKEEPER_TESTS_HELPERS_H

/* A loopback port that was free a moment ago (fails the test if none). */
int ck_test_free_port(void);

/* Removes path and everything below it (no error if absent). */
void ck_test_rm_rf(const char *path);

/* Runs fn with stderr (fd 2) in a temporary file; returns what it wrote (malloc'd). */
char *ck_test_capture_stderr(void (*fn)(void));

#endif
