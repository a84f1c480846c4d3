/*
 * config/keys.c: the value parsers and the key table of each section
 * ([acme], [tpm], [telemetry], [cert:NAME]); the loader (config.c) looks keys
 * up here.
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
#include "certkeeper/util/argv.h"
#include "certkeeper/util/limits.h"
#include "internal.h"

/* order_timeout and hook_timeout, in seconds */
#define ORDER_TIMEOUT_MIN	1
#define ORDER_TIMEOUT_MAX	3600
/* retry_min and retry_max, in seconds: a second to a day, a second to a week */
#define RETRY_MIN_MAX		86400
#define RETRY_MAX_MAX		(7 * 86400)
#define HOOK_TIMEOUT_MIN	1
#define HOOK_TIMEOUT_MAX	3600

/* Replaces *field with a copy of value; returns 0, or -1 (recorded) when out of memory. */
static int
set_string(struct parse *p, char **field, const char *value)
{
	char *copy;

	if ((copy = strdup(value)) == NULL)
		return ck_cfg_fail(p, p->lineno, "strdup: out of memory");
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
static int
has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* Reads the digits at *s; -1 when there are none or they overflow (both: "not a number"). */
static int
parse_number(const char **s, long *out)
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
static int
parse_duration(const char *value, long *secs)
{
	const char *s = value;
	long n, unit;

	if (parse_number(&s, &n) < 0 || s[0] == '\0' || s[1] != '\0')
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
static int
parse_yes_no(struct parse *p, const char *key, const char *value, int *out)
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

/* --- [acme] -------------------------------------------------------------- */

/* directory: an https:// URL without blanks. */
static int
set_directory(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (strncmp(value, "https://", 8) != 0 || value[8] == '\0' || has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an https:// URL", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->directory, value);
}

/* ca_bundle: a readable regular file, checked now so that a typo shows before any traffic. */
static int
set_ca_bundle(struct parse *p, const char *key, const char *value)
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
	return set_string(p, &p->cfg->ca_bundle, value);
}

/* contact: a mailto: URI without blanks. */
static int
set_contact(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (strncmp(value, "mailto:", 7) != 0 || value[7] == '\0' || has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a mailto: URI", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return set_string(p, &p->cfg->contact, value);
}

/* state_dir: an absolute path. */
static int
set_state_dir(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (value[0] != '/')
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an absolute path", key,
		    ck_cfg_quote(q, sizeof(q), value));
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

/*
 * A duration of min..max seconds (range names them in the message, as
 * "1s..1h") into *secs; records the error.
 */
static int
parse_bounded_duration(struct parse *p, const char *key, const char *value, long min, long max,
    const char *range, long *secs)
{
	char q[QUOTE_BUF];
	long n;

	if (parse_duration(value, &n) < 0)
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is not a duration (N followed by s, m, h or d)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (n < min || n > max)
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" is outside %s", key,
		    ck_cfg_quote(q, sizeof(q), value), range);
	*secs = n;
	return 0;
}

/* order_timeout: a duration of 1s..1h that bounds how long one order waits for the CA. */
static int
set_order_timeout(struct parse *p, const char *key, const char *value)
{
	return parse_bounded_duration(p, key, value, ORDER_TIMEOUT_MIN, ORDER_TIMEOUT_MAX,
	    "1s..1h", &p->cfg->order_timeout);
}

/* A duration from 1 s to max seconds (named range in messages) into *out. */
static int
parse_wait(struct parse *p, const char *key, const char *value, long max, const char *range,
    long *out)
{
	char q[QUOTE_BUF];
	long secs;

	if (parse_duration(value, &secs) < 0)
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is not a duration (N followed by s, m, h or d)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (secs < 1 || secs > max)
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" is outside %s", key,
		    ck_cfg_quote(q, sizeof(q), value), range);
	*out = secs;
	return 0;
}

/* retry_min: the wait after a first failure, 1s..1d. */
static int
set_retry_min(struct parse *p, const char *key, const char *value)
{
	return parse_wait(p, key, value, RETRY_MIN_MAX, "1s..1d", &p->cfg->retry_min);
}

/* retry_max: the longest wait between failed attempts, 1s..7d. */
static int
set_retry_max(struct parse *p, const char *key, const char *value)
{
	return parse_wait(p, key, value, RETRY_MAX_MAX, "1s..7d", &p->cfg->retry_max);
}

/* Checks the keys of [acme] against each other, once all are known. */
static int
close_acme(struct parse *p)
{
	int line = ck_cfg_key_line(p, "retry_max");

	if (p->cfg->retry_min > p->cfg->retry_max)
		return ck_cfg_fail(p, line != 0 ? line : ck_cfg_key_line(p, "retry_min"),
		    "retry_min (%lds) is longer than retry_max (%lds)", p->cfg->retry_min,
		    p->cfg->retry_max);
	return 0;
}

/* group_readable: yes or no. */
static int
set_group_readable(struct parse *p, const char *key, const char *value)
{
	return parse_yes_no(p, key, value, &p->cfg->group_readable);
}

static const struct key_def acme_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "directory", set_directory, NULL, KEY_REQUIRED, "the CA's ACME directory URL (https://)" },
	{ "ca_bundle", set_ca_bundle, NULL, KEY_OPTIONAL, "PEM trust for the CA's TLS; absent: system" },
	{ "contact", set_contact, NULL, KEY_OPTIONAL, "mailto: URI sent with the account" },
	{ "state_dir", set_state_dir, CK_DEFAULT_STATE_DIR, KEY_OPTIONAL, "accounts, keys, certs" },
	{ "account_key", set_account_key, "ec-p256", KEY_OPTIONAL, "the ACME account's key type" },
	{ "order_timeout", set_order_timeout, "90s", KEY_OPTIONAL, "how long one order may wait" },
	{ "retry_min", set_retry_min, "1m", KEY_OPTIONAL, "first wait after a failed attempt" },
	{ "retry_max", set_retry_max, "6h", KEY_OPTIONAL, "longest wait between failed attempts" },
	{ "group_readable", set_group_readable, "no", KEY_OPTIONAL, "installs readable by the group" },
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
	char q[QUOTE_BUF], norm[16];
	uint32_t h;

	if (ck_tpm_parent_parse(value, &h) != 0)
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is neither \"owner\" nor a persistent handle (0x81000000-0x81FFFFFF)",
		    key, ck_cfg_quote(q, sizeof(q), value));
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
		return ck_cfg_fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return set_string(p, &p->cfg->tpm_owner_auth, value);
}

