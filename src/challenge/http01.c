/*
 * challenge/http01.c: the built-in http-01 responder (see challenge/http01.h) on libmicrohttpd.
 *
 * MHD answers from its own thread while the main thread publishes and
 * withdraws tokens, so the token table is guarded by a mutex and every
 * response body is copied out of it under that lock.
 *
 * The solver at the end wraps the responder: it starts listening at the
 * first token presented and stops when the last one is withdrawn, so the
 * port is open only while an authorization is pending.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "certkeeper/challenge/http01.h"
#include "certkeeper/util/limits.h"
#include "certkeeper/util/log.h"
#include "mhd.h"

#define CHALLENGE_PREFIX "/.well-known/acme-challenge/"
#define MAX_TOKENS CK_MAX_IDENTIFIERS
#define MAX_TOKEN_LEN 256
/* token "." base64url(SHA-256 thumbprint) fits with room to spare. */
#define MAX_KEYAUTH_LEN 512

struct token {
	char *token;
	char *keyauth;
};

struct ck_http01 {
	const struct ck_mhd *mhd;	/* libmicrohttpd's calls */
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;	/* guards tokens[] and lastlog */
	struct token tokens[MAX_TOKENS];
	char lastlog[256];	/* MHD's last message, the only reason it gives for a failed start */
};

static const char not_found[] = "not found\n";
static const char not_allowed[] = "method not allowed\n";

/* Returns 1 if s is 1..max characters of the base64url alphabet (plus extra, if not NUL), else 0. */
static int
valid_chars(const char *s, size_t max, char extra)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i == max)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || (extra != '\0' && c == extra)))
			return 0;
	}
	return i > 0;
}

/* MHD's logger: goes to the debug log, and is remembered for start failures. */
__attribute__((format(printf, 2, 0)))
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct ck_http01 *r = cls;
	char msg[256];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	ck_debug("http-01 responder: %s", msg);
	if (pthread_mutex_lock(&r->lock) == 0) {
		snprintf(r->lastlog, sizeof(r->lastlog), "%s", msg);
		(void)pthread_mutex_unlock(&r->lock);
	}
}

/* Queues a fixed body with the given status; returns MHD's verdict. */
static enum MHD_Result
reply_static(const struct ck_mhd *m, struct MHD_Connection *conn, unsigned status, const char *text,
    const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;

	/* MHD takes a non-const pointer but never writes through a PERSISTENT buffer. */
	if ((resp = m->create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT)) == NULL)
		return MHD_NO;
	if (m->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
	    (allow != NULL && m->add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES))
		goto out;
	ret = m->queue_response(conn, status, resp);
out:
	m->destroy_response(resp);
	return ret;
}

/* Builds the 200 response for a published token, or NULL if it is not published (or no memory). */
static struct MHD_Response *
lookup(struct ck_http01 *r, const char *token)
{
	struct MHD_Response *resp = NULL;
	size_t i;

	if (pthread_mutex_lock(&r->lock) != 0)
		return NULL;
	for (i = 0; i < MAX_TOKENS; i++)
		if (r->tokens[i].token != NULL && strcmp(r->tokens[i].token, token) == 0) {
			resp = r->mhd->create_response_from_buffer(strlen(r->tokens[i].keyauth),
			    r->tokens[i].keyauth, MHD_RESPMEM_MUST_COPY);
			break;
		}
	(void)pthread_mutex_unlock(&r->lock);
	return resp;
}

