/*
 * util/b64.c: base64url without padding (see util/b64.h).
 */
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/b64.h"
#include "certkeeper/util/log.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
ck_b64url_encode(const unsigned char *buf, size_t len)
{
	char *out, *p;
	size_t i;

	if ((out = malloc(len / 3 * 4 + 5)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)buf[i] << 16 | (unsigned long)buf[i + 1] << 8 | buf[i + 2];
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
		*p++ = alphabet[v >> 6 & 63];
		*p++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)buf[i] << 16;
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)buf[i] << 16 | (unsigned long)buf[i + 1] << 8;
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
		*p++ = alphabet[v >> 6 & 63];
	}
	*p = '\0';
	return out;
}

static int
value_of(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int
ck_b64url_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t len = strlen(s), i, n = 0;
	unsigned long acc = 0;
	unsigned char *buf;
	int bits = 0;

	/* A lone trailing character carries fewer than 8 bits: never valid. */
	if (len % 4 == 1) {
		ck_error("invalid base64url: length %zu", len);
		return -1;
	}
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL) {
		ck_error("out of memory decoding base64url");
		return -1;
	}
	for (i = 0; i < len; i++) {
		int v = value_of(s[i]);

		if (v < 0) {
			ck_error("invalid base64url: bad character at offset %zu", i);
			free(buf);
			return -1;
		}
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Left-over bits must be zero for a canonical encoding. */
	if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0) {
		ck_error("invalid base64url: non-zero padding bits");
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}
