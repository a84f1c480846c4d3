/*
 * store/versions.h: installed certificate versions, what a service reads.
 *
 * Layout under STATE_DIR/certs/NAME/, with each mode given private (the
 * default) / group-readable (ck_store_set_group_readable, store/file.h):
 *   certs/ itself            0700 / 0750
 *   certs/NAME/              0755 / 0750
 *   VERSION/                 "v" and 20 digits, one per install: 0755 / 0750
 *       cert.pem chain.pem fullchain.pem   0644 / 0640
 *       KEYNAME                            0600 / 0640
 *   current -> VERSION       switched by rename(2) only
 *   previous -> VERSION      the version current replaced, for rollback
 *
 * A reader of certs/NAME/current/ sees either the whole old set or the
 * whole new set.  Versions that are neither current nor previous are
 * pruned at the next install.
 */
#ifndef CERTKEEPER_STORE_VERSIONS_H
#define CERTKEEPER_STORE_VERSIONS_H

#include <stddef.h>

#include "certkeeper/store/keyfile.h"	/* the names KEYNAME takes */

struct ck_store;

#define CK_STORE_VERSION_LEN	21	/* a version's name: "v" and 20 digits */

struct ck_cert_files {
	const char *cert;	/* leaf PEM */
	size_t cert_len;
	const char *chain;	/* issuers PEM */
	size_t chain_len;
	const char *fullchain;	/* leaf + issuers PEM */
	size_t fullchain_len;
	const char *key;	/* private key file */
	size_t key_len;
	const char *key_name;	/* CK_STORE_KEY_FILE or CK_STORE_TPM_KEY_FILE */
};

/*
 * Installs a new version of certificate name so that no reader ever sees a
 * partial set: writes and fsyncs every file in a new version directory,
 * points previous at the old current, switches current by rename(2),
 * fsyncs certs/NAME, and prunes versions that are neither current nor
 * previous.  On failure nothing already installed changes.  *version
 * (optional) receives the new version's name (malloc'd).
 */
int ck_store_install(struct ck_store *st, const char *name, const struct ck_cert_files *f,
    char **version);

/* Undoes a bad install: current back at previous, previous at the version it replaced. */
int ck_store_rollback(struct ck_store *st, const char *name);

/*
 * Reads the name of the version current points at into version.  Returns
 * 0, 1 when nothing is installed (not reported), -1 on error.
 */
int ck_store_current_version(struct ck_store *st, const char *name,
    char version[CK_STORE_VERSION_LEN + 1]);

/*
 * Path a service is pointed at, through the current link:
 * STATE_DIR/certs/NAME/current/FILE (malloc'd).  NULL only when out of memory.
 */
char *ck_store_current_path(const struct ck_store *st, const char *name, const char *file);

/*
 * Reads the current version's cert.pem and key file from one version
 * directory, even while current moves: either may be NULL when not
 * wanted.  *key_name (optional) receives CK_STORE_KEY_FILE or
 * CK_STORE_TPM_KEY_FILE, even when the key itself is not wanted (it is
 * then not read).  Returns 0, 1 when nothing is installed, -1 on error.
 * Free *key_pem with OPENSSL_clear_free(*key_pem, *key_len).
 */
int ck_store_load_current(struct ck_store *st, const char *name, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, const char **key_name);

#endif
