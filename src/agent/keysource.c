/*
 * agent/keysource.c: software or TPM keys for a session (see
 * agent/keysource.h).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/agent/keysource.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/util/log.h"

#define TSS2_LABEL "-----BEGIN TSS2 PRIVATE KEY-----"
#define MAX_KEY_FILE (64 * 1024)

int
ck_keysource_tpm(struct ck_keysource *ks, struct ck_tpm **out)
{
	struct ck_tpm_config tc;

	if (ks->tpm == NULL) {
		tc.tcti = ks->cfg->tpm_tcti;
		tc.parent = ks->cfg->tpm_parent;
		tc.owner_auth = ks->cfg->tpm_owner_auth;
		tc.owner_auth_file = ks->cfg->tpm_owner_auth_file;
		if (ck_tpm_open(&tc, &ks->tpm) != 0)
			return -1;
	}
	*out = ks->tpm;
	return 0;
}

/* Frees a key file's text, wiping it first. */
static void
free_key_text(char **pem, size_t *len)
{
	if (*pem != NULL)
		OPENSSL_clear_free(*pem, *len);
	*pem = NULL;
	*len = 0;
}

int
ck_keysource_generate(struct ck_keysource *ks, enum ck_key_type t, struct ck_signer **s,
    char **pem, size_t *len)
{
	struct ck_tpm *tpm;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (ck_key_type_is_tpm(t)) {
		if (ck_keysource_tpm(ks, &tpm) != 0)
			return -1;
		return ck_tpm_key_create(tpm, t, s, pem, len);
	}
	if (ck_soft_generate(t, &pkey) != 0 || ck_soft_key_to_pem(pkey, pem, len) != 0)
		goto out;
	if (ck_soft_signer_new(pkey, s) != 0) {
		free_key_text(pem, len);
		goto out;
	}
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	return rc;
}

int
ck_keysource_load(struct ck_keysource *ks, const char *pem, size_t len, const char *what,
    struct ck_signer **s)
{
	struct ck_tpm *tpm;

	if (strstr(pem, TSS2_LABEL) != NULL) {
		if (ck_keysource_tpm(ks, &tpm) != 0)
			return -1;
		return ck_tpm_key_load(tpm, pem, len, what, s);
	}
	return ck_soft_signer_from_pem(pem, len, what, s);
}

int
ck_keysource_cert_key(struct ck_keysource *ks, const struct ck_cert_config *cc,
    struct ck_signer **s, char **pem, size_t *len)
{
	const char *key_name = NULL;
	int rc;

	if (cc->key_file != NULL) {
		rc = ck_store_read_file(cc->key_file, MAX_KEY_FILE, pem, len);
		if (rc == 1)
			ck_error_as(CK_ERR_CONFIG, "%s: key_file %s does not exist", cc->name,
			    cc->key_file);
		if (rc != 0)
			return -1;
		return ck_keysource_load(ks, *pem, *len, cc->key_file, s);
	}
	if (cc->key_reuse) {
		rc = ck_store_load_current(ks->store, cc->name, NULL, NULL, pem, len, &key_name);
		if (rc < 0)
			return -1;
		if (rc == 0 && *pem != NULL) {
			if (ck_keysource_load(ks, *pem, *len, "installed key", s) != 0)
				return -1;
			if ((*s)->type == cc->key)
				return 0;
			ck_info("%s: installed key is %s, configured %s: making a new key", cc->name,
			    ck_key_type_name((*s)->type), ck_key_type_name(cc->key));
			ck_signer_free(*s);
			*s = NULL;
		}
		free_key_text(pem, len);
	}
	return ck_keysource_generate(ks, cc->key, s, pem, len);
}

void
ck_keysource_close(struct ck_keysource *ks)
{
	ck_tpm_close(ks->tpm);	/* reports its command count at -v */
	ks->tpm = NULL;
}
