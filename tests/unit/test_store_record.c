/*
 * test_store_record.c: the outcome record of the last attempt,
 * certs/NAME/status.json (src/store/state.c, record.c): every member
 * round-trips, an old record still loads, a corrupt or hostile one is read
 * back fail-closed, never half of one, and the saver refuses what the
 * loader would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <sys/stat.h>

#include "certkeeper/util/log.h"
#include "certkeeper/store/state.h"

/* The last attempt round-trips, with an RFC 3339 UTC time and null for no error. */
static void
test_attempt_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a = { .when = 1700000000, .result = (char *)"failure",
	    .error = (char *)"order invalid: \"x\"\n", .retry_after = -1 };
	struct ck_attempt b = { 0 };
	const char *text;

	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 0);
	assert_null(b.result);
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(mode_of(sp(fx, 0, "certs/" NAME "/status.json")), 0600);
	assert_non_null(strstr(contents(sp(fx, 0, "certs/" NAME "/status.json")),
	    "\"2023-11-14T22:13:20Z\""));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 1700000000);
	assert_string_equal(b.result, "failure");
	assert_string_equal(b.error, "order invalid: \"x\"\n");
	ck_attempt_clear(&b);
	a.result = (char *)"success";
	a.error = NULL;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	text = contents(sp(fx, 0, "certs/" NAME "/status.json"));
	assert_non_null(strstr(text, "\"error\": null"));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_string_equal(b.result, "success");
	assert_null(b.error);
	ck_attempt_clear(&b);
	assert_int_equal(count_entries(sp(fx, 0, "certs/" NAME), "."), 0);
}

/* A corrupt status.json is an error naming the file, never a crash or a made-up attempt. */
static void
test_attempt_corrupt(void **state)
{
	static const char *const bad[] = {
		"{not json",
		"[]",
		"{}",
		"{\"when\": 5}",
		"{\"when\": \"2023-02-30T00:00:00Z\"}",
		"{\"when\": \"2023-11-14 22:13:20\"}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"result\": 5}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"error\": {}}",
		"{\"when\": \"2023-11-14T22:13:20Z\", \"when\": \"2023-11-14T22:13:20Z\"}",
	};
	struct fixture *fx = *state;
	struct ck_attempt a;
	size_t i;

	assert_int_equal(mkdir(sp(fx, 0, "certs"), 0700), 0);
	assert_int_equal(mkdir(sp(fx, 0, "certs/" NAME), 0755), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(sp(fx, 0, "certs/" NAME "/status.json"), bad[i]);
		ck_clear_error();
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
		assert_non_null(strstr(ck_last_error(), "status.json"));
		assert_int_equal(a.when, 0);
		assert_null(a.result);
		assert_null(a.error);
	}
	put(sp(fx, 0, "certs/" NAME "/status.json"),
	    "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"success\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(a.when, 1700000000);
	ck_attempt_clear(&a);
}

/* Writes text as certs/NAME/status.json, making the directories. */
static void
put_status(const struct fixture *fx, const char *text)
{
	mkdir(sp(fx, 0, "certs"), 0700);
	mkdir(sp(fx, 0, "certs/" NAME), 0755);
	put(sp(fx, 0, "certs/" NAME "/status.json"), text);
}

/* Every member of the outcome record round-trips, as JSON members named for what they hold. */
static void
test_attempt_every_field(void **state)
{
	static const char *const results[] = { "success", "failure", "interrupted", "rolled-back" };
	static const char *const classes[] = { "config", "network", "tls", "ca", "validation",
	    "tpm", "store", "check", "hook", "interrupted", "internal" };
	struct fixture *fx = *state;
	struct ck_attempt a, b;
	const char *text;
	size_t i;

	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"failure";
	a.error_class = (char *)"ca";
	a.problem = (char *)"rateLimited";
	a.error = (char *)"too many certificates\nfor this name";
	a.retry_after = 3600;
	a.serial = (char *)"3f00a1b2";
	a.not_before = 1690000000;
	a.not_after = 1697776000;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	text = contents(sp(fx, 0, "certs/" NAME "/status.json"));
	assert_non_null(strstr(text, "\"error_class\": \"ca\""));
	assert_non_null(strstr(text, "\"problem\": \"rateLimited\""));
	assert_non_null(strstr(text, "\"retry_after\": 3600"));
	assert_non_null(strstr(text, "\"serial\": \"3f00a1b2\""));
	assert_non_null(strstr(text, "\"not_before\": \"2023-07-22T04:26:40Z\""));
	assert_non_null(strstr(text, "\"not_after\": \"2023-10-20T04:26:40Z\""));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.when, 1700000000);
	assert_string_equal(b.result, "failure");
	assert_string_equal(b.error_class, "ca");
	assert_string_equal(b.problem, "rateLimited");
	assert_string_equal(b.error, "too many certificates\nfor this name");
	assert_int_equal(b.retry_after, 3600);
	assert_string_equal(b.serial, "3f00a1b2");
	assert_int_equal(b.not_before, 1690000000);
	assert_int_equal(b.not_after, 1697776000);
	ck_attempt_clear(&b);
	assert_int_equal(b.retry_after, -1);
	assert_null(b.serial);
	/* Every word of both lists is accepted; unset members come back unset. */
	ck_attempt_init(&a);
	a.when = 1700000000;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		a.result = (char *)results[i % 4];
		a.error_class = (char *)classes[i];
		assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
		assert_string_equal(b.result, results[i % 4]);
		assert_string_equal(b.error_class, classes[i]);
		assert_null(b.problem);
		assert_null(b.error);
		assert_int_equal(b.retry_after, -1);
		assert_null(b.serial);
		assert_int_equal(b.not_before, 0);
		assert_int_equal(b.not_after, 0);
		ck_attempt_clear(&b);
	}
	a.result = NULL;
	a.error_class = NULL;
	a.retry_after = 0;	/* "retry at once" is not "no hint" */
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_null(b.result);
	assert_int_equal(b.retry_after, 0);
	ck_attempt_clear(&b);
}

