/*
 * acme/profile.c: ACME profiles (draft-ietf-acme-profiles): a CA lists the
 * profiles it offers in its directory's meta.profiles (name -> description);
 * newOrder names one.  Asking for one the CA does not list would be refused
 * (invalidProfile) or, worse, silently ignored by an older CA: it is
 * refused here first, naming what the CA offers.
 */
#include <stdio.h>
#include <string.h>

#include "acme/internal.h"
#include "certkeeper/util/log.h"

int
acme_profile_offered(const struct ck_acme *a, const char *profile)
{
	const json_t *profiles = json_object_get(json_object_get(a->dir, "meta"), "profiles");
	const char *name;
	json_t *v;
	char offered[512] = "", safe[80], want[80];
	size_t used;

	ck_sanitize(want, sizeof(want), profile, SIZE_MAX);
	if (!json_is_object(profiles) || json_object_size(profiles) == 0) {
		ck_error_as(CK_ERR_CONFIG, "profile \"%s\": the CA offers no profiles (its directory "
		    "has no meta.profiles); remove profile from the certificate's section", want);
		return 0;
	}
	if (json_object_get(profiles, profile) != NULL)
		return 1;
	json_object_foreach((json_t *)profiles, name, v) {
		(void)v;
		ck_sanitize(safe, sizeof(safe), name, SIZE_MAX);
		used = strlen(offered);
		if (used < sizeof(offered))
			snprintf(offered + used, sizeof(offered) - used, "%s\"%s\"", used ? ", " : "",
			    safe);
	}
	ck_error_as(CK_ERR_CONFIG, "profile \"%s\" is not offered by the CA (it offers %s)", want,
	    offered);
	return 0;
}
