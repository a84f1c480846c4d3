#!/bin/bash
# package.sh: the Debian package, end to end and offline.  Builds it
# (dpkg-buildpackage -us -uc -b in a copy of the tree), checks it with
# lintian (no error, no warning), installs it into a throwaway Debian 12
# root (a copy of the minbase root that tests/package-cache prepared, its
# dependencies from that root's apt cache: nothing is downloaded), and
# checks there: the files and their modes, the conffile, the system user and
# group certkeeper (in tss), the state directory 0750, the timer enabled and
# the agent not, `certkeeper --version`, `status` as the certkeeper user,
# and `systemd-analyze verify` of the installed units.  Then an upgrade to a
# higher version (the same package, version bumped) keeps an edited
# configuration and the state, a remove keeps the state and the user, and a
# purge removes both.  Root only (chroot).
# ck-test: once
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

cache=${CK_PKG_CACHE:-/var/cache/certkeeper-tests}
[ "$(id -u)" -eq 0 ] || fail "needs root (chroot, dpkg in the root)"
for t in dpkg-buildpackage dh lintian chroot systemd-analyze; do
	command -v "$t" >/dev/null || fail "$t not found (pebble/env.sh CK_DEB_PACKAGES)"
done
if [ ! -f "$cache/bookworm-root.stamp" ] || [ ! -x "$cache/bookworm-root/usr/bin/apt-get" ]; then
	fail "no prepared Debian 12 root in $cache: run tests/package-cache (tests/run does)"
fi

# --- build -------------------------------------------------------------------
src=$T/build/certkeeper
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -C "$src" -xf -
# The unit tests ran in tests/run already (make check); dh_autoreconf makes configure.
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b \
	>"$T/build.log" 2>&1) || { tail -n 40 "$T/build.log"; fail "dpkg-buildpackage failed"; }
arch=$(dpkg --print-architecture)
version=$(cd "$src" && dpkg-parsechangelog -S Version)
deb=$T/build/certkeeper_${version}_$arch.deb
[ -f "$deb" ] || fail "no $deb: $(ls "$T/build")"
note "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
for d in adduser procps libssl3 libcurl4 libjansson4 libinih1 libmicrohttpd12 libtss2-esys libtss2-mu0 \
	libtss2-rc0 libtss2-tctildr0 libsystemd0; do
	assert_contains "$depends" "$d" "Depends of the package"
done
assert_eq "etc/certkeeper/certkeeper.conf" "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | sed 's|^/||')" \
	"the package's conffiles"

# What the maintainer scripts do under a running systemd (the root below has
# none, so it is read from them): reload the units and (re)start the timer
# only; the agent restarted after an upgrade only if it runs; the services
# stopped on remove.
ctl=$T/ctl
dpkg-deb -e "$deb" "$ctl"
grep -q "systemctl --system daemon-reload" "$ctl/postinst" || fail "postinst does not reload the units"
grep -q "deb-systemd-invoke \$_dh_action 'certkeeper.timer'" "$ctl/postinst" ||
	fail "postinst does not start (or restart) certkeeper.timer"
grep -q "deb-systemd-helper enable 'certkeeper.timer'" "$ctl/postinst" || fail "postinst does not enable the timer"
# A service started on install (an action on it besides the try-restart), or
# enabled other than "if it was enabled before" (--no-enable's form):
if grep -E "deb-systemd-invoke (start|restart|[$]_dh_action) '?certkeeper(-agent)?[.]service" "$ctl/postinst"; then
	fail "postinst starts a service (only the timer is started)"
fi
for u in certkeeper-agent.service certkeeper.service; do
	if grep -q "deb-systemd-helper enable '$u'" "$ctl/postinst" &&
		! grep -q "deb-systemd-helper debian-installed '$u'" "$ctl/postinst"; then
		fail "postinst enables $u (only the timer is enabled)"
	fi
done
grep -q "try-restart certkeeper-agent.service" "$ctl/postinst" || fail "postinst does not try-restart the agent"
grep -q "stop certkeeper-agent.service certkeeper.service" "$ctl/prerm" || fail "prerm does not stop the services"
[ ! -e "$ctl/preinst" ] || ! grep -q "stop 'certkeeper-agent.service'" "$ctl/preinst" ||
	fail "preinst stops the agent on upgrade (and nothing starts it again)"