/* owner_auth_file: a file holding that password; excludes owner_auth. */
static int
set_owner_auth_file(struct parse *p, const char *key, const char *value)
{
	if (p->cfg->tpm_owner_auth != NULL)
		return ck_cfg_fail(p, p->lineno, "owner_auth and owner_auth_file cannot both be set");
	return set_string(p, &p->cfg->tpm_owner_auth_file, value);
}

/* No defaults here: absent means "the TPM code's default" (keys/tpm.h), kept NULL. */
static const struct key_def tpm_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "tcti", set_tcti, NULL, KEY_OPTIONAL, "TCTI string; absent: device:/dev/tpmrm0" },
	{ "parent", set_parent, NULL, KEY_OPTIONAL, "owner, or a persistent handle 0x81xxxxxx" },
	{ "owner_auth", set_owner_auth, NULL, KEY_OPTIONAL, "owner hierarchy password" },
	{ "owner_auth_file", set_owner_auth_file, NULL, KEY_OPTIONAL, "file whose first line is it" },
};

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
	return set_string(p, &p->cfg->metrics_file, value);
}

static const struct key_def telemetry_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "metrics_file", set_metrics_file, CK_DEFAULT_METRICS_FILE, KEY_EMPTY_OFF,
	    "Prometheus textfile written after each pass; empty: off" },
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
	char q[QUOTE_BUF];
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
	/* The ACME client and the challenge solvers handle this many names, no more. */
	if (cc->ndomains == CK_MAX_IDENTIFIERS)
		return ck_cfg_fail(p, p->lineno,
		    "%s: more than %d names (the most one certificate can carry)", key,
		    CK_MAX_IDENTIFIERS);
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
	return parse_key_type(p, key, value, ~0u, &cur_cert(p)->key);
}

