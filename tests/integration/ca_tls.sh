#!/bin/bash
# ca_tls.sh: TLS to the CA is refused when it is wrong, and nothing
# installed changes: a server certificate from another CA, one for another
# name, an expired one, a server that speaks only TLS 1.0 or 1.1, a key that
# is not pinned (pin_sha256); a pinned key is accepted, also beside the next
# one during a rollover.  Proxy variables in the environment are ignored;
# `proxy =` names one, and the requests go through it (a CONNECT tunnel,
# tests/connect_proxy.py).  Each refusal is counted by its reason in
# certkeeper_ca_tls_failures_total (status --json: agent.ca_tls_failures).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
certs=$state/certs/device
root=$CK_PEBBLE_DIR/ca.pem
rootkey=$CK_PEBBLE_DIR/ca.key

run_ck 0 -c "$conf" renew
before=$(cert_snapshot "$certs")

# with_directory URL FILE: conf with the CA's directory at URL, in FILE.
with_directory() {
	sed "s|^directory = .*|directory = $1|" "$conf" >"$2"
}

# refused LABEL CONF REASON PATTERN: a forced renewal through CONF fails with
# PATTERN in its error, counts one more TLS failure of REASON, and leaves the
# installed set byte for byte.
refused() {
	local label=$1 c=$2 reason=$3 pattern=$4 n0 n1

	n0=$(json_get "$(status_json "$conf")" ".agent.ca_tls_failures.$reason")
	run_ck 1 -c "$c" renew --force
	assert_contains "$(cat "$ERR")" "$pattern" "the error for $label"
	assert_contains "$(cat "$ERR")" "the installed certificate is unchanged" "the outcome for $label"
	n1=$(json_get "$(status_json "$conf")" ".agent.ca_tls_failures.$reason")
	assert_eq $((n0 + 1)) "$n1" "TLS failures ($reason) after $label"
	assert_eq "$before" "$(cert_snapshot "$certs")" "the installed set after $label"
	assert_eq tls "$(json_get "$(status_json "$conf")" '.certificates[0].last_error_class')" \
		"error class after $label"
	note "$label: refused ($reason), nothing installed changed"
}

# server NAME CERT KEY [OPTION...]: an openssl s_server on a free port with
# CERT and KEY; sets $sport.
server() {
	local name=$1 cert=$2 key=$3
	shift 3
	sport=$(ck_free_port)
	_ck_spawn "$T/$name.log" openssl s_server -accept "127.0.0.1:$sport" -cert "$cert" -key "$key" \
		-www -quiet "$@"
	ck_wait_port "openssl s_server ($name)" "$CK_LAST_PID" "$T/$name.log" "$sport"
}

