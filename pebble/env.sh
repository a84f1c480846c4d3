# shellcheck shell=bash
#
# pebble/env.sh: shell functions that start a private ACME test CA (Pebble
# with pebble-challtestsrv as its DNS), a software TPM (swtpm) and, when
# wanted, a TPM resource manager (tpm2-abrmd on a private D-Bus), all on
# free loopback ports, and stop them again.  Sourced by pebble/demo,
# tests/run and tests/lib.sh; the caller sets `set -euo pipefail` and
# `trap ck_stop_all EXIT`.
#
# The ck_start_* functions record the processes they start in CK_PIDS, so
# they must run in the calling shell itself, never in $(...) or a pipeline.

CK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CK_PIDS=()
# Ports handed out but perhaps not bound yet (Pebble's httpPort is only
# bound by certkeeper later): ck_free_port never hands them out again.
CK_PORTS_TAKEN=""

# Debian 12 packages the build, the unit tests and the integration tests need.
# jq reads JSON in the tests; python3 finds free ports; libtss2-tcti-tabrmd0
# (not pulled in by tpm2-abrmd) is the client side of the "tabrmd" TCTI;
# strace injects crashes and write errors in tests/integration/crash.sh;
# systemd brings systemd-analyze (verify, security, syscall-filter) for the
# units tests, which need no running systemd; libseccomp-dev (test-only: the
# agent never links it) builds tests/seccomp-exec for sandbox.sh; prometheus
# brings promtool, which checks the metrics file in metrics.sh, and
# prometheus-node-exporter reads it there as its textfile collector does on
# a device; prometheus-pushgateway receives the pushed metrics in push.sh.
# mandoc and groff lint the man pages (tests/man.sh, make check);
# debhelper, dpkg-dev and lintian build and check the Debian package, and
# debootstrap makes the Debian 12 root it is installed into (package.sh);
# time (GNU time) measures peak RSS in tests/cross-arm64; cppcheck and
# clang-tidy run in tests/lint.sh, valgrind in valgrind.sh.
CK_DEB_PACKAGES=(build-essential autoconf automake libtool pkg-config libssl-dev
	libcurl4-openssl-dev libjansson-dev libinih-dev libmicrohttpd-dev libtss2-dev
	libcmocka-dev pebble swtpm swtpm-tools tpm2-tools tpm2-openssl tpm2-abrmd
	libtss2-tcti-tabrmd0 dbus openssl curl python3 jq ca-certificates strace libsystemd-dev
	systemd libseccomp-dev prometheus prometheus-node-exporter prometheus-pushgateway
	mandoc groff-base debhelper dpkg-dev lintian debootstrap time
	cppcheck clang-tidy valgrind clang libclang-rt-14-dev)

# How long (seconds) a started service may take to answer.
CK_START_TIMEOUT=${CK_START_TIMEOUT:-30}

# Everything here talks to loopback only: a proxy from the environment must
# never see (or carry elsewhere) a request of certkeeper, curl or openssl.
export no_proxy='*' NO_PROXY='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

_ck_say() {
	echo "ck: $*" >&2
}

# True when package P (NAME, or NAME:ARCH) is installed: for a bare NAME, in
# the native architecture or as Architecture: all (with arm64 added for
# tests/cross-arm64, a bare NAME may also match its :arm64 twin).
_ck_deb_installed() {
	local p=$1 native

	case $p in
	*:*) [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ;;
	*)
		native=$(dpkg --print-architecture)
		# shellcheck disable=SC2016 # a dpkg-query format
		dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$p" 2>/dev/null |
			grep -Eqx "($native|all) installed"
		;;
	esac
}

