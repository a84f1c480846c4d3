#!/bin/bash
# events.sh: the lifecycle events (telemetry/events.h), each as one
# structured line on stderr and, with libsystemd, as a journal entry of a
# real systemd-journald with its fixed MESSAGE_ID and CERTKEEPER_* fields,
# found with `journalctl MESSAGE_ID=...`: renewed, renewal-failed,
# deploy-failed, rolled-back, expiring-soon (announced once per
# certificate), revoked, expired.
#
# The test runs in a private mount namespace (unshare, as root) with
# tmpfs over /run and /var/log, so its journald is its own and the
# machine's journal, if any, is neither read nor written.
set -euo pipefail

if [ -z "${CK_EVENTS_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "events.sh: needs root (a private mount namespace)" >&2; exit 77; }
	CK_EVENTS_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/log
mkdir -p /var/log/journal

# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

# The MESSAGE_IDs of telemetry/events.c: fixed, operators' queries use them.
ID_RENEWED=4ccb8eb7835a497c994ebf4ce3c5774f
ID_FAILED=c68ce1e5eb8f4bfdb1a06d0ca9bcdf68
ID_EXPIRING=a2418ec27974420ea4ee82715867b906
ID_EXPIRED=da36e3ce85334a6691850241243559d9
ID_ROLLED_BACK=2c6af920df864c3dbf15c57cdaf8792d
ID_DEPLOY_FAILED=318435bc29d84eaf8780849693793a0e
ID_REVOKED=a88281dd90914e739b9e814ac94e53ae

journal=0
if "$CK" --version | grep -q "^with libsystemd"; then
	journal=1
	_ck_spawn "$T/journald.log" /lib/systemd/systemd-journald
	jpid=$CK_LAST_PID
	_ck_wait_for systemd-journald "$jpid" "$T/journald.log" "$CK_START_TIMEOUT" \
		test -S /run/systemd/journal/socket
else
	note "certkeeper is built without libsystemd: only the lines on stderr are checked"
fi

# entries ID: the journal entries with MESSAGE_ID ID, one JSON object a line.
entries() {
	journalctl --no-pager -q -o json "MESSAGE_ID=$1" 2>/dev/null || true
}

# expect_event ID KIND COUNT [LINES]: COUNT entries of KIND in the journal
# so far (waiting a little for journald), and LINES (default 1) lines of
# it on stderr in the last run; keeps the last entry for field().
expect_event() {
	local id=$1 kind=$2 count=$3 lines=${4:-1} i n

	n=$(grep -c "event=$kind " "$ERR" || true)
	assert_eq "$lines" "$n" "stderr lines of event $kind in the last run"
	[ $journal -eq 1 ] || return 0
	for ((i = 0; i < 25; i++)); do
		n=$(entries "$id" | grep -c . || true)
		[ "$n" -ge "$count" ] && break
		sleep 0.2
	done
	assert_eq "$count" "$n" "journal entries of $kind"
	entries "$id" | tail -n 1 >"$T/entry.json"
	[ "$count" -eq 0 ] || assert_eq "$kind" "$(jq -r .CERTKEEPER_EVENT "$T/entry.json")" "CERTKEEPER_EVENT"
}

# field NAME: a field of the last entry expect_event read.
field() {
	jq -r ".$1" "$T/entry.json"
}

# No authorization reuse: every order is validated afresh.
export PEBBLE_AUTHZREUSE=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
cur=$state/certs/device/current

# 1. renewed: the installed certificate's serial and end.
run_ck 0 -c "$conf" renew
serial=$(cert_serial "$cur/cert.pem")
end=$(openssl x509 -in "$cur/cert.pem" -noout -enddate)
end=$(date -u -d "${end#notAfter=}" +%Y-%m-%dT%H:%M:%SZ)
assert_contains "$(cat "$ERR")" "event=renewed cert=device serial=$serial not_after=$end" "renewed line"
expect_event $ID_RENEWED renewed 1
if [ $journal -eq 1 ]; then
	assert_eq device "$(field CERTKEEPER_CERT)" "CERTKEEPER_CERT"
	assert_eq "$serial" "$(field CERTKEEPER_SERIAL)" "CERTKEEPER_SERIAL"
	assert_eq "$end" "$(field CERTKEEPER_NOT_AFTER)" "CERTKEEPER_NOT_AFTER"
	assert_eq certkeeper "$(field SYSLOG_IDENTIFIER)" "SYSLOG_IDENTIFIER"
	assert_eq 5 "$(field PRIORITY)" "PRIORITY of renewed"
fi
note "renewed: one line and one journal entry with the serial and not_after of the certificate"

# 2. renewal-failed: the CA cannot validate; the entry names the class, the
# problem and the error, with the installed certificate's serial.
wrong_port=$(ck_free_port)
sed "s/^http_port = .*/http_port = $wrong_port/" "$conf" >"$T/wrong-port.conf"
run_ck 1 -c "$T/wrong-port.conf" renew --force
expect_event $ID_FAILED renewal-failed 1
if [ $journal -eq 1 ]; then
	assert_eq "$serial" "$(field CERTKEEPER_SERIAL)" "serial of the certificate a failure left"
	assert_eq validation "$(field CERTKEEPER_ERROR_CLASS)" "CERTKEEPER_ERROR_CLASS"
	assert_ne null "$(field CERTKEEPER_PROBLEM)" "CERTKEEPER_PROBLEM"
	assert_ne null "$(field CERTKEEPER_ERROR)" "CERTKEEPER_ERROR"
	assert_eq 3 "$(field PRIORITY)" "PRIORITY of renewal-failed"
fi
note "renewal-failed: class validation, problem $( [ $journal -eq 1 ] && field CERTKEEPER_PROBLEM)"

# 3. rolled-back: a verify hook that fails brings the previous set back.
ck_write_config "$T/verify.conf" "$state" "key = ec-p256" "verify_hook = /bin/false"
run_ck 1 -c "$T/verify.conf" renew --force
expect_event $ID_ROLLED_BACK rolled-back 1
[ $journal -eq 0 ] || assert_eq hook "$(field CERTKEEPER_ERROR_CLASS)" "class of rolled-back"
assert_eq "$serial" "$(cert_serial "$cur/cert.pem")" "the certificate after the rollback"

# deploy-failed (in a state of its own: the deploy stays pending there).
printf '#!/bin/sh\necho "deploy refused" >&2\nexit 3\n' >"$T/deploy-fails.sh"
chmod 755 "$T/deploy-fails.sh"
ck_write_config "$T/deploy.conf" "$T/state-deploy" "key = ec-p256" \
	"deploy_hook = $T/deploy-fails.sh"
run_ck 1 -c "$T/deploy.conf" renew
expect_event $ID_DEPLOY_FAILED deploy-failed 1
if [ $journal -eq 1 ]; then
	assert_eq "$(cert_serial "$T/state-deploy/certs/device/current/cert.pem")" \
		"$(field CERTKEEPER_SERIAL)" "deploy-failed names the new, installed certificate"
	assert_eq hook "$(field CERTKEEPER_ERROR_CLASS)" "class of deploy-failed"
fi
# The pending deploy fails again at the next pass: announced again.
run_ck 1 -c "$T/deploy.conf" renew
expect_event $ID_DEPLOY_FAILED deploy-failed 2
note "rolled-back and deploy-failed: one entry per failed attempt"

# 4. expiring-soon: with warn_before longer than the lifetime (Pebble's
# five years), the next pass announces it, once; a further pass does not
# again.
ck_write_config "$T/warn.conf" "$state" "key = ec-p256" "warn_before = 3650d"
run_ck 0 -c "$T/warn.conf" renew
expect_event $ID_EXPIRING expiring-soon 1
[ $journal -eq 0 ] || assert_eq "$(cert_serial "$cur/cert.pem")" "$(field CERTKEEPER_SERIAL)" \
	"expiring-soon names the installed certificate"
run_ck 0 -c "$T/warn.conf" renew
expect_event $ID_EXPIRING expiring-soon 1 0
note "expiring-soon: announced once for the installed certificate"

# revoked: `certkeeper revoke`, with its reason.
rserial=$(cert_serial "$cur/cert.pem")
run_ck 0 -c "$conf" revoke device --reason keyCompromise
expect_event $ID_REVOKED revoked 1
assert_contains "$(cat "$ERR")" "event=revoked cert=device serial=$rserial" "revoked line"
if [ $journal -eq 1 ]; then
	assert_eq "$rserial" "$(field CERTKEEPER_SERIAL)" "serial of revoked"
	assert_eq keyCompromise "$(field CERTKEEPER_REASON)" "CERTKEEPER_REASON"
fi
note "revoked: one entry with the serial and the reason"

# 5. expired: certificates of 6 seconds; once one has ended and the CA is
# gone, the failing pass announces that it expired, once.
ck_stop "$CK_PEBBLE_PID"
export CK_CERT_VALIDITY=6
ck_start_pebble "$T/pebble-short"
state2=$T/state2
ck_write_config "$T/short.conf" "$state2" "key = ec-p256"
run_ck 0 -c "$T/short.conf" renew
end2=$(openssl x509 -in "$state2/certs/device/current/cert.pem" -noout -enddate)
end2=$(date -u -d "${end2#notAfter=}" +%s)
ck_stop "$CK_PEBBLE_PID"
while [ "$(date +%s)" -le "$end2" ]; do
	sleep 0.5
done
run_ck 1 -c "$T/short.conf" renew
expect_event $ID_EXPIRED expired 1
[ $journal -eq 0 ] || assert_eq 2 "$(field PRIORITY)" "PRIORITY of expired"
# The next pass backs off (no attempt): the expiry is not announced again.
run_ck 0 -c "$T/short.conf" renew
expect_event $ID_EXPIRED expired 1 0
note "expired: announced once, while renewals fail"
