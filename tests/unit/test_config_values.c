/*
 * test_config_values.c: the keys of each section, their defaults and the
 * value syntaxes they share (src/config/values.c: durations and their
 * bounds, yes/no, numbers, readable files): src/config/acme.c ([acme] and
 * [tpm]: timeouts, retries, group_readable, pins, proxy, ca_bundle, EAB),
 * src/config/telemetry.c (the metrics file, the push) and
 * src/config/cert.c (hooks, challenges, warn_before, profile and
 * preferred_chain, the name limit).
 *
 * ck_config_free() must wipe the owner password and the EAB key: what it
 * hands to CRYPTO_clear_free is watched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certkeeper/config/config.h"
#include "certkeeper/util/limits.h"
#include "certkeeper/util/log.h"
#include "config_fixture.h"

/*
 * CRYPTO_clear_free (behind OPENSSL_clear_free) is wrapped at link time:
 * the wrapper keeps a copy of each short buffer it is asked to wipe.
 */
void __real_CRYPTO_clear_free(void *ptr, size_t num, const char *file, int line);
void __wrap_CRYPTO_clear_free(void *ptr, size_t num, const char *file, int line);
static char wiped[8][64];
static size_t nwiped;

void
__wrap_CRYPTO_clear_free(void *ptr, size_t num, const char *file, int line)
{
	if (ptr != NULL && num < sizeof(wiped[0]) && nwiped < sizeof(wiped) / sizeof(wiped[0])) {
		memcpy(wiped[nwiped], ptr, num);
		wiped[nwiped++][num] = '\0';
	}
	__real_CRYPTO_clear_free(ptr, num, file, line);
}

/*
 * Loads an [acme] section of the directory and lines (each ending in a
 * newline) with one certificate, from a fresh file under dir that is
 * removed again; fails the test, naming lines, when it does not load.
 */
static struct ck_config *
load_acme_lines(const char *dir, const char *lines)
{
	char path[PATH_MAX], text[1024];
	struct ck_config *cfg = NULL;

	snprintf(text, sizeof(text), "[acme]\ndirectory = https://localhost:14000/dir\n"
	    "%s[cert:x]\ndomains = x.example.com\n", lines);
	write_conf(path, sizeof(path), dir, text);
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s: %s", lines, ck_last_error());
	assert_int_equal(unlink(path), 0);
	return cfg;
}

/*
 * Broken: [telemetry] left out does not give node_exporter's textfile
 * default, "metrics_file =" does not turn it off (or is refused as an
 * empty value, as other keys' are), or a path set is not kept.
 */
static void
test_telemetry(void **state)
{
	struct ck_config *cfg;

	cfg = load_good("good-minimal.conf");
	assert_string_equal(cfg->metrics_file, CK_DEFAULT_METRICS_FILE);
	assert_string_equal(cfg->metrics_file, "/var/lib/prometheus/node-exporter/certkeeper.prom");
	ck_config_free(cfg);
	cfg = load_good("good-telemetry-off.conf");
	assert_null(cfg->metrics_file);
	ck_config_free(cfg);
	cfg = load_good("good-telemetry-file.conf");
	assert_string_equal(cfg->metrics_file, "/run/metrics/ck.prom");
	ck_config_free(cfg);
}

/*
 * Broken: the push is on without push_url, its defaults (job certkeeper,
 * the first certificate, its first domain, 10 s) are not applied, push_cert
 * set after the [cert:NAME] it names is not found, a trailing slash of
 * push_url is kept, or set labels and timeout are not kept.
 */
