#!/bin/bash
# corrupt_cert.sh: an installed cert.pem whose public key no longer decodes
# (one base64 character flipped inside the EC point, as worn flash storage
# can do: the certificate still parses, its key is off the curve).
# `status` and `status --json` must still answer, say the key type is
# unknown and report the rest; a plain `renew` must treat the certificate
# as due and install a good one.  Before the fix both commands died with
# SIGSEGV reading the key type of a NULL public key.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256" "key_reuse = no"
cur=$state/certs/device/current

# corrupt_point FILE: flips, in place, one base64 character of the first
# certificate in FILE that lies in the middle of the y coordinate of its
# P-256 public key; the file keeps its length and its line structure.
corrupt_point() {
	python3 - "$1" <<'PY' || fail "cannot corrupt the public key in $1"
import base64, sys

path = sys.argv[1]
text = open(path, "rb").read()
begin = text.index(b"-----BEGIN CERTIFICATE-----\n") + len(b"-----BEGIN CERTIFICATE-----\n")
end = text.index(b"-----END CERTIFICATE-----", begin)
# File offset of every base64 character of the first block.
offs = [begin + i for i, c in enumerate(text[begin:end]) if c not in b"\r\n"]
b64 = bytes(text[o] for o in offs)
der = base64.b64decode(b64)
# id-ecPublicKey, prime256v1, then BIT STRING (66 bytes, 0 unused bits) of 04 || x || y.
spki = bytes.fromhex("06072a8648ce3d020106082a8648ce3d030107034200")
at = der.index(spki) + len(spki)
assert der[at] == 4, "not an uncompressed point"
y_mid = at + 1 + 32 + 16
c = (8 * y_mid) // 6 + 1  # a character whose 6 bits lie inside y
old = b64[c:c + 1]
new = b"B" if old == b"A" else b"A"
buf = bytearray(text)
buf[offs[c]] = new[0]
with open(path, "r+b") as f:
    f.write(buf)
PY
}

run_ck 0 -c "$conf" renew
serial1=$(cert_serial "$cur/cert.pem")
version1=$(readlink -f "$cur")
size1=$(stat -L -c %s "$cur/cert.pem")
note "issued certificate $serial1"

corrupt_point "$cur/cert.pem"
assert_eq "$size1" "$(stat -L -c %s "$cur/cert.pem")" "size of cert.pem after the corruption"
# The premise: the certificate still parses, its public key does not.
assert_eq "$serial1" "$(cert_serial "$cur/cert.pem")" "serial of the corrupted certificate"
if openssl x509 -in "$cur/cert.pem" -noout -pubkey >/dev/null 2>&1; then
	fail "the corrupted certificate's public key still decodes: the test proves nothing"
fi
note "corrupted the EC point of cert.pem; the certificate still parses"

# --- status reports it ----------------------------------------------------------
s=$(status_json "$conf")
assert_eq device "$(json_get "$s" '.certificates[0].name')" "name"
assert_eq null "$(json_get "$s" '.certificates[0].key_type')" "key_type of an undecodable key"
assert_eq "$serial1" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial"
assert_eq "$cur/cert.pem" "$(json_get "$s" '.certificates[0].cert_path')" "cert_path"
assert_ne null "$(json_get "$s" '.certificates[0].not_after')" "not_after"
assert_contains "$(cat "$ERR")" "public key" "status --json warning"

run_ck 0 -c "$conf" status
out=$(cat "$OUT")
assert_contains "$out" "serial:      $(json_get "$s" '.certificates[0].serial')" "status"
assert_contains "$out" "key type:    unknown" "status"
assert_not_contains "$out" "no certificate installed" "status"
note "status and status --json report the certificate, key type unknown"

# --- a plain renew replaces it --------------------------------------------------
run_ck 0 -c "$conf" renew
serial2=$(cert_serial "$cur/cert.pem")
assert_ne "$serial1" "$serial2" "serial after renewing the corrupted certificate"
assert_ne "$version1" "$(readlink -f "$cur")" "current after renewing the corrupted certificate"
pub_cert=$(cert_pubkey "$cur/cert.pem")
pub_key=$(key_pubkey "$cur/key.pem")
assert_eq "$pub_key" "$pub_cert" "new certificate public key vs key.pem"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "the new cert.pem does not verify against Pebble's root"
s=$(status_json "$conf")
assert_eq ec-p256 "$(json_get "$s" '.certificates[0].key_type')" "key_type after the renewal"
assert_eq "$serial2" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial after the renewal"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"
note "renew treated the corrupted certificate as due and installed a good one"

# And it is not due again.
run_ck 0 -c "$conf" renew
assert_eq "$serial2" "$(cert_serial "$cur/cert.pem")" "serial after a renewal with nothing due"
