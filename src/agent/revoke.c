/*
 * agent/revoke.c: revoking an installed certificate (see agent/revoke.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certkeeper/acme/revoke.h"
#include "certkeeper/agent/revoke.h"
#include "certkeeper/telemetry/events.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/net/http.h"
#include "certkeeper/store/revoked.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/pem.h"

/* The DER of the first certificate of a PEM text (*der malloc'd by OpenSSL: OPENSSL_free). */
static int
first_der(const char *pem, size_t len, unsigned char **der, size_t *derlen)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	int n, rc = -1;

	*der = NULL;
	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, ck_pem_no_passphrase, NULL)) == NULL) {
		ck_error_ssl("reading the installed certificate");
		goto out;
	}
	if ((n = i2d_X509(x, der)) <= 0) {
		ck_error_ssl("i2d_X509 of the installed certificate");
		goto out;
	}
	*derlen = (size_t)n;
	rc = 0;
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/*
 * Revokes with the certificate's own key (jwk form), through a client of
 * its own whose "account" signer is that key.
 */
static int
revoke_with_cert_key(struct ck_session *s, const char *keypem, size_t keylen,
    const unsigned char *der, size_t derlen, int reason)
{
	struct ck_signer *key = NULL;
	struct ck_acme *a = NULL;
	int rc = -1;

	if (ck_keysource_load(&s->keys, keypem, keylen, "certificate key", &key) != 0)
		goto out;
	if (ck_session_http(s) != 0)
		goto out;
	if (ck_acme_new(s->http, s->clock, s->cfg->directory, key, &a) != 0)
		goto out;
	rc = ck_acme_revoke(a, der, derlen, reason, 1);
out:
	ck_acme_free(a);
	ck_signer_free(key);
	return rc;
}

/* Whether the store has a registered account for the configured CA. */
static int
have_account(struct ck_session *s)
{
	char *pem = NULL, *url = NULL;
	size_t len = 0;
	int yes;

	if (ck_store_account_load(s->store, s->cfg->directory, &pem, &len, &url) != 0) {
		ck_clear_error();
		return 0;
	}
	yes = pem != NULL && url != NULL;
	if (pem != NULL)
		OPENSSL_clear_free(pem, len);
	free(url);
	return yes;
}

/*
 * The operator asked for the certificate to go: a backoff left by earlier
 * failures no longer holds the next renewal back (the failures stay counted).
 * A schedule that cannot be read or saved is a warning; the revocation stands.
 */
static void
end_backoff(struct ck_session *s, const char *name)
{
	struct ck_sched sc;

	if (ck_store_load_schedule(s->store, name, &sc) != 0 || sc.next_attempt == 0)
		return;
	sc.next_attempt = 0;
	if (ck_store_save_schedule(s->store, name, &sc) != 0)
		ck_warn("%s: the next renewal still waits out the backoff of earlier failures", name);
}

void
ck_revoke_event(struct ck_session *s, const struct ck_cert_config *cc, const char *serial,
    time_t not_after, int reason)
{
	struct ck_event e = {
		.kind = CK_EVENT_REVOKED, .cert = cc->name, .serial = serial,
		.not_after = not_after, .reason = ck_revoke_reason_name(reason)
	};

	(void)s;
	ck_info("%s: certificate %s revoked (%s); the next renewal replaces it", cc->name, serial,
	    ck_revoke_reason_name(reason));
	ck_event_emit(&e);
}

int
ck_revoke_installed(struct ck_session *s, const struct ck_cert_config *cc, int reason)
{
	struct ck_cert_info info;
	struct ck_revoked rec;
	struct ck_acme *acme;
	unsigned char *der = NULL;
	char *cert = NULL, *key = NULL;
	size_t certlen = 0, keylen = 0, derlen = 0;
	int r, rc = -1;

	memset(&info, 0, sizeof(info));
	if ((r = ck_store_load_current(s->store, cc->name, &cert, &certlen, &key, &keylen,
	    NULL)) != 0) {
		if (r == 1)
			ck_error_as(CK_ERR_CONFIG, "%s: no certificate installed: nothing to revoke",
			    cc->name);
		goto out;
	}
	if (ck_cert_info(cert, certlen, &info) != 0 || info.serial == NULL ||
	    first_der(cert, certlen, &der, &derlen) != 0)
		goto out;
	r = -1;
	if (have_account(s)) {
		if (ck_session_acme(s, 0, &acme) == 0)
			r = ck_acme_revoke(acme, der, derlen, reason, 0);
		/* A deactivated (or lost) account cannot; the certificate's key always may. */
		if (r == -1)
			ck_warn("%s: revoking with the account key failed (%s): signing with the "
			    "certificate's key instead", cc->name, ck_last_error());
	} else {
		ck_info("%s: no account for %s: signing the revocation with the certificate's key",
		    cc->name, s->cfg->directory);
	}
	if (r == -1 && (r = revoke_with_cert_key(s, key, keylen, der, derlen, reason)) == -1)
		goto out;
	if (r == 1)
		ck_info("%s: the CA says certificate %s is revoked already", cc->name, info.serial);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.serial, sizeof(rec.serial), "%s", info.serial);
	rec.when = ck_clock_now(s->clock);
	rec.reason = reason;
	if (ck_store_save_revoked(s->store, cc->name, &rec) != 0)
		goto out;
	ck_revoke_event(s, cc, info.serial, info.not_after, reason);
	end_backoff(s, cc->name);
	rc = 0;
out:
	ck_cert_info_clear(&info);
	OPENSSL_free(der);
	free(cert);
	if (key != NULL)
		OPENSSL_clear_free(key, keylen);
	return rc;
}
