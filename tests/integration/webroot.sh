#!/bin/bash
# webroot.sh: http-01 with webroot = DIR: a real web server (python3
# http.server on Pebble's httpPort, serving DIR) answers Pebble's VA from the
# token files certkeeper writes; they are gone afterwards, the directories
# it made are readable by the web server, and certkeeper listens on nothing.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# Fresh authorizations for every order, so that each one writes token files.
PEBBLE_AUTHZREUSE=0 ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
www=$T/www
mkdir -p "$www"
ck_write_config "$conf" "$state" "webroot = $www"
cur=$state/certs/device/current

_ck_spawn "$T/httpd.log" python3 -u -m http.server --bind 127.0.0.1 --directory "$www" "$CK_HTTP_PORT"
httpd=$CK_LAST_PID
ck_wait_port "python3 http.server" "$httpd" "$T/httpd.log" "$CK_HTTP_PORT"

run_ck 0 -v -c "$conf" renew
note "issued through the web server's webroot"
san=$(openssl x509 -in "$cur/cert.pem" -noout -ext subjectAltName)
assert_contains "$san" "DNS:device-1.test" "subjectAltName"
assert_contains "$san" "DNS:api.device-1.test" "subjectAltName"
# The web server served the tokens (200), not certkeeper.
n=$(grep -c 'GET /.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1.1" 200' "$T/httpd.log") || true
[ "$n" -ge 2 ] || fail "the web server served $n token files, expected at least 2: $(cat "$T/httpd.log")"
assert_not_contains "$(cat "$ERR")" "http-01 responder listening" "debug log"
assert_eq 755 "$(file_mode "$www/.well-known")" "mode of .well-known"
assert_eq 755 "$(file_mode "$www/.well-known/acme-challenge")" "mode of acme-challenge"
left=$(find "$www/.well-known/acme-challenge" -mindepth 1)
assert_eq "" "$left" "files left in the webroot"
# Each token file was written 0644 through a temporary file and renamed.
grep -q "webroot: wrote $www/.well-known/acme-challenge/" "$ERR" || fail "no token file written"
grep -q "webroot: removed $www/.well-known/acme-challenge/" "$ERR" || fail "no token file removed"

# A webroot that is not a directory: a clear error, the installed set stays.
before=$(readlink -f "$cur")
ck_write_config "$T/bad.conf" "$state" "webroot = $T/no-such-dir"
run_ck 1 -c "$T/bad.conf" renew --force
assert_contains "$(cat "$ERR")" "webroot: stat $T/no-such-dir: No such file or directory" "error"
assert_eq "$before" "$(readlink -f "$cur")" "current after the failed renewal"
note "ok"
