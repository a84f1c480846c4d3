/*
 * tests/fuzz/acme.c: the ACME client (src/acme/) against the scripted CA
 * of common.c, one target per document it reads, chosen at build time:
 *
 *   acme_directory  the directory: the input is its response
 *   acme_account    newNonce, newAccount and the account fetch: the input
 *                   is their responses, after a canned directory
 *   acme_order      an order from newOrder on (authorizations, challenge,
 *                   polls, finalize, download, alternate chains), after a
 *                   canned directory, nonce and account
 *   acme_authz      the same from the first authorization on, after a
 *                   canned pending order
 *   acme_challenge  the same from the challenge's answer on, after a
 *                   canned pending authorization
 *   acme_flow       everything: directory, account and order
 *   acme_resume     ck_acme_order_resume of a known order URL
 *   acme_ari        the renewal information (RFC 9773) of a certificate
 *   acme_problem    a problem document (RFC 7807), formatted
 *
 * Oracles: a downloaded chain is NUL-terminated (it may be empty: the
 * chain check, not the order, refuses that); an ARI
 * window's end is after its start and its retry in bounds; a formatted
 * problem is printable ASCII.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "acme/internal.h"
#include "certkeeper/acme/account.h"
#include "certkeeper/acme/ari.h"
#include "certkeeper/acme/client.h"
#include "certkeeper/acme/order.h"
#include "certkeeper/challenge/solver.h"
#include "certkeeper/util/clock.h"

#define DIR_URL		CKFZ_CA "/dir"
#define ACCT_URL	CKFZ_CA "/acct/1"
#define ORDER_URL	CKFZ_CA "/order/1"

#if defined(CKFZ_ACME_PROBLEM)
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024];
	size_t i;

	ckfz_init();
	if (ck_acme_problem_format((const char *)data, size, buf, sizeof(buf)) == 0) {
		CKFZ_ASSERT(strlen(buf) < sizeof(buf));
		for (i = 0; buf[i] != '\0'; i++)
			CKFZ_ASSERT(buf[i] >= 0x20 && buf[i] < 0x7f);
	}
	return 0;
}
#else
static const char dir_resp[] =
	"200\nContent-Type: application/json\n\n"
	"{\"newNonce\":\"" CKFZ_CA "/nonce\",\"newAccount\":\"" CKFZ_CA "/acct/new\","
	"\"newOrder\":\"" CKFZ_CA "/order/new\",\"revokeCert\":\"" CKFZ_CA "/revoke\","
	"\"keyChange\":\"" CKFZ_CA "/key-change\",\"renewalInfo\":\"" CKFZ_CA "/ari\","
	"\"meta\":{\"termsOfService\":\"" CKFZ_CA "/tos\",\"profiles\":{\"tlsserver\":\"x\"}}}";
static const char nonce_resp[] = "200\nReplay-Nonce: bm9uY2Ux\n\n";
static const char acct_resp[] =
	"201\nContent-Type: application/json\nReplay-Nonce: bm9uY2Uy\nLocation: " ACCT_URL "\n\n{\"status\":\"valid\"}";
static const char order_resp[] =
	"201\nContent-Type: application/json\nReplay-Nonce: bm9uY2Uz\nLocation: " ORDER_URL "\n\n"
	"{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\",\"value\":\"a.example\"}],"
	"\"authorizations\":[\"" CKFZ_CA "/authz/1\"],\"finalize\":\"" ORDER_URL "/finalize\"}";
static const char authz_resp[] =
	"200\nContent-Type: application/json\nReplay-Nonce: bm9uY2U0\n\n"
	"{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.example\"},"
	"\"challenges\":[{\"type\":\"http-01\",\"url\":\"" CKFZ_CA "/chall/1\",\"status\":\"pending\","
	"\"token\":\"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\"}]}";

/* A solver that presents nothing: the script decides what the CA saw. */
static int
fake_present(struct ck_solver *s, const struct ck_chall *c)
{
	(void)s;
	CKFZ_ASSERT(c->identifier != NULL && c->token != NULL && c->key_authorization != NULL);
	return 0;
}

static void
fake_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	(void)s;
	(void)c;
}

static void
fake_destroy(struct ck_solver *s)
{
	(void)s;
}

