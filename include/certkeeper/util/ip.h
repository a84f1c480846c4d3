/*
 * util/ip.h: IP address identifiers (RFC 8738) among the names of a
 * certificate.  A "domains" entry is an IP address when inet_pton reads it
 * as IPv4 (dotted quad) or IPv6; everything else is a DNS name.
 */
#ifndef CERTKEEPER_UTIL_IP_H
#define CERTKEEPER_UTIL_IP_H

#include <stddef.h>

/* Room for any address in text (INET6_ADDRSTRLEN) and for its reverse-DNS name. */
#define CK_IP_TEXT_MAX	46
#define CK_IP_REVERSE_MAX	80

/*
 * Reads s as an address: 4 (IPv4) or 16 (IPv6) bytes into bin and returns
 * that length, or 0 when s is not an address.  bin may be NULL.
 */
size_t ck_ip_parse(const char *s, unsigned char bin[16]);

/* Non-zero when s is an IPv4 or IPv6 address. */
int ck_ip_is_addr(const char *s);

/*
 * The canonical text of address s (RFC 5952 for IPv6: lower case, the
 * longest run of zeros as "::"), into buf; 0, or -1 when s is no address.
 */
int ck_ip_canonical(const char *s, char *buf, size_t len);

/*
 * The reverse-DNS name of address s (RFC 8738 6, the TLS SNI of a
 * tls-alpn-01 challenge for it): "4.3.2.1.in-addr.arpa" or the 32 nibbles
 * of "...ip6.arpa", without a final dot; 0, or -1 when s is no address.
 */
int ck_ip_reverse_name(const char *s, char *buf, size_t len);

#endif
