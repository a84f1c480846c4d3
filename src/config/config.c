/*
 * config/config.c: the loader of the INI configuration (see config/config.h
 * and conf/certkeeper.conf): the line reader, sections, the libinih glue,
 * and load/free/lookup.  What each key accepts is in the section files (keys.c lists them).
 *
 * libinih splits lines into sections and key = value pairs, but its handler
 * sees neither line numbers nor section headers.  So we feed it through our
 * own line reader, which counts lines, opens and closes sections, and hands
 * libinih one physical line at a time; the handler then knows the line of
 * every key.  The first error is kept and parsing stops there.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "certkeeper/util/argv.h"
#include "internal.h"

/* Keeps only the first error: later ones are often its consequences. */
int
ck_cfg_fail(struct parse *p, int line, const char *fmt, ...)
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

/* User-written text goes into messages made safe and short. */
const char *
ck_cfg_quote(char *buf, size_t buflen, const char *s)
{
	size_t len = strlen(s);

	if (len > QUOTE_MAX && buflen > QUOTE_MAX) {
		ck_sanitize(buf, QUOTE_MAX - 2, s, len);
		strcat(buf, "...");
	} else
		ck_sanitize(buf, buflen, s, len);
	return buf;
}

/* --- sections ------------------------------------------------------------ */

/* Cross-key checks point at the line of the key at fault, not at the section. */
int
ck_cfg_key_line(const struct parse *p, const char *key)
{
	size_t i;

	if (p->sect == NULL)
		return 0;
	for (i = 0; i < p->sect->nkeys; i++)
		if (strcmp(p->sect->keys[i].name, key) == 0)
			return p->seen[i];
	return 0;
}

/* Ends the open section: required keys, then defaults, then the section's own checks. */
static int
close_section(struct parse *p)
{
	const struct section_def *sd = p->sect;
	const struct key_def *k;
	size_t i;

	if (sd == NULL)
		return 0;
	for (i = 0; i < sd->nkeys; i++)
		if (sd->keys[i].required == KEY_REQUIRED && !p->seen[i])
			return ck_cfg_fail(p, p->sectline, "[%s] has no %s", p->sectname,
			    sd->keys[i].name);
	for (i = 0; i < sd->nkeys; i++) {
		k = &sd->keys[i];
		if (!p->seen[i] && k->def != NULL && k->set(p, k->name, k->def) < 0)
			return -1;
	}
	if (sd->close != NULL && sd->close(p) < 0)
		return -1;
	p->sect = NULL;
	return 0;
}

/* Finds the ck_cfg_sections entry of a header (its index in *idx); *arg gets NAME of a named one. */
static const struct section_def *
find_section(const char *name, const char **arg, size_t *idx)
{
	const struct section_def *sd;
	size_t i;

	for (i = 0; i < ck_cfg_nsections; i++) {
		sd = ck_cfg_sections[i];
		*idx = i;
		if (sd->named && strncmp(name, sd->name, strlen(sd->name)) == 0) {
			*arg = name + strlen(sd->name);
			return sd;
		}
		if (!sd->named && strcmp(name, sd->name) == 0) {
			*arg = "";
			return sd;
		}
	}
	return NULL;
}

/* Handles a "[...]" line (s starts at '['): closes the previous section, opens this one. */
static int
open_section(struct parse *p, const char *s)
{
	char q[QUOTE_BUF], name[CONFIG_LINE_MAX + 2];
	const struct section_def *sd;
	const char *close, *rest, *arg;
	size_t len, idx;

	if ((close = strchr(s, ']')) == NULL)
		return ck_cfg_fail(p, p->lineno, "section header without ']'");
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return ck_cfg_fail(p, p->lineno, "unexpected text after the section header");
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
	p->sectline = p->lineno;
	if ((sd = find_section(name, &arg, &idx)) == NULL)
		return ck_cfg_fail(p, p->lineno, "unknown section [%s]", ck_cfg_quote(q, sizeof(q), name));
	if (!sd->named && p->headers[idx])
		return ck_cfg_fail(p, p->lineno, "duplicate section [%s]", name);
	if (sd->open != NULL && sd->open(p, arg) < 0)
		return -1;
	if (!p->headers[idx])
		p->headers[idx] = p->lineno;
	/* One "seen" line per row of this section's table, whatever its length. */
	free(p->seen);
	if ((p->seen = calloc(sd->nkeys, sizeof(*p->seen))) == NULL)
		return ck_cfg_fail(p, p->lineno, "calloc: out of memory");
	p->sect = sd;
	/* Every accepted name fits: CERT_NAME_MAX bounds the longest. */
	len = strlen(name) < sizeof(p->sectname) - 1 ? strlen(name) : sizeof(p->sectname) - 1;
	memcpy(p->sectname, name, len);
	p->sectname[len] = '\0';
	return 0;
}

/* --- libinih glue -------------------------------------------------------- */

