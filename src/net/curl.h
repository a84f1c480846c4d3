/*
 * net/curl.h: the libcurl calls the network code makes (net/http.c,
 * net/response.c), through a table filled the first time a connection to
 * the CA or the fleet is made (dlopen).  libcurl brings 26 libraries
 * (nghttp2, libssh2, krb5, gnutls for librtmp, ...): about 4 MiB of
 * resident memory for a process that only maps them.  Opened on need, the
 * resident agent, whose passes run in a child (cli/run.c), never has them,
 * and a pass that makes no request never loads them.  Not for use outside
 * src/net/.
 */
#ifndef CERTKEEPER_NET_CURL_H
#define CERTKEEPER_NET_CURL_H

#include <curl/curl.h>

/*
 * Each member points to the function of the same name (curl_easy_setopt:
 * easy_setopt).  The variadic ones take what the function does, unchecked
 * by curl's type-checking macros: each call site passes the documented
 * type (long, char *, a callback).
 */
struct ck_curl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *h);
	CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_perform)(CURLM *m, int *running);
	CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd extra[], unsigned int n,
	    int timeout_ms, int *numfds);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	const char *(*multi_strerror)(CURLMcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	time_t (*getdate)(const char *s, const time_t *unused);
};

/*
 * The table, libcurl opened and curl_global_init run on the first call
 * (thread-safe); NULL when it cannot be opened, lacks a call or does not
 * initialize (reported, CK_ERR_INTERNAL, naming the library and its Debian
 * package).
 */
const struct ck_curl *ck_curl_load(void);

#endif
