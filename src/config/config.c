/*
 * config/config.c: loads and validates the INI configuration (see config/config.h and
 * conf/certkeeper.conf).
 *
 * libinih splits lines into sections and key = value pairs, but its handler
 * sees neither line numbers nor section headers.  So we feed it through our
 * own line reader, which counts lines, opens and closes sections, and hands
 * libinih one physical line at a time; the handler then knows the line of
 * every key.  The first error is kept and parsing stops there.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "certkeeper/config/config.h"
#include "certkeeper/keys/tpm.h"
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

/*
 * A key and its setter.  A setter checks the (trimmed, non-empty) value,
 * stores it in p->cfg, and returns 0, or records the error and returns -1.
 */
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

/* Records the first error as "PATH:LINE: message" (no line when line is 0); returns -1. */
static int fail(struct parse *p, int line, const char *fmt, ...) CK_PRINTF(3, 4);

static int
fail(struct parse *p, int line, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	if (p->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, sizeof(p->err), "%s:%d: %s", p->path, line, msg);
	else
		snprintf(p->err, sizeof(p->err), "%s: %s", p->path, msg);
	p->failed = 1;
	p->errline = line > 0 ? line : INT_MAX;
	return -1;
}

/* Makes s printable and short enough to quote in a message; returns buf. */
static const char *
quote(char *buf, size_t buflen, const char *s)
{
	size_t len = strlen(s);

	if (len > QUOTE_MAX && buflen > QUOTE_MAX) {
		ck_sanitize(buf, QUOTE_MAX - 2, s, len);
		strcat(buf, "...");
	} else
		ck_sanitize(buf, buflen, s, len);
	return buf;
}

/* Replaces *field with a copy of value; returns 0, or -1 (recorded) when out of memory. */
static int
set_string(struct parse *p, char **field, const char *value)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return fail(p, p->lineno, "strdup: out of memory");
	free(*field);
	*field = copy;
	return 0;
}

/* The section being filled, when it is a [cert:NAME]. */
static struct ck_cert_config *
cur_cert(struct parse *p)
{
	return &p->cfg->certs[p->cfg->ncerts - 1];
}

/* Parses a key type allowed by mask (bit per enum value); records the error. */
static int
parse_key_type(struct parse *p, const char *key, const char *value, unsigned mask,
    enum ck_key_type *out)
{
	static const enum ck_key_type all[] = {
		CK_KEY_EC_P256, CK_KEY_EC_P384, CK_KEY_RSA_2048, CK_KEY_RSA_3072,
		CK_KEY_TPM_P256, CK_KEY_TPM_P384
	};
	char expected[128] = "", q[QUOTE_MAX + 4];
	enum ck_key_type t;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (mask & 1u << all[i]) {
			if (expected[0] != '\0')
				strcat(expected, ", ");
			strcat(expected, ck_key_type_name(all[i]));
		}
	if (ck_key_type_parse(value, &t) < 0)
		return fail(p, p->lineno, "%s: unknown key type \"%s\" (expected %s)", key,
		    quote(q, sizeof(q), value), expected);
	if (!(mask & 1u << t))
		return fail(p, p->lineno, "%s: key type \"%s\" is not supported here (expected %s)",
		    key, quote(q, sizeof(q), value), expected);
	*out = t;
	return 0;
}

/* Non-zero when s contains a space or a control character. */
static int
has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* --- [acme] -------------------------------------------------------------- */

/* directory: an https:// URL without blanks. */
static int
set_directory(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strncmp(value, "https://", 8) != 0 || value[8] == '\0' || has_space(value))
		return fail(p, p->lineno, "%s: \"%s\" is not an https:// URL", key,
		    quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->directory, value);
}

