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

/*
 * Builds the status document {"certificates":[...]} into *out (new
 * reference).  Returns 0; 1 when some state could not be read (reported;
 * null in the document, which is still made); -1 on failure (reported,
 * *out untouched).
 */
int ck_status_json(const struct ck_config *cfg, json_t **out);

/*
 * Prints the status to out as text (json == 0) or JSON.  Returns
 * CK_EXIT_OK, or CK_EXIT_FAILED when some state could not be read (what
 * could is printed), the document could not be built (nothing printed),
 * or the output could not be written; every failure is reported.
 */
int ck_status_print(const struct ck_config *cfg, int json, FILE *out);

#endif