# Installs the packages of CK_DEB_PACKAGES that are missing (apt-get, as
# root); a prepared machine is left alone and apt is not touched.
ck_install_deps() {
	local p missing=()

	for p in "${CK_DEB_PACKAGES[@]}"; do
		_ck_deb_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		_ck_say "missing Debian packages: ${missing[*]}"
		_ck_say "run as root, or: apt-get install ${missing[*]}"
		return 1
	fi
	_ck_say "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Prepares, once per machine (the network part of package.sh: debootstrap
# and the package's dependencies), the cached Debian 12 root that
# tests/integration/package.sh installs the package into, offline.
ck_prepare_package_cache() {
	"$CK_TOP/tests/package-cache"
}

# What tests/cross-arm64 needs: the arm64 cross toolchain, qemu-user-static
# and the :arm64 -dev packages.  These must have the versions of their amd64
# twins (Multi-Arch: same), so installing them may first upgrade amd64
# libraries (libssl3, zlib1g, ...) to the current point release.
CK_CROSS_PACKAGES=(crossbuild-essential-arm64 qemu-user-static pkgconf:arm64 libssl-dev:arm64
	libcurl4-openssl-dev:arm64 libjansson-dev:arm64 libinih-dev:arm64 libmicrohttpd-dev:arm64
	libtss2-dev:arm64 libcmocka-dev:arm64 libsystemd-dev:arm64)

# Adds the arm64 architecture and installs the missing CK_CROSS_PACKAGES
# (apt-get, as root); a prepared machine is left alone.
ck_install_cross_deps() {
	local p missing=()

	for p in "${CK_CROSS_PACKAGES[@]}"; do
		_ck_deb_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		_ck_say "missing packages for the arm64 cross-build (run as root): ${missing[*]}"
		return 1
	fi
	dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	_ck_say "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# True when every port given can be bound on 127.0.0.1 for TCP and UDP.
_ck_ports_bindable() {
	python3 - "$@" <<'PY'
import socket, sys
for port in map(int, sys.argv[1:]):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(1)
        finally:
            s.close()
PY
}

# True when port was handed out already, in CK_PORTS_TAKEN or in the arguments after it.
_ck_port_taken() {
	local port=$1 p
	shift
	for p in $CK_PORTS_TAKEN "$@"; do
		[ "$p" = "$port" ] && return 0
	done
	return 1
}

# Prints a free TCP (and UDP) port on 127.0.0.1 that is neither in
# CK_PORTS_TAKEN nor among the arguments.  Ports come from 20000-31999,
# below Linux's ephemeral range, so outgoing connections never take them
# between this check and the bind.  The caller adds the port to
# CK_PORTS_TAKEN if it is not bound at once.
ck_free_port() {
	local i port

	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		_ck_port_taken "$port" "$@" && continue
		_ck_ports_bindable "$port" && { echo "$port"; return 0; }
	done
	_ck_say "ck_free_port: no free port found in 200 tries"
	return 1
}

# Prints an even port P such that P and P+1 are both free (swtpm: the swtpm
# TCTI always uses P+1 as the control port), avoiding the ports given.
# shellcheck disable=SC2120 # the arguments are optional
ck_free_even_port_pair() {
	local i port

	for ((i = 0; i < 200; i++)); do
		port=$((20000 + 2 * (RANDOM % 6000)))
		_ck_port_taken "$port" "$@" && continue
		_ck_port_taken $((port + 1)) "$@" && continue
		_ck_ports_bindable "$port" $((port + 1)) && { echo "$port"; return 0; }
	done
	_ck_say "ck_free_even_port_pair: no free pair found in 200 tries"
	return 1
}

# Starts "$@" in the background with stdout and stderr in LOG and records
# its PID in CK_PIDS and CK_LAST_PID.  Usage: _ck_spawn LOG CMD [ARG...]
_ck_spawn() {
	local log=$1
	shift
	"$@" >>"$log" 2>&1 </dev/null &
	CK_LAST_PID=$!
	CK_PIDS+=("$CK_LAST_PID")
}

# True while PID is running (a zombie counts as gone).
_ck_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# Polls CMD every 0.2 s until it succeeds.  Fails, showing the tail of LOG,
# when PID exits first or TIMEOUT seconds pass.
# Usage: _ck_wait_for WHAT PID LOG TIMEOUT CMD [ARG...]
_ck_wait_for() {
	local what=$1 pid=$2 log=$3 timeout=$4 i
	shift 4

	for ((i = 0; i < timeout * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		if ! _ck_alive "$pid"; then
			_ck_say "$what exited before it answered; last lines of $log:"
			tail -n 40 "$log" >&2 || true
			return 1
		fi
		sleep 0.2
	done
	_ck_say "$what did not answer within ${timeout}s; last lines of $log:"
	tail -n 40 "$log" >&2 || true
	return 1
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
ck_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until PID (started with _ck_spawn) accepts connections on PORT.
# Usage: ck_wait_port WHAT PID LOG PORT
ck_wait_port() {
	_ck_wait_for "$1" "$2" "$3" "$CK_START_TIMEOUT" ck_port_open "$4"
}

# Starts pebble-challtestsrv (DNS only: every name resolves to 127.0.0.1)
# and Pebble using it, with a fresh listener certificate from pebble/mkcert,
# all in DIR.  Exports CK_ACME_DIR, CK_CA_BUNDLE, CK_PEBBLE_MGMT,
# CK_HTTP_PORT (where Pebble validates http-01: certkeeper listens there),
# CK_TLS_PORT, CK_DNS_PORT, CK_CTS_MGMT (challtestsrv management, for
# /set-txt), CK_PEBBLE_DIR and CK_PEBBLE_PID (to stop Pebble alone).
# Honours CK_CERT_VALIDITY (seconds),
# PEBBLE_WFE_NONCEREJECT and PEBBLE_AUTHZREUSE (percent), PEBBLE_ALTERNATE_ROOTS and
# PEBBLE_CHAIN_LENGTH, PEBBLE_VA_ALWAYS_VALID (bench/) from the caller,
# and CK_PEBBLE_EAB="KID:KEY" (KEY base64url): Pebble then requires external account binding and knows
# that one MAC key.
# _ck_launch_pebble DIR DNSPORT LISTENPORT: starts Pebble on DIR's config and
# waits for its directory; sets CK_PEBBLE_PID.
_ck_launch_pebble() {
	local dir=$1 dns=$2 listen=$3 pid env_args=(PEBBLE_VA_NOSLEEP=1)

	if [ -n "${PEBBLE_WFE_NONCEREJECT:-}" ]; then
		env_args+=("PEBBLE_WFE_NONCEREJECT=$PEBBLE_WFE_NONCEREJECT")
	fi
	if [ -n "${PEBBLE_AUTHZREUSE:-}" ]; then
		env_args+=("PEBBLE_AUTHZREUSE=$PEBBLE_AUTHZREUSE")
	fi
	# Alternate chains (Link: rel="alternate") and their length, when asked for.
	if [ -n "${PEBBLE_ALTERNATE_ROOTS:-}" ]; then
		env_args+=("PEBBLE_ALTERNATE_ROOTS=$PEBBLE_ALTERNATE_ROOTS")
	fi
	if [ -n "${PEBBLE_CHAIN_LENGTH:-}" ]; then
		env_args+=("PEBBLE_CHAIN_LENGTH=$PEBBLE_CHAIN_LENGTH")
	fi
	# No validation at all (bench/: the solvers' cost stays out of the figures).
	if [ -n "${PEBBLE_VA_ALWAYS_VALID:-}" ]; then
		env_args+=("PEBBLE_VA_ALWAYS_VALID=$PEBBLE_VA_ALWAYS_VALID")
	fi
	_ck_spawn "$dir/pebble.log" env "${env_args[@]}" \
		pebble -config "$dir/pebble-config.json" -dnsserver "127.0.0.1:$dns"
	pid=$CK_LAST_PID
	_ck_wait_for "Pebble (https://localhost:$listen/dir)" "$pid" "$dir/pebble.log" \
		"$CK_START_TIMEOUT" curl -fsS -o /dev/null --max-time 2 --cacert "$dir/ca.pem" \
		"https://localhost:$listen/dir" || return 1
	export CK_PEBBLE_PID=$pid
}

# ck_restart_pebble: stops the Pebble of ck_start_pebble and starts it again
# on the same ports, listener certificate and log (an outage that ends).  Its
# accounts, orders and roots are gone, as after any restart of Pebble.
ck_restart_pebble() {
	local listen=${CK_ACME_DIR#https://localhost:}

	ck_stop "$CK_PEBBLE_PID"
	_ck_launch_pebble "$CK_PEBBLE_DIR" "$CK_DNS_PORT" "${listen%%/*}"
}

ck_start_pebble() {
	local dir dns ctsmgmt listen mgmt http tls validity pid eab_keys eab_required

	[ $# -eq 1 ] || { _ck_say "usage: ck_start_pebble DIR"; return 2; }
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	"$CK_TOP/pebble/mkcert" "$dir" >/dev/null

	dns=$(ck_free_port)
	ctsmgmt=$(ck_free_port "$dns")
	listen=$(ck_free_port "$dns" "$ctsmgmt")
	mgmt=$(ck_free_port "$dns" "$ctsmgmt" "$listen")
	http=$(ck_free_port "$dns" "$ctsmgmt" "$listen" "$mgmt")
	tls=$(ck_free_port "$dns" "$ctsmgmt" "$listen" "$mgmt" "$http")
	CK_PORTS_TAKEN="$CK_PORTS_TAKEN $dns $ctsmgmt $listen $mgmt $http $tls"

	_ck_spawn "$dir/challtestsrv.log" pebble-challtestsrv \
		-dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
		-management "127.0.0.1:$ctsmgmt" -defaultIPv4 127.0.0.1 -defaultIPv6 ""
	pid=$CK_LAST_PID
	# Any HTTP answer (404 included) means the management server is up;
	# the DNS server is started before it.
	_ck_wait_for "pebble-challtestsrv (management 127.0.0.1:$ctsmgmt)" "$pid" \
		"$dir/challtestsrv.log" "$CK_START_TIMEOUT" \
		curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$ctsmgmt/" || return 1
	_ck_wait_for "pebble-challtestsrv (DNS 127.0.0.1:$dns)" "$pid" \
		"$dir/challtestsrv.log" "$CK_START_TIMEOUT" ck_port_open "$dns" || return 1

	if [ -n "${CK_CERT_VALIDITY:-}" ]; then
		if ! [[ $CK_CERT_VALIDITY =~ ^[1-9][0-9]*$ ]]; then
			_ck_say "CK_CERT_VALIDITY must be a number of seconds, not '$CK_CERT_VALIDITY'"
			return 2
		fi
		validity="s|@VALIDITY@|$CK_CERT_VALIDITY|"
	else
		validity='/@VALIDITY@/d'
	fi
	eab_keys='{}' eab_required=false
	if [ -n "${CK_PEBBLE_EAB:-}" ]; then
		if ! [[ $CK_PEBBLE_EAB =~ ^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$ ]]; then
			_ck_say "CK_PEBBLE_EAB must be KID:KEY (KEY base64url), not '$CK_PEBBLE_EAB'"
			return 2
		fi
		eab_keys="{\"${CK_PEBBLE_EAB%%:*}\": \"${CK_PEBBLE_EAB#*:}\"}" eab_required=true
	fi
	sed -e "s|@LISTEN_PORT@|$listen|" -e "s|@MGMT_PORT@|$mgmt|" \
		-e "s|@HTTP_PORT@|$http|" -e "s|@TLS_PORT@|$tls|" -e "s|@DIR@|$dir|g" \
		-e "s|@EAB_KEYS@|$eab_keys|" -e "s|@EAB_REQUIRED@|$eab_required|" \
		-e "$validity" "$CK_TOP/pebble/pebble-config.json.in" >"$dir/pebble-config.json"

	_ck_launch_pebble "$dir" "$dns" "$listen" || return 1

	export CK_PEBBLE_DIR=$dir
	export CK_ACME_DIR="https://localhost:$listen/dir"
	export CK_CA_BUNDLE="$dir/ca.pem"
	export CK_PEBBLE_MGMT="https://localhost:$mgmt"
	export CK_HTTP_PORT=$http
	export CK_TLS_PORT=$tls
	export CK_DNS_PORT=$dns
	export CK_CTS_MGMT="http://127.0.0.1:$ctsmgmt"
}

# Fetches the root Pebble issues under (not the listener's test root) from
# the management port into DIR/pebble-root.pem; exports CK_PEBBLE_ROOT.
ck_pebble_root() {
	[ $# -eq 1 ] || { _ck_say "usage: ck_pebble_root DIR"; return 2; }
	mkdir -p "$1"
	curl -fsS --max-time 10 --cacert "$CK_CA_BUNDLE" -o "$1/pebble-root.pem" \
		"$CK_PEBBLE_MGMT/roots/0" || { _ck_say "cannot fetch $CK_PEBBLE_MGMT/roots/0"; return 1; }
	grep -q -- '-----BEGIN CERTIFICATE-----' "$1/pebble-root.pem" ||
		{ _ck_say "$CK_PEBBLE_MGMT/roots/0 returned no certificate"; return 1; }
	CK_PEBBLE_ROOT=$(cd "$1" && pwd)/pebble-root.pem
	export CK_PEBBLE_ROOT
}

# Starts swtpm with its state in DIR/tpm on a free even port pair and
# waits until it answers TPM2_GetRandom.  Exports CK_TCTI and CK_TPM_PORT.
ck_start_swtpm() {
	local dir port tcti

	[ $# -eq 1 ] || { _ck_say "usage: ck_start_swtpm DIR"; return 2; }
	mkdir -p "$1/tpm"
	dir=$(cd "$1" && pwd)
	port=$(ck_free_even_port_pair)
	CK_PORTS_TAKEN="$CK_PORTS_TAKEN $port $((port + 1))"
	tcti="swtpm:host=127.0.0.1,port=$port"

	_ck_spawn "$dir/swtpm.log" swtpm socket --tpm2 --tpmstate "dir=$dir/tpm" \
		--server "type=tcp,port=$port,bindaddr=127.0.0.1" \
		--ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" \
		--flags not-need-init,startup-clear
	_ck_wait_for "swtpm (127.0.0.1:$port)" "$CK_LAST_PID" "$dir/swtpm.log" \
		"$CK_START_TIMEOUT" env TPM2TOOLS_TCTI="$tcti" tpm2_getrandom --hex 4 || return 1

	export CK_TCTI=$tcti
	export CK_TPM_PORT=$port
}

# Starts a private session D-Bus (socket in DIR) and tpm2-abrmd on it in
# front of the swtpm of CK_TCTI.  Exports DBUS_SESSION_BUS_ADDRESS and
# CK_TABRMD_TCTI (for TPM2OPENSSL_TCTI / TPM2TOOLS_TCTI); sets
# CK_ABRMD_PIDS for ck_stop.  While it runs, abrmd holds swtpm's only
# connection: stop it before using CK_TCTI directly again.
ck_start_abrmd() {
	local dir bus name tcti dbus_pid abrmd_pid root_flag=()

	[ $# -eq 1 ] || { _ck_say "usage: ck_start_abrmd DIR"; return 2; }
	[ -n "${CK_TCTI:-}" ] || { _ck_say "ck_start_abrmd: start swtpm first"; return 2; }
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	bus="unix:path=$dir/dbus.sock"
	name="com.intel.tss2.Tabrmd.ck$$x$RANDOM"
	tcti="tabrmd:bus_name=$name,bus_type=session"

	_ck_spawn "$dir/dbus.log" dbus-daemon --session --nofork --nopidfile --address="$bus"
	dbus_pid=$CK_LAST_PID
	_ck_wait_for "dbus-daemon ($bus)" "$dbus_pid" "$dir/dbus.log" "$CK_START_TIMEOUT" \
		test -S "$dir/dbus.sock" || return 1

	[ "$(id -u)" -eq 0 ] && root_flag=(--allow-root)
	_ck_spawn "$dir/abrmd.log" env DBUS_SESSION_BUS_ADDRESS="$bus" \
		tpm2-abrmd --session --flush-all --tcti="$CK_TCTI" --dbus-name="$name" "${root_flag[@]}"
	abrmd_pid=$CK_LAST_PID
	_ck_wait_for "tpm2-abrmd ($name)" "$abrmd_pid" "$dir/abrmd.log" "$CK_START_TIMEOUT" \
		env DBUS_SESSION_BUS_ADDRESS="$bus" TPM2TOOLS_TCTI="$tcti" tpm2_getrandom --hex 4 ||
		return 1

	export DBUS_SESSION_BUS_ADDRESS=$bus
	export CK_TABRMD_TCTI=$tcti
	# shellcheck disable=SC2034 # for the caller's ck_stop
	CK_ABRMD_PIDS="$abrmd_pid $dbus_pid"
}

# Stops one process: SIGTERM, up to 5 s grace, then SIGKILL; reaps it.
_ck_stop_pid() {
	local pid=$1 i

	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		_ck_alive "$pid" || break
		sleep 0.1
	done
	if _ck_alive "$pid"; then
		_ck_say "pid $pid ignored SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# Stops the given PIDs (started by these functions) and forgets them.
ck_stop() {
	local pid keep=() p stop

	for pid in "$@"; do
		_ck_stop_pid "$pid"
	done
	for p in "${CK_PIDS[@]}"; do
		stop=0
		for pid in "$@"; do
			[ "$p" = "$pid" ] && stop=1
		done
		[ $stop -eq 1 ] || keep+=("$p")
	done
	CK_PIDS=("${keep[@]}")
}

# Stops every process the ck_start_* functions started, newest first, so
# that clients go before their servers (abrmd before swtpm).
ck_stop_all() {
	local i
	# Runs from EXIT traps: one failed command must not skip the rest.
	local -
	set +e

	for ((i = ${#CK_PIDS[@]} - 1; i >= 0; i--)); do
		_ck_stop_pid "${CK_PIDS[i]}"
	done
	CK_PIDS=()
}

# Writes a certkeeper configuration FILE for one certificate "device"
# (device-1.test, api.device-1.test, or CK_DOMAINS; http-01 on CK_HTTP_PORT,
# or CK_CHALLENGE, whose keys go in the extra lines) against the
# Pebble started by ck_start_pebble, with state in STATE_DIR.  Further
# arguments are extra lines for the [cert:device] section (key = ...).
# CK_ACCOUNT_KEY (default ec-p256) and CK_CONTACT (default
# mailto:ops@example.com, empty for none) shape [acme]; a [tpm] section is
# written when CK_TCTI is set.  [telemetry] has metrics_file = CK_METRICS_FILE
# (default empty: off) and the lines of CK_TELEMETRY.
ck_write_config() {
	local file=$1 state=$2 contact

	[ $# -ge 2 ] || { _ck_say "usage: ck_write_config FILE STATE_DIR [LINE...]"; return 2; }
	shift 2
	contact=${CK_CONTACT-mailto:ops@example.com}
	{
		echo "; certkeeper test configuration (pebble/env.sh ck_write_config)"
		echo "[acme]"
		echo "directory = $CK_ACME_DIR"
		echo "ca_bundle = $CK_CA_BUNDLE"
		[ -z "$contact" ] || echo "contact = $contact"
		echo "state_dir = $state"
		echo "account_key = ${CK_ACCOUNT_KEY:-ec-p256}"
		if [ -n "${CK_TCTI:-}" ]; then
			echo
			echo "[tpm]"
			echo "tcti = $CK_TCTI"
			echo "parent = owner"
		fi
		# Off unless the test names a file: never the machine's textfile directory.
		echo
		echo "[telemetry]"
		echo "metrics_file = ${CK_METRICS_FILE:-}"
		[ -z "${CK_TELEMETRY:-}" ] || printf '%s\n' "$CK_TELEMETRY"
		echo
		echo "[cert:device]"
		echo "domains = ${CK_DOMAINS:-device-1.test, api.device-1.test}"
		echo "challenge = ${CK_CHALLENGE:-http-01}"
		[ "${CK_CHALLENGE:-http-01}" != http-01 ] || echo "http_port = $CK_HTTP_PORT"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$file"
}
