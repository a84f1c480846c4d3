#!/bin/bash
# tpm.sh: certificate and account keys held in the TPM (swtpm).  Issuance
# and forced renewal succeed; no software private key is ever written; the
# key file is a "TSS2 PRIVATE KEY" whose public key is the certificate's;
# every transient object is flushed.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
ck_start_swtpm "$T"
state=$T/state
conf=$T/certkeeper.conf
CK_ACCOUNT_KEY=tpm ck_write_config "$conf" "$state" "key = tpm" "key_reuse = no"
certs=$state/certs/device
cur=$certs/current

# no_software_keys: no PEM private key but "TSS2 PRIVATE KEY" anywhere in the state.
no_software_keys() {
	local found
	found=$(grep -r -l -E -e '-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----' "$state" || true)
	[ -z "$found" ] || fail "software private keys in the state directory: $found"
}

# no_transients: the TPM holds no transient object (swtpm has no resource
# manager, so an unflushed handle outlives certkeeper and fills the 3 slots).
no_transients() {
	local handles
	handles=$(TPM2TOOLS_TCTI=$CK_TCTI tpm2_getcap handles-transient) ||
		fail "tpm2_getcap handles-transient failed"
	[ -z "$handles" ] || fail "transient objects left in the TPM after $1: $handles"
}

run_ck 0 -c "$conf" renew
no_transients "the first issuance"
note "issuance with TPM keys succeeded"

assert_file "$cur/key.tss2.pem"
[ ! -e "$cur/key.pem" ] || fail "a key.pem was written for a TPM key"
for f in cert.pem chain.pem fullchain.pem; do
	assert_file "$cur/$f"
done
mode=$(file_mode "$cur/key.tss2.pem")
assert_eq 600 "$mode" "mode of key.tss2.pem"
grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$cur/key.tss2.pem" ||
	fail "key.tss2.pem is not a TSS2 PRIVATE KEY"
acct=$(account_dir "$state")
grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$acct/key.tss2.pem" ||
	fail "the account key is not a TSS2 PRIVATE KEY"
[ ! -e "$acct/key.pem" ] || fail "a key.pem was written for a TPM account key"
no_software_keys

pub_cert=$(cert_pubkey "$cur/cert.pem")
pub_key=$(key_pubkey "$cur/key.tss2.pem")
assert_eq "$pub_key" "$pub_cert" "certificate public key vs key.tss2.pem"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root"

s=$(status_json "$conf")
assert_eq tpm "$(json_get "$s" '.certificates[0].key_type')" "key_type"
assert_eq "$cur/key.tss2.pem" "$(json_get "$s" '.certificates[0].key_path')" "key_path"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"
tpm_commands=$(json_get "$s" '.agent.tpm_commands')
[ "$tpm_commands" -gt 0 ] || fail "TPM commands counted after a TPM issuance: '$tpm_commands'"
note "the key is a TSS2 key matching the certificate; $tpm_commands TPM commands counted"

serial1=$(cert_serial "$cur/cert.pem")
key1=$(sha256sum <"$cur/key.tss2.pem")
run_ck 0 -c "$conf" renew --force
no_transients "a forced renewal"
assert_ne "$serial1" "$(cert_serial "$cur/cert.pem")" "serial after renew --force"
more=$(json_get "$(status_json "$conf")" '.agent.tpm_commands')
[ "$more" -gt "$tpm_commands" ] || fail "TPM commands did not grow with a renewal: $tpm_commands, then $more"
key2=$(sha256sum <"$cur/key.tss2.pem")
assert_ne "$key1" "$key2" "key.tss2.pem after renew --force"
pub_cert2=$(cert_pubkey "$cur/cert.pem")
pub_key2=$(key_pubkey "$cur/key.tss2.pem")
assert_eq "$pub_key2" "$pub_cert2" "new certificate public key vs new key.tss2.pem"
assert_ne "$pub_cert" "$pub_cert2" "certificate public key after renew --force"
assert_file "$certs/previous/key.tss2.pem"
no_software_keys
note "forced renewal made a new TPM key"

run_ck 0 -c "$conf" account show
show=$(cat "$OUT")
assert_contains "$show" "status: valid" "account show with a TPM account key"
thumb=$(key_pubkey "$acct/key.tss2.pem" | jwk_thumbprint)
assert_contains "$show" "thumbprint: $thumb" "account show"
no_transients "account show"
note "account show works with a TPM account key"
