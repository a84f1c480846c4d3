/*
 * tests/fuzz/http_headers.c: response headers as net/response.c reads
 * them from curl (Link, Retry-After, Location, Replay-Nonce,
 * Content-Type), and ck_http_retry_after on what it kept and on each
 * line.  Each input line is one header line.  Oracles: at most
 * CK_HTTP_MAX_LINKS links, each with a URL and a rel; a Retry-After is
 * -1 or 0..86400 seconds.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "certkeeper/net/http.h"
#include "net/internal.h"

#define NOW ((time_t)1700000000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_http_resp resp;
	struct xfer x;
	const char *p = (const char *)data, *end = p + size, *eol;
	char *line;
	size_t n, i;
	long ra;

	ckfz_init();
	memset(&resp, 0, sizeof(resp));
	memset(&x, 0, sizeof(x));
	x.resp = &resp;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((eol != NULL ? eol + 1 : end) - p);
		line = ckfz_str((const uint8_t *)p, n);
		if (ckn_header_cb(line, 1, n, &x) != n) {
			free(line);
			break;
		}
		ra = ck_http_retry_after(line, NOW);
		CKFZ_ASSERT(ra >= -1 && ra <= 86400);
		free(line);
		p += n;
	}
	CKFZ_ASSERT(resp.nlinks <= CK_HTTP_MAX_LINKS);
	for (i = 0; i < resp.nlinks; i++)
		CKFZ_ASSERT(resp.links[i].url != NULL && resp.links[i].rel != NULL);
	ra = ck_http_retry_after(resp.retry_after, NOW);
	CKFZ_ASSERT(ra >= -1 && ra <= 86400);
	CKFZ_ASSERT(resp.retry_after != NULL || ra == -1);
	ck_http_resp_free(&resp);
	return 0;
}
