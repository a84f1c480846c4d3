# shellcheck shell=bash
#
# tests/lib.sh: sourced by every tests/integration/*.sh.  Gives the test a
# private temporary directory $T (removed at exit; kept with CK_KEEP=1), the
# certkeeper binary as $CK, the service starters of pebble/env.sh, and
# assertion helpers.  Every failure goes through fail(), which names the
# test and exits 1; the EXIT trap stops whatever the test started.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pebble/env.sh
. "$top/pebble/env.sh"

test_name=$(basename "$0" .sh)
# CK_BIN runs the tests against another build (an installed one, say).
CK=${CK_BIN:-$top/certkeeper}
# Settings from the caller's environment must not leak into a test; a test
# that wants one sets it itself.
unset CERTKEEPER_CONFIG CK_METRICS_FILE CK_TELEMETRY CK_CERT_VALIDITY PEBBLE_WFE_NONCEREJECT \
	PEBBLE_AUTHZREUSE CK_DOMAINS CK_CHALLENGE CK_ACCOUNT_KEY CK_CONTACT \
	CK_TCTI CK_TABRMD_TCTI CK_PEBBLE_DIR TPM2OPENSSL_TCTI TPM2TOOLS_TCTI \
	CK_PEBBLE_EAB PEBBLE_ALTERNATE_ROOTS PEBBLE_CHAIN_LENGTH
T=$(mktemp -d "${TMPDIR:-/tmp}/ck-$test_name.XXXXXX")
# Output of the last run_ck, shown by fail().
OUT=$T/last.out
ERR=$T/last.err

_lib_cleanup() {
	local rc=$?

	# Cleanup must run to the end even when stderr is a closed pipe.
	set +e
	trap '' PIPE

	# A helper that returned non-zero under set -e ends the test without
	# fail(); fail() may have run in a $(...) subshell, hence the marker file.
	if [ "$rc" -ne 0 ] && [ ! -e "$T/.failed" ]; then
		echo "FAIL: $test_name: exited with status $rc (see the messages above)" >&2
	fi
	if [ "$rc" -ne 0 ] && [ -n "${CK_PEBBLE_DIR:-}" ] && [ -f "$CK_PEBBLE_DIR/pebble.log" ]; then
		echo "--- last lines of pebble.log:" >&2
		tail -n 20 "$CK_PEBBLE_DIR/pebble.log" >&2
	fi
	ck_stop_all
	if [ "${CK_KEEP:-0}" = 1 ]; then
		echo "$test_name: kept $T" >&2
	else
		rm -rf "$T"
	fi
	return $rc
}
trap _lib_cleanup EXIT
# Turn signals (tests/run's timeout, ^C, a reader of our output that went
# away) into an exit, so that the cleanup still runs.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 141' PIPE

# fail MSG: reports the failure with the last certkeeper output and exits 1.
fail() {
	: >"$T/.failed"
	echo "FAIL: $test_name: $*" >&2
	if [ -s "$ERR" ]; then
		echo "--- last certkeeper stderr:" >&2
		tail -n 30 "$ERR" >&2
	fi
	if [ -s "$OUT" ]; then
		echo "--- last certkeeper stdout:" >&2
		tail -n 30 "$OUT" >&2
	fi
	exit 1
}

# term_wait PID: sends SIGTERM to PID, a child of this shell, and waits for
# it; sets STOP_RC to its exit status and STOP_MS to how long it took.
# shellcheck disable=SC2034 # both are read by the tests
term_wait() {
	local t0
	t0=$(date +%s%N)
	kill -TERM "$1"
	STOP_RC=0
	wait "$1" || STOP_RC=$?
	STOP_MS=$((($(date +%s%N) - t0) / 1000000))
}

# pebble_requests: the requests Pebble has served so far (it logs each as
# "Pebble DATE TIME METHOD PATH -> calling handler()").
pebble_requests() {
	grep -c -E ' (GET|HEAD|POST) [^ ]+ -> calling handler' "$CK_PEBBLE_DIR/pebble.log" || true
}

