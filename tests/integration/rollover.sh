#!/bin/bash
# rollover.sh: `certkeeper account rollover` (RFC 8555 7.3.5) against
# Pebble, for software and TPM (swtpm) account keys, each followed by a
# renewal signed with the new key; and a kill -9 at each step of it
# (CERTKEEPER_TEST_FAULT): after the new key is saved but before the
# keyChange request, after the CA accepted it but before the new key is
# the key on disk, and (software to TPM, where the file name changes)
# between the removal of the old key and the rename of the new one.  Each
# leaves a working account: the next run asks the CA which key it holds,
# finishes or drops the rollover, and renews.  The TPM is swtpm behind
# tpm2-abrmd.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"

# thumb: the account key thumbprint `account show` prints (it fetches the
# account signed with that key, so the CA holds it).
thumb() {
	run_ck 0 -c "$conf" account show
	sed -n 's/^thumbprint: //p' "$OUT"
}

# crash_at POINT: runs `account rollover` with a crash at POINT; it must die by SIGKILL.
crash_at() {
	local rc=0
	CERTKEEPER_TEST_FAULT=$1 "$CK" -c "$conf" account rollover >"$OUT" 2>"$ERR" </dev/null || rc=$?
	assert_eq 137 "$rc" "exit status of the rollover killed at $1"
}

# renew_ok WHAT: a forced renewal succeeds (signed with whatever key the account has).
renew_ok() {
	run_ck 0 -c "$conf" renew --force
	assert_contains "$(cat "$ERR")" "installed certificate" "$1"
}

run_ck 0 -c "$conf" renew
adir=$(account_dir "$state")
t0=$(thumb)

# --- a plain rollover, then a renewal with the new key -------------------------
run_ck 0 -c "$conf" account rollover
assert_contains "$(cat "$ERR")" "rolled the account key over" "rollover"
t1=$(thumb)
assert_ne "$t0" "$t1" "thumbprint after rollover"
assert_eq "$t1" "$(key_pubkey "$adir/key.pem" | jwk_thumbprint)" "thumbprint of key.pem"
[ ! -e "$adir/key.new.pem" ] || fail "key.new.pem left after a rollover"
renew_ok "renewal after rollover"
note "software rollover: new key at the CA and on disk, renewal works"

# --- killed before the keyChange request: the old key stays ---------------------
crash_at rollover-before-request
assert_file "$adir/key.new.pem"
assert_file "$adir/key.pem"
renew_ok "renewal after a kill before the request"
assert_contains "$(cat "$ERR")" "the CA kept the old account key" "resolution after a kill before the request"
[ ! -e "$adir/key.new.pem" ] || fail "key.new.pem left after resolution"
assert_eq "$t1" "$(thumb)" "thumbprint after a kill before the request"
note "kill -9 before the request: the new key dropped, the old works"

# --- killed after the CA accepted: the new key is taken ------------------------
crash_at rollover-after-accept
new=$(key_pubkey "$adir/key.new.pem" | jwk_thumbprint)
assert_ne "$t1" "$new" "the new key left by the kill"
renew_ok "renewal after a kill after acceptance"
assert_contains "$(cat "$ERR")" "the CA holds the new account key" "resolution after a kill after acceptance"
[ ! -e "$adir/key.new.pem" ] || fail "key.new.pem left after resolution"
assert_eq "$new" "$(thumb)" "thumbprint after a kill after acceptance"
assert_eq "$new" "$(key_pubkey "$adir/key.pem" | jwk_thumbprint)" "key.pem after resolution"
note "kill -9 after acceptance: the new key committed, renewal works"

# --- TPM account keys -------------------------------------------------------------
ck_start_swtpm "$T/tpm"
# Through a resource manager, as on a device (/dev/tpmrm0): the objects a
# killed process had loaded are flushed when its connection goes; on bare
# swtpm they would outlive it and fill the 3 transient slots.
ck_start_abrmd "$T/abrmd"
export TPM2OPENSSL_TCTI=$CK_TABRMD_TCTI
CK_TCTI=$CK_TABRMD_TCTI CK_ACCOUNT_KEY=tpm ck_write_config "$conf" "$state" "key = ec-p256"
# Software to TPM: killed between removing key.pem and renaming key.tss2.new.pem.
crash_at rollover-mid-commit
[ ! -e "$adir/key.pem" ] || fail "key.pem still there after the kill mid-commit"
assert_file "$adir/key.tss2.new.pem"
renew_ok "renewal after a kill mid-commit"
assert_contains "$(cat "$ERR")" "finished the account key rollover a crash cut short" "mid-commit resolution"
assert_file "$adir/key.tss2.pem"
[ ! -e "$adir/key.tss2.new.pem" ] || fail "key.tss2.new.pem left after resolution"
run_ck 0 -c "$conf" account show
assert_contains "$(cat "$OUT")" "key type: tpm" "account key type after the software to TPM rollover"
t2=$(thumb)
assert_eq "$t2" "$(key_pubkey "$adir/key.tss2.pem" | jwk_thumbprint)" "thumbprint of key.tss2.pem"
note "kill -9 mid-commit (software to TPM): finished at the next start, renewal works"

# TPM to TPM: plain, then killed after acceptance.
run_ck 0 -c "$conf" account rollover
t3=$(thumb)
assert_ne "$t2" "$t3" "thumbprint after the TPM rollover"
renew_ok "renewal after the TPM rollover"
crash_at rollover-after-accept
assert_file "$adir/key.tss2.new.pem"
renew_ok "renewal after a kill after acceptance (TPM)"
assert_contains "$(cat "$ERR")" "the CA holds the new account key" "TPM resolution"
t4=$(thumb)
assert_ne "$t3" "$t4" "thumbprint after the TPM resolution"
assert_eq "$t4" "$(key_pubkey "$adir/key.tss2.pem" | jwk_thumbprint)" "thumbprint of key.tss2.pem"
crash_at rollover-before-request
renew_ok "renewal after a kill before the request (TPM)"
assert_eq "$t4" "$(thumb)" "thumbprint after a kill before the request (TPM)"
[ ! -e "$adir/key.tss2.new.pem" ] || fail "key.tss2.new.pem left after resolution"
note "TPM account key: rollover, kill -9 after acceptance and before the request, renewals work"
