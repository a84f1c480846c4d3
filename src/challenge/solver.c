/*
 * challenge/solver.c: the solver interface (see challenge/solver.h).
 */
#include <stddef.h>
#include <stdio.h>

#include "certkeeper/challenge/solver.h"

int
ck_solver_present(struct ck_solver *s, const struct ck_chall *c)
{
	return s->ops->present(s, c);
}

int
ck_solver_ready(struct ck_solver *s)
{
	return s->ops->ready != NULL ? s->ops->ready(s) : 0;
}

void
ck_solver_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	s->ops->cleanup(s, c);
}

void
ck_solver_free(struct ck_solver *s)
{
	if (s != NULL)
		s->ops->destroy(s);
}

const char *
ck_chall_name(const struct ck_chall *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", c->wildcard ? "*." : "", c->identifier);
	return buf;
}
