/*
 * test_problem.c: problem documents (RFC 7807, RFC 8555 6.7) from canned
 * server responses are reported with their type and detail, sanitized.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "certkeeper/acme/client.h"

static int
fmt(const char *body, char *buf, size_t len)
{
	return ck_acme_problem_format(body, strlen(body), buf, len);
}

/* An ACME error type is shortened to its name and the detail follows. */
static void
test_acme_type(void **state)
{
	char buf[256];

	assert_int_equal(fmt("{\"type\":\"urn:ietf:params:acme:error:badNonce\","
	    "\"detail\":\"JWS has an invalid anti-replay nonce\",\"status\":400}", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "badNonce: JWS has an invalid anti-replay nonce");
}

/* A type from outside the ACME namespace is kept whole; a missing detail is fine. */
static void
test_foreign_type(void **state)
{
	char buf[256];

	assert_int_equal(fmt("{\"type\":\"about:blank\"}", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "about:blank");
}

/* Subproblems name their identifier, so a multi-domain failure says which name failed. */
static void
test_subproblems(void **state)
{
	char buf[512];

	assert_int_equal(fmt("{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"some names refused\",\"subproblems\":[{\"type\":"
	    "\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids\",\"identifier\":"
	    "{\"type\":\"dns\",\"value\":\"b.example\"}}]}", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "rejectedIdentifier: some names refused; b.example: caa: CAA forbids");
}

/* Control characters and escapes from a hostile server never reach the terminal. */
static void
test_sanitized(void **state)
{
	char buf[256];

	assert_int_equal(fmt("{\"type\":\"urn:ietf:params:acme:error:malformed\","
	    "\"detail\":\"bad\\u001b[31m\\nred\"}", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "malformed: bad?[31m?red");
}

/* Bodies that are not problem documents are refused, so the caller reports the status. */
static void
test_not_a_problem(void **state)
{
	char buf[64];

	assert_int_equal(fmt("<html>502 Bad Gateway</html>", buf, sizeof(buf)), -1);
	assert_int_equal(fmt("{\"detail\":\"no type\"}", buf, sizeof(buf)), -1);
	assert_int_equal(fmt("[1,2]", buf, sizeof(buf)), -1);
	assert_int_equal(fmt("", buf, sizeof(buf)), -1);
}

/* A long detail is truncated to the buffer, never overflowing it. */
static void
test_truncated(void **state)
{
	char buf[16];

	assert_int_equal(fmt("{\"type\":\"urn:ietf:params:acme:error:serverInternal\","
	    "\"detail\":\"a very long explanation of what went wrong\"}", buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "serverInternal:", 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acme_type),
		cmocka_unit_test(test_foreign_type),
		cmocka_unit_test(test_subproblems),
		cmocka_unit_test(test_sanitized),
		cmocka_unit_test(test_not_a_problem),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
