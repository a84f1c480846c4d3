/*
 * test_status.c: the `status` command (cli/status.c) against a real store
 * in a temporary directory: what it reports, and that it never prints an
 * incomplete answer with exit 0: not when state cannot be read, nor when
 * jansson runs out of memory, nor when the output cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certkeeper/cli/commands.h"
#include "certkeeper/cli/status.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/counters.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/log.h"

/* More than jansson's first array allocation (8), so that the list must grow. */
#define NCERTS 10

struct fixture {
	char tmp[256];
	struct ck_config cfg;
	struct ck_cert_config certs[NCERTS];
	char names[NCERTS][8];
	char *domains[2];
};

static char dom_a[] = "a.test", dom_b[] = "b.test";

/* PEM of a self-signed P-256 certificate for a.test and b.test, with serial 0x2a; malloc'd. */
static char *
make_cert(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	assert_non_null(key);
	assert_non_null(x);
	assert_non_null(bio);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x2a), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)"a.test", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400));
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
	assert_non_null(pem = malloc((size_t)n + 1));
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
	return pem;
}

/*
 * A state directory with NCERTS configured certificates: c0 installed,
 * c1 with a failed attempt recorded, c2 backing off after two failures,
 * the others never tried.
 */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *t = getenv("TMPDIR");
	struct ck_store *st = NULL;
	struct ck_cert_files files;
	struct ck_attempt att;
	struct ck_sched sc;
	struct ck_counters cnt;
	char *pem, key[] = "not read by status";
	size_t i;

	assert_non_null(fx);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/ck-status-XXXXXX", t != NULL && *t ? t : "/tmp");
	assert_non_null(mkdtemp(fx->tmp));
	fx->domains[0] = dom_a;
	fx->domains[1] = dom_b;
	for (i = 0; i < NCERTS; i++) {
		snprintf(fx->names[i], sizeof(fx->names[i]), "c%zu", i);
		fx->certs[i].name = fx->names[i];
		fx->certs[i].domains = fx->domains;
		fx->certs[i].ndomains = 2;
		fx->certs[i].key = CK_KEY_EC_P256;
		fx->certs[i].renew_before_pct = 33;
	}
	fx->cfg.state_dir = fx->tmp;
	fx->cfg.certs = fx->certs;
	fx->cfg.ncerts = NCERTS;

	pem = make_cert();
	memset(&files, 0, sizeof(files));
	files.cert = files.chain = files.fullchain = pem;
	files.cert_len = files.chain_len = files.fullchain_len = strlen(pem);
	files.key = key;
	files.key_len = strlen(key);
	files.key_name = CK_STORE_KEY_FILE;
	assert_int_equal(ck_store_open(fx->tmp, &st), 0);
	assert_int_equal(ck_store_install(st, "c0", &files, NULL), 0);
	ck_attempt_init(&att);
	att.when = 1700000000;
	att.result = (char *)"failure";
	att.error = (char *)"the CA said no";
	assert_int_equal(ck_store_save_attempt(st, "c1", &att), 0);
	ck_sched_init(&sc);
	sc.failures = 2;
	sc.last_failure = 1700000000;
	sc.next_attempt = 1700000180;
	assert_int_equal(ck_store_save_schedule(st, "c2", &sc), 0);
	ck_counters_init(&cnt);
	cnt.success = 1;
	cnt.failure = 2;
	cnt.last_success = 1700000000;
	ck_counters_add_error(&cnt, "connection");
	assert_int_equal(ck_store_save_counters(st, "c0", &cnt), 0);
	ck_store_close(st);
	free(pem);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	ck_test_rm_rf(fx->tmp);
	free(fx);
	return 0;
}

