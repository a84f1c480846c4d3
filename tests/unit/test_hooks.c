/*
 * test_hooks.c: deploy and verify hooks: the command splitter
 * (util/argv.c), the runner (util/proc.c) with real processes, the
 * rolled-back outcome (agent/outcome.c), and the pending-deploy mark and
 * current version of the store (store/deploy.c, store/versions.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "certkeeper/util/proc.h"
#include "certkeeper/agent/outcome.h"
#include "certkeeper/store/deploy.h"
#include "certkeeper/store/file.h"
#include "certkeeper/store/versions.h"
#include "certkeeper/util/argv.h"
#include "certkeeper/util/clock.h"
#include "certkeeper/util/log.h"

/* --- the splitter ----------------------------------------------------------- */

/* Splits command and checks it gives exactly the words of want (NULL-terminated). */
static void
expect_words(const char *command, const char *const *want)
{
	const char *why = "unset";
	char **argv = NULL;
	size_t i;

	if (ck_argv_split(command, &argv, &why) != 0)
		fail_msg("<%s>: refused: %s", command, why);
	for (i = 0; want[i] != NULL; i++) {
		if (argv[i] == NULL)
			fail_msg("<%s>: word %zu missing (want <%s>)", command, i, want[i]);
		if (strcmp(argv[i], want[i]) != 0)
			fail_msg("<%s>: word %zu is <%s>, want <%s>", command, i, argv[i], want[i]);
	}
	if (argv[i] != NULL)
		fail_msg("<%s>: extra word <%s>", command, argv[i]);
	assert_int_equal(ck_argv_count(argv), i);
	ck_argv_free(argv);
}

/* Broken: blanks not separating words, or runs of them making empty words. */
static void
test_split_blanks(void **state)
{
	expect_words("/bin/true", (const char *[]){ "/bin/true", NULL });
	expect_words("/usr/bin/systemctl reload nginx",
	    (const char *[]){ "/usr/bin/systemctl", "reload", "nginx", NULL });
	expect_words("  /a \t b\t\tc   ", (const char *[]){ "/a", "b", "c", NULL });
	expect_words("/a,b;c|d&e", (const char *[]){ "/a,b;c|d&e", NULL });
}

/* Broken: quotes not grouping, joining, or keeping what is inside as written. */
static void
test_split_quotes(void **state)
{
	expect_words("/bin/sh -c 'echo a b; exit 3'",
	    (const char *[]){ "/bin/sh", "-c", "echo a b; exit 3", NULL });
	expect_words("/x \"two words\" 'it''s'", (const char *[]){ "/x", "two words", "its", NULL });
	expect_words("/x \"a\"'b'c", (const char *[]){ "/x", "abc", NULL });
	expect_words("/x '' \"\"", (const char *[]){ "/x", "", "", NULL });
	expect_words("/x 'say \"hi\"' \"it's\"", (const char *[]){ "/x", "say \"hi\"", "it's", NULL });
	/* In single quotes a backslash is an ordinary character. */
	expect_words("/x 'a\\b' 'c\\'", (const char *[]){ "/x", "a\\b", "c\\", NULL });
}

/* Broken: backslash escapes (outside quotes: any character; in "...": only " and \). */
static void
test_split_escapes(void **state)
{
	expect_words("/x a\\ b \\'c\\' \\\\", (const char *[]){ "/x", "a b", "'c'", "\\", NULL });
	expect_words("/x \"a\\\"b\" \"c\\\\d\" \"e\\nf\"",
	    (const char *[]){ "/x", "a\"b", "c\\d", "e\\nf", NULL });
	expect_words("/x \\\t", (const char *[]){ "/x", "\t", NULL });
}

/* Broken: something expanded that the operator wrote literally. */
static void
test_split_no_expansion(void **state)
{
	expect_words("/x $HOME ${PATH} * ~ `id` $(id)",
	    (const char *[]){ "/x", "$HOME", "${PATH}", "*", "~", "`id`", "$(id)", NULL });
}

