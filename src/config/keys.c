/*
 * config/keys.c: the sections of the file, in the order of the
 * documentation; each is defined with its key table and its open and close
 * checks in its own file (acme.c for [acme] and [tpm], telemetry.c,
 * cert.c).
 */
#include "internal.h"

const struct section_def *const ck_cfg_sections[] = {
	&ck_cfg_acme_section,
	&ck_cfg_tpm_section,
	&ck_cfg_telemetry_section,
	&ck_cfg_cert_section,
};
const size_t ck_cfg_nsections = sizeof(ck_cfg_sections) / sizeof(ck_cfg_sections[0]);
