/*
 * store/keyfile.c: key file names (see store/keyfile.h).  A key file is
 * named by what it holds, so that a service (and the operator) can tell a
 * TPM-wrapped key from a software key without reading it, and a
 * directory holds one key file or none: two is refused, never guessed.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/keyfile.h"
#include "internal.h"

#define TSS2_LABEL	"-----BEGIN TSS2 PRIVATE KEY-----"

const char *
ck_store_key_file_name(const char *pem, size_t len)
{
	const size_t n = sizeof(TSS2_LABEL) - 1;
	size_t i;

	for (i = 0; pem != NULL && i + n <= len; i++)
		if (memcmp(pem + i, TSS2_LABEL, n) == 0)
			return CK_STORE_TPM_KEY_FILE;
	return CK_STORE_KEY_FILE;
}

int
ckst_load_key(int at, const char *dirpath, int want, char **key, size_t *len,
    const char **name)
{
	static const char *const names[] = { CK_STORE_KEY_FILE, CK_STORE_TPM_KEY_FILE };
	char shown[PATH_MAX];
	int r[2] = { 1, 1 }, i, rc = -1;

	if (want) {
		*key = NULL;
		*len = 0;
	}
	*name = NULL;
	for (i = 0; i < 2; i++) {
		snprintf(shown, sizeof(shown), "%s/%s", dirpath, names[i]);
		/* The first found is read; the secret stays unread when only its name is wanted. */
		if (want && r[0] != 0)
			r[i] = ckst_read_at(at, names[i], shown, CKST_PEM_MAX, key, len);
		else
			r[i] = ckst_exists_at(at, names[i], shown);
		if (r[i] == -1)
			goto out;
	}
	if (r[0] == 0 && r[1] == 0) {
		ck_error("%s has both " CK_STORE_KEY_FILE " and " CK_STORE_TPM_KEY_FILE
		    ": refusing to guess which key is in use (remove the stale one)", dirpath);
		goto out;
	}
	*name = r[0] == 0 ? names[0] : (r[1] == 0 ? names[1] : NULL);
	rc = *name != NULL ? 0 : 1;
out:
	if (rc == -1 && want) {
		OPENSSL_clear_free(*key, *len);
		*key = NULL;
		*len = 0;
	}
	return rc;
}