/* Broken: a malformed command accepted, or refused without saying why. */
static void
test_split_errors(void **state)
{
	static const struct {
		const char *command;
		const char *why;
	} bad[] = {
		{ "", "empty command" },
		{ "   \t ", "empty command" },
		{ "/x 'abc", "unterminated single quote" },
		{ "/x \"abc", "unterminated double quote" },
		{ "/x \"a\\\"", "unterminated double quote" },
		{ "/x 'a\"b", "unterminated single quote" },
		{ "/x a\\", "backslash at the end of the command" },
	};
	const char *why;
	char **argv;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv = (char **)&why;	/* must be reset to NULL */
		why = NULL;
		assert_int_equal(ck_argv_split(bad[i].command, &argv, &why), -1);
		assert_null(argv);
		assert_non_null(why);
		if (strcmp(why, bad[i].why) != 0)
			fail_msg("<%s>: why is <%s>, want <%s>", bad[i].command, why, bad[i].why);
	}
	ck_argv_free(NULL);
	assert_int_equal(ck_argv_count(NULL), 0);
}

/* --- the runner ------------------------------------------------------------- */

/* argv and env are arrays of char *, as execve takes them; the runner never writes to them. */
#define S(lit) ((char *)(lit))

static int saved_stderr = -1;
static FILE *captured;

/* Sends stderr (the log) to a temporary file until capture_end. */
static void
capture_begin(void)
{
	fflush(stderr);
	assert_non_null(captured = tmpfile());
	assert_true((saved_stderr = dup(2)) >= 0);
	assert_int_equal(dup2(fileno(captured), 2), 2);
}

/* Restores stderr; returns what was logged meanwhile (malloc'd, NUL-terminated). */
static char *
capture_end(void)
{
	char *text;
	long len;

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	assert_int_equal(fseek(captured, 0, SEEK_END), 0);
	assert_true((len = ftell(captured)) >= 0);
	rewind(captured);
	assert_non_null(text = malloc((size_t)len + 1));
	assert_int_equal(fread(text, 1, (size_t)len, captured), (size_t)len);
	text[len] = '\0';
	fclose(captured);
	return text;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs "/bin/sh -c script" with env and timeout; returns ck_hook_run's value. */
static int
run_sh(const char *script, char *const *env, long timeout_ms, struct ck_hook_result *r)
{
	char *argv[] = { S("/bin/sh"), S("-c"), (char *)script, NULL };

	return ck_hook_run("test: hook", argv, env, timeout_ms, r);
}

/* Broken: a hook that exits 0 not reported as success, or output invented. */
static void
test_run_exit0(void **state)
{
	static struct ck_hook_result r;
	char *argv[] = { S("/bin/true"), NULL }, why[128];

	assert_int_equal(ck_hook_run("test: hook", argv, NULL, 5000, &r), 0);
	assert_true(ck_hook_succeeded(&r));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);
	assert_false(r.interrupted);
	assert_int_equal(r.output_len, 0);
	assert_string_equal(ck_hook_describe(&r, why, sizeof(why)), "exited with status 0");
	assert_string_equal(ck_hook_output_line(&r, why, sizeof(why)), "");
}

/* Broken: an exit status lost, or stdout and stderr not both captured in order. */
static void
test_run_exit3(void **state)
{
	static struct ck_hook_result r;
	char why[128];

	assert_int_equal(run_sh("echo out; echo err >&2; exit 3", NULL, 5000, &r), 0);
	assert_false(ck_hook_succeeded(&r));
	assert_int_equal(r.status, 3);
	assert_int_equal(r.signal, 0);
	assert_string_equal(r.output, "out\nerr\n");
	assert_string_equal(ck_hook_describe(&r, why, sizeof(why)), "exited with status 3");
	assert_string_equal(ck_hook_output_line(&r, why, sizeof(why)), "out | err");
}