/* Runs ck_status_print into a temporary file; *text gets what it wrote (malloc'd). */
static int
print_to_string(const struct ck_config *cfg, int json, char **text)
{
	FILE *f = tmpfile();
	long n;
	int rc;

	assert_non_null(f);
	rc = ck_status_print(cfg, json, f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	assert_non_null(*text = malloc((size_t)n + 1));
	assert_int_equal(fread(*text, 1, (size_t)n, f), (size_t)n);
	(*text)[n] = '\0';
	fclose(f);
	return rc;
}

/* Every certificate is listed, with what is installed and the last attempt: else operators are blind. */
static void
test_report(void **state)
{
	struct fixture *fx = *state;
	json_t *doc, *list, *c0, *c1, *c2, *c9;
	json_error_t jerr;
	char *text;

	assert_int_equal(print_to_string(&fx->cfg, 1, &text), CK_EXIT_OK);
	assert_non_null(doc = json_loads(text, 0, &jerr));
	list = json_object_get(doc, "certificates");
	assert_int_equal(json_array_size(list), NCERTS);
	c0 = json_array_get(list, 0);
	c1 = json_array_get(list, 1);
	c2 = json_array_get(list, 2);
	c9 = json_array_get(list, NCERTS - 1);
	assert_string_equal(json_string_value(json_object_get(c0, "name")), "c0");
	assert_string_equal(json_string_value(json_object_get(c0, "serial")), "2a");
	assert_string_equal(json_string_value(json_object_get(c0, "key_type")), "ec-p256");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c0, "domains"), 1)),
	    "b.test");
	assert_non_null(strstr(json_string_value(json_object_get(c0, "key_path")), "/key.pem"));
	assert_true(json_is_string(json_object_get(c0, "renew_after")));
	assert_true(json_is_null(json_object_get(c0, "last_result")));
	assert_true(json_is_null(json_object_get(c1, "serial")));
	assert_string_equal(json_string_value(json_object_get(c1, "last_result")), "failure");
	assert_string_equal(json_string_value(json_object_get(c1, "last_error")), "the CA said no");
	assert_string_equal(json_string_value(json_object_get(c9, "name")), "c9");
	/*
	 * The documented fields, the attempt record's when, class and problem, the
	 * plan's, and the metrics' (ready, renewal_attempts, acme_errors, last_success).
	 */
	assert_int_equal(json_object_size(c9), 23);
	assert_true(json_is_true(json_object_get(c0, "ready")));
	assert_true(json_is_false(json_object_get(c1, "ready")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c9,
	    "renewal_attempts"), "failure")), 0);
	assert_int_equal(json_object_size(json_object_get(c9, "renewal_attempts")), 3);
	assert_int_equal(json_object_size(json_object_get(c9, "acme_errors")), 0);
	assert_true(json_is_null(json_object_get(c9, "last_success")));
	/* The counters, as the metrics file has them. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c0,
	    "renewal_attempts"), "success")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c0,
	    "renewal_attempts"), "failure")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c0,
	    "acme_errors"), "connection")), 1);
	assert_string_equal(json_string_value(json_object_get(c0, "last_success")),
	    "2023-11-14T22:13:20Z");
	/* Where the due time comes from; none for what is not installed (due at once). */
	assert_string_equal(json_string_value(json_object_get(c0, "due_source")), "renew_before");
	assert_string_equal(json_string_value(json_object_get(c1, "due_source")), "missing");
	assert_true(json_is_null(json_object_get(c1, "renew_after")));
	assert_int_equal(json_integer_value(json_object_get(c0, "failures")), 0);
	assert_true(json_is_null(json_object_get(c0, "next_attempt")));
	/* The backoff, as stored. */
	assert_int_equal(json_integer_value(json_object_get(c2, "failures")), 2);
	assert_string_equal(json_string_value(json_object_get(c2, "next_attempt")),
	    "2023-11-14T22:16:20Z");
	assert_string_equal(json_string_value(json_object_get(c1, "last_attempt")),
	    "2023-11-14T22:13:20Z");
	assert_true(json_is_null(json_object_get(c1, "last_error_class")));
	assert_true(json_is_null(json_object_get(c0, "last_attempt")));
	json_decref(doc);
	free(text);

	assert_int_equal(print_to_string(&fx->cfg, 0, &text), CK_EXIT_OK);
	assert_non_null(strstr(text, "c0\n  domains:     a.test, b.test\n"));
	assert_non_null(strstr(text, "  serial:      2a\n"));
	assert_non_null(strstr(text, "c1\n  domains:     a.test, b.test\n  (no certificate installed)\n"));
	assert_non_null(strstr(text, "  last error:  the CA said no\n"));
	assert_non_null(strstr(text, "  due source:  renew_before\n"));
	assert_non_null(strstr(text, "c2\n  domains:     a.test, b.test\n  (no certificate installed)\n"
	    "  due source:  missing\n  failures:    2\n  next attempt: 2023-11-14T22:16:20Z\n"));
	assert_non_null(strstr(text, "c9\n"));
	free(text);
}

