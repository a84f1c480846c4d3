/*
 * agent/run.c: the renewal pass and `account show` (see agent/run.h).
 *
 * This is where the separated parts meet: keys and signatures (keys/soft.c,
 * tpm.c), the network (acme.c over http.c, with the http01.c responder),
 * the checks (certcheck.c) and the file writing (store.c).  The ACME
 * session is set up lazily, so a pass with nothing due makes no request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certkeeper/util/time.h"
#include "certkeeper/acme/client.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/keys/csr.h"
#include "certkeeper/net/http.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/agent/run.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/keys/tpm.h"

#define TSS2_LABEL "-----BEGIN TSS2 PRIVATE KEY-----"
#define MAX_KEY_FILE (64 * 1024)

struct run {
	const struct ck_config *cfg;
	struct ck_store *store;
	struct ck_tpm *tpm;		/* opened on first use */
	struct ck_http *http;
	struct ck_signer *account;
	struct ck_acme *acme;		/* set up on first use */
};

/* --- keys: software or TPM, chosen by type or by the key file --------- */

static int
get_tpm(struct run *r, struct ck_tpm **out)
{
	struct ck_tpm_config tc;

	if (r->tpm == NULL) {
		tc.tcti = r->cfg->tpm_tcti;
		tc.parent = r->cfg->tpm_parent;
		tc.owner_auth = r->cfg->tpm_owner_auth;
		tc.owner_auth_file = r->cfg->tpm_owner_auth_file;
		if (ck_tpm_open(&tc, &r->tpm) != 0)
			return -1;
	}
	*out = r->tpm;
	return 0;
}

/* A fresh key of type t: its signer and the key file to store. */
static int
key_generate(struct run *r, enum ck_key_type t, struct ck_signer **s, char **pem, size_t *len)
{
	struct ck_tpm *tpm;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (ck_key_type_is_tpm(t)) {
		if (get_tpm(r, &tpm) != 0)
			return -1;
		return ck_tpm_key_create(tpm, t, s, pem, len);
	}
	if (ck_soft_generate(t, &pkey) != 0 || ck_soft_key_to_pem(pkey, pem, len) != 0)
		goto out;
	if (ck_soft_signer_new(pkey, s) != 0) {
		free(*pem);
		*pem = NULL;
		goto out;
	}
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	return rc;
}

/* A signer for a stored key file; a TSS2 key needs the TPM. */
static int
key_load(struct run *r, const char *pem, size_t len, const char *what, struct ck_signer **s)
{
	struct ck_tpm *tpm;

	if (strstr(pem, TSS2_LABEL) != NULL) {
		if (get_tpm(r, &tpm) != 0)
			return -1;
		return ck_tpm_key_load(tpm, pem, len, what, s);
	}
	return ck_soft_signer_from_pem(pem, len, what, s);
}

/* --- the ACME session ------------------------------------------------- */

/* Loads the account key for the configured CA, or creates and saves one. */
static int
load_account_key(struct run *r, int create, char **url)
{
	const char *dir = r->cfg->directory;
	char *pem = NULL;
	size_t len = 0;
	int rc = -1;

	if (ck_store_account_load(r->store, dir, &pem, &len, url) != 0)
		goto out;
	if (pem != NULL) {
		if (key_load(r, pem, len, "account key", &r->account) != 0)
			goto out;
		if (r->account->type != r->cfg->account_key)
			ck_warn("the stored account key is %s, not the configured %s: keeping it",
			    ck_key_type_name(r->account->type),
			    ck_key_type_name(r->cfg->account_key));
	} else {
		if (!create) {
			ck_error("no account for %s yet (a renewal creates it)", dir);
			goto out;
		}
		if (key_generate(r, r->cfg->account_key, &r->account, &pem, &len) != 0)
			goto out;
		/* Saved before registering, so a crash never orphans an account. */
		if (ck_store_account_save_key(r->store, dir, pem, len) != 0)
			goto out;
	}
	rc = 0;
out:
	free(pem);
	return rc;
}

/* Connects to the CA and makes sure the account exists (once per run). */
static int
acme_session(struct run *r)
{
	char *stored = NULL, *url = NULL;
	int rc = -1;

	if (r->acme != NULL)
		return 0;
	if (load_account_key(r, 1, &stored) != 0)
		goto out;
	if (r->http == NULL && ck_http_new(r->cfg->ca_bundle, &r->http) != 0)
		goto out;
	if (ck_acme_new(r->http, r->cfg->directory, r->account, &r->acme) != 0)
		goto out;
	if (ck_acme_account(r->acme, r->cfg->contact, stored, 0, &url) != 0)
		goto out;
	if (stored == NULL && ck_store_account_save_url(r->store, r->cfg->directory, url) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		ck_acme_free(r->acme);
		r->acme = NULL;
	}
	free(stored);
	free(url);
	return rc;
}

