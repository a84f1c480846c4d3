/*
 * upstream-inih.c: loads each configuration named on the command line and
 * prints "ok" or the loader's message, one line each; for
 * tests/upstream-inih.sh, which links it against an upstream libinih.
 */
#include <stdio.h>

#include "certkeeper/config/config.h"
#include "certkeeper/util/log.h"

int
main(int argc, char **argv)
{
	struct ck_config *cfg;
	int i;

	for (i = 1; i < argc; i++) {
		cfg = NULL;
		if (ck_config_load(argv[i], &cfg) == 0)
			printf("ok\n");
		else
			printf("%s\n", ck_last_error());
		ck_config_free(cfg);
	}
	return 0;
}
