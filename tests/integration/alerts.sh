#!/bin/bash
# alerts.sh: the Prometheus alert rules (conf/prometheus/certkeeper-alerts.yml)
# pass `promtool check rules` with every lint fatal, and their tests
# (tests/prometheus/certkeeper-alerts.test.yml: 6-day, 90-day and 60-second
# certificates, healthy and failing; a stale and an absent metrics file)
# pass `promtool test rules`, as a whole and group by group (each group's
# result is printed).  A day-based "fewer than 14 days left" rule put in
# place of CertkeeperCertificateExpiringSoon must fail those tests (the
# healthy 6-day certificate at 2 days left).  Needs promtool (Debian
# package prometheus), no Pebble.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

rules=$top/conf/prometheus/certkeeper-alerts.yml
tests=$top/tests/prometheus/certkeeper-alerts.test.yml
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
[ -f "$rules" ] || fail "$rules is missing"
[ -f "$tests" ] || fail "$tests is missing"

# --- promtool check rules -----------------------------------------------------
promtool check rules --lint=all --lint-fatal "$rules" >"$T/check.out" 2>&1 ||
	{ cat "$T/check.out" >&2; fail "promtool check rules failed"; }
grep -q 'SUCCESS: 8 rules found' "$T/check.out" ||
	{ cat "$T/check.out" >&2; fail "promtool check rules: expected 8 rules"; }
note "PASS: promtool check rules (8 rules, lint clean)"

# --- promtool test rules: the whole file ----------------------------------------
promtool test rules "$tests" >"$T/test.out" 2>&1 ||
	{ cat "$T/test.out" >&2; fail "promtool test rules failed"; }
note "PASS: promtool test rules $(basename "$tests")"

# --- group by group, to name what passed ----------------------------------------
# Split the test file at each "  - name:" under tests:, each piece with the
# file's header and rule_files pointing at the rules by absolute path.
split=$T/split
mkdir -p "$split"
awk -v dir="$split" -v rules="$rules" '
	/^  - name: / { n++; out = sprintf("%s/%02d.yml", dir, n); printf "%s", head > out; name[n] = substr($0, 11) }
	n == 0 {
		if ($0 ~ /^  - \.\.\/\.\.\/conf\//) $0 = "  - " rules
		head = head $0 "\n"
		next
	}
	{ print > out }
	END { for (i = 1; i <= n; i++) print name[i] > (dir "/names") }
' "$tests"
[ -s "$split/names" ] || fail "no test groups found in $tests"
i=0
while IFS= read -r group; do
	i=$((i + 1))
	piece=$(printf '%s/%02d.yml' "$split" "$i")
	promtool test rules "$piece" >"$T/piece.out" 2>&1 ||
		{ cat "$T/piece.out" >&2; fail "test group '$group' failed"; }
	cases=$(grep -c '^      - eval_time:' "$piece") || true
	note "PASS: $group ($cases alert checks)"
done <"$split/names"
[ "$i" -ge 4 ] || fail "expected at least 4 test groups, found $i"

# --- the tests catch a day-based rule ---------------------------------------------
# The same rules with ExpiringSoon as "fewer than 14 days left": the tests
# must fail, naming the healthy 6-day certificate.
mkdir -p "$T/mutant/conf/prometheus" "$T/mutant/tests/prometheus"
awk '
	/alert: CertkeeperCertificateExpiringSoon/ { in_rule = 1 }
	in_rule && /^        expr: \|/ {
		print "        expr: certkeeper_certificate_not_after_timestamp_seconds - time() < 14 * 86400"
		skip = 1; next
	}
	skip && /^        for:/ { skip = 0; in_rule = 0 }
	skip { next }
	{ print }
' "$rules" >"$T/mutant/conf/prometheus/certkeeper-alerts.yml"
grep -q '< 14 \* 86400' "$T/mutant/conf/prometheus/certkeeper-alerts.yml" ||
	fail "could not write the day-based variant of the rules"
cp "$tests" "$T/mutant/tests/prometheus/"
promtool check rules "$T/mutant/conf/prometheus/certkeeper-alerts.yml" >/dev/null 2>&1 ||
	fail "the day-based variant of the rules does not even load"
if promtool test rules "$T/mutant/tests/prometheus/certkeeper-alerts.test.yml" >"$T/mutant.out" 2>&1; then
	fail "a \"fewer than 14 days\" ExpiringSoon rule passes the tests"
fi
grep -q 'hub6-2d' "$T/mutant.out" ||
	{ cat "$T/mutant.out" >&2; fail "the day-based rule failed the tests, but not for hub6-2d"; }
note "PASS: a \"fewer than 14 days\" ExpiringSoon rule fails the tests (hub6-2d fires)"

note "passed"
