/*
 * agent/deploy.c: the deploy and verify hooks of an installed certificate,
 * the rollback when verification fails, and the pending deploy (see
 * agent/deploy.h).
 *
 * Every hook runs for what current holds at that moment, read back from
 * the store (we hold the run lock, so only we move it): its version, its
 * key file's name and the certificate's facts.  The error that ends a
 * failed deploy is reported last, so that it is the outcome's text: the
 * hook, how it ended, its output and what became of the installed set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/agent/deploy.h"
#include "certkeeper/util/proc.h"
#include "certkeeper/cert/check.h"
#include "certkeeper/store/deploy.h"
#include "certkeeper/util/log.h"

#define NENV		6	/* the CERTKEEPER_ variables */
#define OUTPUT_SHOWN	480	/* bytes of a hook's output quoted in an error text */
#define TIMEOUT_DEFAULT	60	/* seconds, as the configuration's default */

/* What current holds, as the hooks are told about it. */
struct installed {
	char version[CK_STORE_VERSION_LEN + 1];
	struct ck_cert_info info;
	char *env[NENV + 1];
};

/* A malloc'd "var=value", or NULL. */
static char *
env_var(const char *var, const char *value)
{
	size_t n = strlen(var) + strlen(value) + 2;
	char *s;

	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s=%s", var, value);
	return s;
}

/* A malloc'd "var=PATH", PATH being file through current/, or NULL. */
static char *
env_path(struct ck_session *s, const char *name, const char *var, const char *file)
{
	char *path, *v;

	if ((path = ck_store_current_path(s->store, name, file)) == NULL)
		return NULL;
	v = env_var(var, path);
	free(path);
	return v;
}

/* Frees what load_installed filled in. */
static void
installed_clear(struct installed *in)
{
	size_t i;

	for (i = 0; i < NENV; i++)
		free(in->env[i]);
	ck_cert_info_clear(&in->info);
	memset(in, 0, sizeof(*in));
}

/*
 * Reads what current holds now and makes the hooks' environment from it.
 * A certificate that does not read back is not deployed.
 */
static int
load_installed(struct ck_session *s, const struct ck_cert_config *cc, struct installed *in)
{
	const char *key_name = NULL, *type;
	enum ck_key_type t;
	char *pem = NULL;
	size_t len = 0, i;
	int r, rc = -1;

	memset(in, 0, sizeof(*in));
	if ((r = ck_store_current_version(s->store, cc->name, in->version)) != 0) {
		if (r == 1)
			ck_error("%s: nothing installed to deploy", cc->name);
		goto out;
	}
	if (ck_store_load_current(s->store, cc->name, &pem, &len, NULL, NULL, &key_name) != 0)
		goto out;
	if (ck_cert_info(pem, len, &in->info) != 0 || in->info.key_type < 0) {
		ck_error("%s: installed certificate %s is unreadable: not deploying it", cc->name,
		    in->version);
		goto out;
	}
	/* As `status` says it: the certificate's key type, held in a TPM for a TSS2 key file. */
	t = (enum ck_key_type)in->info.key_type;
	if (strcmp(key_name, CK_STORE_TPM_KEY_FILE) == 0)
		t = t == CK_KEY_EC_P384 ? CK_KEY_TPM_P384 : CK_KEY_TPM_P256;
	type = ck_key_type_name(t);
	in->env[0] = env_var("CERTKEEPER_NAME", cc->name);
	in->env[1] = env_path(s, cc->name, "CERTKEEPER_CERT", "cert.pem");
	in->env[2] = env_path(s, cc->name, "CERTKEEPER_CHAIN", "chain.pem");
	in->env[3] = env_path(s, cc->name, "CERTKEEPER_FULLCHAIN", "fullchain.pem");
	in->env[4] = env_path(s, cc->name, "CERTKEEPER_KEY", key_name);
	in->env[5] = env_var("CERTKEEPER_KEY_TYPE", type);
	for (i = 0; i < NENV; i++)
		if (in->env[i] == NULL) {
			ck_error("%s: out of memory making the hooks' environment", cc->name);
			goto out;
		}
	rc = 0;
out:
	free(pem);
	if (rc != 0)
		installed_clear(in);
	return rc;
}

