#!/bin/bash
# agent.sh: `certkeeper run`, the resident agent, as its service manager
# sees it: it tells READY=1 (with a STATUS line) once its first pass has
# installed a certificate, pings the watchdog it is asked for, keeps the
# configuration in use when SIGHUP brings a bad one and takes a good one,
# keeps a renew beside it out with its run lock, and on SIGTERM stops
# at once with exit 0.  Its passes run in a child process (agent/child.c):
# the agent itself never maps libcurl, libmicrohttpd or the TPM stack, and
# a pass killed halfway is one failed pass, after which the agent goes on,
# and an agent killed halfway takes its pass (and the lock) with it.  A
# stand-in for systemd's notification socket (tests/notify_listen.py)
# receives what sd_notify sends.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

if ! "$CK" --version | grep -q "^with libsystemd"; then
	note "built without libsystemd: sd_notify is not tested"
	notify=0
else
	notify=1
fi
sock=$T/notify.sock
notes=$T/notify.log
_ck_spawn "$notes" python3 "$top/tests/notify_listen.py" "$sock"
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "the notification socket did not appear"

# wait_for FILE TEXT WHAT: waits up to 30 s for TEXT to appear in FILE.
wait_for() {
	local i
	for i in $(seq 1 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$agent" 2>/dev/null || fail "the agent ended while waiting for $3 (see $agent_log)"
		sleep 0.1
	done
	fail "no $3 within 30 s (see $1)"
}

agent_log=$T/agent.log
NOTIFY_SOCKET=$sock WATCHDOG_USEC=2000000 "$CK" -c "$conf" run >"$agent_log" 2>&1 </dev/null &
agent=$!
CK_PIDS+=("$agent")
wait_for "$agent_log" "installed certificate" "first issuance"
assert_file "$cur/cert.pem"
# The pass that installed it ran in a child: the agent has not mapped
# libcurl (net/curl.c opens it in the pass), nor libmicrohttpd and GnuTLS
# (challenge/mhd.c, for the http-01 responder), nor the TPM stack
# (keys/tss.c, for a TPM); libsystemd it has, for the notification socket.
maps=$(cat "/proc/$agent/maps")
assert_not_contains "$maps" "libcurl" "the agent's mappings, after a pass over the network"
assert_not_contains "$maps" "libtss2" "the agent's mappings, with software keys"
assert_not_contains "$maps" "libmicrohttpd" "the agent's mappings, after a pass that answered http-01"
assert_not_contains "$maps" "libgnutls" "the agent's mappings, after a pass that answered http-01"
[ "$notify" = 0 ] || assert_contains "$maps" "libsystemd.so" "the agent's mappings, with NOTIFY_SOCKET"
if [ "$notify" = 1 ]; then
	wait_for "$notes" "READY=1" "READY=1"
	# READY comes after the pass: its process is gone.
	! pgrep -P "$agent" >/dev/null || fail "a child of the agent outlived its pass: $(pgrep -a -P "$agent")"
	assert_contains "$(grep READY=1 "$notes")" "STATUS=1 renewed, 0 failed; next at " "READY's STATUS"
	# A 2 s watchdog: pinged every second while idle.
	sleep 3.5
	pings=$(grep -c '^WATCHDOG=1$' "$notes") || true
	[ "$pings" -ge 2 ] || fail "only $pings watchdog pings in 3.5 s"
	note "READY=1 with its STATUS, and $pings watchdog pings in 3.5 s"
fi

# Another run cannot take the lock while the agent holds it.
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "another certkeeper run holds" "a renew beside the agent"

# A bad configuration on SIGHUP is refused and the old one kept.
cp "$conf" "$T/good.conf"
echo "bogus_key = 1" >>"$conf"
kill -HUP "$agent"
wait_for "$agent_log" "keeping the configuration in use" "the refusal of a bad configuration"
kill -0 "$agent" || fail "the agent died on a bad configuration"
note "SIGHUP with a bad configuration: refused, the agent keeps running"

# A good one is taken: a second certificate appears.
cp "$T/good.conf" "$conf"
printf '\n[cert:second]\ndomains = second-1.test\nhttp_port = %s\n' "$CK_HTTP_PORT" >>"$conf"
kill -HUP "$agent"
wait_for "$agent_log" "reloaded $conf: 2 certificates" "the reload"
wait_for "$agent_log" "second: installed certificate" "the second certificate"
assert_file "$state/certs/second/current/cert.pem"
note "SIGHUP with a good configuration: reloaded, the new certificate issued"

# A pass killed halfway (here in a deploy hook) is one failed pass: the
# agent says so, lives on, and stays without libcurl.
printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 60\n' "$T/stall.pid" >"$T/stall.sh"
chmod +x "$T/stall.sh"
printf '\n[cert:third]\ndomains = third-1.test\nhttp_port = %s\ndeploy_hook = %s\n' \
	"$CK_HTTP_PORT" "$T/stall.sh" >>"$conf"
kill -HUP "$agent"
wait_for "$agent_log" "reloaded $conf: 3 certificates" "the reload with a third certificate"
for _ in $(seq 1 300); do [ -s "$T/stall.pid" ] && break; sleep 0.1; done
[ -s "$T/stall.pid" ] || fail "the third certificate's deploy hook did not start (see $agent_log)"
CK_PIDS+=("$(cat "$T/stall.pid")")
pass=$(pgrep -P "$agent") || fail "no pass process under the agent while its hook runs"
kill -KILL "$pass"
wait_for "$agent_log" "the pass ended without its result (killed by signal 9" "the killed pass's report"
wait_for "$agent_log" "the pass failed; the next one is at" "the next pass's time"
kill "$(cat "$T/stall.pid")" 2>/dev/null || true
kill -0 "$agent" || fail "the agent died with its pass"
assert_not_contains "$(cat "/proc/$agent/maps")" "libcurl" "the agent's mappings, after three passes"
note "a pass killed in its deploy hook: reported, the agent goes on"

# SIGTERM while idle: exit 0 at once.
term_wait "$agent"
assert_eq 0 "$STOP_RC" "the agent's exit status after SIGTERM"
[ "$STOP_MS" -le 1000 ] || fail "the agent took $STOP_MS ms to stop"
assert_contains "$(cat "$agent_log")" "stopping on request" "the agent's last words"
if [ "$notify" = 1 ]; then
	grep -q '^STOPPING=1$' "$notes" || fail "no STOPPING=1 before the agent ended"
fi
note "SIGTERM: stopped in $STOP_MS ms, exit 0"

# An agent killed (SIGKILL) in the middle of a pass takes the pass with it
# (PR_SET_PDEATHSIG): the pass ends, its hook with it, and the run lock is
# free for the agent that replaces it.  The third certificate's deploy is
# still pending, so the new agent's first pass runs the stalling hook again.
rm -f "$T/stall.pid"
"$CK" -c "$conf" run >"$T/agent2.log" 2>&1 </dev/null &
agent=$!
CK_PIDS+=("$agent")
agent_log=$T/agent2.log
for _ in $(seq 1 300); do [ -s "$T/stall.pid" ] && break; sleep 0.1; done
[ -s "$T/stall.pid" ] || fail "the pending deploy hook did not run again (see $agent_log)"
hook=$(cat "$T/stall.pid")
CK_PIDS+=("$hook")
pass=$(pgrep -P "$agent") || fail "no pass process under the second agent"
CK_PIDS+=("$pass")
kill -KILL "$agent"
wait "$agent" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$pass" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pass" 2>/dev/null || fail "the pass outlived its killed agent by 10 s"
! kill -0 "$hook" 2>/dev/null || fail "the deploy hook outlived its pass"
flock -n "$state/lock" true || fail "the run lock is still held after the agent and its pass ended"
note "an agent killed in a pass: the pass and its hook end with it, the lock is free"
