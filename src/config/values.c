/*
 * config/values.c: the value syntaxes every section shares (strings, key
 * types, yes/no, numbers, durations, readable files), each a
 * parser that stores the value or records the error (ck_cfg_fail).
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

/* Replaces *field with a copy of value; returns 0, or -1 (recorded) when out of memory. */
int
ck_cfg_set_string(struct parse *p, char **field, const char *value)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return ck_cfg_fail(p, p->lineno, "strdup: out of memory");
	free(*field);
	*field = copy;
	return 0;
}

/* The section being filled, when it is a [cert:NAME]. */
struct ck_cert_config *
ck_cfg_cert(struct parse *p)
{
	return &p->cfg->certs[p->cfg->ncerts - 1];
}

/* Parses a key type allowed by mask (bit per enum value); records the error. */
int
ck_cfg_key_type(struct parse *p, const char *key, const char *value, unsigned mask,
    enum ck_key_type *out)
{
	static const enum ck_key_type all[] = {
		CK_KEY_EC_P256, CK_KEY_EC_P384, CK_KEY_RSA_2048, CK_KEY_RSA_3072,
		CK_KEY_TPM_P256, CK_KEY_TPM_P384
	};
	char expected[128] = "", q[QUOTE_BUF];
	enum ck_key_type t;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (mask & 1u << all[i]) {
			if (expected[0] != '\0')
				strcat(expected, ", ");
			strcat(expected, ck_key_type_name(all[i]));
		}
	if (ck_key_type_parse(value, &t) < 0)
		return ck_cfg_fail(p, p->lineno, "%s: unknown key type \"%s\" (expected %s)", key,
		    ck_cfg_quote(q, sizeof(q), value), expected);
	if (!(mask & 1u << t))
		return ck_cfg_fail(p, p->lineno, "%s: key type \"%s\" is not supported here (expected %s)",
		    key, ck_cfg_quote(q, sizeof(q), value), expected);
	*out = t;
	return 0;
}

/* Non-zero when s contains a space or a control character. */
int
ck_cfg_has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* Reads the digits at *s; -1 when there are none or they overflow (both: "not a number"). */
int
ck_cfg_number(const char **s, long *out)
{
	const char *d = *s;
	long n = 0;

	if (!isdigit((unsigned char)*d))
		return -1;
	for (; isdigit((unsigned char)*d); d++) {
		if (n > (LONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*d - '0');
	}
	*s = d;
	*out = n;
	return 0;
}

/*
 * The one duration syntax of the file: N followed by s, m, h or d, nothing
 * else; *secs may be 0, the caller knows its range.  -1 when value is not a
 * duration or its seconds overflow a long.
 */
int
ck_cfg_duration(const char *value, long *secs)
{
	const char *s = value;
	long n, unit;

	if (ck_cfg_number(&s, &n) < 0 || s[0] == '\0' || s[1] != '\0')
		return -1;
	switch (*s) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	if (n > LONG_MAX / unit)
		return -1;
	*secs = n * unit;
	return 0;
}

/* Parses yes (1) or no (0) into *out; records the error. */
int
ck_cfg_yes_no(struct parse *p, const char *key, const char *value, int *out)
{
	char q[QUOTE_BUF];

	if (strcmp(value, "yes") == 0)
		*out = 1;
	else if (strcmp(value, "no") == 0)
		*out = 0;
	else
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is neither yes nor no", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return 0;
}

/*
 * A duration of min..max seconds (range names them in the message, as
 * "1s..1h") into *secs; records the error.
 */
int
ck_cfg_bounded_duration(struct parse *p, const char *key, const char *value, long min, long max,
    const char *range, long *secs)
{
	char q[QUOTE_BUF];
	long n;

	if (ck_cfg_duration(value, &n) < 0)
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is not a duration (N followed by s, m, h or d)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (n < min || n > max)
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" is outside %s", key,
		    ck_cfg_quote(q, sizeof(q), value), range);
	*secs = n;
	return 0;
}

/* Non-zero when value names a readable regular file; else records why not. */
int
ck_cfg_regular_file(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];
	struct stat st;
	int fd;

	if ((fd = open(value, O_RDONLY | O_CLOEXEC)) < 0)
		return ck_cfg_fail(p, p->lineno, "%s: cannot open \"%s\": %s", key,
		    ck_cfg_quote(q, sizeof(q), value), strerror(errno));
	if (fstat(fd, &st) < 0) {
		ck_cfg_fail(p, p->lineno, "%s: fstat \"%s\": %s", key, ck_cfg_quote(q, sizeof(q), value),
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a regular file", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return 0;
}
