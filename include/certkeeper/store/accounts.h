/*
 * store/accounts.h: ACME accounts, one per directory URL, so that pointing
 * certkeeper at another CA never reuses (or overwrites) the first one's.
 *
 * Layout under STATE_DIR/accounts/ (0700):
 *   ID/                 ID: the first 16 hex digits of SHA-256(directory URL)
 *       directory       the directory URL itself, so that ID can be checked
 *       key.pem         the account key, a PKCS#8 software key; or instead
 *       key.tss2.pem    a TPM-wrapped "TSS2 PRIVATE KEY" (never both)
 *       url             the account URL, once registered
 *
 * State written before key files were named by content may hold a TSS2
 * key in key.pem; it is read as it is.
 */
#ifndef CERTKEEPER_STORE_ACCOUNTS_H
#define CERTKEEPER_STORE_ACCOUNTS_H

#include <stddef.h>

struct ck_store;

/* Longest account URL stored or read back, as for URLs the CA gives. */
#define CK_STORE_URL_MAX 2048

/*
 * Loads what is known of the account for directory_url: *key_pem (NULL if
 * none yet; free with OPENSSL_clear_free(*key_pem, *key_len)), from
 * whichever key file there is, and *url (NULL if not registered yet).  A
 * url file that is not an https URL of printable ASCII without spaces, at
 * most CK_STORE_URL_MAX bytes (one trailing newline allowed), is warned
 * about and taken as "not registered": newAccount then finds the account
 * again by its key (RFC 8555 7.3.1) and the URL is saved anew.  A url file
 * over 8 KiB is an error.  Returns 0 or -1.
 */
int ck_store_account_load(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len, char **url);

/*
 * Saves the account key before it is registered, so that a crash never
 * orphans an account: as key.tss2.pem for a "TSS2 PRIVATE KEY", else as
 * key.pem.  The new file is in place and flushed before a key file of the
 * other name is removed.
 */
int ck_store_account_save_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len);

/* Records the account URL so that later runs skip newAccount; refuses one the load would drop. */
int ck_store_account_save_url(struct ck_store *st, const char *directory_url, const char *url);
/* Removes the stored account URL (the key stays), for a CA that no longer has the account. */
int ck_store_account_forget_url(struct ck_store *st, const char *directory_url);

#endif
