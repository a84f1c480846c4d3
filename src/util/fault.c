/*
 * util/fault.c: crash points for the tests (see util/fault.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/fault.h"
#include "certkeeper/util/log.h"

void
ck_fault_point(const char *name)
{
	static const char *armed;
	static int looked;

	if (!looked) {
		armed = getenv("CERTKEEPER_TEST_FAULT");
		looked = 1;
	}
	if (armed != NULL && strcmp(armed, name) == 0) {
		ck_warn("test fault point %s: killing myself", name);
		raise(SIGKILL);
	}
}
