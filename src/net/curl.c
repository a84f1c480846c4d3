/*
 * net/curl.c: libcurl opened on first use (see net/curl.h), by the soname
 * its package installs; each call looked up by its name, once, under
 * pthread_once, and curl_global_init run there too (it is not thread-safe).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "certkeeper/util/log.h"
#include "curl.h"

#define LIBCURL "libcurl.so.4"
#define LIBCURL_PACKAGE "libcurl4"

struct sym {
	const char *name;
	size_t offset;
};

#define SYM(member) { "curl_" #member, offsetof(struct ck_curl, member) }
static const struct sym syms[] = {
	SYM(global_init), SYM(easy_init), SYM(easy_cleanup), SYM(easy_setopt),
	SYM(easy_getinfo), SYM(easy_strerror), SYM(multi_init), SYM(multi_cleanup),
	SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_perform), SYM(multi_poll),
	SYM(multi_info_read), SYM(multi_strerror), SYM(slist_append), SYM(slist_free_all),
	SYM(getdate),
};
#undef SYM

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ck_curl loaded;
static int loaded_ok;
static char failure[512];

static void
load(void)
{
	const char *why;
	CURLcode code;
	void *h, *fn;
	size_t i;

	/*
	 * RTLD_LAZY: the calls made are looked up, and checked, below; what
	 * libcurl and its libraries call of each other is bound on first use,
	 * as when linked.  Binding all of it at once (RTLD_NOW) cost a renewal
	 * 2.7 M instructions more.
	 */
	if ((h = dlopen(LIBCURL, RTLD_LAZY | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(failure, sizeof(failure), "cannot load %s (%s): install %s", LIBCURL,
		    why != NULL ? why : "no reason given", LIBCURL_PACKAGE);
		return;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((fn = dlsym(h, syms[i].name)) == NULL) {
			snprintf(failure, sizeof(failure), "%s has no %s (certkeeper needs "
			    "libcurl 7.85 or later)", LIBCURL, syms[i].name);
			return;
		}
		/* POSIX (dlsym): the object pointer is the function's; the slot has its type. */
		memcpy((char *)&loaded + syms[i].offset, &fn, sizeof(fn));
	}
	if ((code = loaded.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(failure, sizeof(failure), "curl_global_init: %s",
		    loaded.easy_strerror(code));
		return;
	}
	/* Kept open for the life of the process, as a linked library would be. */
	loaded_ok = 1;
}

const struct ck_curl *
ck_curl_load(void)
{
	(void)pthread_once(&once, load);
	if (!loaded_ok) {
		ck_error_as(CK_ERR_INTERNAL, "%s", failure);
		return NULL;
	}
	return &loaded;
}
