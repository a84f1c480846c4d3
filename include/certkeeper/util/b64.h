/*
 * util/b64.h: base64url without padding (RFC 4648 section 5, RFC 7515 section 2).
 */
#ifndef CERTKEEPER_UTIL_B64_H
#define CERTKEEPER_UTIL_B64_H

#include <stddef.h>

/* Returns a malloc'd NUL-terminated encoding of buf, or NULL on allocation failure. */
char *ck_b64url_encode(const unsigned char *buf, size_t len);

/*
 * Decodes a base64url string (no padding, no whitespace) into a malloc'd
 * buffer.  Returns 0, or -1 for invalid input (reported) or allocation failure.
 */
int ck_b64url_decode(const char *s, unsigned char **out, size_t *outlen);

#endif
