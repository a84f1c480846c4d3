/*
 * store/accounts.h: ACME accounts, one per directory URL, so that pointing
 * certkeeper at another CA never reuses (or overwrites) the first one's.
 *
 * Layout under STATE_DIR/accounts/ (0700):
 *   ID/                 ID: the first 16 hex digits of SHA-256(directory URL)
 *       directory       the directory URL itself, so that ID can be checked
 *       key.pem         the account key file (PKCS#8 or TSS2)
 *       url             the account URL, once registered
 */
#ifndef CERTKEEPER_STORE_ACCOUNTS_H
#define CERTKEEPER_STORE_ACCOUNTS_H

#include <stddef.h>

struct ck_store;

/*
 * Loads what is known of the account for directory_url: *key_pem (NULL if
 * none yet) and *url (NULL if not registered yet).  Returns 0 or -1.
 */
int ck_store_account_load(struct ck_store *st, const char *directory_url,
    char **key_pem, size_t *key_len, char **url);

/* Saves the account key before it is registered, so that a crash never orphans an account. */
int ck_store_account_save_key(struct ck_store *st, const char *directory_url,
    const char *key_pem, size_t key_len);

/* Records the account URL once registered, so that later runs skip newAccount. */
int ck_store_account_save_url(struct ck_store *st, const char *directory_url, const char *url);

#endif
