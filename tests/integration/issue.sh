#!/bin/bash
# issue.sh: first issuance with software keys, what `status --json` reports
# about it, a renewal with nothing due, forced renewals (new key, links
# switched, old versions pruned) and `account show`.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256" "key_reuse = no"
certs=$state/certs/device
cur=$certs/current

# --- first issuance -------------------------------------------------------
run_ck 0 -c "$conf" renew
note "first issuance succeeded"

[ -L "$cur" ] || fail "$cur is not a symbolic link"
for f in cert.pem chain.pem fullchain.pem key.pem; do
	assert_file "$cur/$f"
done
mode=$(file_mode "$cur/key.pem")
assert_eq 600 "$mode" "mode of key.pem"

pub_cert=$(cert_pubkey "$cur/cert.pem")
pub_key=$(key_pubkey "$cur/key.pem")
assert_eq "$pub_key" "$pub_cert" "certificate public key vs key.pem"

openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root with chain.pem"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/fullchain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root with fullchain.pem"
leaf_fp=$(openssl x509 -in "$cur/cert.pem" -noout -fingerprint -sha256)
full_fp=$(openssl x509 -in "$cur/fullchain.pem" -noout -fingerprint -sha256)
assert_eq "$leaf_fp" "$full_fp" "first certificate of fullchain.pem"
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "DNS:device-1.test" "subjectAltName"
assert_contains "$san" "DNS:api.device-1.test" "subjectAltName"

serial1=$(cert_serial "$cur/cert.pem")
version1=$(readlink -f "$cur")
key1=$(sha256sum <"$cur/key.pem")

# --- status --json --------------------------------------------------------
s=$(status_json "$conf")
assert_eq 1 "$(json_get "$s" '.certificates | length')" "number of certificates in status"
assert_eq device "$(json_get "$s" '.certificates[0].name')" "name"
assert_eq "device-1.test,api.device-1.test" \
	"$(json_get "$s" '.certificates[0].domains | join(",")')" "domains"
js_serial=$(json_get "$s" '.certificates[0].serial')
[[ $js_serial =~ ^[0-9a-f]+$ ]] || fail "serial '$js_serial' is not lower-case hex"
assert_eq "$serial1" "$(hexnorm "$js_serial")" "serial in status vs cert.pem"
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"
assert_eq null "$(json_get "$s" '.certificates[0].last_error')" "last_error"
assert_eq ec-p256 "$(json_get "$s" '.certificates[0].key_type')" "key_type"
assert_eq "$cur/cert.pem" "$(json_get "$s" '.certificates[0].cert_path')" "cert_path"
assert_eq "$cur/chain.pem" "$(json_get "$s" '.certificates[0].chain_path')" "chain_path"
assert_eq "$cur/fullchain.pem" "$(json_get "$s" '.certificates[0].fullchain_path')" "fullchain_path"
assert_eq "$cur/key.pem" "$(json_get "$s" '.certificates[0].key_path')" "key_path"

now=$(date +%s)
nb=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].not_before')")
na=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].not_after')")
ra=$(rfc3339_epoch "$(json_get "$s" '.certificates[0].renew_after')")
[ "$na" -gt "$now" ] || fail "not_after $na is not in the future (now $now)"
cert_na=$(openssl x509 -in "$cur/cert.pem" -noout -enddate)
cert_na=$(date -u -d "${cert_na#notAfter=}" +%s)
assert_eq "$cert_na" "$na" "not_after in status vs cert.pem"
cert_nb=$(openssl x509 -in "$cur/cert.pem" -noout -startdate)
cert_nb=$(date -u -d "${cert_nb#notBefore=}" +%s)
assert_eq "$cert_nb" "$nb" "not_before in status vs cert.pem"
if [ "$ra" -le "$now" ] || [ "$ra" -ge "$na" ]; then
	fail "renew_after $ra is not between now $now and not_after $na"
fi
note "status --json matches the installed certificate"

# --- nothing due ----------------------------------------------------------
run_ck 0 -c "$conf" renew
assert_eq "$serial1" "$(cert_serial "$cur/cert.pem")" "serial after a renewal with nothing due"
assert_eq "$version1" "$(readlink -f "$cur")" "current after a renewal with nothing due"
[ ! -e "$certs/previous" ] || fail "a previous version exists though only one was installed"
note "renewal with nothing due changed nothing"

# --- forced renewals --------------------------------------------------------
run_ck 0 -c "$conf" renew --force
serial2=$(cert_serial "$cur/cert.pem")
assert_ne "$serial1" "$serial2" "serial after renew --force"
version2=$(readlink -f "$cur")
assert_ne "$version1" "$version2" "current after renew --force"
[ -L "$certs/previous" ] || fail "no previous link after renew --force"
assert_eq "$version1" "$(readlink -f "$certs/previous")" "previous after renew --force"
assert_file "$certs/previous/cert.pem"
assert_eq "$serial1" "$(cert_serial "$certs/previous/cert.pem")" "serial in previous"
key2=$(sha256sum <"$cur/key.pem")
assert_ne "$key1" "$key2" "key.pem after renew --force with key_reuse = no"
pub_cert=$(cert_pubkey "$cur/cert.pem")
pub_key=$(key_pubkey "$cur/key.pem")
assert_eq "$pub_key" "$pub_cert" "new certificate public key vs new key.pem"
s=$(status_json "$conf")
assert_eq "$serial2" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial in status after renew --force"
note "forced renewal installed a new certificate and key"

prev=$version2
for round in 2 3; do
	run_ck 0 -c "$conf" renew --force
	now_version=$(readlink -f "$cur")
	assert_ne "$prev" "$now_version" "current after forced renewal $round"
	assert_eq "$prev" "$(readlink -f "$certs/previous")" "previous after forced renewal $round"
	expected=$(printf '%s\n' "$now_version" "$prev" | sort)
	actual=$(version_dirs "$certs")
	assert_eq "$expected" "$actual" "version directories after forced renewal $round"
	prev=$now_version
done
[ ! -e "$version1" ] || fail "oldest version $version1 was not pruned"
note "older versions are pruned to current and previous"

# --- account ----------------------------------------------------------------
run_ck 0 -c "$conf" account show
show=$(cat "$OUT")
acct=$(account_dir "$state")
assert_eq "$CK_ACME_DIR" "$(cat "$acct/directory")" "accounts/ID/directory"
acct_url=$(cat "$acct/url")
assert_contains "$acct_url" "${CK_ACME_DIR%/dir}/" "account URL"
mode=$(file_mode "$acct/key.pem")
assert_eq 600 "$mode" "mode of the account key"
assert_contains "$show" "url: $acct_url" "account show"
assert_contains "$show" "status: valid" "account show"
assert_contains "$show" "contact: mailto:ops@example.com" "account show"
thumb=$(key_pubkey "$acct/key.pem" | jwk_thumbprint)
assert_contains "$show" "thumbprint: $thumb" "account show"
note "account show reports the registered account"