/* Broken: a hook killed by a signal taken for an exit status. */
static void
test_run_signal(void **state)
{
	static struct ck_hook_result r;
	char why[128];

	assert_int_equal(run_sh("echo before; kill -KILL $$", NULL, 5000, &r), 0);
	assert_false(ck_hook_succeeded(&r));
	assert_int_equal(r.signal, SIGKILL);
	assert_int_equal(r.status, -1);
	assert_false(r.timed_out);
	assert_string_equal(r.output, "before\n");
	snprintf(why, sizeof(why), "was killed by signal %d (%s)", SIGKILL, strsignal(SIGKILL));
	assert_string_equal(ck_hook_describe(&r, r.output, sizeof(r.output)), why);
}

/* Reads the pid the hook wrote to path. */
static pid_t
read_pid(const char *path)
{
	FILE *fp;
	long pid = 0;

	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	assert_true(pid > 1);
	return (pid_t)pid;
}

/*
 * Reaps pid, an orphan of the hook that this process (a subreaper) adopted,
 * within ms; fails if it is still alive then.  Returns its wait status.
 */
static int
reap_orphan(pid_t pid, int64_t ms)
{
	int64_t until = now_ms() + ms;
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < until)
		usleep(10000);
	if (got != pid)
		fail_msg("process %ld the hook started is still alive", (long)pid);
	return status;
}

/*
 * Broken: a timed-out hook not killed, or only the hook and not the child
 * it started (the process group), or no SIGKILL for a group that ignores
 * SIGTERM, or a timeout that does not say so.
 */
static void
test_run_timeout_kills_group(void **state)
{
	static struct ck_hook_result r;
	char dir[] = "/tmp/ck-hooks-XXXXXX", pidfile[128], script[512], why[128];
	int64_t start, took;
	pid_t child;
	int status;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);

	/* The group dies at SIGTERM: done soon after the timeout. */
	snprintf(script, sizeof(script), "/bin/sleep 60 & echo $! > %s; wait", pidfile);
	start = now_ms();
	assert_int_equal(run_sh(script, NULL, 300, &r), 0);
	took = now_ms() - start;
	assert_true(r.timed_out);
	assert_false(ck_hook_succeeded(&r));
	assert_int_equal(r.signal, SIGTERM);
	assert_true(took >= 300 && took < 1500);
	child = read_pid(pidfile);
	status = reap_orphan(child, 2000);
	/* SIGTERM reached the child too: the group was signalled, not the hook alone. */
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	snprintf(script, sizeof(script), "timed out after 300ms and was killed by signal %d (%s)",
	    SIGTERM, strsignal(SIGTERM));
	assert_string_equal(ck_hook_describe(&r, why, sizeof(why)), script);

	/* The group ignores SIGTERM: SIGKILL for all of it after the grace. */
	snprintf(script, sizeof(script), "trap '' TERM; /bin/sleep 60 & echo $! > %s; wait",
	    pidfile);
	start = now_ms();
	assert_int_equal(run_sh(script, NULL, 300, &r), 0);
	took = now_ms() - start;
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGKILL);
	assert_true(took >= 300 + CK_HOOK_KILL_GRACE_MS && took < 300 + CK_HOOK_KILL_GRACE_MS + 1500);
	child = read_pid(pidfile);
	status = reap_orphan(child, 2000);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* Whole seconds read as such (hook_timeout is in seconds). */
	r.timeout_ms = 60000;
	snprintf(script, sizeof(script), "timed out after 60s and was killed by signal %d (%s)",
	    SIGKILL, strsignal(SIGKILL));
	assert_string_equal(ck_hook_describe(&r, why, sizeof(why)), script);

	unlink(pidfile);
	rmdir(dir);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

/*
 * Broken: output over 4 KiB kept, or its cut not said, or a hook that
 * writes a lot blocked on a full pipe (it would time out), or exactly
 * 4 KiB taken for a cut.
 */