static void
test_push_keys(void **state)
{
	struct ck_config *cfg;

	cfg = load_good("good-minimal.conf");
	assert_null(cfg->push_url);
	ck_config_free(cfg);
	cfg = load_good("good-push.conf");
	assert_string_equal(cfg->push_url, "https://pgw.example.net:9091");
	assert_string_equal(cfg->push_job, "certkeeper");
	assert_string_equal(cfg->push_cert, "hub");
	assert_string_equal(cfg->push_instance, "hub-7.example.com");
	assert_null(cfg->push_ca_bundle);
	assert_int_equal(cfg->push_timeout, 10);
	ck_config_free(cfg);
	cfg = load_good("good-push-labels.conf");
	assert_string_equal(cfg->push_job, "fleet-a");
	assert_string_equal(cfg->push_instance, "hub/7");
	assert_string_equal(cfg->push_cert, "web");
	assert_int_equal(cfg->push_timeout, 1);
	ck_config_free(cfg);
}

/* Broken: group_readable's default (no), yes, or the shipped example's setting (yes). */
static void
test_group_readable(void **state)
{
	char path[PATH_MAX];
	struct ck_config *cfg;

	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->group_readable, 0);
	ck_config_free(cfg);
	cfg = load_good("good-group-readable.conf");
	assert_int_equal(cfg->group_readable, 1);
	ck_config_free(cfg);
	/* The example is what the systemd units run with: a consuming service reads through the group. */
	snprintf(path, sizeof(path), "%s/conf/certkeeper.conf", top_srcdir());
	cfg = NULL;
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_int_equal(cfg->group_readable, 1);
	ck_config_free(cfg);
}

/* Broken: order_timeout's default (90 s), its units, or its bounds (1s and 1h both allowed). */
static void
test_order_timeout(void **state)
{
	static const struct {
		const char *value;
		long secs;
	} good[] = {
		{ "1s", 1 }, { "90s", 90 }, { "2m", 120 }, { "5m", 300 }, { "007s", 7 },
		{ "59m", 3540 }, { "60m", 3600 }, { "1h", 3600 }, { "3600s", 3600 },
	};
	char tmpl[] = "/tmp/ck-config-XXXXXX", path[PATH_MAX], line[64];
	struct ck_config *cfg;
	size_t i;

	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->order_timeout, 90);
	ck_config_free(cfg);
	cfg = load_good("good-order-timeout.conf");
	assert_int_equal(cfg->order_timeout, 5 * 60);
	ck_config_free(cfg);
	snprintf(path, sizeof(path), "%s/conf/certkeeper.conf", top_srcdir());
	cfg = NULL;
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_int_equal(cfg->order_timeout, 90);
	ck_config_free(cfg);

	assert_non_null(mkdtemp(tmpl));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "order_timeout = %s\n", good[i].value);
		cfg = load_acme_lines(tmpl, line);
		assert_int_equal(cfg->order_timeout, good[i].secs);
		ck_config_free(cfg);
	}
	assert_int_equal(rmdir(tmpl), 0);
}

/* Broken: request_timeout's default (30 s, what net/http.h's CK_HTTP_TIMEOUT was), or a value not kept. */
static void
test_request_timeout(void **state)
{
	char tmpl[] = "/tmp/ck-config-XXXXXX";
	struct ck_config *cfg;

	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->request_timeout, 30);
	ck_config_free(cfg);
	assert_non_null(mkdtemp(tmpl));
	cfg = load_acme_lines(tmpl, "request_timeout = 5m\n");
	assert_int_equal(cfg->request_timeout, 300);
	ck_config_free(cfg);
	assert_int_equal(rmdir(tmpl), 0);
}

/*
 * Broken: connect_timeout's default (10 s), a value not kept, or the
 * default refusing a request_timeout under 10 s that was good before the
 * key existed (the default gives way; a connect_timeout set longer than
 * request_timeout is refused: bad-connect-timeout-above-request.conf).
 */
