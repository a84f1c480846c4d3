/*
 * keys/csr.h: the certificate signing request sent to finalize an order,
 * signed through the signer interface (the key may be in a TPM).
 */
#ifndef CERTKEEPER_KEYS_CSR_H
#define CERTKEEPER_KEYS_CSR_H

#include <stddef.h>
#include "certkeeper/keys/signer.h"

/*
 * Builds a PKCS#10 request for s's public key with a subjectAltName of
 * every domain (DNS names) and the first domain as CN; the signature
 * comes from ck_signer_sign(CK_SIG_DER).  *der is malloc'd.
 */
int ck_csr_build(struct ck_signer *s, char *const *domains, size_t ndomains,
    unsigned char **der, size_t *derlen);

#endif