static void
test_run_output_capped(void **state)
{
	static struct ck_hook_result r;
	char *argv[] = { S("/usr/bin/head"), S("-c"), S("1048576"), S("/dev/zero"), NULL };
	char *log, line[64];
	size_t i;

	capture_begin();
	assert_int_equal(ck_hook_run("test: hook", argv, NULL, 10000, &r), 0);
	log = capture_end();
	assert_true(ck_hook_succeeded(&r));
	assert_int_equal(r.output_len, CK_HOOK_OUTPUT_MAX);
	assert_true(r.output_cut);
	for (i = 0; i < r.output_len; i++)
		assert_int_equal(r.output[i], '\0');
	assert_non_null(strstr(log, "test: hook: (output cut: only its first 4096 bytes are kept)"));
	free(log);
	assert_non_null(strstr(ck_hook_output_line(&r, line, sizeof(line)), "... [cut]"));
	assert_true(strlen(line) < sizeof(line));

	argv[2] = S("4096");
	assert_int_equal(ck_hook_run("test: hook", argv, NULL, 10000, &r), 0);
	assert_int_equal(r.output_len, CK_HOOK_OUTPUT_MAX);
	assert_false(r.output_cut);
}

/*
 * Broken: escape sequences, control bytes or NULs of a hook's output
 * reaching the log (or a NUL cutting its line short), or the output not
 * logged line by line.
 */
static void
test_run_output_sanitized(void **state)
{
	static struct ck_hook_result r;
	char *argv[] = { S("/usr/bin/printf"),
	    S("ok line\\n\\033[31mred\\033[0m\\001\\n a\\000b \\n\\n\\ttab\\r\\n\\377end"), NULL };
	char *log, line[256];
	size_t i;

	capture_begin();
	assert_int_equal(ck_hook_run("dev: deploy hook", argv, NULL, 5000, &r), 0);
	log = capture_end();
	assert_true(ck_hook_succeeded(&r));
	for (i = 0; log[i] != '\0'; i++)
		if (log[i] != '\n' && ((unsigned char)log[i] < 0x20 || (unsigned char)log[i] >= 0x7f))
			fail_msg("byte 0x%02x at %zu of the log", (unsigned char)log[i], i);
	assert_string_equal(log,
	    "certkeeper: info: dev: deploy hook: ok line\n"
	    "certkeeper: info: dev: deploy hook: ?[31mred?[0m?\n"
	    "certkeeper: info: dev: deploy hook:  a?b \n"
	    "certkeeper: info: dev: deploy hook: \n"
	    "certkeeper: info: dev: deploy hook: ?tab?\n"
	    "certkeeper: info: dev: deploy hook: ?end\n");
	free(log);
	assert_string_equal(ck_hook_output_line(&r, line, sizeof(line)),
	    "ok line | ?[31mred?[0m? |  a?b  |  | ?tab? | ?end");
}

/* Broken: a long line flooding the log, or its cut not marked. */
static void
test_run_long_line(void **state)
{
	static struct ck_hook_result r;
	char *log, *hit;

	capture_begin();
	assert_int_equal(run_sh("/usr/bin/head -c 3000 /dev/zero | /usr/bin/tr '\\000' x", NULL,
	    5000, &r), 0);
	log = capture_end();
	assert_int_equal(r.output_len, 3000);
	assert_non_null(hit = strstr(log, "test: hook: xxx"));
	/* One line of 1024 characters and the mark. */
	assert_int_equal(strcspn(hit, "\n"), strlen("test: hook: ") + 1024 + 3);
	assert_non_null(strstr(hit, "x...\n"));
	free(log);
}

/*
 * Broken: the agent's environment leaking into a hook, PATH not the fixed
 * one, a variable given lost, stdin not /dev/null, a descriptor of the
 * agent inherited, a signal the agent ignores still ignored, or the hook
 * not leading a process group of its own.
 */
