#!/bin/bash
# tests/lint.sh: cppcheck and clang-tidy over src/ with the checked-in
# configurations (tests/cppcheck/options and suppressions, .clang-tidy at the
# top); any finding fails.  Needs a configured tree (build-aux/ck_config.h,
# Makefile): tests/run calls it after its build.  About a minute on 2 cores.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -f Makefile ] && [ -f build-aux/ck_config.h ] || {
	echo "tests/lint.sh: configure the tree first (./configure)" >&2
	exit 2
}
command -v cppcheck >/dev/null || { echo "tests/lint.sh: cppcheck is not installed" >&2; exit 2; }
tidy=$(command -v clang-tidy-14 || command -v clang-tidy) ||
	{ echo "tests/lint.sh: clang-tidy is not installed" >&2; exit 2; }
jobs=${CK_LINT_JOBS:-2}
rc=0

mapfile -t opts < <(grep -v '^#' tests/cppcheck/options)
if ! cppcheck -j"$jobs" "${opts[@]}" src/; then
	echo "tests/lint.sh: cppcheck found the problems above" >&2
	rc=1
fi

# One file per clang-tidy run: several in one run gave false valist.Uninitialized
# findings (clang-tidy 14).
# The compiler's own flags, read from the Makefile (no compile_commands.json
# needed), plus what clang needs to accept gcc's.
flags=$(make -s -f Makefile -f - ck-lint-flags <<'MK'
ck-lint-flags:
	@echo $(DEFS) $(AM_CPPFLAGS) $(CPPFLAGS) $(AM_CFLAGS) $(CFLAGS)
MK
)
export CK_LINT_FLAGS="$flags -Wno-unknown-warning-option"
# shellcheck disable=SC2016 # expanded by the inner shell
if ! find src -name '*.c' -print0 | sort -z |
	xargs -0 -n 1 -P "$jobs" sh -c 'exec "$0" --quiet "$@" -- $CK_LINT_FLAGS' "$tidy" \
		2>"${TMPDIR:-/tmp}/ck-lint.$$"; then
	echo "tests/lint.sh: clang-tidy found the problems above" >&2
	rc=1
fi
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers' \
	"${TMPDIR:-/tmp}/ck-lint.$$" >&2 || true
rm -f "${TMPDIR:-/tmp}/ck-lint.$$"
[ $rc -ne 0 ] || echo "tests/lint.sh: cppcheck and clang-tidy report nothing on src/"
exit $rc
