#!/bin/bash
# lock.sh: a renewal refuses to run while another run holds STATE_DIR/lock
# (exit 1, saying so, changing nothing), status still works, and the next
# run after the lock is released succeeds.
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
# child would keep the lock after flock itself is killed).
# shellcheck disable=SC2016 # $1 is expanded by the inner shell
_ck_spawn "$T/flock.log" bash -c 'exec 9>>"$1" && flock 9 && exec sleep 60' lock-holder "$state/lock"
holder=$CK_LAST_PID
for ((i = 0; i < 50; i++)); do
	flock -n "$state/lock" true || break
	sleep 0.1
done
flock -n "$state/lock" true && fail "the helper did not take $state/lock"

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
