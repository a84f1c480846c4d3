#!/bin/bash
# requests.sh: a run makes no needless request and no needless TPM command.
# With Pebble rejecting no nonce (so the counts are exact): one TLS
# connection per run; one directory GET; one HEAD newNonce, since every
# response's Replay-Nonce is used afterwards; no newAccount once the
# account URL is stored; finalize straight after the last valid
# authorization (no order fetch in between); nothing at all when nothing
# is due; and with TPM keys one primary per run, one TPM signature per
# signed request and one for the CSR: TPM commands = signed requests + 9 (Startup, CreatePrimary,
# Create, a Load and a Flush for each of the two keys, the CSR signature,
# the primary's Flush).  The counts come from certkeeper's -v output and
# Pebble's log; each is checked to match something first, so that a change
# of either format fails the test instead of making it pass unseen.
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

# Pebble logs each request it serves as "Pebble DATE TIME METHOD PATH -> calling handler()".
# pebble_count PATTERN: lines of Pebble's log matching PATTERN.
pebble_count() {
	grep -c -E -- "$1" "$CK_PEBBLE_DIR/pebble.log" || true
}

# url_path URL: the path of an https URL, as Pebble logs it.
url_path() {
	echo "/${1#https://*/}"
}

directory=$(curl -fsS --cacert "$CK_CA_BUNDLE" "$CK_ACME_DIR")
new_account=$(jq -r .newAccount <<<"$directory")
new_nonce=$(jq -r .newNonce <<<"$directory")
[ -n "$new_account" ] && [ "$new_account" != null ] || fail "no newAccount in the directory"
[ -n "$new_nonce" ] && [ "$new_nonce" != null ] || fail "no newNonce in the directory"
p_before=$(pebble_requests)
run_ck 0 -v -c "$conf" renew
p_after=$(pebble_requests)
assert_eq 1 "$(count "debug: POST $new_account:")" "newAccount requests in the first run"

# The counts below mean something only if both logs say what the patterns
# look for: Pebble logged the requests this run made, by method and path, as
# many as certkeeper says it sent.  A change of either format fails here.
for line in "GET $(url_path "$CK_ACME_DIR") " "HEAD $(url_path "$new_nonce") " \
	"POST $(url_path "$new_account") "; do
	assert_ne 0 "$(pebble_count "$line")" "Pebble log lines '$line' (has its log format changed?)"
done
sent=$(count 'debug: (GET|HEAD|POST) ')
[ "$sent" -ge 5 ] || fail "certkeeper -v logged $sent requests for a first issuance (has its format changed?)"
assert_eq "$sent" $((p_after - p_before)) "requests Pebble logged for the first run vs those certkeeper logged"

for round in 1 2; do
	p_before=$(pebble_requests)
	run_ck 0 -v -c "$conf" renew --force
	p_after=$(pebble_requests)
	what="forced renewal $round"
	assert_contains "$(cat "$ERR")" "over 1 TLS connections" "$what"
	assert_eq 1 "$(count 'debug: GET ')" "GET requests in $what"
	assert_eq 1 "$(count 'debug: HEAD ')" "HEAD newNonce in $what"
	assert_eq 0 "$(count "debug: POST $new_account:")" "newAccount requests in $what"
	posts=$(count 'debug: POST ')
	# newOrder, finalize and the download at the least (authorizations may be reused).
	[ "$posts" -ge 3 ] || fail "only $posts signed requests logged in $what (has the -v format changed?)"
	assert_eq $((posts + 2)) $((p_after - p_before)) "requests Pebble logged in $what"
	tpm=$(sed -n 's/.*debug: \([0-9]*\) TPM commands.*/\1/p' "$ERR")
	[ -n "$tpm" ] || fail "no TPM command count at -v in $what"
	assert_eq $((posts + 9)) "$tpm" "TPM commands in $what ($posts signed requests)"
	# Finalized straight after its authorizations, the order not fetched
	# first (pending authorizations or not): the order is fetched only
	# after finalize, while the CA issues.
	order_path=$(sed -n 's/.*debug: POST https:[^ ]*\/finalize-order\/\([^:]*\):.*/\1/p' "$ERR")
	[ -n "$order_path" ] || fail "no finalize-order request logged in $what (Pebble's paths changed?)"
	before_fin=$(sed -n '/debug: POST https:[^ ]*\/finalize-order\//q;p' "$ERR" | grep -c "/my-order/$order_path:" || true)
	assert_eq 0 "$before_fin" "order fetches before finalize in $what"
	note "$what: 1 connection, $((posts + 2)) requests, $tpm TPM commands"
done

# Nothing due: no request, no TPM command, no connection.
before=$(pebble_requests)
# Equal counts prove nothing if the pattern matches nothing at all.
[ "$before" -gt 0 ] || fail "no request line in Pebble's log before the pass with nothing due"
run_ck 0 -v -c "$conf" renew
after=$(pebble_requests)
assert_eq "$before" "$after" "requests Pebble saw for a pass with nothing due"
assert_not_contains "$(cat "$ERR")" "TPM commands" "a pass with nothing due"
note "a pass with nothing due contacts neither the CA nor the TPM"
