#!/bin/bash
# hostile_acme.sh: a CA that follows the protocol up to one step and then
# misbehaves there gets a clear refusal, within bounded time, and nothing
# installed changes.  tests/mitm.py --misbehave STEP:MODE relays the real
# protocol to Pebble and spoils the answers of one step: truncated or
# malformed JSON at every step, an HTML page, a 20 MiB body, an endless
# chunked body, a slow drip, a wrong content type, a missing Location or
# Replay-Nonce, URLs that are not https or point elsewhere, a redirect, an
# order that stays processing with Retry-After: 0, a server that accepts
# and never answers (before and after the TLS handshake).  Each run must
# exit 1 (no crash) naming the problem, within order_timeout plus the
# request timeouts, record the failure in status, and leave the installed
# set byte for byte.  (The certificate's own checks: hostile_ca.sh.)
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# Every nonce good and every authorization fresh: each step is reached on each run.
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
order_timeout=4
request_timeout=2
connect_timeout=1
ck_write_config "$conf" "$state" "key = ec-p256"
sed -i "s|^\[acme\]$|[acme]\norder_timeout = ${order_timeout}s\nrequest_timeout = ${request_timeout}s\nconnect_timeout = ${connect_timeout}s|" "$conf"
grep -q "^request_timeout = ${request_timeout}s$" "$conf" || fail "cannot set request_timeout in $conf"
certs=$state/certs/device

run_ck 0 -c "$conf" renew
note "first issuance directly from Pebble succeeded"
mitm_setup "$conf"
before=$(cert_snapshot "$certs")
serial=$(hexnorm "$(cert_serial "$certs/current/cert.pem")")

# Liveness, not speed: one order's polls plus a few requests each cut off
# at request_timeout, and slack for a loaded machine (less than the 30 s
# that one request took before request_timeout).
bound=$((order_timeout + 4 * request_timeout + 10))

# refused STEP:MODE REASON [MITM_ARG...]: a forced renewal through the proxy
# misbehaving at STEP exits 1 within $bound seconds, naming REASON on stderr
# and in status, with the installed set unchanged.
refused() {
	local case=$1 reason=$2 rc=0 s
	shift 2

	case $case in
	none:*) mitm_start "$case" "$@" ;;
	*) mitm_start "${case/:/-}" --misbehave "$case" "$@" ;;
	esac
	# newAccount is sent only without a stored account.
	[ "${case%%:*}" != account ] || rm -rf "$state/accounts"
	timeout -k 5 "$bound" "$CK" -c "$proxy_conf" renew --force >"$OUT" 2>"$ERR" </dev/null || rc=$?
	ck_stop "$proxy_pid"
	# A failed finalize leaves its order for the next run to resume
	# (resume.sh): each case here starts afresh.
	rm -rf "$state/pending"
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "$case: still running after ${bound}s (see $ERR)"
	[ "$rc" = 1 ] || fail "$case: certkeeper exited $rc, expected 1: $(cat "$ERR")"
	case $case in
	none:*) grep -q "never answered" "$proxy_log" || fail "$case: no connection reached the proxy" ;;
	*) grep -q "^mitm: $case on " "$proxy_log" || fail "$case: the proxy never got to misbehave (see $proxy_log)" ;;
	esac
	if [ -n "${CK_SHOW:-}" ]; then echo "== $case: $(grep -v '^certkeeper: info' "$ERR" | tail -n 3)"; return; fi
	assert_contains "$(cat "$ERR")" "$reason" "$case: stderr"
	assert_eq "$before" "$(cert_snapshot "$certs")" "$case: certificate directory and current files"
	s=$(status_json "$conf")
	assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "$case: last_result"
	assert_contains "$(json_get "$s" '.certificates[0].last_error')" "$reason" "$case: last_error"
	assert_eq "$serial" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "$case: serial in status"
	note "$case: refused ($reason), installed set unchanged"
}