/* jansson allocations: the first `fail_at` succeed, then one fails (or all, with fail_rest). */
static size_t allocs, fail_at;
static int fail_rest;

static void *
failing_malloc(size_t n)
{
	size_t i = allocs++;

	return i < fail_at || (i > fail_at && !fail_rest) ? malloc(n) : NULL;
}

static void
plain_free(void *p)
{
	free(p);
}

/*
 * Every jansson allocation fails in turn (alone, or with all that follow):
 * each run either prints exactly the full answer with exit 0, or exits 1
 * with an error reported and prints nothing.  Else a certificate silently
 * drops out of the list, or half a document is printed, and a monitor
 * reading the output believes it.
 */
static void
check_alloc_failures(const struct ck_config *cfg, int json, int rest)
{
	char *want, *got;
	int rc, failures = 0;

	assert_int_equal(print_to_string(cfg, json, &want), CK_EXIT_OK);
	fail_rest = rest;
	for (fail_at = 0;; fail_at++) {
		allocs = 0;
		ck_clear_error();
		json_set_alloc_funcs(failing_malloc, plain_free);
		rc = print_to_string(cfg, json, &got);
		json_set_alloc_funcs(malloc, free);
		if (rc == CK_EXIT_OK) {
			if (strcmp(got, want) != 0)
				fail_msg("%s status with allocation %zu failing%s: exit 0 but\n%s\n"
				    "instead of\n%s", json ? "JSON" : "text", fail_at,
				    rest ? " (and all after)" : "", got, want);
		} else {
			assert_int_equal(rc, CK_EXIT_FAILED);
			if (ck_last_error()[0] == '\0')
				fail_msg("allocation %zu failing: exit 1 with no error reported",
				    fail_at);
			/* Nothing half-printed: all of it (state unreadable) or nothing. */
			if (got[0] != '\0' && strstr(got, json ? "\"name\": \"c9\"" : "c9\n") == NULL)
				fail_msg("allocation %zu failing: exit 1 after printing\n%s", fail_at,
				    got);
			failures++;
		}
		free(got);
		if (allocs <= fail_at)	/* no allocation failed: every one has been tried */
			break;
	}
	assert_true(failures > NCERTS);
	free(want);
}

static void
test_alloc_failures_json(void **state)
{
	struct fixture *fx = *state;

	check_alloc_failures(&fx->cfg, 1, 0);
	check_alloc_failures(&fx->cfg, 1, 1);
}

static void
test_alloc_failures_text(void **state)
{
	struct fixture *fx = *state;

	check_alloc_failures(&fx->cfg, 0, 0);
	check_alloc_failures(&fx->cfg, 0, 1);
}

/* Overwrites path with text. */
static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Counts the errors reported that say a certificate cannot be read. */
static void
count_cert_errors(void *ctx, const struct ck_error_report *r)
{
	if (strstr(r->text, "cannot read a certificate") != NULL)
		(*(int *)ctx)++;
}

/*
 * A cert.pem that does not parse and a status.json that is not JSON are
 * reported and fail the command (exit 1), while everything readable is
 * still shown and the certificate is said to be unreadable, not absent:
 * else a broken install looks like a fresh device, with exit 0.  The
 * certificate is read once, so its error is reported once.
 */
