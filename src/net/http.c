/*
 * net/http.c: the HTTPS transport for ACME (see net/http.h), on one libcurl easy
 * handle kept for the whole run so that its connection cache lets one TLS
 * session serve every request.
 *
 * What a response is read into (the body, the headers kept, the Link list,
 * each capped) is response.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "certkeeper/net/http.h"
#include "certkeeper/net/tls.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"
#include "curl.h"
#include "internal.h"

#ifdef PACKAGE_VERSION
#define CK_VERSION PACKAGE_VERSION
#else
#define CK_VERSION "0.1.0"
#endif


struct ck_http {
	CURLM *multi;		/* runs each transfer, so that a stop request can cut it short */
	CURL *curl;
	struct curl_slist *post_headers;
	struct curl_slist *req_headers;	/* a request's own Content-Type, until the next one */
	const struct ck_tls_identity *identity;	/* client certificate, or NULL */
	const char *cause;		/* words for the last transport failure, or NULL */
	char errbuf[CURL_ERROR_SIZE];
	long connect_secs, total_secs;	/* the limits set, named when one is reached */
	unsigned nrequests;
	unsigned nconnects;
	unsigned ntls[CK_TLS_NFAILURES];	/* TLS failures by reason */
};

/* libcurl's calls (net/curl.h), set by the first ck_http_new: every other function has an h. */
static const struct ck_curl *cu;

/*
 * Names the option in the error.  Through the table, curl's own type checks
 * of the value do not apply: each value is cast to the documented type.
 */
#define SETOPT(h, opt, val) setopt_check(cu->easy_setopt((h), opt, val), #opt)

/* Reports a failed curl_easy_setopt; returns 0 for CURLE_OK, else -1. */
static int
setopt_check(CURLcode code, const char *name)
{
	if (code == CURLE_OK)
		return 0;
	ck_error("curl_easy_setopt(%s): %s", name, cu->easy_strerror(code));
	return -1;
}

