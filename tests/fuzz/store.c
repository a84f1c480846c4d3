/*
 * tests/fuzz/store.c: every state file the store reads back, one target
 * each, chosen at build time; the input is written as the file and read:
 *
 *   store_status    certs/NAME/status.json       (store/state.c)
 *   store_pending   pending/NAME/order.json      (store/pending.c)
 *   store_schedule  certs/NAME/schedule.json     (store/schedule.c)
 *   store_counters  certs/NAME/counters.json and counters.json (store/counters.c)
 *   store_revoked   certs/NAME/revoked.json      (store/revoked.c)
 *   store_push      certs/NAME/push.json         (store/push.c)
 *   store_account   accounts/ID/url              (store/accounts.c)
 *
 * Oracles: what loads is what the saver accepts: saved again, it loads
 * back the same (the loaders' contract: "checked as the saver checks it").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <openssl/crypto.h>

#include "fuzz.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/accounts.h"
#include "certkeeper/store/counters.h"
#include "certkeeper/store/pending.h"
#include "certkeeper/store/push.h"
#include "certkeeper/store/revoked.h"
#include "certkeeper/store/schedule.h"
#include "certkeeper/store/state.h"

#define NAME "fz"
#define DIRECTORY CKFZ_CA "/dir"

static struct ck_store *st;
static char root[256];

static void
open_store(void)
{
	snprintf(root, sizeof(root), "%s/state", ckfz_tmpdir());
	CKFZ_ASSERT(ck_store_open(root, &st) == 0);
}

static void
put(const char *rel, const uint8_t *data, size_t size)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ckfz_write(path, data, size);
}

#if defined(CKFZ_STORE_ACCOUNT)
/* accounts/ID/ as the store names it: made by saving a key, then found. */
static char account_url_rel[300];

static void
find_account_dir(void)
{
	static const char key[] = "-----BEGIN PRIVATE KEY-----\nfuzz\n-----END PRIVATE KEY-----\n";
	char dir[512];
	struct dirent *de;
	DIR *d;

	CKFZ_ASSERT(ck_store_account_save_key(st, DIRECTORY, key, sizeof(key) - 1) == 0);
	snprintf(dir, sizeof(dir), "%s/accounts", root);
	CKFZ_ASSERT((d = opendir(dir)) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			snprintf(account_url_rel, sizeof(account_url_rel), "accounts/%s/url",
			    de->d_name);
	closedir(d);
	CKFZ_ASSERT(account_url_rel[0] != '\0');
}
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ckfz_init();
	if (st == NULL)
		open_store();
#if defined(CKFZ_STORE_STATUS)
	struct ck_attempt a, b;

	put("certs/" NAME "/status.json", data, size);
	if (ck_store_load_attempt(st, NAME, &a) == 0 && a.when != 0) {
		CKFZ_ASSERT(ck_store_save_attempt(st, NAME, &a) == 0);
		CKFZ_ASSERT(ck_store_load_attempt(st, NAME, &b) == 0);
		CKFZ_ASSERT(a.when == b.when && a.retry_after == b.retry_after &&
		    a.not_after == b.not_after && a.not_before == b.not_before);
		CKFZ_ASSERT((a.result == NULL) == (b.result == NULL));
		CKFZ_ASSERT(a.result == NULL || strcmp(a.result, b.result) == 0);
		CKFZ_ASSERT((a.error == NULL) == (b.error == NULL));
		CKFZ_ASSERT(a.error == NULL || strcmp(a.error, b.error) == 0);
		ck_attempt_clear(&b);
	}
	ck_attempt_clear(&a);
#elif defined(CKFZ_STORE_PENDING)
	static const char key[] = "-----BEGIN PRIVATE KEY-----\nfuzz\n-----END PRIVATE KEY-----\n";
	struct ck_pending_order p;

	memset(&p, 0, sizeof(p));
	put("pending/" NAME "/key.pem", (const uint8_t *)key, sizeof(key) - 1);
	put("pending/" NAME "/order.json", data, size);
	if (ck_store_pending_load(st, NAME, &p) == 0) {
		CKFZ_ASSERT(p.directory != NULL && p.url != NULL && p.key != NULL);
		CKFZ_ASSERT(strncmp(p.url, "https://", 8) == 0);
	}
	ck_pending_order_clear(&p);
#elif defined(CKFZ_STORE_SCHEDULE)
	struct ck_sched a, b;

	put("certs/" NAME "/schedule.json", data, size);
	if (ck_store_load_schedule(st, NAME, &a) == 0) {
		CKFZ_ASSERT(a.ari_start == 0 || a.ari_end == 0 || a.ari_start <= a.ari_end);
		CKFZ_ASSERT(ck_store_save_schedule(st, NAME, &a) == 0);
		CKFZ_ASSERT(ck_store_load_schedule(st, NAME, &b) == 0);
		CKFZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
#elif defined(CKFZ_STORE_COUNTERS)
	struct ck_counters a, b;
	struct ck_agent_counters g, h;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	put("certs/" NAME "/counters.json", data, size);
	if (ck_store_load_counters(st, NAME, &a) == 0) {
		CKFZ_ASSERT(ck_store_save_counters(st, NAME, &a) == 0);
		CKFZ_ASSERT(ck_store_load_counters(st, NAME, &b) == 0);
		CKFZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
	memset(&g, 0, sizeof(g));
	memset(&h, 0, sizeof(h));
	put("counters.json", data, size);
	if (ck_store_load_agent_counters(st, &g) == 0) {
		CKFZ_ASSERT(ck_store_save_agent_counters(st, &g) == 0);
		CKFZ_ASSERT(ck_store_load_agent_counters(st, &h) == 0);
		CKFZ_ASSERT(memcmp(&g, &h, sizeof(g)) == 0);
	}
#elif defined(CKFZ_STORE_REVOKED)
	struct ck_revoked a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	put("certs/" NAME "/revoked.json", data, size);
	if (ck_store_load_revoked(st, NAME, &a) == 0) {
		CKFZ_ASSERT(ck_store_save_revoked(st, NAME, &a) == 0);
		CKFZ_ASSERT(ck_store_load_revoked(st, NAME, &b) == 0);
		CKFZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
#elif defined(CKFZ_STORE_PUSH)
	struct ck_push_record a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	put("certs/" NAME "/push.json", data, size);
	if (ck_store_load_push(st, NAME, &a) == 0) {
		CKFZ_ASSERT(ck_store_save_push(st, NAME, &a) == 0);
		CKFZ_ASSERT(ck_store_load_push(st, NAME, &b) == 0);
		CKFZ_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
	}
#elif defined(CKFZ_STORE_ACCOUNT)
	char *key = NULL, *url = NULL;
	size_t keylen = 0;

	if (account_url_rel[0] == '\0')
		find_account_dir();
	put(account_url_rel, data, size);
	if (ck_store_account_load(st, DIRECTORY, &key, &keylen, &url) == 0) {
		CKFZ_ASSERT(key != NULL);
		if (url != NULL) {
			CKFZ_ASSERT(strncmp(url, "https://", 8) == 0);
			CKFZ_ASSERT(ck_store_account_save_url(st, DIRECTORY, url) == 0);
		}
	}
	if (key != NULL)
		OPENSSL_clear_free(key, keylen);
	free(url);
#else
#error "define the CKFZ_STORE_ target to build"
#endif
	return 0;
}
