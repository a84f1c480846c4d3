/*
 * challenge/mhd.c: libmicrohttpd opened on first use (see challenge/mhd.h),
 * by the soname its package installs; each call looked up by its name,
 * once, under pthread_once.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "certkeeper/util/dl.h"
#include "certkeeper/util/log.h"
#include "mhd.h"

#define LIBMHD "libmicrohttpd.so.12"
#define LIBMHD_PACKAGE "libmicrohttpd12"

#define SYM(member) { "MHD_" #member, offsetof(struct ck_mhd, member) }
static const struct ck_dl_sym syms[] = {
	SYM(start_daemon), SYM(stop_daemon), SYM(create_response_from_buffer),
	SYM(add_response_header), SYM(queue_response), SYM(destroy_response),
};
#undef SYM

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ck_mhd loaded;
static int loaded_ok;
static char failure[512];

static void
load(void)
{
	const char *why, *missing;
	void *h;

	if ((h = ck_dl_open(LIBMHD, &why)) == NULL) {
		snprintf(failure, sizeof(failure), "cannot load %s (%s) for the http-01 responder: "
		    "install %s", LIBMHD, why, LIBMHD_PACKAGE);
		return;
	}
	if ((missing = ck_dl_fill(h, syms, sizeof(syms) / sizeof(syms[0]), &loaded)) != NULL) {
		snprintf(failure, sizeof(failure), "%s has no %s (certkeeper needs "
		    "libmicrohttpd 0.9.70 or later)", LIBMHD, missing);
		return;
	}
	loaded_ok = 1;
}

const struct ck_mhd *
ck_mhd_load(void)
{
	(void)pthread_once(&once, load);
	if (!loaded_ok) {
		ck_error_as(CK_ERR_INTERNAL, "%s", failure);
		return NULL;
	}
	return &loaded;
}
