#!/bin/bash
# crash.sh: crashes and full disks during an install.  certkeeper is killed
# (SIGKILL) at every file-system call that makes the new version durable
# and visible (fsync, rename, renameat, symlinkat), one run per call, with
# strace's fault injection; then every such call fails with ENOSPC instead.
# After each run the installed set must be whole and matched (the
# certificate is for the key, fullchain is cert + chain, the chain signs
# the certificate), the old set or a new one, and the next run must work: a
# killed run holds no lock and leaves nothing that breaks the next.  (A
# killed process still has its writes in the page cache, so this checks
# what a reader can see at each step, not what a power cut would lose: that
# part rests on the fsync before each rename, which store.c's unit tests and
# this ordering cover.)
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || fail "strace is not installed (tests/run installs it)"
ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
certs=$state/certs/device

run_ck 0 -c "$conf" renew

# whole LINK: the version LINK points at is complete and matched.
whole() {
	local d=$certs/$1 f
	for f in cert.pem chain.pem fullchain.pem key.pem; do
		[ -s "$d/$f" ] || fail "$1/$f is missing or empty after $case"
	done
	[ "$(cert_pubkey "$d/cert.pem")" = "$(key_pubkey "$d/key.pem")" ] ||
		fail "$1: cert.pem is not for key.pem after $case"
	cat "$d/cert.pem" "$d/chain.pem" | cmp -s - "$d/fullchain.pem" ||
		fail "$1: fullchain.pem is not cert.pem + chain.pem after $case"
	openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$d/chain.pem" "$d/cert.pem" >/dev/null 2>&1 ||
		fail "$1: the chain does not verify after $case"
}

# check: after an interrupted or failed run.
check() {
	whole current
	[ ! -L "$certs/previous" ] || whole previous
	# status still reads the state, whatever was left behind.
	run_ck 0 -c "$conf" status --json
}

# The calls that write, make durable, link and switch the new version.
calls=(fsync rename renameat symlinkat)
# LeakSanitizer cannot run under ptrace: in the sanitizer pass, the runs
# under strace check memory errors but not leaks (the other tests do).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
killed=0
failed=0
for call in "${calls[@]}"; do
	for ((n = 1; n <= 40; n++)); do
		case="SIGKILL at $call #$n"
		rc=0
		strace -f -qq -o /dev/null -e trace="$call" -e inject="$call:signal=KILL:when=$n" \
			"$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || rc=$?
		[ $rc -ne 0 ] || break	# the run got past its last such call
		killed=$((killed + 1))
		check
	done
	[ $n -gt 1 ] || fail "renew --force never calls $call: the test lost its target"
	for ((n = 1; n <= 40; n++)); do
		case="ENOSPC from $call #$n"
		rc=0
		strace -f -qq -o /dev/null -e trace="$call" -e inject="$call:error=ENOSPC:when=$n" \
			"$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || rc=$?
		if [ $rc -ne 0 ]; then
			[ $rc -eq 1 ] || fail "exit $rc after $case (expected 1)"
			grep -q "No space left on device" "$ERR" || fail "$case is not reported: $(cat "$ERR")"
			failed=$((failed + 1))
		fi
		check
		[ $rc -ne 0 ] || break
	done
done
note "$killed runs killed and $failed runs failed at a write, link or rename: the set stayed whole"

# After all that: a normal run works and leaves only current and previous.
case="the final run"
run_ck 0 -c "$conf" renew --force
check
left=$(find "$certs" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)
assert_eq 0 "$left" "temporary entries left in $certs"
assert_eq 2 "$(version_dirs "$certs" | wc -l)" "version directories after the final run"
note "the next run after the crashes installs and prunes normally"
