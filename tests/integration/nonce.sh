#!/bin/bash
# nonce.sh: badNonce answers are retried.  Pebble rejects half of all good
# nonces here, so every run meets several badNonce errors; issuance and
# three forced renewals must all still succeed.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export PEBBLE_WFE_NONCEREJECT=50
ck_start_pebble "$T/pebble"
grep -q "reject 50% of good nonces" "$CK_PEBBLE_DIR/pebble.log" ||
	fail "Pebble did not take PEBBLE_WFE_NONCEREJECT=50"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
serials=$(cert_serial "$cur/cert.pem")
retries=0
for round in 1 2 3; do
	run_ck 0 -v -c "$conf" renew --force
	serial=$(cert_serial "$cur/cert.pem")
	assert_not_contains "$serials" "$serial" "serial after forced renewal $round"
	serials="$serials $serial"
	retries=$((retries + $(grep -c "badNonce, retrying" "$ERR" || true)))
done
# Three runs of ~6 signed requests at 50%: no badNonce at all would mean the
# retry path was never exercised (odds about 1 in 250,000).
[ "$retries" -gt 0 ] || fail "no badNonce was met and retried in three runs"
note "$retries badNonce answers retried"

s=$(status_json "$conf")
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result"
note "issuance and three forced renewals succeeded with 50% nonce rejection"
