/*
 * util/time.c: RFC 3339 UTC timestamps (see util/time.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/util/time.h"

void
ck_time_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

int
ck_time_parse_rfc3339(const char *s, time_t *t)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm, back;
	size_t i;

	if (strlen(s) != sizeof(pattern) - 1)
		return -1;
	for (i = 0; pattern[i] != '\0'; i++)
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	/* timegm normalizes its argument ("02-30" becomes March 2): convert a copy. */
	back = tm;
	*t = timegm(&back);
	/* An out-of-range field fails the round trip. */
	if (gmtime_r(t, &back) == NULL || back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
	    back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return -1;
	return 0;
}
