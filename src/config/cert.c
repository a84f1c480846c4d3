/*
 * config/cert.c: the keys of a [cert:NAME] section (names, key, challenge,
 * renewal window, hooks) and the checks between them.
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

#include "certkeeper/util/argv.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/util/limits.h"
#include "internal.h"

/* hook_timeout, in seconds */
#define HOOK_TIMEOUT_MIN	1
#define HOOK_TIMEOUT_MAX	3600
/* dns_propagation_wait, in seconds */
#define DNS_WAIT_MAX		3600

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

/* Adds one trimmed, lower-cased entry of the domains list; an IP address in its canonical form. */
static int
add_domain(struct parse *p, const char *key, char *name, const char *value)
{
	struct ck_cert_config *cc = ck_cfg_cert(p);
	char q[QUOTE_BUF], ip[CK_IP_TEXT_MAX];
	const char *why;
	char **grown, *s;
	size_t i;

	if (name[0] == '\0')
		return ck_cfg_fail(p, p->lineno, "%s: empty entry in \"%s\"", key,
		    ck_cfg_quote(q, sizeof(q), value));
	for (s = name; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	/* RFC 8738: an address is an "ip" identifier; one spelling of it, so duplicates show. */
	if (ck_ip_canonical(name, ip, sizeof(ip)) == 0)
		name = ip;
	else if ((why = dns_name_problem(name)) != NULL)
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
	return ck_cfg_key_type(p, key, value, ~0u, &ck_cfg_cert(p)->key);
}

/* challenge: http-01, tls-alpn-01, dns-01 or none. */
static int
set_challenge(struct parse *p, const char *key, const char *value)
{
	static const struct {
		const char *name;
		enum ck_challenge type;
	} types[] = {
		{ "http-01", CK_CHALLENGE_HTTP01 },
		{ "tls-alpn-01", CK_CHALLENGE_TLSALPN01 },
		{ "dns-01", CK_CHALLENGE_DNS01 },
		{ "none", CK_CHALLENGE_NONE },
	};
	char q[QUOTE_BUF];
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(value, types[i].name) == 0) {
			ck_cfg_cert(p)->challenge = types[i].type;
			return 0;
		}
	return ck_cfg_fail(p, p->lineno, "%s: unsupported challenge \"%s\" "
	    "(expected http-01, tls-alpn-01, dns-01 or none)", key, ck_cfg_quote(q, sizeof(q), value));
}

/* A port: 1..65535, digits only. */
static int
set_port(struct parse *p, const char *key, const char *value, int *field)
{
	char q[QUOTE_BUF];
	const char *s;
	long port = 0;

	for (s = value; isdigit((unsigned char)*s) && port <= 65535; s++)
		port = port * 10 + (*s - '0');
	if (s == value || *s != '\0' || port < 1 || port > 65535)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a port number (1-65535)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	*field = (int)port;
	return 0;
}

/* http_port: where the http-01 responder listens. */
static int
set_http_port(struct parse *p, const char *key, const char *value)
{
	return set_port(p, key, value, &ck_cfg_cert(p)->http_port);
}

/* tls_port: where the tls-alpn-01 responder listens. */
static int
set_tls_port(struct parse *p, const char *key, const char *value)
{
	return set_port(p, key, value, &ck_cfg_cert(p)->tls_port);
}

/* webroot: an absolute directory; whether it exists is seen when a token is written. */
static int
set_webroot(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (value[0] != '/' || ck_cfg_has_space(value))
		return ck_cfg_fail(p, p->lineno,
		    "%s: \"%s\" is not an absolute directory path without spaces", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &ck_cfg_cert(p)->webroot, value);
}

/* "N%" (1..99) or a duration: sets *pct or *secs, clears the other. */
static int
parse_share_or_duration(struct parse *p, const char *key, const char *value, int *pct,
    long *secs)
{
	size_t len = strlen(value);
	char q[QUOTE_BUF];
	const char *s = value;
	long n;

	if (len > 1 && value[len - 1] == '%') {
		if (ck_cfg_number(&s, &n) < 0 || s != value + len - 1)
			goto bad;
		if (n < 1 || n > 99)
			return ck_cfg_fail(p, p->lineno, "%s: share \"%s\" is outside 1%%..99%%", key,
			    ck_cfg_quote(q, sizeof(q), value));
		*pct = (int)n;
		*secs = 0;
		return 0;
	}
	if (ck_cfg_duration(value, &n) < 0)
		goto bad;
	if (n < 1)
		return ck_cfg_fail(p, p->lineno, "%s: duration \"%s\" must be positive", key,
		    ck_cfg_quote(q, sizeof(q), value));
	*secs = n;
	*pct = 0;
	return 0;
bad:
	return ck_cfg_fail(p, p->lineno,
	    "%s: \"%s\" is neither a share (1%%..99%%) nor a duration (N followed by s, m, h or d)",
	    key, ck_cfg_quote(q, sizeof(q), value));
}

