#!/bin/bash
# hostile_ca.sh: whatever a broken CA or a hostile network hands over as the
# certificate is refused, and the installed one stays byte for byte.  A TLS
# man-in-the-middle (tests/mitm.py, trusted like Pebble's listener) relays
# everything to a real Pebble and swaps the certificate download's body: a
# chain for another key, one for other names, garbage, a private key block,
# nothing at all, a leaf without its issuer or under a stranger, and, made
# under a CA of the test's own for our key and names: expired, not yet
# valid, without serverAuth, with the CA flag; garbage inside a PEM block;
# a chain of 100 certificates.  Each run
# must exit 1 naming the reason and record the failure in status.  A
# pass-through run first proves the proxy alone breaks nothing.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
# key_reuse: every renewal uses the same key, so that a certificate issued
# for it beforehand (other names) passes the key check.
ck_write_config "$conf" "$state" "key = ec-p256" "key_reuse = yes"
certs=$state/certs/device
cur=$certs/current

run_ck 0 -c "$conf" renew
note "first issuance directly from Pebble succeeded"

mitm_setup "$conf"

# start_proxy LABEL [FILE]: the proxy, serving FILE as the certificate download when given.
start_proxy() {
	local label=$1

	if [ $# -lt 2 ]; then
		mitm_start "$label"
	else
		mitm_start "$label" --replace "$2"
	fi
}

# --- the proxy alone changes nothing ---------------------------------------
serial0=$(cert_serial "$cur/cert.pem")
start_proxy pass
run_ck 0 -c "$proxy_conf" renew --force
ck_stop "$proxy_pid"
downloads=$(grep -c "^mitm: POST /certZ/[^ ]* -> 200\$" "$proxy_log") || true
assert_eq 1 "$downloads" "certificate downloads relayed untouched by the proxy"
assert_not_contains "$(cat "$proxy_log")" "tampered" "proxy log in pass-through mode"
assert_not_contains "$(cat "$proxy_log")" "upstream failed" "proxy log in pass-through mode"
assert_ne "$serial0" "$(cert_serial "$cur/cert.pem")" "serial after the renewal through the proxy"
s=$(status_json "$conf")
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result through the proxy"
note "pass-through: renewal through the proxy succeeded ($(grep -c -- ' -> ' "$proxy_log") requests relayed)"

# --- what the hostile CA will hand over ------------------------------------
key_pub=$(key_pubkey "$cur/key.pem")

# A genuine Pebble chain for another key.
ck_write_config "$T/otherkey.conf" "$T/state-otherkey" "key = ec-p256"
run_ck 0 -c "$T/otherkey.conf" renew
otherkey=$T/state-otherkey/certs/device/current/fullchain.pem
assert_ne "$key_pub" "$(cert_pubkey "$otherkey")" "public key of the other key's certificate"

# A genuine Pebble chain for our key but other names.
ck_write_config "$T/othernames.conf" "$T/state-othernames" "key = ec-p256" "key_reuse = yes" \
	"key_file = $cur/key.pem"
sed -i 's/^domains = .*/domains = other-1.test/' "$T/othernames.conf"
run_ck 0 -c "$T/othernames.conf" renew
othernames=$T/state-othernames/certs/device/current/fullchain.pem
assert_eq "$key_pub" "$(cert_pubkey "$othernames")" "public key of the other names' certificate"
san=$(openssl x509 -in "$othernames" -noout -ext subjectAltName) || fail "cannot read $othernames"
assert_contains "$san" "DNS:other-1.test" "names of the other names' certificate"
assert_not_contains "$san" "device-1.test" "names of the other names' certificate"

printf 'this is not a certificate\n<html>502 Bad Gateway</html>\n' >"$T/garbage.pem"
# A good chain (ours, for our names) with a private key appended.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/stray.key" 2>/dev/null ||
	fail "openssl genpkey"
cat "$cur/fullchain.pem" "$T/stray.key" >"$T/privkey.pem"
: >"$T/empty.pem"
# Our own valid leaf: alone, and followed by a root that did not sign it.
cp "$cur/cert.pem" "$T/leafonly.pem"
cat "$cur/cert.pem" "$CK_CA_BUNDLE" >"$T/stranger.pem"

# Made here, for our key and our names, under a CA of the test's own (so
# that each chain passes every other check): expired, not yet valid,
# without serverAuth, with the CA flag; a chain of 100 certificates.
mkdir -p "$T/ca/db"
: >"$T/ca/db/index"
echo 1000 >"$T/ca/db/serial"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca/ca.key" \
	-out "$T/ca/ca.pem" -days 30 -subj "/CN=hostile test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null ||
	fail "openssl req (test CA)"
openssl req -new -key "$cur/key.pem" -subj "/CN=device-1.test" -out "$T/ca/leaf.csr" \
	-addext "subjectAltName=DNS:device-1.test,DNS:api.device-1.test" 2>/dev/null || fail "openssl req (CSR)"
cat >"$T/ca/ca.cnf" <<EOC
[ca]
default_ca = hostile
[hostile]
dir = $T/ca
database = \$dir/db/index
serial = \$dir/db/serial
new_certs_dir = \$dir/db
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
[caflag]
basicConstraints = CA:TRUE
extendedKeyUsage = serverAuth
EOC
# made NAME EXTENSIONS START END: $T/NAME.pem, our leaf signed by the test CA, then the CA.
made() {
	openssl ca -batch -config "$T/ca/ca.cnf" -extensions "$2" -startdate "$3" -enddate "$4" \
		-in "$T/ca/leaf.csr" -out "$T/ca/$1.pem" -notext >"$T/ca/$1.log" 2>&1 ||
		fail "openssl ca ($1): $(cat "$T/ca/$1.log")"
	cat "$T/ca/$1.pem" "$T/ca/ca.pem" >"$T/$1.pem"
}
now=$(date -u +%s)
utc() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }
made expired server "$(utc $((now - 10 * 86400)))" "$(utc $((now - 86400)))"
made notyet server "$(utc $((now + 86400)))" "$(utc $((now + 10 * 86400)))"
made clientonly client "$(utc $((now - 3600)))" "$(utc $((now + 86400)))"
made caflag caflag "$(utc $((now - 3600)))" "$(utc $((now + 86400)))"
made good server "$(utc $((now - 3600)))" "$(utc $((now + 86400)))"
# The good leaf followed by 99 copies of the CA: 100 certificates.
cp "$T/ca/good.pem" "$T/long.pem"
for _ in $(seq 99); do cat "$T/ca/ca.pem" >>"$T/long.pem"; done
[ "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$T/long.pem")" = 100 ] || fail "long chain not 100 certificates"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB%%%%not*base64!!\n-----END CERTIFICATE-----\n' >"$T/badpem.pem"

