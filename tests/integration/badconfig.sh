#!/bin/bash
# badconfig.sh: configuration and usage errors exit 2 with FILE:LINE on
# stderr, and change nothing in an existing state directory.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
serial=$(cert_serial "$cur/cert.pem")

# Everything about the state directory that a stray write would change.
snapshot() {
	find "$state" -printf '%P %y %m %s %T@ %l\n' | sort
}
before=$(snapshot)

# expect_config_error FILE LINE ARG...: certkeeper -c FILE ARG... exits 2
# naming FILE:LINE.
expect_config_error() {
	local file=$1 line=$2
	shift 2
	run_ck 2 -c "$file" "$@"
	assert_contains "$(cat "$ERR")" "$file:$line:" "stderr of certkeeper with $file"
}

bad=$T/unknown-key.conf
cp "$conf" "$bad"
echo "colour = blue" >>"$bad"
expect_config_error "$bad" "$(wc -l <"$bad")" renew --force
expect_config_error "$bad" "$(wc -l <"$bad")" status
note "an unknown key is reported as FILE:LINE, exit 2"

bad=$T/unknown-acme-key.conf
sed '/^\[acme\]$/a directroy = https://localhost:1/dir' "$conf" >"$bad"
line=$(grep -n '^directroy' "$bad" | cut -d: -f1)
expect_config_error "$bad" "$line" renew --force

bad=$T/bad-value.conf
sed 's/^key = ec-p256$/key = ec-p999/' "$conf" >"$bad"
line=$(grep -n '^key = ec-p999' "$bad" | cut -d: -f1)
expect_config_error "$bad" "$line" renew --force
note "a bad value is reported as FILE:LINE, exit 2"

bad=$T/unknown-key.conf
CERTKEEPER_CONFIG=$bad run_ck 2 renew --force
assert_contains "$(cat "$ERR")" "$bad:" "stderr with CERTKEEPER_CONFIG"
note "CERTKEEPER_CONFIG is read"

run_ck 2 -c "$T/no-such-file.conf" renew
assert_contains "$(cat "$ERR")" "$T/no-such-file.conf" "stderr for a missing config"
run_ck 2 -c "$T" renew
note "an unreadable configuration exits 2"

run_ck 2 -c "$conf" frobnicate
run_ck 2 -c "$conf"
run_ck 2 -c "$conf" renew --no-such-option
run_ck 2 -c "$conf" account frobnicate
note "usage errors exit 2"

after=$(snapshot)
assert_eq "$before" "$after" "state directory after the failed runs"
assert_eq "$serial" "$(cert_serial "$cur/cert.pem")" "installed certificate"
run_ck 0 -c "$conf" status --json
note "the state directory is untouched"