/* Runs cc's hook what ("deploy", "verify") for in; 1 when it succeeded, else 0 (r says how). */
static int
run_hook(const struct ck_cert_config *cc, const struct installed *in, const char *what,
    char *const *argv, struct ck_hook_result *r)
{
	long secs = cc->hook_timeout > 0 ? cc->hook_timeout : TIMEOUT_DEFAULT;
	char label[96], how[160];

	snprintf(label, sizeof(label), "%s: %s hook", cc->name, what);
	ck_info("%s: running %s for %s", label, argv[0], in->version);
	/* Not started is a result too (r->start_errno): the callers tell it like any other. */
	(void)ck_hook_run(label, argv, in->env, secs * 1000, r);
	if (!ck_hook_succeeded(r))
		return 0;
	ck_debug("%s %s", label, ck_hook_describe(r, how, sizeof(how)));
	return 1;
}

/* "HOW" or "HOW: OUTPUT" for r, into buf: how a hook ended, for an error text. */
static const char *
hook_failure(const struct ck_hook_result *r, char *buf, size_t len)
{
	char how[160], out[OUTPUT_SHOWN];

	ck_hook_describe(r, how, sizeof(how));
	ck_hook_output_line(r, out, sizeof(out));
	snprintf(buf, len, "%s%s%s", how, out[0] != '\0' ? ": " : "", out);
	return buf;
}

/* Marks version's deploy pending (restored: put back by a rollback); failures are reported. */
static void
mark_pending(struct ck_session *s, const struct ck_cert_config *cc, const char *version,
    int restored)
{
	struct ck_deploy_pending p;

	memset(&p, 0, sizeof(p));
	snprintf(p.version, sizeof(p.version), "%s", version);
	p.restored = restored;
	(void)ck_store_save_deploy_pending(s->store, cc->name, &p);
}

/*
 * The verify hook failed (vr) for bad, a version a new install made
 * current: rolls back, deploys the restored version again, and reports the
 * whole story as the attempt's last error.  Returns -1.
 */
static int
roll_back(struct ck_session *s, const struct ck_cert_config *cc, struct ck_outcome *o,
    const struct installed *bad, const struct ck_hook_result *vr)
{
	struct ck_hook_result dr;
	struct installed prev;
	char verify[OUTPUT_SHOWN + 200], after[OUTPUT_SHOWN + 240] = "", deploy[OUTPUT_SHOWN + 200];

	memset(&prev, 0, sizeof(prev));
	hook_failure(vr, verify, sizeof(verify));
	ck_warn("%s: verify hook %s failed for %s: rolling back", cc->name, cc->verify_hook[0],
	    bad->version);
	ck_outcome_step(o, CK_ERR_STORE);
	if (ck_store_rollback(s->store, cc->name) != 0) {
		/* Nothing to go back to: it stays, and the hooks are tried again next time. */
		mark_pending(s, cc, bad->version, 0);
		ck_error_as(CK_ERR_HOOK,
		    "%s: verify hook %s %s; cannot roll back, so %s stays installed and its deploy is pending",
		    cc->name, cc->verify_hook[0], verify, bad->version);
		return -1;
	}
	ck_outcome_rolled_back(o);
	if (load_installed(s, cc, &prev) != 0) {
		/* Back, but not deployed: whatever is current now is to be deployed next time. */
		if (ck_store_current_version(s->store, cc->name, prev.version) == 0)
			mark_pending(s, cc, prev.version, 1);
		snprintf(after, sizeof(after), ", which cannot be deployed (see above)%s",
		    prev.version[0] != '\0' ? "; its deploy is pending" : "");
	} else {
		/* Marked before its hook runs, as in deploy_current. */
		mark_pending(s, cc, prev.version, 1);
		if (cc->deploy_hook != NULL && !run_hook(cc, &prev, "deploy", cc->deploy_hook, &dr))
			snprintf(after, sizeof(after), ", whose deploy hook then %s; its deploy is "
			    "pending", hook_failure(&dr, deploy, sizeof(deploy)));
		else if (ck_store_clear_deploy_pending(s->store, cc->name) != 0)
			snprintf(after, sizeof(after), " (its pending mark could not be cleared)");
	}
	ck_error_as(CK_ERR_HOOK, "%s: verify hook %s %s; rolled back from %s to %s%s", cc->name,
	    cc->verify_hook[0], verify, bad->version, prev.version[0] != '\0' ? prev.version :
	    "the previous version", after);
	installed_clear(&prev);
	return -1;
}

/*
 * Runs cc's hooks for what current holds.  may_roll_back: a failing verify
 * hook rolls current back (only for a version a new install made current);
 * restored says how it became current, for a pending mark.  On success
 * clears the mark and sets o's serial and validity; returns 0 or -1.
 */
