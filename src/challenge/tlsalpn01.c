/*
 * challenge/tlsalpn01.c: the tls-alpn-01 responder (see challenge/tlsalpn01.h), on OpenSSL.
 *
 * The responder thread polls the listening sockets, a wake pipe (the last
 * cleanup) and the stop descriptor, and serves one connection at a time
 * with a bounded handshake.  The main thread adds and removes entries of
 * the table (SNI name -> certificate) under a mutex; the SSL callbacks,
 * run in the responder thread, read it under the same mutex.  Refusals:
 * no ALPN at all (client hello callback), an SNI not in the table
 * (servername callback), an ALPN list without acme-tls/1 (ALPN callback).
 */
#define _GNU_SOURCE 1	/* pipe2, accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certkeeper/challenge/tlsalpn01.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/ip.h"
#include "certkeeper/util/limits.h"
#include "certkeeper/util/log.h"

#define MAX_ENTRIES	CK_MAX_IDENTIFIERS
#define HANDSHAKE_SECS	10	/* a client that stalls is dropped after this */
#define CERT_DAYS	7	/* a validation certificate's lifetime (it lives minutes) */

struct entry {
	char *sni;	/* lower case */
	char *token;	/* what cleanup names it by */
	X509 *cert;
};

struct tlsalpn {
	struct ck_solver solver;
	int port;
	/* Set while running (npresented > 0). */
	EVP_PKEY *key;		/* throwaway, for the validation certificates */
	SSL_CTX *ctx;
	int lfd[2];
	size_t nlfd;
	int wake[2];		/* written to stop the thread */
	pthread_t thread;
	int running;
	pthread_mutex_t lock;	/* guards entries[] */
	struct entry entries[MAX_ENTRIES];
	unsigned npresented;
};

int
ck_tlsalpn01_ext_value(const char *key_authorization, unsigned char out[CK_TLSALPN01_EXT_LEN])
{
	unsigned int mdlen = 0;

	out[0] = V_ASN1_OCTET_STRING;
	out[1] = 32;
	if (EVP_Digest(key_authorization, strlen(key_authorization), out + 2, &mdlen,
	    EVP_sha256(), NULL) != 1 || mdlen != 32) {
		ck_error_ssl("tls-alpn-01: EVP_Digest (SHA-256 of the key authorization)");
		return -1;
	}
	return 0;
}

int
ck_tlsalpn01_sni(const char *id_type, const char *identifier, char *buf, size_t len)
{
	size_t i;

	if (strcmp(id_type, "ip") == 0)
		return ck_ip_reverse_name(identifier, buf, len);
	if (strlen(identifier) >= len)
		return -1;
	for (i = 0; identifier[i] != '\0'; i++)
		buf[i] = (char)((identifier[i] >= 'A' && identifier[i] <= 'Z') ?
		    identifier[i] - 'A' + 'a' : identifier[i]);
	buf[i] = '\0';
	return 0;
}

/* Adds the only subjectAltName: dNSName or iPAddress identifier. */
static int
add_san(X509 *x, const char *id_type, const char *identifier)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *gen = NULL;
	ASN1_OCTET_STRING *v = NULL;
	unsigned char bin[16];
	size_t n;
	int rc = -1;

	if ((gens = GENERAL_NAMES_new()) == NULL || (gen = GENERAL_NAME_new()) == NULL ||
	    (v = ASN1_OCTET_STRING_new()) == NULL) {
		ck_error_ssl("tls-alpn-01: GENERAL_NAME_new");
		goto out;
	}
	if (strcmp(id_type, "ip") == 0) {
		if ((n = ck_ip_parse(identifier, bin)) == 0) {
			ck_error("tls-alpn-01: %s is not an IP address", identifier);
			goto out;
		}
		if (ASN1_OCTET_STRING_set(v, bin, (int)n) != 1)
			goto ssl;
		GENERAL_NAME_set0_value(gen, GEN_IPADD, v);
	} else {
		if (ASN1_STRING_set(v, identifier, -1) != 1)
			goto ssl;
		/* An IA5String is an ASN1_STRING of another type tag: retag it. */
		v->type = V_ASN1_IA5STRING;
		GENERAL_NAME_set0_value(gen, GEN_DNS, v);
	}
	v = NULL;
	if (sk_GENERAL_NAME_push(gens, gen) <= 0)
		goto ssl;
	gen = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		goto ssl;
	rc = 0;
	goto out;
