#!/bin/bash
# requests.sh: a run makes no needless request and no needless TPM command.
# With Pebble rejecting no nonce (so the counts are exact): one TLS
# connection per run; one directory GET; one HEAD newNonce, since every
# response's Replay-Nonce is used afterwards; no newAccount once the
# account URL is stored; nothing at all when nothing is due; and with TPM
# keys one primary per run, one TPM signature per signed request and one
# for the CSR: TPM commands = signed requests + 9 (Startup, CreatePrimary,
# Create, a Load and a Flush for each of the two keys, the CSR signature,
# the primary's Flush).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export PEBBLE_WFE_NONCEREJECT=0
ck_start_pebble "$T/pebble"
ck_start_swtpm "$T"
state=$T/state
conf=$T/certkeeper.conf
CK_ACCOUNT_KEY=tpm ck_write_config "$conf" "$state" "key = tpm"

# count PATTERN: lines of the last run's stderr matching PATTERN.
count() {
	grep -c -E -- "$1" "$ERR" || true
}

new_account=$(curl -fsS --cacert "$CK_CA_BUNDLE" "$CK_ACME_DIR" | jq -r .newAccount)
run_ck 0 -v -c "$conf" renew
assert_eq 1 "$(count "debug: POST $new_account:")" "newAccount requests in the first run"

for round in 1 2; do
	run_ck 0 -v -c "$conf" renew --force
	what="forced renewal $round"
	assert_contains "$(cat "$ERR")" "over 1 TLS connections" "$what"
	assert_eq 1 "$(count 'debug: GET ')" "GET requests in $what"
	assert_eq 1 "$(count 'debug: HEAD ')" "HEAD newNonce in $what"
	assert_eq 0 "$(count "debug: POST $new_account:")" "newAccount requests in $what"
	posts=$(count 'debug: POST ')
	tpm=$(sed -n 's/.*debug: \([0-9]*\) TPM commands.*/\1/p' "$ERR")
	[ -n "$tpm" ] || fail "no TPM command count at -v in $what"
	assert_eq $((posts + 9)) "$tpm" "TPM commands in $what ($posts signed requests)"
	note "$what: 1 connection, $((posts + 2)) requests, $tpm TPM commands"
done

# Nothing due: no request, no TPM command, no connection.
before=$(grep -c -E '(GET|HEAD|POST) /' "$CK_PEBBLE_DIR/pebble.log" || true)
run_ck 0 -v -c "$conf" renew
after=$(grep -c -E '(GET|HEAD|POST) /' "$CK_PEBBLE_DIR/pebble.log" || true)
assert_eq "$before" "$after" "requests Pebble saw for a pass with nothing due"
assert_not_contains "$(cat "$ERR")" "TPM commands" "a pass with nothing due"
note "a pass with nothing due contacts neither the CA nor the TPM"