int
ck_http_new(const char *ca_bundle, struct ck_http **out)
{
	struct ck_http *h = NULL;
	int fd, rc = -1;

	*out = NULL;
	if (cu == NULL && (cu = ck_curl_load()) == NULL)
		goto out;
	/* curl would only say "problem with the SSL CA cert" at the first request. */
	if (ca_bundle != NULL) {
		if ((fd = open(ca_bundle, O_RDONLY | O_CLOEXEC)) < 0) {
			ck_error_errno("CA bundle %s", ca_bundle);
			goto out;
		}
		close(fd);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		ck_error("out of memory creating the HTTP client");
		goto out;
	}
	if ((h->curl = cu->easy_init()) == NULL || (h->multi = cu->multi_init()) == NULL) {
		ck_error("curl_easy_init or curl_multi_init failed");
		goto out;
	}
	if ((h->post_headers = cu->slist_append(NULL,
	    "Content-Type: application/jose+json")) == NULL) {
		ck_error("curl_slist_append: out of memory");
		goto out;
	}
	/* An empty Expect stops curl waiting for a 100-continue before sending large bodies. */
	if ((h->post_headers = cu->slist_append(h->post_headers, "Expect:")) == NULL) {
		ck_error("curl_slist_append: out of memory");
		goto out;
	}
	if (SETOPT(h->curl, CURLOPT_ERRORBUFFER, h->errbuf) < 0 ||
	    SETOPT(h->curl, CURLOPT_NOSIGNAL, 1L) < 0 ||
	    SETOPT(h->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) < 0 ||
	    SETOPT(h->curl, CURLOPT_SSL_VERIFYPEER, 1L) < 0 ||
	    SETOPT(h->curl, CURLOPT_SSL_VERIFYHOST, 2L) < 0 ||
	    (ca_bundle != NULL && SETOPT(h->curl, CURLOPT_CAINFO, ca_bundle) < 0) ||
	    SETOPT(h->curl, CURLOPT_PROTOCOLS_STR, "https") < 0 ||
	    SETOPT(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") < 0 ||
	    SETOPT(h->curl, CURLOPT_FOLLOWLOCATION, 0L) < 0 ||
	    SETOPT(h->curl, CURLOPT_CONNECTTIMEOUT, (long)CK_HTTP_CONNECT_TIMEOUT) < 0 ||
	    SETOPT(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L) < 0 ||
	    SETOPT(h->curl, CURLOPT_LOW_SPEED_TIME, (long)CK_HTTP_TIMEOUT) < 0 ||
	    SETOPT(h->curl, CURLOPT_TIMEOUT, (long)CK_HTTP_TIMEOUT) < 0 ||
	    SETOPT(h->curl, CURLOPT_USERAGENT, "certkeeper/" CK_VERSION) < 0 ||
	    /*
	     * No proxy unless configured: libcurl would take one from the
	     * environment, and its no_proxy would override a configured one.
	     */
	    SETOPT(h->curl, CURLOPT_PROXY, "") < 0 ||
	    SETOPT(h->curl, CURLOPT_NOPROXY, "") < 0 ||
	    SETOPT(h->curl, CURLOPT_WRITEFUNCTION, ckn_write_cb) < 0 ||
	    SETOPT(h->curl, CURLOPT_HEADERFUNCTION, ckn_header_cb) < 0)
		goto out;
	h->connect_secs = CK_HTTP_CONNECT_TIMEOUT;
	h->total_secs = CK_HTTP_TIMEOUT;
	*out = h;
	h = NULL;
	rc = 0;
out:
	ck_http_free(h);
	return rc;
}

int
ck_http_set_pins(struct ck_http *h, const char *const *pins, size_t npins)
{
	char *list = NULL;
	size_t i, len = 1;
	int rc = -1;

	if (npins == 0)
		return 0;
	for (i = 0; i < npins; i++)
		len += strlen("sha256//;") + strlen(pins[i]);
	if ((list = malloc(len)) == NULL) {
		ck_error("out of memory setting the public key pins");
		return -1;
	}
	list[0] = '\0';
	for (i = 0; i < npins; i++) {
		if (i > 0)
			strcat(list, ";");
		strcat(list, "sha256//");
		strcat(list, pins[i]);
	}
	/* curl copies the string. */
	if (SETOPT(h->curl, CURLOPT_PINNEDPUBLICKEY, list) == 0)
		rc = 0;
	free(list);
	return rc;
}

int
ck_http_set_proxy(struct ck_http *h, const char *proxy)
{
	return SETOPT(h->curl, CURLOPT_PROXY, proxy != NULL ? proxy : "");
}

void
ck_http_free(struct ck_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		cu->easy_cleanup(h->curl);
	if (h->multi != NULL)
		cu->multi_cleanup(h->multi);
	cu->slist_free_all(h->post_headers);
	cu->slist_free_all(h->req_headers);
	free(h);
}

/* CURLOPT_SSL_CTX_FUNCTION: puts the client identity on each TLS context curl makes. */
static CURLcode
ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *arg)
{
	const struct ck_http *h = arg;

	if (h->identity != NULL && ck_tls_identity_apply(h->identity, ssl_ctx) != 0)
		return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

int
ck_http_set_identity(struct ck_http *h, const struct ck_tls_identity *id)
{
	h->identity = id;
	if (SETOPT(h->curl, CURLOPT_SSL_CTX_FUNCTION, id != NULL ? ssl_ctx_cb : NULL) < 0 ||
	    SETOPT(h->curl, CURLOPT_SSL_CTX_DATA, (void *)h) < 0)
		return -1;
	return 0;
}

int
ck_http_set_timeout(struct ck_http *h, long connect_secs, long secs)
{
	if (connect_secs < 1 || connect_secs > secs)
		connect_secs = secs;
	if (SETOPT(h->curl, CURLOPT_CONNECTTIMEOUT, connect_secs) < 0 ||
	    SETOPT(h->curl, CURLOPT_LOW_SPEED_TIME, secs) < 0 ||
	    SETOPT(h->curl, CURLOPT_TIMEOUT, secs) < 0)
		return -1;
	h->connect_secs = connect_secs;
	h->total_secs = secs;
	return 0;
}

const char *
ck_http_last_cause(const struct ck_http *h)
{
	return h->cause;
}

/* TLS failures towards the CA are told apart: a burst of them is how an interceptor shows. */
static enum ck_error_class
failure_class(CURLcode code)
{
	switch (code) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return CK_ERR_TLS;
	case CURLE_OUT_OF_MEMORY:
		return CK_ERR_INTERNAL;
	default:
		return CK_ERR_NETWORK;
	}
}

/*
 * The reason a failed transfer counts as a TLS failure towards the server,
 * or -1 when it is none (a network failure, a local TLS setting).
 */
static int
tls_failure(struct ck_http *h, CURLcode code)
{
	long verify = X509_V_OK;

	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (cu->easy_getinfo(h->curl, CURLINFO_SSL_VERIFYRESULT, &verify) != CURLE_OK)
			return CK_TLS_UNTRUSTED;
		switch (verify) {
		/*
		 * curl checks the host name itself once the chain verified, and
		 * then records no OpenSSL code (0), or 1 (curl 7.88 sets it so
		 * when its own name check fails).
		 */
		case X509_V_OK:
		case X509_V_ERR_UNSPECIFIED:
		case X509_V_ERR_HOSTNAME_MISMATCH:
		case X509_V_ERR_IP_ADDRESS_MISMATCH:
			return CK_TLS_HOSTNAME;
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
			return CK_TLS_EXPIRED;
		default:
			return CK_TLS_UNTRUSTED;
		}
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return CK_TLS_PINNED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return CK_TLS_HANDSHAKE;
	default:
		return -1;
	}
}

