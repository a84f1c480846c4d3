#!/bin/bash
# harness.sh: the test services themselves work, without certkeeper, so a
# failure elsewhere points at certkeeper and not at the environment: Pebble
# answers over TLS trusting only the test root, challtestsrv resolves every
# name to 127.0.0.1, Pebble takes CK_CERT_VALIDITY and
# PEBBLE_WFE_NONCEREJECT, swtpm answers, a tpm2-openssl key serves TLS 1.3
# through tpm2-abrmd, and ck_stop_all leaves no process behind.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# dns_a NAME PORT: the A records challtestsrv's DNS answers for NAME.
dns_a() {
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys
name, port = sys.argv[1], int(sys.argv[2])
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
q += struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(4096)
an = struct.unpack(">H", r[6:8])[0]
i = len(q)
for _ in range(an):
    if r[i] & 0xC0 == 0xC0:
        i += 2
    else:
        while r[i]:
            i += r[i] + 1
        i += 1
    typ, _, _, rdlen = struct.unpack(">HHIH", r[i:i + 10])
    i += 10
    if typ == 1:
        print(socket.inet_ntoa(r[i:i + rdlen]))
    i += rdlen
PY
}

export CK_CERT_VALIDITY=60
export PEBBLE_WFE_NONCEREJECT=50
ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
started_pids=("${CK_PIDS[@]}")

dir_json=$T/dir.json
curl -fsS --cacert "$CK_CA_BUNDLE" -o "$dir_json" "$CK_ACME_DIR" ||
	fail "Pebble's directory does not answer over TLS trusting $CK_CA_BUNDLE"
new_order=$(json_get "$dir_json" .newOrder)
assert_contains "$new_order" "https://localhost:" "newOrder URL"
if curl -fsS -o /dev/null --capath /nonexistent --cacert /dev/null "$CK_ACME_DIR" 2>/dev/null; then
	fail "Pebble's listener is trusted without the test root"
fi
note "Pebble answers $CK_ACME_DIR trusting only $CK_CA_BUNDLE"

root_subject=$(openssl x509 -in "$CK_PEBBLE_ROOT" -noout -subject)
assert_contains "$root_subject" "Pebble Root CA" "issuing root subject"
test_root=$(openssl x509 -in "$CK_CA_BUNDLE" -noout -subject)
assert_ne "$test_root" "$root_subject" "issuing root vs listener root"

log=$(cat "$CK_PEBBLE_DIR/pebble.log")
assert_contains "$log" "Using certificate validity period of 60 seconds" "Pebble validity"
assert_contains "$log" "reject 50% of good nonces" "Pebble nonce rejection"
assert_contains "$log" "Disabling random VA sleeps" "PEBBLE_VA_NOSLEEP"
assert_contains "$log" "127.0.0.1:$CK_DNS_PORT" "Pebble's DNS resolver"

a=$(dns_a device-1.test "$CK_DNS_PORT") || fail "no DNS answer from challtestsrv"
assert_eq 127.0.0.1 "$a" "A record of device-1.test"
a=$(dns_a api.device-1.test "$CK_DNS_PORT") || fail "no DNS answer from challtestsrv"
assert_eq 127.0.0.1 "$a" "A record of api.device-1.test"
note "challtestsrv resolves test names to 127.0.0.1"

ck_port_open "$CK_HTTP_PORT" && fail "something already listens on httpPort $CK_HTTP_PORT"

ck_start_swtpm "$T"
rnd=$(TPM2TOOLS_TCTI=$CK_TCTI tpm2_getrandom --hex 8) || fail "tpm2_getrandom failed on $CK_TCTI"
[[ $rnd =~ ^[0-9a-f]{16}$ ]] || fail "tpm2_getrandom printed '$rnd'"
note "swtpm answers on $CK_TCTI"

# A TPM key and a self-signed certificate made on plain swtpm, then served
# through abrmd: the same path tpm_interop.sh takes with certkeeper's files.
export TPM2OPENSSL_TCTI=$CK_TCTI
openssl genpkey -provider tpm2 -provider default -algorithm EC -pkeyopt group:P-256 \
	-out "$T/k.pem" || fail "openssl genpkey -provider tpm2 failed"
grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$T/k.pem" || fail "genpkey wrote no TSS2 key"
openssl req -provider tpm2 -provider default -new -x509 -key "$T/k.pem" -days 1 \
	-subj /CN=device-1.test -addext subjectAltName=DNS:device-1.test \
	-out "$T/c.pem" || fail "openssl req -x509 with the TPM key failed"
pub_key=$(key_pubkey "$T/k.pem")
pub_cert=$(cert_pubkey "$T/c.pem")
assert_eq "$pub_key" "$pub_cert" "TPM key vs self-signed certificate public key"
unset TPM2OPENSSL_TCTI

ck_start_abrmd "$T/abrmd"
port=$(ck_free_port)
_ck_spawn "$T/s_server.log" env TPM2OPENSSL_TCTI="$CK_TABRMD_TCTI" \
	openssl s_server -provider tpm2 -provider default -key "$T/k.pem" -cert "$T/c.pem" \
	-accept "127.0.0.1:$port" -tls1_3 -www
server_pid=$CK_LAST_PID
ck_wait_port "openssl s_server" "$server_pid" "$T/s_server.log" "$port"
out=$(openssl s_client -connect "127.0.0.1:$port" -servername device-1.test \
	-verify_return_error -CAfile "$T/c.pem" -verify_hostname device-1.test </dev/null 2>&1) ||
	fail "s_client failed: $out"
assert_contains "$out" "Verify return code: 0 (ok)" "s_client verification"
assert_contains "$out" "TLSv1.3" "s_client protocol"
note "TLS 1.3 with a TPM key through tpm2-abrmd works"

# Stopping abrmd gives swtpm's connection back to direct users.
# shellcheck disable=SC2086 # CK_ABRMD_PIDS is a list of PIDs
ck_stop "$server_pid" $CK_ABRMD_PIDS
TPM2TOOLS_TCTI=$CK_TCTI tpm2_getrandom --hex 4 >/dev/null ||
	fail "swtpm does not answer directly after abrmd stopped"

all_pids=("${started_pids[@]}" "${CK_PIDS[@]}" "$server_pid")
ck_stop_all
for pid in "${all_pids[@]}"; do
	_ck_alive "$pid" && fail "pid $pid still runs after ck_stop_all"
done
left=$(grep -l -s -F "$T" /proc/[0-9]*/cmdline || true)
[ -z "$left" ] || fail "processes still refer to $T: $left"
note "ck_stop_all stopped ${#all_pids[@]} processes"