/* renew_before: a share of the lifetime left, or the time left, when renewal is due. */
static int
set_renew_before(struct parse *p, const char *key, const char *value)
{
	struct ck_cert_config *cc = ck_cfg_cert(p);

	return parse_share_or_duration(p, key, value, &cc->renew_before_pct,
	    &cc->renew_before_secs);
}

/* warn_before: a share of the lifetime left, or the time left, when expiring-soon is announced. */
static int
set_warn_before(struct parse *p, const char *key, const char *value)
{
	struct ck_cert_config *cc = ck_cfg_cert(p);

	return parse_share_or_duration(p, key, value, &cc->warn_before_pct, &cc->warn_before_secs);
}

/* key_reuse: yes or no. */
static int
set_key_reuse(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_yes_no(p, key, value, &ck_cfg_cert(p)->key_reuse);
}

/* key_file: a path; whether it needs key_reuse is checked in close_cert(). */
static int
set_key_file(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_set_string(p, &ck_cfg_cert(p)->key_file, value);
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
	return set_hook(p, key, value, &ck_cfg_cert(p)->deploy_hook);
}

/* verify_hook: run after the deploy hook; its failure rolls the install back. */
static int
set_verify_hook(struct parse *p, const char *key, const char *value)
{
	return set_hook(p, key, value, &ck_cfg_cert(p)->verify_hook);
}

/* dns_hook: the dns-01 command, run as COMMAND add|remove RECORD VALUE. */
static int
set_dns_hook(struct parse *p, const char *key, const char *value)
{
	return set_hook(p, key, value, &ck_cfg_cert(p)->dns_hook);
}

/* dns_propagation_wait: 0s..1h between the dns hook's add and the validation request. */
static int
set_dns_wait(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, 0, DNS_WAIT_MAX, "0s..1h",
	    &ck_cfg_cert(p)->dns_propagation_wait);
}

/* hook_timeout: a duration of 1s..1h that bounds each run of a hook. */
static int
set_hook_timeout(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, HOOK_TIMEOUT_MIN, HOOK_TIMEOUT_MAX,
	    "1s..1h", &ck_cfg_cert(p)->hook_timeout);
}

/* profile: an ACME profile name (printable, no blanks); whether the CA offers it is asked at order time. */
static int
set_profile(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (ck_cfg_has_space(value) || strlen(value) > 64)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a profile name (at most 64 "
		    "printable characters, no blanks)", key, ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &ck_cfg_cert(p)->profile, value);
}

/* preferred_chain: the common name of the topmost issuer of the chain to install. */
static int
set_preferred_chain(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_set_string(p, &ck_cfg_cert(p)->preferred_chain, value);
}

