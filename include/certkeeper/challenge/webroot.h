/*
 * challenge/webroot.h: http-01 (RFC 8555 8.3) through the device's own web
 * server, which owns port 80 and serves DIR: the key authorization of a
 * token goes to DIR/.well-known/acme-challenge/TOKEN (mode 0644, written
 * atomically, the two directories created 0755 if missing) and is removed
 * after the validation, whatever its outcome.
 */
#ifndef CERTKEEPER_CHALLENGE_WEBROOT_H
#define CERTKEEPER_CHALLENGE_WEBROOT_H

#include "certkeeper/challenge/solver.h"

#define CK_WEBROOT_SUBDIR ".well-known/acme-challenge"

/* The solver writing under dir (an absolute path, copied). */
int ck_webroot_solver_new(const char *dir, struct ck_solver **out);

/* Non-zero when token is 1..256 base64url characters: the only names a token file may take. */
int ck_webroot_token_ok(const char *token);

#endif
