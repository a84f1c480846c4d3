/*
 * util/fault.h: crash points for the tests.  A test that must prove what a
 * power cut at a given step leaves behind names the step in the
 * environment (CERTKEEPER_TEST_FAULT=after-finalize); the process then
 * kills itself with SIGKILL there, as abruptly as a power cut.  Unset (as
 * in production), a fault point costs one cached getenv.
 */
#ifndef CERTKEEPER_UTIL_FAULT_H
#define CERTKEEPER_UTIL_FAULT_H

/* Dies with SIGKILL when CERTKEEPER_TEST_FAULT equals name. */
void ck_fault_point(const char *name);

#endif
