/*
 * agent/renew.c: one certificate's renewal (see agent/renew.h).
 *
 * This is where the separated parts meet: the key source (software or
 * TPM), the network (the ACME order over the session's connection, with
 * the challenge solver), the checks on what the CA sent, and the store.
 * Each step names the class of the errors it may report, so the outcome
 * says what went wrong without any module reading another's state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/acme/order.h"
#include "certkeeper/agent/ari.h"
#include "certkeeper/agent/deploy.h"
#include "certkeeper/agent/renew.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/challenge/dns01.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/challenge/tlsalpn01.h"
#include "certkeeper/challenge/webroot.h"
#include "certkeeper/keys/csr.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

#define TSS2_LABEL "-----BEGIN TSS2 PRIVATE KEY-----"

/* The solver for cc's challenge type; *out stays NULL for challenge = none. */
static int
make_solver(struct ck_session *s, const struct ck_cert_config *cc, struct ck_solver **out)
{
	struct ck_dns01_params dp;

	*out = NULL;
	switch (cc->challenge) {
	case CK_CHALLENGE_HTTP01:
		if (cc->webroot != NULL)
			return ck_webroot_solver_new(cc->webroot, out);
		return ck_http01_solver_new(cc->http_port, out);
	case CK_CHALLENGE_TLSALPN01:
		return ck_tlsalpn01_solver_new(cc->tls_port, out);
	case CK_CHALLENGE_DNS01:
		dp.cert_name = cc->name;
		dp.hook = cc->dns_hook;
		dp.timeout_secs = cc->hook_timeout;
		dp.propagation_wait_secs = cc->dns_propagation_wait;
		dp.clock = s->clock;
		return ck_dns01_solver_new(&dp, out);
	case CK_CHALLENGE_NONE:
		return 0;
	}
	ck_error_as(CK_ERR_CONFIG, "%s: no solver for its challenge type", cc->name);
	return -1;
}

/* Installs the checked chain with its key file; *version receives the new version's name. */
static int
install(struct ck_session *s, const struct ck_cert_config *cc, const struct ck_chain *chain,
    const char *keypem, size_t keylen, char **version)
{
	struct ck_cert_files files;

	files.cert = chain->cert;
	files.cert_len = chain->cert_len;
	files.chain = chain->chain;
	files.chain_len = chain->chain_len;
	files.fullchain = chain->fullchain;
	files.fullchain_len = chain->fullchain_len;
	files.key = keypem;
	files.key_len = keylen;
	files.key_name = strstr(keypem, TSS2_LABEL) != NULL ? CK_STORE_TPM_KEY_FILE :
	    CK_STORE_KEY_FILE;
	return ck_store_install(s->store, cc->name, &files, version);
}

/* What the finalize callback needs to record a pending order. */
struct pending_ctx {
	struct ck_session *s;
	const struct ck_cert_config *cc;
	const char *key;
	size_t key_len;
	const EVP_PKEY *pub;	/* the certificate key's public half, for accept_chain */
};

/* before_finalize: records the order and its key, so that a crash from here resumes it. */
static int
record_pending(void *ctx, const char *order_url)
{
	struct pending_ctx *p = ctx;

	return ck_store_pending_save(p->s->store, p->cc->name, p->s->cfg->directory, order_url,
	    p->key, p->key_len, ck_clock_now(p->s->clock));
}

/* accept_chain: an alternate chain must pass the checks the default one does. */
static int
check_alternate(void *ctx, const char *pem, size_t len)
{
	struct pending_ctx *p = ctx;
	struct ck_chain c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = ck_chain_check(pem, len, p->pub, p->cc->domains, p->cc->ndomains,
	    ck_clock_now(p->s->clock), &c);
	ck_chain_clear(&c);
	return rc;
}

/*
 * The key for this attempt: a pending order's (when *resume_url is set on
 * return, that order is to be resumed), else what the key source gives.
 * An unusable pending order is dropped with a warning.
 */