# --- lintian --------------------------------------------------------------------
lintian --fail-on error,warning "$T/build/certkeeper_${version}_$arch.changes" >"$T/lintian.out" 2>&1 ||
	{ cat "$T/lintian.out"; fail "lintian reports errors or warnings"; }
note "lintian: no error, no warning"

# --- a throwaway Debian 12 root ----------------------------------------------
R=$T/root
cp -a "$cache/bookworm-root" "$R"
cp "$deb" "$R/tmp/"
# Everything from the root's cache: apt may not fetch, and would find no
# proxy if it tried.
in_root() {
	chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}
apt_offline=(apt-get -q -y --no-download --no-install-recommends -o Dpkg::Use-Pty=0
	-o Acquire::http::Proxy=http://127.0.0.1:9 -o Acquire::https::Proxy=http://127.0.0.1:9)
! in_root getent passwd certkeeper >/dev/null || fail "the fresh root already has a certkeeper user"
# The package's dependencies by name (apt, from the cache), then the
# package itself (dpkg -i, which checks their versions).
deps=$(echo "$depends" | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v '^$')
# shellcheck disable=SC2086 # one word per package
in_root "${apt_offline[@]}" install $deps >"$T/deps.log" 2>&1 ||
	{ tail -n 30 "$T/deps.log"; fail "installing the dependencies (${deps//$'\n'/ }) from the root's cache failed (one missing from tests/package-cache?)"; }
in_root dpkg -i "/tmp/$(basename "$deb")" >"$T/install.log" 2>&1 ||
	{ tail -n 30 "$T/install.log"; fail "dpkg -i of the package in the Debian 12 root failed"; }
note "installed into a Debian 12 root, offline"

# --- files, modes, user ---------------------------------------------------------
# mode_of PATH: "MODE OWNER:GROUP" inside the root.
mode_of() {
	in_root stat -c '%a %U:%G' "$1"
}
assert_eq "755 root:root" "$(mode_of /usr/sbin/certkeeper)" "/usr/sbin/certkeeper"
assert_eq "640 root:certkeeper" "$(mode_of /etc/certkeeper/certkeeper.conf)" "the configuration"
assert_eq "750 certkeeper:certkeeper" "$(mode_of /var/lib/certkeeper)" "the state directory"
for u in certkeeper.service certkeeper-agent.service certkeeper.timer; do
	assert_eq "644 root:root" "$(mode_of "/lib/systemd/system/$u")" "$u"
done
for h in dns01-nsupdate dns01-challtestsrv; do
	assert_eq "755 root:root" "$(mode_of "/usr/libexec/certkeeper/hooks/$h")" "hook $h"
done
for f in /usr/share/man/man8/certkeeper.8.gz /usr/share/man/man5/certkeeper.conf.5.gz \
	/usr/share/doc/certkeeper/prometheus/certkeeper-alerts.yml /usr/share/doc/certkeeper/copyright; do
	in_root test -f "$f" || fail "the package did not install $f"
done
grep -q "^ExecStart=/usr/sbin/certkeeper renew$" "$R/lib/systemd/system/certkeeper.service" ||
	fail "certkeeper.service does not run /usr/sbin/certkeeper renew"
pw=$(in_root getent passwd certkeeper) || fail "no user certkeeper"
assert_contains "$pw" ":/var/lib/certkeeper:/usr/sbin/nologin" "the certkeeper user"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "certkeeper is not a system user (uid $uid)"
groups=$(in_root id -nG certkeeper)
assert_contains " $groups " " certkeeper " "groups of certkeeper"
assert_contains " $groups " " tss " "groups of certkeeper (tss, for /dev/tpmrm0)"
[ -L "$R/etc/systemd/system/timers.target.wants/certkeeper.timer" ] ||
	fail "certkeeper.timer is not enabled"
[ ! -e "$R/etc/systemd/system/multi-user.target.wants/certkeeper-agent.service" ] ||
	fail "certkeeper-agent.service is enabled (it conflicts with the timer)"
note "files and modes, user certkeeper in tss, timer enabled, agent not"

# --- it runs ----------------------------------------------------------------------
out=$(in_root /usr/sbin/certkeeper --version) || fail "certkeeper --version failed in the root"
assert_eq "certkeeper ${version%%-*}" "${out%%$'\n'*}" "certkeeper --version"
# Built --with-libsystemd (debian/rules): notifications and journal entries.
assert_eq "with libsystemd (notifications, watchdog, journal)" "${out#*$'\n'}" \
	"certkeeper --version, second line"
# The shipped configuration loads, as the service's user, and status reads
# the (empty) state: nothing contacts the CA.
in_root runuser -u certkeeper -- /usr/sbin/certkeeper status >"$T/status.out" 2>&1 ||
	{ cat "$T/status.out"; fail "certkeeper status as user certkeeper failed in the root"; }
in_root man -w certkeeper.conf >/dev/null 2>&1 || [ -f "$R/usr/share/man/man5/certkeeper.conf.5.gz" ] ||
	fail "no certkeeper.conf(5)"

# systemd-analyze verify on the installed units, with the root's files
# (ExecStart= and ExecReload='s /bin/kill must exist there) and the root's
# systemd units (sysinit.target...): systemd comes from the root's cache.
in_root "${apt_offline[@]}" install systemd >"$T/systemd.log" 2>&1 ||
	{ tail -n 30 "$T/systemd.log"; fail "installing systemd into the root (for verify) failed"; }
(cd "$R/lib/systemd/system" && systemd-analyze verify --root="$R" \
	certkeeper.service certkeeper-agent.service certkeeper.timer) >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out"; fail "systemd-analyze verify of the installed units failed"; }
if grep -q certkeeper "$T/verify.out"; then
	cat "$T/verify.out"
	fail "systemd-analyze verify warned about the installed units"
fi
note "certkeeper --version, status as certkeeper, systemd-analyze verify: fine"

# --- upgrade ---------------------------------------------------------------------
# The same package as a higher version: preinst/postinst run their upgrade paths.
echo "; edited by the operator" >>"$R/etc/certkeeper/certkeeper.conf"
mkdir -p "$R/var/lib/certkeeper/certs/device"
echo keep >"$R/var/lib/certkeeper/certs/device/marker"
up=$T/up
dpkg-deb -R "$deb" "$up"
sed -i "s/^Version: .*/Version: ${version}+up1/" "$up/DEBIAN/control"
dpkg-deb -b --root-owner-group "$up" "$R/tmp/certkeeper-up.deb" >/dev/null
in_root dpkg -i --force-confold /tmp/certkeeper-up.deb >"$T/upgrade.log" 2>&1 ||
	{ tail -n 30 "$T/upgrade.log"; fail "upgrade failed"; }
# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
assert_eq "${version}+up1" "$(in_root dpkg-query -W -f='${Version}' certkeeper)" "version after the upgrade"
assert_contains "$(cat "$R/etc/certkeeper/certkeeper.conf")" "; edited by the operator" \
	"the configuration after the upgrade"
assert_eq keep "$(cat "$R/var/lib/certkeeper/certs/device/marker")" "the state after the upgrade"
assert_eq "640 root:certkeeper" "$(mode_of /etc/certkeeper/certkeeper.conf)" "the configuration after the upgrade"
[ -L "$R/etc/systemd/system/timers.target.wants/certkeeper.timer" ] ||
	fail "certkeeper.timer is no longer enabled after the upgrade"
note "upgraded to ${version}+up1: configuration and state kept"

# --- remove, then purge ---------------------------------------------------------
in_root dpkg --remove certkeeper >"$T/remove.log" 2>&1 || { cat "$T/remove.log"; fail "dpkg --remove failed"; }
[ ! -e "$R/usr/sbin/certkeeper" ] || fail "remove left /usr/sbin/certkeeper"
assert_eq keep "$(cat "$R/var/lib/certkeeper/certs/device/marker")" "the state after remove"
in_root getent passwd certkeeper >/dev/null || fail "remove deleted the user certkeeper"
[ -f "$R/etc/certkeeper/certkeeper.conf" ] || fail "remove deleted the configuration (a conffile)"
note "removed: state, user and configuration kept"

in_root dpkg --purge certkeeper >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg --purge failed"; }
[ ! -e "$R/var/lib/certkeeper" ] || fail "purge left /var/lib/certkeeper"
! in_root getent passwd certkeeper >/dev/null || fail "purge left the user certkeeper"
! in_root getent group certkeeper >/dev/null || fail "purge left the group certkeeper"
[ ! -e "$R/etc/certkeeper/certkeeper.conf" ] || fail "purge left the configuration"
[ ! -e "$R/etc/systemd/system/timers.target.wants/certkeeper.timer" ] || fail "purge left the timer enabled"
in_root getent group tss >/dev/null || fail "purge removed the group tss (not ours)"
note "purged: state, user, group, configuration and unit links gone"
note "passed"
