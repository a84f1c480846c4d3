/*
 * test_libsystemd.c: util/libsystemd.c opens libsystemd only once there is
 * something for it to do.  Without NOTIFY_SOCKET and WATCHDOG_USEC nothing
 * is loaded; with them the notification arrives on the socket and the
 * watchdog interval is read.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "certkeeper/util/libsystemd.h"

/* Whether libsystemd is in the process now (without loading it). */
static int
in_process(void)
{
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_NOLOAD);

	if (h != NULL)
		dlclose(h);
	return h != NULL;
}

/*
 * Broken: libsystemd is loaded by a process with nothing to notify (every
 * timer pass pays for it and its libraries), or, once there is a socket,
 * the notification does not arrive or the watchdog is not seen.
 */
static void
test_loaded_on_need(void **state)
{
#ifndef HAVE_LIBSYSTEMD
	skip();
#else
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	char dir[] = "/tmp/ck-sd-XXXXXX", buf[128];
	uint64_t usec = 7;
	ssize_t n;
	int fd;

	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	assert_false(in_process());
	assert_int_equal(ck_sd_notify("READY=1"), 0);
	assert_int_equal(ck_sd_watchdog_enabled(&usec), 0);
	assert_false(in_process());

	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sa.sun_path, 1), 0);
	assert_true(ck_sd_notify("READY=1\nSTATUS=all renewed") > 0);
	assert_true(in_process());
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=all renewed");

	assert_int_equal(setenv("WATCHDOG_USEC", "2000000", 1), 0);
	assert_true(ck_sd_watchdog_enabled(&usec) > 0);
	assert_true(usec == 2000000);

	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	close(fd);
	(void)unlink(sa.sun_path);
	(void)rmdir(dir);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded_on_need),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
