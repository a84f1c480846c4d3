/*
 * store/pending.h: an order that a run finalized (or was about to) but did
 * not install: what a crash, a power cut or a stop leaves for the next run
 * to resume instead of placing a new order.
 *
 *   pending/NAME/order.json   {"directory": CA_DIRECTORY_URL, "url": ORDER_URL,
 *                              "created": RFC3339}
 *   pending/NAME/KEYNAME      the certificate key the order's CSR is for
 *                             (key.pem or key.tss2.pem, 0600)
 *
 * The key is written before order.json, and order.json removed before the
 * key, so that an order.json never names a key that is not there.
 */
#ifndef CERTKEEPER_STORE_PENDING_H
#define CERTKEEPER_STORE_PENDING_H

#include <stddef.h>
#include <time.h>

struct ck_store;

struct ck_pending_order {
	char *directory;	/* the CA's directory URL the order was placed with */
	char *url;		/* the order URL: https, printable, at most 2048 bytes */
	time_t created;
	char *key;		/* the key file's text (free with ck_pending_order_clear) */
	size_t key_len;
};

/* Records a pending order for name: key, then order.json, each atomically. */
int ck_store_pending_save(struct ck_store *st, const char *name, const char *directory,
    const char *url, const char *key, size_t key_len, time_t created);

/*
 * Reads name's pending order, checked like server input.  Returns 0, 1
 * when there is none, -1 when it is unreadable or corrupt (reported; the
 * caller drops it with ck_store_pending_clear).
 */
int ck_store_pending_load(struct ck_store *st, const char *name, struct ck_pending_order *p);

/* Whether name has a pending order: 1 yes, 0 no, -1 error (reported). */
int ck_store_pending_exists(struct ck_store *st, const char *name);

/* Forgets name's pending order (nothing there is fine). */
int ck_store_pending_clear(struct ck_store *st, const char *name);

/* Frees p, wiping the key. */
void ck_pending_order_clear(struct ck_pending_order *p);

#endif