ssl:
	ck_error_ssl("tls-alpn-01: subjectAltName for %s", identifier);
out:
	ASN1_OCTET_STRING_free(v);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Adds the critical acmeIdentifier extension for key_authorization. */
static int
add_acme_identifier(X509 *x, const char *key_authorization)
{
	unsigned char val[CK_TLSALPN01_EXT_LEN];
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	int rc = -1;

	if (ck_tlsalpn01_ext_value(key_authorization, val) != 0)
		return -1;
	if ((obj = OBJ_txt2obj(CK_TLSALPN01_OID, 1)) == NULL || (os = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(os, val, sizeof(val)) != 1 ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1) {
		ck_error_ssl("tls-alpn-01: acmeIdentifier extension");
		goto out;
	}
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

int
ck_tlsalpn01_cert(EVP_PKEY *key, const char *id_type, const char *identifier,
    const char *key_authorization, X509 **out)
{
	X509 *x = NULL;
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int rc = -1;

	*out = NULL;
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1) {
		ck_error_ssl("tls-alpn-01: X509_new");
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		ck_error_ssl("tls-alpn-01: RAND_bytes");
		goto out;
	}
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) == NULL ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"certkeeper tls-alpn-01", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1) {
		ck_error_ssl("tls-alpn-01: building the certificate for %s", identifier);
		goto out;
	}
	if (add_san(x, id_type, identifier) != 0 || add_acme_identifier(x, key_authorization) != 0)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		ck_error_ssl("tls-alpn-01: X509_sign");
		goto out;
	}
	*out = x;
	x = NULL;
	rc = 0;
out:
	BN_free(bn);
	X509_free(x);
	return rc;
}

/* --- the SSL callbacks (responder thread) -------------------------------- */

