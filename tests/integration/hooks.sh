#!/bin/bash
# hooks.sh: deploy and verify hooks around real installs.  A deploy hook
# is told the installed set (every CERTKEEPER_ variable, the files they
# name, nothing of our environment); a failing verify hook rolls current
# back byte for byte and the previous version is deployed again; a failing
# deploy hook leaves the certificate installed and its deploy pending, run
# again by the next plain `renew` and then no more; a hook that outlives
# hook_timeout is killed with the child it started; a shell one-liner
# through /bin/sh -c works.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

ck_start_pebble "$T/pebble"
ck_pebble_root "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
certs=$state/certs/device
cur=$certs/current
pending=$certs/deploy-pending
log=$T/hooks.log

# The hooks record each run under $T/runs: the order of runs in
# $log, and per run its environment and the SHA-256 of the files it names.
mkdir "$T/runs"
cat >"$T/hook-lib.sh" <<EOF
runs=$T/runs
log=$log
EOF
cat >>"$T/hook-lib.sh" <<'EOF'
# record KIND: notes this run as KIND.N; sets n.
record() {
	n=$(($(cat "$runs/$1.count" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$runs/$1.count"
	env | sort >"$runs/$1.$n.env"
	sha256sum "$CERTKEEPER_CERT" "$CERTKEEPER_CHAIN" "$CERTKEEPER_FULLCHAIN" "$CERTKEEPER_KEY" |
		cut -d' ' -f1 >"$runs/$1.$n.sums"
	echo "$1 $n" >>"$log"
}
EOF
cat >"$T/deploy.sh" <<EOF
#!/bin/sh
. $T/hook-lib.sh
EOF
cat >>"$T/deploy.sh" <<'EOF'
record deploy
if [ -e "$runs/deploy-fail-once" ]; then
	rm -f "$runs/deploy-fail-once"
	echo "deploy: the service refused the new key" >&2
	exit 2
fi
echo "deployed $CERTKEEPER_NAME"
EOF
cat >"$T/verify.sh" <<EOF
#!/bin/sh
. $T/hook-lib.sh
EOF
cat >>"$T/verify.sh" <<'EOF'
record verify
if [ -e "$runs/verify-fail" ]; then
	printf 'verify: handshake failed \033[31mred\033[0m\n'
	exit 1
fi
echo verified
EOF
chmod +x "$T/deploy.sh" "$T/verify.sh"

# count KIND: how many times hook KIND ran.
count() {
	cat "$T/runs/$1.count" 2>/dev/null || echo 0
}

# sums DIR: the SHA-256 of DIR's cert, chain, fullchain and key, as the hooks record them.
sums() {
	sha256sum "$1/cert.pem" "$1/chain.pem" "$1/fullchain.pem" "$1/key.pem" | cut -d' ' -f1
}

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

ck_write_config "$conf" "$state" "key = ec-p256" "deploy_hook = $T/deploy.sh" \
	"verify_hook = $T/verify.sh"

# --- 1. the deploy hook is told the installed set ----------------------------
run_ck 0 -c "$conf" renew
assert_eq 1 "$(count deploy)" "deploy hook runs after the first install"
assert_eq 1 "$(count verify)" "verify hook runs after the deploy hook"
assert_eq "deploy 1
verify 1" "$(cat "$log")" "order of the hooks"
env1=$T/runs/deploy.1.env
expected="CERTKEEPER_CERT=$cur/cert.pem
CERTKEEPER_CHAIN=$cur/chain.pem
CERTKEEPER_FULLCHAIN=$cur/fullchain.pem
CERTKEEPER_KEY=$cur/key.pem
CERTKEEPER_KEY_TYPE=ec-p256
CERTKEEPER_NAME=device"
assert_eq "$expected" "$(grep '^CERTKEEPER_' "$env1")" "CERTKEEPER_ variables of the deploy hook"
assert_eq "PATH=/usr/sbin:/usr/bin:/sbin:/bin" "$(grep '^PATH=' "$env1")" "PATH of the deploy hook"
# Nothing of ours: only what the shell itself sets (PWD) besides those.
others=$(grep -v -e '^CERTKEEPER_' -e '^PATH=' -e '^PWD=' "$env1" || true)
assert_eq "" "$others" "other variables in the deploy hook's environment"
assert_eq "$expected" "$(grep '^CERTKEEPER_' "$T/runs/verify.1.env")" "verify hook's variables"
v1=$(readlink -f "$cur")
sums1=$(sums "$cur")
assert_eq "$sums1" "$(cat "$T/runs/deploy.1.sums")" "files the deploy hook was given vs installed"
assert_eq "$sums1" "$(cat "$T/runs/verify.1.sums")" "files the verify hook was given vs installed"
assert_contains "$(cat "$ERR")" "device: deploy hook: deployed device" "deploy hook output in the log"
[ ! -e "$pending" ] || fail "a deploy is pending after hooks that succeeded"
s=$(status_json "$conf")
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result after the hooks"
note "deploy and verify hooks ran in order with the installed set"

# --- 2. a failing verify hook rolls back ----------------------------------------
cp -a "$v1" "$T/v1-copy"
: >"$T/runs/verify-fail"
: >"$log"
run_ck 1 -c "$conf" renew --force
assert_eq "$v1" "$(readlink -f "$cur")" "current after a failed verification"
for f in cert.pem chain.pem fullchain.pem key.pem; do
	cmp -s "$T/v1-copy/$f" "$cur/$f" || fail "$f differs from the version rolled back to"
done
assert_eq "deploy 2
verify 2
deploy 3" "$(cat "$log")" "hooks around a rollback"
sums2=$(cat "$T/runs/deploy.2.sums")
assert_ne "$sums1" "$sums2" "files of the deploy before the rollback (the new version)"
assert_eq "$sums2" "$(cat "$T/runs/verify.2.sums")" "files the failing verify hook saw"
assert_eq "$sums1" "$(cat "$T/runs/deploy.3.sums")" "files deployed again after the rollback"
assert_eq "$expected" "$(grep '^CERTKEEPER_' "$T/runs/deploy.3.env")" "variables after the rollback"
bad=$(readlink -f "$certs/previous")
assert_ne "$v1" "$bad" "previous after a rollback (the version that failed)"
[ ! -e "$pending" ] || fail "a deploy is pending though the rolled-back version was deployed"
assert_contains "$(cat "$ERR")" "rolled back from $(basename "$bad") to $(basename "$v1")" "stderr"
s=$(status_json "$conf")
assert_eq rolled-back "$(json_get "$s" '.certificates[0].last_result')" "last_result after a rollback"
assert_eq hook "$(json_get "$s" '.certificates[0].last_error_class')" "error class after a rollback"
err=$(json_get "$s" '.certificates[0].last_error')
assert_contains "$err" "verify hook $T/verify.sh exited with status 1" "last_error after a rollback"
assert_contains "$err" "verify: handshake failed ?[31mred?[0m" "hook output (sanitized) in last_error"
assert_eq "$(cert_serial "$cur/cert.pem")" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" \
	"serial in status after a rollback"
note "failing verify hook: exit 1, current back to the previous version, deployed again, rolled-back"

# --- 3. a failing deploy hook leaves its deploy pending ----------------------------
rm -f "$T/runs/verify-fail"
: >"$T/runs/deploy-fail-once"
: >"$log"
run_ck 1 -c "$conf" renew --force
v3=$(readlink -f "$cur")
assert_ne "$v1" "$v3" "current after a failed deploy hook (the new version stays)"
openssl verify -CAfile "$CK_PEBBLE_ROOT" -untrusted "$cur/chain.pem" "$cur/cert.pem" >/dev/null || fail "the installed certificate does not verify"
assert_eq "deploy 4" "$(cat "$log")" "a failed deploy hook is not followed by the verify hook"
assert_eq "$(basename "$v3") installed" "$(cat "$pending")" "deploy-pending after a failed deploy hook"
s=$(status_json "$conf")
assert_eq failure "$(json_get "$s" '.certificates[0].last_result')" "last_result after a failed deploy"
assert_eq hook "$(json_get "$s" '.certificates[0].last_error_class')" "error class of a failed deploy"
err=$(json_get "$s" '.certificates[0].last_error')
assert_contains "$err" "deploy hook $T/deploy.sh exited with status 2" "last_error of a failed deploy"
assert_contains "$err" "the service refused the new key" "hook output in last_error"
assert_contains "$err" "deploy is pending" "last_error of a failed deploy"

: >"$log"
run_ck 0 -c "$conf" renew
assert_eq "deploy 5
verify 3" "$(cat "$log")" "hooks run again by a plain renew while a deploy is pending"
assert_eq "$v3" "$(readlink -f "$cur")" "current after the pending deploy (nothing was due)"
assert_eq "$(sums "$cur")" "$(cat "$T/runs/deploy.5.sums")" "files of the pending deploy"
[ ! -e "$pending" ] || fail "deploy-pending left after the deploy succeeded"
s=$(status_json "$conf")
assert_eq success "$(json_get "$s" '.certificates[0].last_result')" "last_result after the pending deploy"
assert_eq "$(cert_serial "$cur/cert.pem")" "$(hexnorm "$(json_get "$s" '.certificates[0].serial')")" \
	"serial in status after the pending deploy"
: >"$log"
run_ck 0 -c "$conf" renew
assert_eq "" "$(cat "$log")" "hooks run by a plain renew with nothing pending"
assert_contains "$(cat "$ERR")" "nothing due" "a plain renew with nothing pending"
note "failing deploy hook: exit 1, installed, pending; the next plain renew deploys it, then nothing"

# --- 4. a hook that outlives hook_timeout is killed ------------------------------
cat >"$T/slow.sh" <<EOF
#!/bin/sh
/bin/sleep 300 &
echo \$! >$T/slow.child
echo \$\$ >$T/slow.pid
echo "slow hook started"
exec /bin/sleep 300
EOF
chmod +x "$T/slow.sh"
ck_write_config "$conf" "$state" "key = ec-p256" "deploy_hook = $T/slow.sh" "hook_timeout = 1s"
start=$(date +%s)
run_ck 1 -c "$conf" renew --force
took=$(($(date +%s) - start))
[ "$took" -lt 30 ] || fail "renew with a hung hook took ${took}s"
for p in "$(cat "$T/slow.pid")" "$(cat "$T/slow.child")"; do
	if alive "$p"; then
		fail "process $p of the timed-out hook is still running"
	fi
done
assert_contains "$(cat "$ERR")" "deploy hook $T/slow.sh timed out after 1s and was killed" "stderr"
assert_contains "$(cat "$ERR")" "device: deploy hook: slow hook started" "output of the slow hook"
s=$(status_json "$conf")
assert_eq hook "$(json_get "$s" '.certificates[0].last_error_class')" "error class of a timed-out hook"
assert_contains "$(json_get "$s" '.certificates[0].last_error')" "timed out after 1s" "last_error"
assert_eq "$(basename "$(readlink -f "$cur")") installed" "$(cat "$pending")" "pending after a timeout"
note "a hook past hook_timeout is killed with its child and reported"

# --- 5. a shell one-liner ---------------------------------------------------------
# shellcheck disable=SC2016 # expanded by the hook's shell, not here
ck_write_config "$conf" "$state" "key = ec-p256" \
	'deploy_hook = /bin/sh -c '\''echo "$CERTKEEPER_NAME $CERTKEEPER_KEY_TYPE" >'"$T"'/oneliner.out && echo one-liner ran'\'
run_ck 0 -c "$conf" renew
assert_eq "device ec-p256" "$(cat "$T/oneliner.out")" "what the one-liner wrote"
assert_contains "$(cat "$ERR")" "device: deploy hook: one-liner ran" "one-liner output in the log"
[ ! -e "$pending" ] || fail "deploy-pending left after the one-liner deployed"
note "a shell one-liner through /bin/sh -c deploys the pending version"
