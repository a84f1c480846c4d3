/*
 * config/internal.h: what the loader (config.c) and the key tables
 * (keys.c) share; private to src/config/, never installed.
 *
 * Names here start with ck_cfg_ (the public API is ck_config_).  A key's
 * parser gets the trimmed, non-empty value; it stores it in p->cfg and
 * returns 0, or records the error with ck_cfg_fail() and returns -1.
 */
#ifndef CERTKEEPER_CONFIG_INTERNAL_H
#define CERTKEEPER_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "certkeeper/config/config.h"
#include "certkeeper/util/log.h"

/* Longest line accepted; long enough for a list of many domains. */
#define CONFIG_LINE_MAX		4096
#define CERT_NAME_MAX		64
#define DOMAINS_MAX		100
#define DEFAULT_RENEW_PCT	33
#define QUOTE_MAX		80

enum section {
	SECT_NONE,
	SECT_ACME,
	SECT_TPM,
	SECT_CERT
};

struct parse;

/* A key and its parser. */
struct key_def {
	const char *name;
	int (*set)(struct parse *p, const char *key, const char *value);
};

/* The most keys a section has: the size of seen[]. */
#define KEYS_MAX 8

struct parse {
	const char *path;
	FILE *fp;
	char line[CONFIG_LINE_MAX + 2];
	int lineno;

	struct ck_config *cfg;
	enum section sect;
	char sectname[CERT_NAME_MAX + 8];	/* as written between the brackets */
	int sectline;
	const struct key_def *keys;		/* the current section's keys */
	int seen[KEYS_MAX];			/* line of each key in this section, 0: absent */
	int acme_seen, tpm_seen;

	int failed;
	int errline;
	char err[768];
};

/* The order of ck_cfg_cert_keys, which is the order of seen[]: see close_section(). */
enum {
	CERT_DOMAINS, CERT_KEY, CERT_CHALLENGE, CERT_HTTP_PORT, CERT_RENEW_BEFORE, CERT_KEY_REUSE,
	CERT_KEY_FILE
};

/* Each section's keys, ending with a NULL name (keys.c). */
extern const struct key_def ck_cfg_acme_keys[];
extern const struct key_def ck_cfg_tpm_keys[];
extern const struct key_def ck_cfg_cert_keys[];

/* Records the first error as "PATH:LINE: message" (no line when line is 0); returns -1. */
int ck_cfg_fail(struct parse *p, int line, const char *fmt, ...) CK_PRINTF(3, 4);
/* Makes s printable and short enough to quote in a message; returns buf. */
const char *ck_cfg_quote(char *buf, size_t buflen, const char *s);
/* Replaces *field with a copy of value; returns 0, or -1 (recorded) when out of memory. */
int ck_cfg_set_string(struct parse *p, char **field, const char *value);
/* The section being filled, when it is a [cert:NAME]. */
struct ck_cert_config *ck_cfg_cur_cert(struct parse *p);

#endif