static void
test_run_environment(void **state)
{
	static struct ck_hook_result r;
	char *env[] = { S("CERTKEEPER_NAME=device"), S("CERTKEEPER_CERT=/state dir/cert.pem"), NULL };
	char *argv[] = { S("/usr/bin/env"), NULL }, script[256];
	long pid, pgid;
	int fd;

	assert_int_equal(setenv("CK_LEAK", "secret", 1), 0);
	assert_int_equal(ck_hook_run("test: hook", argv, env, 5000, &r), 0);
	assert_true(ck_hook_succeeded(&r));
	assert_string_equal(r.output, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "CERTKEEPER_NAME=device\nCERTKEEPER_CERT=/state dir/cert.pem\n");
	assert_int_equal(run_sh("/usr/bin/env", NULL, 5000, &r), 0);
	assert_null(strstr(r.output, "CK_LEAK"));
	unsetenv("CK_LEAK");

	/* Only CERTKEEPER_ variables may be given. */
	env[1] = S("LD_PRELOAD=/tmp/x.so");
	assert_int_equal(ck_hook_run("test: hook", argv, env, 5000, &r), -1);
	assert_int_equal(r.start_errno, EINVAL);

	assert_int_equal(run_sh("/bin/cat; echo \"cat: $?\"", NULL, 5000, &r), 0);
	assert_string_equal(r.output, "cat: 0\n");

	assert_true((fd = open("/dev/null", O_RDONLY)) > 2);	/* no O_CLOEXEC */
	snprintf(script, sizeof(script),
	    "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo closed; fi", fd);
	assert_int_equal(run_sh(script, NULL, 5000, &r), 0);
	close(fd);
	assert_string_equal(r.output, "closed\n");

	signal(SIGUSR1, SIG_IGN);
	assert_int_equal(run_sh("kill -USR1 $$; echo survived", NULL, 5000, &r), 0);
	signal(SIGUSR1, SIG_DFL);
	assert_int_equal(r.signal, SIGUSR1);

	assert_int_equal(run_sh("echo $$ $(/usr/bin/cut -d' ' -f5 /proc/$$/stat)", NULL, 5000,
	    &r), 0);
	assert_int_equal(sscanf(r.output, "%ld %ld", &pid, &pgid), 2);
	assert_int_equal(pid, pgid);
	assert_int_not_equal(pgid, (long)getpgrp());
}

/*
 * Broken: a stop request not ending the wait for a hook (the agent would
 * hang until the hook's timeout), the hook left running, or a hook started
 * when a stop was already requested.
 */
static void
test_run_stop_request(void **state)
{
	static struct ck_hook_result r;
	char dir[] = "/tmp/ck-hooks-XXXXXX", mark[128], script[256], why[128];
	int64_t start;

	assert_int_equal(ck_stop_install(), 0);
	/* The hook itself sends the agent (its parent) SIGTERM, then sleeps. */
	start = now_ms();
	assert_int_equal(run_sh("kill -TERM $PPID; exec /bin/sleep 30", NULL, 60000, &r), 0);
	assert_true(now_ms() - start < 1500);
	assert_true(ck_stop_requested());
	assert_true(r.interrupted);
	assert_false(r.timed_out);
	assert_false(ck_hook_succeeded(&r));
	assert_int_equal(r.signal, SIGTERM);
	assert_string_equal(ck_hook_describe(&r, why, sizeof(why)),
	    "was interrupted by a stop request");

	/* Already stopped: not even started. */
	assert_non_null(mkdtemp(dir));
	snprintf(mark, sizeof(mark), "%s/ran", dir);
	snprintf(script, sizeof(script), "echo > %s", mark);
	assert_int_equal(run_sh(script, NULL, 5000, &r), 0);
	assert_true(r.interrupted);
	assert_int_equal(access(mark, F_OK), -1);
	rmdir(dir);
	ck_stop_reset();
}

