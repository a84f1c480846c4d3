/*
 * net/http.h: HTTPS transport for ACME, on one libcurl handle per run so that
 * one TLS connection serves every request.
 *
 * https only, TLS 1.2 or newer, ca_bundle honoured, optional public key pins
 * and an explicit proxy (never one from the environment), connect / low-speed /
 * total timeouts, every response body capped at CK_HTTP_MAX_BODY.  A stop
 * request (util/clock.h) aborts a transfer in flight at once.  Failures
 * are reported with their class: network, TLS, or interrupted.  No private
 * key ever passes through here.
 */
#ifndef CERTKEEPER_NET_HTTP_H
#define CERTKEEPER_NET_HTTP_H

#include <stddef.h>
#include <time.h>

#define CK_HTTP_MAX_BODY (1024 * 1024)
/* Seconds one request may take in all, and its connection (and TLS handshake) at most. */
#define CK_HTTP_TIMEOUT 30
#define CK_HTTP_CONNECT_TIMEOUT 10
#define CK_HTTP_MAX_LINKS 8

struct ck_http;

struct ck_http_link {
	char *url;		/* target, as sent (relative URLs are left as they are) */
	char *rel;		/* value of rel, e.g. "up", "alternate", "index" */
};

struct ck_http_resp {
	long status;		/* HTTP status code */
	char *body;		/* NUL-terminated (may be empty, never NULL after success) */
	size_t len;
	char *content_type;	/* header values, NULL when absent */
	char *location;
	char *nonce;		/* Replay-Nonce */
	char *retry_after;
	struct ck_http_link links[CK_HTTP_MAX_LINKS];
	size_t nlinks;
};

/* ca_bundle: PEM file of trusted roots, or NULL for the system store. */
int ck_http_new(const char *ca_bundle, struct ck_http **out);
void ck_http_free(struct ck_http *h);

/*
 * Accepts only a server whose public key's SHA-256 (of its DER
 * SubjectPublicKeyInfo, base64, as `openssl pkey -pubout -outform DER |
 * openssl dgst -sha256 -binary | base64` gives) is one of pins (npins of
 * them; 0: no pinning), on top of the usual verification.  A server with
 * another key fails its handshake (CK_TLS_PINNED).  Returns 0 or -1.
 */
int ck_http_set_pins(struct ck_http *h, const char *const *pins, size_t npins);

/*
 * Sends every request through proxy (http://HOST:PORT or https://...; a
 * CONNECT tunnel, so TLS stays end to end); NULL: none.  Without it no
 * proxy is used: http_proxy, https_proxy, ALL_PROXY and no_proxy in the
 * environment are ignored, since a device's agent must not be steered by
 * them.
 */
int ck_http_set_proxy(struct ck_http *h, const char *proxy);

/*
 * Sends one request.  method is "GET", "HEAD" or "POST" (body with
 * Content-Type: application/jose+json).  Returns 0 when any HTTP response
 * arrived (whatever its status), -1 on transport failure (reported with
 * curl's decoded error and the URL).  Fills *resp; free with
 * ck_http_resp_free even on failure.
 */
int ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp);
void ck_http_resp_free(struct ck_http_resp *resp);

/*
 * Why a TLS connection to the server failed, as the metrics count it
 * (certkeeper_ca_tls_failures_total{reason}): a burst of them is how an
 * interceptor on the device's network shows up.  A local problem (an
 * unreadable ca_bundle) is not one of them.
 */
enum ck_tls_failure {
	CK_TLS_HANDSHAKE,	/* "handshake": refused protocol or cipher, an alert, cut off */
	CK_TLS_UNTRUSTED,	/* "untrusted": the server's certificate chains to no trusted root */
	CK_TLS_EXPIRED,		/* "expired": ... is outside its validity */
	CK_TLS_HOSTNAME,	/* "hostname": ... is not for the host of the URL */
	CK_TLS_PINNED,		/* "pin": ... carries a key that is not pinned */
	CK_TLS_NFAILURES
};

/* "handshake", "untrusted", "expired", "hostname", "pin". */
const char *ck_tls_failure_name(enum ck_tls_failure f);
/* TLS failures of reason f so far. */
unsigned ck_http_tls_failure_count(const struct ck_http *h, enum ck_tls_failure f);

/*
 * Same as ck_http_request, for any content: method is also "PUT"; the body of a POST or PUT
 * goes with "Content-Type: content_type" (NULL: application/jose+json).
 */
int ck_http_send(struct ck_http *h, const char *method, const char *url,
    const char *content_type, const char *body, size_t bodylen, struct ck_http_resp *resp);

struct ck_tls_identity;
/*
 * Authenticates every later TLS connection of h with id (net/tls.h; NULL:
 * none), which must outlive h.  Returns 0, or -1 (reported).
 */
int ck_http_set_identity(struct ck_http *h, const struct ck_tls_identity *id);
/*
 * Bounds a whole request to secs, and its connection (TCP and the TLS
 * handshake) to connect_secs; a connect_secs outside 1..secs means secs.
 */
int ck_http_set_timeout(struct ck_http *h, long connect_secs, long secs);
/*
 * Words for the cause of the last transport failure ("timed out", "the
 * server refused our client certificate", ...), or NULL when none fits or
 * the last request did not fail in transport.
 */
const char *ck_http_last_cause(const struct ck_http *h);

/* Number of requests and new TLS connections so far (for -v and the benchmark). */
unsigned ck_http_request_count(const struct ck_http *h);
unsigned ck_http_connect_count(const struct ck_http *h);

/*
 * Parses a Retry-After value (delta-seconds or HTTP-date) relative to now.
 * Returns seconds to wait (>= 0), or -1 if absent/unparseable.
 */
long ck_http_retry_after(const char *value, time_t now);

#endif