static void
test_unreadable_state(void **state)
{
	struct fixture *fx = *state;
	char path[512], *text;
	json_t *doc, *c0, *c1;
	json_error_t jerr;
	struct ck_store *st = NULL;
	struct ck_attempt att;
	int cert_errors = 0;

	snprintf(path, sizeof(path), "%s/certs/c0/current/cert.pem", fx->tmp);
	write_text(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	snprintf(path, sizeof(path), "%s/certs/c1/status.json", fx->tmp);
	write_text(path, "{\"when\": ");
	/* The last attempt of the unreadable certificate is still shown. */
	assert_int_equal(ck_store_open(fx->tmp, &st), 0);
	ck_attempt_init(&att);
	att.when = 1700000000;
	att.result = (char *)"success";
	att.error = NULL;
	assert_int_equal(ck_store_save_attempt(st, "c0", &att), 0);
	ck_store_close(st);

	ck_clear_error();
	ck_log_set_error_sink(count_cert_errors, &cert_errors);
	assert_int_equal(print_to_string(&fx->cfg, 1, &text), CK_EXIT_FAILED);
	ck_log_set_error_sink(NULL, NULL);
	assert_int_equal(cert_errors, 1);
	assert_non_null(strstr(ck_last_error(), "status.json is corrupt"));
	assert_non_null(doc = json_loads(text, 0, &jerr));
	assert_int_equal(json_array_size(json_object_get(doc, "certificates")), NCERTS);
	c0 = json_array_get(json_object_get(doc, "certificates"), 0);
	c1 = json_array_get(json_object_get(doc, "certificates"), 1);
	assert_true(json_is_null(json_object_get(c0, "serial")));
	assert_true(json_is_string(json_object_get(c0, "cert_path")));
	assert_string_equal(json_string_value(json_object_get(c0, "last_result")), "success");
	assert_true(json_is_null(json_object_get(c1, "last_result")));
	json_decref(doc);
	free(text);

	ck_clear_error();
	assert_int_equal(print_to_string(&fx->cfg, 0, &text), CK_EXIT_FAILED);
	assert_non_null(strstr(text, "c0\n  domains:     a.test, b.test\n"
	    "  (installed certificate unreadable)\n"));
	assert_non_null(strstr(text, "c2\n  domains:     a.test, b.test\n"
	    "  (no certificate installed)\n"));
	free(text);
}

/*
 * A schedule.json that is not what the store writes fails the command
 * (exit 1, reported naming it) while the certificate is still listed, with
 * no backoff made up: else a corrupt file hides, or invents, a failing one.
 */
static void
test_unreadable_schedule(void **state)
{
	struct fixture *fx = *state;
	char path[512], *text;
	json_t *doc, *c2;
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/certs/c2/schedule.json", fx->tmp);
	write_text(path, "{\"failures\": \"2\"}");
	ck_clear_error();
	assert_int_equal(print_to_string(&fx->cfg, 1, &text), CK_EXIT_FAILED);
	assert_non_null(strstr(ck_last_error(), "c2/schedule.json is corrupt"));
	assert_non_null(doc = json_loads(text, 0, &jerr));
	assert_int_equal(json_array_size(json_object_get(doc, "certificates")), NCERTS);
	c2 = json_array_get(json_object_get(doc, "certificates"), 2);
	assert_string_equal(json_string_value(json_object_get(c2, "name")), "c2");
	assert_int_equal(json_integer_value(json_object_get(c2, "failures")), 0);
	assert_true(json_is_null(json_object_get(c2, "next_attempt")));
	json_decref(doc);
	free(text);
}

/* Output that cannot be written (a full disk) is exit 1, reported: else a monitor reads nothing as fine. */
static void
test_write_failure(void **state)
{
	struct fixture *fx = *state;
	FILE *f;
	int json;

	for (json = 0; json <= 1; json++) {
		if ((f = fopen("/dev/full", "w")) == NULL)
			skip();
		ck_clear_error();
		assert_int_equal(ck_status_print(&fx->cfg, json, f), CK_EXIT_FAILED);
		if (strstr(ck_last_error(), "cannot write the output") == NULL)
			fail_msg("error \"%s\" does not say the output failed", ck_last_error());
		fclose(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
	};

	ck_log_set_level(CK_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
