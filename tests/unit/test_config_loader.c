/*
 * test_config_loader.c: the configuration loader (src/config/config.c):
 * the file's layout (sections, indentation, comments, long lines, a byte
 * order mark, CRLF), the defaults of what is left out, libinih's line
 * length, and the key tables (src/config/keys.c and the section files)
 * against their documentation in conf/certkeeper.conf.
 *
 * Good files under tests/unit/data/config/good-*.conf are loaded and their
 * values checked; every bad-*.conf must fail with exactly the message in
 * bad-*.conf.expected, where @FILE@ stands for the path that was loaded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "certkeeper/config/config.h"
#include "certkeeper/util/log.h"
#include "../../src/config/internal.h"
#include "config_fixture.h"

/* Fewer bad files than this means the data directory was not found or lost files. */
#define MIN_BAD_FILES 70

/* Reads a small text file into buf without its trailing newline. */
static int
read_text(const char *path, char *buf, size_t len)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, len - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/* Replaces every "@FILE@" in tmpl with file. */
static void
substitute(char *out, size_t len, const char *tmpl, const char *file)
{
	const char *at;
	size_t used = 0;

	out[0] = '\0';
	while ((at = strstr(tmpl, "@FILE@")) != NULL) {
		used += (size_t)snprintf(out + used, len - used, "%.*s%s", (int)(at - tmpl), tmpl, file);
		assert_true(used < len);
		tmpl = at + 6;
	}
	used += (size_t)snprintf(out + used, len - used, "%s", tmpl);
	assert_true(used < len);
}

/* Broken: defaults of an absent key (state_dir, key, port, renew_before...), or lower-casing. */
static void
test_minimal_defaults(void **state)
{
	struct ck_config *cfg = load_good("good-minimal.conf");
	const struct ck_cert_config *cc;

	assert_string_equal(cfg->directory, "https://acme.example.net/directory");
	assert_null(cfg->ca_bundle);
	assert_null(cfg->contact);
	assert_string_equal(cfg->state_dir, CK_DEFAULT_STATE_DIR);
	assert_int_equal(cfg->account_key, CK_KEY_EC_P256);
	assert_null(cfg->tpm_tcti);
	assert_null(cfg->tpm_parent);
	assert_null(cfg->tpm_owner_auth);
	assert_null(cfg->tpm_owner_auth_file);
	assert_int_equal(cfg->ncerts, 1);
	cc = &cfg->certs[0];
	assert_string_equal(cc->name, "web");
	assert_int_equal(cc->ndomains, 1);
	assert_string_equal(cc->domains[0], "www.example.com");
	assert_int_equal(cc->key, CK_KEY_EC_P256);
	assert_int_equal(cc->challenge, CK_CHALLENGE_HTTP01);
	assert_int_equal(cc->http_port, 80);
	/* No renew_before: the lifetime rule applies (cert/due.h). */
	assert_int_equal(cc->renew_before_pct, 0);
	assert_int_equal(cc->renew_before_secs, 0);
	assert_int_equal(cc->key_reuse, 0);
	assert_null(cc->key_file);
	assert_int_equal(cc->line, 4);
	assert_false(ck_config_uses_tpm(cfg));
	ck_config_free(cfg);
}

