/*
 * challenge/tlsalpn01.h: the built-in tls-alpn-01 responder (RFC 8737).
 *
 * While a challenge is presented it listens on tls_port (all addresses,
 * IPv6 and IPv4 where available) and completes a TLS handshake only when
 * the client offers ALPN "acme-tls/1" and names in SNI an identifier being
 * validated (for an IP address, its reverse-DNS name, RFC 8738 6): it then
 * shows a self-signed certificate for that identifier carrying the
 * critical acmeIdentifier extension.  Any other SNI, no SNI, any other or
 * no ALPN: the handshake is refused with an alert.  The certificates are
 * signed with a throwaway software key made when the responder starts,
 * never with the device key.  The responder runs in its own thread, driven
 * by poll, until the last challenge is cleaned up or a stop is requested.
 */
#ifndef CERTKEEPER_CHALLENGE_TLSALPN01_H
#define CERTKEEPER_CHALLENGE_TLSALPN01_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certkeeper/challenge/solver.h"

#define CK_TLSALPN01_PROTO	"acme-tls/1"
/* id-pe-acmeIdentifier (RFC 8737 3) */
#define CK_TLSALPN01_OID	"1.3.6.1.5.5.7.1.31"
/* The extension's value: DER OCTET STRING (04 20) of the 32-byte SHA-256. */
#define CK_TLSALPN01_EXT_LEN	34

/* The solver, listening on port while something is presented. */
int ck_tlsalpn01_solver_new(int port, struct ck_solver **out);

/* The acmeIdentifier extension value for key_authorization into out; 0 or -1 (reported). */
int ck_tlsalpn01_ext_value(const char *key_authorization,
    unsigned char out[CK_TLSALPN01_EXT_LEN]);

/*
 * The validation certificate for identifier (of type "dns" or "ip"),
 * self-signed with key: its only subjectAltName the identifier, the
 * critical acmeIdentifier extension.  0 with *out, or -1 (reported).
 */
int ck_tlsalpn01_cert(EVP_PKEY *key, const char *id_type, const char *identifier,
    const char *key_authorization, X509 **out);

/* The SNI name a CA sends for identifier: itself, or an address's reverse-DNS name; 0 or -1. */
int ck_tlsalpn01_sni(const char *id_type, const char *identifier, char *buf, size_t len);

#endif