/* MHD's request handler: 405 at once, else 200 or 404 once the request is complete. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct ck_http01 *r = cls;
	struct MHD_Response *resp;
	const char *token;
	enum MHD_Result ret = MHD_NO;
	static int seen;	/* marks a connection's request as under way */

	/* Answering now, before any body is read, also makes MHD close the connection. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(r->mhd, conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, "GET, HEAD");
	/*
	 * MHD 0.9.75 closes a connection whose response was queued on the first
	 * call; waiting for the end of the request keeps it alive for the next.
	 */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) != 0)
		return reply_static(r->mhd, conn, MHD_HTTP_NOT_FOUND, not_found, NULL);
	token = url + strlen(CHALLENGE_PREFIX);
	if (!valid_chars(token, MAX_TOKEN_LEN, '\0') || (resp = lookup(r, token)) == NULL)
		return reply_static(r->mhd, conn, MHD_HTTP_NOT_FOUND, not_found, NULL);
	if (r->mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") == MHD_YES)
		ret = r->mhd->queue_response(conn, MHD_HTTP_OK, resp);
	r->mhd->destroy_response(resp);
	/* Not the token: telemetry and logs carry no token or key authorization. */
	ck_debug("http-01 responder: served a key authorization");
	return ret;
}

/*
 * Binds a throwaway IPv4 socket to port, so that the usual reasons MHD
 * would fail (port in use, privileged port) come with their errno in *err (0 if free).
 */
static void
probe_port(int port, int *err)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	*err = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	/* MHD sets SO_REUSEADDR too, so TIME_WAIT leftovers must not count as "in use". */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		*err = errno;
	close(fd);
}

/* Starts MHD with the given address-family flags; returns the daemon or NULL. */
static struct MHD_Daemon *
start_daemon(struct ck_http01 *r, int port, unsigned int family)
{
	return r->mhd->start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | family,
	    (uint16_t)port, NULL, NULL, handle, r,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, r,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)8,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
	    MHD_OPTION_END);
}

int
ck_http01_start(int port, struct ck_http01 **out)
{
	const struct ck_mhd *m;
	struct ck_http01 *r = NULL;
	int err, rc = -1;

	*out = NULL;
	if (port < 1 || port > 65535) {
		ck_error("http-01 responder: invalid port %d", port);
		return -1;
	}
	if ((m = ck_mhd_load()) == NULL)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ck_error("out of memory starting the http-01 responder");
		return -1;
	}
	if ((err = pthread_mutex_init(&r->lock, NULL)) != 0) {
		errno = err;
		ck_error_errno("http-01 responder: pthread_mutex_init");
		free(r);
		return -1;
	}
	r->mhd = m;
	/* MHD only logs why it failed; our own bind gives the errno for the usual causes. */
	probe_port(port, &err);
	if (err != 0) {
		ck_error("http-01 responder: cannot listen on port %d: %s", port, strerror(err));
		goto out;
	}
	if ((r->daemon = start_daemon(r, port, MHD_USE_DUAL_STACK)) == NULL) {
		/* A machine without IPv6 still validates over IPv4. */
		ck_debug("http-01 responder: dual-stack listen on port %d failed (%s); trying IPv4 only",
		    port, r->lastlog);
		r->daemon = start_daemon(r, port, 0);
	}
	if (r->daemon == NULL) {
		ck_error("http-01 responder: cannot listen on port %d: %s", port,
		    r->lastlog[0] ? r->lastlog : "MHD_start_daemon failed");
		goto out;
	}
	ck_debug("http-01 responder listening on port %d", port);
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) {
		(void)pthread_mutex_destroy(&r->lock);
		free(r);
	}
	return rc;
}