#if HAVE_DECL_INI_MAX_LINE
/*
 * Debian's libinih makes the line buffer size a run-time setting (a stack
 * VLA of ini_max_line bytes); the default 200 is too short for a long
 * domains list.  Set for one parse; returns the value to restore.
 */
static int
ini_line_begin(void)
{
	int saved = ini_max_line;

	ini_max_line = CONFIG_LINE_MAX + 3;
	return saved;
}

/* Restores what ini_line_begin() changed: other users of libinih keep their setting. */
static void
ini_line_end(int saved)
{
	ini_max_line = saved;
}
#else
/* Upstream libinih fixes its buffer when it is built; read_line() honours it instead. */
static int
ini_line_begin(void)
{
	return 0;
}

/* Nothing was changed. */
static void
ini_line_end(int saved)
{
}
#endif

/*
 * The longest line libinih can take in a buffer of num bytes: with our '\n',
 * its '\0' and, as ini.h asks, one byte to spare.  A build that grows its
 * heap buffer (INI_ALLOW_REALLOC) grows it up to INI_MAX_LINE.
 */
static size_t
ini_line_limit(int num)
{
#if !HAVE_DECL_INI_MAX_LINE && INI_ALLOW_REALLOC && !INI_USE_STACK
	num = INI_MAX_LINE;
#endif
	return num > 3 ? (size_t)num - 3 : 0;
}

/* Copies the next piece of the pending line into libinih's buffer, as fgets() would. */
static char *
deliver(struct parse *p, char *str, int num)
{
	size_t n = p->npend < (size_t)num - 1 ? p->npend : (size_t)num - 1;

	memcpy(str, p->pend, n);
	str[n] = '\0';
	p->pend += n;
	p->npend -= n;
	return str;
}

/*
 * ini_reader: hands libinih one physical line (leading blanks removed, so
 * that an indented line is never taken as a continuation of the previous
 * value), after noting its number and any section header.  It behaves as
 * fgets() on libinih's buffer (line and '\n', split when it does not fit),
 * so every libinih build sees whole lines.  NULL ends the parse, also after
 * the first error.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len = 0, max;
	int c, any = 0, nul = 0, toolong = 0;
	char *s;

	if (num < 4) {
		ck_cfg_fail(p, 0, "ini_parse_stream: a line buffer of only %d bytes", num);
		return NULL;
	}
	/* What libinih held from the last line may be owner_auth: leave none of it. */
	OPENSSL_cleanse(str, (size_t)num);
	if (p->failed)
		return NULL;
	if (p->npend > 0)
		return deliver(p, str, num);
	while ((c = getc(p->fp)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = 1;
		if (len < CONFIG_LINE_MAX + 1)
			p->line[len++] = (char)c;
		else
			toolong = 1;
	}
	if (ferror(p->fp)) {
		ck_cfg_fail(p, 0, "read: %s", strerror(errno));
		return NULL;
	}
	if (!any)
		return NULL;
	p->line[len] = '\0';
	p->lineno++;
	if (nul) {
		ck_cfg_fail(p, p->lineno, "NUL byte in line");
		return NULL;
	}
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	max = ini_line_limit(num);
	if (max < CONFIG_LINE_MAX && (toolong || strlen(s) > max)) {
		ck_cfg_fail(p, p->lineno,
		    "line longer than %zu characters (this libinih build's line limit)", max);
		return NULL;
	}
	if (toolong || strlen(s) > CONFIG_LINE_MAX) {
		ck_cfg_fail(p, p->lineno, "line longer than %d characters", CONFIG_LINE_MAX);
		return NULL;
	}
	if (*s == '[' && open_section(p, s) < 0)
		return NULL;
	/* p->line has room: s ends at most at p->line[CONFIG_LINE_MAX + 1]. */
	len = strlen(s);
	s[len] = '\n';
	s[len + 1] = '\0';
	p->pend = s;
	p->npend = len + 1;
	return deliver(p, str, num);
}

/* ini_handler: applies one key of the current section; libinih's section name is not used. */
static int
handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct section_def *sd = p->sect;
	char q[QUOTE_BUF];
	size_t i;

	if (p->failed)
		return 0;
	if (name[0] == '\0') {
		ck_cfg_fail(p, p->lineno, "missing key name before '='");
		return 0;
	}
	if (sd == NULL) {
		ck_cfg_fail(p, p->lineno, "key \"%s\" outside any section", ck_cfg_quote(q, sizeof(q), name));
		return 0;
	}
	for (i = 0; i < sd->nkeys; i++)
		if (strcmp(sd->keys[i].name, name) == 0)
			break;
	if (i == sd->nkeys) {
		ck_cfg_fail(p, p->lineno, "unknown key \"%s\" in [%s]", ck_cfg_quote(q, sizeof(q), name),
		    p->sectname);
		return 0;
	}
	if (p->seen[i]) {
		ck_cfg_fail(p, p->lineno, "duplicate key \"%s\" in [%s]", name, p->sectname);
		return 0;
	}
	p->seen[i] = p->lineno;
	if (value[0] == '\0' && sd->keys[i].required != KEY_EMPTY_OFF) {
		ck_cfg_fail(p, p->lineno, "%s: empty value", name);
		return 0;
	}
	return sd->keys[i].set(p, name, value) == 0;
}

