/*
 * config/telemetry.c: the keys of [telemetry] (what the agent reports and
 * where).
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
	return ck_cfg_set_string(p, &p->cfg->metrics_file, value);
}

/* push_timeout, in seconds */
#define PUSH_TIMEOUT_MIN	1
#define PUSH_TIMEOUT_MAX	60
/* Longest job or instance label value; a domain name is at most 253. */
#define PUSH_LABEL_MAX		255

/* Non-zero when s is 1..max bytes of printable ASCII without blanks. */
static int
printable_word(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * push_url: https://HOST[:PORT][/PATH], printable, without blanks, user
 * information, query or fragment; a trailing slash is dropped (the
 * grouping key's path is appended to it).
 */
static int
set_push_url(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];
	const char *host = value + 8;
	size_t len = strlen(value);

	if (strncmp(value, "https://", 8) != 0 || host[0] == '\0' || host[0] == '/' ||
	    !printable_word(value, 1024) || strpbrk(value, "?#@") != NULL)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an https:// URL of a Pushgateway "
		    "(https://HOST:PORT, no user, query or fragment)", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (ck_cfg_set_string(p, &p->cfg->push_url, value) < 0)
		return -1;
	while (len > 8 && p->cfg->push_url[len - 1] == '/')
		p->cfg->push_url[--len] = '\0';
	return 0;
}

/* push_job, push_instance: a label value of printable ASCII without blanks. */
static int
set_push_label(struct parse *p, const char *key, const char *value, char **field)
{
	char q[QUOTE_BUF];

	if (!printable_word(value, PUSH_LABEL_MAX))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a label value (1 to %d printable "
		    "ASCII characters, no blanks)", key, ck_cfg_quote(q, sizeof(q), value),
		    PUSH_LABEL_MAX);
	return ck_cfg_set_string(p, field, value);
}

static int
set_push_job(struct parse *p, const char *key, const char *value)
{
	return set_push_label(p, key, value, &p->cfg->push_job);
}

static int
set_push_instance(struct parse *p, const char *key, const char *value)
{
	return set_push_label(p, key, value, &p->cfg->push_instance);
}

/* push_cert: a certificate section's NAME (that it exists is checked after the file). */
static int
set_push_cert(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (!printable_word(value, CERT_NAME_MAX))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not the NAME of a [cert:NAME] section",
		    key, ck_cfg_quote(q, sizeof(q), value));
	p->push_cert_line = p->lineno;
	return ck_cfg_set_string(p, &p->cfg->push_cert, value);
}

/* push_ca_bundle: a readable regular file, checked now. */
static int
set_push_ca_bundle(struct parse *p, const char *key, const char *value)
{
	if (ck_cfg_regular_file(p, key, value) < 0)
		return -1;
	return ck_cfg_set_string(p, &p->cfg->push_ca_bundle, value);
}

static int
set_push_timeout(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, PUSH_TIMEOUT_MIN, PUSH_TIMEOUT_MAX, "1s..60s",
	    &p->cfg->push_timeout);
}

int
ck_cfg_telemetry_finish(struct parse *p)
{
	struct ck_config *cfg = p->cfg;
	const struct ck_cert_config *cc;
	char q[QUOTE_BUF];

	if (cfg->push_url == NULL)
		return 0;
	if (cfg->push_cert == NULL) {
		if (cfg->ncerts == 0)
			return 0;	/* "no [cert:NAME] section" is reported already */
		if (ck_cfg_set_string(p, &cfg->push_cert, cfg->certs[0].name) < 0)
			return -1;
	}
	if ((cc = ck_config_cert(cfg, cfg->push_cert)) == NULL)
		return ck_cfg_fail(p, p->push_cert_line, "push_cert: no [cert:%s] section",
		    ck_cfg_quote(q, sizeof(q), cfg->push_cert));
	/* TLS 1.3 signs with RSA-PSS, which the signer seam does not carry (keys/pkey.h). */
	if (cc->key == CK_KEY_RSA_2048 || cc->key == CK_KEY_RSA_3072)
		return ck_cfg_fail(p, p->push_cert_line ? p->push_cert_line : cc->line,
		    "push_cert: [cert:%s] has an %s key; the push authenticates with EC keys only "
		    "(ec-p256, ec-p384, tpm, tpm-p384)", cc->name, ck_key_type_name(cc->key));
	if (cfg->push_instance == NULL && ck_cfg_set_string(p, &cfg->push_instance,
	    cc->domains[0]) < 0)
		return -1;
	return 0;
}

static const struct key_def telemetry_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "metrics_file", set_metrics_file, CK_DEFAULT_METRICS_FILE, KEY_EMPTY_OFF,
	    "Prometheus textfile written after each pass; empty: off" },
	{ "push_url", set_push_url, NULL, KEY_OPTIONAL,
	    "Pushgateway base URL (https://HOST:PORT) the metrics are pushed to; absent: no push" },
	{ "push_job", set_push_job, CK_DEFAULT_PUSH_JOB, KEY_OPTIONAL,
	    "the push's job label" },
	{ "push_instance", set_push_instance, NULL, KEY_OPTIONAL,
	    "the push's instance label; default: push_cert's first domain" },
	{ "push_cert", set_push_cert, NULL, KEY_OPTIONAL,
	    "the [cert:NAME] whose certificate and key authenticate the push; default: the first" },
	{ "push_ca_bundle", set_push_ca_bundle, NULL, KEY_OPTIONAL,
	    "PEM trust for the Pushgateway's TLS; default: system store" },
	{ "push_timeout", set_push_timeout, "10s", KEY_OPTIONAL,
	    "how long one push may take (1s..60s)" },
};

const struct section_def ck_cfg_telemetry_section = {
	/* name, named?, title, required?, keys, number of keys, open, close */
	"telemetry", 0, "[telemetry]", 0, telemetry_keys, NKEYS(telemetry_keys), NULL, NULL
};
