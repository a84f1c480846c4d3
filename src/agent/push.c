/*
 * agent/push.c: the push to the Pushgateway after a pass (see
 * agent/push.h): the client identity from the store and the signer, the
 * PUT of the exposition text, and its record.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/agent/push.h"
#include "certkeeper/keys/pkey.h"
#include "certkeeper/net/http.h"
#include "certkeeper/net/tls.h"
#include "certkeeper/store/push.h"
#include "certkeeper/telemetry/metrics.h"
#include "certkeeper/telemetry/push.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

#define PUSH_CONTENT_TYPE	"text/plain; version=0.0.4"
#define CHAIN_MAX		(1024 * 1024)
/* Bytes of a refusal's body quoted in the warning and the record. */
#define BODY_QUOTE		200

/* The first error reported during a push: what the record and the warning say. */
struct first_error {
	char text[CK_PUSH_ERROR_MAX + 1];
};

static void
first_error_sink(void *ctx, const struct ck_error_report *r)
{
	struct first_error *e = ctx;

	if (e->text[0] == '\0')
		snprintf(e->text, sizeof(e->text), "%s", r->text);
}

/* The identity of push_cert's installed set: its certificate, chain and a handle on its key. */
static int
load_identity(struct ck_session *s, const char *name, struct ck_signer **signer,
    EVP_PKEY **pkey, struct ck_tls_identity **id)
{
	char *cert = NULL, *key = NULL, *chain = NULL, *chain_path = NULL, what[128];
	size_t cert_len = 0, key_len = 0, chain_len = 0;
	int r, rc = -1;

	snprintf(what, sizeof(what), "push_cert %s", name);
	if ((r = ck_store_load_current(s->store, name, &cert, &cert_len, &key, &key_len,
	    NULL)) != 0) {
		if (r == 1)
			ck_error_as(CK_ERR_CONFIG, "%s: no certificate installed yet to authenticate "
			    "the push", what);
		goto out;
	}
	if ((chain_path = ck_store_current_path(s->store, name, "chain.pem")) == NULL) {
		ck_error("push: out of memory");
		goto out;
	}
	if (ck_store_read_file(chain_path, CHAIN_MAX, &chain, &chain_len) == -1)
		goto out;
	if (ck_keysource_load(&s->keys, key, key_len, what, signer) != 0 ||
	    ck_signer_pkey(*signer, pkey) != 0 ||
	    ck_tls_identity_new(cert, cert_len, chain, chain_len, *pkey, what, id) != 0)
		goto out;
	rc = 0;
out:
	if (key != NULL)
		OPENSSL_clear_free(key, key_len);
	free(cert);
	free(chain);
	free(chain_path);
	return rc;
}

/* One PUT of text to url with id; 0 on a 2xx answer, else -1 (reported, with the cause). */
static int
put(const struct ck_config *cfg, const char *url, const struct ck_tls_identity *id,
    const char *text, size_t len, const char **cause)
{
	struct ck_http *h = NULL;
	struct ck_http_resp resp;
	char body[BODY_QUOTE + 1];
	int rc = -1;

	memset(&resp, 0, sizeof(resp));
	*cause = NULL;
	if (ck_http_new(cfg->push_ca_bundle, &h) != 0 ||
	    ck_http_set_timeout(h, cfg->push_timeout, cfg->push_timeout) != 0 ||
	    ck_http_set_identity(h, id) != 0)
		goto out;
	if (ck_http_send(h, "PUT", url, PUSH_CONTENT_TYPE, text, len, &resp) != 0) {
		*cause = ck_http_last_cause(h);
		goto out;
	}
	if (resp.status < 200 || resp.status > 299) {
		ck_sanitize(body, sizeof(body), resp.body, resp.len);
		ck_error_as(CK_ERR_NETWORK, "the Pushgateway answered %ld%s%s", resp.status,
		    body[0] ? ": " : "", body);
		goto out;
	}
	rc = 0;
out:
	ck_http_resp_free(&resp);
	/* First: its TLS contexts hold references on the key handle. */
	ck_http_free(h);
	return rc;
}

int
ck_push_after_pass(struct ck_session *s, time_t now, time_t *retry_at)
{
	const struct ck_config *cfg = s->cfg;
	struct ck_signer *signer = NULL;
	struct ck_tls_identity *id = NULL;
	struct ck_push_record rec;
	struct first_error err;
	EVP_PKEY *pkey = NULL;
	const char *cause = NULL;
	char *text = NULL, *url = NULL, safeurl[256], msg[2 * CK_PUSH_ERROR_MAX];
	size_t len = 0;
	int rc = -1;

	*retry_at = 0;
	if (cfg->push_url == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	ck_sanitize(safeurl, sizeof(safeurl), cfg->push_url, strlen(cfg->push_url));
	ck_log_set_error_sink(first_error_sink, &err);
	if (ck_metrics_text(s->store, cfg, now, &text, &len) == 0 &&
	    ck_push_url(cfg->push_url, cfg->push_job, cfg->push_instance, &url) == 0 &&
	    load_identity(s, cfg->push_cert, &signer, &pkey, &id) == 0 &&
	    put(cfg, url, id, text, len, &cause) == 0)
		rc = 0;
	ck_log_set_error_sink(NULL, NULL);
	ck_tls_identity_free(id);
	EVP_PKEY_free(pkey);
	/* Frees the key's TPM slot before the next pass needs it. */
	ck_signer_free(signer);
	/* A push cut short by a stop request did not fail: the next run pushes. */
	if (rc != 0 && ck_stop_requested())
		goto out;

	if (ck_store_load_push(s->store, cfg->push_cert, &rec) != 0)
		ck_warn("push: counting on from the unreadable push record");
	if (rc == 0) {
		ck_push_record_success(&rec, ck_clock_now(s->clock));
		ck_debug("push: metrics pushed to %s (%zu bytes)", safeurl, len);
	} else {
		snprintf(msg, sizeof(msg), "%s%s%s", cause != NULL ? cause : "",
		    cause != NULL && err.text[0] ? ": " : "", err.text);
		ck_push_record_failure(&rec, ck_clock_now(s->clock), msg);
		*retry_at = ck_clock_now(s->clock) + ck_push_retry_delay(rec.consecutive);
		ck_warn("push to %s failed: %s; renewals are not affected, it is tried again at "
		    "the next pass", safeurl, rec.last_error);
	}
	if (ck_store_save_push(s->store, cfg->push_cert, &rec) != 0)
		ck_warn("push: its result is not recorded for the metrics and status");
out:
	free(url);
	free(text);
	return rc;
}
