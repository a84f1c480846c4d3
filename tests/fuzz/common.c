/*
 * tests/fuzz/common.c: the helpers of fuzz.h, and the scripted CA.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "certkeeper/keys/soft.h"
#include "certkeeper/net/http.h"
#include "certkeeper/util/log.h"
#include "net/internal.h"

/* The real transport, unused: --wrap sends every call to the script below. */
int __real_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp);
int __wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp);

void
ckfz_assert(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", file, line, what);
	abort();
}

static char tmpdir[64];

static void
rm_tmpdir(void)
{
	char cmd[128];

	if (tmpdir[0] != '\0' && getpid() > 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: cannot remove %s\n", tmpdir);
	}
}

void
ckfz_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	ck_log_set_level(CK_LOG_ERROR);
}

char *
ckfz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	CKFZ_ASSERT(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const char *
ckfz_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/ckfz.XXXXXX",
		    base != NULL && strlen(base) < 40 ? base : "/tmp");
		CKFZ_ASSERT(mkdtemp(tmpdir) != NULL);
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

static void
mkdirs(const char *path)
{
	char buf[1024];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		CKFZ_ASSERT(mkdir(buf, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
}

void
ckfz_write(const char *path, const void *data, size_t size)
{
	FILE *f;

	mkdirs(path);
	CKFZ_ASSERT((f = fopen(path, "wb")) != NULL);
	CKFZ_ASSERT(size == 0 || fwrite(data, 1, size, f) == size);
	CKFZ_ASSERT(fclose(f) == 0);
	CKFZ_ASSERT(chmod(path, 0600) == 0);
}

struct ck_signer *
ckfz_account(void)
{
	static struct ck_signer *s;
	EVP_PKEY *k = NULL;

	if (s == NULL) {
		CKFZ_ASSERT(ck_soft_generate(CK_KEY_EC_P256, &k) == 0);
		CKFZ_ASSERT(ck_soft_signer_new(k, &s) == 0);
	}
	return s;
}

/* --- the scripted CA ------------------------------------------------------ */

#define MAX_RESPONSES 64

struct span {
	const char *p;
	size_t n;
};

static struct {
	struct span r[MAX_RESPONSES];
	size_t n, next;
} script;

static void
script_add(const char *p, size_t n)
{
	if (script.n < MAX_RESPONSES)
		script.r[script.n++] = (struct span){ p, n };
}

void
ckfz_script(const char *const *canned, size_t ncanned, const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *sep;
	size_t i;

	script.n = script.next = 0;
	for (i = 0; i < ncanned; i++)
		script_add(canned[i], strlen(canned[i]));
	while (p < end) {
		sep = memmem(p, (size_t)(end - p), "\n%%\n", 4);
		if (sep == NULL) {
			script_add(p, (size_t)(end - p));
			break;
		}
		script_add(p, (size_t)(sep - p));
		p = sep + 4;
	}
}

/* One response of the script into resp, through net/response.c's callbacks. */
static int
answer(const struct span *s, struct ck_http_resp *resp)
{
	const char *p = s->p, *end = s->p + s->n, *eol;
	struct xfer x = { .resp = resp };
	char line[HDR_MAX + 128];
	long status = 0;
	size_t n;

	if (s->n == 1 && *p == '!') {
		ck_error_as(CK_ERR_NETWORK, "fuzz: scripted transport failure");
		return -1;
	}
	while (p < end && *p >= '0' && *p <= '9' && status < 1000)
		status = status * 10 + (*p++ - '0');
	resp->status = status;
	snprintf(line, sizeof(line), "HTTP/1.1 %ld\r\n", status);
	(void)ckn_header_cb(line, 1, strlen(line), &x);
	if ((eol = memchr(p, '\n', (size_t)(end - p))) != NULL)
		p = eol + 1;
	else
		p = end;
	/* Headers up to an empty line, each handed over as curl does: with its CRLF. */
	while (p < end && *p != '\n') {
		eol = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((eol != NULL ? eol : end) - p);
		if (n > sizeof(line) - 3)
			n = sizeof(line) - 3;
		memcpy(line, p, n);
		memcpy(line + n, "\r\n", 3);
		if (ckn_header_cb(line, 1, n + 2, &x) != n + 2) {
			ck_error_as(CK_ERR_NETWORK, "fuzz: header refused (%s)",
			    x.long_header != NULL ? x.long_header : "out of memory");
			return -1;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	if (p < end)
		p++;
	/* The body, in chunks as curl delivers it; an empty one is "" as after a transfer. */
	while (p < end) {
		n = (size_t)(end - p) < 1000 ? (size_t)(end - p) : 1000;
		if (ckn_write_cb((char *)p, 1, n, &x) != n) {
			ck_error_as(CK_ERR_NETWORK, "fuzz: body refused");
			return -1;
		}
		p += n;
	}
	if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL)
		return -1;
	return 0;
}

int
__wrap_ck_http_request(struct ck_http *h, const char *method, const char *url,
    const char *body, size_t bodylen, struct ck_http_resp *resp)
{
	(void)h;
	(void)method;
	(void)url;
	(void)body;
	(void)bodylen;
	ck_http_resp_free(resp);
	if (script.next >= script.n) {
		ck_error_as(CK_ERR_NETWORK, "fuzz: the script has no more responses");
		return -1;
	}
	return answer(&script.r[script.next++], resp);
}
