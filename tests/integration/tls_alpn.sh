#!/bin/bash
# tls_alpn.sh: tls-alpn-01 (RFC 8737) validated for real by Pebble's VA on its
# tlsPort, where certkeeper's responder listens only during the order, for
# DNS names and an IP address (SNI its reverse-DNS name); a port in use; the
# responder's refusals (another SNI, another or no ALPN) are in
# tests/unit/test_challenge.c, which can hold it open.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# Fresh authorizations for every order, so that each one needs the responder.
PEBBLE_AUTHZREUSE=0 ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
CK_CHALLENGE=tls-alpn-01 ck_write_config "$conf" "$state" "tls_port = $CK_TLS_PORT"
cur=$state/certs/device/current

ck_port_open "$CK_TLS_PORT" && fail "something listens on tlsPort $CK_TLS_PORT before the order"
run_ck 0 -v -c "$conf" renew
note "issued through tls-alpn-01"
assert_file "$cur/cert.pem"
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "DNS:device-1.test" "subjectAltName"
assert_contains "$san" "DNS:api.device-1.test" "subjectAltName"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root"
# Pebble's VA really connected, once per name (PEBBLE_VA_ALWAYS_VALID is not set).
n=$(grep -c 'tls-alpn-01 responder: answered a validation' "$ERR") || true
[ "$n" -ge 2 ] || fail "the responder answered $n validation handshakes, expected at least 2"
assert_contains "$(cat "$ERR")" "tls-alpn-01 responder listening on port $CK_TLS_PORT" "debug log"
assert_contains "$(cat "$ERR")" "tls-alpn-01 responder on port $CK_TLS_PORT stopped" "debug log"
ck_port_open "$CK_TLS_PORT" && fail "the tls-alpn-01 responder still listens after the order"

# A port in use: a clear error, nothing installed changes.
before=$(readlink -f "$cur")
_ck_spawn "$T/squat.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$CK_TLS_PORT"
squat=$CK_LAST_PID
ck_wait_port "port squatter" "$squat" "$T/squat.log" "$CK_TLS_PORT"
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "tls-alpn-01 responder: cannot listen on port $CK_TLS_PORT" "error"
assert_eq "$before" "$(readlink -f "$cur")" "current after the failed renewal"
ck_stop "$squat"

# An IP identifier (RFC 8738 6): Pebble sends the reverse-DNS name as SNI.
CK_CHALLENGE=tls-alpn-01 CK_DOMAINS="127.0.0.1" ck_write_config "$T/ip.conf" "$T/state-ip" \
	"tls_port = $CK_TLS_PORT"
run_ck 0 -v -c "$T/ip.conf" renew
assert_contains "$(cat "$ERR")" "presenting 127.0.0.1 (SNI 1.0.0.127.in-addr.arpa)" "debug log"
san=$(openssl x509 -in "$T/state-ip/certs/device/current/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "IP Address:127.0.0.1" "subjectAltName"
note "issued 127.0.0.1 through tls-alpn-01"
note "ok"
