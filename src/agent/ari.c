/*
 * agent/ari.c: the CA's renewal windows in the schedule (see agent/ari.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "certkeeper/agent/ari.h"
#include "certkeeper/cert/ari.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/log.h"
#include "certkeeper/util/time.h"

/* After a failed fetch: the RFC's six hours. */
#define ARI_RETRY_ON_ERROR CK_ARI_RETRY_DEFAULT

void
ck_ari_take_window(struct ck_sched *sc, const char *id, const struct ck_ari_window *w,
    time_t now, uint32_t rnd)
{
	int same = strcmp(sc->ari_id, id) == 0 && sc->ari_start == w->start &&
	    sc->ari_end == w->end && sc->ari_chosen != 0;

	if (!same) {
		snprintf(sc->ari_id, sizeof(sc->ari_id), "%s", id);
		sc->ari_start = w->start;
		sc->ari_end = w->end;
		sc->ari_chosen = w->start +
		    (time_t)(((uint64_t)(w->end - w->start) * rnd) >> 32);
	}
	sc->ari_next_fetch = now + w->retry_after;
}

/* The ARI identifier of cc's installed certificate (malloc'd), or NULL when it has none. */
static char *
installed_id(struct ck_session *s, const struct ck_cert_config *cc)
{
	char *pem = NULL, *id = NULL;
	size_t len = 0;

	if (ck_store_load_current(s->store, cc->name, &pem, &len, NULL, NULL, NULL) == 0 &&
	    ck_ari_cert_id(pem, len, &id) != 0)
		id = NULL;
	free(pem);
	return id;
}

/* A uniformly random 32-bit value; the window's start when the generator fails. */
static uint32_t
random32(void)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Asks the CA for id's window and takes it into sc; failures set the next try. */
static void
fetch(struct ck_session *s, const struct ck_cert_config *cc, const char *id, time_t now,
    struct ck_sched *sc)
{
	struct ck_ari_window w;
	struct ck_acme *acme;
	char a[32], b[32];

	if (strcmp(sc->ari_id, id) != 0) {
		ck_sched_clear_ari(sc);
		snprintf(sc->ari_id, sizeof(sc->ari_id), "%s", id);
	}
	if (ck_session_account(s, 1) != 0 || ck_session_acme(s, 1, &acme) != 0) {
		ck_warn("%s: renewal information not fetched (no connection to the CA)", cc->name);
		sc->ari_next_fetch = now + ARI_RETRY_ON_ERROR;
		return;
	}
	if (!ck_acme_has_ari(acme)) {
		ck_debug("%s: the CA offers no renewal information", cc->name);
		sc->ari_next_fetch = now + CK_ARI_NONE_RECHECK;
		return;
	}
	if (ck_acme_renewal_info(acme, id, &w) != 0) {
		ck_warn("%s: renewal information unusable; the lifetime rule applies", cc->name);
		ck_sched_clear_ari(sc);
		snprintf(sc->ari_id, sizeof(sc->ari_id), "%s", id);
		sc->ari_next_fetch = now + ARI_RETRY_ON_ERROR;
		return;
	}
	ck_ari_take_window(sc, id, &w, now, random32());
	ck_time_rfc3339(w.start, a, sizeof(a));
	ck_time_rfc3339(w.end, b, sizeof(b));
	ck_info("%s: the CA suggests renewing between %s and %s%s%s", cc->name, a, b,
	    w.explanation[0] ? "; see " : "", w.explanation);
}

void
ck_ari_refresh(struct ck_session *s, const struct ck_cert_config *cc, time_t now, time_t *next)
{
	struct ck_sched sc;
	char *id = NULL;

	*next = 0;
	if ((id = installed_id(s, cc)) == NULL)
		return;
	if (ck_store_load_schedule(s->store, cc->name, &sc) != 0)
		ck_sched_init(&sc);	/* reported; the next save replaces it */
	/* A window for another (older) certificate is no window for this one. */
	if (strcmp(sc.ari_id, id) == 0 && sc.ari_next_fetch > now) {
		*next = sc.ari_next_fetch;
		goto out;
	}
	fetch(s, cc, id, now, &sc);
	if (ck_store_save_schedule(s->store, cc->name, &sc) != 0)
		ck_warn("%s: the renewal window is not saved; it is asked for again", cc->name);
	*next = sc.ari_next_fetch;
out:
	free(id);
}

void
ck_ari_after_install(struct ck_session *s, const struct ck_cert_config *cc, time_t now,
    struct ck_sched *sc, time_t *next)
{
	char *id;

	*next = 0;
	if ((id = installed_id(s, cc)) == NULL)
		return;
	fetch(s, cc, id, now, sc);
	*next = sc->ari_next_fetch;
	free(id);
}

char *
ck_ari_replaces(struct ck_session *s, const struct ck_cert_config *cc, struct ck_acme *acme)
{
	/* RFC 9773 5: only to a CA that has renewalInfo. */
	if (!ck_acme_has_ari(acme))
		return NULL;
	return installed_id(s, cc);
}
