/*
 * agent/outcome.c: the outcome of one renewal attempt, fed by the error
 * sink (see agent/outcome.h).
 */
#include <stdio.h>
#include <string.h>

#include "certkeeper/agent/outcome.h"
#include "certkeeper/util/clock.h"

static const char *const result_names[] = { "success", "failure", "interrupted", "rolled-back" };

const char *
ck_result_name(enum ck_result r)
{
	if ((size_t)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "failure";
	return result_names[r];
}

int
ck_result_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (strcmp(name, result_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The sink: the last error wins, as the last report is the one that ended the attempt. */
static void
outcome_sink(void *ctx, const struct ck_error_report *r)
{
	struct ck_outcome *o = ctx;

	snprintf(o->error, sizeof(o->error), "%s", r->text);
	o->cls = r->cls != CK_ERR_NONE ? r->cls : o->step;
	snprintf(o->problem, sizeof(o->problem), "%s", r->problem != NULL ? r->problem : "");
	o->retry_after = r->retry_after;
}

void
ck_outcome_begin(struct ck_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->result = CK_RESULT_FAILURE;
	o->retry_after = -1;
	o->step = CK_ERR_INTERNAL;
	ck_log_set_error_sink(outcome_sink, o);
}

void
ck_outcome_step(struct ck_outcome *o, enum ck_error_class step)
{
	o->step = step;
}

void
ck_outcome_rolled_back(struct ck_outcome *o)
{
	o->result = CK_RESULT_ROLLED_BACK;
}

void
ck_outcome_end(struct ck_outcome *o, int ok)
{
	ck_log_set_error_sink(NULL, NULL);
	if (ok) {
		o->result = CK_RESULT_SUCCESS;
		o->cls = CK_ERR_NONE;
		o->error[0] = o->problem[0] = '\0';
		o->retry_after = -1;
		return;
	}
	if (o->result == CK_RESULT_ROLLED_BACK) {
		if (o->cls == CK_ERR_NONE)
			o->cls = CK_ERR_HOOK;
		if (o->error[0] == '\0')
			snprintf(o->error, sizeof(o->error), "rolled back without a reported cause");
		return;
	}
	if (ck_stop_requested()) {
		o->result = CK_RESULT_INTERRUPTED;
		o->cls = CK_ERR_INTERRUPTED;
		if (o->error[0] == '\0')
			snprintf(o->error, sizeof(o->error), "interrupted by a stop request");
		return;
	}
	o->result = CK_RESULT_FAILURE;
	if (o->cls == CK_ERR_NONE)
		o->cls = CK_ERR_INTERNAL;
	if (o->error[0] == '\0')
		snprintf(o->error, sizeof(o->error), "failed without a reported cause");
}
