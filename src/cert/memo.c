/*
 * cert/memo.c: certificates parsed once per process (see cert/memo.h).
 *
 * A few entries, the oldest replaced first: a device has a handful of
 * certificates, and a pass reads each one's text several times in a row.
 * The key is the whole text, compared byte for byte, so a memo entry is
 * never taken for a text that differs in any way.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "certkeeper/cert/memo.h"
#include "certkeeper/util/pem.h"

#define MEMO_SLOTS 4
/* Larger texts (a bundle, not a certificate file) are not kept. */
#define MEMO_TEXT_MAX 16384

struct slot {
	char *pem;
	size_t len;
	X509 *x;
};

static struct slot memo[MEMO_SLOTS];
static size_t memo_next;
static int memo_registered;

static void
slot_clear(struct slot *s)
{
	free(s->pem);
	X509_free(s->x);
	memset(s, 0, sizeof(*s));
}

void
ck_cert_memo_clear(void)
{
	size_t i;

	for (i = 0; i < MEMO_SLOTS; i++)
		slot_clear(&memo[i]);
	memo_next = 0;
}

void
ck_cert_memo_put(const char *pem, size_t len, X509 *x)
{
	struct slot *s;
	char *copy;

	if (len == 0 || len > MEMO_TEXT_MAX || (copy = malloc(len)) == NULL)
		return;
	if (!memo_registered)
		memo_registered = atexit(ck_cert_memo_clear) == 0;
	if (!memo_registered || X509_up_ref(x) != 1) {
		free(copy);
		return;
	}
	memcpy(copy, pem, len);
	s = &memo[memo_next];
	memo_next = (memo_next + 1) % MEMO_SLOTS;
	slot_clear(s);
	s->pem = copy;
	s->len = len;
	s->x = x;
}

X509 *
ck_cert_memo_first(const char *pem, size_t len)
{
	BIO *bio;
	X509 *x;
	size_t i;

	for (i = 0; i < MEMO_SLOTS; i++)
		if (memo[i].x != NULL && memo[i].len == len && memcmp(memo[i].pem, pem, len) == 0)
			return X509_up_ref(memo[i].x) == 1 ? memo[i].x : NULL;
	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, ck_pem_no_passphrase, NULL);
	BIO_free(bio);
	if (x != NULL)
		ck_cert_memo_put(pem, len, x);
	return x;
}
