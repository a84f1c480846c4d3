/*
 * config/internal.h: what the loader (config.c) and the key tables
 * (keys.c and the section files acme.c, telemetry.c, cert.c) share, and the
 * value parsers of values.c; private to src/config/, never installed.
 *
 * Names here start with ck_cfg_ (the public API is ck_config_).  Every
 * section is a row of ck_cfg_sections, every key a row of its section's
 * table: adding a key is adding a row (and its field and parser if new).
 * A parser gets the trimmed value, non-empty unless its row says
 * KEY_EMPTY_OFF; it stores it in p->cfg and
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
#define QUOTE_MAX		80
/* Room for a value quoted by ck_cfg_quote(). */
#define QUOTE_BUF		(QUOTE_MAX + 4)

struct parse;

/* key_def.required */
enum {
	KEY_OPTIONAL,
	KEY_REQUIRED,
	/* Optional, and "key =" with nothing after it is allowed: set() gets "" (off). */
	KEY_EMPTY_OFF
};

struct key_def {
	const char *name;
	int (*set)(struct parse *p, const char *key, const char *value);
	/* Given to set() when the section ends without the key; NULL: none. */
	const char *def;
	/* KEY_REQUIRED: a section without the key is refused; KEY_EMPTY_OFF: may be empty. */
	int required;
	/* One line for readers of the table; conf/certkeeper.conf has the rest. */
	const char *doc;
};

struct section_def {
	const char *name;		/* between the brackets; for a named one, up to NAME */
	int named;			/* non-zero: [name + NAME], may repeat with other NAMEs */
	const char *title;		/* for "no TITLE section" */
	int required;			/* non-zero: the file must have one */
	const struct key_def *keys;
	size_t nkeys;
	/* Starts the section (NAME is "" when not named); NULL: nothing to do. */
	int (*open)(struct parse *p, const char *name);
	/* Checks what needs the whole section, after the defaults; NULL: none. */
	int (*close)(struct parse *p);
};

/* The number of rows of a key table, for its section_def. */
#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* Every section, in the order of the documentation (keys.c). */
extern const struct section_def *const ck_cfg_sections[];
extern const size_t ck_cfg_nsections;
/* Each section, defined with its keys: acme.c, telemetry.c, cert.c. */
extern const struct section_def ck_cfg_acme_section;
extern const struct section_def ck_cfg_tpm_section;
extern const struct section_def ck_cfg_telemetry_section;
extern const struct section_def ck_cfg_cert_section;

struct parse {
	const char *path;
	FILE *fp;
	char line[CONFIG_LINE_MAX + 3];		/* a line, its '\n' and '\0' */
	int lineno;
	const char *pend;		/* what libinih's buffer could not take yet */
	size_t npend;

	struct ck_config *cfg;
	const struct section_def *sect;		/* NULL: none open */
	char sectname[CERT_NAME_MAX + 8];	/* as written between the brackets */
	int sectline;
	int *seen;			/* per key of sect: line where it was set, 0: absent */
	int *headers;			/* per ck_cfg_sections row: line of its first header, 0: none */

	int push_cert_line;		/* where [telemetry] set push_cert; 0: not set */

	int failed;
	int errline;
	char err[768];
};

/*
 * Checks and completes [telemetry]'s push keys against the [cert:NAME]
 * sections (telemetry.c), after the whole file: push_cert names one that
 * exists (default: the first), its key can sign a TLS handshake, and
 * push_instance defaults to its first domain.
 */
int ck_cfg_telemetry_finish(struct parse *p);

/* --- values.c: each stores the value or records the error and returns -1. */

/* Replaces *field with a copy of value. */
int ck_cfg_set_string(struct parse *p, char **field, const char *value);
/* A key type allowed by mask (a bit per enum ck_key_type value). */
int ck_cfg_key_type(struct parse *p, const char *key, const char *value, unsigned mask,
    enum ck_key_type *out);
/* Non-zero when s contains a space or a control character (not recorded). */
int ck_cfg_has_space(const char *s);
/* Reads the digits at *s, moving *s past them; -1 (not recorded) when none or overflow. */
int ck_cfg_number(const char **s, long *out);
/* N followed by s, m, h or d, in seconds (may be 0); -1 (not recorded) when not a duration. */
int ck_cfg_duration(const char *value, long *secs);
/* A duration of min..max seconds; range names them in the message, as "1s..1h". */
int ck_cfg_bounded_duration(struct parse *p, const char *key, const char *value, long min,
    long max, const char *range, long *secs);
/* yes (1) or no (0). */
int ck_cfg_yes_no(struct parse *p, const char *key, const char *value, int *out);
/* 0 when value names a readable regular file (checked now, before any traffic). */
int ck_cfg_regular_file(struct parse *p, const char *key, const char *value);
/* The [cert:NAME] section being filled. */
struct ck_cert_config *ck_cfg_cert(struct parse *p);

/* Records the first error as "PATH:LINE: message" (no line when line is 0); returns -1. */
int ck_cfg_fail(struct parse *p, int line, const char *fmt, ...) CK_PRINTF(3, 4);
/* Makes s printable and short enough to quote in a message; returns buf. */
const char *ck_cfg_quote(char *buf, size_t buflen, const char *s);
/* The line where the open section set key, or 0 when it did not (yet). */
int ck_cfg_key_line(const struct parse *p, const char *key);

#endif
