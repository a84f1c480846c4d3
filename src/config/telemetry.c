/*
 * config/telemetry.c: the keys of [telemetry] (what the agent reports and
 * where).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* --- [telemetry] --------------------------------------------------------- */

/* metrics_file: an absolute path naming a file, or empty (written "metrics_file =") for off. */
static int
set_metrics_file(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];
	size_t len = strlen(value);

	if (len == 0) {
		free(p->cfg->metrics_file);
		p->cfg->metrics_file = NULL;
		return 0;
	}
	if (value[0] != '/' || value[len - 1] == '/')
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an absolute path to a file", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->metrics_file, value);
}

static const struct key_def telemetry_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "metrics_file", set_metrics_file, CK_DEFAULT_METRICS_FILE, KEY_EMPTY_OFF,
	    "Prometheus textfile written after each pass; empty: off" },
};

const struct section_def ck_cfg_telemetry_section = {
	/* name, named?, title, required?, keys, number of keys, open, close */
	"telemetry", 0, "[telemetry]", 0, telemetry_keys, NKEYS(telemetry_keys), NULL, NULL
};