static void
test_connect_timeout(void **state)
{
	static const struct {
		const char *lines;
		long connect, request;
	} cases[] = {
		{ "", 10, 30 },
		{ "connect_timeout = 3s\n", 3, 30 },
		{ "request_timeout = 4s\n", 4, 4 },
		{ "connect_timeout = 2s\nrequest_timeout = 4s\n", 2, 4 },
		{ "connect_timeout = 5m\nrequest_timeout = 5m\n", 300, 300 },
	};
	char tmpl[] = "/tmp/ck-config-XXXXXX";
	struct ck_config *cfg;
	size_t i;

	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->connect_timeout, 10);
	ck_config_free(cfg);
	assert_non_null(mkdtemp(tmpl));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = load_acme_lines(tmpl, cases[i].lines);
		assert_int_equal(cfg->connect_timeout, cases[i].connect);
		assert_int_equal(cfg->request_timeout, cases[i].request);
		ck_config_free(cfg);
	}
	assert_int_equal(rmdir(tmpl), 0);
}

/* Broken: the retry_min and retry_max defaults (1 minute, 6 hours), or a value set not kept. */
static void
test_retry(void **state)
{
	char path[PATH_MAX];
	struct ck_config *cfg;

	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->retry_min, 60);
	assert_int_equal(cfg->retry_max, 6 * 3600);
	ck_config_free(cfg);
	cfg = load_good("good-retry.conf");
	assert_int_equal(cfg->retry_min, 10);
	assert_int_equal(cfg->retry_max, 2 * 86400);
	ck_config_free(cfg);
	snprintf(path, sizeof(path), "%s/conf/certkeeper.conf", top_srcdir());
	cfg = NULL;
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_int_equal(cfg->retry_min, 60);
	assert_int_equal(cfg->retry_max, 6 * 3600);
	ck_config_free(cfg);
}

/* Broken: warn_before not read as a share or a duration, or a default where none is set. */
static void
test_warn_before(void **state)
{
	struct ck_config *cfg = load_good("good-warn-before.conf");

	assert_int_equal(cfg->certs[0].warn_before_pct, 20);
	assert_int_equal(cfg->certs[0].warn_before_secs, 0);
	assert_int_equal(cfg->certs[1].warn_before_pct, 0);
	assert_int_equal(cfg->certs[1].warn_before_secs, 36 * 3600);
	/* Absent: both 0, which cert/due.h reads as a sixth of the lifetime. */
	assert_int_equal(cfg->certs[2].warn_before_pct, 0);
	assert_int_equal(cfg->certs[2].warn_before_secs, 0);
	ck_config_free(cfg);
}

