/*
 * net/curl.c: libcurl opened on first use (see net/curl.h), by the soname
 * its package installs; each call looked up by its name, once, under
 * pthread_once, and curl_global_init run there too (it is not thread-safe).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "certkeeper/util/dl.h"
#include "certkeeper/util/log.h"
#include "curl.h"

#define LIBCURL "libcurl.so.4"
#define LIBCURL_PACKAGE "libcurl4"

#define SYM(member) { "curl_" #member, offsetof(struct ck_curl, member) }
static const struct ck_dl_sym syms[] = {
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
	const char *why, *missing;
	CURLcode code;
	void *h;

	if ((h = ck_dl_open(LIBCURL, &why)) == NULL) {
		snprintf(failure, sizeof(failure), "cannot load %s (%s): install %s", LIBCURL, why,
		    LIBCURL_PACKAGE);
		return;
	}
	if ((missing = ck_dl_fill(h, syms, sizeof(syms) / sizeof(syms[0]), &loaded)) != NULL) {
		snprintf(failure, sizeof(failure), "%s has no %s (certkeeper needs "
		    "libcurl 7.85 or later)", LIBCURL, missing);
		return;
	}
	if ((code = loaded.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(failure, sizeof(failure), "curl_global_init: %s",
		    loaded.easy_strerror(code));
		return;
	}
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
