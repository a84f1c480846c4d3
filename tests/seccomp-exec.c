/*
 * tests/seccomp-exec.c: runs a command under a seccomp filter built as
 * systemd builds a unit's, so that tests/integration/sandbox.sh can run
 * certkeeper with its unit's system call filter where no systemd runs.
 * A test helper only: libseccomp is not a dependency of certkeeper.
 *
 *   seccomp-exec [-v] [-d] [-e ERRNO] [-f FAMILY,...] [-w] LIST CMD [ARG...]
 *
 * LIST holds one system call name per line, groups already expanded (by
 * sandbox.sh, from `systemd-analyze syscall-filter`): the calls allowed,
 * or with -d the calls refused.  A refused call kills the process with
 * SIGSYS, as systemd does without SystemCallErrorNumber=; -e EPERM makes it
 * fail with that errno instead.  Only the native ABI passes
 * (SystemCallArchitectures=native).  -f restricts socket(2) to the
 * families named, the others failing with EAFNOSUPPORT
 * (RestrictAddressFamilies=); -w refuses writable and executable memory
 * with EPERM (MemoryDenyWriteExecute=).  Names that this libseccomp does
 * not know on this architecture are skipped, as systemd skips them; -v
 * says how many calls were taken and skipped.
 *
 * Exits 2 on a usage error, 1 when the filter cannot be built or loaded
 * or CMD cannot be run; otherwise it is CMD.
 */
#define _GNU_SOURCE	/* strerrorname_np */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#define NAME_MAX_LEN	64
#define FAMILY_MAX	AF_MAX

struct opts {
	int verbose;
	int deny;		/* LIST names the refused calls */
	uint32_t refuse;	/* what a refused call gets */
	int families[FAMILY_MAX];	/* with restrict_af: 1 for an allowed family */
	int restrict_af;
	int mdwe;
};

/* What the filter decided for a call with argument rules (socket, mmap, ...). */
struct listed {
	int socket, mmap, mprotect, pkey_mprotect, shmat;
};

static void
usage(void)
{
	fprintf(stderr, "usage: seccomp-exec [-v] [-d] [-e ERRNO] [-f FAMILY,...] [-w] LIST "
	    "CMD [ARG...]\n");
	exit(2);
}

/* The errno named name (EPERM, EACCES, ...), or -1. */
static int
errno_by_name(const char *name)
{
	const char *n;
	int e;

	for (e = 1; e < 4096; e++)
		if ((n = strerrorname_np(e)) != NULL && strcmp(n, name) == 0)
			return e;
	return -1;
}

/* The address family named name (AF_UNIX, ...), or -1. */
static int
family_by_name(const char *name)
{
	static const struct {
		const char *name;
		int af;
	} known[] = {
		{ "AF_UNIX", AF_UNIX }, { "AF_LOCAL", AF_LOCAL }, { "AF_INET", AF_INET },
		{ "AF_INET6", AF_INET6 }, { "AF_NETLINK", AF_NETLINK }, { "AF_PACKET", AF_PACKET },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].name, name) == 0)
			return known[i].af;
	return -1;
}

/* Marks each family of the comma-separated list; -1 on an unknown one. */
static int
parse_families(struct opts *o, const char *list)
{
	char *copy = NULL, *tok, *save = NULL;
	int af, rc = -1;

	if ((copy = strdup(list)) == NULL) {
		fprintf(stderr, "seccomp-exec: strdup: out of memory\n");
		goto out;
	}
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if ((af = family_by_name(tok)) < 0) {
			fprintf(stderr, "seccomp-exec: unknown address family %s\n", tok);
			goto out;
		}
		o->families[af] = 1;
	}
	o->restrict_af = 1;
	rc = 0;
out:
	free(copy);
	return rc;
}

