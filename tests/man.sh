#!/bin/bash
# tests/man.sh (make check): the man pages are clean mdoc (`mandoc -T lint`
# and `groff -ww` print nothing), and certkeeper(8) documents every command
# (its leading lower-case words: "revoke NAME" is "revoke") and every option
# that `certkeeper --help` lists, so that a command added
# to src/cli/main.c without its entry fails here.  (The keys of
# certkeeper.conf(5) are checked against the tables by tests/unit/test_manpage.)
set -euo pipefail

src=${top_srcdir:-.}
bin=${top_builddir:-.}/certkeeper
pages=("$src/man/certkeeper.8" "$src/man/certkeeper.conf.5")
failures=0

fail() {
	echo "FAIL: man.sh: $*" >&2
	failures=$((failures + 1))
}

command -v mandoc >/dev/null || { echo "man.sh: mandoc not found (Debian package mandoc)" >&2; exit 1; }
command -v groff >/dev/null || { echo "man.sh: groff not found (Debian package groff-base)" >&2; exit 1; }
[ -x "$bin" ] || { echo "man.sh: $bin is not built" >&2; exit 1; }

for page in "${pages[@]}"; do
	# Warnings and errors only: STYLE notes about pages not installed here are not judged.
	out=$(mandoc -T lint -W warning "$page" 2>&1) || fail "mandoc -T lint $page: $out"
	[ -z "$out" ] || fail "mandoc -T lint $page: $out"
	out=$(groff -ww -mandoc -z "$page" 2>&1) || fail "groff -ww $page: $out"
	[ -z "$out" ] || fail "groff -ww $page: $out"
done

# CK_EXEC runs a cross-built binary (tests/cross-arm64: qemu-aarch64-static).
help=$(${CK_EXEC:-} "$bin" --help)
# Commands: the words before the first "[" or two blanks, under "Commands:".
commands=$(printf '%s\n' "$help" | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
	on && /^  [a-z]/ { print }' | sed -E 's/^  //; s/ *\[.*//; s/  .*//' |
	awk '{ c = ""; for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++) c = c (c == "" ? "" : " ") $i; print c }')
[ -n "$commands" ] || fail "no commands found in certkeeper --help"
while IFS= read -r cmd; do
	[ -n "$cmd" ] || continue
	grep -Eq "^\.It Cm $cmd( |\$)" "$src/man/certkeeper.8" ||
		fail "certkeeper.8 has no \".It Cm $cmd\" (a command of certkeeper --help)"
done <<<"$commands"
# Options: each -x and --long of the lines under "Options:".
options=$(printf '%s\n' "$help" | awk '/^Options:/ { on = 1; next } on && /^$/ { exit }
	on && /^  -/ { print }' | grep -Eo -- '--?[a-zA-Z][a-zA-Z-]*')
[ -n "$options" ] || fail "no options found in certkeeper --help"
for opt in $options; do
	case $opt in
	--*) grep -Eq "Fl \\\\-${opt#--}( |\$)" "$src/man/certkeeper.8" ||
		fail "certkeeper.8 lacks \"Fl \\-${opt#--}\" (an option of certkeeper --help)" ;;
	-*) grep -Eq "^\.It Fl ${opt#-}( |\$)" "$src/man/certkeeper.8" ||
		fail "certkeeper.8 has no \".It Fl ${opt#-}\" (an option of certkeeper --help)" ;;
	esac
done
n=$(printf '%s\n' "$commands" | wc -l)
echo "man.sh: both pages lint clean; $n commands and $(echo "$options" | wc -w) option spellings of --help documented"
[ $failures -eq 0 ]
