/*
 * store/store.h: everything certkeeper keeps on disk, written atomically.
 *
 * Layout under STATE_DIR (directories 0700, files 0600 unless noted):
 *   lock                            flock(2) held by a running pass
 *   accounts/ID/                    one per ACME directory URL; ID is the
 *                                   first 16 hex digits of SHA-256(URL)
 *       directory                   the URL itself (so ID can be checked)
 *       key.pem                     account key file (PKCS#8 or TSS2)
 *       url                         account URL, once registered
 *   certs/NAME/
 *       VERSION/                    one per installed version (0755)
 *           cert.pem chain.pem fullchain.pem (0644), KEYNAME (0600)
 *       current -> VERSION          switched by rename(2) only
 *       previous -> VERSION         the version current replaced
 *       status.json                 the last attempt's result
 *
 * Every file is written to a temporary name in its directory, fsync'd,
 * renamed, and the directory fsync'd.  A reader of certs/NAME/current/
 * sees either the whole old set or the whole new set.
 */
#ifndef CERTKEEPER_STORE_STORE_H
#define CERTKEEPER_STORE_STORE_H

#include <stddef.h>
#include <time.h>

struct ck_store;

/* Creates STATE_DIR (0700) if needed and opens it; sets umask 077. */
int ck_store_open(const char *state_dir, struct ck_store **out);
void ck_store_close(struct ck_store *st);	/* releases the lock too */
const char *ck_store_dir(const struct ck_store *st);

/*
 * Takes the exclusive run lock without waiting.  Returns 0, 1 when another
 * process holds it (reported: "another certkeeper run holds LOCKPATH"),
 * or -1 on error.
 */
int ck_store_lock(struct ck_store *st);

/* Reads a whole file (at most max bytes, else error).  Returns 0, 1 if it does not exist, -1. */
int ck_store_read_file(const char *path, size_t max, char **buf, size_t *len);

/* Writes data to path atomically (temp file, fsync, rename, fsync dir) with mode. */
int ck_store_write_file(const char *path, const void *data, size_t len, int mode);

/* --- ACME account, per directory URL --------------------------------- */

/*
 * Loads the account for directory_url: *key_pem (NULL if none yet) and
 * *url (NULL if not registered yet).  Returns 0 or -1.
 */
int ck_store_account_load(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len, char **url);
int ck_store_account_save_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len);
int ck_store_account_save_url(struct ck_store *st, const char *directory_url, const char *url);

/* --- certificates ----------------------------------------------------- */

/* The key file's name says what it holds: a TPM-wrapped key needs the tpm2 provider. */
#define CK_STORE_KEY_FILE "key.pem"		/* PKCS#8 software key */
#define CK_STORE_TPM_KEY_FILE "key.tss2.pem"	/* TSS2 PRIVATE KEY */

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
 * Installs a new version of certificate name: writes and fsyncs every file
 * in a new version directory, points previous at the old current, switches
 * current by rename(2), fsyncs certs/NAME, and prunes versions that are
 * neither current nor previous.  On failure nothing already installed
 * changes.  *version (optional) receives the new version's name.
 */
int ck_store_install(struct ck_store *st, const char *name, const struct ck_cert_files *f,
    char **version);

/* Points current back at previous (and previous at the failed version). */
int ck_store_rollback(struct ck_store *st, const char *name);

/*
 * Path of a file through the current link: STATE_DIR/certs/NAME/current/FILE
 * (malloc'd).  Never fails except on allocation (NULL).
 */
char *ck_store_current_path(const struct ck_store *st, const char *name, const char *file);

/*
 * Reads the current version's cert.pem and key file: either may be NULL
 * when not wanted.  *key_name (optional) receives the key file's name,
 * CK_STORE_KEY_FILE or CK_STORE_TPM_KEY_FILE, even when the key itself is
 * not wanted (it is then not read).  Returns 0, 1 when nothing is
 * installed, -1 on error.
 */
int ck_store_load_current(struct ck_store *st, const char *name, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, const char **key_name);

/* --- last attempt ----------------------------------------------------- */

struct ck_attempt {
	time_t when;		/* 0: never attempted */
	char *result;		/* "success", "failure" (malloc'd) or NULL */
	char *error;		/* error text or NULL */
};

int ck_store_save_attempt(struct ck_store *st, const char *name, const struct ck_attempt *a);
/* Returns 0 (a zeroed if never attempted) or -1. */
int ck_store_load_attempt(struct ck_store *st, const char *name, struct ck_attempt *a);
void ck_attempt_clear(struct ck_attempt *a);

#endif
