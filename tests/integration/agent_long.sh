#!/bin/bash
# ck-test: once
# agent_long.sh: the resident agent over five minutes of 60-second
# certificates.  It keeps a valid certificate installed, renewing before
# each expiry; when the CA goes away for a minute it backs off (its
# attempts during the outage are counted and bounded) and, killed with
# SIGKILL and restarted at once in the middle of it (waiting for the run
# lock while the killed agent's pass ends), carries on with the backoff it
# had instead of starting over; when the CA comes back (a restarted Pebble,
# which has forgotten the account) it registers again and renews.  Every
# second the installed certificate is checked: outside the outage it is
# never expired.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export CK_CERT_VALIDITY=60
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
sed -i '/^directory = /a retry_min = 5s\nretry_max = 20s' "$conf"
cur=$state/certs/device/current
agent_log=$T/agent.log

start_agent() {
	"$CK" -c "$conf" run >>"$agent_log" 2>&1 </dev/null &
	agent=$!
	CK_PIDS+=("$agent")
}

# count PATTERN: how many lines of the agent's log match, the event lines
# (telemetry/events.h, which repeat an attempt's error) left out.
count() {
	grep -v -- ' event=' "$agent_log" | grep -c -- "$1" || true
}

# wait_count PATTERN N WHAT SECS
wait_count() {
	local i
	for i in $(seq 1 $(($4 * 10))); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		kill -0 "$agent" 2>/dev/null || fail "the agent ended while waiting for $3 (see $agent_log)"
		sleep 0.1
	done
	fail "no $3 within $4 s (see $agent_log)"
}

# watch SECS: checks every second for SECS seconds that the installed
# certificate is valid; counts the seconds it was not in $expired.
expired=0
watch() {
	local i
	for i in $(seq 1 "$1"); do
		if ! openssl x509 -in "$cur/cert.pem" -noout -checkend 0 >/dev/null 2>&1; then
			expired=$((expired + 1))
		fi
		kill -0 "$agent" 2>/dev/null || fail "the agent died (see $agent_log)"
		sleep 1
	done
}

start_agent
wait_count "device: installed certificate" 1 "first issuance" 30
t_start=$(date +%s)

# 1. Steady state: 150 s, about five lifetimes.
watch 150
installs1=$(count "device: installed certificate")
assert_eq 0 "$expired" "seconds with an expired certificate in steady state"
[ "$installs1" -ge 5 ] || fail "only $installs1 certificates installed in 150 s of 60 s lifetimes"
note "steady state: $installs1 certificates in 150 s, never expired"

# 2. The CA goes away for a minute.
fails0=$(count "renewal failed")
conn0=$(count "Couldn't connect")
ck_stop "$CK_PEBBLE_PID"
t_out=$(date +%s)
# Kill the agent right after a failed attempt, and start it again.
wait_count "renewal failed" $((fails0 + 1)) "a failed attempt during the outage" 45
# Its pass (a child, agent/child.c) ends with it, having saved the backoff.
# The agent is started again at once, as an operator would: while the old
# pass still holds the run lock, the new agent waits for it (cli/run.c).
pass=$(pgrep -P "$agent" || true)
kill -KILL "$agent"
wait "$agent" 2>/dev/null || true
lines=$(wc -l <"$agent_log")
start_agent
# (_ck_alive, pebble/env.sh: there and not a zombie; an orphan's reaper may be slow.)
for p in $pass; do
	for i in $(seq 1 300); do
		_ck_alive "$p" || break
		sleep 0.1
	done
	! _ck_alive "$p" || fail "the killed agent's pass (pid $p) still runs 30 s later"
done
# The restarted agent's first pass either backs off or tries the CA: its
# first line that says which must be the backoff (however long a loaded
# machine takes to get there).
first=
for i in $(seq 1 300); do
	first=$(tail -n +"$((lines + 1))" "$agent_log" | grep -v -- ' event=' |
		grep -m1 -e 'backing off after' -e "Couldn't connect" -e 'due since' \
		-e 'an order an earlier run left' || true)
	[ -n "$first" ] && break
	kill -0 "$agent" 2>/dev/null || fail "the restarted agent died (see $agent_log)"
	sleep 0.1
done
[ -n "$first" ] || fail "the restarted agent's first pass said nothing in 30 s (see $agent_log)"
assert_contains "$first" "backing off after" "the restarted agent's first pass"
note "SIGKILL and restart during the outage: the agent carries on with its backoff"
left=$((60 - ($(date +%s) - t_out)))
[ "$left" -le 0 ] || sleep "$left"
conn=$(($(count "Couldn't connect") - conn0))
[ "$conn" -ge 2 ] || fail "only $conn connection attempts during a 60 s outage (is it backing off forever?)"
[ "$conn" -le 15 ] || fail "$conn connection attempts during a 60 s outage: not backing off"
note "outage of 60 s: $conn attempts to reach the CA"

# 3. The CA is back (without its state): the agent recovers within its backoff.
installs2=$(count "device: installed certificate")
ck_restart_pebble
t_back=$(date +%s)
wait_count "device: installed certificate" $((installs2 + 1)) "a renewal after the outage" 40
note "recovered $(($(date +%s) - t_back)) s after the CA came back"
assert_contains "$(cat "$agent_log")" "registering it again" "the agent's log after the CA lost the account"

# 4. Steady again until five minutes have passed.
expired=0
left=$((300 - ($(date +%s) - t_start)))
[ "$left" -gt 20 ] || left=20
watch "$left"
assert_eq 0 "$expired" "seconds with an expired certificate after the recovery"
note "steady again for $left s, never expired; $(count 'device: installed certificate') certificates in all"
kill -TERM "$agent"
wait "$agent" || fail "the agent exited non-zero on SIGTERM"