/* Adds one rule; an action equal to the default is no rule at all (libseccomp refuses it). */
static int
rule(scmp_filter_ctx ctx, uint32_t def, uint32_t action, int nr, unsigned n,
    const struct scmp_arg_cmp *cmp)
{
	int r;

	if (action == def)
		return 0;
	if ((r = seccomp_rule_add_array(ctx, action, nr, n, cmp)) < 0) {
		fprintf(stderr, "seccomp-exec: seccomp_rule_add %s: %s\n",
		    seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr), strerror(-r));
		return -1;
	}
	return 0;
}

/* Non-zero when nr is a call that gets argument rules below rather than a plain one. */
static int
argument_ruled(const struct opts *o, int nr, struct listed *l)
{
	if (o->restrict_af && nr == SCMP_SYS(socket))
		return (l->socket = 1);
	if (!o->mdwe)
		return 0;
	if (nr == SCMP_SYS(mmap))
		return (l->mmap = 1);
	if (nr == SCMP_SYS(mprotect))
		return (l->mprotect = 1);
	if (nr == SCMP_SYS(pkey_mprotect))
		return (l->pkey_mprotect = 1);
	if (nr == SCMP_SYS(shmat))
		return (l->shmat = 1);
	return 0;
}

/*
 * Adds a rule per listed call of the file list: allowed, or refused with
 * -d.  Calls with argument rules are only noted in *l.  *taken and
 * *skipped count the names.
 */
static int
add_list(scmp_filter_ctx ctx, const struct opts *o, uint32_t def, const char *list,
    struct listed *l, int *taken, int *skipped)
{
	char line[NAME_MAX_LEN + 2];
	FILE *fp = NULL;
	size_t len;
	int nr, rc = -1;

	if ((fp = fopen(list, "r")) == NULL) {
		fprintf(stderr, "seccomp-exec: open %s: %s\n", list, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(fp)) {
			fprintf(stderr, "seccomp-exec: %s: line too long\n", list);
			goto out;
		}
		if (len == 0)
			continue;
		/* Unknown here, or only a pseudo-number (another ABI's call): skipped. */
		if ((nr = seccomp_syscall_resolve_name(line)) < 0) {
			(*skipped)++;
			continue;
		}
		(*taken)++;
		if (argument_ruled(o, nr, l))
			continue;
		if (rule(ctx, def, o->deny ? o->refuse : SCMP_ACT_ALLOW, nr, 0, NULL) == -1)
			goto out;
	}
	if (ferror(fp)) {
		fprintf(stderr, "seccomp-exec: read %s: %s\n", list, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	return rc;
}

/*
 * The action for a call with argument rules, for arguments that pass
 * them: allowed when the list allows the call (or, with -d, does not
 * refuse it), else refused like any other.
 */
static uint32_t
passing(const struct opts *o, int listed)
{
	return listed != o->deny ? SCMP_ACT_ALLOW : o->refuse;
}

/* socket(2): the families allowed pass, the others fail with EAFNOSUPPORT. */
static int
add_families(scmp_filter_ctx ctx, const struct opts *o, uint32_t def, const struct listed *l)
{
	struct scmp_arg_cmp c;
	int af;

	for (af = 0; af < FAMILY_MAX; af++) {
		c = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)af);
		if (rule(ctx, def, o->families[af] ? passing(o, l->socket) :
		    SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, &c) == -1)
			return -1;
	}
	c = SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)FAMILY_MAX);
	return rule(ctx, def, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, &c);
}

/*
 * Rules on argument arg of call nr by the bits of mask: a value with all
 * of bad set fails with EPERM, every other combination of mask's bits
 * passes.  (libseccomp has no "masked not equal", hence one rule each.)
 */
