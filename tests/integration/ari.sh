#!/bin/bash
# ck-test: once
# ari.sh: ACME Renewal Information (RFC 9773) end to end, and the drill a
# fleet CA runs to have every device re-key at once.  Pebble 2.4 has no
# ARI, so tests/mitm.py --ari in front of it adds renewalInfo to the
# directory and answers it from a file the test rewrites.  The resident
# agent asks for the window right after each issuance, renews at a time it
# chose inside it (status: due_source "ari"), asks again when Retry-After
# says (one minute, the shortest it honours); when the window moves into
# the past it renews at once, naming the old certificate in `replaces`, and
# does not renew again while the new certificate's window lies ahead.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current
ari=$T/ari.json
echo '{"default": {"start_offset": 3600, "end_offset": 7200}, "retry_after": 60}' >"$ari"
mitm_setup "$conf"
mitm_start ari --ari "$ari"

agent_log=$T/agent.log
"$CK" -c "$proxy_conf" -v run >"$agent_log" 2>&1 </dev/null &
agent=$!
CK_PIDS+=("$agent")

# wait_count FILE PATTERN N WHAT SECS: waits until PATTERN is in FILE N times.
wait_count() {
	local i n
	for i in $(seq 1 $(($5 * 10))); do
		n=$(grep -c -- "$2" "$1" 2>/dev/null) || true
		[ "$n" -ge "$3" ] && return 0
		kill -0 "$agent" 2>/dev/null || fail "the agent ended while waiting for $4 (see $agent_log)"
		sleep 0.1
	done
	fail "no $4 within $5 s (see $1)"
}

wait_count "$agent_log" "device: installed certificate" 1 "first issuance" 30
wait_count "$agent_log" "the CA suggests renewing between" 1 "a renewal window" 30
id=$(sed -n 's/^mitm: ARI \([^ ]*\) -> .*/\1/p' "$proxy_log" | head -n 1)
[ -n "$id" ] || fail "the proxy answered no renewal-information request (see $proxy_log)"
assert_contains "$(cat "$proxy_log")" "newOrder replaces=(none)" "the first order"
s=$(status_json "$proxy_conf")
assert_eq ari "$(json_get "$s" '.certificates[0].due_source')" "due_source with a window"
due=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].renew_after')")
now=$(date +%s)
[ "$due" -ge $((now + 3500)) ] && [ "$due" -le $((now + 7200)) ] ||
	fail "the chosen time $due is outside the window now+3600..now+7200"
serial1=$(cert_serial "$cur/cert.pem")
note "window fetched for $id; due at a time inside it ($(json_get "$s" '.certificates[0].renew_after'))"

# The drill: this certificate's window moves into the past.
jq --arg id "$id" '.windows = {($id): {"start_offset": -120, "end_offset": -60}}' "$ari" >"$T/a" &&
	mv "$T/a" "$ari"
wait_count "$proxy_log" "newOrder replaces=$id" 1 "a replacing order" 90
wait_count "$agent_log" "device: installed certificate" 2 "the replacing certificate" 30
serial2=$(cert_serial "$cur/cert.pem")
assert_ne "$serial1" "$serial2" "serial after the drill"
wait_count "$agent_log" "the CA suggests renewing between" 2 "the new certificate's window" 30
note "drill: renewed at the next check, replaces=$id"

# The new certificate's window lies ahead: no further renewal.
sleep 5
assert_eq 2 "$(grep -c 'device: installed certificate' "$agent_log")" "installs after the drill"
s=$(status_json "$proxy_conf")
assert_eq ari "$(json_get "$s" '.certificates[0].due_source')" "due_source after the drill"
assert_eq "$serial2" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial in status"
kill -TERM "$agent"
wait "$agent" || fail "the agent exited non-zero after SIGTERM"
note "no renewal while the new window lies ahead"
