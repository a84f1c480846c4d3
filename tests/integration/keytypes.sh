#!/bin/bash
# keytypes.sh: certificate keys other than the default, with account keys
# other than the default: an ec-p384 certificate key under an rsa-2048
# account (RS256), and an rsa-3072 certificate key under an ec-p384
# account (ES384).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"

# issue_with ACCOUNT_KEY CERT_KEY KEY_TEXT ACCOUNT_TEXT: issues into a fresh
# state directory and checks both keys and the status.
issue_with() {
	local account=$1 key=$2 key_text=$3 account_text=$4
	local state=$T/state-$key conf=$T/$key.conf cur text s pub_cert pub_key

	CK_ACCOUNT_KEY=$account ck_write_config "$conf" "$state" "key = $key"
	cur=$state/certs/device/current
	run_ck 0 -c "$conf" renew
	assert_file "$cur/key.pem"

	text=$(openssl pkey -in "$cur/key.pem" -noout -text)
	assert_contains "$text" "$key_text" "$key certificate key"
	pub_cert=$(cert_pubkey "$cur/cert.pem")
	pub_key=$(key_pubkey "$cur/key.pem")
	assert_eq "$pub_key" "$pub_cert" "$key certificate public key vs key.pem"
	openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
		fail "$key certificate does not verify against Pebble's root"

	text=$(openssl pkey -in "$(account_dir "$state")/key.pem" -noout -text)
	assert_contains "$text" "$account_text" "$account account key"

	s=$(status_json "$conf")
	assert_eq "$key" "$(json_get "$s" '.certificates[0].key_type')" "key_type"
	assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"

	run_ck 0 -c "$conf" account show
	assert_contains "$(cat "$OUT")" "status: valid" "account show with an $account account key"
	note "$key certificate key with an $account account key"
}

issue_with rsa-2048 ec-p384 "NIST CURVE: P-384" "Private-Key: (2048 bit"
issue_with ec-p384 rsa-3072 "Private-Key: (3072 bit" "NIST CURVE: P-384"