/* A record written before the outcome members existed still loads, with them unset. */
static void
test_attempt_old_format(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a;

	put_status(fx, "{\n  \"when\": \"2023-11-14T22:13:20Z\",\n  \"result\": \"failure\",\n"
	    "  \"error\": \"order invalid: \\\"x\\\"\"\n}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(a.when, 1700000000);
	assert_string_equal(a.result, "failure");
	assert_string_equal(a.error, "order invalid: \"x\"");
	assert_null(a.error_class);
	assert_null(a.problem);
	assert_int_equal(a.retry_after, -1);
	assert_null(a.serial);
	assert_int_equal(a.not_before, 0);
	assert_int_equal(a.not_after, 0);
	ck_attempt_clear(&a);
	/* Members a later version may add are no reason to refuse the record. */
	put_status(fx, "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"success\", "
	    "\"failures\": 3, \"next_attempt\": \"2023-11-15T00:00:00Z\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_string_equal(a.result, "success");
	ck_attempt_clear(&a);
}

/*
 * A member of the wrong type or outside its range makes the whole record corrupt:
 * reported naming the file and the member, and loaded as no record, never half of one.
 */
static void
test_attempt_corrupt_members(void **state)
{
	static const struct {
		const char *member, *json;
	} bad[] = {
		{ "result", "\"result\": \"succes\"" },
		{ "result", "\"result\": \"SUCCESS\"" },
		{ NULL, "\"result\": \"success\\u0000\"" },	/* jansson refuses it */
		{ "result", "\"result\": [\"success\"]" },
		{ "error_class", "\"error_class\": \"dns\"" },
		{ "error_class", "\"error_class\": 7" },
		{ "error_class", "\"error_class\": \"\"" },
		{ "problem", "\"problem\": 429" },
		{ "error", "\"error\": true" },
		{ "retry_after", "\"retry_after\": -1" },
		{ "retry_after", "\"retry_after\": 86401" },
		{ "retry_after", "\"retry_after\": 60.5" },
		{ "retry_after", "\"retry_after\": \"60\"" },
		{ NULL, "\"retry_after\": 99999999999999999999" },	/* so does it */
		{ "serial", "\"serial\": \"3f:00\"" },
		{ "serial", "\"serial\": \"\"" },
		{ "serial", "\"serial\": 1234" },
		{ "not_before", "\"not_before\": 1700000000" },
		{ "not_before", "\"not_before\": \"2023-11-14T22:13:20+01:00\"" },
		{ "not_after", "\"not_after\": \"2023-13-01T00:00:00Z\"" },
		{ "not_after", "\"not_after\": {}" },
	};
	struct fixture *fx = *state;
	struct ck_attempt a;
	char text[512], want[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"when\": \"2023-11-14T22:13:20Z\", "
		    "\"error\": \"kept?\", \"serial\": \"01\", %s}", bad[i].json);
		if (bad[i].member != NULL && (strcmp(bad[i].member, "serial") == 0 ||
		    strcmp(bad[i].member, "error") == 0))
			snprintf(text, sizeof(text), "{\"when\": \"2023-11-14T22:13:20Z\", "
			    "\"result\": \"failure\", %s}", bad[i].json);
		put_status(fx, text);
		ck_clear_error();
		assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
		assert_non_null(strstr(ck_last_error(), "/certs/" NAME "/status.json is corrupt"));
		snprintf(want, sizeof(want), "\"%s\"", bad[i].member != NULL ? bad[i].member : "");
		if (bad[i].member != NULL)
			assert_non_null(strstr(ck_last_error(), want));
		assert_int_equal(a.when, 0);
		assert_null(a.result);
		assert_null(a.error);
		assert_null(a.serial);
		assert_int_equal(a.retry_after, -1);
	}
}

/* Text from a file is made safe to print and cut; a file too big to be ours is corrupt. */
static void
test_attempt_hostile_text(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a;
	char *text, *huge;
	size_t n = 5000, i;

	put_status(fx, "{\"when\": \"2023-11-14T22:13:20Z\", \"result\": \"failure\", "
	    "\"error\": \"bad\\u001b]0;owned\\u0007\\u001b[2J\\r\\nline\\ttab \\u00e9 \\u007f\", "
	    "\"problem\": \"rate\\u001bLimited\"}");
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_string_equal(a.error, "bad?]0;owned??[2J?\nline\ttab ?? ?");
	assert_string_equal(a.problem, "rate?Limited");
	ck_attempt_clear(&a);
	/* A huge string is cut to CK_ATTEMPT_TEXT_MAX bytes. */
	text = malloc(n + 200);
	assert_non_null(text);
	i = (size_t)snprintf(text, 200, "{\"when\": \"2023-11-14T22:13:20Z\", \"error\": \"");
	memset(text + i, 'E', n);
	strcpy(text + i + n, "\"}");
	put_status(fx, text);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(strlen(a.error), CK_ATTEMPT_TEXT_MAX);
	assert_int_equal(a.error[0], 'E');
	ck_attempt_clear(&a);
	free(text);
	/* A file larger than any record the store writes is not read at all. */
	n = 100000;
	huge = malloc(n + 200);
	assert_non_null(huge);
	i = (size_t)snprintf(huge, 200, "{\"when\": \"2023-11-14T22:13:20Z\", \"error\": \"");
	memset(huge + i, 'E', n);
	strcpy(huge + i + n, "\"}");
	put_status(fx, huge);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), -1);
	assert_non_null(strstr(ck_last_error(), "status.json is larger than"));
	assert_null(a.error);
	/* What is saved is made safe and cut the same way, so it reads back as written. */
	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"failure";
	a.error = huge + i;
	huge[i + 3] = '\x1b';
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_null(strchr(contents(sp(fx, 0, "certs/" NAME "/status.json")), '\x1b'));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(strlen(a.error), CK_ATTEMPT_TEXT_MAX);
	assert_memory_equal(a.error, "EEE?EE", 6);
	ck_attempt_clear(&a);
	free(huge);
}

