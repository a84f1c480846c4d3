/*
 * test_plan.c: the plan of each certificate and what an attempt teaches
 * the schedule (src/agent/schedule.c), over a real store in a temporary
 * directory: which rule gives the due time, the jitter once the account
 * key's thumbprint is known, the ARI choice, the backoff on top, and an
 * unreadable schedule planned without.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/agent/schedule.h"
#include "certkeeper/agent/session.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/keys/jws.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

#define DAY 86400
#define THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define ARI_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

struct fixture {
	char tmp[256];
	struct ck_config cfg;
	struct ck_cert_config cc;
	char *domains[2];
	struct ck_session *s;
	time_t now;
};

static char dom_a[] = "a.test", dom_b[] = "b.test", cname[] = "c0";

/* Installs for c0 a self-signed certificate for a.test and b.test valid [now+nb, now+na]. */
static void
install(struct fixture *fx, long nb, long na)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	BIO *bio = BIO_new(BIO_s_mem());
	struct ck_cert_files files;
	char *data, keytext[] = "not read by the plan";
	long n;

	assert_non_null(key);
	assert_non_null(x);
	assert_non_null(bio);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x2a), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, nb, &fx->now));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0, na, &fx->now));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:a.test,DNS:b.test");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	memset(&files, 0, sizeof(files));
	files.cert = files.chain = files.fullchain = data;
	files.cert_len = files.chain_len = files.fullchain_len = (size_t)n;
	files.key = keytext;
	files.key_len = strlen(keytext);
	files.key_name = CK_STORE_KEY_FILE;
	assert_int_equal(ck_store_install(fx->s->store, cname, &files, NULL), 0);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *t = getenv("TMPDIR");

	assert_non_null(fx);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/ck-plan-XXXXXX", t != NULL && *t ? t : "/tmp");
	assert_non_null(mkdtemp(fx->tmp));
	fx->domains[0] = dom_a;
	fx->domains[1] = dom_b;
	fx->cc.name = cname;
	fx->cc.domains = fx->domains;
	fx->cc.ndomains = 2;
	fx->cc.key = CK_KEY_EC_P256;
	fx->cfg.state_dir = fx->tmp;
	fx->cfg.certs = &fx->cc;
	fx->cfg.ncerts = 1;
	fx->cfg.retry_min = 60;
	fx->cfg.retry_max = 6 * 3600;
	fx->now = time(NULL);
	assert_int_equal(ck_session_open(&fx->cfg, ck_clock_system(), &fx->s), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	ck_session_close(fx->s);
	ck_test_rm_rf(fx->tmp);
	free(fx);
	return 0;
}

/* Saves sc as c0's schedule. */
static void
save(struct fixture *fx, const struct ck_sched *sc)
{
	assert_int_equal(ck_store_save_schedule(fx->s->store, cname, sc), 0);
}

/* c0's plan at fx->now, made without failure. */
static struct ck_plan
plan(struct fixture *fx)
{
	struct ck_plan p;

	assert_int_equal(ck_schedule_plan(fx->s, &fx->cc, fx->now, &p), 0);
	return p;
}

/* Broken: nothing installed not due at once, or the backoff not holding it back. */
static void
test_plan_missing(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc;
	struct ck_plan p = plan(fx);

	assert_int_equal(p.source, CK_DUE_MISSING);
	assert_int_equal(p.installed, CK_INSTALLED_NONE);
	assert_int_equal(p.due, fx->now);
	assert_int_equal(p.act_at, fx->now);
	assert_int_equal(p.retry_at, 0);
	assert_int_equal(p.failures, 0);
	assert_int_equal(p.not_after, 0);
	ck_sched_init(&sc);
	sc.failures = 2;
	sc.last_failure = fx->now - 10;
	sc.next_attempt = fx->now + 100;
	save(fx, &sc);
	p = plan(fx);
	assert_int_equal(p.due, fx->now);
	assert_int_equal(p.retry_at, fx->now + 100);
	assert_int_equal(p.act_at, fx->now + 100);
	assert_int_equal(p.failures, 2);
	assert_int_equal(p.last_failure, fx->now - 10);
}

/*
 * Broken: the lifetime rule or renew_before not giving the due time, the
 * jitter applied before the thumbprint is known, or not once it is.
 */
static void
test_plan_rule_and_jitter(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc;
	struct ck_plan p;
	time_t off, rule, life;

	install(fx, -DAY, 30 * DAY);
	p = plan(fx);
	assert_int_equal(p.installed, CK_INSTALLED_OK);
	assert_int_equal(p.source, CK_DUE_LIFETIME);
	assert_int_equal(p.not_before, fx->now - DAY);
	assert_int_equal(p.not_after, fx->now + 30 * DAY);
	rule = ck_due_lifetime(p.not_before, p.not_after);
	assert_int_equal(p.due, rule);
	assert_int_equal(p.jitter, 0);
	assert_int_equal(p.act_at, rule);

	ck_sched_init(&sc);
	snprintf(sc.thumbprint, sizeof(sc.thumbprint), "%s", THUMB);
	save(fx, &sc);
	assert_int_equal(ck_due_jitter(THUMB, cname, p.not_before, p.not_after, &off), 0);
	life = p.not_after - p.not_before;
	assert_true(off > 0 && off <= life / 20);
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_LIFETIME);
	assert_int_equal(p.jitter, off);
	assert_int_equal(p.due, rule - off);
	/* The same on every run. */
	assert_int_equal(plan(fx).due, rule - off);

	fx->cc.renew_before_secs = 2 * DAY;
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_RENEW_BEFORE);
	assert_int_equal(p.due, ck_due_jittered(p.not_after - 2 * DAY, off, p.not_before));
	fx->cc.renew_before_secs = 0;
	fx->cc.renew_before_pct = 99;
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_RENEW_BEFORE);
	assert_true(p.due >= p.not_before);
}

