#!/bin/bash
# profiles.sh: ACME profiles through tests/mitm.py --profiles in front of
# Pebble (2.4 has none): a profile the directory lists is sent in newOrder
# and the order is issued; none configured, none sent; one it does not list
# is refused before any order, naming those offered; the CA's
# invalidProfile is reported as such (status: last_problem); and a CA
# without meta.profiles (Pebble itself) is never sent one.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf

# with_profile NAME: $conf (direct to Pebble) and $proxy_conf (through the proxy) with profile = NAME.
with_profile() {
	if [ -n "$1" ]; then
		ck_write_config "$conf" "$state" "key = ec-p256" "profile = $1"
	else
		ck_write_config "$conf" "$state" "key = ec-p256"
	fi
	sed "s|^directory = .*|directory = https://localhost:$proxy_port/dir|" "$conf" >"$proxy_conf"
}

ck_write_config "$conf" "$state" "key = ec-p256"
mitm_setup "$conf"
with_profile shortlived
mitm_start profiles --profiles classic,shortlived,closed --refuse-profile closed

run_ck 0 -c "$proxy_conf" renew --force
assert_contains "$(cat "$proxy_log")" "newOrder profile=shortlived" "newOrder with profile = shortlived"
assert_contains "$(cat "$proxy_log")" "(profile echoed)" "the proxy's order answer"
assert_file "$state/certs/device/current/cert.pem"
note "a listed profile is sent in newOrder and issued"

orders=$(grep -c "newOrder profile=" "$proxy_log")
with_profile tlsserver
run_ck 1 -c "$proxy_conf" renew --force
assert_contains "$(cat "$ERR")" 'profile "tlsserver" is not offered by the CA (it offers "classic", "shortlived", "closed")' \
	"a profile the CA does not list"
assert_eq "$orders" "$(grep -c "newOrder profile=" "$proxy_log")" "newOrders after an unlisted profile"
s=$(status_json "$proxy_conf")
assert_eq config "$(json_get "$s" '.certificates[0].last_error_class')" "class of an unlisted profile"
note "an unlisted profile: refused before any order, naming those offered"

with_profile closed
run_ck 1 -c "$proxy_conf" renew --force
assert_contains "$(cat "$proxy_log")" "newOrder profile=closed" "newOrder with profile = closed"
assert_contains "$(cat "$ERR")" "invalidProfile" "the CA's refusal"
s=$(status_json "$proxy_conf")
assert_eq invalidProfile "$(json_get "$s" '.certificates[0].last_problem')" "last_problem"
note "the CA's invalidProfile: reported as such"

with_profile ""
run_ck 0 -c "$proxy_conf" renew --force
assert_contains "$(tail -n 20 "$proxy_log")" "newOrder profile=(none)" "newOrder without a profile"
note "no profile configured: none sent"

with_profile classic
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "the CA offers no profiles" "a profile with Pebble itself"
note "a CA without meta.profiles: refused before any order"
