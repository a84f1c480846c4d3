/*
 * cli/main.c: the command line.
 *
 *   certkeeper [-c FILE] [-v|-q] renew [--force] [NAME...]
 *   certkeeper [-c FILE] [-v|-q] run
 *   certkeeper [-c FILE] [-v|-q] status [--json]
 *   certkeeper [-c FILE] [-v|-q] account show|rollover|deactivate [--yes]
 *   certkeeper [-c FILE] [-v|-q] revoke NAME [--reason CODE]
 *
 * Exit codes: 0 success (or nothing due), 1 a failure, 2 usage or config.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certkeeper/acme/revoke.h"
#include "certkeeper/config/config.h"
#include "certkeeper/util/log.h"
#include "certkeeper/cli/commands.h"
#include "certkeeper/cli/status.h"
#include "certkeeper/util/clock.h"

static const char usage_text[] =
    "usage: certkeeper [-c FILE] [-v|-q] COMMAND\n"
    "\n"
    "Commands:\n"
    "  renew [--force] [NAME...]  renew the certificates that are due (or, with\n"
    "                             --force, the named ones or all)\n"
    "  run                        stay resident: renew whatever comes due, sleeping\n"
    "                             in between (SIGHUP reloads, SIGTERM stops)\n"
    "  status [--json]            show installed certificates and the last attempts\n"
    "  account show               show the ACME account at the configured CA\n"
    "  account rollover           replace the account key (RFC 8555 7.3.5)\n"
    "  account deactivate --yes   deactivate the account; the next renewal registers anew\n"
    "  revoke NAME [--reason CODE]  revoke NAME's installed certificate (CODE: 0\n"
    "                             unspecified, 1 keyCompromise, 3 affiliationChanged,\n"
    "                             4 superseded, 5 cessationOfOperation); the next\n"
    "                             renew replaces it\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE  configuration file (default: $CERTKEEPER_CONFIG, else\n"
    "                     " CK_DEFAULT_CONFIG ")\n"
    "  -v, --verbose      more detail (request and TPM command counts)\n"
    "  -q, --quiet        errors only\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit status: 0 success or nothing due, 1 a renewal failed, 2 usage or configuration error.\n";

/* Reports a usage error and returns the usage exit code. */
static int usage_error(const char *fmt, ...) CK_PRINTF(1, 2);
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "certkeeper: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see certkeeper --help)\n");
	return CK_EXIT_USAGE;
}

static int
cmd_renew(const struct ck_config *cfg, int argc, char **argv)
{
	int i, force = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--force") != 0)
			return usage_error("renew: unknown option %s", argv[i]);
		force = 1;
	}
	return ck_cmd_renew(cfg, force, argv + i, (size_t)(argc - i));
}

static int
cmd_run(const struct ck_config *cfg, int argc, char **argv)
{
	if (argc > 1)
		return usage_error("run: unexpected argument %s", argv[1]);
	return ck_cmd_run(cfg);
}

static int
cmd_status(const struct ck_config *cfg, int argc, char **argv)
{
	int json = 0;

	if (argc > 2)
		return usage_error("status: unexpected argument %s", argv[2]);
	if (argc == 2) {
		if (strcmp(argv[1], "--json") != 0)
			return usage_error("status: unknown argument %s", argv[1]);
		json = 1;
	}
	return ck_status_print(cfg, json, stdout);
}

static int
cmd_account(const struct ck_config *cfg, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return ck_cmd_account_show(cfg);
	if (argc == 2 && strcmp(argv[1], "rollover") == 0)
		return ck_cmd_account_rollover(cfg);
	if (argc >= 2 && argc <= 3 && strcmp(argv[1], "deactivate") == 0) {
		if (argc == 3 && strcmp(argv[2], "--yes") != 0)
			return usage_error("account deactivate: unknown argument %s", argv[2]);
		return ck_cmd_account_deactivate(cfg, argc == 3);
	}
	return usage_error("%s", "account: expected `account show`, `account rollover` or "
	    "`account deactivate --yes`");
}

static int
cmd_revoke(const struct ck_config *cfg, int argc, char **argv)
{
	const char *name = NULL;
	int i, reason = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0) {
			if (++i == argc)
				return usage_error("%s", "revoke: --reason needs a CODE");
			if (ck_revoke_reason_parse(argv[i], &reason) != 0)
				return usage_error("revoke: reason \"%s\" is not one an ACME client may "
				    "give (0 unspecified, 1 keyCompromise, 3 affiliationChanged, "
				    "4 superseded, 5 cessationOfOperation; RFC 5280 5.3.1, RFC 8555 "
				    "7.6)", argv[i]);
		} else if (argv[i][0] == '-' || name != NULL) {
			return usage_error("revoke: unexpected argument %s", argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (name == NULL)
		return usage_error("%s", "revoke: expected `revoke NAME [--reason CODE]`");
	return ck_cmd_revoke(cfg, name, reason);
}

static const struct {
	const char *name;
	int (*run)(const struct ck_config *, int, char **);
} commands[] = {
	{ "renew", cmd_renew },
	{ "run", cmd_run },
	{ "status", cmd_status },
	{ "account", cmd_account },
	{ "revoke", cmd_revoke },
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_config *cfg = NULL;
	const char *path = getenv("CERTKEEPER_CONFIG");
	size_t i;
	int c, rc;

	if (path == NULL || path[0] == '\0')
		path = CK_DEFAULT_CONFIG;
	opterr = 0;
	/* "+": options end at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			ck_log_set_level(CK_LOG_DEBUG);
			break;
		case 'q':
			ck_log_set_level(CK_LOG_ERROR);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return CK_EXIT_OK;
		case 'V':
			/* The optional integration, for operators and the tests that need it. */
			printf("certkeeper %s\n%s\n", PACKAGE_VERSION,
#ifdef HAVE_LIBSYSTEMD
			    "with libsystemd (notifications, watchdog, journal)"
#else
			    "without libsystemd (no notifications, watchdog or journal)"
#endif
			    );
			return CK_EXIT_OK;
		default:
			if (optopt == 'c')
				return usage_error("%s", "option -c needs a FILE");
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return usage_error("unknown command %s", argv[optind]);
	if (ck_config_load(path, &cfg) != 0)
		return CK_EXIT_USAGE;
	/* SIGTERM and SIGINT stop any wait or transfer at once; the store stays whole. */
	if (ck_stop_install() != 0) {
		ck_config_free(cfg);
		return CK_EXIT_FAILED;
	}
	rc = commands[i].run(cfg, argc - optind, argv + optind);
	ck_config_free(cfg);
	return rc;
}
