/*
 * config/keys.c: the value parsers and the key table of each section
 * ([acme], [tpm], [cert:NAME]); the loader (config.c) looks keys up here.
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

#include "certkeeper/keys/tpm.h"
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
ck_cfg_cur_cert(struct parse *p)
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
		return ck_cfg_fail(p, p->lineno, "%s: unknown key type \"%s\" (expected %s)", key,
		    ck_cfg_quote(q, sizeof(q), value), expected);
	if (!(mask & 1u << t))
		return ck_cfg_fail(p, p->lineno, "%s: key type \"%s\" is not supported here (expected %s)",
		    key, ck_cfg_quote(q, sizeof(q), value), expected);
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
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an https:// URL", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->directory, value);
}

/* ca_bundle: a readable regular file, checked now so that a typo shows before any traffic. */
static int
set_ca_bundle(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];
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
	return ck_cfg_set_string(p, &p->cfg->ca_bundle, value);
}

/* contact: a mailto: URI without blanks. */
static int
set_contact(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strncmp(value, "mailto:", 7) != 0 || value[7] == '\0' || has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a mailto: URI", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->contact, value);
}

/* state_dir: an absolute path. */
static int
set_state_dir(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (value[0] != '/')
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an absolute path", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->state_dir, value);
}

/* account_key: any key type but rsa-3072. */
static int
set_account_key(struct parse *p, const char *key, const char *value)
{
	unsigned mask = 1u << CK_KEY_EC_P256 | 1u << CK_KEY_EC_P384 | 1u << CK_KEY_RSA_2048 |
	    1u << CK_KEY_TPM_P256 | 1u << CK_KEY_TPM_P384;

	return parse_key_type(p, key, value, mask, &p->cfg->account_key);
}

const struct key_def ck_cfg_acme_keys[] = {
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
	return ck_cfg_set_string(p, &p->cfg->tpm_tcti, value);
}

/* parent: "owner" or a persistent handle; stored as "owner" or "0x81xxxxxx". */
static int
set_parent(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4], norm[16];
	uint32_t h;

	if (ck_tpm_parent_parse(value, &h) != 0)
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is neither \"owner\" nor a persistent handle (0x81000000-0x81FFFFFF)",
		    key, ck_cfg_quote(q, sizeof(q), value));
	if (strcmp(value, "owner") == 0)
		return ck_cfg_set_string(p, &p->cfg->tpm_parent, value);
	snprintf(norm, sizeof(norm), "0x%08lx", (unsigned long)h);
	return ck_cfg_set_string(p, &p->cfg->tpm_parent, norm);
}

/* owner_auth: the owner hierarchy password; excludes owner_auth_file. */
static int
set_owner_auth(struct parse *p, const char *key, const char *value)
{
	if (p->cfg->tpm_owner_auth_file != NULL)
		return ck_cfg_fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return ck_cfg_set_string(p, &p->cfg->tpm_owner_auth, value);
}

/* owner_auth_file: a file holding that password; excludes owner_auth. */
static int
set_owner_auth_file(struct parse *p, const char *key, const char *value)
{
	if (p->cfg->tpm_owner_auth != NULL)
		return ck_cfg_fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return ck_cfg_set_string(p, &p->cfg->tpm_owner_auth_file, value);
}

const struct key_def ck_cfg_tpm_keys[] = {
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
	struct ck_cert_config *cc = ck_cfg_cur_cert(p);
	char q[QUOTE_MAX + 4];
	const char *why;
	char **grown, *s;
	size_t i;

	if (name[0] == '\0')
		return ck_cfg_fail(p, p->lineno, "%s: empty entry in \"%s\"", key,
		    ck_cfg_quote(q, sizeof(q), value));
	for (s = name; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if ((why = dns_name_problem(name)) != NULL)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a valid DNS name (%s)", key,
		    ck_cfg_quote(q, sizeof(q), name), why);
	for (i = 0; i < cc->ndomains; i++)
		if (strcmp(cc->domains[i], name) == 0)
			return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is listed twice", key,
			    ck_cfg_quote(q, sizeof(q), name));
	if (cc->ndomains == DOMAINS_MAX)
		return ck_cfg_fail(p, p->lineno, "%s: more than %d names", key, DOMAINS_MAX);
	if ((grown = realloc(cc->domains, (cc->ndomains + 1) * sizeof(*grown))) == NULL)
		return ck_cfg_fail(p, p->lineno, "realloc: out of memory");
	cc->domains = grown;
	if ((cc->domains[cc->ndomains] = strdup(name)) == NULL)
		return ck_cfg_fail(p, p->lineno, "strdup: out of memory");
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
		ck_cfg_fail(p, p->lineno, "strdup: out of memory");
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
	return parse_key_type(p, key, value, ~0u, &ck_cfg_cur_cert(p)->key);
}

/* challenge: http-01, the only one supported so far. */
static int
set_challenge(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strcmp(value, "http-01") != 0)
		return ck_cfg_fail(p, p->lineno, "%s: unsupported challenge \"%s\" (expected http-01)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	ck_cfg_cur_cert(p)->challenge = CK_CHALLENGE_HTTP01;
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
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a port number (1-65535)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	ck_cfg_cur_cert(p)->http_port = (int)port;
	return 0;
}

/* renew_before: "N%" (1..99) or N followed by s, m, h or d; sets one field, clears the other. */
static int
set_renew_before(struct parse *p, const char *key, const char *value)
{
	struct ck_cert_config *cc = ck_cfg_cur_cert(p);
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
			return ck_cfg_fail(p, p->lineno, "%s: share \"%s\" is outside 1%%..99%%", key,
			    ck_cfg_quote(q, sizeof(q), value));
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
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" must be positive", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (n > LONG_MAX / unit)
		goto bad;
	cc->renew_before_secs = n * unit;
	cc->renew_before_pct = 0;
	return 0;
bad:
	return ck_cfg_fail(p, p->lineno,
	    "%s: \"%s\" is neither a share (1%%..99%%) nor a duration (N followed by s, m, h or d)",
	    key, ck_cfg_quote(q, sizeof(q), value));
}

/* key_reuse: yes or no. */
static int
set_key_reuse(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_MAX + 4];

	if (strcmp(value, "yes") == 0)
		ck_cfg_cur_cert(p)->key_reuse = 1;
	else if (strcmp(value, "no") == 0)
		ck_cfg_cur_cert(p)->key_reuse = 0;
	else
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is neither yes nor no", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return 0;
}

/* key_file: a path; whether it needs key_reuse is checked in close_section(). */
static int
set_key_file(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_set_string(p, &ck_cfg_cur_cert(p)->key_file, value);
}

const struct key_def ck_cfg_cert_keys[] = {
	{ "domains", set_domains },
	{ "key", set_key },
	{ "challenge", set_challenge },
	{ "http_port", set_http_port },
	{ "renew_before", set_renew_before },
	{ "key_reuse", set_key_reuse },
	{ "key_file", set_key_file },
	{ NULL, NULL }
};

_Static_assert(sizeof(ck_cfg_acme_keys) / sizeof(ck_cfg_acme_keys[0]) <= KEYS_MAX + 1 &&
    sizeof(ck_cfg_tpm_keys) / sizeof(ck_cfg_tpm_keys[0]) <= KEYS_MAX + 1 &&
    sizeof(ck_cfg_cert_keys) / sizeof(ck_cfg_cert_keys[0]) <= KEYS_MAX + 1, "seen[] is too small");
