/*
 * config/config.h: the INI configuration file (parsed with libinih).
 *
 * Every key is documented in conf/certkeeper.conf.  Unknown sections or
 * keys, bad values and missing required keys are errors reported as
 * "FILE:LINE: message"; nothing is silently ignored.
 */
#ifndef CERTKEEPER_CONFIG_CONFIG_H
#define CERTKEEPER_CONFIG_CONFIG_H

#include <stddef.h>
#include "certkeeper/keys/signer.h"

#define CK_DEFAULT_CONFIG "/etc/certkeeper/certkeeper.conf"
#define CK_DEFAULT_STATE_DIR "/var/lib/certkeeper"
/* Debian's prometheus-node-exporter reads *.prom files from this directory. */
#define CK_DEFAULT_METRICS_FILE "/var/lib/prometheus/node-exporter/certkeeper.prom"

#define CK_DEFAULT_PUSH_JOB "certkeeper"

enum ck_challenge {
	CK_CHALLENGE_HTTP01
};

struct ck_cert_config {
	char *name;			/* after "cert:" */
	char **domains;			/* at least one; lower-cased, no duplicates */
	size_t ndomains;
	enum ck_key_type key;		/* default ec-p256 */
	enum ck_challenge challenge;	/* default http-01 */
	int http_port;			/* default 80 */
	int renew_before_pct;		/* 1..99 when renew_before is a share, else 0 */
	long renew_before_secs;		/* > 0 when renew_before is a duration, else 0 */
	int key_reuse;			/* default 0 */
	char *key_file;			/* NULL, or an existing key to use (needs key_reuse) */
	char **deploy_hook;		/* NULL, or the command run after an install (util/argv.h) */
	char **verify_hook;		/* NULL, or the command that checks the deployed set */
	long hook_timeout;		/* seconds one hook may run, 1..3600; default 60 */
	int line;			/* line of the section header, for messages */
};

struct ck_config {
	char *path;
	/* [acme] */
	char *directory;		/* required, https URL */
	char *ca_bundle;		/* NULL: system store */
	char *contact;			/* NULL: none */
	char *state_dir;		/* default CK_DEFAULT_STATE_DIR */
	enum ck_key_type account_key;	/* default ec-p256 */
	long order_timeout;		/* seconds one order may wait for the CA, 1..3600; default 90 */
	long retry_min;			/* first wait after a failure, seconds, 1..86400; default 60 */
	long retry_max;			/* longest wait, retry_min..604800; default 21600 */
	int group_readable;		/* installed certificates and keys readable by the group; 0 */
	/* [tpm]: all NULL when absent */
	char *tpm_tcti;
	char *tpm_parent;
	char *tpm_owner_auth;
	char *tpm_owner_auth_file;
	/* [telemetry]: optional */
	char *metrics_file;		/* Prometheus textfile; default CK_DEFAULT_METRICS_FILE; NULL: off */
	char *push_url;			/* Pushgateway base URL (https://HOST:PORT); NULL: no push */
	char *push_job;			/* its job label; default CK_DEFAULT_PUSH_JOB */
	char *push_instance;		/* its instance label; default: push_cert's first domain */
	char *push_cert;		/* whose certificate and key authenticate it; default: first cert */
	char *push_ca_bundle;		/* trust for its TLS; NULL: system store */
	long push_timeout;		/* seconds one push may take, 1..60; default 10 */
	/* [cert:NAME] sections, in file order; at least one */
	struct ck_cert_config *certs;
	size_t ncerts;
};

/* Loads and validates path; on error prints FILE:LINE: message and returns -1. */
int ck_config_load(const char *path, struct ck_config **out);
/* Frees cfg (NULL is fine), wiping tpm_owner_auth before its memory is freed. */
void ck_config_free(struct ck_config *cfg);
/* The certificate section named name, or NULL. */
const struct ck_cert_config *ck_config_cert(const struct ck_config *cfg, const char *name);
/* Non-zero when any key or the account key is TPM-held. */
int ck_config_uses_tpm(const struct ck_config *cfg);

#endif
