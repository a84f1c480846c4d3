/*
 * cli/status.c: the `status` command (see cli/status.h).  It reads the store and
 * the configuration only, without the lock, so it answers while a renewal
 * runs, and never talks to the CA.
 */
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/time.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"
#include "certkeeper/cert/due.h"
#include "certkeeper/agent/run.h"
#include "certkeeper/cli/status.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/state.h"
#include "certkeeper/store/versions.h"

/* JSON string of an RFC 3339 time, or null when t is 0. */
static json_t *
json_time(time_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	ck_time_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

/* JSON string of s, or null. */
static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/*
 * Key type of the installed version: the certificate's key type, held in
 * a TPM when the key file is a TSS2 one (its name says so).
 */
static const char *
installed_key_type(const struct ck_cert_info *info, const char *key_name)
{
	enum ck_key_type t = (enum ck_key_type)info->key_type;

	if (info->key_type < 0)
		return NULL;
	if (key_name != NULL && strcmp(key_name, CK_STORE_TPM_KEY_FILE) == 0)
		t = t == CK_KEY_EC_P384 ? CK_KEY_TPM_P384 : CK_KEY_TPM_P256;
	return ck_key_type_name(t);
}

/* One certificate's entry; NULL on allocation failure. */
static json_t *
cert_entry(struct ck_store *st, const struct ck_cert_config *cc)
{
	struct ck_cert_info info;
	struct ck_attempt att;
	json_t *e = NULL, *domains = NULL;
	char *cert = NULL, *paths[4] = { NULL };
	const char *key_name = NULL, *files[4] = { "cert.pem", "chain.pem", "fullchain.pem", NULL };
	size_t cert_len = 0, i;
	int installed;

	memset(&info, 0, sizeof(info));
	memset(&att, 0, sizeof(att));
	installed = ck_store_load_current(st, cc->name, &cert, &cert_len, NULL, NULL,
	    &key_name) == 0 && cert != NULL && ck_cert_info(cert, cert_len, &info) == 0;
	if (!installed)
		ck_clear_error();	/* "not installed" is a state, not an error, here */
	if (ck_store_load_attempt(st, cc->name, &att) != 0)
		memset(&att, 0, sizeof(att));
	files[3] = key_name != NULL ? key_name : CK_STORE_KEY_FILE;
	for (i = 0; i < 4; i++)
		if ((paths[i] = ck_store_current_path(st, cc->name, files[i])) == NULL)
			goto out;
	if ((domains = json_array()) == NULL)
		goto out;
	for (i = 0; i < cc->ndomains; i++)
		if (json_array_append_new(domains, json_string(cc->domains[i])) != 0)
			goto out;
	e = json_pack("{s:s, s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "name", cc->name,
	    "domains", domains,
	    "cert_path", installed ? json_string(paths[0]) : json_null(),
	    "chain_path", installed ? json_string(paths[1]) : json_null(),
	    "fullchain_path", installed ? json_string(paths[2]) : json_null(),
	    "key_path", installed ? json_string(paths[3]) : json_null(),
	    "key_type", json_str_or_null(installed ? installed_key_type(&info, key_name) : NULL),
	    "serial", json_str_or_null(installed ? info.serial : NULL),
	    "not_before", json_time(installed ? info.not_before : 0),
	    "not_after", json_time(installed ? info.not_after : 0),
	    "renew_after", json_time(installed ?
		ck_renew_after(cc, info.not_before, info.not_after) : 0),
	    "last_result", json_str_or_null(att.result),
	    "last_error", json_str_or_null(att.error));
out:
	for (i = 0; i < 4; i++)
		free(paths[i]);
	json_decref(domains);
	ck_attempt_clear(&att);
	ck_cert_info_clear(&info);
	free(cert);
	return e;
}

json_t *
ck_status_json(const struct ck_config *cfg)
{
	struct ck_store *st = NULL;
	json_t *doc = NULL, *list = NULL, *e;
	size_t i;

	if (ck_store_open(cfg->state_dir, &st) != 0)
		goto out;
	if ((list = json_array()) == NULL)
		goto out;
	for (i = 0; i < cfg->ncerts; i++) {
		if ((e = cert_entry(st, &cfg->certs[i])) == NULL) {
			ck_error("cannot build the status of %s", cfg->certs[i].name);
			goto out;
		}
		json_array_append_new(list, e);
	}
	doc = json_pack("{s:O}", "certificates", list);
out:
	json_decref(list);
	ck_store_close(st);
	return doc;
}

/* Prints one entry as text. */
static void
print_entry(FILE *out, json_t *e)
{
	const char *labels[][2] = {
		{ "cert_path", "certificate" }, { "chain_path", "chain" },
		{ "fullchain_path", "fullchain" }, { "key_path", "key" },
		{ "key_type", "key type" }, { "serial", "serial" },
		{ "not_before", "not before" }, { "not_after", "not after" },
		{ "renew_after", "renew after" }, { "last_result", "last result" },
		{ "last_error", "last error" },
	};
	json_t *d;
	size_t i;

	fprintf(out, "%s\n  %-12s ", json_string_value(json_object_get(e, "name")), "domains:");
	json_array_foreach(json_object_get(e, "domains"), i, d)
		fprintf(out, "%s%s", i ? ", " : "", json_string_value(d));
	fputc('\n', out);
	if (json_is_null(json_object_get(e, "serial")))
		fprintf(out, "  (no certificate installed)\n");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *v = json_string_value(json_object_get(e, labels[i][0]));
		char label[32];

		if (v == NULL)
			continue;
		snprintf(label, sizeof(label), "%s:", labels[i][1]);
		fprintf(out, "  %-12s %s\n", label, v);
	}
}

int
ck_status_print(const struct ck_config *cfg, int json, FILE *out)
{
	json_t *doc, *e;
	size_t i;

	if ((doc = ck_status_json(cfg)) == NULL)
		return CK_EXIT_FAILED;
	if (json) {
		json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
	} else {
		json_array_foreach(json_object_get(doc, "certificates"), i, e)
			print_entry(out, e);
	}
	json_decref(doc);
	return CK_EXIT_OK;
}