# note MSG: progress line, so that a failing test's log shows how far it got.
note() {
	echo "$test_name: $*"
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_ne UNEXPECTED ACTUAL WHAT
assert_ne() {
	[ "$1" != "$2" ] || fail "$3: did not expect '$2'"
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

# assert_not_contains HAYSTACK NEEDLE WHAT
assert_not_contains() {
	case $1 in
	*"$2"*) fail "$3: '$2' unexpectedly found in: $1" ;;
	*) ;;
	esac
}

# assert_file PATH: PATH exists and is a regular file (through links).
assert_file() {
	[ -f "$1" ] || fail "missing file $1"
}

# json_get FILE EXPR: prints jq's raw output of EXPR on FILE ("null" for null).
json_get() {
	jq -r "$2" "$1" 2>"$T/jq.err" || fail "json_get: cannot evaluate '$2' on $1: $(cat "$T/jq.err")"
}

# run_ck EXPECTED_RC ARG...: runs certkeeper with ARG; stdout in $OUT,
# stderr in $ERR; fails unless it exits with EXPECTED_RC.
run_ck() {
	local want=$1 rc=0
	shift

	[ -x "$CK" ] || fail "$CK is not built (run make, or tests/run)"
	"$CK" "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "certkeeper $* exited $rc, expected $want"
}

# status_json CONFIG: runs `status --json`, checks it is JSON, leaves it in
# $T/status.json and prints that path.
status_json() {
	run_ck 0 -c "$1" status --json
	jq -e . "$OUT" >/dev/null 2>&1 || fail "status --json printed no valid JSON"
	cp "$OUT" "$T/status.json"
	echo "$T/status.json"
}

