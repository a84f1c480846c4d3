/*
 * net/internal.h: what the transport (http.c) and the response reader
 * (response.c) share; private to src/net/, never installed.
 */
#ifndef CERTKEEPER_NET_INTERNAL_H
#define CERTKEEPER_NET_INTERNAL_H

#include <stddef.h>

#include "certkeeper/net/http.h"

/* Longest header value we keep; nonces and URLs are far shorter. */
#define HDR_MAX 4096

/* What the callbacks of one transfer share; overflow flags say why a callback stopped curl. */
struct xfer {
	struct ck_http_resp *resp;
	size_t cap;		/* bytes allocated for resp->body */
	int body_too_big;
	const char *long_header;	/* name of the header that was over HDR_MAX */
	int nomem;
};

/*
 * libcurl's CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION for one
 * transfer (arg: its struct xfer): the body appended up to
 * CK_HTTP_MAX_BODY, the headers ACME needs kept (each up to HDR_MAX, the
 * Link list up to CK_HTTP_MAX_LINKS); a short count, with the reason in
 * the xfer, makes curl abort.
 */
size_t ckn_write_cb(char *data, size_t size, size_t nmemb, void *arg);
size_t ckn_header_cb(char *data, size_t size, size_t nmemb, void *arg);

#endif
