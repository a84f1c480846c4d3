/*
 * test_events.c: the lifecycle event lines (src/telemetry/events.c): the
 * logfmt form, quoting of what the CA or a hook wrote, sanitizing, the
 * fields left out when unknown, and the fixed MESSAGE_IDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "certkeeper/telemetry/events.h"

/* Broken: the line's fields are not in order, or a known one is missing. */
static void
test_format_full(void **state)
{
	struct ck_event e = {
		.kind = CK_EVENT_RENEWAL_FAILED, .cert = "web", .serial = "1a2b",
		.not_after = 1700000000, .error = "the CA said \"no\" \\ twice",
		.error_class = "ca", .problem = "rateLimited"
	};
	char buf[512];

	assert_string_equal(ck_event_format(&e, buf, sizeof(buf)),
	    "event=renewal-failed cert=web serial=1a2b not_after=2023-11-14T22:13:20Z "
	    "error_class=ca problem=rateLimited error=\"the CA said \\\"no\\\" \\\\ twice\"");
}

/* Broken: an unknown field is written empty ("serial=") instead of left out. */
static void
test_format_sparse(void **state)
{
	struct ck_event e = { .kind = CK_EVENT_RENEWED, .cert = "web", .serial = "" };
	char buf[128];

	assert_string_equal(ck_event_format(&e, buf, sizeof(buf)), "event=renewed cert=web");
}

/*
 * Broken: a newline or a control byte from outside (a hook's stderr, the
 * CA's detail) splits the line or reaches the journal; a value with '='
 * is not quoted; a short buffer overflows.
 */
static void
test_format_hostile(void **state)
{
	struct ck_event e = {
		.kind = CK_EVENT_DEPLOY_FAILED, .cert = "web",
		.error = "line one\nevent=renewed cert=evil\x1b[31m"
	};
	char buf[256], small[24];

	ck_event_format(&e, buf, sizeof(buf));
	assert_null(strchr(buf, '\n'));
	assert_null(strchr(buf, '\x1b'));
	assert_non_null(strstr(buf, "error=\"line one?event=renewed cert=evil?[31m\""));
	memset(small, 'x', sizeof(small));
	ck_event_format(&e, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(strncmp(small, "event=deploy-failed", 19), 0);
}

/* Broken: a kind without a name or a MESSAGE_ID, or two kinds sharing one. */
static void
test_ids(void **state)
{
	const char *id, *names[] = {
		"renewed", "renewal-failed", "expiring-soon", "expired", "rolled-back",
		"deploy-failed", "revoked"
	};
	int k, j;

	assert_int_equal(CK_EVENT_NKINDS, 7);
	for (k = 0; k < CK_EVENT_NKINDS; k++) {
		assert_string_equal(ck_event_name((enum ck_event_kind)k), names[k]);
		id = ck_event_message_id((enum ck_event_kind)k);
		assert_int_equal(strlen(id), 32);
		assert_int_equal(strspn(id, "0123456789abcdef"), 32);
		for (j = 0; j < k; j++)
			assert_string_not_equal(id, ck_event_message_id((enum ck_event_kind)j));
	}
	/* The first one, as operators' queries name it. */
	assert_string_equal(ck_event_message_id(CK_EVENT_RENEWED), "4ccb8eb7835a497c994ebf4ce3c5774f");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_format_sparse),
		cmocka_unit_test(test_format_hostile),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
