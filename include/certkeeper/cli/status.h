/*
 * cli/status.h: the `status` command: what is installed, when it becomes due
 * and how the last attempt went, as text or JSON.  Reads the store only:
 * it never contacts the CA and takes no lock.
 */
#ifndef CERTKEEPER_CLI_STATUS_H
#define CERTKEEPER_CLI_STATUS_H

#include <stdio.h>
#include <jansson.h>
#include "certkeeper/config/config.h"

/* The status document {"certificates":[...]} (new reference), or NULL. */
json_t *ck_status_json(const struct ck_config *cfg);

/* Prints the status to out as text (json == 0) or JSON; returns an exit code. */
int ck_status_print(const struct ck_config *cfg, int json, FILE *out);

#endif
