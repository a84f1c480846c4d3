/*
 * acme/client.h: an ACME client (RFC 8555) for one CA directory: the
 * directory, nonces, signed requests.  The account operations are in
 * acme/account.h, the order flow in acme/order.h.
 *
 * This is the network side.  It holds no private key: requests are signed
 * through the account signer, and the CSR arrives already signed.  Every
 * wait goes through the clock, so a stop request ends it.
 */
#ifndef CERTKEEPER_ACME_CLIENT_H
#define CERTKEEPER_ACME_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "certkeeper/keys/signer.h"
#include "certkeeper/net/http.h"
#include "certkeeper/util/clock.h"

#define CK_ACME_MAX_BADNONCE 20	/* retries of one request; Pebble's test mode rejects half */
/*
 * The first poll of a challenge or an order comes this long after the
 * request that set the CA to work (the challenge, the finalize), then the
 * waits grow from 50 ms (Retry-After when the CA gives one).  A poll at
 * once races the CA's own worker and often loses, which costs the 50 ms
 * wait (Pebble: 0 ms lost 6 races of 15, 1 ms 2 of 15, 2 ms none of 30);
 * against a CA that takes longer it is the same number of polls.
 */
#ifndef CK_ACME_FIRST_POLL_MS
#define CK_ACME_FIRST_POLL_MS 2
#endif
#define CK_ACME_SLOW_MS 2000	/* an answer this late: the CA was down, frozen or overloaded */
#define CK_ACME_PACE_CAP_MS 60000	/* the longest pause after a slow answer */
#define CK_ACME_PACE_SHARE_MIN 500	/* the pause: 50% of the time given, */
#define CK_ACME_PACE_SHARE_MAX 800	/* to 80% (per mille) */

struct ck_acme;

/* Fetches the directory.  http, clock and account must outlive the client. */
int ck_acme_new(struct ck_http *http, struct ck_clock *clock, const char *directory_url,
    struct ck_signer *account, struct ck_acme **out);
/*
 * ck_acme_new with pacing (ck_acme_set_pacing) set from the start: the
 * directory is the first request of a run, the one a CA that was frozen
 * answers late, together with the rest of the fleet's.
 */
int ck_acme_new_paced(struct ck_http *http, struct ck_clock *clock, const char *directory_url,
    struct ck_signer *account, int64_t pace_max_ms, struct ck_acme **out);
void ck_acme_free(struct ck_acme *a);

/*
 * Pacing after a slow answer.  A CA that takes CK_ACME_SLOW_MS or more to
 * answer was down, frozen or overloaded, and the requests of a whole fleet
 * that waited with ours are arriving with it: before going on the client
 * waits a random share, CK_ACME_PACE_SHARE_MIN to _MAX per mille, of max_ms
 * (and never more than CK_ACME_PACE_CAP_MS), so that the fleet's orders go
 * on spread out, and the most urgent (the least time to spare) first.
 * The pause is taken once, at the first slow answer after pacing is set:
 * a device on a slow link loses at most one pause per renewal.  max_ms 0
 * (the default) goes on at once: the agent gives each certificate the time
 * it can spare.
 */
void ck_acme_set_pacing(struct ck_acme *a, int64_t max_ms);

/*
 * Formats an RFC 7807 problem document (sanitized type, detail, and
 * subproblems) into buf.  Returns 0, or -1 if body is not a problem.
 */
int ck_acme_problem_format(const char *body, size_t len, char *buf, size_t buflen);

#endif