/* challenge: http-01, the only one supported so far. */
static int
set_challenge(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (strcmp(value, "http-01") != 0)
		return ck_cfg_fail(p, p->lineno, "%s: unsupported challenge \"%s\" (expected http-01)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	cur_cert(p)->challenge = CK_CHALLENGE_HTTP01;
	return 0;
}

/* http_port: 1..65535, digits only. */
static int
set_http_port(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];
	const char *s;
	long port = 0;

	for (s = value; isdigit((unsigned char)*s) && port <= 65535; s++)
		port = port * 10 + (*s - '0');
	if (s == value || *s != '\0' || port < 1 || port > 65535)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a port number (1-65535)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	cur_cert(p)->http_port = (int)port;
	return 0;
}

/* renew_before: "N%" (1..99) or a duration; sets one field, clears the other. */
static int
set_renew_before(struct parse *p, const char *key, const char *value)
{
	struct ck_cert_config *cc = cur_cert(p);
	size_t len = strlen(value);
	char q[QUOTE_BUF];
	const char *s = value;
	long n;

	if (len > 1 && value[len - 1] == '%') {
		if (parse_number(&s, &n) < 0 || s != value + len - 1)
			goto bad;
		if (n < 1 || n > 99)
			return ck_cfg_fail(p, p->lineno, "%s: share \"%s\" is outside 1%%..99%%", key,
			    ck_cfg_quote(q, sizeof(q), value));
		cc->renew_before_pct = (int)n;
		cc->renew_before_secs = 0;
		return 0;
	}
	if (parse_duration(value, &n) < 0)
		goto bad;
	if (n < 1)
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" must be positive", key,
		    ck_cfg_quote(q, sizeof(q), value));
	cc->renew_before_secs = n;
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
	return parse_yes_no(p, key, value, &cur_cert(p)->key_reuse);
}

/* key_file: a path; whether it needs key_reuse is checked in close_cert(). */
static int
set_key_file(struct parse *p, const char *key, const char *value)
{
	return set_string(p, &cur_cert(p)->key_file, value);
}

/*
 * deploy_hook, verify_hook: a command split into words (util/argv.h) whose
 * first word is an absolute path, since hooks run with a minimal PATH.
 */
static int
set_hook(struct parse *p, const char *key, const char *value, char ***field)
{
	char q[QUOTE_BUF], **argv = NULL;
	const char *why;

	if (ck_argv_split(value, &argv, &why) != 0)
		return ck_cfg_fail(p, p->lineno, "%s: %s in \"%s\"", key, why,
		    ck_cfg_quote(q, sizeof(q), value));
	if (argv[0][0] != '/') {
		ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is not an absolute path (hooks run with a minimal PATH)", key,
		    ck_cfg_quote(q, sizeof(q), argv[0]));
		ck_argv_free(argv);
		return -1;
	}
	ck_argv_free(*field);
	*field = argv;
	return 0;
}

/* deploy_hook: run after each install, and again while its deploy is pending. */
static int
set_deploy_hook(struct parse *p, const char *key, const char *value)
{
	return set_hook(p, key, value, &cur_cert(p)->deploy_hook);
}

/* verify_hook: run after the deploy hook; its failure rolls the install back. */
static int
set_verify_hook(struct parse *p, const char *key, const char *value)
{
	return set_hook(p, key, value, &cur_cert(p)->verify_hook);
}

/* hook_timeout: a duration of 1s..1h that bounds each run of a hook. */
static int
set_hook_timeout(struct parse *p, const char *key, const char *value)
{
	return parse_bounded_duration(p, key, value, HOOK_TIMEOUT_MIN, HOOK_TIMEOUT_MAX,
	    "1s..1h", &cur_cert(p)->hook_timeout);
}

