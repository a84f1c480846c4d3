/*
 * store/deploy.c: the pending-deploy mark, certs/NAME/deploy-pending (see
 * store/deploy.h), written with the atomic file primitive and read back
 * fail-closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/store/deploy.h"
#include "certkeeper/util/log.h"
#include "internal.h"

#define DEPLOY_FILE	"deploy-pending"
#define DEPLOY_MAX	64	/* the line is 31 bytes at most */

static const char *const kinds[] = { "installed", "restored" };

int
ck_store_save_deploy_pending(struct ck_store *st, const char *name,
    const struct ck_deploy_pending *p)
{
	char *path = NULL, line[DEPLOY_MAX], safe[sizeof(p->version) + 1];
	int n, rc = -1;

	if (!ckst_is_version_name(p->version)) {
		ck_sanitize(safe, sizeof(safe), p->version, sizeof(p->version));
		ck_error("%s: refusing to mark a deploy of \"%s\" pending: not a version name",
		    name, safe);
		goto out;
	}
	if (ckst_cert_file(st, name, DEPLOY_FILE, 1, &path) != 0)
		goto out;
	n = snprintf(line, sizeof(line), "%s %s\n", p->version, kinds[p->restored != 0]);
	rc = ck_store_write_file(path, line, (size_t)n, 0600);
out:
	free(path);
	return rc;
}

int
ck_store_load_deploy_pending(struct ck_store *st, const char *name,
    struct ck_deploy_pending *p)
{
	char *path = NULL, *buf = NULL, *word;
	size_t len = 0, i;
	int r, rc = -1;

	memset(p, 0, sizeof(*p));
	if (ckst_cert_file(st, name, DEPLOY_FILE, 0, &path) != 0)
		goto out;
	if ((r = ck_store_read_file(path, DEPLOY_MAX, &buf, &len)) != 0) {
		rc = r;
		goto out;
	}
	/* VERSION, one blank, a kind, one newline: exactly, and nothing else. */
	if (len != strlen(buf) || len < CK_STORE_VERSION_LEN + 2 || buf[len - 1] != '\n' ||
	    buf[CK_STORE_VERSION_LEN] != ' ')
		goto corrupt;
	buf[len - 1] = '\0';
	buf[CK_STORE_VERSION_LEN] = '\0';
	word = buf + CK_STORE_VERSION_LEN + 1;
	if (!ckst_is_version_name(buf))
		goto corrupt;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(word, kinds[i]) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		goto corrupt;
	memcpy(p->version, buf, CK_STORE_VERSION_LEN + 1);
	p->restored = i == 1;
	rc = 0;
	goto out;
corrupt:
	ck_error("%s is corrupt: expected \"VERSION installed\" or \"VERSION restored\"", path);
out:
	free(buf);
	free(path);
	return rc;
}

int
ck_store_clear_deploy_pending(struct ck_store *st, const char *name)
{
	char *path = NULL;
	int rc = -1;

	if (ckst_cert_file(st, name, DEPLOY_FILE, 0, &path) == 0)
		rc = ckst_remove_file(path);
	free(path);
	return rc;
}
