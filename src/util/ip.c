/*
 * util/ip.c: IP address identifiers (see util/ip.h), on inet_pton and inet_ntop.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "certkeeper/util/ip.h"

size_t
ck_ip_parse(const char *s, unsigned char bin[16])
{
	unsigned char buf[16];

	if (s == NULL)
		return 0;
	if (inet_pton(AF_INET, s, buf) == 1) {
		if (bin != NULL)
			memcpy(bin, buf, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		if (bin != NULL)
			memcpy(bin, buf, 16);
		return 16;
	}
	return 0;
}

int
ck_ip_is_addr(const char *s)
{
	return ck_ip_parse(s, NULL) != 0;
}

int
ck_ip_canonical(const char *s, char *buf, size_t len)
{
	unsigned char bin[16];
	size_t n = ck_ip_parse(s, bin);

	if (n == 0 || len < CK_IP_TEXT_MAX)
		return -1;
	/* glibc's inet_ntop writes RFC 5952 form (lower case, longest zero run compressed). */
	return inet_ntop(n == 4 ? AF_INET : AF_INET6, bin, buf, (socklen_t)len) != NULL ? 0 : -1;
}

int
ck_ip_reverse_name(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bin[16];
	size_t n = ck_ip_parse(s, bin), i, o = 0;

	if (n == 0 || len < CK_IP_REVERSE_MAX)
		return -1;
	if (n == 4) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2], bin[1], bin[0]);
		return 0;
	}
	for (i = 16; i-- > 0;) {
		buf[o++] = hex[bin[i] & 0x0f];
		buf[o++] = '.';
		buf[o++] = hex[bin[i] >> 4];
		buf[o++] = '.';
	}
	snprintf(buf + o, len - o, "ip6.arpa");
	return 0;
}
