#!/bin/sh
# upstream-inih.sh: the configuration loader built against an upstream
# libinih, which has no run-time ini_max_line (only the compile-time
# INI_MAX_LINE, and optionally INI_ALLOW_REALLOC), as Buildroot and Yocto
# ship it.  Proves that src/config/ builds there and that:
#   - the default build (200-byte stack buffer) loads every file whose lines
#     fit, gives every bad file its exact message, and refuses a longer line
#     with "line longer than 197 characters (this libinih build's line limit)";
#   - a heap build that grows its buffer (INI_ALLOW_REALLOC, INI_MAX_LINE
#     8192) behaves exactly as on Debian: lines up to 4096 characters;
#   - a heap build without growth honours its smaller buffer.
#
# Needs INIH_SRC, a directory with upstream's ini.c and ini.h (a libinih
# release or checkout; Debian's source package after "quilt pop -a").  Run
# from "make check", which passes the compiler and flags; without INIH_SRC it
# skips (exit 77).  It downloads nothing.
set -eu

if [ -z "${INIH_SRC:-}" ] || [ ! -f "$INIH_SRC/ini.c" ] || [ ! -f "$INIH_SRC/ini.h" ]; then
	echo "SKIP: set INIH_SRC to a directory with upstream libinih's ini.c and ini.h"
	exit 77
fi
if grep -q 'ini_max_line' "$INIH_SRC/ini.h"; then
	echo "FAIL: $INIH_SRC/ini.h declares ini_max_line: that is Debian's patched libinih, not upstream's"
	exit 1
fi
: "${top_srcdir:=.}" "${top_builddir:=.}" "${CC:=cc}"
data=$top_srcdir/tests/unit/data/config
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ck-upstream-inih.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

# build NAME CPPFLAGS...: the loader and upstream's ini.c, with those libinih
# settings, linked with the rest of libcertkeeper.a (whose own config objects
# are not pulled in: these define every symbol they do).
build() {
	name=$1
	shift
	mkdir -p "$tmp/$name"
	for src in src/config/config.c src/config/keys.c tests/upstream-inih.c; do
		# shellcheck disable=SC2086 # flag lists
		$CC $CK_UPSTREAM_CFLAGS -DHAVE_DECL_INI_MAX_LINE=0 "$@" -I"$INIH_SRC" \
		    -I"$top_srcdir/include" -c "$top_srcdir/$src" \
		    -o "$tmp/$name/$(basename "$src" .c).o"
	done
	# upstream's own code, not held to our warnings
	$CC -O2 "$@" -I"$INIH_SRC" -c "$INIH_SRC/ini.c" -o "$tmp/$name/ini.o"
	# shellcheck disable=SC2086
	$CC $CK_UPSTREAM_LDFLAGS -o "$tmp/$name/load" "$tmp/$name"/*.o \
	    "$top_builddir/libcertkeeper.a" $CK_UPSTREAM_LIBS
}

# expect NAME FILE MESSAGE: the NAME build loads FILE with MESSAGE ("ok",
# or the error with @FILE@ for the path).
expect() {
	want=$(printf '%s\n' "$3" | sed "s|@FILE@|$2|g")
	got=$("$tmp/$1/load" "$2" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		printf '%s: %s\n  expected: %s\n  got:      %s\n' "$1" "$2" "$want" "$got"
		failures=$((failures + 1))
	fi
}

# first_longer FILE LIMIT: number of the first line longer than LIMIT after
# its leading blanks, or nothing.
first_longer() {
	awk -v max="$2" '{ sub(/^[ \t]+/, ""); if (length($0) > max) { print NR; exit } }' "$1"
}

# suite NAME LIMIT: every good and bad data file, and the example, on the
# NAME build whose longest line is LIMIT characters.
suite() {
	for f in "$data"/good-*.conf "$top_srcdir/conf/certkeeper.conf"; do
		long=$(first_longer "$f" "$2")
		if [ -n "$long" ] && [ "$2" -lt 4096 ]; then
			expect "$1" "$f" "@FILE@:$long: line longer than $2 characters (this libinih build's line limit)"
		else
			expect "$1" "$f" ok
		fi
	done
	for f in "$data"/bad-*.conf; do
		long=$(first_longer "$f" "$2")
		if [ -n "$long" ] && [ "$2" -lt 4096 ] &&
		    [ "$long" -le "$(sed 's/^@FILE@:\([0-9]*\):.*/\1/;t;s/.*/999999/' "$f.expected")" ]; then
			expect "$1" "$f" "@FILE@:$long: line longer than $2 characters (this libinih build's line limit)"
		else
			expect "$1" "$f" "$(cat "$f.expected")"
		fi
	done
}

# contact_conf N: a file whose line 3 is "contact = mailto:a...a", N characters.
contact_conf() {
	{
		printf '[acme]\ndirectory = https://localhost:14000/dir\ncontact = mailto:'
		awk -v n=$(($1 - 17)) 'BEGIN { while (n-- > 0) printf "a"; print "" }'
		printf '[cert:x]\ndomains = x.example.com\n'
	} >"$tmp/contact-$1.conf"
	echo "$tmp/contact-$1.conf"
}

# line_edge NAME LIMIT MESSAGE: a line of exactly LIMIT characters loads, one
# more is refused with MESSAGE.
line_edge() {
	expect "$1" "$(contact_conf "$2")" ok
	expect "$1" "$(contact_conf $(($2 + 1)))" "$3"
}

build stack
suite stack 197
line_edge stack 197 "@FILE@:3: line longer than 197 characters (this libinih build's line limit)"

build realloc -DINI_USE_STACK=0 -DINI_ALLOW_REALLOC=1 -DINI_MAX_LINE=8192
suite realloc 4096
line_edge realloc 4096 "@FILE@:3: line longer than 4096 characters"
# Lines that fill the buffer exactly at each size it grows through (200,
# 400, ...): libinih must see where they end, or it glues the next line on.
for n in 198 199 200 399 799 1599 3199; do
	expect realloc "$(contact_conf $n)" ok
done

build heap -DINI_USE_STACK=0 -DINI_INITIAL_ALLOC=100
line_edge heap 97 "@FILE@:3: line longer than 97 characters (this libinih build's line limit)"
expect heap "$data/good-minimal.conf" ok

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures file(s) loaded differently against upstream libinih ($INIH_SRC)"
	exit 1
fi
echo "PASS: the loader against upstream libinih ($INIH_SRC): stack, realloc and heap builds"