static const struct key_def cert_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "domains", set_domains, NULL, KEY_REQUIRED, "comma-separated DNS names" },
	{ "key", set_key, "ec-p256", KEY_OPTIONAL, "the certificate's key type" },
	{ "challenge", set_challenge, "http-01", KEY_OPTIONAL, "how the CA validates the names" },
	{ "http_port", set_http_port, "80", KEY_OPTIONAL, "where the http-01 responder listens" },
	/* Absent: the lifetime rule of cert/due.h (a third left, half for ten days or less). */
	{ "renew_before", set_renew_before, NULL, KEY_OPTIONAL, "lifetime share or time left" },
	{ "key_reuse", set_key_reuse, "no", KEY_OPTIONAL, "keep the key across renewals" },
	{ "key_file", set_key_file, NULL, KEY_OPTIONAL, "an existing key to use (needs key_reuse)" },
	{ "deploy_hook", set_deploy_hook, NULL, KEY_OPTIONAL, "command run after each install" },
	{ "verify_hook", set_verify_hook, NULL, KEY_OPTIONAL, "command that checks the deploy" },
	{ "hook_timeout", set_hook_timeout, "60s", KEY_OPTIONAL, "how long one hook may run" },
};

/* Starts a [cert:NAME]: NAME becomes a directory name, so it is checked strictly. */
static int
open_cert(struct parse *p, const char *name)
{
	struct ck_config *cfg = p->cfg;
	struct ck_cert_config *grown, *cc;
	char q[QUOTE_BUF];
	size_t i;

	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(name))
		return ck_cfg_fail(p, p->lineno,
		    "invalid certificate name \"%s\" (letters, digits, '.', '_' and '-'; not \".\" or \"..\")",
		    ck_cfg_quote(q, sizeof(q), name));
	if (strlen(name) > CERT_NAME_MAX)
		return ck_cfg_fail(p, p->lineno, "certificate name \"%s\" is longer than %d characters",
		    ck_cfg_quote(q, sizeof(q), name), CERT_NAME_MAX);
	for (i = 0; i < cfg->ncerts; i++)
		if (strcmp(cfg->certs[i].name, name) == 0)
			return ck_cfg_fail(p, p->lineno, "duplicate section [cert:%s]", name);
	if ((grown = realloc(cfg->certs, (cfg->ncerts + 1) * sizeof(*grown))) == NULL)
		return ck_cfg_fail(p, p->lineno, "realloc: out of memory");
	cfg->certs = grown;
	cc = &cfg->certs[cfg->ncerts];
	memset(cc, 0, sizeof(*cc));
	if ((cc->name = strdup(name)) == NULL)
		return ck_cfg_fail(p, p->lineno, "strdup: out of memory");
	cc->line = p->lineno;
	cfg->ncerts++;
	return 0;
}

/* Checks the keys of a [cert:NAME] against each other, once all are known. */
static int
close_cert(struct parse *p)
{
	struct ck_cert_config *cc = cur_cert(p);
	char q[QUOTE_BUF];
	size_t i;

	if (cc->key_file != NULL && !cc->key_reuse)
		return ck_cfg_fail(p, ck_cfg_key_line(p, "key_file"),
		    "key_file requires key_reuse = yes");
	/* RFC 8555 7.1.3: CAs validate wildcards only through dns-01. */
	for (i = 0; i < cc->ndomains; i++)
		if (cc->domains[i][0] == '*' && cc->challenge == CK_CHALLENGE_HTTP01)
			return ck_cfg_fail(p, ck_cfg_key_line(p, "domains"),
			    "domains: wildcard \"%s\" cannot be validated with http-01",
			    ck_cfg_quote(q, sizeof(q), cc->domains[i]));
	return 0;
}

/* --- the sections -------------------------------------------------------- */

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

const struct section_def ck_cfg_sections[] = {
	/* name, named?, title, required?, keys, number of keys, open, close */
	{ "acme", 0, "[acme]", 1, acme_keys, NKEYS(acme_keys), NULL, close_acme },
	{ "tpm", 0, "[tpm]", 0, tpm_keys, NKEYS(tpm_keys), NULL, NULL },
	{ "telemetry", 0, "[telemetry]", 0, telemetry_keys, NKEYS(telemetry_keys), NULL, NULL },
	{ "cert:", 1, "[cert:NAME]", 1, cert_keys, NKEYS(cert_keys), open_cert, close_cert },
};
const size_t ck_cfg_nsections = NKEYS(ck_cfg_sections);
