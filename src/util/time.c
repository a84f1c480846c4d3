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

/* Reads exactly n digits at s into *v; 0, or -1 at the first non-digit (a NUL included). */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
days_in_month(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

int
ck_time_parse_rfc3339_any(const char *s, time_t *t)
{
	int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	struct tm tm;

	if (s == NULL)
		return -1;
	/* The || chain stops at the first mismatch, so no byte past a NUL is read. */
	if (digits(s, 4, &year) != 0 || s[4] != '-' || digits(s + 5, 2, &mon) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &day) != 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &hour) != 0 || s[13] != ':' || digits(s + 14, 2, &min) != 0 ||
	    s[16] != ':' || digits(s + 17, 2, &sec) != 0)
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) != 0 || p[3] != ':' || digits(p + 4, 2, &om) != 0)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 60 || (sec == 60 && min != 59) || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	/* A leap second is the second after :59 (timegm normalizes :60 so). */
	tm.tm_sec = sec;
	*t = timegm(&tm) - (time_t)sign * (oh * 3600 + om * 60);
	return 0;
}
