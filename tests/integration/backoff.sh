#!/bin/bash
# backoff.sh: after a failed renewal certkeeper waits before the next
# attempt, across runs (each run is a new process, as a timer starts it):
# a plain `renew` of a due certificate that is backing off says so and
# makes no request at all; once the wait is over it tries again and waits
# longer; `renew --force` ignores the wait, and a success resets the
# failures.  status shows the failures, the next attempt and where the
# due time comes from; the due time carries the device's jitter once the
# account key's thumbprint is known.  Failures come from a validation
# that cannot succeed (the responder listens where Pebble does not look),
# so Pebble keeps running and its log counts what each run asked.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
# A short first wait, so that the test can outwait it.
sed -i '/^account_key = /a retry_min = 2s' "$conf"
grep -q '^retry_min = 2s$' "$conf" || fail "cannot set retry_min in $conf"
cur=$state/certs/device/current
sched=$state/certs/device/schedule.json

# Variants: validation fails (wrong port); due at once (renew_before longer than any lifetime).
wrong_port=$(ck_free_port)
CK_PORTS_TAKEN="$CK_PORTS_TAKEN $wrong_port"
sed "s/^http_port = .*/http_port = $wrong_port/" "$conf" >"$T/wrong.conf"
{ cat "$T/wrong.conf"; echo "renew_before = 36500d"; } >"$T/wrong-due.conf"
{ cat "$conf"; echo "renew_before = 36500d"; } >"$T/due.conf"

# backing_off CONF FAILURES: a plain renew with CONF skips the certificate,
# saying it backs off after FAILURES failures, and contacts nobody.
backing_off() {
	local before after
	before=$(pebble_requests)
	[ "$before" -gt 0 ] || fail "no request line in Pebble's log (has its format changed?)"
	run_ck 0 -v -c "$1" renew
	after=$(pebble_requests)
	assert_contains "$(cat "$ERR")" "device: backing off after $2 failure" "stderr of a run that backs off"
	assert_contains "$(cat "$ERR")" "no attempt: 1 certificate due but backing off" \
		"the summary of a run that backs off"
	assert_not_contains "$(cat "$ERR")" "nothing due" "the summary of a run that backs off"
	assert_not_contains "$(cat "$ERR")" "HTTP requests over" "a run that backs off (it made a connection)"
	assert_eq "$before" "$after" "requests Pebble saw from a run that backs off"
}

# --- issue, and the jitter once the account key is known ---------------------------
run_ck 0 -c "$conf" renew
serial1=$(cert_serial "$cur/cert.pem")
s=$(status_json "$conf")
assert_eq lifetime "$(json_get "$s" '.certificates[0].due_source')" "due_source after issuance"
assert_eq 0 "$(json_get "$s" '.certificates[0].failures')" "failures after issuance"
assert_eq null "$(json_get "$s" '.certificates[0].next_attempt')" "next_attempt after issuance"
thumb=$(key_pubkey "$(account_dir "$state")/key.pem" | jwk_thumbprint)
assert_eq "$thumb" "$(json_get "$sched" '.account_thumbprint')" "account thumbprint in schedule.json"
nb=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].not_before')")
na=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].not_after')")
ra=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].renew_after')")
life=$((na - nb))
if [ "$life" -le 864000 ]; then left=$((life / 2)); else left=$((life / 3)); fi
rule=$((na - left))
if [ "$ra" -gt "$rule" ] || [ "$ra" -lt $((rule - life / 20)) ]; then
	fail "renew_after $ra is not within a twentieth of the lifetime ($((life / 20)) s) before the rule's $rule"
fi
note "issued; due $((rule - ra)) s before the lifetime rule (jitter up to $((life / 20)) s)"

# --- a forced renewal fails: counted, next attempt set ----------------------------------
run_ck 1 -c "$T/wrong.conf" renew --force
assert_contains "$(cat "$ERR")" "next attempt not before" "stderr after a failure"
s=$(status_json "$conf")
assert_eq 1 "$(json_get "$s" '.certificates[0].failures')" "failures after a failed forced renewal"
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result"
last=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].last_attempt')")
next=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].next_attempt')")
# The first wait is retry_min (2 s); last_attempt is recorded a moment before the schedule.
if [ "$next" -lt $((last + 2)) ] || [ "$next" -gt $((last + 3)) ]; then
	fail "next_attempt $next is not retry_min (2 s) after the failure at $last"
fi
note "failed forced renewal: failures 1, next attempt $((next - last)) s later"

# Not due: a plain run does nothing and does not claim to back off.
run_ck 0 -c "$T/wrong.conf" renew
assert_not_contains "$(cat "$ERR")" "backing off" "a run with nothing due"

# --- due, but backing off: skipped, nothing asked --------------------------------------
backing_off "$T/wrong-due.conf" 1
s=$(status_json "$T/wrong-due.conf")
assert_eq renew_before "$(json_get "$s" '.certificates[0].due_source')" "due_source with renew_before"
assert_eq 1 "$(json_get "$s" '.certificates[0].failures')" "failures after a run that backed off"

# Once the wait is over, a plain run tries again, fails, and waits longer.
while [ "$(date +%s)" -le "$next" ]; do sleep 0.2; done
run_ck 1 -c "$T/wrong-due.conf" renew
assert_contains "$(cat "$ERR")" "authorization for" "stderr of the retry"
s=$(status_json "$conf")
assert_eq 2 "$(json_get "$s" '.certificates[0].failures')" "failures after the retry"
last=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].last_attempt')")
next=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].next_attempt')")
if [ "$next" -lt $((last + 2)) ] || [ "$next" -gt $((last + 5)) ]; then
	fail "next_attempt $next is not 2 to 4 s after the second failure at $last"
fi
# The run right after it (a new process: the wait survives a restart) backs off.
backing_off "$T/wrong-due.conf" 2
run_ck 0 -c "$T/wrong-due.conf" status
assert_contains "$(cat "$OUT")" "failures:    2" "status text"
assert_contains "$(cat "$OUT")" "next attempt: $(json_get "$s" '.certificates[0].next_attempt')" "status text"
assert_eq "$serial1" "$(cert_serial "$cur/cert.pem")" "serial after the failures"
note "due while backing off: skipped without a request, retried once the wait was over"

# --- renew --force ignores the wait; success resets the failures ------------------------
backing_off "$T/due.conf" 2
run_ck 0 -c "$T/due.conf" renew --force
serial2=$(cert_serial "$cur/cert.pem")
assert_ne "$serial1" "$serial2" "serial after the forced renewal"
s=$(status_json "$conf")
assert_eq 0 "$(json_get "$s" '.certificates[0].failures')" "failures after a success"
assert_eq null "$(json_get "$s" '.certificates[0].next_attempt')" "next_attempt after a success"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result after a success"
# Nothing holds a due certificate back any more.
run_ck 0 -c "$T/due.conf" renew
assert_not_contains "$(cat "$ERR")" "backing off" "a due run after the success"
assert_ne "$serial2" "$(cert_serial "$cur/cert.pem")" "serial after a plain renewal of a due certificate"
note "renew --force ignored the wait; the success reset the failures"