/* ca_bundle: a readable regular file, checked now so that a typo shows before any traffic. */
static int
set_ca_bundle(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];
	struct stat st;
	int fd;

	if ((fd = open(value, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(p, p->lineno, "%s: cannot open \"%s\": %s", key,
		    quote(q, sizeof(q), value), strerror(errno));
	if (fstat(fd, &st) < 0) {
		fail(p, p->lineno, "%s: fstat \"%s\": %s", key, quote(q, sizeof(q), value),
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return fail(p, p->lineno, "%s: \"%s\" is not a regular file", key,
		    quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->ca_bundle, value);
}

/* contact: a mailto: URI without blanks. */
static int
set_contact(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strncmp(value, "mailto:", 7) != 0 || value[7] == '\0' || has_space(value))
		return fail(p, p->lineno, "%s: \"%s\" is not a mailto: URI", key,
		    quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->contact, value);
}

/* state_dir: an absolute path. */
static int
set_state_dir(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (value[0] != '/')
		return fail(p, p->lineno, "%s: \"%s\" is not an absolute path", key,
		    quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->state_dir, value);
}

/* account_key: any key type but rsa-3072. */
static int
set_account_key(struct parse *p, const char *key, const char *value)
{
	unsigned mask = 1u << CK_KEY_EC_P256 | 1u << CK_KEY_EC_P384 | 1u << CK_KEY_RSA_2048 |
	    1u << CK_KEY_TPM_P256 | 1u << CK_KEY_TPM_P384;

	return parse_key_type(p, key, value, mask, &p->cfg->account_key);
}

static const struct key_def acme_keys[] = {
	{ "directory", set_directory },
	{ "ca_bundle", set_ca_bundle },
	{ "contact", set_contact },
	{ "state_dir", set_state_dir },
	{ "account_key", set_account_key },
	{ NULL, NULL }
};

/* --- [tpm] --------------------------------------------------------------- */

/* tcti: passed to Tss2_TctiLdr_Initialize as written. */
static int
set_tcti(struct parse *p, const char *key, const char *value)
{
	return set_string(p, &p->cfg->tpm_tcti, value);
}

/* parent: "owner" or a persistent handle; stored as "owner" or "0x81xxxxxx". */
static int
set_parent(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4], norm[16];
	uint32_t h;

	if (ck_tpm_parent_parse(value, &h) != 0)
		return fail(p, p->lineno,
		    "%s: \"%s\" is neither \"owner\" nor a persistent handle (0x81000000-0x81FFFFFF)",
		    key, quote(q, sizeof(q), value));
	if (strcmp(value, "owner") == 0)
		return set_string(p, &p->cfg->tpm_parent, value);
	snprintf(norm, sizeof(norm), "0x%08lx", (unsigned long)h);
	return set_string(p, &p->cfg->tpm_parent, norm);
}

/* owner_auth: the owner hierarchy password; excludes owner_auth_file. */
static int
set_owner_auth(struct parse *p, const char *key, const char *value)
{
	if (p->cfg->tpm_owner_auth_file != NULL)
		return fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return set_string(p, &p->cfg->tpm_owner_auth, value);
}

/* owner_auth_file: a file holding that password; excludes owner_auth. */
static int
set_owner_auth_file(struct parse *p, const char *key, const char *value)
{
	if (p->cfg->tpm_owner_auth != NULL)
		return fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return set_string(p, &p->cfg->tpm_owner_auth_file, value);
}

static const struct key_def tpm_keys[] = {
	{ "tcti", set_tcti },
	{ "parent", set_parent },
	{ "owner_auth", set_owner_auth },
	{ "owner_auth_file", set_owner_auth_file },
	{ NULL, NULL }
};

/* --- [cert:NAME] --------------------------------------------------------- */

/* NULL when name (lower case) is a plausible DNS name, else why not. */
static const char *
dns_name_problem(const char *name)
{
	const char *label, *s = name;
	size_t len;
	int numeric = 0;

	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	if (strlen(name) > 253)
		return "longer than 253 characters";
	for (label = s;; label = s + 1) {
		numeric = 1;
		for (s = label; *s != '\0' && *s != '.'; s++) {
			if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
				return "only letters, digits, '-' and '.' are allowed";
			if (!isdigit((unsigned char)*s))
				numeric = 0;
		}
		len = (size_t)(s - label);
		if (len == 0)
			return "empty label";
		if (len > 63)
			return "label longer than 63 characters";
		if (label[0] == '-' || s[-1] == '-')
			return "label starts or ends with '-'";
		if (*s == '\0')
			break;
	}
	/* No top-level domain is numeric; this is an IP address, which needs another identifier type. */
	if (numeric)
		return "last label is numeric";
	return NULL;
}

/* Adds one trimmed, lower-cased entry of the domains list. */
static int
add_domain(struct parse *p, const char *key, char *name, const char *value)
{
	struct ck_cert_config *cc = cur_cert(p);
	char q[QUOTE_MAX + 4];
	const char *why;
	char **grown, *s;
	size_t i;

	if (name[0] == '\0')
		return fail(p, p->lineno, "%s: empty entry in \"%s\"", key,
		    quote(q, sizeof(q), value));
	for (s = name; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if ((why = dns_name_problem(name)) != NULL)
		return fail(p, p->lineno, "%s: \"%s\" is not a valid DNS name (%s)", key,
		    quote(q, sizeof(q), name), why);
	for (i = 0; i < cc->ndomains; i++)
		if (strcmp(cc->domains[i], name) == 0)
			return fail(p, p->lineno, "%s: \"%s\" is listed twice", key,
			    quote(q, sizeof(q), name));
	if (cc->ndomains == DOMAINS_MAX)
		return fail(p, p->lineno, "%s: more than %d names", key, DOMAINS_MAX);
	if ((grown = realloc(cc->domains, (cc->ndomains + 1) * sizeof(*grown))) == NULL)
		return fail(p, p->lineno, "realloc: out of memory");
	cc->domains = grown;
	if ((cc->domains[cc->ndomains] = strdup(name)) == NULL)
		return fail(p, p->lineno, "strdup: out of memory");
	cc->ndomains++;
	return 0;
}

/* domains: a comma-separated list; each entry goes through add_domain(). */
static int
set_domains(struct parse *p, const char *key, const char *value)
{
	char *copy = NULL, *entry, *comma, *end;
	int rc = -1;

	if ((copy = strdup(value)) == NULL) {
		fail(p, p->lineno, "strdup: out of memory");
		goto out;
	}
	for (entry = copy; entry != NULL; entry = comma) {
		if ((comma = strchr(entry, ',')) != NULL)
			*comma++ = '\0';
		while (isspace((unsigned char)*entry))
			entry++;
		end = entry + strlen(entry);
		while (end > entry && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (add_domain(p, key, entry, value) < 0)
			goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* key: any key type. */
static int
set_key(struct parse *p, const char *key, const char *value)
{
	return parse_key_type(p, key, value, ~0u, &cur_cert(p)->key);
}

/* challenge: http-01, the only one supported so far. */
static int
set_challenge(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strcmp(value, "http-01") != 0)
		return fail(p, p->lineno, "%s: unsupported challenge \"%s\" (expected http-01)", key,
		    quote(q, sizeof(q), value));
	cur_cert(p)->challenge = CK_CHALLENGE_HTTP01;
	return 0;
}

/* http_port: 1..65535, digits only. */
static int
set_http_port(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];
	const char *s;
	long port = 0;

	for (s = value; isdigit((unsigned char)*s) && port <= 65535; s++)
		port = port * 10 + (*s - '0');
	if (s == value || *s != '\0' || port < 1 || port > 65535)
		return fail(p, p->lineno, "%s: \"%s\" is not a port number (1-65535)", key,
		    quote(q, sizeof(q), value));
	cur_cert(p)->http_port = (int)port;
	return 0;
}

/* renew_before: "N%" (1..99) or N followed by s, m, h or d; sets one field, clears the other. */
static int
set_renew_before(struct parse *p, const char *key, const char *value)
{
	struct ck_cert_config *cc = cur_cert(p);
	char q[QUOTE_MAX + 4];
	const char *s;
	long n = 0, unit;

	for (s = value; isdigit((unsigned char)*s); s++) {
		if (n > LONG_MAX / 10 - 10)
			goto bad;
		n = n * 10 + (*s - '0');
	}
	if (s == value || s[0] == '\0' || s[1] != '\0')
		goto bad;
	if (*s == '%') {
		if (n < 1 || n > 99)
			return fail(p, p->lineno, "%s: share \"%s\" is outside 1%%..99%%", key,
			    quote(q, sizeof(q), value));
		cc->renew_before_pct = (int)n;
		cc->renew_before_secs = 0;
		return 0;
	}
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
		goto bad;
	}
	if (n < 1)
		return fail(p, p->lineno, "%s: duration \"%s\" must be positive", key,
		    quote(q, sizeof(q), value));
	if (n > LONG_MAX / unit)
		goto bad;
	cc->renew_before_secs = n * unit;
	cc->renew_before_pct = 0;
	return 0;
bad:
	return fail(p, p->lineno,
	    "%s: \"%s\" is neither a share (1%%..99%%) nor a duration (N followed by s, m, h or d)",
	    key, quote(q, sizeof(q), value));
}

/* key_reuse: yes or no. */
static int
set_key_reuse(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strcmp(value, "yes") == 0)
		cur_cert(p)->key_reuse = 1;
	else if (strcmp(value, "no") == 0)
		cur_cert(p)->key_reuse = 0;
	else
		return fail(p, p->lineno, "%s: \"%s\" is neither yes nor no", key,
		    quote(q, sizeof(q), value));
	return 0;
}

/* key_file: a path; whether it needs key_reuse is checked in close_section(). */
static int
set_key_file(struct parse *p, const char *key, const char *value)
{
	return set_string(p, &cur_cert(p)->key_file, value);
}

/* The order here is the order of seen[]: see close_section(). */
enum {
	CERT_DOMAINS, CERT_KEY, CERT_CHALLENGE, CERT_HTTP_PORT, CERT_RENEW_BEFORE, CERT_KEY_REUSE,
	CERT_KEY_FILE
};

static const struct key_def cert_keys[] = {
	{ "domains", set_domains },
	{ "key", set_key },
	{ "challenge", set_challenge },
	{ "http_port", set_http_port },
	{ "renew_before", set_renew_before },
	{ "key_reuse", set_key_reuse },
	{ "key_file", set_key_file },
	{ NULL, NULL }
};

_Static_assert(sizeof(acme_keys) / sizeof(acme_keys[0]) <= KEYS_MAX + 1 &&
    sizeof(tpm_keys) / sizeof(tpm_keys[0]) <= KEYS_MAX + 1 &&
    sizeof(cert_keys) / sizeof(cert_keys[0]) <= KEYS_MAX + 1, "seen[] is too small");

/* --- sections ------------------------------------------------------------ */

/* Checks what can only be checked once the whole section is read. */
static int
close_section(struct parse *p)
{
	struct ck_cert_config *cc;
	char q[QUOTE_MAX + 4];
	size_t i;

	switch (p->sect) {
	case SECT_ACME:
		if (p->cfg->directory == NULL)
			return fail(p, p->sectline, "[acme] has no directory");
		break;
	case SECT_CERT:
		cc = cur_cert(p);
		if (cc->ndomains == 0)
			return fail(p, p->sectline, "[%s] has no domains", p->sectname);
		if (cc->key_file != NULL && !cc->key_reuse)
			return fail(p, p->seen[CERT_KEY_FILE], "key_file requires key_reuse = yes");
		/* RFC 8555 7.1.3: CAs validate wildcards only through dns-01. */
		for (i = 0; i < cc->ndomains; i++)
			if (cc->domains[i][0] == '*' && cc->challenge == CK_CHALLENGE_HTTP01)
				return fail(p, p->seen[CERT_DOMAINS],
				    "domains: wildcard \"%s\" cannot be validated with http-01",
				    quote(q, sizeof(q), cc->domains[i]));
		break;
	case SECT_NONE:
	case SECT_TPM:
		break;
	}
	p->sect = SECT_NONE;
	p->keys = NULL;
	return 0;
}

/* Starts a new [cert:NAME] with the documented defaults. */
static int
open_cert(struct parse *p, const char *name)
{
	struct ck_config *cfg = p->cfg;
	struct ck_cert_config *grown, *cc;
	char q[QUOTE_MAX + 4];
	size_t i;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(name))
		return fail(p, p->lineno,
		    "invalid certificate name \"%s\" (letters, digits, '.', '_' and '-'; not \".\" or \"..\")",
		    quote(q, sizeof(q), name));
	if (strlen(name) > CERT_NAME_MAX)
		return fail(p, p->lineno, "certificate name \"%s\" is longer than %d characters",
		    quote(q, sizeof(q), name), CERT_NAME_MAX);
	for (i = 0; i < cfg->ncerts; i++)
		if (strcmp(cfg->certs[i].name, name) == 0)
			return fail(p, p->lineno, "duplicate section [cert:%s]", name);
	if ((grown = realloc(cfg->certs, (cfg->ncerts + 1) * sizeof(*grown))) == NULL)
		return fail(p, p->lineno, "realloc: out of memory");
	cfg->certs = grown;
	cc = &cfg->certs[cfg->ncerts];
	memset(cc, 0, sizeof(*cc));
	if ((cc->name = strdup(name)) == NULL)
		return fail(p, p->lineno, "strdup: out of memory");
	cc->key = CK_KEY_EC_P256;
	cc->challenge = CK_CHALLENGE_HTTP01;
	cc->http_port = 80;
	cc->renew_before_pct = DEFAULT_RENEW_PCT;
	cc->line = p->lineno;
	cfg->ncerts++;
	return 0;
}

/* Handles a "[...]" line (s starts at '['): closes the previous section, opens this one. */
static int
open_section(struct parse *p, const char *s)
{
	char q[QUOTE_MAX + 4], name[CONFIG_LINE_MAX + 2];
	const char *close, *rest;
	size_t len;

	if ((close = strchr(s, ']')) == NULL)
		return fail(p, p->lineno, "section header without ']'");
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return fail(p, p->lineno, "unexpected text after the section header");
	/* Spaces inside the brackets are not part of the name. */
	for (s++; isspace((unsigned char)*s); s++)
		;
	while (close > s && isspace((unsigned char)close[-1]))
		close--;
	len = (size_t)(close - s);
	memcpy(name, s, len);
	name[len] = '\0';

	if (close_section(p) < 0)
		return -1;
	memset(p->seen, 0, sizeof(p->seen));
	p->sectline = p->lineno;
	if (strcmp(name, "acme") == 0) {
		if (p->acme_seen)
			return fail(p, p->lineno, "duplicate section [acme]");
		p->acme_seen = p->lineno;
		p->sect = SECT_ACME;
		p->keys = acme_keys;
	} else if (strcmp(name, "tpm") == 0) {
		if (p->tpm_seen)
			return fail(p, p->lineno, "duplicate section [tpm]");
		p->tpm_seen = p->lineno;
		p->sect = SECT_TPM;
		p->keys = tpm_keys;
	} else if (strncmp(name, "cert:", 5) == 0) {
		if (open_cert(p, name + 5) < 0)
			return -1;
		p->sect = SECT_CERT;
		p->keys = cert_keys;
	} else
		return fail(p, p->lineno, "unknown section [%s]", quote(q, sizeof(q), name));
	/* Every accepted name fits: CERT_NAME_MAX bounds the longest. */
	len = strlen(name) < sizeof(p->sectname) - 1 ? strlen(name) : sizeof(p->sectname) - 1;
	memcpy(p->sectname, name, len);
	p->sectname[len] = '\0';
	return 0;
}

/*
 * ini_reader: hands libinih one physical line (leading blanks removed, so
 * that an indented line is never taken as a continuation of the previous
 * value), after noting its number and any section header.  NULL ends the
 * parse, also after the first error.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len = 0, max;
	int c, any = 0, nul = 0, toolong = 0;
	char *s;

	if (p->failed)
		return NULL;
	while ((c = getc(p->fp)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = 1;
		if (len < sizeof(p->line) - 1)
			p->line[len++] = (char)c;
		else
			toolong = 1;
	}
	if (ferror(p->fp)) {
		fail(p, 0, "read: %s", strerror(errno));
		return NULL;
	}
	if (!any)
		return NULL;
	p->line[len] = '\0';
	p->lineno++;
	if (nul) {
		fail(p, p->lineno, "NUL byte in line");
		return NULL;
	}
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	max = (size_t)num - 1 < CONFIG_LINE_MAX ? (size_t)num - 1 : CONFIG_LINE_MAX;
	if (toolong || strlen(s) > max) {
		fail(p, p->lineno, "line longer than %zu characters", max);
		return NULL;
	}
	if (*s == '[' && open_section(p, s) < 0)
		return NULL;
	memcpy(str, s, strlen(s) + 1);
	return str;
}

/* ini_handler: applies one key of the current section; libinih's section name is not used. */
static int
handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	char q[QUOTE_MAX + 4];
	size_t i;

	if (p->failed)
		return 0;
	if (name[0] == '\0') {
		fail(p, p->lineno, "missing key name before '='");
		return 0;
	}
	if (p->sect == SECT_NONE) {
		fail(p, p->lineno, "key \"%s\" outside any section", quote(q, sizeof(q), name));
		return 0;
	}
	for (i = 0; p->keys[i].name != NULL; i++)
		if (strcmp(p->keys[i].name, name) == 0)
			break;
	if (p->keys[i].name == NULL) {
		fail(p, p->lineno, "unknown key \"%s\" in [%s]", quote(q, sizeof(q), name),
		    p->sectname);
		return 0;
	}
	if (p->seen[i]) {
		fail(p, p->lineno, "duplicate key \"%s\" in [%s]", name, p->sectname);
		return 0;
	}
	p->seen[i] = p->lineno;
	if (value[0] == '\0') {
		fail(p, p->lineno, "%s: empty value", name);
		return 0;
	}
	return p->keys[i].set(p, name, value) == 0;
}