/* No ALPN extension at all: refused before anything else. */
static int
hello_cb(SSL *ssl, int *al, void *arg)
{
	const unsigned char *p;
	size_t n;

	(void)arg;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation,
	    &p, &n) != 1) {
		ck_debug("tls-alpn-01 responder: refused a handshake without ALPN");
		*al = SSL_AD_NO_APPLICATION_PROTOCOL;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* The SNI must be a name being validated: its certificate and the throwaway key are used. */
static int
servername_cb(SSL *ssl, int *al, void *arg)
{
	struct tlsalpn *t = arg;
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	char safe[128];
	size_t i;
	int ok = 0;

	if (sni != NULL && pthread_mutex_lock(&t->lock) == 0) {
		for (i = 0; i < MAX_ENTRIES && !ok; i++)
			if (t->entries[i].sni != NULL && strcasecmp(t->entries[i].sni, sni) == 0)
				ok = SSL_use_certificate(ssl, t->entries[i].cert) == 1 &&
				    SSL_use_PrivateKey(ssl, t->key) == 1;
		(void)pthread_mutex_unlock(&t->lock);
	}
	if (!ok) {
		ck_sanitize(safe, sizeof(safe), sni != NULL ? sni : "(none)", SIZE_MAX);
		ck_debug("tls-alpn-01 responder: refused SNI %s", safe);
		*al = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* ALPN: acme-tls/1, or the handshake fails with no_application_protocol. */
static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned int inlen, void *arg)
{
	static const char proto[] = CK_TLSALPN01_PROTO;
	unsigned int i;

	(void)ssl;
	(void)arg;
	for (i = 0; i < inlen; i += 1u + in[i])
		if (in[i] == sizeof(proto) - 1 && i + 1u + in[i] <= inlen &&
		    memcmp(in + i + 1, proto, sizeof(proto) - 1) == 0) {
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	ck_debug("tls-alpn-01 responder: refused a handshake without ALPN " CK_TLSALPN01_PROTO);
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* --- the responder thread ------------------------------------------------ */

/* One connection: a bounded handshake, then close; nothing is read or written after it. */
static void
serve(struct tlsalpn *t, int fd)
{
	struct timeval tv = { HANDSHAKE_SECS, 0 };
	unsigned long e;
	char why[256];
	SSL *ssl = NULL;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    (ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		ck_debug("tls-alpn-01 responder: cannot set up a connection");
		goto out;
	}
	if (SSL_accept(ssl) == 1) {
		ck_debug("tls-alpn-01 responder: answered %s", SSL_get_servername(ssl,
		    TLSEXT_NAMETYPE_host_name) != NULL ? "a validation" : "a handshake");
		(void)SSL_shutdown(ssl);
	} else {
		e = ERR_get_error();
		ERR_error_string_n(e, why, sizeof(why));
		ck_debug("tls-alpn-01 responder: handshake refused or failed: %s",
		    e != 0 ? why : "connection closed");
	}
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
}

static void *
responder(void *arg)
{
	struct tlsalpn *t = arg;
	struct pollfd pfd[4];
	size_t i, n;
	int fd;

	for (;;) {
		n = 0;
		pfd[n].fd = t->wake[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = ck_stop_fd();	/* -1 (ignored by poll) before ck_stop_install */
		pfd[n++].events = POLLIN;
		for (i = 0; i < t->nlfd; i++) {
			pfd[n].fd = t->lfd[i];
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			ck_warn("tls-alpn-01 responder: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents != 0 || pfd[1].revents != 0)
			break;
		for (i = 2; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
				serve(t, fd);
		}
	}
	return NULL;
}

/* --- starting and stopping ---------------------------------------------- */

/* Opens a listening socket on port for family; the fd, or -1 with errno. */
static int
listen_on(int family, int port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int fd, one = 1, zero = 0, e;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	if (family == AF_INET6) {
		/* One socket for both families where the system allows it. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0)
			goto fail;
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)port);
		s6.sin6_addr = in6addr_any;
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) != 0)
			goto fail;
	} else {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)port);
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) != 0)
			goto fail;
	}
	if (listen(fd, 16) != 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Stops the thread and frees what start made. */
static void
stop(struct tlsalpn *t)
{
	size_t i;

	if (t->running) {
		(void)!write(t->wake[1], "x", 1);
		(void)pthread_join(t->thread, NULL);
		t->running = 0;
	}
	for (i = 0; i < t->nlfd; i++)
		close(t->lfd[i]);
	t->nlfd = 0;
	for (i = 0; i < 2; i++)
		if (t->wake[i] >= 0) {
			close(t->wake[i]);
			t->wake[i] = -1;
		}
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
	EVP_PKEY_free(t->key);
	t->key = NULL;
}

/* Makes the throwaway key and the TLS context, listens and starts the thread. */
static int
start(struct tlsalpn *t)
{
	sigset_t all, old;
	int fd, err;

	if ((t->key = EVP_EC_gen("P-256")) == NULL) {
		ck_error_ssl("tls-alpn-01 responder: EVP_EC_gen (throwaway key)");
		goto fail;
	}
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		ck_error_ssl("tls-alpn-01 responder: SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_client_hello_cb(t->ctx, hello_cb, t);
	SSL_CTX_set_tlsext_servername_callback(t->ctx, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(t->ctx, t);
	SSL_CTX_set_alpn_select_cb(t->ctx, alpn_cb, t);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	if ((fd = listen_on(AF_INET6, t->port)) < 0) {
		/* A machine without IPv6 still validates over IPv4. */
		ck_debug("tls-alpn-01 responder: IPv6 listen on port %d failed (%s); trying IPv4",
		    t->port, strerror(errno));
		fd = listen_on(AF_INET, t->port);
	}
	if (fd < 0) {
		ck_error_errno("tls-alpn-01 responder: cannot listen on port %d", t->port);
		goto fail;
	}
	t->lfd[t->nlfd++] = fd;
	if (pipe2(t->wake, O_CLOEXEC) != 0) {
		ck_error_errno("tls-alpn-01 responder: pipe2");
		goto fail;
	}
	/*
	 * The thread starts with every signal blocked: SIGPIPE from a client
	 * that hung up must not kill the agent, and SIGTERM is the main thread's.
	 */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&t->thread, NULL, responder, t);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		ck_error_errno("tls-alpn-01 responder: pthread_create");
		goto fail;
	}
	t->running = 1;
	ck_debug("tls-alpn-01 responder listening on port %d", t->port);
	return 0;
fail:
	stop(t);
	return -1;
}

/* --- the solver ---------------------------------------------------------- */

static int
tlsalpn_present(struct ck_solver *s, const struct ck_chall *c)
{
	struct tlsalpn *t = s->priv;
	char sni[256];
	X509 *cert = NULL;
	char *dsni = NULL, *dtok = NULL;
	size_t i, slot = MAX_ENTRIES;
	int started = 0, rc = -1;

	if (c->wildcard) {
		ck_error_as(CK_ERR_CONFIG, "tls-alpn-01 cannot validate wildcard *.%s (RFC 8737)",
		    c->identifier);
		return -1;
	}
	if (ck_tlsalpn01_sni(c->id_type, c->identifier, sni, sizeof(sni)) != 0) {
		ck_error_as(CK_ERR_CA, "tls-alpn-01: no SNI name for %s", c->identifier);
		return -1;
	}
	if (!t->running) {
		if (start(t) != 0)
			return -1;
		started = 1;
	}
	if (ck_tlsalpn01_cert(t->key, c->id_type, c->identifier, c->key_authorization, &cert) != 0)
		goto out;
	if ((dsni = strdup(sni)) == NULL || (dtok = strdup(c->token)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (pthread_mutex_lock(&t->lock) != 0) {
		ck_error_as(CK_ERR_INTERNAL, "tls-alpn-01 responder: pthread_mutex_lock failed");
		goto out;
	}
	for (i = 0; i < MAX_ENTRIES && slot == MAX_ENTRIES; i++)
		if (t->entries[i].sni == NULL)
			slot = i;
	if (slot < MAX_ENTRIES) {
		t->entries[slot].sni = dsni;
		t->entries[slot].token = dtok;
		t->entries[slot].cert = cert;
		dsni = dtok = NULL;
		cert = NULL;
	}
	(void)pthread_mutex_unlock(&t->lock);
	if (slot == MAX_ENTRIES) {
		ck_error_as(CK_ERR_INTERNAL, "tls-alpn-01 responder: %d challenges presented already",
		    MAX_ENTRIES);
		goto out;
	}
	t->npresented++;
	ck_debug("tls-alpn-01 responder: presenting %s (SNI %s)", c->identifier, sni);
	rc = 0;
out:
	X509_free(cert);
	free(dsni);
	free(dtok);
	if (rc != 0 && started && t->npresented == 0)
		stop(t);
	return rc;
}

static void
tlsalpn_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	struct tlsalpn *t = s->priv;
	size_t i;

	if (t->npresented == 0 || pthread_mutex_lock(&t->lock) != 0)
		return;
	for (i = 0; i < MAX_ENTRIES; i++)
		if (t->entries[i].token != NULL && strcmp(t->entries[i].token, c->token) == 0) {
			free(t->entries[i].sni);
			free(t->entries[i].token);
			X509_free(t->entries[i].cert);
			memset(&t->entries[i], 0, sizeof(t->entries[i]));
			break;
		}
	(void)pthread_mutex_unlock(&t->lock);
	if (i < MAX_ENTRIES && --t->npresented == 0) {
		stop(t);
		ck_debug("tls-alpn-01 responder on port %d stopped", t->port);
	}
}

static void
tlsalpn_destroy(struct ck_solver *s)
{
	struct tlsalpn *t = s->priv;
	size_t i;

	stop(t);
	for (i = 0; i < MAX_ENTRIES; i++) {
		free(t->entries[i].sni);
		free(t->entries[i].token);
		X509_free(t->entries[i].cert);
	}
	(void)pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct ck_solver_ops tlsalpn_ops = {
	tlsalpn_present, NULL, tlsalpn_cleanup, tlsalpn_destroy
};

int
ck_tlsalpn01_solver_new(int port, struct ck_solver **out)
{
	struct tlsalpn *t;

	*out = NULL;
	if (port < 1 || port > 65535) {
		ck_error_as(CK_ERR_CONFIG, "tls-alpn-01 responder: invalid port %d", port);
		return -1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		ck_error_as(CK_ERR_INTERNAL, "out of memory creating the tls-alpn-01 solver");
		return -1;
	}
	t->port = port;
	t->wake[0] = t->wake[1] = -1;
	t->solver.ops = &tlsalpn_ops;
	t->solver.type = "tls-alpn-01";
	t->solver.priv = t;
	*out = &t->solver;
	return 0;
}
