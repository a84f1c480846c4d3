/*
 * tests/fuzz/config.c: the configuration file (src/config/ through
 * libinih): the input is written to a file and loaded.  Oracle: a loaded
 * configuration has a directory and at least one certificate with a name
 * and a domain.
 */
#include <stdio.h>

#include "fuzz.h"
#include "certkeeper/config/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[256];
	struct ck_config *cfg = NULL;

	ckfz_init();
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/certkeeper.conf", ckfz_tmpdir());
	ckfz_write(path, data, size);
	if (ck_config_load(path, &cfg) == 0) {
		CKFZ_ASSERT(cfg->directory != NULL && cfg->ncerts >= 1);
		CKFZ_ASSERT(cfg->certs[0].name != NULL && cfg->certs[0].ndomains >= 1);
	}
	ck_config_free(cfg);
	return 0;
}