int
ck_http01_publish(struct ck_http01 *r, const char *token, const char *keyauth)
{
	char *t = NULL, *k = NULL;
	size_t i, slot = MAX_TOKENS;
	int err, rc = -1;

	if (!valid_chars(token, MAX_TOKEN_LEN, '\0')) {
		ck_error("http-01 responder: refusing token: not 1..%d base64url characters",
		    MAX_TOKEN_LEN);
		return -1;
	}
	if (!valid_chars(keyauth, MAX_KEYAUTH_LEN, '.')) {
		ck_error("http-01 responder: refusing key authorization for token %s: "
		    "not 1..%d base64url characters and dots", token, MAX_KEYAUTH_LEN);
		return -1;
	}
	if ((t = strdup(token)) == NULL || (k = strdup(keyauth)) == NULL) {
		ck_error("out of memory publishing http-01 token %s", token);
		goto out;
	}
	if ((err = pthread_mutex_lock(&r->lock)) != 0) {
		errno = err;
		ck_error_errno("http-01 responder: pthread_mutex_lock");
		goto out;
	}
	for (i = 0; i < MAX_TOKENS; i++) {
		if (r->tokens[i].token != NULL && strcmp(r->tokens[i].token, token) == 0) {
			slot = i;
			break;
		}
		if (r->tokens[i].token == NULL && slot == MAX_TOKENS)
			slot = i;
	}
	if (slot < MAX_TOKENS) {
		free(r->tokens[slot].token);
		free(r->tokens[slot].keyauth);
		r->tokens[slot].token = t;
		r->tokens[slot].keyauth = k;
		t = k = NULL;
	}
	(void)pthread_mutex_unlock(&r->lock);
	if (slot == MAX_TOKENS) {
		ck_error("http-01 responder: cannot publish token %s: %d tokens already published",
		    token, MAX_TOKENS);
		goto out;
	}
	rc = 0;
out:
	free(t);
	free(k);
	return rc;
}

void
ck_http01_withdraw(struct ck_http01 *r, const char *token)
{
	size_t i;

	if (r == NULL || pthread_mutex_lock(&r->lock) != 0)
		return;
	for (i = 0; i < MAX_TOKENS; i++)
		if (r->tokens[i].token != NULL && strcmp(r->tokens[i].token, token) == 0) {
			free(r->tokens[i].token);
			free(r->tokens[i].keyauth);
			r->tokens[i].token = r->tokens[i].keyauth = NULL;
		}
	(void)pthread_mutex_unlock(&r->lock);
}

void
ck_http01_stop(struct ck_http01 *r)
{
	size_t i;

	if (r == NULL)
		return;
	/* Joins MHD's thread, so nothing reads the table below any more. */
	if (r->daemon != NULL)
		r->mhd->stop_daemon(r->daemon);
	for (i = 0; i < MAX_TOKENS; i++) {
		free(r->tokens[i].token);
		free(r->tokens[i].keyauth);
	}
	(void)pthread_mutex_destroy(&r->lock);
	free(r);
}

/* --- the http-01 solver ------------------------------------------------- */

struct http01_solver {
	struct ck_solver solver;
	int port;
	struct ck_http01 *responder;	/* running while npresented > 0 */
	unsigned npresented;
};

static int
http01_present(struct ck_solver *s, const struct ck_chall *c)
{
	struct http01_solver *h = s->priv;

	if (h->responder == NULL && ck_http01_start(h->port, &h->responder) != 0)
		return -1;
	if (ck_http01_publish(h->responder, c->token, c->key_authorization) != 0) {
		if (h->npresented == 0) {
			ck_http01_stop(h->responder);
			h->responder = NULL;
		}
		return -1;
	}
	h->npresented++;
	return 0;
}

static void
http01_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	struct http01_solver *h = s->priv;

	if (h->responder == NULL || h->npresented == 0)
		return;
	ck_http01_withdraw(h->responder, c->token);
	if (--h->npresented == 0) {
		ck_http01_stop(h->responder);
		h->responder = NULL;
		ck_debug("http-01 responder on port %d stopped", h->port);
	}
}

static void
http01_destroy(struct ck_solver *s)
{
	struct http01_solver *h = s->priv;

	ck_http01_stop(h->responder);
	free(h);
}

static const struct ck_solver_ops http01_ops = {
	http01_present, NULL, http01_cleanup, http01_destroy
};

int
ck_http01_solver_new(int port, struct ck_solver **out)
{
	struct http01_solver *h;

	*out = NULL;
	if (port < 1 || port > 65535) {
		ck_error_as(CK_ERR_CONFIG, "http-01 responder: invalid port %d", port);
		return -1;
	}
	/* Its library now, so that a device without it fails before the CA is asked for anything. */
	if (ck_mhd_load() == NULL)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory creating the http-01 solver");
		return -1;
	}
	h->port = port;
	h->solver.ops = &http01_ops;
	h->solver.type = "http-01";
	h->solver.priv = h;
	*out = &h->solver;
	return 0;
}
