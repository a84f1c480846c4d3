/*
 * tests/fuzz/regress.c: the main() of regress_TARGET, a plain test binary
 * (no libFuzzer) for `make check`: every file in tests/fuzz/TARGET/regress/
 * (inputs that once crashed) and tests/fuzz/TARGET/corpus/ (the seeds) is
 * fed to the target's LLVMFuzzerTestOneInput, which aborts on a failed
 * oracle; built with --enable-sanitizers, a memory error fails it too.
 * Arguments, when given, are the files to run instead.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "regress_" CKFZ_NAME ": cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
run_dir(const char *top, const char *sub, unsigned *count)
{
	char dir[1024], path[2048];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", top, CKFZ_NAME, sub);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (run_file(path) != 0)
			rc = -1;
		(*count)++;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	unsigned count = 0;
	int i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_file(argv[i]) != 0)
				rc = 1;
		return rc;
	}
	if (top == NULL)
		top = ".";
	if (run_dir(top, "regress", &count) != 0 || run_dir(top, "corpus", &count) != 0)
		rc = 1;
	if (count == 0) {
		fprintf(stderr, "regress_" CKFZ_NAME ": no input in %s/tests/fuzz/%s\n", top,
		    CKFZ_NAME);
		return 1;
	}
	printf("regress_%s: %u inputs\n", CKFZ_NAME, count);
	return rc;
}
