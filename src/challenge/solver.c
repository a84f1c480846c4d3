/*
 * challenge/solver.c: the solver interface (see challenge/solver.h).
 */
#include <stddef.h>

#include "certkeeper/challenge/solver.h"

int
ck_solver_present(struct ck_solver *s, const char *identifier, const char *token,
    const char *key_authorization)
{
	return s->ops->present(s, identifier, token, key_authorization);
}

void
ck_solver_cleanup(struct ck_solver *s, const char *identifier, const char *token,
    const char *key_authorization)
{
	s->ops->cleanup(s, identifier, token, key_authorization);
}

void
ck_solver_free(struct ck_solver *s)
{
	if (s != NULL)
		s->ops->destroy(s);
}