static const struct ck_solver_ops fake_ops = { fake_present, NULL, fake_cleanup, fake_destroy };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ident[] = "a.example";
	static char *const idents[] = { ident };
	static const unsigned char csr[] = "not a CSR: the CA is scripted";
	struct ck_solver solver = { &fake_ops, "http-01", NULL };
	struct ck_order_req req;
	struct ck_ari_window w;
	struct ck_clock *clock;
	struct ck_acme *a = NULL;
	json_t *obj = NULL;
	char *url = NULL, *pem = NULL;
	size_t pemlen = 0;
#if defined(CKFZ_ACME_DIRECTORY) || defined(CKFZ_ACME_FLOW)
	const char *const *canned = NULL;
	size_t ncanned = 0;
#elif defined(CKFZ_ACME_ACCOUNT) || defined(CKFZ_ACME_RESUME) || defined(CKFZ_ACME_ARI)
	const char *const canned[] = { dir_resp };
	size_t ncanned = 1;
#elif defined(CKFZ_ACME_ORDER)
	const char *const canned[] = { dir_resp, nonce_resp, acct_resp };
	size_t ncanned = 3;
#elif defined(CKFZ_ACME_AUTHZ)
	const char *const canned[] = { dir_resp, nonce_resp, acct_resp, order_resp };
	size_t ncanned = 4;
#elif defined(CKFZ_ACME_CHALLENGE)
	const char *const canned[] = { dir_resp, nonce_resp, acct_resp, order_resp, authz_resp };
	size_t ncanned = 5;
#else
#error "define the CKFZ_ACME_ target to build"
#endif

	ckfz_init();
	(void)dir_resp;
	(void)pemlen;
	(void)nonce_resp;
	(void)acct_resp;
	(void)order_resp;
	(void)authz_resp;
	memset(&req, 0, sizeof(req));
	req.identifiers = idents;
	req.nidentifiers = 1;
	req.csr = csr;
	req.csrlen = sizeof(csr);
	req.solver = &solver;
	req.preferred_chain = "fuzz-root";
	req.timeout = 60;
	ckfz_script(canned, ncanned, data, size);
	CKFZ_ASSERT((clock = ck_clock_fake_new(1700000000000LL)) != NULL);
	if (ck_acme_new(NULL, clock, DIR_URL, ckfz_account(), &a) != 0)
		goto out;
#if defined(CKFZ_ACME_DIRECTORY)
	(void)ck_acme_has_ari(a);
	(void)acme_dir_url(a, "keyChange");
	(void)acme_dir_url(a, "revokeCert");
	(void)acme_profile_offered(a, "tlsserver");
	(void)req;
	(void)w;
#elif defined(CKFZ_ACME_ARI)
	memset(&w, 0, sizeof(w));
	if (ck_acme_renewal_info(a, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", &w) == 0) {
		CKFZ_ASSERT(w.end > w.start);
		CKFZ_ASSERT(w.retry_after >= CK_ARI_RETRY_MIN && w.retry_after <= CK_ARI_RETRY_MAX);
		CKFZ_ASSERT(strlen(w.explanation) < sizeof(w.explanation));
	}
	(void)req;
#elif defined(CKFZ_ACME_RESUME)
	(void)w;
	if (ck_acme_account(a, NULL, ACCT_URL, 0, &url) != 0)
		goto out;
	if (ck_acme_order_resume(a, ORDER_URL, &req, &pem, &pemlen) == 0)
		CKFZ_ASSERT(pem != NULL && pem[pemlen] == '\0');
#else
	(void)w;
	if (ck_acme_account(a, "mailto:admin@a.example", NULL, 0, &url) != 0)
		goto out;
#if defined(CKFZ_ACME_ACCOUNT)
	(void)req;
	if (ck_acme_account_fetch(a, &obj) == 0)
		CKFZ_ASSERT(json_is_object(obj));
#else
	if (ck_acme_order(a, &req, &pem, &pemlen) == 0)
		CKFZ_ASSERT(pem != NULL && pem[pemlen] == '\0');
#endif
#endif
out:
	json_decref(obj);
	free(url);
	free(pem);
	ck_acme_free(a);
	ck_clock_free(clock);
	return 0;
}
#endif