/* The saver refuses what the loader would refuse, and keeps the record it had. */
static void
test_attempt_save_refused(void **state)
{
	struct fixture *fx = *state;
	struct ck_attempt a, b;
	const char *path = sp(fx, 2, "certs/" NAME "/status.json");
	char *before;

	ck_attempt_init(&a);
	a.when = 1700000000;
	a.result = (char *)"success";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_non_null(before = strdup(contents(path)));
	a.result = (char *)"ok";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	a.result = (char *)"failure";
	a.error_class = (char *)"dns";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	a.error_class = NULL;
	a.serial = (char *)"3f:00";
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), -1);
	assert_non_null(strstr(ck_last_error(), "status.json"));
	assert_string_equal(contents(path), before);
	free(before);
	/* A longer wait than the loader takes is kept as the longest; a negative one as none. */
	a.serial = NULL;
	a.retry_after = 7 * 86400;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.retry_after, CK_ATTEMPT_RETRY_MAX);
	ck_attempt_clear(&b);
	a.retry_after = -5;
	assert_int_equal(ck_store_save_attempt(fx->st, NAME, &a), 0);
	assert_non_null(strstr(contents(path), "\"retry_after\": null"));
	assert_int_equal(ck_store_load_attempt(fx->st, NAME, &b), 0);
	assert_int_equal(b.retry_after, -1);
	ck_attempt_clear(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attempt_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_old_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_corrupt_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempt_save_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
