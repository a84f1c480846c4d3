#!/bin/bash
# ck-test: once
# valgrind.sh: the integration flow under valgrind memcheck, with software
# and with TPM (swtpm) keys: issuance, forced renewal, status (text and
# JSON), account show, a failed validation, revoke and the renewal that
# replaces the revoked certificate.  Every certkeeper run has zero memcheck
# errors and nothing definitely lost (tests/valgrind.supp holds what
# libraries leak by design, each entry explained).  Run once: valgrind
# cannot run the ASan build, and the second pass would add nothing.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v valgrind >/dev/null || fail "valgrind is not installed (pebble/env.sh installs it)"
real=$CK
[ -x "$real" ] || fail "$real is not built"
# An ASan build (the second pass of tests/run, or CK_BIN) cannot run under valgrind.
if nm -an "$real" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: $test_name: $real is built with AddressSanitizer"
	exit 77
fi
mkdir -p "$T/vg"
# run_ck runs $CK: here valgrind around the real binary.  99 = a memcheck
# error or a definite leak, which no expected exit status matches.
CK=$T/certkeeper-valgrind
cat >"$CK" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--track-fds=no --suppressions=$top/tests/valgrind.supp --log-file=$T/vg/%p.log "$real" "\$@"
WRAP
chmod +x "$CK"
nruns=0

# vg EXPECTED_RC ARG...: runs certkeeper ARG under valgrind (stdout in $OUT,
# stderr in $ERR); fails showing valgrind's report if it made one, else
# unless it exited EXPECTED_RC.
vg() {
	local want=$1 rc=0 log
	shift

	nruns=$((nruns + 1))
	"$CK" "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	for log in "$T"/vg/*.log; do
		[ -s "$log" ] || continue
		cat "$log" >&2
		fail "valgrind reported the above for certkeeper $* (exit $rc)"
	done
	rm -f "$T"/vg/*.log
	[ "$rc" = "$want" ] || fail "certkeeper $* exited $rc under valgrind, expected $want"
}

export PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
ck_start_swtpm "$T"

# flow NAME CONF: every kind of run against one configuration.
flow() {
	local name=$1 conf=$2 port

	vg 0 -c "$conf" -v renew
	vg 0 -c "$conf" renew --force
	vg 0 -c "$conf" status
	vg 0 -c "$conf" status --json
	jq -e . "$OUT" >/dev/null || fail "status --json under valgrind printed no JSON"
	vg 0 -c "$conf" account show
	# The responder listens where the CA does not look: validation fails.
	port=$(ck_free_port)
	sed "s/^http_port = .*/http_port = $port/" "$conf" >"$conf.bad"
	vg 1 -c "$conf.bad" -v renew --force
	assert_contains "$(cat "$ERR")" "authorization for" "the failed run's error"
	vg 0 -c "$conf" -v revoke device --reason superseded
	vg 0 -c "$conf" renew
	assert_contains "$(cat "$ERR")" "was revoked: renewing" "renew after revoke"
	note "$name keys: issuance, forced renewal, status, account, failed validation, revoke, renewal: valgrind clean"
}

ck_write_config "$T/sw.conf" "$T/sw" "key = ec-p256"
flow software "$T/sw.conf"
CK_ACCOUNT_KEY=tpm ck_write_config "$T/tpm.conf" "$T/tpm" "key = tpm"
flow TPM "$T/tpm.conf"
note "$nruns certkeeper runs under valgrind memcheck: no error, nothing definitely lost"