/* --- one certificate -------------------------------------------------- */

/*
 * The key for the next version of cc: the named key_file, the installed
 * key when key_reuse is on, else a fresh one.  *pem is the key file to install.
 */
static int
cert_key(struct run *r, const struct ck_cert_config *cc, struct ck_signer **s, char **pem,
    size_t *len)
{
	const char *key_name = NULL;
	int rc;

	if (cc->key_file != NULL) {
		rc = ck_store_read_file(cc->key_file, MAX_KEY_FILE, pem, len);
		if (rc == 1)
			ck_error("%s: key_file %s does not exist", cc->name, cc->key_file);
		if (rc != 0)
			return -1;
		return key_load(r, *pem, *len, cc->key_file, s);
	}
	if (cc->key_reuse) {
		rc = ck_store_load_current(r->store, cc->name, NULL, NULL, pem, len, &key_name);
		if (rc < 0)
			return -1;
		if (rc == 0 && *pem != NULL) {
			if (key_load(r, *pem, *len, "installed key", s) != 0)
				return -1;
			if ((*s)->type == cc->key)
				return 0;
			ck_info("%s: installed key is %s, configured %s: making a new key", cc->name,
			    ck_key_type_name((*s)->type), ck_key_type_name(cc->key));
			ck_signer_free(*s);
			*s = NULL;
		}
		free(*pem);
		*pem = NULL;
	}
	return key_generate(r, cc->key, s, pem, len);
}

/* Gets, checks and installs a new certificate for cc. */
static int
renew_one(struct run *r, const struct ck_cert_config *cc)
{
	struct ck_signer *key = NULL;
	struct ck_http01 *responder = NULL;
	struct ck_cert_files files;
	struct ck_chain chain;
	unsigned char *csr = NULL;
	char *keypem = NULL, *pem = NULL, *version = NULL, until[32];
	size_t keylen = 0, csrlen = 0, pemlen = 0;
	int rc = -1;

	memset(&chain, 0, sizeof(chain));
	if (acme_session(r) != 0)
		goto out;
	if (cert_key(r, cc, &key, &keypem, &keylen) != 0)
		goto out;
	if (ck_csr_build(key, cc->domains, cc->ndomains, &csr, &csrlen) != 0)
		goto out;
	if (ck_http01_start(cc->http_port, &responder) != 0)
		goto out;
	if (ck_acme_issue(r->acme, cc->domains, cc->ndomains, csr, csrlen, responder, &pem,
	    &pemlen) != 0)
		goto out;
	ck_http01_stop(responder);
	responder = NULL;
	/* Whatever the CA sent must be ours, for our names, and valid now. */
	if (ck_chain_check(pem, pemlen, key->pub, cc->domains, cc->ndomains, time(NULL),
	    &chain) != 0)
		goto out;
	files.cert = chain.cert;
	files.cert_len = chain.cert_len;
	files.chain = chain.chain;
	files.chain_len = chain.chain_len;
	files.fullchain = chain.fullchain;
	files.fullchain_len = chain.fullchain_len;
	files.key = keypem;
	files.key_len = keylen;
	files.key_name = strstr(keypem, TSS2_LABEL) != NULL ? CK_STORE_TPM_KEY_FILE :
	    CK_STORE_KEY_FILE;
	if (ck_store_install(r->store, cc->name, &files, &version) != 0)
		goto out;
	ck_time_rfc3339(chain.not_after, until, sizeof(until));
	ck_info("%s: installed certificate %s (serial %s, valid until %s)", cc->name, version,
	    chain.serial, until);
	rc = 0;
out:
	ck_http01_stop(responder);
	ck_chain_clear(&chain);
	ck_signer_free(key);
	free(version);
	free(pem);
	free(csr);
	free(keypem);
	return rc;
}

/*
 * Whether cc is due: nothing installed, an unreadable certificate, or less
 * than renew_before of its lifetime left.
 */
static int
is_due(struct run *r, const struct ck_cert_config *cc, time_t now)
{
	struct ck_cert_info info;
	char *pem = NULL, when[32];
	size_t len = 0;
	int due = 1, rc;

	memset(&info, 0, sizeof(info));
	rc = ck_store_load_current(r->store, cc->name, &pem, &len, NULL, NULL, NULL);
	if (rc == 1) {
		ck_info("%s: no certificate installed yet", cc->name);
		goto out;
	}
	if (rc != 0 || ck_cert_info(pem, len, &info) != 0) {
		ck_warn("%s: installed certificate unreadable: renewing", cc->name);
		goto out;
	}
	if (ck_cert_covers(pem, len, cc->domains, cc->ndomains) != 1) {
		ck_info("%s: installed certificate does not cover every configured domain", cc->name);
		goto out;
	}
	due = ck_renew_is_due(cc, info.not_before, info.not_after, now);
	ck_time_rfc3339(ck_renew_after(cc, info.not_before, info.not_after), when, sizeof(when));
	if (due)
		ck_info("%s: due since %s", cc->name, when);
	else
		ck_debug("%s: not due until %s", cc->name, when);
out:
	ck_cert_info_clear(&info);
	free(pem);
	return due;
}