/* Fills in the defaults and checks the sections that must exist. */
static int
finish(struct parse *p)
{
	if (close_section(p) < 0)
		return -1;
	if (!p->acme_seen)
		return fail(p, 0, "no [acme] section");
	if (p->cfg->ncerts == 0)
		return fail(p, 0, "no [cert:NAME] section");
	if (p->cfg->state_dir == NULL &&
	    set_string(p, &p->cfg->state_dir, CK_DEFAULT_STATE_DIR) < 0)
		return -1;
	return 0;
}

int
ck_config_load(const char *path, struct ck_config **out)
{
	struct parse *p = NULL;
	int saved_max_line = ini_max_line, ret, rc = -1;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ck_error("%s: out of memory", path);
		goto out;
	}
	p->path = path;
	p->errline = INT_MAX;
	if ((p->cfg = calloc(1, sizeof(*p->cfg))) == NULL ||
	    (p->cfg->path = strdup(path)) == NULL) {
		ck_error("%s: out of memory", path);
		goto out;
	}
	p->cfg->account_key = CK_KEY_EC_P256;
	if ((p->fp = fopen(path, "re")) == NULL) {
		ck_error_errno("%s: cannot open", path);
		goto out;
	}
	/*
	 * Debian's libinih makes the line buffer size a run-time setting (a
	 * stack VLA of ini_max_line bytes); the default 200 is too short for a
	 * long domains list.  Set it for this parse only.
	 */
	ini_max_line = CONFIG_LINE_MAX + 3;
	ret = ini_parse_stream(read_line, p, handle_key, p);
	ini_max_line = saved_max_line;
	if (ret > 0 && ret < p->errline) {
		/*
		 * libinih found a line that is neither a section, a key nor a
		 * comment, before any error of ours: that one is the first.
		 */
		p->failed = 0;
		fail(p, ret, "syntax error (expected [section] or key = value)");
	} else if (ret == -2)
		fail(p, 0, "ini_parse_stream: out of memory");
	if (!p->failed)
		finish(p);
	if (p->failed) {
		ck_error("%s", p->err);
		goto out;
	}
	*out = p->cfg;
	p->cfg = NULL;
	rc = 0;
