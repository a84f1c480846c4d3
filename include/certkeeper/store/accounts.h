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
 *       key.new.pem     during an account key rollover only: the new key,
 *       key.tss2.new.pem  saved before the CA is asked (agent/rollover.h)
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

/* The name the new key takes during a rollover, by its content. */
#define CK_STORE_NEW_KEY_FILE "key.new.pem"
#define CK_STORE_NEW_TPM_KEY_FILE "key.tss2.new.pem"

/*
 * Saves the new key of a rollover beside the current one, before the CA
 * is asked to change keys, under the new-key name its content gives.
 */
int ck_store_account_save_new_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len);

/*
 * Loads a rollover's new key: 0 (*key_pem set; free with
 * OPENSSL_clear_free), 1 when there is none (not reported), -1 (two of
 * them is an error too).
 */
int ck_store_account_load_new_key(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len);

/*
 * Makes the rollover's new key the account key, once the CA holds it:
 * renamed over the key of the same name in one rename(2); when the names
 * differ (software to TPM), the old key is removed first, so that a crash
 * in between leaves the new key alone, which ck_store_account_load then
 * takes as the account key (the CA accepted it before the commit began).
 */
int ck_store_account_commit_new_key(struct ck_store *st, const char *directory_url);

/* Removes a rollover's new key: the CA kept the old one. */
int ck_store_account_drop_new_key(struct ck_store *st, const char *directory_url);

/*
 * Forgets the account (deactivated at the CA): the URL first, then the
 * keys, so that a crash leaves at worst an unregistered key, which the
 * next renewal registers anew, never a URL without its key.
 */
int ck_store_account_remove(struct ck_store *st, const char *directory_url);

#endif