static int
attempt_key(struct ck_session *s, const struct ck_cert_config *cc, struct ck_signer **key,
    char **keypem, size_t *keylen, char **resume_url)
{
	struct ck_pending_order po;
	int r;

	*resume_url = NULL;
	r = ck_store_pending_load(s->store, cc->name, &po);
	if (r == 0 && strcmp(po.directory, s->cfg->directory) != 0) {
		ck_info("%s: an earlier run left an order at another CA: dropping it", cc->name);
		r = 2;
	} else if (r == 0 && ck_keysource_load(&s->keys, po.key, po.key_len, "pending order key",
	    key) == 0) {
		ck_info("%s: resuming order %s left by an earlier run", cc->name, po.url);
		*keypem = po.key;
		*keylen = po.key_len;
		*resume_url = po.url;
		po.key = NULL;
		po.url = NULL;
		ck_pending_order_clear(&po);
		return 0;
	}
	ck_pending_order_clear(&po);
	if (r != 1) {
		if (r != 2)
			ck_warn("%s: dropping the pending order an earlier run left (unusable)",
			    cc->name);
		if (ck_store_pending_clear(s->store, cc->name) != 0)
			return -1;
	}
	return ck_keysource_cert_key(&s->keys, cc, key, keypem, keylen);
}

/*
 * Gets the chain for key from the CA: resumes the pending order at
 * resume_url if there is one (a new order when the CA no longer has it),
 * else places a new order.
 */
static int
order_chain(struct ck_session *s, const struct ck_cert_config *cc, struct ck_acme *acme,
    struct ck_order_req *req, const char *resume_url, char **pem, size_t *pemlen)
{
	int r;

	if (resume_url != NULL) {
		if ((r = ck_acme_order_resume(acme, resume_url, req, pem, pemlen)) != 1)
			return r;
		if (ck_store_pending_clear(s->store, cc->name) != 0)
			return -1;
	}
	return ck_acme_order(acme, req, pem, pemlen);
}