/*
 * Broken: a stored ARI choice not used as the due time, used without an
 * ARI id or when it falls after the end, or the backoff not applied over it.
 */
static void
test_plan_ari(void **state)
{
	struct fixture *fx = *state;
	struct ck_sched sc;
	struct ck_plan p;

	install(fx, -DAY, 30 * DAY);
	ck_sched_init(&sc);
	snprintf(sc.thumbprint, sizeof(sc.thumbprint), "%s", THUMB);
	snprintf(sc.ari_id, sizeof(sc.ari_id), "%s", ARI_ID);
	sc.ari_start = fx->now + 20 * DAY;
	sc.ari_end = fx->now + 22 * DAY;
	sc.ari_chosen = fx->now + 21 * DAY;
	save(fx, &sc);
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_ARI);
	assert_int_equal(p.due, fx->now + 21 * DAY);
	assert_int_equal(p.jitter, 0);
	/* It wins over renew_before too. */
	fx->cc.renew_before_pct = 50;
	assert_int_equal(plan(fx).source, CK_DUE_ARI);
	fx->cc.renew_before_pct = 0;
	/* A window in the past: due now, still by ARI; but after failures, not before the backoff. */
	sc.ari_start = sc.ari_end = sc.ari_chosen = fx->now - 60;
	sc.failures = 1;
	sc.next_attempt = fx->now + 60;
	save(fx, &sc);
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_ARI);
	assert_int_equal(p.due, fx->now - 60);
	assert_int_equal(p.act_at, fx->now + 60);
	/* No id, no choice, or a choice at or after the end: the rule. */
	sc.failures = 0;
	sc.next_attempt = 0;
	sc.ari_start = sc.ari_end = 0;
	sc.ari_chosen = fx->now + 30 * DAY;
	save(fx, &sc);
	assert_int_equal(plan(fx).source, CK_DUE_LIFETIME);
	sc.ari_chosen = fx->now + DAY;
	sc.ari_id[0] = '\0';
	save(fx, &sc);
	assert_int_equal(plan(fx).source, CK_DUE_LIFETIME);
	snprintf(sc.ari_id, sizeof(sc.ari_id), "%s", ARI_ID);
	sc.ari_chosen = 0;
	save(fx, &sc);
	assert_int_equal(plan(fx).source, CK_DUE_LIFETIME);
}

/* Broken: an unreadable schedule stops the plan (so the certificate is never renewed) or is trusted. */
static void
test_plan_corrupt_schedule(void **state)
{
	struct fixture *fx = *state;
	char path[512];
	struct ck_plan p;
	FILE *f;

	install(fx, -DAY, 30 * DAY);
	snprintf(path, sizeof(path), "%s/certs/c0/schedule.json", fx->tmp);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"failures\": 3, \"next_attempt\": 12}", f);
	assert_int_equal(fclose(f), 0);
	ck_clear_error();
	assert_int_equal(ck_schedule_plan_at(fx->s->store, &fx->cc, fx->now, &p), 1);
	assert_non_null(strstr(ck_last_error(), path));
	assert_int_equal(p.source, CK_DUE_LIFETIME);
	assert_int_equal(p.failures, 0);
	assert_int_equal(p.retry_at, 0);
	assert_int_equal(p.due, ck_due_lifetime(p.not_before, p.not_after));
	p = plan(fx);
	assert_int_equal(p.source, CK_DUE_LIFETIME);
}

/* An outcome of result r, for ck_schedule_after. */
static struct ck_outcome
outcome(enum ck_result r)
{
	struct ck_outcome o;

	memset(&o, 0, sizeof(o));
	o.result = r;
	o.cls = r == CK_RESULT_FAILURE ? CK_ERR_NETWORK : CK_ERR_NONE;
	o.retry_after = -1;
	return o;
}

/*
 * Broken: a failure not saved with its backoff (so a timer retries at
 * every tick, and a restart forgets it), the thumbprint not learnt from
 * the loaded account key, a success not resetting, or a stop counted.
 */