/* Broken: a hook that cannot be executed taken for one that ran (and exited 127). */
static void
test_run_cannot_start(void **state)
{
	static struct ck_hook_result r;
	char *argv[] = { S("/nonexistent/hook"), NULL }, *rel[] = { S("true"), NULL }, why[128];

	ck_clear_error();
	assert_int_equal(ck_hook_run("test: hook", argv, NULL, 5000, &r), -1);
	assert_int_equal(r.start_errno, ENOENT);
	assert_false(ck_hook_succeeded(&r));
	assert_non_null(strstr(ck_last_error(), "test: hook: cannot run /nonexistent/hook"));
	snprintf(why, sizeof(why), "could not be started: %s", strerror(ENOENT));
	assert_string_equal(ck_hook_describe(&r, r.output, sizeof(r.output)), why);
	assert_int_equal(ck_hook_run("test: hook", rel, NULL, 5000, &r), -1);
	assert_int_equal(r.start_errno, EINVAL);
}

/* Broken: the one-line output of an error text overflowing its buffer or losing its marks. */
static void
test_output_line_fits(void **state)
{
	static struct ck_hook_result r;
	char small[20], tiny[4];

	memset(&r, 0, sizeof(r));
	r.output_len = (size_t)snprintf(r.output, sizeof(r.output), "line one\nline two\n\n");
	assert_string_equal(ck_hook_output_line(&r, small, sizeof(small)), "line one...");
	assert_string_equal(ck_hook_output_line(&r, tiny, sizeof(tiny)), "");
	r.output_cut = 1;
	assert_string_equal(ck_hook_output_line(&r, small, sizeof(small)), "line one... [cut]");
}

/* --- the outcome -------------------------------------------------------------- */

/*
 * Broken: a rolled-back attempt recorded as a plain failure (or as
 * interrupted when a stop came after the rollback), its hook error lost,
 * or "rolled-back" not a result name both ways.
 */
static void
test_outcome_rolled_back(void **state)
{
	static struct ck_outcome o;

	assert_string_equal(ck_result_name(CK_RESULT_ROLLED_BACK), "rolled-back");
	assert_int_equal(ck_result_parse("rolled-back"), CK_RESULT_ROLLED_BACK);
	assert_int_equal(ck_result_parse("interrupted"), CK_RESULT_INTERRUPTED);

	ck_outcome_begin(&o);
	ck_error_as(CK_ERR_HOOK, "dev: verify hook /x exited with status 1: down");
	ck_outcome_rolled_back(&o);
	ck_outcome_end(&o, 0);
	assert_int_equal(o.result, CK_RESULT_ROLLED_BACK);
	assert_int_equal(o.cls, CK_ERR_HOOK);
	assert_string_equal(o.error, "dev: verify hook /x exited with status 1: down");

	ck_outcome_begin(&o);
	assert_int_equal(o.result, CK_RESULT_FAILURE);
	ck_outcome_rolled_back(&o);
	ck_stop_request();
	ck_outcome_end(&o, 0);
	ck_stop_reset();
	assert_int_equal(o.result, CK_RESULT_ROLLED_BACK);
	assert_int_equal(o.cls, CK_ERR_HOOK);

	/* Without the mark, a failure stays one. */
	ck_outcome_begin(&o);
	ck_error_as(CK_ERR_HOOK, "dev: deploy hook /x exited with status 2");
	ck_outcome_end(&o, 0);
	assert_int_equal(o.result, CK_RESULT_FAILURE);
	assert_int_equal(o.cls, CK_ERR_HOOK);
}

/* --- the store: pending deploys, the current version ------------------------------ */