int
ck_renew_cert(struct ck_session *s, const struct ck_cert_config *cc, struct ck_outcome *o)
{
	struct ck_signer *key = NULL;
	struct ck_solver *solver = NULL;
	struct ck_order_req req;
	struct pending_ctx pctx;
	struct ck_acme *acme;
	struct ck_chain chain;
	unsigned char *csr = NULL;
	char *keypem = NULL, *pem = NULL, *version = NULL, *resume_url = NULL, *replaces = NULL;
	char until[32];
	size_t keylen = 0, csrlen = 0, pemlen = 0;
	int rc = -1;

	memset(&chain, 0, sizeof(chain));
	memset(&req, 0, sizeof(req));
	ck_outcome_begin(o);
	/* The account key is read, or made and saved, before the CA is contacted. */
	ck_outcome_step(o, CK_ERR_STORE);
	if (ck_session_account(s, 1) != 0)
		goto out;
	/*
	 * The solver before the CA is contacted: what it lacks (the http-01
	 * responder's library) fails the attempt before an order is placed.
	 * It also opens libmicrohttpd before libcurl: see challenge/mhd.h.
	 */
	ck_outcome_step(o, CK_ERR_CONFIG);
	if (make_solver(s, cc, &solver) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_CA);
	if (ck_session_acme(s, 1, &acme) != 0)
		goto out;
	ck_outcome_step(o, ck_key_type_is_tpm(cc->key) ? CK_ERR_TPM : CK_ERR_INTERNAL);
	if (attempt_key(s, cc, &key, &keypem, &keylen, &resume_url) != 0)
		goto out;
	if (ck_csr_build(key, cc->domains, cc->ndomains, &csr, &csrlen) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_CA);
	pctx.s = s;
	pctx.cc = cc;
	pctx.key = keypem;
	pctx.key_len = keylen;
	pctx.pub = key->pub;
	req.identifiers = cc->domains;
	req.nidentifiers = cc->ndomains;
	req.csr = csr;
	req.csrlen = csrlen;
	req.solver = solver;
	req.timeout = s->cfg->order_timeout;
	req.before_finalize = record_pending;
	req.profile = cc->profile;
	req.preferred_chain = cc->preferred_chain;
	req.accept_chain = check_alternate;
	req.ctx = &pctx;
	/* RFC 9773 5: name the certificate this one replaces, to a CA with renewalInfo. */
	req.replaces = replaces = ck_ari_replaces(s, cc, acme);
	if (order_chain(s, cc, acme, &req, resume_url, &pem, &pemlen) != 0) {
		/* A CA that lost the account (a restart without state): register the key again, once. */
		if (strcmp(o->problem, "accountDoesNotExist") != 0)
			goto out;
		ck_warn("%s: the CA no longer knows our account: registering it again", cc->name);
		free(resume_url);
		resume_url = NULL;
		if (ck_session_forget_account(s) != 0 || ck_session_acme(s, 1, &acme) != 0 ||
		    order_chain(s, cc, acme, &req, NULL, &pem, &pemlen) != 0)
			goto out;
	}
	ck_solver_free(solver);
	solver = NULL;
	/* Whatever the CA sent must be ours, for our names, and valid now. */
	ck_outcome_step(o, CK_ERR_CHECK);
	if (ck_chain_check(pem, pemlen, key->pub, cc->domains, cc->ndomains,
	    ck_clock_now(s->clock), &chain) != 0) {
		/* That order will only ever give this: never resume it. */
		(void)ck_store_pending_clear(s->store, cc->name);
		goto out;
	}
	ck_outcome_step(o, CK_ERR_STORE);
	if (install(s, cc, &chain, keypem, keylen, &version) != 0)
		goto out;
	if (ck_store_pending_clear(s->store, cc->name) != 0)
		ck_warn("%s: the pending order stays recorded; the next run finds it done", cc->name);
	/* What is installed now, also when its deploy fails or is rolled back: the events name it. */
	snprintf(o->serial, sizeof(o->serial), "%s", chain.serial);
	o->not_before = chain.not_before;
	o->not_after = chain.not_after;
	if (ck_deploy_after_install(s, cc, o) != 0)
		goto out;
	ck_time_rfc3339(chain.not_after, until, sizeof(until));
	ck_info("%s: installed certificate %s (serial %s, valid until %s)", cc->name, version,
	    chain.serial, until);
	rc = 0;
out:
	ck_solver_free(solver);
	ck_chain_clear(&chain);
	ck_signer_free(key);
	free(resume_url);
	free(replaces);
	free(version);
	free(pem);
	free(csr);
	if (keypem != NULL)
		OPENSSL_clear_free(keypem, keylen);
	ck_outcome_end(o, rc == 0);
	/*
	 * A challenge the CA refused (or that could not be presented) ends the
	 * order: an invalid authorization makes it invalid (RFC 8555 7.1.6).
	 * Recorded while the CA validated, it is dropped, else the next pass
	 * would take it up again, due or not (nothing recorded: nothing done).
	 * After the outcome is closed, so that a failure here does not replace
	 * the attempt's cause.
	 */
	if (rc != 0 && o->cls == CK_ERR_VALIDATION &&
	    ck_store_pending_clear(s->store, cc->name) != 0)
		ck_warn("%s: the invalid order stays recorded; the next run finds it invalid",
		    cc->name);
	return rc;
}

int
ck_renew_record(struct ck_session *s, const char *name, const struct ck_outcome *o)
{
	struct ck_attempt a;
	int ok = o->result == CK_RESULT_SUCCESS;

	ck_attempt_init(&a);
	a.when = ck_clock_now(s->clock);
	a.result = (char *)ck_result_name(o->result);
	if (ok) {
		a.serial = (char *)o->serial;
		a.not_before = o->not_before;
		a.not_after = o->not_after;
	} else {
		a.error_class = (char *)ck_error_class_name(o->cls);
		a.problem = o->problem[0] != '\0' ? (char *)o->problem : NULL;
		a.error = (char *)o->error;
		a.retry_after = o->retry_after;
	}
	return ck_store_save_attempt(s->store, name, &a);
}
