#!/bin/bash
# dns01.sh: dns-01 through conf/hooks/dns01-challtestsrv against Pebble's DNS
# (pebble-challtestsrv), with a wildcard and its base name in one
# certificate; a hook that fails (its stderr in the error, nothing
# installed, remove still run); a record that fails validation (remove run
# after the failed order).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# Fresh authorizations for every order, so that each one runs the hook.
PEBBLE_AUTHZREUSE=0 ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
calls=$T/hook-calls
cur=$state/certs/device/current

# A wrapper that logs each call (hooks get an empty environment: paths are
# written in), then does what MODE says: pass, fail on add, or add a wrong value.
write_hook() {
	cat >"$T/hook" <<HOOK
#!/bin/sh
echo "\$*" >>'$calls'
case \$(cat '$T/mode') in
fail) [ "\$1" = add ] && { echo 'nsupdate: update failed: REFUSED' >&2; echo 'zone wild-1.test: key tsig.test not allowed' >&2; exit 1; } ;;
wrong) [ "\$1" = add ] && set -- add "\$2" wrong-value-for-the-test ;;
esac
exec '$top/conf/hooks/dns01-challtestsrv' '$CK_CTS_MGMT' "\$@"
HOOK
	chmod 755 "$T/hook"
}
write_hook
echo pass >"$T/mode"
CK_CHALLENGE=dns-01 CK_DOMAINS="*.wild-1.test, wild-1.test" \
	ck_write_config "$conf" "$state" "dns_hook = $T/hook" "hook_timeout = 20s"

# --- the wildcard and its base name ---------------------------------------
run_ck 0 -c "$conf" renew
note "issued *.wild-1.test and wild-1.test through dns-01"
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "DNS:*.wild-1.test" "subjectAltName"
assert_contains "$san" "DNS:wild-1.test" "subjectAltName"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null ||
	fail "cert.pem does not verify against Pebble's root"
# Two authorizations (RFC 8555 7.1.4: both for wild-1.test), one record name.
assert_eq 2 "$(grep -c '^add _acme-challenge\.wild-1\.test\. [A-Za-z0-9_-]\{43\}$' "$calls")" "adds"
assert_eq 2 "$(grep -c '^remove _acme-challenge\.wild-1\.test\. [A-Za-z0-9_-]\{43\}$' "$calls")" "removes"
assert_eq 4 "$(wc -l <"$calls")" "hook calls"
# Each removal names a value that was added.
while read -r v; do
	grep -q "^remove _acme-challenge.wild-1.test. $v\$" "$calls" || fail "no remove for value $v"
done < <(awk '$1 == "add" { print $3 }' "$calls")
version1=$(readlink -f "$cur")

# --- a hook that fails ----------------------------------------------------
: >"$calls"
echo fail >"$T/mode"
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "dns hook: \"add _acme-challenge.wild-1.test.\" for" "error"
assert_contains "$(cat "$ERR")" "exited with status 1: nsupdate: update failed: REFUSED | zone wild-1.test: key tsig.test not allowed" "error"
assert_eq "$version1" "$(readlink -f "$cur")" "current after the failed hook"
grep -q '^remove _acme-challenge\.wild-1\.test\. ' "$calls" || fail "remove not run after the failed add"
s=$(status_json "$conf")
assert_contains "$(json_get "$s" '.certificates[0].last_error')" "nsupdate: update failed: REFUSED" "last_error"
note "a failing hook fails the order with its output"

# --- a record the CA does not accept: remove runs after the failed order ---
: >"$calls"
echo wrong >"$T/mode"
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "Correct value not found for DNS challenge" "error"
assert_eq "$version1" "$(readlink -f "$cur")" "current after the failed validation"
adds=$(grep -c '^add ' "$calls") || true
removes=$(grep -c '^remove ' "$calls") || true
[ "$adds" -ge 1 ] || fail "no add in: $(cat "$calls")"
assert_eq "$adds" "$removes" "removes after a failed validation"
note "ok"