/*
 * Gives the keys of an optional section the file left out their defaults,
 * as a section written without those keys gets them ([telemetry] is on
 * by default).  Only for sections that are not named: a [cert:NAME] that
 * is not there is not a certificate.
 */
static int
absent_defaults(struct parse *p, const struct section_def *sd)
{
	const struct key_def *k;
	size_t i;

	for (i = 0; i < sd->nkeys; i++) {
		k = &sd->keys[i];
		if (k->def != NULL && k->set(p, k->name, k->def) < 0)
			return -1;
	}
	return 0;
}

/* Closes the last section and checks the sections that must exist, in table order. */
static int
finish(struct parse *p)
{
	size_t i;

	if (close_section(p) < 0)
		return -1;
	for (i = 0; i < ck_cfg_nsections; i++) {
		if (ck_cfg_sections[i]->required && !p->headers[i])
			return ck_cfg_fail(p, 0, "no %s section", ck_cfg_sections[i]->title);
		if (!ck_cfg_sections[i]->named && !p->headers[i] &&
		    absent_defaults(p, ck_cfg_sections[i]) < 0)
			return -1;
	}
	/* What one section's keys say about another's, once all are read. */
	return ck_cfg_telemetry_finish(p);
}

/* The whole file or nothing: *out stays NULL unless every section and key is valid. */
int
ck_config_load(const char *path, struct ck_config **out)
{
	struct parse *p = NULL;
	int saved_max_line, ret, rc = -1;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ck_error("%s: out of memory", path);
		goto out;
	}
	p->path = path;
	p->errline = INT_MAX;
	if ((p->cfg = calloc(1, sizeof(*p->cfg))) == NULL ||
	    (p->cfg->path = strdup(path)) == NULL ||
	    (p->headers = calloc(ck_cfg_nsections, sizeof(*p->headers))) == NULL) {
		ck_error("%s: out of memory", path);
		goto out;
	}
	if ((p->fp = fopen(path, "re")) == NULL) {
		ck_error_errno("%s: cannot open", path);
		goto out;
	}
	saved_max_line = ini_line_begin();
	ret = ini_parse_stream(read_line, p, handle_key, p);
	ini_line_end(saved_max_line);
	if (ret > 0 && ret < p->errline) {
		/*
		 * libinih found a line that is neither a section, a key nor a
		 * comment, before any error of ours: that one is the first.
		 */
		p->failed = 0;
		ck_cfg_fail(p, ret, "syntax error (expected [section] or key = value)");
	} else if (ret == -2)
		ck_cfg_fail(p, 0, "ini_parse_stream: out of memory");
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
		free(p->seen);
		free(p->headers);
		/* p->line may still hold the owner_auth line. */
		OPENSSL_clear_free(p, sizeof(*p));
	}
	return rc;
}

/* Frees what ck_config_load() made, wiping the owner password first; NULL is allowed. */
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
		ck_argv_free(cfg->certs[i].deploy_hook);
		free(cfg->certs[i].webroot);
		ck_argv_free(cfg->certs[i].dns_hook);
		ck_argv_free(cfg->certs[i].verify_hook);
		free(cfg->certs[i].profile);
		free(cfg->certs[i].preferred_chain);
	}
	free(cfg->certs);
	free(cfg->path);
	free(cfg->directory);
	free(cfg->ca_bundle);
	free(cfg->contact);
	for (i = 0; cfg->pins != NULL && i < cfg->npins; i++)
		free(cfg->pins[i]);
	free(cfg->pins);
	free(cfg->proxy);
	free(cfg->state_dir);
	free(cfg->tpm_tcti);
	free(cfg->tpm_parent);
	/* The owner password must not outlive the configuration in freed memory. */
	if (cfg->tpm_owner_auth != NULL)
		OPENSSL_clear_free(cfg->tpm_owner_auth, strlen(cfg->tpm_owner_auth));
	free(cfg->tpm_owner_auth_file);
	free(cfg->eab_kid);
	if (cfg->eab_hmac_key != NULL)
		OPENSSL_clear_free(cfg->eab_hmac_key, cfg->eab_hmac_key_len);
	free(cfg->metrics_file);
	free(cfg->push_url);
	free(cfg->push_job);
	free(cfg->push_instance);
	free(cfg->push_cert);
	free(cfg->push_ca_bundle);
	free(cfg);
}

/* Names are case-sensitive, as the state directories they name are. */
const struct ck_cert_config *
ck_config_cert(const struct ck_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ncerts; i++)
		if (strcmp(cfg->certs[i].name, name) == 0)
			return &cfg->certs[i];
	return NULL;
}

/* Only then need the TPM be reached: a [tpm] section alone does not count. */
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
