#!/bin/bash
# tpm_interop.sh: what certkeeper installs for a TPM key is usable by other
# software: OpenSSL's s_server with the tpm2 provider (through tpm2-abrmd,
# which it needs) serves key.tss2.pem with fullchain.pem, and s_client
# verifies the chain against Pebble's root for both names.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
ck_start_swtpm "$T"
state=$T/state
conf=$T/certkeeper.conf
CK_ACCOUNT_KEY=tpm ck_write_config "$conf" "$state" "key = tpm"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
assert_file "$cur/key.tss2.pem"
assert_file "$cur/fullchain.pem"
note "issuance with a TPM key succeeded"

ck_start_abrmd "$T/abrmd"
port=$(ck_free_port)
# s_server takes only the first certificate of -cert; the intermediate goes
# out through -cert_chain.
_ck_spawn "$T/s_server.log" env TPM2OPENSSL_TCTI="$CK_TABRMD_TCTI" \
	openssl s_server -provider tpm2 -provider default -key "$cur/key.tss2.pem" \
	-cert "$cur/fullchain.pem" -cert_chain "$cur/chain.pem" \
	-accept "127.0.0.1:$port" -tls1_3 -www
server=$CK_LAST_PID
ck_wait_port "openssl s_server" "$server" "$T/s_server.log" "$port"

for name in device-1.test api.device-1.test; do
	out=$(openssl s_client -connect "127.0.0.1:$port" -servername "$name" \
		-verify_return_error -CAfile "$CK_PEBBLE_ROOT" -verify_hostname "$name" \
		</dev/null 2>&1) || fail "s_client for $name failed: $out"
	assert_contains "$out" "Verify return code: 0 (ok)" "s_client verification for $name"
	assert_contains "$out" "TLSv1.3" "s_client protocol for $name"
	assert_contains "$out" "Verification: OK" "s_client verification for $name"
done
note "s_server with the TPM key completed verified TLS 1.3 handshakes"

# shellcheck disable=SC2086 # CK_ABRMD_PIDS is a list of PIDs
ck_stop "$server" $CK_ABRMD_PIDS
run_ck 0 -c "$conf" status --json
note "s_server, tpm2-abrmd and dbus stopped"
