/*
 * config/acme.c: the keys of [acme] (the CA, the account, the state
 * directory, the retry policy) and of [tpm] (where the keys live).
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

#include <openssl/crypto.h>

#include "certkeeper/keys/tpm.h"
#include "certkeeper/util/b64.h"
#include "internal.h"

/* order_timeout, in seconds */
#define ORDER_TIMEOUT_MIN	1
#define ORDER_TIMEOUT_MAX	3600
/* request_timeout, in seconds: at most 5 minutes */
#define REQUEST_TIMEOUT_MAX	300
/* retry_min and retry_max, in seconds: a second to a day, a second to a week */
#define RETRY_MIN_MAX		86400
#define RETRY_MAX_MAX		(7 * 86400)

/* --- [acme] -------------------------------------------------------------- */

/* directory: an https:// URL without blanks. */
static int
set_directory(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (strncmp(value, "https://", 8) != 0 || value[8] == '\0' || ck_cfg_has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an https:// URL", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->directory, value);
}

/* ca_bundle: a readable regular file, checked now so that a typo shows before any traffic. */
static int
set_ca_bundle(struct parse *p, const char *key, const char *value)
{
	if (ck_cfg_regular_file(p, key, value) < 0)
		return -1;
	return ck_cfg_set_string(p, &p->cfg->ca_bundle, value);
}

/* contact: a mailto: URI without blanks. */
static int
set_contact(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (strncmp(value, "mailto:", 7) != 0 || value[7] == '\0' || ck_cfg_has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a mailto: URI", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->contact, value);
}

/* state_dir: an absolute path. */
static int
set_state_dir(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

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

	return ck_cfg_key_type(p, key, value, mask, &p->cfg->account_key);
}

/* order_timeout: a duration of 1s..1h that bounds how long one order waits for the CA. */
static int
set_order_timeout(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, ORDER_TIMEOUT_MIN, ORDER_TIMEOUT_MAX,
	    "1s..1h", &p->cfg->order_timeout);
}

/*
 * request_timeout: a duration of 1s..5m that bounds one request to the CA (its
 * connection, its TLS handshake and its whole answer), so that a CA that
 * accepts and never answers, or answers a byte at a time, cannot hold a pass.
 */
static int
set_request_timeout(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, 1, REQUEST_TIMEOUT_MAX, "1s..5m",
	    &p->cfg->request_timeout);
}

/*
 * connect_timeout: a duration of 1s..5m that bounds a connection to the CA
 * (TCP and the TLS handshake), at most request_timeout (close_acme): a CA
 * that is frozen or overloaded accepts connections it does not serve, and
 * an agent held there for all of request_timeout is one more request that
 * lands on it the moment it comes back.
 */
static int
set_connect_timeout(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, 1, REQUEST_TIMEOUT_MAX, "1s..5m",
	    &p->cfg->connect_timeout);
}

/* retry_min: the wait after a first failure, 1s..1d. */
static int
set_retry_min(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, 1, RETRY_MIN_MAX, "1s..1d", &p->cfg->retry_min);
}

/* retry_max: the longest wait between failed attempts, 1s..7d. */
static int
set_retry_max(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_bounded_duration(p, key, value, 1, RETRY_MAX_MAX, "1s..7d", &p->cfg->retry_max);
}

/* eab_kid: the key identifier the CA gave with the HMAC key (RFC 8555 7.3.4); printable. */
static int
set_eab_kid(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if (ck_cfg_has_space(value) || strlen(value) > 256)
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not a key identifier (at most 256 "
		    "printable characters, no blanks)", key, ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->eab_kid, value);
}

#define EAB_KEY_MAX	1024	/* base64url characters of an HMAC key; CAs give 32 to 64 bytes */
#define B64URL_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/*
 * Decodes the base64url HMAC key text (len bytes) into the config.  The
 * key is secret: no message quotes it, and every copy is wiped.  what
 * names where it came from.
 */
static int
take_eab_key(struct parse *p, const char *key, const char *text, size_t len, const char *what)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;

	if (p->cfg->eab_hmac_key != NULL)
		return ck_cfg_fail(p, p->lineno, "eab_hmac_key and eab_hmac_key_file cannot both be set");
	/* Checked first, so that the decoder has nothing to report about the secret. */
	if (len == 0 || len > EAB_KEY_MAX || len % 4 == 1 || strspn(text, B64URL_CHARS) != len)
		return ck_cfg_fail(p, p->lineno, "%s: %s is not base64url (RFC 4648 5, no padding) of "
		    "at most %d characters (the value is not shown: it is secret)", key, what,
		    EAB_KEY_MAX);
	if (ck_b64url_decode(text, &raw, &rawlen) != 0)
		return ck_cfg_fail(p, p->lineno, "%s: cannot decode %s", key, what);
	if (rawlen < 16) {
		OPENSSL_clear_free(raw, rawlen);
		return ck_cfg_fail(p, p->lineno, "%s: %s decodes to %zu bytes; an HS256 key has at "
		    "least 16", key, what, rawlen);
	}
	p->cfg->eab_hmac_key = raw;
	p->cfg->eab_hmac_key_len = rawlen;
	return 0;
}

