/*
 * agent/outcome.h: what one renewal attempt came to.
 *
 * Renewing a certificate returns an outcome; the attempt record, `status`,
 * and later backoff and metrics read it.  While an attempt runs, the
 * outcome is the error sink (util/log.h): every error reported on the way
 * lands in it with its class, the CA's problem type and Retry-After, so no
 * module needs to read another's error state.
 */
#ifndef CERTKEEPER_AGENT_OUTCOME_H
#define CERTKEEPER_AGENT_OUTCOME_H

#include <time.h>
#include "certkeeper/util/log.h"

enum ck_result {
	CK_RESULT_SUCCESS,
	CK_RESULT_FAILURE,
	CK_RESULT_INTERRUPTED,
	CK_RESULT_ROLLED_BACK	/* installed, then undone: its verify hook failed */
};

struct ck_outcome {
	enum ck_result result;
	enum ck_error_class cls;	/* CK_ERR_NONE on success */
	char problem[64];		/* short ACME problem type, or "" */
	char error[1024];		/* sanitized text of the last error, or "" */
	long retry_after;		/* seconds the CA asked to wait, or -1 */
	/* Once installed (a success, or a deploy that failed or was rolled back): the new certificate. */
	char serial[128];
	time_t not_before;
	time_t not_after;
	/* While the attempt runs: the class of errors whose reporter did not give one. */
	enum ck_error_class step;
};

/* "success", "failure", "interrupted", "rolled-back". */
const char *ck_result_name(enum ck_result r);
/* The result named name, or -1. */
int ck_result_parse(const char *name);

/* Clears o and makes it the error sink until ck_outcome_end. */
void ck_outcome_begin(struct ck_outcome *o);
/* The class for errors reported from now on that do not name their own. */
void ck_outcome_step(struct ck_outcome *o, enum ck_error_class step);
/*
 * Says the attempt's install was rolled back: ck_outcome_end then settles
 * a failure as CK_RESULT_ROLLED_BACK, even after a stop request, since
 * what is installed did change.
 */
void ck_outcome_rolled_back(struct ck_outcome *o);
/*
 * Ends the attempt: unsets the sink and settles the result (success when
 * ok, rolled back when ck_outcome_rolled_back said so, interrupted when a
 * stop was requested, else failure, with class internal if no error was
 * reported).
 */
void ck_outcome_end(struct ck_outcome *o, int ok);

#endif