static int
add_masked(scmp_filter_ctx ctx, const struct opts *o, uint32_t def, int nr, int listed,
    unsigned arg, scmp_datum_t mask, scmp_datum_t bad)
{
	struct scmp_arg_cmp c;
	scmp_datum_t v;

	for (v = 0; v <= mask; v++) {
		if ((v & ~mask) != 0)
			continue;
		c = (struct scmp_arg_cmp){ arg, SCMP_CMP_MASKED_EQ, mask, v };
		if (rule(ctx, def, (v & bad) == bad ? SCMP_ACT_ERRNO(EPERM) : passing(o, listed), nr,
		    1, &c) == -1)
			return -1;
	}
	return 0;
}

/* MemoryDenyWriteExecute=: no mapping both writable and executable, nothing made executable. */
static int
add_mdwe(scmp_filter_ctx ctx, const struct opts *o, uint32_t def, const struct listed *l)
{
	if (add_masked(ctx, o, def, SCMP_SYS(mmap), l->mmap, 2, PROT_WRITE | PROT_EXEC,
	    PROT_WRITE | PROT_EXEC) == -1 ||
	    add_masked(ctx, o, def, SCMP_SYS(mprotect), l->mprotect, 2, PROT_EXEC, PROT_EXEC) == -1 ||
	    add_masked(ctx, o, def, SCMP_SYS(pkey_mprotect), l->pkey_mprotect, 2, PROT_EXEC,
	    PROT_EXEC) == -1 ||
	    add_masked(ctx, o, def, SCMP_SYS(shmat), l->shmat, 2, SHM_EXEC, SHM_EXEC) == -1)
		return -1;
	return 0;
}

/* Builds the filter of o and list and loads it into this process. */
static int
load_filter(const struct opts *o, const char *list)
{
	scmp_filter_ctx ctx = NULL;
	struct listed l = { 0 };
	uint32_t def = o->deny ? SCMP_ACT_ALLOW : o->refuse;
	int taken = 0, skipped = 0, r, rc = -1;

	if ((ctx = seccomp_init(def)) == NULL) {
		fprintf(stderr, "seccomp-exec: seccomp_init failed\n");
		goto out;
	}
	/* A call through another ABI (int 0x80, x32) dies, whatever the list says. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0) {
		fprintf(stderr, "seccomp-exec: seccomp_attr_set: %s\n", strerror(-r));
		goto out;
	}
	if (add_list(ctx, o, def, list, &l, &taken, &skipped) == -1)
		goto out;
	if (o->restrict_af && add_families(ctx, o, def, &l) == -1)
		goto out;
	if (o->mdwe && add_mdwe(ctx, o, def, &l) == -1)
		goto out;
	if (o->verbose)
		fprintf(stderr, "seccomp-exec: %d system calls %s, %d unknown on this architecture "
		    "skipped\n", taken, o->deny ? "refused" : "allowed", skipped);
	/* Sets no_new_privs first (SCMP_FLTATR_CTL_NNP): needed without CAP_SYS_ADMIN. */
	if ((r = seccomp_load(ctx)) < 0) {
		fprintf(stderr, "seccomp-exec: seccomp_load: %s\n", strerror(-r));
		goto out;
	}
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .refuse = SCMP_ACT_KILL_PROCESS };
	int ch, e;

	while ((ch = getopt(argc, argv, "+vde:f:w")) != -1) {
		switch (ch) {
		case 'v':
			o.verbose = 1;
			break;
		case 'd':
			o.deny = 1;
			break;
		case 'e':
			if ((e = errno_by_name(optarg)) < 0) {
				fprintf(stderr, "seccomp-exec: unknown errno name %s\n", optarg);
				return 2;
			}
			o.refuse = SCMP_ACT_ERRNO((uint32_t)e);
			break;
		case 'f':
			if (parse_families(&o, optarg) == -1)
				return 2;
			break;
		case 'w':
			o.mdwe = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	if (load_filter(&o, argv[optind]) == -1)
		return 1;
	execvp(argv[optind + 1], argv + optind + 1);
	fprintf(stderr, "seccomp-exec: exec %s: %s\n", argv[optind + 1], strerror(errno));
	return 1;
}