/* Broken: a key, the [tpm] section, several certs, durations, indentation or inline comments. */
static void
test_full_values(void **state)
{
	struct ck_config *cfg = load_good("good-full.conf");
	const struct ck_cert_config *cc;

	assert_string_equal(cfg->directory, "https://localhost:14000/dir");
	assert_string_equal(cfg->contact, "mailto:ops@example.com");
	assert_string_equal(cfg->state_dir, "/srv/certkeeper/state");
	assert_int_equal(cfg->account_key, CK_KEY_TPM_P384);
	assert_string_equal(cfg->tpm_tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_string_equal(cfg->tpm_parent, "0x81000abc");
	assert_null(cfg->tpm_owner_auth);
	assert_string_equal(cfg->tpm_owner_auth_file, "/etc/certkeeper/owner-auth");
	assert_int_equal(cfg->ncerts, 5);

	cc = &cfg->certs[0];
	assert_string_equal(cc->name, "device");
	assert_int_equal(cc->ndomains, 3);
	assert_string_equal(cc->domains[0], "device-1234.fleet.example.com");
	assert_string_equal(cc->domains[1], "api.device-1234.fleet.example.com");
	assert_string_equal(cc->domains[2], "x1.example.com");
	assert_int_equal(cc->key, CK_KEY_TPM_P256);
	assert_int_equal(cc->http_port, 8080);
	assert_int_equal(cc->renew_before_pct, 50);
	assert_int_equal(cc->renew_before_secs, 0);
	assert_int_equal(cc->key_reuse, 0);
	assert_int_equal(cc->line, 15);

	cc = &cfg->certs[1];
	assert_string_equal(cc->name, "web.main");
	assert_int_equal(cc->ndomains, 1);
	assert_string_equal(cc->domains[0], "www.example.org");
	assert_int_equal(cc->key, CK_KEY_RSA_3072);
	assert_int_equal(cc->renew_before_pct, 0);
	assert_int_equal(cc->renew_before_secs, 2 * 86400);
	assert_int_equal(cc->key_reuse, 1);
	assert_string_equal(cc->key_file, "/etc/ssl/private/www.pem");
	assert_int_equal(cc->http_port, 80);

	cc = &cfg->certs[2];
	assert_string_equal(cc->name, "hourly");
	assert_int_equal(cc->key, CK_KEY_EC_P384);
	assert_int_equal(cc->renew_before_secs, 8 * 3600);
	assert_int_equal(cc->renew_before_pct, 0);

	cc = &cfg->certs[3];
	assert_string_equal(cc->name, "minutes_1");
	assert_int_equal(cc->renew_before_secs, 90 * 60);
	assert_int_equal(cc->http_port, 65535);

	cc = &cfg->certs[4];
	assert_string_equal(cc->name, "Seconds-1");
	assert_int_equal(cc->renew_before_secs, 45);
	assert_int_equal(cc->key, CK_KEY_RSA_2048);
	assert_int_equal(cc->http_port, 1);

	assert_ptr_equal(ck_config_cert(cfg, "hourly"), &cfg->certs[2]);
	assert_ptr_equal(ck_config_cert(cfg, "device"), &cfg->certs[0]);
	assert_null(ck_config_cert(cfg, "seconds-1"));
	assert_null(ck_config_cert(cfg, "nope"));
	assert_true(ck_config_uses_tpm(cfg));
	ck_config_free(cfg);
}

/* Broken: owner_auth with blanks, parent "owner", the 1%/99% bounds, or uses_tpm wrongly true. */
static void
test_owner_auth_and_shares(void **state)
{
	struct ck_config *cfg = load_good("good-owner-auth.conf");

	assert_int_equal(cfg->account_key, CK_KEY_RSA_2048);
	assert_string_equal(cfg->tpm_parent, "owner");
	assert_string_equal(cfg->tpm_owner_auth, "two words");
	assert_null(cfg->tpm_owner_auth_file);
	assert_null(cfg->tpm_tcti);
	assert_int_equal(cfg->ncerts, 2);
	assert_int_equal(cfg->certs[0].renew_before_pct, 1);
	assert_int_equal(cfg->certs[1].renew_before_pct, 99);
	/* A [tpm] section alone does not make the configuration use the TPM. */
	assert_false(ck_config_uses_tpm(cfg));
	ck_config_free(cfg);
}

/* Broken: a TPM account key without [tpm] rejected, or defaults invented for [tpm]. */
static void
test_tpm_without_section(void **state)
{
	struct ck_config *cfg = load_good("good-tpm-defaults.conf");

	assert_int_equal(cfg->account_key, CK_KEY_TPM_P256);
	assert_null(cfg->tpm_tcti);
	assert_null(cfg->tpm_parent);
	assert_true(ck_config_uses_tpm(cfg));
	ck_config_free(cfg);
}

/* Broken: lines longer than libinih's default 200 bytes cut or refused. */
static void
test_long_line(void **state)
{
	struct ck_config *cfg = load_good("good-long-line.conf");

	assert_int_equal(cfg->certs[0].ndomains, 10);
	assert_string_equal(cfg->certs[0].domains[9],
	    "host-09.a-rather-long-subdomain-name.example.com");
	ck_config_free(cfg);
}

/* Broken: a UTF-8 byte order mark or CRLF line ends break the first section or values. */
static void
test_bom_crlf(void **state)
{
	struct ck_config *cfg = load_good("good-bom-crlf.conf");

	assert_string_equal(cfg->directory, "https://acme.example.net/directory");
	assert_string_equal(cfg->certs[0].name, "crlf");
	assert_string_equal(cfg->certs[0].domains[0], "crlf.example.net");
	assert_int_equal(cfg->certs[0].renew_before_secs, 12 * 3600);
	ck_config_free(cfg);
}

/* Broken: the shipped example does not load, or documents other defaults than the code. */
static void
test_example_conf(void **state)
{
	char path[PATH_MAX];
	struct ck_config *cfg = NULL;
	const struct ck_cert_config *cc;

	snprintf(path, sizeof(path), "%s/conf/certkeeper.conf", top_srcdir());
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_string_equal(cfg->directory, "https://localhost:14000/dir");
	assert_null(cfg->ca_bundle);
	assert_string_equal(cfg->contact, "mailto:ops@example.com");
	assert_string_equal(cfg->state_dir, CK_DEFAULT_STATE_DIR);
	assert_int_equal(cfg->account_key, CK_KEY_EC_P256);
	assert_null(cfg->tpm_tcti);
	assert_int_equal(cfg->ncerts, 1);
	cc = ck_config_cert(cfg, "device");
	assert_non_null(cc);
	assert_int_equal(cc->ndomains, 2);
	assert_string_equal(cc->domains[0], "device-1234.fleet.example.com");
	assert_string_equal(cc->domains[1], "api.device-1234.fleet.example.com");
	assert_int_equal(cc->key, CK_KEY_EC_P256);
	assert_int_equal(cc->http_port, 80);
	assert_int_equal(cc->renew_before_pct, 0);
	assert_int_equal(cc->renew_before_secs, 0);
	assert_int_equal(cc->key_reuse, 0);
	assert_null(cc->key_file);
	ck_config_free(cfg);
}

/* Non-zero when line is "KEY =" or "#KEY =" (a setting or a commented-out one). */
static int
sets_key(const char *line, const char *key)
{
	size_t len = strlen(key);

	if (*line == '#')
		line++;
	if (strncmp(line, key, len) != 0)
		return 0;
	for (line += len; *line == ' ' || *line == '\t'; line++)
		;
	return *line == '=';
}

/* Non-zero when text has word, not followed by more of a value (so "80" is not "8080"). */
static int
has_word(const char *text, const char *word)
{
	const char *at;

	for (at = strstr(text, word); at != NULL; at = strstr(at + 1, word))
		if (strchr(" \t\r\n", at[strlen(word)]) != NULL)
			return 1;
	return 0;
}

/*
 * Broken: a key of the tables missing from conf/certkeeper.conf, or its
 * documented "Default: X" not the default the table applies.
 */
static void
test_tables_documented(void **state)
{
	char path[PATH_MAX], line[1024], block[8192] = "", sect[64] = "", want[128];
	const struct section_def *sd;
	const struct key_def *k;
	size_t i, j, len;
	int found, failures = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/conf/certkeeper.conf", top_srcdir());
	for (i = 0; i < ck_cfg_nsections; i++) {
		sd = ck_cfg_sections[i];
		assert_true(sd->nkeys > 0);
		for (j = 0; j < sd->nkeys; j++) {
			k = &sd->keys[j];
			assert_non_null(k->doc);
			assert_non_null(k->set);
			assert_non_null(fp = fopen(path, "r"));
			found = 0;
			block[0] = sect[0] = '\0';
			while (!found && fgets(line, sizeof(line), fp) != NULL) {
				len = strlen(line);
				if (line[0] == '[' || strncmp(line, "#[", 2) == 0) {
					snprintf(sect, sizeof(sect), "%s", line + (line[0] == '#') + 1);
					block[0] = '\0';
				} else if (sets_key(line, k->name) &&
				    strncmp(sect, sd->name, strlen(sd->name)) == 0 &&
				    (sd->named || sect[strlen(sd->name)] == ']'))
					found = 1;
				else if (line[0] == '#' && strlen(block) + len < sizeof(block))
					strcat(block, line);
				else if (line[0] != '#')
					block[0] = '\0';
			}
			fclose(fp);
			snprintf(want, sizeof(want), "Default: %s", k->def != NULL ? k->def : "");
			if (!found) {
				print_error("[%s] %s: not in %s\n", sd->name, k->name, path);
				failures++;
			} else if (k->def != NULL && !has_word(block, want)) {
				print_error("[%s] %s: the comment above it lacks \"%s\"\n", sd->name,
				    k->name, want);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Broken: a bad file accepted, or its message (text, line number, first error) different. */
static void
test_bad_files(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX], exp_path[PATH_MAX + 16];
	char tmpl[1024], expected[2048];
	static struct ck_config sentinel;
	char **names = NULL;
	size_t nnames = 0, i, len;
	struct ck_config *cfg;
	struct dirent *de;
	int failures = 0;
	DIR *d;

	data_path(dir, sizeof(dir), "");
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "bad-", 4) != 0 || len < 5 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		assert_non_null(names = realloc(names, (nnames + 1) * sizeof(*names)));
		assert_non_null(names[nnames++] = strdup(de->d_name));
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), name_cmp);
	assert_true(nnames >= MIN_BAD_FILES);

	for (i = 0; i < nnames; i++) {
		data_path(path, sizeof(path), names[i]);
		snprintf(exp_path, sizeof(exp_path), "%s.expected", path);
		if (read_text(exp_path, tmpl, sizeof(tmpl)) < 0) {
			print_error("%s: missing %s\n", names[i], exp_path);
			failures++;
			continue;
		}
		substitute(expected, sizeof(expected), tmpl, path);
		ck_clear_error();
		cfg = &sentinel;	/* the loader must reset it to NULL */
		if (ck_config_load(path, &cfg) != -1 || cfg != NULL) {
			print_error("%s: loaded without an error\n", names[i]);
			if (cfg != &sentinel)
				ck_config_free(cfg);
			failures++;
		} else if (strcmp(ck_last_error(), expected) != 0) {
			print_error("%s:\n  expected: %s\n  got:      %s\n", names[i], expected,
			    ck_last_error());
			failures++;
		}
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	assert_int_equal(failures, 0);
}

/* Broken: an unreadable file not reported as "FILE: cannot open: why". */
static void
test_missing_file(void **state)
{
	char tmpl[] = "/tmp/ck-config-XXXXXX", path[PATH_MAX], expected[PATH_MAX + 64];
	struct ck_config *cfg = NULL;

	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/absent.conf", tmpl);
	snprintf(expected, sizeof(expected), "%s: cannot open: %s", path, strerror(ENOENT));
	assert_int_equal(ck_config_load(path, &cfg), -1);
	assert_null(cfg);
	assert_string_equal(ck_last_error(), expected);
	assert_int_equal(rmdir(tmpl), 0);
}

/* Writes a config whose contact line is "contact = mailto:a...a", len characters after indent. */
static void
write_long_contact_conf(char *path, size_t len, const char *dir, const char *indent, size_t n)
{
	static char text[3 * 4096];
	size_t used;

	used = (size_t)snprintf(text, sizeof(text),
	    "[acme]\ndirectory = https://localhost:14000/dir\n%scontact = mailto:", indent);
	assert_true(n > 17 && used + n - 17 + 64 < sizeof(text));
	memset(text + used, 'a', n - 17);
	used += n - 17;
	snprintf(text + used, sizeof(text) - used, "\n[cert:x]\ndomains = x.example.com\n");
	write_conf(path, len, dir, text);
}

/* Broken: the 4096-character line limit (not counting one blank of indentation) moved. */
static void
test_line_limit_edge(void **state)
{
	char tmpl[] = "/tmp/ck-config-XXXXXX", path[PATH_MAX], expected[PATH_MAX + 64];
	struct ck_config *cfg = NULL;

	assert_non_null(mkdtemp(tmpl));
	write_long_contact_conf(path, sizeof(path), tmpl, " ", 4096);
	if (ck_config_load(path, &cfg) != 0)
		fail_msg("%s", ck_last_error());
	assert_int_equal(strlen(cfg->contact), 4096 - strlen("contact = "));
	ck_config_free(cfg);

	write_long_contact_conf(path, sizeof(path), tmpl, "", 4097);
	cfg = NULL;
	assert_int_equal(ck_config_load(path, &cfg), -1);
	assert_null(cfg);
	snprintf(expected, sizeof(expected), "%s:3: line longer than 4096 characters", path);
	assert_string_equal(ck_last_error(), expected);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
}

#if HAVE_DECL_INI_MAX_LINE
/* Broken: the loader leaves libinih's process-wide line length changed. */
static void
test_libinih_setting_restored(void **state)
{
	int before = ini_max_line;
	char path[PATH_MAX];
	struct ck_config *cfg = NULL;

	ck_config_free(load_good("good-long-line.conf"));
	assert_int_equal(ini_max_line, before);
	data_path(path, sizeof(path), "bad-syntax.conf");
	assert_int_equal(ck_config_load(path, &cfg), -1);
	assert_int_equal(ini_max_line, before);
	ck_config_free(NULL);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_values),
		cmocka_unit_test(test_owner_auth_and_shares),
		cmocka_unit_test(test_tpm_without_section),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_bom_crlf),
		cmocka_unit_test(test_example_conf),
		cmocka_unit_test(test_tables_documented),
		cmocka_unit_test(test_line_limit_edge),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_missing_file),
#if HAVE_DECL_INI_MAX_LINE
		cmocka_unit_test(test_libinih_setting_restored),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
