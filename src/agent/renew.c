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
#include "certkeeper/agent/deploy.h"
#include "certkeeper/agent/renew.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/challenge/http01.h"
#include "certkeeper/keys/csr.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

#define TSS2_LABEL "-----BEGIN TSS2 PRIVATE KEY-----"

/* The solver for cc's challenge type. */
static int
make_solver(const struct ck_cert_config *cc, struct ck_solver **out)
{
	switch (cc->challenge) {
	case CK_CHALLENGE_HTTP01:
		return ck_http01_solver_new(cc->http_port, out);
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

int
ck_renew_cert(struct ck_session *s, const struct ck_cert_config *cc, struct ck_outcome *o)
{
	struct ck_signer *key = NULL;
	struct ck_solver *solver = NULL;
	struct ck_order_req req;
	struct ck_acme *acme;
	struct ck_chain chain;
	unsigned char *csr = NULL;
	char *keypem = NULL, *pem = NULL, *version = NULL, until[32];
	size_t keylen = 0, csrlen = 0, pemlen = 0;
	int rc = -1;

	memset(&chain, 0, sizeof(chain));
	memset(&req, 0, sizeof(req));
	ck_outcome_begin(o);
	/* The account key is read, or made and saved, before the CA is contacted. */
	ck_outcome_step(o, CK_ERR_STORE);
	if (ck_session_account(s, 1) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_CA);
	if (ck_session_acme(s, 1, &acme) != 0)
		goto out;
	ck_outcome_step(o, ck_key_type_is_tpm(cc->key) ? CK_ERR_TPM : CK_ERR_INTERNAL);
	if (ck_keysource_cert_key(&s->keys, cc, &key, &keypem, &keylen) != 0)
		goto out;
	if (ck_csr_build(key, cc->domains, cc->ndomains, &csr, &csrlen) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_CONFIG);
	if (make_solver(cc, &solver) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_CA);
	req.identifiers = cc->domains;
	req.nidentifiers = cc->ndomains;
	req.csr = csr;
	req.csrlen = csrlen;
	req.solver = solver;
	req.timeout = s->cfg->order_timeout;
	if (ck_acme_order(acme, &req, &pem, &pemlen) != 0)
		goto out;
	ck_solver_free(solver);
	solver = NULL;
	/* Whatever the CA sent must be ours, for our names, and valid now. */
	ck_outcome_step(o, CK_ERR_CHECK);
	if (ck_chain_check(pem, pemlen, key->pub, cc->domains, cc->ndomains,
	    ck_clock_now(s->clock), &chain) != 0)
		goto out;
	ck_outcome_step(o, CK_ERR_STORE);
	if (install(s, cc, &chain, keypem, keylen, &version) != 0)
		goto out;
	if (ck_deploy_after_install(s, cc, o) != 0)
		goto out;
	ck_time_rfc3339(chain.not_after, until, sizeof(until));
	ck_info("%s: installed certificate %s (serial %s, valid until %s)", cc->name, version,
	    chain.serial, until);
	snprintf(o->serial, sizeof(o->serial), "%s", chain.serial);
	o->not_before = chain.not_before;
	o->not_after = chain.not_after;
	rc = 0;
out:
	ck_solver_free(solver);
	ck_chain_clear(&chain);
	ck_signer_free(key);
	free(version);
	free(pem);
	free(csr);
	if (keypem != NULL)
		OPENSSL_clear_free(keypem, keylen);
	ck_outcome_end(o, rc == 0);
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