# leaf NAME SAN [STARTDATE ENDDATE]: a certificate NAME.pem (key NAME.key) for
# SAN from Pebble's listener root, valid for two days or from STARTDATE to
# ENDDATE (YYYYMMDDHHMMSSZ, through `openssl ca`).
leaf() {
	local name=$1 san=$2

	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
		-keyout "$T/$name.key" -out "$T/$name.csr" 2>/dev/null
	printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$san" >"$T/$name.ext"
	if [ $# -eq 2 ]; then
		openssl x509 -req -in "$T/$name.csr" -CA "$root" -CAkey "$rootkey" -CAcreateserial \
			-days 2 -extfile "$T/$name.ext" -out "$T/$name.pem" 2>/dev/null
		return
	fi
	mkdir -p "$T/ca-db"
	: >"$T/ca-db/index.txt"
	printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca-db/index.txt\nnew_certs_dir = %s/ca-db\nserial = %s/ca-db/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
		"$T" "$T" "$T" >"$T/ca.cnf"
	echo 01 >"$T/ca-db/serial"
	openssl ca -batch -config "$T/ca.cnf" -cert "$root" -keyfile "$rootkey" -in "$T/$name.csr" \
		-startdate "$3" -enddate "$4" -extfile "$T/$name.ext" -out "$T/$name.pem" 2>"$T/ca.err" ||
		fail "openssl ca: $(cat "$T/ca.err")"
}

# 1. A certificate from another CA (self-signed, for the right name).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext "subjectAltName = DNS:localhost" -keyout "$T/stranger.key" -out "$T/stranger.pem" \
	-days 2 2>/dev/null
server stranger "$T/stranger.pem" "$T/stranger.key"
with_directory "https://localhost:$sport/dir" "$T/stranger.conf"
refused "a certificate from another CA" "$T/stranger.conf" untrusted "certificate"

# 2. A certificate from the trusted root, for another name.
leaf wrongname "DNS:wrong.invalid"
server wrongname "$T/wrongname.pem" "$T/wrongname.key"
with_directory "https://localhost:$sport/dir" "$T/wrongname.conf"
refused "a certificate for another name" "$T/wrongname.conf" hostname "localhost"

# 3. A certificate from the trusted root, for the name, that has expired.
leaf expired "DNS:localhost" 20200101000000Z 20200201000000Z
server expired "$T/expired.pem" "$T/expired.key"
with_directory "https://localhost:$sport/dir" "$T/expired.conf"
refused "an expired certificate" "$T/expired.conf" expired "expired"

# 4. TLS 1.0 and 1.1 only: the server speaks them (openssl s_client gets
# through), certkeeper does not.
leaf old "DNS:localhost"
for v in tls1 tls1_1; do
	server "$v" "$T/old.pem" "$T/old.key" "-$v" -cipher 'DEFAULT:@SECLEVEL=0'
	echo | openssl s_client -connect "127.0.0.1:$sport" -servername localhost "-$v" \
		-cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$root" >"$T/$v.client" 2>&1 ||
		fail "openssl s_client -$v cannot reach the $v server: $(tail -n 5 "$T/$v.client")"
	grep -q "Protocol *: TLSv1\(\.1\)\?$" "$T/$v.client" ||
		fail "the $v server did not negotiate $v: $(grep Protocol "$T/$v.client")"
	with_directory "https://localhost:$sport/dir" "$T/$v.conf"
	refused "a server with only ${v/tls1_1/TLS 1.1}" "$T/$v.conf" handshake "SSL"
done

# 5. Pins: the SHA-256 of Pebble's listener key, another key's, both.
pin() {
	openssl pkey -in "$1" -pubout -outform DER | openssl dgst -sha256 -binary | base64
}
good=$(pin "$CK_PEBBLE_DIR/localhost.key")
other=$(pin "$T/stranger.key")
pinned() {
	sed "s|^\[acme\]$|[acme]\npin_sha256 = $1|" "$conf" >"$2"
}
pinned "$other" "$T/pin-other.conf"
refused "a CA key that is not pinned" "$T/pin-other.conf" pin "pinned"
pinned "$other, $good" "$T/pin-both.conf"
run_ck 0 -c "$T/pin-both.conf" renew --force
note "pinned keys during a rollover (another, then Pebble's): accepted"
pinned "$good" "$T/pin-good.conf"
run_ck 0 -c "$T/pin-good.conf" renew --force
before=$(cert_snapshot "$certs")
note "Pebble's key pinned: accepted"

# 6. Proxies: the environment's are ignored (they point nowhere); proxy =
# names one, and every request goes through its tunnel, whatever no_proxy
# in the environment says (pebble/env.sh exports no_proxy='*').
dead=$(ck_free_port)
https_proxy="http://127.0.0.1:$dead" HTTPS_PROXY="http://127.0.0.1:$dead" \
	ALL_PROXY="http://127.0.0.1:$dead" all_proxy="http://127.0.0.1:$dead" \
	run_ck 0 -c "$conf" renew --force
note "proxy variables in the environment (a dead port) are ignored"
pport=$(ck_free_port)
_ck_spawn "$T/proxy.out" python3 "$top/tests/connect_proxy.py" "$pport" "$T/proxy.log"
ck_wait_port "tests/connect_proxy.py" "$CK_LAST_PID" "$T/proxy.out" "$pport"
sed "s|^\[acme\]$|[acme]\nproxy = http://127.0.0.1:$pport|" "$conf" >"$T/proxy.conf"
run_ck 0 -c "$T/proxy.conf" renew --force
listen=${CK_ACME_DIR#https://localhost:}
assert_contains "$(cat "$T/proxy.log")" "CONNECT localhost:${listen%%/*}" "the proxy's tunnels"
note "proxy = http://127.0.0.1:$pport: the requests went through it ($(wc -l <"$T/proxy.log") tunnel(s))"
sed "s|^\[acme\]$|[acme]\nproxy = http://127.0.0.1:$dead|" "$conf" >"$T/dead-proxy.conf"
run_ck 1 -c "$T/dead-proxy.conf" renew --force
note "a configured proxy that is down: the renewal fails (no way around it)"
