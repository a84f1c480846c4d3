/*
 * util/dl.c: opening a library on need and filling a table of its calls
 * (see util/dl.h).
 */
#include <dlfcn.h>
#include <string.h>

#include "certkeeper/util/dl.h"

void *
ck_dl_open(const char *soname, const char **why)
{
	void *h;

	/* Binding all of libcurl at once (RTLD_NOW) cost a renewal 2.7 M instructions more. */
	if ((h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
		*why = dlerror();
		if (*why == NULL)
			*why = "no reason given";
	}
	return h;
}

const char *
ck_dl_fill(void *handle, const struct ck_dl_sym *syms, size_t n, void *table)
{
	void *fn;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((fn = dlsym(handle, syms[i].name)) == NULL)
			return syms[i].name;
		/* POSIX (dlsym): the object pointer is the function's; the slot has its type. */
		memcpy((char *)table + syms[i].offset, &fn, sizeof(fn));
	}
	return NULL;
}
