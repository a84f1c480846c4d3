#!/bin/bash
# chains.sh: preferred_chain among the chains Pebble offers with
# PEBBLE_ALTERNATE_ROOTS=1 and PEBBLE_CHAIN_LENGTH=3 (the default chain and
# one Link: rel="alternate", each to its own root, from /roots/0 and
# /roots/1 of the management API): the installed chain verifies with
# openssl to the root whose common name preferred_chain names, and to the
# default root when it names none of them.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

PEBBLE_ALTERNATE_ROOTS=1 PEBBLE_CHAIN_LENGTH=3 ck_start_pebble "$T/pebble"
for i in 0 1; do
	curl -fsS --max-time 10 --cacert "$CK_CA_BUNDLE" -o "$T/root$i.pem" "$CK_PEBBLE_MGMT/roots/$i" ||
		fail "cannot fetch $CK_PEBBLE_MGMT/roots/$i"
done
# cn CERT: the subject's common name.
cn() {
	openssl x509 -in "$1" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p'
}
cn0=$(cn "$T/root0.pem")
cn1=$(cn "$T/root1.pem")
assert_ne "$cn0" "$cn1" "the two roots' names"
state=$T/state
conf=$T/certkeeper.conf
cur=$state/certs/device/current

# verifies_to ROOT: the installed certificate verifies with chain.pem up to ROOT alone.
verifies_to() {
	openssl verify -CAfile "$1" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null 2>&1
}

# installed_for PREFERRED: renews with preferred_chain = PREFERRED.
installed_for() {
	ck_write_config "$conf" "$state" "key = ec-p256" "preferred_chain = $1"
	run_ck 0 -c "$conf" -v renew --force
}

installed_for "$cn1"
verifies_to "$T/root1.pem" || fail "with preferred_chain = $cn1 the chain does not verify to root 1"
! verifies_to "$T/root0.pem" || fail "with preferred_chain = $cn1 the chain verifies to root 0"
assert_contains "$(cat "$ERR")" "installing the alternate chain" "log with the alternate preferred"
n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$cur/chain.pem")
[ "$n" -ge 2 ] || fail "chain.pem holds $n issuers; PEBBLE_CHAIN_LENGTH=3 gives more than one"
note "preferred_chain = \"$cn1\": the alternate chain, verifying to root 1"

installed_for "$cn0"
verifies_to "$T/root0.pem" || fail "with preferred_chain = $cn0 the chain does not verify to root 0"
! verifies_to "$T/root1.pem" || fail "with preferred_chain = $cn0 the chain verifies to root 1"
note "preferred_chain = \"$cn0\": the default chain, verifying to root 0"

installed_for "No Such Root CA"
verifies_to "$T/root0.pem" || fail "with an unknown preferred_chain the chain does not verify to root 0"
assert_contains "$(cat "$ERR")" "installing the default chain" "log with an unknown preferred chain"
note "preferred_chain naming no root: the default chain, verifying to root 0"
