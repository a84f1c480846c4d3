#!/bin/bash
# lock.sh: a renewal refuses to run while another run holds STATE_DIR/lock
# (exit 1, saying so, changing nothing), status still works, and the next
# run after the lock is released succeeds.  The resident agent, started
# while the lock is held (as when the agent before it was killed and its
# pass is still finishing), says it waits, starts once the lock is free,
# and stops at once, exit 0, when told to while it waits.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
serial=$(cert_serial "$cur/cert.pem")

# One process takes the lock and then becomes `sleep` holding it, so that
# stopping that PID releases the lock (with `flock FILE sleep`, the sleep
# child would keep the lock after flock itself is killed).  Sets holder.
hold_lock() {
	# shellcheck disable=SC2016 # $1 is expanded by the inner shell
	_ck_spawn "$T/flock.log" bash -c 'exec 9>>"$1" && flock 9 && exec sleep 60' lock-holder "$state/lock"
	holder=$CK_LAST_PID
	for ((i = 0; i < 50; i++)); do
		flock -n "$state/lock" true || break
		sleep 0.1
	done
	flock -n "$state/lock" true && fail "the helper did not take $state/lock"
	return 0
}

# Waits up to 30 s for TEXT in the agent's log.  Usage: agent_says TEXT WHAT
agent_says() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -qF -- "$1" "$agent_log" && return 0
		_ck_alive "$agent" || fail "the agent ended before $2: $(tail -n 5 "$agent_log")"
		sleep 0.1
	done
	fail "no $2 within 30 s: $(tail -n 5 "$agent_log")"
}

hold_lock

run_ck 1 -c "$conf" renew
err=$(cat "$ERR")
assert_contains "$err" "another" "stderr of renew while locked"
assert_contains "$err" "$state/lock" "stderr of renew while locked"
run_ck 1 -c "$conf" renew --force
assert_eq "$serial" "$(cert_serial "$cur/cert.pem")" "certificate after a locked-out renew --force"
note "renew exits 1 while another run holds the lock"

s=$(status_json "$conf")
assert_eq "$serial" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial in status while locked"
note "status works while the lock is held"

ck_stop "$holder"
run_ck 0 -c "$conf" renew --force
assert_ne "$serial" "$(cert_serial "$cur/cert.pem")" "serial after the lock was released"
note "renew works again once the lock is free"

# The resident agent waits for the lock instead of giving up at once.
hold_lock
agent_log=$T/agent.log
_ck_spawn "$agent_log" "$CK" -c "$conf" run
agent=$CK_LAST_PID
agent_says "another certkeeper run holds $state/lock: waiting up to 30 s for it" "the agent's wait"
sleep 1
_ck_alive "$agent" || fail "the agent gave up while the lock was held: $(tail -n 5 "$agent_log")"
assert_not_contains "$(cat "$agent_log")" "resident agent started" "the agent's log while the lock is held"
ck_stop "$holder"
agent_says "resident agent started" "the agent's start once the lock was free"
assert_contains "$(cat "$agent_log")" "took $state/lock after waiting" "the agent's log"
term_wait "$agent"
assert_eq 0 "$STOP_RC" "the agent's exit status after SIGTERM"
note "run waits for a held lock, says so, and starts once it is free"

# Told to stop while it waits, it stops at once: exit 0, nothing started.
hold_lock
agent_log=$T/agent-stopped.log
_ck_spawn "$agent_log" "$CK" -c "$conf" run
agent=$CK_LAST_PID
agent_says "waiting up to 30 s" "the agent's wait"
term_wait "$agent"
assert_eq 0 "$STOP_RC" "the exit status of an agent stopped while it waited for the lock"
assert_contains "$(cat "$agent_log")" "stop requested while waiting for $state/lock" "the stopped agent's log"
assert_not_contains "$(cat "$agent_log")" "error" "the stopped agent's log"
assert_not_contains "$(cat "$agent_log")" "resident agent started" "the stopped agent's log"
# Well before its 30-s wait would have ended on its own.
[ "$STOP_MS" -le 10000 ] || fail "the waiting agent took $STOP_MS ms to stop"
ck_stop "$holder"
note "SIGTERM while run waits for the lock: exit 0 in $STOP_MS ms, nothing started"
