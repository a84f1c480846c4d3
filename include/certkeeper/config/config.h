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
	CK_CHALLENGE_HTTP01,
	CK_CHALLENGE_TLSALPN01,
	CK_CHALLENGE_DNS01,
	CK_CHALLENGE_NONE	/* the CA pre-authorises: no solver */
};

struct ck_cert_config {
	char *name;			/* after "cert:" */
	char **domains;			/* at least one; lower-cased, no duplicates; IP addresses canonical */
	size_t ndomains;
	enum ck_key_type key;		/* default ec-p256 */
	enum ck_challenge challenge;	/* default http-01 */
	int http_port;			/* default 80 */
	int tls_port;			/* tls-alpn-01 responder; default 443 */
	char *webroot;			/* NULL, or http-01 token files go under it (no responder) */
	char **dns_hook;		/* NULL, or the dns-01 command (util/argv.h); needed by dns-01 */
	long dns_propagation_wait;	/* seconds between the dns hook's add and validation; 0 */
	int renew_before_pct;		/* 1..99 when renew_before is a share, else 0 */
	long renew_before_secs;		/* > 0 when renew_before is a duration, else 0 */
	int warn_before_pct;		/* 1..99 when warn_before is a share, else 0 */
	long warn_before_secs;		/* > 0 when warn_before is a duration; both 0: a sixth */
	int key_reuse;			/* default 0 */
	char *key_file;			/* NULL, or an existing key to use (needs key_reuse) */
	char **deploy_hook;		/* NULL, or the command run after an install (util/argv.h) */
	char **verify_hook;		/* NULL, or the command that checks the deployed set */
	long hook_timeout;		/* seconds one hook may run, 1..3600; default 60 */
	char *profile;			/* ACME profile asked for in newOrder, NULL: the CA's default */
	char *preferred_chain;		/* CN of the topmost issuer of the chain wanted, NULL: default */
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
	long request_timeout;		/* seconds one request to the CA may take, 1..300; default 30 */
	long connect_timeout;		/* seconds its connection and TLS handshake may take,
					 * 1..request_timeout; default 10 (or request_timeout) */
	long retry_min;			/* first wait after a failure, seconds, 1..86400; default 60 */
	long retry_max;			/* longest wait, retry_min..604800; default 21600 */
	int group_readable;		/* installed certificates and keys readable by the group; 0 */
	char **pins;			/* pin_sha256: SPKI SHA-256 pins (base64), NULL-terminated; NULL: none */
	size_t npins;
	char *proxy;			/* proxy URL (http:// or https://); NULL: none, environment ignored */
	char *eab_kid;			/* external account binding key id, NULL: none */
	unsigned char *eab_hmac_key;	/* its HMAC key, decoded (eab_hmac_key or _file); secret */
	size_t eab_hmac_key_len;
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
/* Frees cfg (NULL is fine), wiping tpm_owner_auth and the EAB HMAC key before their memory is freed. */
void ck_config_free(struct ck_config *cfg);
/* The certificate section named name, or NULL. */
const struct ck_cert_config *ck_config_cert(const struct ck_config *cfg, const char *name);
/* Non-zero when any key or the account key is TPM-held. */
int ck_config_uses_tpm(const struct ck_config *cfg);

#endif
