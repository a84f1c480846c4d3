/*
 * cert/ari.h: a certificate's identifier for ACME Renewal Information
 * (RFC 9773 4.1), as the renewalInfo path and newOrder's "replaces" take it:
 * base64url(AKI keyIdentifier) "." base64url(serial number's DER content).
 */
#ifndef CERTKEEPER_CERT_ARI_H
#define CERTKEEPER_CERT_ARI_H

#include <stddef.h>

/* Longest identifier made or accepted (a SHA-256 key id and a 20-byte serial take 72). */
#define CK_ARI_ID_MAX 256

/*
 * The identifier of the first certificate in a PEM text (*id, malloc'd).
 * A certificate without an Authority Key Identifier keyIdentifier has
 * none: -1, reported with the reason.
 */
int ck_ari_cert_id(const char *pem, size_t len, char **id);

/*
 * Whether id has an identifier's form: two non-empty base64url parts
 * joined by one ".", at most CK_ARI_ID_MAX bytes, so that it cannot change
 * the path of a URL it is appended to.  Quiet: 1 or 0.
 */
int ck_ari_cert_id_valid(const char *id);

#endif
