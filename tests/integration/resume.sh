#!/bin/bash
# resume.sh: a renewal killed between finalize and download (a power cut,
# made here with a test fault point: SIGKILL right after the finalize
# request) leaves the installed set whole and the order recorded; the next
# run resumes that order (poll, download, check, install) instead of placing
# a new one: Pebble's log shows no second newOrder.  So does a run killed
# before finalize, once the CA has validated: the order was recorded while
# it validated.  An order the CA no
# longer knows is dropped and a new one placed; a CA that lost our account
# altogether (restarted without state) gets the same key registered again.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# Exact request counts: no badNonce retry may repeat a newOrder.  Fresh
# authorizations: every order has a challenge to answer (case 3).
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
certs=$state/certs/device
pending=$state/pending/device
plog=$CK_PEBBLE_DIR/pebble.log

run_ck 0 -c "$conf" renew
serial1=$(cert_serial "$certs/current/cert.pem")

# new_orders: how many newOrder requests Pebble has served.
new_orders() {
	grep -c 'POST /order-plz -> calling handler()' "$plog" || true
}
orders0=$(new_orders)
[ "$orders0" -ge 1 ] || fail "Pebble's log shows no newOrder at all (format changed?)"

# killed POINT ORDERS: a forced renewal SIGKILLed at the test fault point
# POINT leaves the installed set as it was, with one newOrder beyond ORDERS
# and that order recorded (its key mode 600).  Sets $orders and $url.
killed() {
	local before rc=0
	before=$(cert_snapshot "$certs")
	CERTKEEPER_TEST_FAULT=$1 "$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || rc=$?
	assert_eq 137 "$rc" "exit status of a run killed at $1 (SIGKILL)"
	assert_contains "$(cat "$ERR")" "test fault point $1" "stderr of the run killed at $1"
	assert_eq "$before" "$(cert_snapshot "$certs")" "installed set after the kill at $1"
	assert_file "$pending/order.json"
	assert_eq 600 "$(file_mode "$pending/key.pem")" "mode of the pending order's key ($1)"
	orders=$(new_orders)
	assert_eq $(($2 + 1)) "$orders" "newOrder requests after the run killed at $1"
	url=$(jq -r .url "$pending/order.json")
}

# resumed URL ORDERS SERIAL WHAT: a plain run resumes order URL, with no
# newOrder beyond ORDERS, and installs a certificate other than SERIAL,
# with the key the killed run made for the order, its record gone after.
# Sets $serial to the new certificate's serial.
resumed() {
	run_ck 0 -c "$conf" renew
	assert_contains "$(cat "$ERR")" "resuming order $1" "stderr of the run resuming $4"
	assert_eq "$2" "$(new_orders)" "newOrder requests after resuming $4"
	serial=$(cert_serial "$certs/current/cert.pem")
	assert_ne "$3" "$serial" "serial after resuming $4"
	assert_eq "$(cert_pubkey "$certs/current/cert.pem")" "$(key_pubkey "$certs/current/key.pem")" \
		"the key of the certificate of $4"
	[ ! -e "$pending/order.json" ] || fail "$4 is still recorded after its install"
}

# 1. Killed right after finalize: nothing installed, the order recorded.
killed after-finalize "$orders0"
orders1=$orders
note "killed after finalize: installed set unchanged, order $url recorded"

# 2. The next (plain) run resumes it: no second newOrder, the certificate installed.
resumed "$url" "$orders1" "$serial1" "the order killed after finalize"
serial2=$serial
s=$(status_json "$conf")
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result after the resume"
note "resumed: no new order, serial $serial2 installed, pending record gone"

# 3. Killed once the CA has validated the challenge, before finalize: the
# order was recorded while the CA validated, so the next run resumes it
# (finalize, download, install) without a second newOrder.
killed challenges-valid "$orders1"
resumed "$url" "$orders" "$serial2" "the order killed before finalize"
serial3=$serial
note "killed before finalize: resumed, no new order, serial $serial3 installed"

# 4. An order the CA no longer knows (a new Pebble) is dropped for a new one.
CERTKEEPER_TEST_FAULT=after-finalize "$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || true
assert_file "$pending/order.json"
# Point the record at an order this Pebble never made.
jq '.url |= sub("/my-order/[^/]*$"; "/my-order/not-an-order")' "$pending/order.json" >"$T/o.json"
cp "$T/o.json" "$pending/order.json"
orders3=$(new_orders)
run_ck 0 -c "$conf" renew
assert_eq $((orders3 + 1)) "$(new_orders)" "newOrder requests after an unknown pending order"
assert_contains "$(cat "$ERR")" "no longer knows order" "stderr for an unknown pending order"
[ ! -e "$pending/order.json" ] || fail "the unknown pending order is still recorded"
note "an order the CA does not know: dropped, a new order placed and installed"

# 5. A corrupt record is dropped with a warning, never a crash.
CERTKEEPER_TEST_FAULT=after-finalize "$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || true
printf '{"url": 5}' >"$pending/order.json"
run_ck 0 -c "$conf" renew
assert_contains "$(cat "$ERR")" "dropping the pending order" "stderr for a corrupt pending order"
note "a corrupt pending record: dropped with a warning"

# 6. A CA restarted without its state no longer knows our account: the key
# is registered again and the renewal goes through.
acct_url=$(cat "$(account_dir "$state")/url")
ck_restart_pebble
run_ck 0 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "no longer knows our account: registering it again" \
	"stderr after the CA lost the account"
assert_ne "$acct_url" "$(cat "$(account_dir "$state")/url")" "account URL after registering again"
note "a CA that lost the account: registered again with the same key, renewed"
