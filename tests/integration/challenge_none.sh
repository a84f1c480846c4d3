#!/bin/bash
# challenge_none.sh: challenge = none for a CA that has authorised the
# account already: with PEBBLE_AUTHZREUSE=100 an order after a first
# issuance through http-01 needs no challenge and succeeds; a name with a
# fresh authorization fails with an error naming it, nothing installed.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

PEBBLE_AUTHZREUSE=100 ck_start_pebble "$T/pebble"
state=$T/state
ck_write_config "$T/http.conf" "$state"
run_ck 0 -c "$T/http.conf" renew
cur=$state/certs/device/current
v1=$(readlink -f "$cur")
note "first issuance through http-01"

# Same account (same state_dir), same names: Pebble reuses the valid authorizations.
CK_CHALLENGE=none ck_write_config "$T/none.conf" "$state"
run_ck 0 -v -c "$T/none.conf" renew --force
assert_ne "$v1" "$(readlink -f "$cur")" "current after the renewal with challenge = none"
assert_not_contains "$(cat "$ERR")" "responder listening" "debug log"
note "renewed with challenge = none on reused authorizations"

# A name never validated: Pebble asks for a challenge.
v2=$(readlink -f "$cur")
CK_CHALLENGE=none CK_DOMAINS="device-1.test, fresh-1.test" ck_write_config "$T/fresh.conf" "$state"
run_ck 1 -c "$T/fresh.conf" renew --force
assert_contains "$(cat "$ERR")" "the CA asks for a challenge for fresh-1.test but challenge = none" "error"
assert_eq "$v2" "$(readlink -f "$cur")" "current after the refused order"
note "ok"
