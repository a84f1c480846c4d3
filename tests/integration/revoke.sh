#!/bin/bash
# revoke.sh: `certkeeper revoke` against Pebble, confirmed by Pebble's own
# record (management API /cert-status-by-serial/): signed with the account
# key; recorded so that `status` shows the certificate revoked and a plain
# `renew` replaces it at once.  Then `account deactivate` (refused without
# --yes, saying what it would do): a revocation without a usable account is
# signed with the certificate's own key, and the next renewal registers a
# new account.  Reason codes ACME does not allow are refused.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

# pebble_status SERIAL: Pebble's status of the certificate with SERIAL ("Valid", "Revoked").
pebble_status() {
	curl -fsS --max-time 10 --cacert "$CK_CA_BUNDLE" "$CK_PEBBLE_MGMT/cert-status-by-serial/$1" |
		jq -r .Status || fail "Pebble has no status for serial $1"
}

run_ck 0 -c "$conf" renew
serial1=$(cert_serial "$cur/cert.pem")
assert_eq Valid "$(pebble_status "$serial1")" "Pebble's status of the new certificate"

# --- reasons ACME does not allow, and bad usage ------------------------------
for bad in 2 6 7 8 9 10 aACompromise; do
	run_ck 2 -c "$conf" revoke device --reason "$bad"
	assert_contains "$(cat "$ERR")" "is not one an ACME client may give" "reason $bad"
done
run_ck 2 -c "$conf" revoke nosuch
assert_contains "$(cat "$ERR")" "no [cert:nosuch] section" "an unknown name"
assert_eq Valid "$(pebble_status "$serial1")" "status after refused revocations"
note "reasons 2, 6-10 refused; unknown name refused"

# --- revoked with the account key --------------------------------------------
run_ck 0 -c "$conf" -v revoke device --reason superseded
assert_not_contains "$(cat "$ERR")" "certificate's key" "revocation signer with an account"
assert_eq Revoked "$(pebble_status "$serial1")" "Pebble's status after revoke"
s=$(status_json "$conf")
assert_eq revoked "$(json_get "$s" '.certificates[0].due_source')" "due_source after revoke"
run_ck 0 -c "$conf" status
assert_contains "$(cat "$OUT")" "revoked" "status text after revoke"
note "revoked (reason 4) with the account key: Pebble says Revoked, status says revoked"

# A second revocation is no error: the CA says it is revoked already.
run_ck 0 -c "$conf" revoke device
assert_contains "$(cat "$ERR")" "revoked already" "second revocation"

# --- the next renew replaces it at once --------------------------------------
run_ck 0 -c "$conf" renew
assert_contains "$(cat "$ERR")" "was revoked: renewing" "renew after revoke"
serial2=$(cert_serial "$cur/cert.pem")
assert_ne "$serial1" "$serial2" "serial after the renewal"
assert_eq Valid "$(pebble_status "$serial2")" "Pebble's status of the replacement"
s=$(status_json "$conf")
assert_ne revoked "$(json_get "$s" '.certificates[0].due_source')" "due_source after the renewal"
run_ck 0 -c "$conf" renew
assert_contains "$(cat "$ERR")" "nothing due" "a second renew"
note "plain renew replaced the revoked certificate ($serial1 -> $serial2), then nothing due"


# --- deactivation --------------------------------------------------------------
adir=$(account_dir "$state")
url1=$(cat "$adir/url")
run_ck 2 -c "$conf" account deactivate
assert_contains "$(cat "$ERR")" "--yes" "deactivate without --yes"
assert_contains "$(cat "$ERR")" "would deactivate" "deactivate without --yes says what it would do"
assert_file "$adir/url"
run_ck 0 -c "$conf" account show
assert_contains "$(cat "$OUT")" "status: valid" "account after a refused deactivation"
run_ck 0 -c "$conf" account deactivate --yes
if [ -e "$adir/url" ] || [ -e "$adir/key.pem" ]; then
	fail "the deactivated account is still stored"
fi
run_ck 1 -c "$conf" account show
note "account deactivate: refused without --yes, done with it, forgotten locally"

# --- revoked with the certificate's key, without an account ------------------
# That path opens its own connection to the CA: it keeps the pins too.
badpin=$(head -c 32 /dev/urandom | base64)
sed "s|^\[acme\]$|[acme]\npin_sha256 = $badpin|" "$conf" >"$T/badpin.conf"
run_ck 1 -c "$T/badpin.conf" revoke device --reason 1
assert_contains "$(cat "$ERR")" "pinned" "revoke with the certificate key, CA key not pinned"
assert_eq Valid "$(pebble_status "$serial2")" "Pebble's status after a revoke refused by the pin"
run_ck 0 -c "$conf" revoke device --reason 1
assert_contains "$(cat "$ERR")" "certificate's key" "revocation signer without an account"
assert_eq Revoked "$(pebble_status "$serial2")" "Pebble's status after revoke with the certificate key"
note "revoked (keyCompromise) with the certificate's key"

# --- the next renewal registers a new account ---------------------------------
run_ck 0 -c "$conf" renew
assert_contains "$(cat "$ERR")" "registered account" "renewal after deactivation"
serial3=$(cert_serial "$cur/cert.pem")
assert_ne "$serial2" "$serial3" "serial after the renewal"
url2=$(cat "$(account_dir "$state")/url")
assert_ne "$url1" "$url2" "account URL after deactivation"
assert_eq Valid "$(pebble_status "$serial3")" "Pebble's status of the newest certificate"
note "renew after deactivation registered a new account and replaced the certificate"

# --- a revocation ends the backoff of earlier failures -----------------------
# A failed attempt (the CA's key not the one pinned) leaves a backoff; the
# operator revokes; the next plain renew replaces the certificate at once
# instead of waiting the backoff out.
sed "s|^\[acme\]\$|[acme]\npin_sha256 = $(openssl rand 32 | base64)|" "$conf" >"$T/pinned.conf"
held=$(cert_serial "$cur/cert.pem")
run_ck 1 -c "$T/pinned.conf" renew --force
assert_ne null "$(json_get "$(status_json "$conf")" '.certificates[0].next_attempt')" \
	"a backoff after the failed attempt"
run_ck 0 -c "$conf" revoke device
run_ck 0 -c "$conf" renew
assert_contains "$(cat "$ERR")" "was revoked: renewing" "renew after a revoke during a backoff"
assert_ne "$held" "$(cert_serial "$cur/cert.pem")" "serial after the renewal following the backoff"
note "a revocation during a backoff: the next plain renew replaced it at once"