/* Broken: pins not split and trimmed, not NULL-terminated, or the proxy lost. */
static void
test_pins_proxy(void **state)
{
	struct ck_config *cfg = load_good("good-pins-proxy.conf");

	assert_int_equal(cfg->npins, 2);
	assert_string_equal(cfg->pins[0], "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	assert_string_equal(cfg->pins[1], "bZu4TFPGz9vShRvEVbHx2mixl4s5NL4cFKdlXcNx3Ws=");
	assert_null(cfg->pins[2]);
	assert_string_equal(cfg->proxy, "http://127.0.0.1:3128");
	ck_config_free(cfg);
	cfg = load_good("good-minimal.conf");
	assert_int_equal(cfg->npins, 0);
	assert_null(cfg->proxy);
	ck_config_free(cfg);
}

/* Checks that argv holds exactly the words of want (NULL-terminated). */
static void
assert_argv(char *const *argv, const char *const *want)
{
	size_t i;

	assert_non_null(argv);
	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
}

/*
 * Broken: a hook command not split as certkeeper documents it (quotes,
 * escapes, no expansion), hook_timeout's default (60 s) or its bounds
 * (1s and 1h allowed), or hooks set where none were written.
 */
static void
test_hooks(void **state)
{
	struct ck_config *cfg = load_good("good-hooks.conf");
	const struct ck_cert_config *cc;

	assert_int_equal(cfg->ncerts, 3);
	cc = ck_config_cert(cfg, "device");
	assert_argv(cc->deploy_hook,
	    (const char *[]){ "/usr/bin/systemctl", "reload", "nginx.service", NULL });
	assert_argv(cc->verify_hook, (const char *[]){ "/bin/sh", "-c",
	    "curl -fsS https://localhost/ >/dev/null && echo \"ok: $CERTKEEPER_NAME\"", NULL });
	assert_int_equal(cc->hook_timeout, 3600);
	cc = ck_config_cert(cfg, "other");
	assert_null(cc->deploy_hook);
	assert_argv(cc->verify_hook,
	    (const char *[]){ "/usr/local/bin/check tls", "--name=other host", "", NULL });
	assert_int_equal(cc->hook_timeout, 1);
	cc = ck_config_cert(cfg, "plain");
	assert_null(cc->deploy_hook);
	assert_null(cc->verify_hook);
	assert_int_equal(cc->hook_timeout, 60);
	ck_config_free(cfg);
}

/*
 * Broken if a challenge type, tls_port, webroot, dns_hook or
 * dns_propagation_wait is not parsed, their defaults change, or IP
 * addresses are not kept in canonical form (RFC 5952).
 */
static void
test_challenges(void **state)
{
	struct ck_config *cfg = load_good("good-challenges.conf");
	const struct ck_cert_config *cc;

	(void)state;
	assert_int_equal(cfg->ncerts, 5);
	cc = ck_config_cert(cfg, "alpn");
	assert_int_equal(cc->challenge, CK_CHALLENGE_TLSALPN01);
	assert_int_equal(cc->tls_port, 8443);
	assert_int_equal(cc->ndomains, 3);
	assert_string_equal(cc->domains[1], "192.0.2.10");
	assert_string_equal(cc->domains[2], "2001:db8::1");
	assert_null(cc->webroot);
	assert_null(cc->dns_hook);
	cc = ck_config_cert(cfg, "dns");
	assert_int_equal(cc->challenge, CK_CHALLENGE_DNS01);
	assert_string_equal(cc->domains[0], "*.example.com");
	assert_argv(cc->dns_hook, (const char *[]){
	    "/usr/share/doc/certkeeper/hooks/dns01-challtestsrv", "http://127.0.0.1:8055", NULL });
	assert_int_equal(cc->dns_propagation_wait, 30);
	assert_int_equal(cc->hook_timeout, 20);
	cc = ck_config_cert(cfg, "web");
	assert_int_equal(cc->challenge, CK_CHALLENGE_HTTP01);
	assert_string_equal(cc->webroot, "/var/www/html");
	assert_string_equal(cc->domains[1], "::ffff:192.0.2.1");
	cc = ck_config_cert(cfg, "preauth");
	assert_int_equal(cc->challenge, CK_CHALLENGE_NONE);
	cc = ck_config_cert(cfg, "plain");
	assert_int_equal(cc->challenge, CK_CHALLENGE_HTTP01);
	assert_int_equal(cc->http_port, 80);
	assert_int_equal(cc->tls_port, 443);
	assert_int_equal(cc->dns_propagation_wait, 0);
	assert_null(cc->webroot);
	assert_null(cc->dns_hook);
	ck_config_free(cfg);
}

/* Writes a config whose one certificate has n names d1.example ... dN.example. */
static void
write_domains_conf(char *path, size_t len, const char *dir, int n)
{
	char text[8192], name[32];
	size_t used;
	int i;

	used = (size_t)snprintf(text, sizeof(text),
	    "[acme]\ndirectory = https://localhost:14000/dir\n[cert:many]\ndomains = ");
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "%sd%d.example", i > 1 ? ", " : "", i);
		assert_true(used + strlen(name) + 2 < sizeof(text));
		strcat(text + used, name);
		used += strlen(name);
	}
	strcat(text + used, "\n");
	/* One line, so it must stay under the line limit to test the name limit. */
	assert_true(used < 4096);
	write_conf(path, len, dir, text);
}

