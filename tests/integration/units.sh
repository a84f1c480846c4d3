#!/bin/bash
# units.sh: the systemd units as built (systemd/*.service from their .in,
# @bindir@ substituted) load without a warning (`systemd-analyze verify`)
# and each service is sandboxed to an exposure of 1.7 or lower by
# `systemd-analyze security --offline=true` (certbot's Debian unit: 9.4).
# Also: both services carry one sandbox, the agent conflicts with the timer
# (never both), the timer is persistent and randomized, and the README's
# drop-in without CAP_NET_BIND_SERVICE loads and lowers the score.  No
# systemd need run: verify and security work on unit files offline.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

MAX_EXPOSURE=1.7
services=(certkeeper.service certkeeper-agent.service)
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (Debian package systemd)"

# The units of the build under test: beside $CK (an out-of-tree or
# sanitizer build), else the source tree's.
build=$(dirname "$CK")
[ -f "$build/systemd/certkeeper.service" ] || build=$top
for u in "${services[@]}"; do
	[ -f "$build/systemd/$u" ] || fail "$build/systemd/$u is not built (run make)"
done

# verify wants ExecStart= to exist: a copy of each service runs $CK instead
# of the installed path, which must be what configure's bindir made it.
units=$T/units
mkdir -p "$units"
for u in "${services[@]}"; do
	exec_start=$(sed -n 's/^ExecStart=//p' "$build/systemd/$u")
	bin=${exec_start%% *}
	case $bin in
	/*/certkeeper) ;;
	*) fail "$u: ExecStart= runs '$bin', not an absolute path to certkeeper (@bindir@ substituted?)" ;;
	esac
	sed "s|^ExecStart=$bin |ExecStart=$CK |" "$build/systemd/$u" >"$units/$u"
	grep -q "^ExecStart=$CK " "$units/$u" || fail "cannot point $u at $CK"
done
cp "$top/systemd/certkeeper.timer" "$units/"

# --- systemd-analyze verify ---------------------------------------------------
# It exits 0 even for an unknown key (a typo such as ProtectSytem=, which
# silently drops the protection), so any line naming our units fails too.
# systemd-analyze verify PATH...: exit 0 and no message about our units.
verify_clean() {
	local rc=0 msg

	(cd "$units" && systemd-analyze verify "$@") >"$T/verify.out" 2>&1 || rc=$?
	msg=$(cat "$T/verify.out")
	[ $rc -eq 0 ] || fail "systemd-analyze verify $* exited $rc: $msg"
	if grep -q 'certkeeper' "$T/verify.out"; then
		fail "systemd-analyze verify $* warned about our units: $msg"
	fi
	# Messages about other units (the host's) are shown, not judged.
	[ -z "$msg" ] || note "verify $* said (about other units): $msg"
}
verify_clean "${services[@]}" certkeeper.timer
note "systemd-analyze verify: ${services[*]} certkeeper.timer load cleanly"

# --- systemd-analyze security --------------------------------------------------
# exposure UNIT: the overall exposure level systemd-analyze gives UNIT (in $units).
exposure() {
	local out score

	out=$(cd "$units" && systemd-analyze security --offline=true "./$1" 2>&1) ||
		fail "systemd-analyze security --offline=true $1 failed: $out"
	score=$(printf '%s\n' "$out" |
		sed -n "s/^→ Overall exposure level for $1: \([0-9][0-9.]*\) .*/\1/p")
	[[ $score =~ ^[0-9]+(\.[0-9])?$ ]] ||
		fail "no overall exposure level for $1 in: $(printf '%s\n' "$out" | tail -n 3)"
	echo "$score"
}

# le A B: true when decimal A <= B.
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'
}

declare -A score
for u in "${services[@]}"; do
	score[$u]=$(exposure "$u")
	echo "exposure of $u: ${score[$u]} (at most $MAX_EXPOSURE)"
	le "${score[$u]}" "$MAX_EXPOSURE" || fail "$u rates ${score[$u]}, above $MAX_EXPOSURE"
done

# --- one sandbox for both services ----------------------------------------------
# sandbox UNIT: its settings from the "sandbox" marker on, comments dropped.
sandbox() {
	sed -n '/^# --- sandbox/,/^\[/p' "$units/$1" | grep -v -e '^#' -e '^\[' -e '^$' || true
}
one=$(sandbox certkeeper.service)
[ "$(printf '%s\n' "$one" | wc -l)" -ge 20 ] || fail "certkeeper.service: no sandbox block found"
two=$(sandbox certkeeper-agent.service)
[ "$one" = "$two" ] ||
	fail "the services' sandboxes differ: $(diff <(echo "$one") <(echo "$two") || true)"
note "both services carry the same $(printf '%s\n' "$one" | wc -l) sandbox settings"

# --- the timer and the agent are alternatives ----------------------------------
# has UNIT LINE: UNIT has a line matching the regular expression LINE.
has() {
	grep -q "$2" "$units/$1" || fail "$1 has no line $2"
}
has certkeeper-agent.service '^Conflicts=certkeeper.timer$'
has certkeeper-agent.service '^Type=notify$'
has certkeeper.service '^Type=oneshot$'
has certkeeper.timer '^Persistent=true$'
has certkeeper.timer '^RandomizedDelaySec='

# --- the README's drop-in for a device without a privileged responder ----------
# Taken from the README itself, so that what operators copy is what is tested.
dropin=$(awk '/^# \/etc\/systemd\/system\/certkeeper.service.d\/.*\.conf$/ { on = 1; next }
	on && /^```/ { exit } on { print }' "$top/README.md")
[ -n "$dropin" ] || fail "no drop-in under /etc/systemd/system/certkeeper.service.d/ in README.md"
mkdir -p "$units/certkeeper.service.d"
printf '%s\n' "$dropin" >"$units/certkeeper.service.d/no-privileged-port.conf"
verify_clean certkeeper.service
score_drop=$(exposure certkeeper.service)
out=$(cd "$units" && systemd-analyze security --offline=true ./certkeeper.service 2>&1)
assert_contains "$out" "✓ AmbientCapabilities=" "security with the drop-in"
assert_not_contains "$out" "✗ CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE" \
	"security with the drop-in"
echo "exposure of certkeeper.service with the README's drop-in: $score_drop"
le "$score_drop" "${score[certkeeper.service]}" ||
	fail "the drop-in raised the exposure from ${score[certkeeper.service]} to $score_drop"
note "the README's drop-in removes CAP_NET_BIND_SERVICE"
note "passed"