out:
	if (p != NULL) {
		if (p->fp != NULL)
			fclose(p->fp);
		ck_config_free(p->cfg);
		free(p);
	}
	return rc;
}

void
ck_config_free(struct ck_config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ncerts; i++) {
		for (j = 0; j < cfg->certs[i].ndomains; j++)
			free(cfg->certs[i].domains[j]);
		free(cfg->certs[i].domains);
		free(cfg->certs[i].name);
		free(cfg->certs[i].key_file);
	}
	free(cfg->certs);
	free(cfg->path);
	free(cfg->directory);
	free(cfg->ca_bundle);
	free(cfg->contact);
	free(cfg->state_dir);
	free(cfg->tpm_tcti);
	free(cfg->tpm_parent);
	free(cfg->tpm_owner_auth);
	free(cfg->tpm_owner_auth_file);
	free(cfg);
}

const struct ck_cert_config *
ck_config_cert(const struct ck_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ncerts; i++)
		if (strcmp(cfg->certs[i].name, name) == 0)
			return &cfg->certs[i];
	return NULL;
}

int
ck_config_uses_tpm(const struct ck_config *cfg)
{
	size_t i;

	if (ck_key_type_is_tpm(cfg->account_key))
		return 1;
	for (i = 0; i < cfg->ncerts; i++)
		if (ck_key_type_is_tpm(cfg->certs[i].key))
			return 1;
	return 0;
}