/* Writes text as dir/certs/dev/deploy-pending. */
static void
plant_pending(const char *dir, const char *text, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/certs/dev/deploy-pending", dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Installs a dummy set as a new version of dev; *version receives its name. */
static void
install_dummy(struct ck_store *st, char **version)
{
	struct ck_cert_files f = { "cert\n", 5, "chain\n", 6, "full\n", 5, "key\n", 4,
		CK_STORE_KEY_FILE };

	assert_int_equal(ck_store_install(st, "dev", &f, version), 0);
}

/*
 * Broken: the pending mark not read back as written, a missing one taken
 * for an error (or the reverse), a malformed one accepted, or the current
 * version's name not the one installed or rolled back to.
 */
static void
test_store_deploy_pending(void **state)
{
	static const char *const corrupt[] = {
		"", "\n", "v00000000000000000001 installed", "v00000000000000000001 installed\n\n",
		"v00000000000000000001  installed\n", "v00000000000000000001 installedx\n",
		"v0000000000000000001 installed\n", "v0000000000000000000a installed\n",
		"x00000000000000000001 restored\n", "v00000000000000000001 other\n",
		"../../etc/passwd installed\n", " v00000000000000000001 installed\n",
	};
	char dir[] = "/tmp/ck-hooks-store-XXXXXX", path[256], ver[CK_STORE_VERSION_LEN + 1];
	char *v1 = NULL, *v2 = NULL;
	struct ck_deploy_pending p, q;
	struct ck_store *st = NULL;
	size_t i;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(ck_store_open(dir, &st), 0);
	assert_int_equal(ck_store_current_version(st, "dev", ver), 1);
	assert_int_equal(ck_store_load_deploy_pending(st, "dev", &p), 1);
	assert_int_equal(ck_store_clear_deploy_pending(st, "dev"), 0);

	install_dummy(st, &v1);
	assert_int_equal(ck_store_current_version(st, "dev", ver), 0);
	assert_string_equal(ver, v1);
	install_dummy(st, &v2);
	assert_int_equal(ck_store_current_version(st, "dev", ver), 0);
	assert_string_equal(ver, v2);

	memset(&p, 0, sizeof(p));
	memcpy(p.version, v2, CK_STORE_VERSION_LEN + 1);
	assert_int_equal(ck_store_save_deploy_pending(st, "dev", &p), 0);
	snprintf(path, sizeof(path), "%s/certs/dev/deploy-pending", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ck_store_load_deploy_pending(st, "dev", &q), 0);
	assert_string_equal(q.version, v2);
	assert_false(q.restored);

	assert_int_equal(ck_store_rollback(st, "dev"), 0);
	assert_int_equal(ck_store_current_version(st, "dev", ver), 0);
	assert_string_equal(ver, v1);
	memcpy(p.version, v1, CK_STORE_VERSION_LEN + 1);
	p.restored = 1;
	assert_int_equal(ck_store_save_deploy_pending(st, "dev", &p), 0);
	assert_int_equal(ck_store_load_deploy_pending(st, "dev", &q), 0);
	assert_string_equal(q.version, v1);
	assert_true(q.restored);

	for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		plant_pending(dir, corrupt[i], strlen(corrupt[i]));
		ck_clear_error();
		if (ck_store_load_deploy_pending(st, "dev", &q) != -1)
			fail_msg("corrupt mark <%s> accepted", corrupt[i]);
		assert_non_null(strstr(ck_last_error(), "deploy-pending is corrupt"));
	}
	plant_pending(dir, "v00000000000000000001\0installed\n", 32);
	assert_int_equal(ck_store_load_deploy_pending(st, "dev", &q), -1);

	memcpy(p.version, "v1", 3);
	assert_int_equal(ck_store_save_deploy_pending(st, "dev", &p), -1);
	assert_int_equal(ck_store_clear_deploy_pending(st, "dev"), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(ck_store_load_deploy_pending(st, "dev", &q), 1);
	assert_int_equal(ck_store_clear_deploy_pending(st, "dev"), 0);

	ck_store_close(st);
	free(v1);
	free(v2);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_escapes),
		cmocka_unit_test(test_split_no_expansion),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_run_exit0),
		cmocka_unit_test(test_run_exit3),
		cmocka_unit_test(test_run_signal),
		cmocka_unit_test(test_run_timeout_kills_group),
		cmocka_unit_test(test_run_output_capped),
		cmocka_unit_test(test_run_output_sanitized),
		cmocka_unit_test(test_run_long_line),
		cmocka_unit_test(test_run_environment),
		cmocka_unit_test(test_run_stop_request),
		cmocka_unit_test(test_run_cannot_start),
		cmocka_unit_test(test_output_line_fits),
		cmocka_unit_test(test_outcome_rolled_back),
		cmocka_unit_test(test_store_deploy_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
