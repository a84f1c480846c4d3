/*
 * challenge/dns01.h: dns-01 (RFC 8555 8.4) through an operator's hook.
 *
 * present runs `COMMAND add _acme-challenge.DOMAIN. VALUE`, cleanup
 * `COMMAND remove _acme-challenge.DOMAIN. VALUE` whatever the outcome (and
 * after an add that failed, which may have done half its work), each
 * bounded by the certificate's hook_timeout and run as util/proc.h runs
 * hooks (environment: CK_HOOK_PATH and CERTKEEPER_NAME).  VALUE is
 * base64url(SHA-256(key authorization)); DOMAIN is the authorization's
 * identifier, the base name for a wildcard (RFC 8555 7.1.4).  A hook that
 * fails fails the order, its sanitized and capped output in the error.
 * Once every record is added, ready waits the propagation delay on the
 * clock (a stop request ends it).
 */
#ifndef CERTKEEPER_CHALLENGE_DNS01_H
#define CERTKEEPER_CHALLENGE_DNS01_H

#include <stddef.h>

#include "certkeeper/challenge/solver.h"
#include "certkeeper/util/clock.h"

#define CK_DNS01_PREFIX	"_acme-challenge."
/* base64url of 32 bytes, unpadded, and its NUL. */
#define CK_DNS01_VALUE_MAX	44

struct ck_dns01_params {
	const char *cert_name;		/* for messages and CERTKEEPER_NAME */
	char *const *hook;		/* COMMAND as util/argv.h splits it; argv[0] absolute */
	long timeout_secs;		/* each run of the hook */
	long propagation_wait_secs;	/* after the adds, before validation; 0: none */
	struct ck_clock *clock;		/* for that wait */
};

/* The dns-01 solver; p's strings and the clock must outlive it. */
int ck_dns01_solver_new(const struct ck_dns01_params *p, struct ck_solver **out);

/* The TXT record's name, "_acme-challenge.DOMAIN.", into buf; 0, or -1 when it does not fit. */
int ck_dns01_record_name(const char *domain, char *buf, size_t len);

/* The TXT record's value for key_authorization, into buf (CK_DNS01_VALUE_MAX); 0 or -1 (reported). */
int ck_dns01_value(const char *key_authorization, char *buf, size_t len);

#endif
