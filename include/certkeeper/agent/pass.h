/*
 * agent/pass.h: one pass over the configured certificates: each one whose
 * plan says so (or, forced, each selected one) is renewed, its attempt
 * recorded and the schedule told.  The `renew` command is one pass; the
 * resident agent runs a pass whenever the earliest plan comes due.
 */
#ifndef CERTKEEPER_AGENT_PASS_H
#define CERTKEEPER_AGENT_PASS_H

#include <stddef.h>
#include <time.h>
#include "certkeeper/agent/session.h"

struct ck_pass_result {
	size_t renewed;		/* attempts made */
	size_t failed;		/* attempts (or records) that failed */
	size_t backing_off;	/* due, but waiting out the backoff after failures */
	time_t next;		/* the earliest time a certificate is next to be acted on; 0: none */
};

/*
 * Runs one pass at the session clock's now.  names (nnames may be 0: all)
 * selects certificates; force renews the selected ones whatever their
 * plan.  Stops early when a stop is requested.  Returns 0, or -1 when a
 * plan could not be made (reported; that certificate counts as failed).
 */
int ck_pass_run(struct ck_session *s, int force, char *const *names, size_t nnames,
    struct ck_pass_result *r);

#endif
