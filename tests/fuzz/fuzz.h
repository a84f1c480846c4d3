/*
 * tests/fuzz/fuzz.h: what the fuzz targets share (common.c).
 *
 * Each target (tests/fuzz/TARGET.c, or a mode of acme.c or store.c) is a
 * LLVMFuzzerTestOneInput: linked with libFuzzer for `make fuzz`
 * (fuzz_TARGET), and with regress.c into a plain test binary for
 * `make check` (regress_TARGET) that feeds it every file of
 * tests/fuzz/TARGET/regress/ and tests/fuzz/TARGET/corpus/.
 */
#ifndef CERTKEEPER_TESTS_FUZZ_H
#define CERTKEEPER_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "certkeeper/keys/signer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops at once (abort, so both libFuzzer and the regression runner see it) when cond is false. */
#define CKFZ_ASSERT(cond) ckfz_assert((cond) != 0, #cond, __FILE__, __LINE__)
void ckfz_assert(int ok, const char *what, const char *file, int line);

/* Once per process: quiet logs, OpenSSL ready.  Every target calls it first. */
void ckfz_init(void);
/* A malloc'd NUL-terminated copy of data (aborts when out of memory). */
char *ckfz_str(const uint8_t *data, size_t size);
/* A private temporary directory made once per process (removed at exit). */
const char *ckfz_tmpdir(void);
/* Writes data to path (0600), making its directory; aborts on failure. */
void ckfz_write(const char *path, const void *data, size_t size);

/*
 * The scripted CA: ck_http_request (linked with --wrap) answers each
 * request, whatever it is, with the next response of the script: first
 * the canned ones, then those in data, separated by a line "%%":
 *
 *   201
 *   Replay-Nonce: abc
 *   Location: https://ca.test/acct/1
 *
 *   {"status":"valid"}
 *
 * The first line is the status; header lines (fed to the transport's
 * own header parser, net/response.c) up to an empty line; then the
 * body (through its body reader).  A response "!" fails as the transport
 * does; past the end every request fails so.
 */
void ckfz_script(const char *const *canned, size_t ncanned, const uint8_t *data, size_t size);
/* The account key every ACME target signs with (P-256, made once). */
struct ck_signer *ckfz_account(void);

#define CKFZ_CA "https://ca.test"

#endif
