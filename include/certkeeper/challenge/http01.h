/*
 * challenge/http01.h: the built-in http-01 responder (RFC 8555 8.3), on libmicrohttpd.
 *
 * It serves GET /.well-known/acme-challenge/TOKEN with the key
 * authorization, only for tokens currently published, and 404 for
 * anything else.  It runs in its own thread while the ACME flow polls.
 */
#ifndef CERTKEEPER_CHALLENGE_HTTP01_H
#define CERTKEEPER_CHALLENGE_HTTP01_H

#include "certkeeper/challenge/solver.h"

struct ck_http01;

/* Listens on port (all addresses, IPv4 and IPv6 where available). */
int ck_http01_start(int port, struct ck_http01 **out);
/* Publishes token -> key authorization (copied). */
int ck_http01_publish(struct ck_http01 *r, const char *token, const char *keyauth);
/* Withdraws token (no error if absent). */
void ck_http01_withdraw(struct ck_http01 *r, const char *token);
/* Stops listening and frees (NULL is fine). */
void ck_http01_stop(struct ck_http01 *r);

/*
 * The http-01 solver: presents tokens through a responder on port, started
 * at the first token presented and stopped when the last one is cleaned up.
 */
int ck_http01_solver_new(int port, struct ck_solver **out);

#endif