/* eab_hmac_key: the HMAC key, base64url; excludes eab_hmac_key_file. */
static int
set_eab_hmac_key(struct parse *p, const char *key, const char *value)
{
	return take_eab_key(p, key, value, strlen(value), "the value");
}

/*
 * eab_hmac_key_file: a file whose first line is the HMAC key, read now.
 * Like a private key it must be a regular file that nobody but its owner
 * can read or write (mode 0600 or 0400).
 */
static int
set_eab_hmac_key_file(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF], buf[EAB_KEY_MAX + 3];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, rc;

	if ((fd = open(value, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return ck_cfg_fail(p, p->lineno, "%s: cannot open \"%s\": %s", key,
		    ck_cfg_quote(q, sizeof(q), value), strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		close(fd);
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" must be a regular file that only its "
		    "owner may read (mode 0600 or 0400)", key, ck_cfg_quote(q, sizeof(q), value));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return ck_cfg_fail(p, p->lineno, "%s: read \"%s\": %s", key,
		    ck_cfg_quote(q, sizeof(q), value), strerror(errno));
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	rc = take_eab_key(p, key, buf, len, "the first line of the file");
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* Checks the keys of [acme] against each other, once all are known. */
static int
close_acme(struct parse *p)
{
	int line = ck_cfg_key_line(p, "retry_max");

	if ((p->cfg->eab_kid != NULL) != (p->cfg->eab_hmac_key != NULL))
		return ck_cfg_fail(p, ck_cfg_key_line(p, p->cfg->eab_kid != NULL ? "eab_kid" :
		    ck_cfg_key_line(p, "eab_hmac_key") != 0 ? "eab_hmac_key" : "eab_hmac_key_file"),
		    "external account binding needs both eab_kid and eab_hmac_key (or "
		    "eab_hmac_key_file)");
	/* The default connect_timeout gives way to a shorter request_timeout; a set one does not. */
	if (p->cfg->connect_timeout > p->cfg->request_timeout) {
		if (ck_cfg_key_line(p, "connect_timeout") != 0)
			return ck_cfg_fail(p, ck_cfg_key_line(p, "connect_timeout"),
			    "connect_timeout (%lds) is longer than request_timeout (%lds)",
			    p->cfg->connect_timeout, p->cfg->request_timeout);
		p->cfg->connect_timeout = p->cfg->request_timeout;
	}
	if (p->cfg->retry_min > p->cfg->retry_max)
		return ck_cfg_fail(p, line != 0 ? line : ck_cfg_key_line(p, "retry_min"),
		    "retry_min (%lds) is longer than retry_max (%lds)", p->cfg->retry_min,
		    p->cfg->retry_max);
	return 0;
}

/*
 * pin_sha256: a comma-separated list of base64 SHA-256 digests (44
 * characters, one '=' of padding) of the CA's public key, for a rollover
 * two or more; at most 8.
 */
static int
set_pins(struct parse *p, const char *key, const char *value)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct ck_config *cfg = p->cfg;
	char q[QUOTE_BUF], *copy, *entry, *comma, *end, **grown;
	size_t i;
	int rc = -1;

	for (i = 0; i < cfg->npins; i++)
		free(cfg->pins[i]);
	cfg->npins = 0;
	if ((copy = strdup(value)) == NULL)
		return ck_cfg_fail(p, p->lineno, "strdup: out of memory");
	for (entry = copy; entry != NULL; entry = comma) {
		if ((comma = strchr(entry, ',')) != NULL)
			*comma++ = '\0';
		while (*entry == ' ' || *entry == '\t')
			entry++;
		end = entry + strlen(entry);
		while (end > entry && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		/* A SHA-256 is 32 bytes: 43 base64 characters and one '='. */
		if (strlen(entry) != 44 || strspn(entry, b64) != 43 || entry[43] != '=' ||
		    strchr("AEIMQUYcgkosw048", entry[42]) == NULL) {
			ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not the base64 of a SHA-256 digest "
			    "(44 characters ending in '=')", key, ck_cfg_quote(q, sizeof(q), entry));
			goto out;
		}
		if (cfg->npins == 8) {
			ck_cfg_fail(p, p->lineno, "%s: more than 8 pins", key);
			goto out;
		}
		if ((grown = realloc(cfg->pins, (cfg->npins + 2) * sizeof(*grown))) == NULL) {
			ck_cfg_fail(p, p->lineno, "realloc: out of memory");
			goto out;
		}
		cfg->pins = grown;
		if ((cfg->pins[cfg->npins] = strdup(entry)) == NULL) {
			ck_cfg_fail(p, p->lineno, "strdup: out of memory");
			goto out;
		}
		cfg->pins[++cfg->npins] = NULL;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* proxy: an http:// or https:// URL without blanks. */
static int
set_proxy(struct parse *p, const char *key, const char *value)
{
	char q[QUOTE_BUF];

	if ((strncmp(value, "http://", 7) != 0 || value[7] == '\0') &&
	    (strncmp(value, "https://", 8) != 0 || value[8] == '\0'))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" is not an http:// or https:// URL", key,
		    ck_cfg_quote(q, sizeof(q), value));
	if (ck_cfg_has_space(value))
		return ck_cfg_fail(p, p->lineno, "%s: \"%s\" contains a blank", key,
		    ck_cfg_quote(q, sizeof(q), value));
	return ck_cfg_set_string(p, &p->cfg->proxy, value);
}

/* group_readable: yes or no. */
static int
set_group_readable(struct parse *p, const char *key, const char *value)
{
	return ck_cfg_yes_no(p, key, value, &p->cfg->group_readable);
}

static const struct key_def acme_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "directory", set_directory, NULL, KEY_REQUIRED, "the CA's ACME directory URL (https://)" },
	{ "ca_bundle", set_ca_bundle, NULL, KEY_OPTIONAL, "PEM trust for the CA's TLS; absent: system" },
	{ "contact", set_contact, NULL, KEY_OPTIONAL, "mailto: URI sent with the account" },
	{ "state_dir", set_state_dir, CK_DEFAULT_STATE_DIR, KEY_OPTIONAL, "accounts, keys, certs" },
	{ "account_key", set_account_key, "ec-p256", KEY_OPTIONAL, "the ACME account's key type" },
	{ "order_timeout", set_order_timeout, "90s", KEY_OPTIONAL, "how long one order may wait" },
	{ "request_timeout", set_request_timeout, "30s", KEY_OPTIONAL, "how long one request may take" },
	{ "connect_timeout", set_connect_timeout, "10s", KEY_OPTIONAL, "how long connecting (TCP, TLS) may take" },
	{ "retry_min", set_retry_min, "1m", KEY_OPTIONAL, "first wait after a failed attempt" },
	{ "retry_max", set_retry_max, "6h", KEY_OPTIONAL, "longest wait between failed attempts" },
	{ "group_readable", set_group_readable, "no", KEY_OPTIONAL, "installs readable by the group" },
	{ "pin_sha256", set_pins, NULL, KEY_OPTIONAL, "the CA's public key pins (SPKI SHA-256)" },
	{ "proxy", set_proxy, NULL, KEY_OPTIONAL, "HTTP(S) proxy to the CA; absent: none" },
	{ "eab_kid", set_eab_kid, NULL, KEY_OPTIONAL, "external account binding: key identifier" },
	{ "eab_hmac_key", set_eab_hmac_key, NULL, KEY_OPTIONAL, "its HMAC key, base64url (secret)" },
	{ "eab_hmac_key_file", set_eab_hmac_key_file, NULL, KEY_OPTIONAL, "file whose first line is it" },
};

const struct section_def ck_cfg_acme_section = {
	/* name, named?, title, required?, keys, number of keys, open, close */
	"acme", 0, "[acme]", 1, acme_keys, NKEYS(acme_keys), NULL, close_acme
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
	char q[QUOTE_BUF], norm[16];
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

/* No defaults here: absent means "the TPM code's default" (keys/tpm.h), kept NULL. */
static const struct key_def tpm_keys[] = {
	/* name, parser, default (parsed when the key is absent), required?, what it is */
	{ "tcti", set_tcti, NULL, KEY_OPTIONAL, "TCTI string; absent: device:/dev/tpmrm0" },
	{ "parent", set_parent, NULL, KEY_OPTIONAL, "owner, or a persistent handle 0x81xxxxxx" },
	{ "owner_auth", set_owner_auth, NULL, KEY_OPTIONAL, "owner hierarchy password" },
	{ "owner_auth_file", set_owner_auth_file, NULL, KEY_OPTIONAL, "file whose first line is it" },
};

const struct section_def ck_cfg_tpm_section = {
	"tpm", 0, "[tpm]", 0, tpm_keys, NKEYS(tpm_keys), NULL, NULL
};
