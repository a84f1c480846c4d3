#!/bin/bash
# tpm_errors.sh: TPM keys on P-384 and with key_reuse, and the TPM errors an
# operator meets, on a real (software) TPM: a wrong owner password, a key
# file from another TPM, a TPM that cannot be reached, no TPM stack.  Each failure exits
# 1, names its cause, leaves the installed certificate as it was and leaves
# no object behind in the TPM.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_start_swtpm "$T/tpm-a"
tpm_a=$CK_TCTI
state=$T/state
conf=$T/certkeeper.conf
CK_ACCOUNT_KEY=tpm-p384 ck_write_config "$conf" "$state" "key = tpm-p384" "key_reuse = yes"
cur=$state/certs/device/current

no_transients() {
	local handles
	handles=$(TPM2TOOLS_TCTI=$tpm_a tpm2_getcap handles-transient) ||
		fail "tpm2_getcap handles-transient failed"
	[ -z "$handles" ] || fail "transient objects left in the TPM after $1: $handles"
}

# with_tpm LINE...: a copy of the configuration whose [tpm] section is LINE...
with_tpm() {
	local out=$T/variant.conf
	awk -v lines="$(printf '%s\n' "$@")" '
		/^\[tpm\]/ { print; print lines; skip = 1; next }
		/^\[/ { skip = 0 }
		!(skip && /^(tcti|parent|owner_auth|owner_auth_file) =/) { print }' "$conf" >"$out"
	echo "$out"
}

# 1. P-384 keys in the TPM, for the certificate and the account (ES384).
run_ck 0 -c "$conf" renew
no_transients "a P-384 issuance"
s=$(status_json "$conf")
assert_eq tpm-p384 "$(json_get "$s" '.certificates[0].key_type')" "key_type"
openssl x509 -in "$cur/cert.pem" -noout -text | grep -q "NIST CURVE: P-384" ||
	fail "the certificate's key is not P-384"
note "P-384 TPM keys: issued"

# 2. key_reuse = yes: a forced renewal keeps the TPM key.
serial=$(cert_serial "$cur/cert.pem")
key=$(sha256sum <"$cur/key.tss2.pem")
run_ck 0 -c "$conf" renew --force
assert_ne "$serial" "$(cert_serial "$cur/cert.pem")" "serial after renew --force"
assert_eq "$key" "$(sha256sum <"$cur/key.tss2.pem")" "key.tss2.pem with key_reuse = yes"
note "key_reuse = yes kept the TPM key across a forced renewal"

serial=$(cert_serial "$cur/cert.pem")
version=$(readlink "$state/certs/device/current")
unchanged() {
	assert_eq "$version" "$(readlink "$state/certs/device/current")" "current after $1"
	assert_eq "$serial" "$(cert_serial "$cur/cert.pem")" "serial after $1"
	assert_eq "$key" "$(sha256sum <"$cur/key.tss2.pem")" "key after $1"
}

# 3. The owner hierarchy gets a password: a wrong one is named as such; the
#    right one, from owner_auth or owner_auth_file, works.
TPM2TOOLS_TCTI=$tpm_a tpm2_changeauth -c owner ck-owner-secret
run_ck 1 -c "$(with_tpm "tcti = $tpm_a" "parent = owner")" renew --force
assert_contains "$(cat "$ERR")" "wrong owner password" "stderr without the owner password"
unchanged "a missing owner password"
no_transients "a wrong owner password"
run_ck 1 -c "$(with_tpm "tcti = $tpm_a" "owner_auth = not-the-secret")" renew --force
assert_contains "$(cat "$ERR")" "wrong owner password" "stderr with a wrong owner password"
unchanged "a wrong owner password"
printf 'ck-owner-secret\n' >"$T/owner-auth"
run_ck 0 -c "$(with_tpm "tcti = $tpm_a" "owner_auth_file = $T/owner-auth")" renew --force
no_transients "a renewal with owner_auth_file"
note "wrong owner password named; owner_auth_file works"
serial=$(cert_serial "$cur/cert.pem")
version=$(readlink "$state/certs/device/current")

# 4. The same key files on another TPM: refused as another TPM's keys.
ck_start_swtpm "$T/tpm-b"
run_ck 1 -c "$(with_tpm "tcti = $CK_TCTI")" renew --force
assert_contains "$(cat "$ERR")" "another TPM" "stderr with keys from another TPM"
unchanged "keys from another TPM"
note "key files from another TPM: refused, named"

# 5. No TPM where the configuration says.
nowhere=$(ck_free_even_port_pair)
run_ck 1 -c "$(with_tpm "tcti = swtpm:host=127.0.0.1,port=$nowhere")" renew --force
assert_contains "$(cat "$ERR")" "cannot open TPM through TCTI" "stderr without a TPM"
unchanged "an unreachable TPM"
s=$(status_json "$conf")
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result"
assert_contains "$(json_get "$s" '.certificates[0].last_error')" "TCTI" "last_error"
assert_eq tpm "$(json_get "$s" '.certificates[0].last_error_class')" "last_error_class"
note "unreachable TPM: refused, named"

# 6. No TPM stack (a device image without tpm2-tss; keys/tss.c opens it on
# first use): the library and its package named, nothing changed.
mkdir -p "$T/no-tss"
echo "not a library" >"$T/no-tss/libtss2-esys.so.0"
LD_LIBRARY_PATH=$T/no-tss run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "cannot load the TPM library libtss2-esys.so.0" \
	"stderr without the TPM stack"
assert_contains "$(cat "$ERR")" "install libtss2-esys-3.0.2-0, or use software keys" \
	"stderr without the TPM stack"
unchanged "a missing TPM stack"
note "no TPM stack: refused, the library and its package named"
