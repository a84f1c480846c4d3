#!/bin/bash
# install.sh: `make install` of the tree's build (DESTDIR) puts the binary
# in sbindir, the units in the configured unit directory naming that
# binary, the hooks executable in pkglibexecdir, the alert rules in docdir,
# both man pages, and the example configuration; a second install keeps an
# edited configuration, and `make uninstall` removes everything but it.
# ck-test: once
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -f "$top/Makefile" ] || fail "the tree is not configured (tests/run builds it)"
d=$T/dest
mk() {
	make -s -C "$top" "$@" DESTDIR="$d" >"$T/make.out" 2>&1 || { cat "$T/make.out"; fail "make $* failed"; }
}
var() {
	sed -n "s|^$1 = ||p" "$top/Makefile"
}
mk install
prefix=$(var prefix)
sbindir=${prefix}/sbin
unitdir=$(var systemdsystemunitdir)
unitdir=${unitdir//\$\{prefix\}/$prefix}
unitdir=${unitdir//\$(prefix)/$prefix}
sysconf=$(var sysconfdir)
sysconf=${sysconf//\$\{prefix\}/$prefix}
[ -x "$d$sbindir/certkeeper" ] || fail "no $sbindir/certkeeper"
[ ! -e "$d$prefix/bin/certkeeper" ] || fail "certkeeper also installed in bindir"
for u in certkeeper.service certkeeper-agent.service certkeeper.timer; do
	assert_file "$d$unitdir/$u"
done
grep -q "^ExecStart=$sbindir/certkeeper renew\$" "$d$unitdir/certkeeper.service" ||
	fail "certkeeper.service does not run $sbindir/certkeeper: $(grep ExecStart "$d$unitdir/certkeeper.service")"
grep -q "^ExecStart=$sbindir/certkeeper run\$" "$d$unitdir/certkeeper-agent.service" ||
	fail "certkeeper-agent.service does not run $sbindir/certkeeper"
for h in dns01-nsupdate dns01-challtestsrv; do
	[ -x "$d$prefix/libexec/certkeeper/hooks/$h" ] || fail "hook $h not installed executable"
done
assert_file "$d$prefix/share/doc/certkeeper/prometheus/certkeeper-alerts.yml"
assert_file "$d$prefix/share/man/man8/certkeeper.8"
assert_file "$d$prefix/share/man/man5/certkeeper.conf.5"
conf=$d$sysconf/certkeeper/certkeeper.conf
cmp -s "$top/conf/certkeeper.conf" "$conf" || fail "the example configuration is not installed as $sysconf/certkeeper/certkeeper.conf"
note "installed: sbindir, units, hooks, rules, man pages, configuration"

echo "; edited by the operator" >>"$conf"
mk install
assert_contains "$(tail -n 1 "$conf")" "; edited by the operator" "the configuration after a second make install"
mk uninstall
left=$(find "$d" -type f | sed "s|^$d||")
assert_eq "$sysconf/certkeeper/certkeeper.conf" "$left" "what make uninstall leaves"
note "a second install kept the edited configuration; uninstall left only it"
note "passed"
