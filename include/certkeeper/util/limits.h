/*
 * util/limits.h: limits that several parts must agree on.
 */
#ifndef CERTKEEPER_UTIL_LIMITS_H
#define CERTKEEPER_UTIL_LIMITS_H

/*
 * Names (identifiers) one certificate may carry: the config accepts this
 * many, the ACME client handles this many authorizations, and each
 * challenge solver can present this many at once.
 */
#define CK_MAX_IDENTIFIERS 100

#endif