static const struct key_def cert_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "domains", set_domains, NULL, KEY_REQUIRED, "comma-separated DNS names and IP addresses" },
	{ "key", set_key, "ec-p256", KEY_OPTIONAL, "the certificate's key type" },
	{ "challenge", set_challenge, "http-01", KEY_OPTIONAL, "how the CA validates the names" },
	{ "http_port", set_http_port, "80", KEY_OPTIONAL, "where the http-01 responder listens" },
	{ "tls_port", set_tls_port, "443", KEY_OPTIONAL, "where the tls-alpn-01 responder listens" },
	{ "webroot", set_webroot, NULL, KEY_OPTIONAL, "http-01 token files under DIR, no responder" },
	{ "dns_hook", set_dns_hook, NULL, KEY_OPTIONAL, "dns-01: COMMAND add|remove RECORD VALUE" },
	{ "dns_propagation_wait", set_dns_wait, "0s", KEY_OPTIONAL, "dns-01: wait after the add" },
	/* Absent: the lifetime rule of cert/due.h (a third left, half for ten days or less). */
	{ "renew_before", set_renew_before, NULL, KEY_OPTIONAL, "lifetime share or time left" },
	/* Absent: a sixth of the lifetime left, as the shipped alert rules warn. */
	{ "warn_before", set_warn_before, NULL, KEY_OPTIONAL, "when expiring-soon is announced" },
	{ "key_reuse", set_key_reuse, "no", KEY_OPTIONAL, "keep the key across renewals" },
	{ "key_file", set_key_file, NULL, KEY_OPTIONAL, "an existing key to use (needs key_reuse)" },
	{ "deploy_hook", set_deploy_hook, NULL, KEY_OPTIONAL, "command run after each install" },
	{ "verify_hook", set_verify_hook, NULL, KEY_OPTIONAL, "command that checks the deploy" },
	{ "hook_timeout", set_hook_timeout, "60s", KEY_OPTIONAL, "how long one hook may run" },
	{ "profile", set_profile, NULL, KEY_OPTIONAL, "ACME profile asked for in newOrder" },
	{ "preferred_chain", set_preferred_chain, NULL, KEY_OPTIONAL, "topmost issuer CN wanted" },
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

/* A key that only one challenge type uses, set for another: refused with both named. */
static int
only_with(struct parse *p, const char *key, enum ck_challenge type, const char *tname)
{
	int line = ck_cfg_key_line(p, key);

	if (line == 0 || ck_cfg_cert(p)->challenge == type)
		return 0;
	return ck_cfg_fail(p, line, "%s is for challenge = %s only", key, tname);
}

/* Checks the names against the challenge: wildcards need dns-01, addresses cannot use it. */
static int
check_names(struct parse *p)
{
	struct ck_cert_config *cc = ck_cfg_cert(p);
	char q[QUOTE_BUF];
	size_t i;

	for (i = 0; i < cc->ndomains; i++) {
		/* RFC 8555 7.1.3: CAs validate wildcards only through dns-01. */
		if (cc->domains[i][0] == '*' && cc->challenge != CK_CHALLENGE_DNS01 &&
		    cc->challenge != CK_CHALLENGE_NONE)
			return ck_cfg_fail(p, ck_cfg_key_line(p, "domains"),
			    "domains: wildcard \"%s\" can only be validated with dns-01",
			    ck_cfg_quote(q, sizeof(q), cc->domains[i]));
		/* RFC 8738 7: an IP address has no DNS zone to put a TXT record in. */
		if (cc->challenge == CK_CHALLENGE_DNS01 && ck_ip_is_addr(cc->domains[i]))
			return ck_cfg_fail(p, ck_cfg_key_line(p, "domains"),
			    "domains: IP address \"%s\" cannot be validated with dns-01 "
			    "(RFC 8738: http-01 or tls-alpn-01)", ck_cfg_quote(q, sizeof(q), cc->domains[i]));
	}
	return 0;
}

/* Checks the keys of a [cert:NAME] against each other, once all are known. */
static int
close_cert(struct parse *p)
{
	struct ck_cert_config *cc = ck_cfg_cert(p);

	if (cc->key_file != NULL && !cc->key_reuse)
		return ck_cfg_fail(p, ck_cfg_key_line(p, "key_file"),
		    "key_file requires key_reuse = yes");
	if (check_names(p) != 0 ||
	    only_with(p, "webroot", CK_CHALLENGE_HTTP01, "http-01") != 0 ||
	    only_with(p, "tls_port", CK_CHALLENGE_TLSALPN01, "tls-alpn-01") != 0 ||
	    only_with(p, "dns_hook", CK_CHALLENGE_DNS01, "dns-01") != 0 ||
	    only_with(p, "dns_propagation_wait", CK_CHALLENGE_DNS01, "dns-01") != 0)
		return -1;
	if (cc->challenge == CK_CHALLENGE_DNS01 && cc->dns_hook == NULL)
		return ck_cfg_fail(p, ck_cfg_key_line(p, "challenge"),
		    "challenge = dns-01 needs dns_hook (the command that adds and removes the record)");
	return 0;
}

const struct section_def ck_cfg_cert_section = {
	/* name, named?, title, required?, keys, number of keys, open, close */
	"cert:", 1, "[cert:NAME]", 1, cert_keys, NKEYS(cert_keys), open_cert, close_cert
};