# --- truncated and malformed JSON at each step ------------------------------
for step in directory account order authz challenge finalize poll; do
	case $step in
	directory) what="ACME directory" ;;
	account) what=newAccount ;;
	order) what=newOrder ;;
	authz) what=authorization ;;
	challenge) what="device-1.test" ;; # "http-01 challenge for [api.]device-1.test"
	poll) what="order" ;;
	*) what=$step ;;
	esac
	refused "$step:truncate" "$what: the server's answer is not a JSON object"
	refused "$step:malformed" "$what: the server's answer is not a JSON object"
done
refused nonce:malformed 'newNonce: the CA sent no valid Replay-Nonce'
refused cert:truncate 'certificate chain: CERTIFICATE block 2 has no END line'
refused cert:malformed 'certificate chain: unexpected text at byte 0'
refused directory:html 'ACME directory: the server'\''s answer has Content-Type "text/html", not application/json'
refused order:html 'newOrder: the server'\''s answer has Content-Type "text/html", not application/json'

# --- bodies that never end, or come a byte at a time ------------------------
refused directory:huge '/dir exceeds 1 MiB'
refused order:huge '/order-plz exceeds 1 MiB'
refused cert:huge 'exceeds 1 MiB'
refused directory:endless '/dir exceeds 1 MiB'
refused poll:endless 'exceeds 1 MiB'
refused directory:drip '/dir: curl_easy_perform: Timeout was reached'
refused finalize:drip 'curl_easy_perform: Timeout was reached'

# --- headers and URLs ---------------------------------------------------------
refused directory:ctype 'ACME directory: the server'\''s answer has Content-Type "text/html", not application/json'
refused order:ctype 'newOrder: the server'\''s answer has Content-Type "text/html", not application/json'
refused cert:ctype 'certificate download: the server'\''s answer has Content-Type "text/html", not application/pem-certificate-chain'
refused account:no-location 'server gave account URL "(none)": not an https URL'
refused order:no-location 'not an https URL'
refused nonce:no-nonce 'newNonce: the CA sent no valid Replay-Nonce'
refused directory:http 'server gave newNonce URL "http://'
refused order:http '": not an https URL'
refused poll:http '": not an https URL'
refused directory:elsewhere 'https://localhost:9/nonce-plz: curl_easy_perform: Couldn'\''t connect to server'
refused order:elsewhere 'https://localhost:9/'
refused directory:redirect 'ACME directory: unexpected HTTP status 307 from the CA'
refused order:redirect 'newOrder: unexpected HTTP status 307 from the CA'
refused cert:redirect 'certificate download: unexpected HTTP status 307 from the CA'

# --- waits that must end ------------------------------------------------------
refused finalize:processing 'still processing at the order deadline (order_timeout)'
# The order is first polled after finalize (finalize follows the last valid
# authorization at once), where processing is an answer to wait on: a poll
# that always says so runs into the deadline too.
refused poll:processing 'order: still processing at the order deadline (order_timeout)'
refused directory:silent '/dir: curl_easy_perform: Timeout was reached: Operation timed out after 2'
refused finalize:silent 'curl_easy_perform: Timeout was reached'
# A server that accepts and never starts TLS is left after connect_timeout
# (1 s: curl's connection phase ran out), one that never answers a request
# after request_timeout (2 s, above).
refused none:handshake '/dir: curl_easy_perform: Timeout was reached: SSL connection timeout (limits: connection 1s, request 2s)' --no-handshake

# --- tolerated: a nonce missing from an answer is fetched anew -------------
mitm_start order-no-nonce --misbehave order:no-nonce
run_ck 0 -c "$proxy_conf" renew --force
ck_stop "$proxy_pid"
grep -q "^mitm: order:no-nonce on " "$proxy_log" || fail "order:no-nonce: the proxy never got to misbehave"
[ "$(grep -c "^mitm: HEAD /nonce-plz" "$proxy_log")" -ge 2 ] ||
	fail "order:no-nonce: no second newNonce after an answer without Replay-Nonce"
note "order:no-nonce: a fresh nonce from newNonce, renewal succeeded"
before=$(cert_snapshot "$certs")

# A pass straight to Pebble, with nothing due, keeps what is installed.
run_ck 0 -c "$conf" renew
assert_eq "$before" "$(cert_snapshot "$certs")" "certificate directory after a pass with nothing due"
