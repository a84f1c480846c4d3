#!/bin/bash
# failure.sh: a renewal that fails leaves the installed certificate as it
# was, exits 1, and says why in status (last_result, last_error): first
# when the CA cannot validate the challenge (its error is reported with the
# domain), then when libmicrohttpd cannot be loaded for the responder,
# when the CA is gone altogether (a network outage), and when libcurl
# cannot be loaded.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# No authorization reuse: every order must be validated afresh.
export PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

run_ck 0 -c "$conf" renew
serial=$(cert_serial "$cur/cert.pem")
before=$(cat "$cur/fullchain.pem" "$cur/key.pem" | sha256sum)
version=$(readlink "$state/certs/device/current")

# unchanged WHAT: the installed set is exactly what it was.
unchanged() {
	assert_eq "$version" "$(readlink "$state/certs/device/current")" "current after $1"
	assert_eq "$before" "$(cat "$cur/fullchain.pem" "$cur/key.pem" | sha256sum)" "files after $1"
	assert_eq "$serial" "$(cert_serial "$cur/cert.pem")" "serial after $1"
}

# missing_library SONAME TEXT: with SONAME a file that is no library (a
# device image without it), a forced renewal exits 1 naming it, TEXT in its
# stderr, and changes nothing; a plain pass, with nothing due, exits 0.
missing_library() {
	local dir=$T/no-$1
	mkdir -p "$dir"
	echo "not a library" >"$dir/$1"
	LD_LIBRARY_PATH=$dir run_ck 1 -c "$conf" renew --force
	assert_contains "$(cat "$ERR")" "cannot load $1" "stderr without $1"
	assert_contains "$(cat "$ERR")" "$2" "stderr without $1"
	unchanged "a missing $1"
	LD_LIBRARY_PATH=$dir run_ck 0 -c "$conf" renew
}

# 1. The responder listens where the CA does not look: validation fails.
wrong_port=$(ck_free_port)
sed "s/^http_port = .*/http_port = $wrong_port/" "$conf" >"$T/wrong-port.conf"
run_ck 1 -c "$T/wrong-port.conf" renew --force
err=$(cat "$ERR")
assert_contains "$err" "authorization for" "stderr when validation fails"
assert_contains "$err" "device-1.test" "stderr when validation fails"
assert_contains "$err" "connection" "stderr names the CA's validation error"
unchanged "a failed validation"
s=$(status_json "$conf")
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result after failed validation"
assert_contains "$(json_get "$s" '.certificates[0].last_error')" "device-1.test" "last_error"
assert_eq validation "$(json_get "$s" '.certificates[0].last_error_class')" "error class of a failed validation"
# The order was recorded while the CA validated; a refused challenge made it
# invalid, so nothing is left to resume (a plain pass would take it up again).
[ ! -e "$state/pending/device/order.json" ] || fail "the invalid order is still recorded as pending"
[ ! -e "$state/pending/device/key.pem" ] || fail "the invalid order's key is still kept"
note "failed validation: exit 1, error names the domain, installed set unchanged, no pending order"

# 2. No libmicrohttpd (challenge/mhd.c opens it when the http-01 solver is
# made, before the CA is contacted): the renewal fails naming the library
# and its package, asks nothing of the CA, changes nothing; a pass with
# nothing due makes no solver, so needs none.
requests=$(pebble_requests)
[ "$requests" -gt 0 ] || fail "no request line in Pebble's log before the renewal without libmicrohttpd"
missing_library libmicrohttpd.so.12 "for the http-01 responder: install libmicrohttpd12"
assert_eq "$requests" "$(pebble_requests)" "requests to the CA by a renewal without libmicrohttpd"
note "no libmicrohttpd: exit 1 before any request, the library and its package named, installed set unchanged"

# 3. The CA is gone (outage): the run fails, names the URL, changes nothing.
ck_stop "$CK_PEBBLE_PID"
run_ck 1 -c "$conf" renew --force
assert_contains "$(cat "$ERR")" "$CK_ACME_DIR" "stderr when the CA is unreachable"
unchanged "a CA outage"
s=$(status_json "$conf")
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result during the outage"
assert_contains "$(json_get "$s" '.certificates[0].last_error')" "$CK_ACME_DIR" "last_error during the outage"
assert_eq network "$(json_get "$s" '.certificates[0].last_error_class')" "error class during the outage"
assert_eq "$serial" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" "serial in status during the outage"
# Nothing is due yet, so a plain pass makes no request and succeeds.
run_ck 0 -c "$conf" renew
note "CA outage: exit 1, error names the directory URL, installed set unchanged"

# 4. No libcurl (a device image without it; net/curl.c opens it at the first
# request): the run fails naming the library and its package, changes
# nothing; a pass with nothing due needs no network, so no libcurl either.
missing_library libcurl.so.4 "install libcurl4"
note "no libcurl: exit 1, the library and its package named, installed set unchanged"