const char *
ck_tls_failure_name(enum ck_tls_failure f)
{
	static const char *const names[CK_TLS_NFAILURES] = {
		"handshake", "untrusted", "expired", "hostname", "pin"
	};

	return (unsigned)f < CK_TLS_NFAILURES ? names[f] : "";
}

unsigned
ck_http_tls_failure_count(const struct ck_http *h, enum ck_tls_failure f)
{
	return (unsigned)f < CK_TLS_NFAILURES ? h->ntls[f] : 0;
}

/*
 * Runs the prepared transfer on the multi handle, waking at least once a
 * second and at once when the stop descriptor becomes readable; a stop
 * request aborts the transfer (CURLE_ABORTED_BY_CALLBACK).  The multi
 * handle's connection cache keeps the one TLS connection across requests.
 */
static CURLcode
perform(struct ck_http *h)
{
	struct curl_waitfd stop = { ck_stop_fd(), CURL_WAIT_POLLIN, 0 };
	CURLcode result = CURLE_OK;
	CURLMcode mc;
	CURLMsg *msg;
	int running = 1, left;

	if ((mc = cu->multi_add_handle(h->multi, h->curl)) != CURLM_OK) {
		snprintf(h->errbuf, sizeof(h->errbuf), "curl_multi_add_handle: %s",
		    cu->multi_strerror(mc));
		return CURLE_FAILED_INIT;
	}
	while (running) {
		if (ck_stop_requested()) {
			result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if ((mc = cu->multi_perform(h->multi, &running)) != CURLM_OK)
			break;
		if (running && (mc = cu->multi_poll(h->multi, stop.fd >= 0 ? &stop : NULL,
		    stop.fd >= 0 ? 1 : 0, 1000, NULL)) != CURLM_OK)
			break;
	}
	if (mc != CURLM_OK) {
		snprintf(h->errbuf, sizeof(h->errbuf), "curl_multi: %s", cu->multi_strerror(mc));
		result = CURLE_FAILED_INIT;
	}
	if (result == CURLE_OK)
		while ((msg = cu->multi_info_read(h->multi, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == h->curl)
				result = msg->data.result;
	(void)cu->multi_remove_handle(h->multi, h->curl);
	return result;
}

/* The headers of a POST or PUT with content_type (NULL: ACME's), or NULL (reported). */
static struct curl_slist *
body_headers(struct ck_http *h, const char *content_type)
{
	char line[256];

	if (content_type == NULL)
		return h->post_headers;
	cu->slist_free_all(h->req_headers);
	snprintf(line, sizeof(line), "Content-Type: %s", content_type);
	if ((h->req_headers = cu->slist_append(NULL, line)) == NULL ||
	    cu->slist_append(h->req_headers, "Expect:") == NULL) {
		ck_error("curl_slist_append: out of memory");
		return NULL;
	}
	return h->req_headers;
}

/*
 * Sets the method options afresh, so that nothing of the previous request
 * (NOBODY, POST, a custom method) sticks.
 */
static int
set_method(struct ck_http *h, const char *method, const char *content_type, const char *body,
    size_t bodylen)
{
	struct curl_slist *hdrs;

	/* HTTPGET also clears NOBODY and any POST state. */
	if (SETOPT(h->curl, CURLOPT_HTTPGET, 1L) < 0 ||
	    SETOPT(h->curl, CURLOPT_CUSTOMREQUEST, (char *)NULL) < 0 ||
	    SETOPT(h->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL) < 0)
		return -1;
	if (strcmp(method, "GET") == 0)
		return 0;
	if (strcmp(method, "HEAD") == 0)
		return SETOPT(h->curl, CURLOPT_NOBODY, 1L);
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		if ((hdrs = body_headers(h, content_type)) == NULL)
			return -1;
		/* A PUT is a POST's body under another method name. */
		if (SETOPT(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen) < 0 ||
		    SETOPT(h->curl, CURLOPT_POSTFIELDS, body != NULL ? body : "") < 0 ||
		    SETOPT(h->curl, CURLOPT_HTTPHEADER, hdrs) < 0 ||
		    (method[1] == 'U' && SETOPT(h->curl, CURLOPT_CUSTOMREQUEST, "PUT") < 0))
			return -1;
		return 0;
	}
	ck_error("unsupported HTTP method %s", method);
	return -1;
}

int
ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp)
{
	return ck_http_send(h, method, url, NULL, body, bodylen, resp);
}

/* Words for a transport failure, for whoever must tell the operator why (a push). */
static const char *
failure_cause(const struct ck_http *h, CURLcode code)
{
	const char *words;

	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_COULDNT_CONNECT:
		return "could not connect (refused or unreachable)";
	case CURLE_COULDNT_RESOLVE_HOST:
		return "could not resolve the host name";
	case CURLE_PEER_FAILED_VERIFICATION:
		return ck_tls_failure_words(h->errbuf, 1);
	default:
		break;
	}
	if ((words = ck_tls_failure_words(h->errbuf, 0)) != NULL)
		return words;
	/*
	 * In TLS 1.3 a server that refuses the client certificate says so
	 * after the client's handshake is done: our request may meet the
	 * closed connection before its alert is read.
	 */
	if (h->identity != NULL && (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR))
		return "the server closed the connection after the handshake (did it refuse our "
		    "client certificate?)";
	return NULL;
}