static int
deploy_current(struct ck_session *s, const struct ck_cert_config *cc, struct ck_outcome *o,
    int may_roll_back, int restored)
{
	struct ck_hook_result r;
	struct installed in;
	char how[OUTPUT_SHOWN + 200];
	int rc = -1;

	ck_outcome_step(o, CK_ERR_STORE);
	if (load_installed(s, cc, &in) != 0)
		return -1;
	/*
	 * Marked before the hooks run, cleared once they succeed: a run killed
	 * or a power cut while they run leaves the deploy pending, for the next
	 * run to do again, instead of a certificate installed that no service
	 * was told of.
	 */
	mark_pending(s, cc, in.version, restored);
	ck_outcome_step(o, CK_ERR_HOOK);
	if (cc->deploy_hook != NULL && !run_hook(cc, &in, "deploy", cc->deploy_hook, &r)) {
		ck_error_as(CK_ERR_HOOK, "%s: deploy hook %s %s; %s stays installed and its deploy "
		    "is pending", cc->name, cc->deploy_hook[0], hook_failure(&r, how, sizeof(how)),
		    in.version);
		goto out;
	}
	if (cc->verify_hook != NULL && !run_hook(cc, &in, "verify", cc->verify_hook, &r)) {
		/* Stopped, it said nothing about the set: it stays, to be checked again. */
		if (!may_roll_back || r.interrupted) {
			ck_error_as(CK_ERR_HOOK, "%s: verify hook %s %s; %s stays installed and its "
			    "deploy is pending", cc->name, cc->verify_hook[0],
			    hook_failure(&r, how, sizeof(how)), in.version);
			goto out;
		}
		rc = roll_back(s, cc, o, &in, &r);
		goto out;
	}
	ck_outcome_step(o, CK_ERR_STORE);
	if (ck_store_clear_deploy_pending(s->store, cc->name) != 0)
		goto out;
	snprintf(o->serial, sizeof(o->serial), "%s", in.info.serial != NULL ? in.info.serial : "");
	o->not_before = in.info.not_before;
	o->not_after = in.info.not_after;
	rc = 0;
out:
	installed_clear(&in);
	return rc;
}

int
ck_deploy_after_install(struct ck_session *s, const struct ck_cert_config *cc,
    struct ck_outcome *o)
{
	if (cc->deploy_hook == NULL && cc->verify_hook == NULL)
		return 0;
	return deploy_current(s, cc, o, 1, 0);
}

int
ck_deploy_retry_pending(struct ck_session *s, const struct ck_cert_config *cc,
    struct ck_outcome *o)
{
	char cur[CK_STORE_VERSION_LEN + 1];
	struct ck_deploy_pending p;
	int r, c, may_roll_back, restored, rc;

	ck_outcome_begin(o);
	ck_outcome_step(o, CK_ERR_STORE);
	if ((r = ck_store_load_deploy_pending(s->store, cc->name, &p)) == 1) {
		ck_outcome_end(o, 1);
		return 0;
	}
	if ((c = ck_store_current_version(s->store, cc->name, cur)) == -1) {
		ck_outcome_end(o, 0);
		return 1;
	}
	if (c == 1 || (cc->deploy_hook == NULL && cc->verify_hook == NULL)) {
		ck_warn("%s: forgetting a pending deploy: %s", cc->name, c == 1 ?
		    "nothing is installed" : "no deploy_hook or verify_hook is configured any more");
		rc = ck_store_clear_deploy_pending(s->store, cc->name);
		ck_outcome_end(o, rc == 0);
		return rc == 0 ? 0 : 1;
	}
	if (r == -1 || strcmp(p.version, cur) != 0) {
		/* Which version it meant is unknown: current is deployed, never rolled back. */
		ck_warn("%s: the pending deploy %s%s; deploying the current version %s, without rollback",
		    cc->name, r == -1 ? "cannot be read" : "was for ", r == -1 ? "" : p.version, cur);
		may_roll_back = 0;
		restored = 1;
	} else {
		may_roll_back = !p.restored;
		restored = p.restored;
	}
	ck_info("%s: deploying %s again: its deploy is pending since an earlier run", cc->name, cur);
	rc = deploy_current(s, cc, o, may_roll_back, restored);
	if (rc == 0)
		ck_info("%s: deployed %s", cc->name, cur);
	ck_outcome_end(o, rc == 0);
	return 1;
}