# --- each one is refused, and nothing changes ------------------------------
before=$(cert_snapshot "$certs")
serial=$(cert_serial "$cur/cert.pem")
note "installed serial $serial; now through the tampering proxy"

# refused LABEL FILE REASON: a forced renewal through the proxy serving
# FILE as the certificate exits 1 naming REASON, records it in status, and
# leaves the installed set untouched.
refused() {
	local label=$1 file=$2 reason=$3 s

	start_proxy "$label" "$file"
	run_ck 1 -c "$proxy_conf" renew --force
	ck_stop "$proxy_pid"
	# The proxy did swap the download: the refusal is certkeeper's doing.
	grep -q "^mitm: POST /certZ/[^ ]* -> 200 (tampered: " "$proxy_log" ||
		fail "$label: the proxy tampered with no certificate download (see $proxy_log)"
	assert_contains "$(cat "$ERR")" "$reason" "$label: stderr"
	assert_eq "$before" "$(cert_snapshot "$certs")" "$label: certificate directory and current files"
	s=$(status_json "$conf")
	assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "$label: last_result"
	assert_contains "$(json_get "$s" '.certificates[0].last_error')" "$reason" "$label: last_error"
	assert_eq "$serial" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" \
		"$label: serial in status"
	note "$label: refused ($reason), installed set unchanged"
}

refused other-key "$otherkey" "certificate's public key does not match our key"
refused other-names "$othernames" "certificate does not cover device-1.test"
refused garbage "$T/garbage.pem" "unexpected text at byte 0"
refused private-key "$T/privkey.pem" 'a "PRIVATE KEY" PEM block is not allowed'
refused empty "$T/empty.pem" "certificate chain: no certificate"
refused leaf-only "$T/leafonly.pem" "no issuer certificate in the chain"
refused stranger-issuer "$T/stranger.pem" "certificate 1 is not signed by certificate 2"
refused expired "$T/expired.pem" "certificate expired at "
refused not-yet-valid "$T/notyet.pem" "certificate is not valid until "
refused no-serverauth "$T/clientonly.pem" "certificate's extended key usage does not include serverAuth"
refused ca-flag "$T/caflag.pem" "certificate is a CA certificate"
refused garbage-pem "$T/badpem.pem" "certificate chain: cannot parse certificate 1"
refused long-chain "$T/long.pem" "certificate chain: more than "

# Nothing is due, so a plain pass asks nothing and keeps what is installed.
run_ck 0 -c "$conf" renew
assert_eq "$before" "$(cert_snapshot "$certs")" "certificate directory after a pass with nothing due"
