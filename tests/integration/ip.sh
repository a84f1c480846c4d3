#!/bin/bash
# ip.sh: IP address identifiers (RFC 8738): 127.0.0.1 and ::1 in domains,
# ordered as {type: "ip"}, validated by Pebble over http-01 at those
# addresses, issued as iPAddress SANs and checked as such.  Without an IPv6
# loopback on this machine the ::1 part is skipped (exit 77 after IPv4).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"

# --- IPv4, with a DNS name beside it -------------------------------------------
state=$T/state4
conf=$T/v4.conf
CK_DOMAINS="127.0.0.1, device-1.test" ck_write_config "$conf" "$state"
run_ck 0 -c "$conf" renew
cur=$state/certs/device/current
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "IP Address:127.0.0.1" "subjectAltName"
assert_contains "$san" "DNS:device-1.test" "subjectAltName"
assert_not_contains "$san" "DNS:127.0.0.1" "subjectAltName"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root"
s=$(status_json "$conf")
assert_eq "127.0.0.1,device-1.test" "$(json_get "$s" '.certificates[0].domains | join(",")')" "domains"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"
note "issued for 127.0.0.1"

# --- IPv6 ---------------------------------------------------------------------
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	echo "ip: SKIP the ::1 part: this machine has no IPv6 loopback" >&2
	exit 77
fi
state=$T/state6
conf=$T/v6.conf
# Written long-hand: certkeeper keeps the canonical form.
CK_DOMAINS="0:0:0:0:0:0:0:1" ck_write_config "$conf" "$state"
run_ck 0 -c "$conf" renew
cur=$state/certs/device/current
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "IP Address:0:0:0:0:0:0:0:1" "subjectAltName"
s=$(status_json "$conf")
assert_eq "::1" "$(json_get "$s" '.certificates[0].domains | join(",")')" "domains"
note "issued for ::1"
note "ok"