/* Broken: the config's name limit differs from CK_MAX_IDENTIFIERS, or the refusal is unclear. */
static void
test_max_domains(void **state)
{
	char tmpl[] = "/tmp/ck-config-XXXXXX", path[PATH_MAX], expected[PATH_MAX + 128];
	struct ck_config *cfg = NULL;

	assert_int_equal(CK_MAX_IDENTIFIERS, 100);
	assert_non_null(mkdtemp(tmpl));
	write_domains_conf(path, sizeof(path), tmpl, CK_MAX_IDENTIFIERS);
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_int_equal(cfg->certs[0].ndomains, CK_MAX_IDENTIFIERS);
	assert_string_equal(cfg->certs[0].domains[0], "d1.example");
	assert_string_equal(cfg->certs[0].domains[CK_MAX_IDENTIFIERS - 1], "d100.example");
	ck_config_free(cfg);

	write_domains_conf(path, sizeof(path), tmpl, CK_MAX_IDENTIFIERS + 1);
	cfg = NULL;
	assert_int_equal(ck_config_load(path, &cfg), -1);
	assert_null(cfg);
	snprintf(expected, sizeof(expected),
	    "%s:4: domains: more than 100 names (the most one certificate can carry)", path);
	assert_string_equal(ck_last_error(), expected);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
}

/* Broken: an existing ca_bundle refused or not stored. */
static void
test_ca_bundle(void **state)
{
	char tmpl[] = "/tmp/ck-config-XXXXXX", ca[PATH_MAX], conf[PATH_MAX];
	struct ck_config *cfg = NULL;
	FILE *fp;
	int rc;

	assert_non_null(mkdtemp(tmpl));
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmpl);
	snprintf(conf, sizeof(conf), "%s/c.conf", tmpl);
	assert_non_null(fp = fopen(ca, "w"));
	fputs("not checked for content\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "[acme]\ndirectory = https://localhost:14000/dir\nca_bundle = %s\n"
	    "[cert:x]\ndomains = x.example.com\n", ca);
	assert_int_equal(fclose(fp), 0);
	rc = ck_config_load(conf, &cfg);
	unlink(ca);
	unlink(conf);
	rmdir(tmpl);
	if (rc != 0)
		fail_msg("%s", ck_last_error());
	assert_string_equal(cfg->ca_bundle, ca);
	ck_config_free(cfg);
}

/* Broken: the owner password left in freed memory by ck_config_free(). */
static void
test_owner_auth_wiped(void **state)
{
	struct ck_config *cfg = load_good("good-owner-auth.conf");
	size_t i;
	int found = 0;

	assert_string_equal(cfg->tpm_owner_auth, "two words");
	nwiped = 0;
	ck_config_free(cfg);
	for (i = 0; i < nwiped; i++)
		if (strcmp(wiped[i], "two words") == 0)
			found = 1;
	assert_true(found);
}

/* Broken: the EAB keys, profile or preferred_chain misread, or the HMAC key left in freed memory. */
static void
test_lifecycle_keys(void **state)
{
	struct ck_config *cfg = load_good("good-lifecycle.conf");
	size_t i;
	int found = 0;

	assert_string_equal(cfg->eab_kid, "kid-1");
	assert_int_equal(cfg->eab_hmac_key_len, 32);
	assert_memory_equal(cfg->eab_hmac_key, "0123456789abcdef0123456789abcdef", 32);
	assert_string_equal(cfg->certs[0].profile, "shortlived");
	assert_string_equal(cfg->certs[0].preferred_chain, "Fleet Root CA 2");
	nwiped = 0;
	ck_config_free(cfg);
	for (i = 0; i < nwiped; i++)
		if (strcmp(wiped[i], "0123456789abcdef0123456789abcdef") == 0)
			found = 1;
	assert_true(found);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_timeout),
		cmocka_unit_test(test_request_timeout),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_warn_before),
		cmocka_unit_test(test_pins_proxy),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_challenges),
		cmocka_unit_test(test_group_readable),
		cmocka_unit_test(test_telemetry),
		cmocka_unit_test(test_push_keys),
		cmocka_unit_test(test_max_domains),
		cmocka_unit_test(test_ca_bundle),
		cmocka_unit_test(test_owner_auth_wiped),
		cmocka_unit_test(test_lifecycle_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
