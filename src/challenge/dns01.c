/*
 * challenge/dns01.c: dns-01 through the operator's hook (see challenge/dns01.h).
 *
 * The record name and value come from checked strings (the identifier is
 * letters, digits, '-' and '.'; the value is base64url), and the hook is
 * executed directly, never through a shell, so neither can become a command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "certkeeper/challenge/dns01.h"
#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/proc.h"

/* Longest record name: a 253-character domain, the prefix, the final dot. */
#define RECORD_MAX	(253 + sizeof(CK_DNS01_PREFIX) + 2)

struct dns01 {
	struct ck_solver solver;
	struct ck_dns01_params p;
	size_t nhook;		/* words of p.hook */
};

int
ck_dns01_record_name(const char *domain, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s.", CK_DNS01_PREFIX, domain);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

int
ck_dns01_value(const char *key_authorization, char *buf, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *b64 = NULL;
	int rc = -1;

	if (EVP_Digest(key_authorization, strlen(key_authorization), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != sizeof(md)) {
		ck_error_ssl("dns-01: EVP_Digest (SHA-256 of the key authorization)");
		goto out;
	}
	if ((b64 = ck_b64url_encode(md, sizeof(md))) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (strlen(b64) >= len) {
		ck_error_as(CK_ERR_INTERNAL, "dns-01: no room for the record value");
		goto out;
	}
	memcpy(buf, b64, strlen(b64) + 1);
	rc = 0;
out:
	free(b64);
	return rc;
}

/*
 * Runs the hook with action for c; 0 when it succeeded, else -1 (reported
 * when report is set, only logged otherwise, as cleanup never fails).
 */
static int
run(struct dns01 *d, const char *action, const struct ck_chall *c, int report)
{
	struct ck_hook_result *r = NULL;
	char record[RECORD_MAX], value[CK_DNS01_VALUE_MAX + 1], label[128], how[160];
	char out[512], name[300], *env[2] = { NULL, NULL };
	char **argv = NULL;
	size_t i, envlen;
	int rc = -1;

	ck_chall_name(c, name, sizeof(name));
	if (ck_dns01_record_name(c->identifier, record, sizeof(record)) != 0) {
		ck_error_as(CK_ERR_CA, "dns-01: %s is too long for a record name", name);
		return -1;
	}
	if (ck_dns01_value(c->key_authorization, value, sizeof(value)) != 0)
		return -1;
	envlen = strlen("CERTKEEPER_NAME=") + strlen(d->p.cert_name) + 1;
	if ((argv = calloc(d->nhook + 4, sizeof(*argv))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL || (env[0] = malloc(envlen)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory running the dns hook");
		goto out;
	}
	snprintf(env[0], envlen, "CERTKEEPER_NAME=%s", d->p.cert_name);
	for (i = 0; i < d->nhook; i++)
		argv[i] = d->p.hook[i];
	argv[i++] = (char *)action;
	argv[i++] = record;
	argv[i++] = value;
	snprintf(label, sizeof(label), "%s: dns hook", d->p.cert_name);
	ck_info("%s: %s %s for %s", label, action, record, name);
	/* Not started is a result too (r->start_errno), told like any other failure. */
	(void)ck_hook_run(label, argv, env, d->p.timeout_secs * 1000, r);
	if (ck_hook_succeeded(r)) {
		rc = 0;
		goto out;
	}
	ck_hook_describe(r, how, sizeof(how));
	ck_hook_output_line(r, out, sizeof(out));
	if (report)
		ck_error_as(CK_ERR_VALIDATION, "%s: \"%s %s\" for %s %s%s%s", label, action, record,
		    name, how, out[0] ? ": " : "", out);
	else
		ck_warn("%s: \"%s %s\" for %s %s%s%s", label, action, record, name, how,
		    out[0] ? ": " : "", out);
out:
	free(env[0]);
	free(r);
	free(argv);
	return rc;
}

static int
dns01_present(struct ck_solver *s, const struct ck_chall *c)
{
	struct dns01 *d = s->priv;

	if (strcmp(c->id_type, "dns") != 0) {
		ck_error_as(CK_ERR_CONFIG, "dns-01 cannot validate %s identifier %s (RFC 8738)",
		    c->id_type, c->identifier);
		return -1;
	}
	if (run(d, "add", c, 1) == 0)
		return 0;
	/* The order cleans up only what was presented: a half-done add is undone here. */
	(void)run(d, "remove", c, 0);
	return -1;
}

static int
dns01_ready(struct ck_solver *s)
{
	struct dns01 *d = s->priv;
	int st;

	if (d->p.propagation_wait_secs <= 0)
		return 0;
	ck_info("%s: waiting %lds for the DNS records to propagate", d->p.cert_name,
	    d->p.propagation_wait_secs);
	st = ck_clock_sleep_ms(d->p.clock, (int64_t)d->p.propagation_wait_secs * 1000);
	if (st == 1) {
		ck_error_as(CK_ERR_INTERNAL, "%s: stopped while waiting for DNS propagation",
		    d->p.cert_name);
		return -1;
	}
	return st == 0 ? 0 : -1;
}

static void
dns01_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	(void)run(s->priv, "remove", c, 0);
}

static void
dns01_destroy(struct ck_solver *s)
{
	free(s->priv);
}

static const struct ck_solver_ops dns01_ops = {
	dns01_present, dns01_ready, dns01_cleanup, dns01_destroy
};

int
ck_dns01_solver_new(const struct ck_dns01_params *p, struct ck_solver **out)
{
	struct dns01 *d;
	size_t n = 0;

	*out = NULL;
	if (p->hook == NULL || p->hook[0] == NULL || p->hook[0][0] != '/') {
		ck_error_as(CK_ERR_CONFIG, "%s: challenge = dns-01 needs dns_hook, an absolute path",
		    p->cert_name);
		return -1;
	}
	while (p->hook[n] != NULL)
		n++;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory creating the dns-01 solver");
		return -1;
	}
	d->p = *p;
	if (d->p.timeout_secs <= 0)
		d->p.timeout_secs = 60;
	d->nhook = n;
	d->solver.ops = &dns01_ops;
	d->solver.type = "dns-01";
	d->solver.priv = d;
	*out = &d->solver;
	return 0;
}
