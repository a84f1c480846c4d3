# shellcheck shell=bash
#
# bench/lib.sh: sourced by bench/renewal, bench/idle and bench/fleet.  Gives
# the service starters of pebble/env.sh, the bench's own Debian packages
# (never the test list: bench/ is not part of tests/run), a work directory
# $B (removed at exit; kept with CK_KEEP=1), the results directory $R
# (bench/results, or BENCH_RESULTS) and a few helpers.  Speed is measured
# here and reported, never asserted.

bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pebble/env.sh
. "$bench_top/pebble/env.sh"

bench_name=$(basename "$0")
CK=${CK_BIN:-$bench_top/certkeeper}
R=${BENCH_RESULTS:-$bench_top/bench/results}
mkdir -p "$R"
R=$(cd "$R" && pwd)

# The peers (Debian 12: uacme 1.7.4, lego 4.9.1, certbot 2.1.0), GNU time
# for peak RSS, valgrind for callgrind's instruction counts, strace to count
# TCP connections, perf for the CA's CPU time, gnuplot (no X) for the
# charts, and what the services need.
CK_BENCH_PACKAGES=(pebble swtpm swtpm-tools tpm2-tools curl openssl python3 jq util-linux
	uacme lego certbot time valgrind strace gnuplot-nox linux-perf)

# Installs the missing CK_BENCH_PACKAGES with ck_install_deps.
bench_install_deps() {
	local saved=("${CK_DEB_PACKAGES[@]}") rc=0

	CK_DEB_PACKAGES=("${CK_BENCH_PACKAGES[@]}")
	ck_install_deps || rc=$?
	CK_DEB_PACKAGES=("${saved[@]}")
	return $rc
}

bench_say() {
	echo "$bench_name: $*" >&2
}

bench_die() {
	bench_say "$*"
	exit 1
}

B=$(mktemp -d "${TMPDIR:-/tmp}/ck-bench-$bench_name.XXXXXX")
_bench_cleanup() {
	local rc=$?
	set +e
	ck_stop_all
	# A file system a bench mounted under $B (bench/renewal's tmpfs) goes first.
	awk -v b="$B/" 'index($2, b) == 1 {print $2}' /proc/self/mounts | while read -r m; do
		umount "$m" || bench_say "cannot unmount $m"
	done
	if [ "${CK_KEEP:-0}" = 1 ]; then
		bench_say "kept $B"
	else
		rm -rf "$B"
	fi
	return $rc
}
trap _bench_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

[ -x "$CK" ] || bench_die "no certkeeper binary at $CK: build first (./configure && make)"

# Pebble logs each request as "Pebble DATE TIME METHOD PATH -> calling handler()".
bench_pebble_requests() {
	grep -c -E 'Pebble .* (GET|HEAD|POST) /' "$CK_PEBBLE_DIR/pebble.log" || true
}

# The machine, for the results: CPU model, cores, memory, kernel, load.
bench_machine() {
	local cpu mem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
	echo "$cpu, $(nproc) cores, $mem, Linux $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
}

# The measuring parent: bench/rusage.c, built into $B.  Usage: bench_rusage FILE CMD...
cc -O2 -Wall -o "$B/rusage" "$bench_top/bench/rusage.c" || bench_die "cannot build bench/rusage.c"
bench_rusage() {
	"$B/rusage" "$@"
}