int
ck_http_send(struct ck_http *h, const char *method, const char *url, const char *content_type,
    const char *body, size_t bodylen, struct ck_http_resp *resp)
{
	struct xfer x;
	char safeurl[512], safeerr[CURL_ERROR_SIZE], limits[96] = "";
	CURLcode code;
	long status = 0, nconn = 0;
	int reason, rc = -1;

	memset(resp, 0, sizeof(*resp));
	memset(&x, 0, sizeof(x));
	x.resp = resp;
	/* The URL may come from the server: make it safe before it is printed. */
	ck_sanitize(safeurl, sizeof(safeurl), url, strlen(url));
	h->errbuf[0] = '\0';
	h->cause = NULL;
	if (set_method(h, method, content_type, body, bodylen) < 0 ||
	    SETOPT(h->curl, CURLOPT_URL, url) < 0 ||
	    SETOPT(h->curl, CURLOPT_WRITEDATA, &x) < 0 ||
	    SETOPT(h->curl, CURLOPT_HEADERDATA, &x) < 0)
		goto out;
	h->nrequests++;
	code = perform(h);
	if (cu->easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK && nconn > 0)
		h->nconnects += (unsigned)nconn;
	if (x.body_too_big) {
		ck_error("response from %s exceeds %d MiB", safeurl, CK_HTTP_MAX_BODY / (1024 * 1024));
		goto out;
	}
	if (x.long_header != NULL) {
		ck_error("%s header from %s exceeds %d bytes", x.long_header, safeurl, HDR_MAX);
		goto out;
	}
	if (x.nomem) {
		ck_error("out of memory reading the response from %s", safeurl);
		goto out;
	}
	if (code == CURLE_ABORTED_BY_CALLBACK && ck_stop_requested()) {
		ck_error_as(CK_ERR_INTERRUPTED, "%s %s: stopped by a stop request", method, safeurl);
		goto out;
	}
	if (code != CURLE_OK) {
		if ((reason = tls_failure(h, code)) >= 0)
			h->ntls[reason]++;
		h->cause = failure_cause(h, code);
		ck_sanitize(safeerr, sizeof(safeerr), h->errbuf, strlen(h->errbuf));
		if (code == CURLE_OPERATION_TIMEDOUT)
			snprintf(limits, sizeof(limits), " (limits: connection %lds, request %lds)",
			    h->connect_secs, h->total_secs);
		ck_error_as(failure_class(code), "%s: curl_easy_perform: %s%s%s%s", safeurl,
		    cu->easy_strerror(code), safeerr[0] ? ": " : "", safeerr, limits);
		goto out;
	}
	if ((code = cu->easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status)) != CURLE_OK) {
		ck_error("%s: curl_easy_getinfo(CURLINFO_RESPONSE_CODE): %s", safeurl,
		    cu->easy_strerror(code));
		goto out;
	}
	resp->status = status;
	if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL) {
		ck_error("out of memory reading the response from %s", safeurl);
		goto out;
	}
	ck_debug("%s %s: %ld, %zu bytes", method, safeurl, status, resp->len);
	rc = 0;
out:
	/*
	 * Drop the pointers into this call's stack and the caller's body; setting
	 * a pointer option to NULL cannot fail, and each request sets them again.
	 */
	(void)cu->easy_setopt(h->curl, CURLOPT_WRITEDATA, (void *)NULL);
	(void)cu->easy_setopt(h->curl, CURLOPT_HEADERDATA, (void *)NULL);
	(void)cu->easy_setopt(h->curl, CURLOPT_POSTFIELDS, (char *)NULL);
	return rc;
}

unsigned
ck_http_request_count(const struct ck_http *h)
{
	return h->nrequests;
}

unsigned
ck_http_connect_count(const struct ck_http *h)
{
	return h->nconnects;
}
