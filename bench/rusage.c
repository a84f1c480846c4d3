/*
 * bench/rusage.c: runs a command as a direct child and writes its wall time,
 * user and system CPU time (seconds, microsecond resolution: GNU time's %U
 * and %S stop at 10 ms) and peak RSS (KiB, from wait4) to FILE as one CSV
 * line "wall,user,sys,maxrss".  Exits with the command's status.
 * Usage: rusage FILE COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage FILE COMMAND [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("rusage: execvp");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("rusage: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror("rusage: fopen");
		return 2;
	}
	fprintf(f, "%.6f,%.6f,%.6f,%ld\n",
	    (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	    tv(ru.ru_utime), tv(ru.ru_stime), ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
