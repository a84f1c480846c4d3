/*
 * agent/session.h: what lives for a process: the configuration, the store,
 * the key source (and so the TPM connection), the clock, the HTTPS
 * connection to the CA and the ACME account.  A one-shot `renew` uses a
 * session for one pass; a resident agent renews many times over one.
 *
 * Everything but the store is set up at first use, so a pass with nothing
 * due makes no request and no TPM command.
 */
#ifndef CERTKEEPER_AGENT_SESSION_H
#define CERTKEEPER_AGENT_SESSION_H

#include "certkeeper/acme/client.h"
#include "certkeeper/agent/keysource.h"
#include "certkeeper/config/config.h"
#include "certkeeper/net/http.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/clock.h"

struct ck_session {
	const struct ck_config *cfg;
	struct ck_clock *clock;
	struct ck_store *store;
	struct ck_keysource keys;
	struct ck_http *http;		/* set up on first use */
	struct ck_signer *account;	/* the account key, loaded on first use */
	char *account_url;		/* once known: stored, or registered */
	struct ck_acme *acme;		/* the client with its account, on first use */
	int64_t pace_max_ms;		/* ck_session_set_pacing */
	/* What ck_session_count has counted in the store already. */
	unsigned counted_requests;
	unsigned counted_tpm;
	unsigned counted_tls[CK_TLS_NFAILURES];
};

/*
 * The HTTPS connection to the CA (s->http), set up on first use with the
 * configuration's pins, proxy and request_timeout.  Returns 0 or -1.
 */
int ck_session_http(struct ck_session *s);

/*
 * The longest pause the CA client may take after a slow answer
 * (ck_acme_set_pacing) from now on: the time the certificate at hand can
 * spare; 0 goes on at once.
 */
void ck_session_set_pacing(struct ck_session *s, int64_t max_ms);

/* Opens cfg's store.  cfg and clock must outlive the session. */
int ck_session_open(const struct ck_config *cfg, struct ck_clock *clock,
    struct ck_session **out);

/*
 * Releases everything, signers before the TPM they use; -v reports the
 * requests, TLS connections and TPM commands made (NULL is fine).
 */
void ck_session_close(struct ck_session *s);

/*
 * Adds what the session did since the last call (HTTP requests, TPM
 * commands, TLS failures by reason) to the agent's counters in the store,
 * which the metrics read.  A failure is a warning: counting never fails a
 * renewal.  ck_session_close calls it too.
 */
void ck_session_count(struct ck_session *s);

/* Takes the run lock: 0, 1 when another run holds it (reported), -1. */
int ck_session_lock(struct ck_session *s);
/* Same, waiting up to max_ms on the session's clock for it (store/file.h ck_store_lock_wait). */
int ck_session_lock_wait(struct ck_session *s, int64_t max_ms);

/*
 * The account key (once per session): read from the store, or with create
 * made and saved when there is none; a missing one is an error otherwise.
 */
int ck_session_account(struct ck_session *s, int create);

/*
 * The ACME client with the account ready (once per session).  With
 * create, a missing account key is made and the account registered; else
 * a missing one is an error and an unregistered key is only looked up.
 */
int ck_session_acme(struct ck_session *s, int create, struct ck_acme **out);

/*
 * Forgets the account URL (in the session and the store), keeping its key:
 * the next ck_session_acme registers the key again (newAccount returns the
 * account if the CA still has it).
 */
int ck_session_forget_account(struct ck_session *s);

#endif