# hexnorm HEX: lower case, no colons, no leading zeros (serials compare equal).
hexnorm() {
	local h=${1//:/}

	h=${h,,}
	while [ "${h#0}" != "$h" ] && [ ${#h} -gt 1 ]; do
		h=${h#0}
	done
	echo "$h"
}

# cert_serial CERT: the certificate's serial, normalized with hexnorm.
cert_serial() {
	local s
	s=$(openssl x509 -in "$1" -noout -serial) || fail "cannot read $1"
	hexnorm "${s#serial=}"
}

# cert_pubkey CERT: the certificate's SubjectPublicKeyInfo as PEM.
cert_pubkey() {
	openssl x509 -in "$1" -noout -pubkey || fail "cannot read the public key of $1"
}

# key_pubkey KEY: the public half of a PEM private key as PEM; a
# "TSS2 PRIVATE KEY" is read through tpm2-openssl on CK_TCTI.
key_pubkey() {
	if grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$1"; then
		TPM2OPENSSL_TCTI=${TPM2OPENSSL_TCTI:-$CK_TCTI} \
			openssl pkey -provider tpm2 -provider default -in "$1" -pubout ||
			fail "cannot read the public key of TPM key $1"
	else
		openssl pkey -in "$1" -pubout || fail "cannot read the public key of $1"
	fi
}

# rfc3339_epoch TIME: seconds since the epoch of an RFC 3339 time.
rfc3339_epoch() {
	[[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]] ||
		fail "'$1' is not an RFC 3339 UTC time"
	date -u -d "$1" +%s || fail "date cannot parse '$1'"
}

# version_dirs CERTDIR: the version directories (not the links), resolved
# like readlink -f, sorted.
version_dirs() {
	local d
	find "$1" -mindepth 1 -maxdepth 1 -type d | while read -r d; do
		readlink -f "$d"
	done | sort
}

# file_mode PATH: octal permission bits (through links).
file_mode() {
	stat -L -c %a "$1"
}

# jwk_thumbprint: the RFC 7638 JWK thumbprint (SHA-256, base64url) of the
# public key whose PEM SubjectPublicKeyInfo is on stdin (EC P-256/P-384 or RSA).
jwk_thumbprint() {
	openssl pkey -pubin -outform DER | python3 -c '
import base64, hashlib, json, sys

def tlv(b, i):
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

der = sys.stdin.buffer.read()
_, spki, _ = tlv(der, 0)
_, alg, i = tlv(spki, 0)
_, bits, _ = tlv(spki, i)
_, oid, j = tlv(alg, 0)
key = bits[1:]  # skip the unused-bits octet
if oid == bytes.fromhex("2a8648ce3d0201"):  # id-ecPublicKey
    _, curve, _ = tlv(alg, j)
    crv = {bytes.fromhex("2a8648ce3d030107"): "P-256", bytes.fromhex("2b81040022"): "P-384"}[curve]
    n = (len(key) - 1) // 2
    jwk = {"crv": crv, "kty": "EC", "x": b64u(key[1:1 + n]), "y": b64u(key[1 + n:])}
else:  # rsaEncryption
    _, seq, _ = tlv(key, 0)
    _, mod, k = tlv(seq, 0)
    _, exp, _ = tlv(seq, k)
    jwk = {"e": b64u(exp.lstrip(b"\0")), "kty": "RSA", "n": b64u(mod.lstrip(b"\0"))}
canon = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
print(b64u(hashlib.sha256(canon).digest()))
'
}

# account_dir STATE_DIR: the only account directory under STATE_DIR/accounts.
account_dir() {
	local dirs
	dirs=$(find "$1/accounts" -mindepth 1 -maxdepth 1 -type d) || fail "no $1/accounts"
	[ -n "$dirs" ] || fail "no account directory under $1/accounts"
	[ "$(printf '%s\n' "$dirs" | wc -l)" -eq 1 ] || fail "more than one account under $1/accounts: $dirs"
	echo "$dirs"
}

# mitm_setup CONF: picks a port for tests/mitm.py in front of the running
# Pebble and writes $T/proxy.conf, CONF with its directory through the
# proxy; sets proxy_port, pebble_port and proxy_conf.
mitm_setup() {
	proxy_port=$(ck_free_port)
	CK_PORTS_TAKEN="$CK_PORTS_TAKEN $proxy_port"
	pebble_port=${CK_ACME_DIR#https://localhost:}
	pebble_port=${pebble_port%%/*}
	proxy_conf=$T/proxy.conf
	sed "s|^directory = .*|directory = https://localhost:$proxy_port/dir|" "$1" >"$proxy_conf"
	grep -q "^directory = https://localhost:$proxy_port/dir\$" "$proxy_conf" ||
		fail "cannot point $proxy_conf at the proxy"
}

# mitm_start LABEL [MITM_ARG...]: starts tests/mitm.py (see mitm_setup) with
# the extra arguments, logging to $T/mitm-LABEL.log; sets proxy_pid and
# proxy_log.
mitm_start() {
	local label=$1
	shift

	proxy_log=$T/mitm-$label.log
	_ck_spawn "$proxy_log" python3 "$top/tests/mitm.py" --port "$proxy_port" \
		--upstream-port "$pebble_port" --cert "$CK_PEBBLE_DIR/localhost.pem" \
		--key "$CK_PEBBLE_DIR/localhost.key" --cafile "$CK_CA_BUNDLE" "$@"
	proxy_pid=$CK_LAST_PID
	ck_wait_port "mitm proxy (127.0.0.1:$proxy_port)" "$proxy_pid" "$proxy_log" "$proxy_port" ||
		fail "the proxy did not start"
}

# cert_snapshot CERTDIR: the installed set and everything beside it, as
# text: the entries of the certificate directory with their link targets,
# and the SHA-256 of every file of current.
cert_snapshot() {
	(
		cd "$1"
		find . -mindepth 1 -maxdepth 1 -printf '%f %y %l\n' | sort
		sha256sum current/*
	) || fail "cannot read $1"
}