static int
record_attempt(struct run *r, const char *name, int ok)
{
	struct ck_attempt a;

	ck_attempt_init(&a);
	a.when = time(NULL);
	a.result = (char *)(ok ? "success" : "failure");
	a.error = ok ? NULL : (char *)ck_last_error();
	return ck_store_save_attempt(r->store, name, &a);
}

/* Releases everything, signers before the TPM they use; -v reports the costs. */
static void
run_close(struct run *r)
{
	ck_acme_free(r->acme);
	ck_signer_free(r->account);
	if (r->http != NULL)
		ck_debug("%u HTTP requests over %u TLS connections", ck_http_request_count(r->http),
		    ck_http_connect_count(r->http));
	ck_http_free(r->http);
	ck_tpm_close(r->tpm);	/* reports its command count at -v */
	ck_store_close(r->store);
}

/* Whether name is in names (or names is empty). */
static int
selected(const char *name, char *const *names, size_t nnames)
{
	size_t i;

	if (nnames == 0)
		return 1;
	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

int
ck_run_renew(const struct ck_config *cfg, int force, char *const *names, size_t nnames)
{
	struct run r;
	size_t i, failed = 0, renewed = 0;
	time_t now = time(NULL);
	int lk, ok;

	for (i = 0; i < nnames; i++)
		if (ck_config_cert(cfg, names[i]) == NULL) {
			ck_error("%s: no [cert:%s] section", cfg->path, names[i]);
			return CK_EXIT_USAGE;
		}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	if (ck_store_open(cfg->state_dir, &r.store) != 0)
		return CK_EXIT_FAILED;
	if ((lk = ck_store_lock(r.store)) != 0) {
		run_close(&r);
		return CK_EXIT_FAILED;
	}
	for (i = 0; i < cfg->ncerts; i++) {
		const struct ck_cert_config *cc = &cfg->certs[i];

		if (!selected(cc->name, names, nnames))
			continue;
		if (!(force || is_due(&r, cc, now)))
			continue;
		ck_clear_error();
		ok = renew_one(&r, cc) == 0;
		if (!ok) {
			failed++;
			ck_log(CK_LOG_ERROR, "%s: renewal failed; the installed certificate is unchanged",
			    cc->name);
		}
		renewed++;
		if (record_attempt(&r, cc->name, ok) != 0)
			failed++;
	}
	if (renewed == 0)
		ck_info("nothing due");
	run_close(&r);
	return failed ? CK_EXIT_FAILED : CK_EXIT_OK;
}

int
ck_run_account_show(const struct ck_config *cfg)
{
	struct run r;
	json_t *acct = NULL, *contact;
	char *stored = NULL, *url = NULL, *thumb = NULL, safe[512];
	const char *st;
	size_t i;
	int rc = CK_EXIT_FAILED;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	if (ck_store_open(cfg->state_dir, &r.store) != 0)
		goto out;
	if (load_account_key(&r, 0, &stored) != 0)
		goto out;
	if (ck_http_new(cfg->ca_bundle, &r.http) != 0 ||
	    ck_acme_new(r.http, cfg->directory, r.account, &r.acme) != 0 ||
	    ck_acme_account(r.acme, NULL, stored, 1, &url) != 0 ||
	    ck_acme_account_fetch(r.acme, &acct) != 0 ||
	    ck_jwk_thumbprint(r.account->pub, &thumb) != 0)
		goto out;
	st = json_string_value(json_object_get(acct, "status"));
	ck_sanitize(safe, sizeof(safe), st ? st : "unknown", SIZE_MAX);
	printf("directory: %s\nurl: %s\nstatus: %s\n", cfg->directory, url, safe);
	contact = json_object_get(acct, "contact");
	if (json_array_size(contact) == 0)
		printf("contact: (none)\n");
	for (i = 0; i < json_array_size(contact); i++) {
		const char *c = json_string_value(json_array_get(contact, i));

		ck_sanitize(safe, sizeof(safe), c ? c : "?", SIZE_MAX);
		printf("contact: %s\n", safe);
	}
	printf("key type: %s\nthumbprint: %s\n", ck_key_type_name(r.account->type), thumb);
	rc = CK_EXIT_OK;
out:
	json_decref(acct);
	free(thumb);
	free(stored);
	free(url);
	run_close(&r);
	return rc;
}
