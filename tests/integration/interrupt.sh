#!/bin/bash
# interrupt.sh: SIGTERM ends a renewal at once, whatever it is waiting for,
# and changes nothing installed.  A proxy in front of Pebble (tests/mitm.py)
# keeps a finalized order from completing: once by answering every poll
# with "processing" (certkeeper is between polls, in the clock's wait), once
# by never answering a poll (certkeeper is inside an HTTPS transfer).  In
# both cases SIGTERM must end certkeeper within one second with exit 1,
# the installed set byte for byte unchanged, and the attempt recorded as
# interrupted.  Without the stoppable clock and transfer, the first case
# would sleep out its poll delay and the second curl's timeout.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
certs=$state/certs/device

run_ck 0 -c "$conf" renew
note "first issuance directly from Pebble succeeded"
mitm_setup "$conf"

# interrupted MODE MARK: a forced renewal through the proxy in MODE, sent
# SIGTERM once the proxy log shows MARK, ends within a second, exit 1,
# nothing changed, status "interrupted".
interrupted() {
	local mode=$1 mark=$2 before pid i s

	before=$(cert_snapshot "$certs")
	mitm_start "$mode" --after-finalize "$mode"
	"$CK" -c "$proxy_conf" renew --force >"$OUT" 2>"$ERR" </dev/null &
	pid=$!
	for i in $(seq 1 300); do
		grep -q -- "$mark" "$proxy_log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q -- "$mark" "$proxy_log" || fail "$mode: the proxy never held the order (see $proxy_log)"
	kill -0 "$pid" 2>/dev/null || fail "$mode: certkeeper ended before it was signalled"
	# Let it settle into the wait (or the transfer) it is to be cut out of.
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || fail "$mode: certkeeper ended before it was signalled"
	term_wait "$pid"
	ck_stop "$proxy_pid"
	assert_eq 1 "$STOP_RC" "$mode: exit status after SIGTERM"
	[ "$STOP_MS" -le 1000 ] || fail "$mode: certkeeper took $STOP_MS ms to stop after SIGTERM"
	assert_contains "$(cat "$ERR")" "renewal interrupted; the installed certificate is unchanged" \
		"$mode: stderr"
	assert_eq "$before" "$(cert_snapshot "$certs")" "$mode: certificate directory and current files"
	s=$(status_json "$conf")
	assert_eq interrupted "$(json_get "$s" '.certificates[0].last_result')" "$mode: last_result"
	assert_eq interrupted "$(json_get "$s" '.certificates[0].last_error_class')" \
		"$mode: last_error_class"
	note "$mode: stopped $STOP_MS ms after SIGTERM, exit 1, installed set unchanged, status interrupted"
}

interrupted processing "(held processing)"
interrupted stall "(stalled: no answer)"

# order_timeout bounds the wait: an order held processing fails at the
# deadline with its cause, and nothing changes.
before=$(cert_snapshot "$certs")
sed '/^directory = /a order_timeout = 3s' "$proxy_conf" >"$T/timeout.conf"
grep -q '^order_timeout = 3s$' "$T/timeout.conf" || fail "cannot set order_timeout"
mitm_start timeout --after-finalize processing
run_ck 1 -c "$T/timeout.conf" renew --force
ck_stop "$proxy_pid"
assert_contains "$(cat "$ERR")" "order: still processing at the order deadline" "stderr at order_timeout"
assert_eq "$before" "$(cert_snapshot "$certs")" "certificate directory after order_timeout"
s=$(status_json "$conf")
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result at order_timeout"
note "order_timeout = 3s: the held order fails at its deadline, installed set unchanged"

# Every request is bounded: a poll the CA never answers fails after the
# transport's 30 s, naming the timeout, and nothing changes.
before=$(cert_snapshot "$certs")
mitm_start bound --after-finalize stall
t0=$(date +%s)
run_ck 1 -c "$proxy_conf" renew --force
secs=$(($(date +%s) - t0))
ck_stop "$proxy_pid"
assert_contains "$(cat "$ERR")" "Timeout was reached" "stderr of an unanswered request"
[ "$secs" -ge 29 ] && [ "$secs" -le 45 ] || fail "an unanswered request ended after $secs s, not 30"
assert_eq "$before" "$(cert_snapshot "$certs")" "certificate directory after an unanswered request"
note "an unanswered request fails after $secs s (the 30 s bound), installed set unchanged"

# Nothing was left behind that breaks the next run.
run_ck 0 -c "$conf" renew --force
note "the next renewal succeeds"