static void
test_after(void **state)
{
	struct fixture *fx = *state;
	struct ck_outcome fail = outcome(CK_RESULT_FAILURE), ok = outcome(CK_RESULT_SUCCESS);
	struct ck_outcome stop = outcome(CK_RESULT_INTERRUPTED);
	struct ck_session *again = NULL;
	struct ck_sched sc;
	struct ck_plan p;
	EVP_PKEY *pkey = NULL;
	char *thumb = NULL, path[512];
	FILE *f;

	/* No account key loaded: the failure counts, no thumbprint is made up. */
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &fail, fx->now, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 1);
	assert_int_equal(sc.last_failure, fx->now);
	assert_int_equal(sc.next_attempt, fx->now + 60);	/* the first wait is retry_min */
	assert_string_equal(sc.thumbprint, "");

	/* With the account key loaded (as after any attempt that got that far). */
	assert_int_equal(ck_soft_generate(CK_KEY_EC_P256, &pkey), 0);
	assert_int_equal(ck_soft_signer_new(pkey, &fx->s->account), 0);
	assert_int_equal(ck_jwk_thumbprint(fx->s->account->pub, &thumb), 0);
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &fail, fx->now + 60, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 2);
	assert_true(sc.next_attempt >= fx->now + 120 && sc.next_attempt <= fx->now + 180);
	assert_string_equal(sc.thumbprint, thumb);

	/* A new process (a restart, the next timer tick) sees the same backoff. */
	assert_int_equal(ck_session_open(&fx->cfg, ck_clock_system(), &again), 0);
	assert_int_equal(ck_schedule_plan(again, &fx->cc, fx->now + 61, &p), 0);
	assert_int_equal(p.failures, 2);
	assert_int_equal(p.retry_at, sc.next_attempt);
	assert_true(p.act_at > fx->now + 61);
	ck_session_close(again);

	/* A stop request is no failure. */
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &stop, fx->now + 70, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 2);
	assert_int_equal(sc.last_failure, fx->now + 60);

	/* Success resets; the jitter of the new certificate is known at once. */
	install(fx, -60, 30 * DAY);
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &ok, fx->now + 80, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 0);
	assert_int_equal(sc.next_attempt, 0);
	assert_string_equal(sc.thumbprint, thumb);
	p = plan(fx);
	assert_int_equal(p.retry_at, 0);
	assert_int_equal(p.act_at, p.due);
	assert_true(p.due <= ck_due_lifetime(p.not_before, p.not_after));
	assert_true(p.due >= ck_due_lifetime(p.not_before, p.not_after) -
	    (p.not_after - p.not_before) / 20);

	/* A corrupt schedule is replaced by what the next attempt teaches. */
	snprintf(path, sizeof(path), "%s/certs/c0/schedule.json", fx->tmp);
	assert_non_null(f = fopen(path, "w"));
	fputs("garbage", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &fail, fx->now + 90, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 1);
	free(thumb);
}

/* Broken: after a failure, a valid certificate's next attempt falls after its end. */
static void
test_after_expiry_cap(void **state)
{
	struct fixture *fx = *state;
	struct ck_outcome fail = outcome(CK_RESULT_FAILURE);
	struct ck_sched sc;
	struct ck_plan p;

	install(fx, -DAY, 600);
	ck_sched_init(&sc);
	sc.failures = 20;
	save(fx, &sc);
	assert_int_equal(ck_schedule_after(fx->s, &fx->cc, &fail, fx->now, NULL), 0);
	assert_int_equal(ck_store_load_schedule(fx->s->store, cname, &sc), 0);
	assert_int_equal(sc.failures, 21);
	p = plan(fx);
	assert_true(sc.next_attempt >= fx->now + 60);
	assert_true(sc.next_attempt <= fx->now + (p.not_after - fx->now) * 4 / 5);
}

/*
 * Broken: a renewal may pause (after a slow answer of the CA) for longer
 * than what is left of its certificate or than retry_max, or it pauses at
 * all for a certificate that has expired, is revoked, is not there or
 * cannot be read.
 */
static void
test_plan_spare(void **state)
{
	struct ck_plan p;
	time_t now = 1700000000;

	memset(&p, 0, sizeof(p));
	p.installed = CK_INSTALLED_OK;
	p.source = CK_DUE_LIFETIME;
	p.not_after = now + 40;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 40000);
	assert_true(ck_plan_spare_ms(&p, now, 15) == 15000);
	p.installed = CK_INSTALLED_UNCOVERED;	/* still what services use */
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 40000);
	p.not_after = now + 86400 * 6;
	assert_true(ck_plan_spare_ms(&p, now, 21600) == 21600 * 1000LL);
	/* Far apart on either side of the epoch: no overflow. */
	p.not_after = INT64_MAX;
	assert_true(ck_plan_spare_ms(&p, -now, 0) == INT64_MAX);
	assert_true(ck_plan_spare_ms(&p, -now, 60) == 60000);
	p.not_after = now;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 0);
	p.not_after = now - 5;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 0);
	p.not_after = now + 40;
	p.source = CK_DUE_REVOKED;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 0);
	p.source = CK_DUE_LIFETIME;
	p.installed = CK_INSTALLED_NONE;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 0);
	p.installed = CK_INSTALLED_UNREADABLE;
	assert_true(ck_plan_spare_ms(&p, now, 3600) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_rule_and_jitter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_ari, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_corrupt_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_after_expiry_cap, setup, teardown),
		cmocka_unit_test(test_plan_spare),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
