/*
 * challenge/webroot.c: http-01 token files for the device's web server
 * (see challenge/webroot.h).
 *
 * The token becomes a file name, so it must be base64url and nothing else
 * (no '/', no "..").  The directories are made 0755 explicitly, because
 * the agent runs under umask 077 and the web server is another user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certkeeper/challenge/webroot.h"
#include "certkeeper/store/file.h"
#include "certkeeper/util/log.h"

#define TOKEN_MAX	256
#define DIR_MODE	0755
#define FILE_MODE	0644

struct webroot {
	struct ck_solver solver;
	char *dir;
};

int
ck_webroot_token_ok(const char *token)
{
	size_t n = token != NULL ? strlen(token) : 0;

	return n > 0 && n <= TOKEN_MAX && strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* Makes path a directory readable by all if it is none yet; 0 or -1 (reported). */
static int
make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, DIR_MODE) == 0) {
		/* mkdir's mode went through the umask. */
		if (chmod(path, DIR_MODE) != 0) {
			ck_error_errno("webroot: chmod %s", path);
			return -1;
		}
		return 0;
	}
	if (errno != EEXIST) {
		ck_error_errno("webroot: mkdir %s", path);
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ck_error("webroot: %s exists and is not a directory", path);
		return -1;
	}
	return 0;
}

/* The token file's path (malloc'd), or NULL (reported). */
static char *
token_path(const struct webroot *w, const char *token)
{
	size_t len = strlen(w->dir) + 1 + strlen(CK_WEBROOT_SUBDIR) + 1 + strlen(token) + 1;
	char *path;

	if ((path = malloc(len)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	snprintf(path, len, "%s/%s/%s", w->dir, CK_WEBROOT_SUBDIR, token);
	return path;
}

static int
webroot_present(struct ck_solver *s, const struct ck_chall *c)
{
	struct webroot *w = s->priv;
	char *path = NULL, *sub = NULL, name[300];
	struct stat st;
	size_t len;
	int rc = -1;

	if (!ck_webroot_token_ok(c->token)) {
		ck_error_as(CK_ERR_CA, "webroot: refusing token for %s: not 1..%d base64url "
		    "characters", ck_chall_name(c, name, sizeof(name)), TOKEN_MAX);
		return -1;
	}
	if (stat(w->dir, &st) != 0) {
		ck_error_as(CK_ERR_CONFIG, "webroot: stat %s: %s", w->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		ck_error_as(CK_ERR_CONFIG, "webroot: %s is not a directory", w->dir);
		return -1;
	}
	len = strlen(w->dir) + 1 + strlen(CK_WEBROOT_SUBDIR) + 1;
	if ((sub = malloc(len)) == NULL || (path = token_path(w, c->token)) == NULL) {
		ck_error_as(CK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* DIR/.well-known, then DIR/.well-known/acme-challenge. */
	snprintf(sub, len, "%s/.well-known", w->dir);
	if (make_dir(sub) != 0)
		goto out;
	snprintf(sub, len, "%s/%s", w->dir, CK_WEBROOT_SUBDIR);
	if (make_dir(sub) != 0)
		goto out;
	/* Whole or absent for the web server; gone after the order, so not worth a wait for the disk. */
	if (ck_store_replace_file(path, c->key_authorization, strlen(c->key_authorization),
	    FILE_MODE) != 0)
		goto out;
	ck_debug("webroot: wrote %s", path);
	rc = 0;
out:
	free(path);
	free(sub);
	return rc;
}

static void
webroot_cleanup(struct ck_solver *s, const struct ck_chall *c)
{
	struct webroot *w = s->priv;
	char *path;

	if (!ck_webroot_token_ok(c->token) || (path = token_path(w, c->token)) == NULL)
		return;
	if (unlink(path) != 0 && errno != ENOENT)
		ck_warn("webroot: cannot remove %s: %s", path, strerror(errno));
	else
		ck_debug("webroot: removed %s", path);
	free(path);
}

static void
webroot_destroy(struct ck_solver *s)
{
	struct webroot *w = s->priv;

	free(w->dir);
	free(w);
}

static const struct ck_solver_ops webroot_ops = {
	webroot_present, NULL, webroot_cleanup, webroot_destroy
};

int
ck_webroot_solver_new(const char *dir, struct ck_solver **out)
{
	struct webroot *w;

	*out = NULL;
	if (dir == NULL || dir[0] != '/') {
		ck_error_as(CK_ERR_CONFIG, "webroot: not an absolute path");
		return -1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL || (w->dir = strdup(dir)) == NULL) {
		free(w);
		ck_error_as(CK_ERR_INTERNAL, "out of memory creating the webroot solver");
		return -1;
	}
	w->solver.ops = &webroot_ops;
	w->solver.type = "http-01";
	w->solver.priv = w;
	*out = &w->solver;
	return 0;
}
