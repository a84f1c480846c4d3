/*
 * agent/session.c: a renewal session (see agent/session.h): the account
 * key, the connection to the CA and the account, each made once.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/acme/account.h"
#include "certkeeper/agent/account.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/keys/tpm.h"
#include "certkeeper/net/http.h"
#include "certkeeper/store/counters.h"
#include "certkeeper/util/log.h"

int
ck_session_open(const struct ck_config *cfg, struct ck_clock *clock, struct ck_session **out)
{
	struct ck_session *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory opening the session");
		return -1;
	}
	s->cfg = cfg;
	s->clock = clock;
	if (ck_store_open(cfg->state_dir, &s->store) != 0) {
		free(s);
		return -1;
	}
	ck_store_set_group_readable(s->store, cfg->group_readable);
	s->keys.cfg = cfg;
	s->keys.store = s->store;
	*out = s;
	return 0;
}

void
ck_session_count(struct ck_session *s)
{
	struct ck_agent_counters c;
	unsigned requests = 0, tpm = 0, tls[CK_TLS_NFAILURES] = { 0 };
	int i, changed;

	if (s->http != NULL)
		requests = ck_http_request_count(s->http);
	if (s->keys.tpm != NULL)
		tpm = ck_tpm_command_count(s->keys.tpm);
	changed = requests != s->counted_requests || tpm != s->counted_tpm;
	for (i = 0; i < CK_TLS_NFAILURES; i++) {
		if (s->http != NULL)
			tls[i] = ck_http_tls_failure_count(s->http, (enum ck_tls_failure)i);
		changed |= tls[i] != s->counted_tls[i];
	}
	if (!changed)
		return;
	if (ck_store_load_agent_counters(s->store, &c) != 0)
		ck_warn("counting on from zero after the unreadable agent counters");
	ck_counter_add(&c.http_requests, (long long)(requests - s->counted_requests));
	ck_counter_add(&c.tpm_commands, (long long)(tpm - s->counted_tpm));
	for (i = 0; i < CK_TLS_NFAILURES; i++)
		if (tls[i] != s->counted_tls[i])
			(void)ck_agent_counters_add_tls(&c, ck_tls_failure_name((enum ck_tls_failure)i),
			    (long long)(tls[i] - s->counted_tls[i]));
	if (ck_store_save_agent_counters(s->store, &c) != 0) {
		ck_warn("what this run sent is not counted in the metrics");
		return;
	}
	s->counted_requests = requests;
	s->counted_tpm = tpm;
	memcpy(s->counted_tls, tls, sizeof(tls));
}

void
ck_session_close(struct ck_session *s)
{
	if (s == NULL)
		return;
	ck_session_count(s);
	ck_acme_free(s->acme);
	ck_signer_free(s->account);
	free(s->account_url);
	if (s->http != NULL)
		ck_debug("%u HTTP requests over %u TLS connections", ck_http_request_count(s->http),
		    ck_http_connect_count(s->http));
	ck_http_free(s->http);
	ck_keysource_close(&s->keys);
	ck_store_close(s->store);
	free(s);
}

int
ck_session_lock(struct ck_session *s)
{
	return ck_store_lock(s->store);
}

int
ck_session_lock_wait(struct ck_session *s, int64_t max_ms)
{
	return ck_store_lock_wait(s->store, s->clock, max_ms);
}

/* Loads the account key for the configured CA, or creates and saves one. */
static int
load_account_key(struct ck_session *s, int create, char **url)
{
	const char *dir = s->cfg->directory;
	char *pem = NULL;
	size_t len = 0;
	int rc = -1;

	if (ck_store_account_load(s->store, dir, &pem, &len, url) != 0)
		goto out;
	if (pem != NULL) {
		if (ck_keysource_load(&s->keys, pem, len, "account key", &s->account) != 0)
			goto out;
		if (s->account->type != s->cfg->account_key)
			ck_warn("the stored account key is %s, not the configured %s: keeping it",
			    ck_key_type_name(s->account->type),
			    ck_key_type_name(s->cfg->account_key));
	} else {
		if (!create) {
			ck_error_as(CK_ERR_CONFIG, "no account for %s yet (a renewal creates it)", dir);
			goto out;
		}
		if (ck_keysource_generate(&s->keys, s->cfg->account_key, &s->account, &pem,
		    &len) != 0)
			goto out;
		/* Saved before registering, so a crash never orphans an account. */
		if (ck_store_account_save_key(s->store, dir, pem, len) != 0)
			goto out;
	}
	rc = 0;
out:
	if (pem != NULL)
		OPENSSL_clear_free(pem, len);
	return rc;
}

int
ck_session_account(struct ck_session *s, int create)
{
	if (s->account != NULL)
		return 0;
	return load_account_key(s, create, &s->account_url);
}

int
ck_session_forget_account(struct ck_session *s)
{
	ck_acme_free(s->acme);
	s->acme = NULL;
	free(s->account_url);
	s->account_url = NULL;
	return ck_store_account_forget_url(s->store, s->cfg->directory);
}

int
ck_session_http(struct ck_session *s)
{
	struct ck_http *h = NULL;

	if (s->http != NULL)
		return 0;

	if (ck_http_new(s->cfg->ca_bundle, &h) != 0 ||
	    ck_http_set_pins(h, (const char *const *)s->cfg->pins, s->cfg->npins) != 0 ||
	    ck_http_set_proxy(h, s->cfg->proxy) != 0 ||
	    ck_http_set_timeout(h, s->cfg->connect_timeout, s->cfg->request_timeout) != 0) {
		ck_http_free(h);
		return -1;
	}
	s->http = h;
	return 0;
}

void
ck_session_set_pacing(struct ck_session *s, int64_t max_ms)
{
	s->pace_max_ms = max_ms;
	if (s->acme != NULL)
		ck_acme_set_pacing(s->acme, max_ms);
}

int
ck_session_acme(struct ck_session *s, int create, struct ck_acme **out)
{
	char *url = NULL;
	int rc = -1;

	if (s->acme != NULL) {
		*out = s->acme;
		return 0;
	}
	if (ck_session_account(s, create) != 0)
		goto out;
	if (ck_session_http(s) != 0)
		goto out;
	if (ck_acme_new_paced(s->http, s->clock, s->cfg->directory, s->account, s->pace_max_ms,
	    &s->acme) != 0)
		goto out;
	if (s->cfg->eab_kid != NULL)
		ck_acme_set_eab(s->acme, s->cfg->eab_kid, s->cfg->eab_hmac_key,
		    s->cfg->eab_hmac_key_len);
	if (ck_acme_account(s->acme, create ? s->cfg->contact : NULL, s->account_url, !create,
	    &url) != 0)
		goto out;
	/* A rollover a crash cut short: settled with the CA before the account is used. */
	if (s->account_url != NULL && ck_account_resolve_rollover(s, s->acme) != 0)
		goto out;
	if (s->account_url == NULL) {
		if (create && ck_store_account_save_url(s->store, s->cfg->directory, url) != 0)
			goto out;
		s->account_url = url;
		url = NULL;
	}
	*out = s->acme;
	rc = 0;
out:
	if (rc != 0) {
		ck_acme_free(s->acme);
		s->acme = NULL;
	}
	free(url);
	return rc;
}
