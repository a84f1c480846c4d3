/*
 * cert/memo.h: certificates parsed once per process.
 *
 * A pass reads the installed certificate several times: its plan before and
 * after a renewal, its ARI identifier, the metrics.  Each parse costs
 * OpenSSL 3.0 a decoder setup for the public key, about 1.3 M instructions.
 * The memo keeps the last few parsed certificates keyed by the exact bytes
 * of their PEM text, so the same text gives back the same X509, and any
 * other text (a file changed in between) is parsed afresh.
 */
#ifndef CERTKEEPER_CERT_MEMO_H
#define CERTKEEPER_CERT_MEMO_H

#include <stddef.h>

#include <openssl/x509.h>

/*
 * The first certificate of the PEM text pem (len bytes): a new reference
 * (X509_free it), from the memo when this text was parsed or remembered
 * before.  NULL when it holds none, with OpenSSL's error queued for the
 * caller to report (a failure is not remembered).
 */
X509 *ck_cert_memo_first(const char *pem, size_t len);

/*
 * Remembers x as the first certificate of pem, which the caller has just
 * made from it (the chain check's leaf, before it is installed).  A memo
 * that cannot grow forgets silently: the next read parses.
 */
void ck_cert_memo_put(const char *pem, size_t len, X509 *x);

/* Forgets everything (also run at exit). */
void ck_cert_memo_clear(void);

#endif
