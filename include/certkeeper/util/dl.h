/*
 * util/dl.h: a library opened when first needed instead of linked
 * (net/curl.c, keys/tss.c, challenge/mhd.c).  Each fills a table of
 * function pointers, a member for each call it makes, from a list that
 * names each call and its slot.
 */
#ifndef CERTKEEPER_UTIL_DL_H
#define CERTKEEPER_UTIL_DL_H

#include <stddef.h>

/* A call, by the name the library exports, and its slot: an offset into the table. */
struct ck_dl_sym {
	const char *name;
	size_t offset;
};

/*
 * Opens soname (RTLD_LAZY | RTLD_LOCAL: the calls listed are looked up,
 * and checked, by ck_dl_fill; what the library and its own libraries call
 * of each other is bound on first use, as when linked).  Returns the
 * handle, kept open for the life of the process, or NULL with the
 * loader's reason in *why.
 */
void *ck_dl_open(const char *soname, const char **why);

/*
 * Puts the function each of syms[0..n) names into its slot in table.
 * Returns NULL, or the name of the first call the library lacks.
 */
const char *ck_dl_fill(void *handle, const struct ck_dl_sym *syms, size_t n, void *table);

#endif
