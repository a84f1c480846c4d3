#!/bin/bash
# tpm_existing_key.sh: a TPM key made by another tool (tpm2-openssl's
# genpkey) is used as the certificate key with key_reuse = yes and
# key_file, and kept across a forced renewal.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
ck_start_swtpm "$T"
state=$T/state
conf=$T/certkeeper.conf
mkdir -m 700 "$state"
key=$state/k.pem
TPM2OPENSSL_TCTI=$CK_TCTI openssl genpkey -provider tpm2 -provider default \
	-algorithm EC -pkeyopt group:P-256 -out "$key" 2>"$T/genpkey.err" ||
	fail "openssl genpkey -provider tpm2 failed: $(cat "$T/genpkey.err")"
pub_key=$(key_pubkey "$key")

ck_write_config "$conf" "$state" "key = tpm" "key_reuse = yes" "key_file = $key"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
pub_cert=$(cert_pubkey "$cur/cert.pem")
assert_eq "$pub_key" "$pub_cert" "certificate public key vs the existing TPM key"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root"
s=$(status_json "$conf")
assert_eq tpm "$(json_get "$s" '.certificates[0].key_type')" "key_type"
key_path=$(json_get "$s" '.certificates[0].key_path')
pub_stored=$(key_pubkey "$key_path")
assert_eq "$pub_key" "$pub_stored" "public key of the installed key file"
note "issuance with the existing TPM key succeeded"

serial1=$(cert_serial "$cur/cert.pem")
run_ck 0 -c "$conf" renew --force
assert_ne "$serial1" "$(cert_serial "$cur/cert.pem")" "serial after renew --force"
pub_cert=$(cert_pubkey "$cur/cert.pem")
assert_eq "$pub_key" "$pub_cert" "certificate public key after renew --force with key_reuse"
note "forced renewal kept the existing TPM key"
