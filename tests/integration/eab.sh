#!/bin/bash
# eab.sh: external account binding (RFC 8555 7.3.4) against a Pebble that
# requires it (externalAccountBindingRequired, one MAC key): without EAB
# the account is refused with a configuration error naming the CA's
# externalAccountRequired problem and the keys to set; with a wrong HMAC
# key refused; with the right one (inline, then from a 0600 file)
# registered and a certificate issued.  The HMAC key shows in no output,
# not even with -v, nor in status.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

kid=fleet-kid-1
key=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
wrong=$(openssl rand 32 | basenc --base64url | tr -d '=\n')
CK_PEBBLE_EAB="$kid:$key" ck_start_pebble "$T/pebble"

# conf_with STATE LINE...: a configuration for STATE with LINEs added to [acme].
conf_with() {
	local state=$1 file=$T/conf.$RANDOM
	shift
	ck_write_config "$file" "$state" "key = ec-p256"
	local l
	for l in "$@"; do
		sed -i "/^\[acme\]\$/a $l" "$file"
	done
	echo "$file"
}

# no_secret WHAT: neither HMAC key is in $OUT or $ERR.
no_secret() {
	assert_not_contains "$(cat "$OUT" "$ERR")" "$key" "$1 (the HMAC key)"
	assert_not_contains "$(cat "$OUT" "$ERR")" "$wrong" "$1 (the wrong HMAC key)"
}

# --- no EAB: refused, clearly -------------------------------------------
conf=$(conf_with "$T/s0")
run_ck 1 -c "$conf" renew
assert_contains "$(cat "$ERR")" "externalAccountRequired" "error without EAB"
assert_contains "$(cat "$ERR")" "eab_kid" "error without EAB names the keys to set"
s=$(status_json "$conf")
assert_eq config "$(json_get "$s" '.certificates[0].last_error_class')" "class without EAB"
assert_eq externalAccountRequired "$(json_get "$s" '.certificates[0].last_problem')" \
	"problem without EAB"
[ ! -e "$T/s0/certs/device/current" ] || fail "a certificate was installed without EAB"
note "without EAB: refused (externalAccountRequired)"

# --- the wrong key: refused -----------------------------------------------
conf=$(conf_with "$T/s1" "eab_kid = $kid" "eab_hmac_key = $wrong")
run_ck 1 -c "$conf" -v renew
no_secret "output with the wrong key"
assert_contains "$(cat "$ERR")" "newAccount: the CA refused" "error with the wrong key"
[ ! -e "$T/s1/certs/device/current" ] || fail "a certificate was installed with a wrong EAB key"
[ ! -e "$(account_dir "$T/s1")/url" ] || fail "an account URL was saved with a wrong EAB key"
run_ck 0 -c "$conf" status --json
no_secret "status"
note "wrong HMAC key: refused"

# --- an unknown kid: refused too --------------------------------------------
conf=$(conf_with "$T/s2" "eab_kid = other-kid" "eab_hmac_key = $key")
run_ck 1 -c "$conf" renew
no_secret "output with an unknown kid"
note "unknown kid: refused"

# --- the right key, inline: registered and issued ---------------------------
conf=$(conf_with "$T/s3" "eab_kid = $kid" "eab_hmac_key = $key")
run_ck 0 -c "$conf" -v renew
no_secret "-v output with the right key"
assert_contains "$(cat "$ERR")" "registered account" "registration with EAB"
assert_file "$T/s3/certs/device/current/cert.pem"
run_ck 0 -c "$conf" -v status
no_secret "status"
run_ck 0 -c "$conf" -v account show
no_secret "account show"
note "right HMAC key: account registered, certificate issued"

# --- the right key from a file: mode checked, then used ---------------------
printf '%s\n' "$key" >"$T/eab.key"
chmod 0644 "$T/eab.key"
conf=$(conf_with "$T/s4" "eab_kid = $kid" "eab_hmac_key_file = $T/eab.key")
run_ck 2 -c "$conf" renew
assert_contains "$(cat "$ERR")" "only its owner may read" "a group-readable key file"
no_secret "a group-readable key file"
chmod 0600 "$T/eab.key"
run_ck 0 -c "$conf" renew
no_secret "output with the key file"
assert_file "$T/s4/certs/device/current/cert.pem"
note "HMAC key from a 0600 file: issued; a 0644 one refused"

# --- both the value and the file: refused -----------------------------------
conf=$(conf_with "$T/s5" "eab_kid = $kid" "eab_hmac_key = $key" "eab_hmac_key_file = $T/eab.key")
run_ck 2 -c "$conf" renew
assert_contains "$(cat "$ERR")" "cannot both be set" "eab_hmac_key with eab_hmac_key_file"
no_secret "both set"
note "eab_hmac_key with eab_hmac_key_file: refused"
