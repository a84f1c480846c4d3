#!/bin/bash
# sandbox.sh: a real renewal against Pebble (with a TPM key on swtpm) under
# the restrictions of systemd/certkeeper.service, so that a filter or a
# protection too tight for certkeeper fails here rather than on a device.
# No systemd runs here, so the settings are read from the unit file itself
# (no second list to keep) and applied by other means:
#   User=, Group=             a throwaway system user and its group (removed at exit)
#   SupplementaryGroups=      setpriv --groups
#   CapabilityBoundingSet=,   setpriv --bounding-set, --inh-caps, --ambient-caps
#   AmbientCapabilities=
#   NoNewPrivileges=          setpriv --no-new-privs
#   SystemCallFilter=,        tests/seccomp-exec (libseccomp), the groups expanded by
#   SystemCallArchitectures=,   `systemd-analyze syscall-filter` as systemd expands them
#   SystemCallErrorNumber=,     (@default first under an allow list, then each line in turn)
#   RestrictAddressFamilies=, seccomp-exec -f (socket(2) families)
#   MemoryDenyWriteExecute=   seccomp-exec -w
#   ProtectSystem=strict,     unshare --mount: every mount read-only but /dev, /proc, /sys;
#   StateDirectory=,            the state directory (owned by the user, StateDirectoryMode=)
#   ReadWritePaths=             and ReadWritePaths= bound writable
#   ProtectHome=yes           empty, inaccessible tmpfs over /home, /root, /run/user
#   ProtectProc=, ProcSubset= a private /proc with hidepid= and subset=
#   UMask=                    umask
# Then `renew` issues, `status` reads, a service in the group reads the key
# (group_readable = yes, as the shipped example), and others cannot.
# The test proves it can fail: the same sandbox without @network-io must kill
# the renewal (SIGSYS) and change nothing, and writing outside the state
# directory must fail.  It skips (exit 77, "SKIP: why") when configure found
# no libseccomp (libseccomp-dev, a test-only dependency); tests/run installs it.
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

unit=$top/systemd/certkeeper.service.in

# The helper of the build under test (beside $CK, as for the sanitizer
# build), else the source tree's.
helper=$(dirname "$CK")/tests/seccomp-exec
[ -x "$helper" ] || helper=$top/tests/seccomp-exec
if [ ! -x "$helper" ]; then
	echo "SKIP: $test_name: tests/seccomp-exec is not built: configure found no libseccomp" \
		"(apt-get install libseccomp-dev, then ./configure again)"
	# Nothing started yet: no "FAIL" from the cleanup for a skip.
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
[ "$(id -u)" -eq 0 ] || fail "must run as root (a user to create, mounts, setpriv)"
for tool in systemd-analyze setpriv unshare findmnt useradd userdel; do
	command -v "$tool" >/dev/null || fail "$tool not found"
done

# --- the unit's settings ---------------------------------------------------------
# unit_values KEY: each value assigned to KEY in [Service], in order, one a
# line (an empty assignment as an empty line: it resets a list).
unit_values() {
	awk -v key="$1" '
		/^[ \t]*\[/ { sect = $0; next }
		sect != "[Service]" || /^[ \t]*([#;]|$)/ { next }
		/\\$/ { print "continuation lines are not supported: " $0 > "/dev/stderr"; exit 3 }
		{
			i = index($0, "=")
			k = substr($0, 1, i - 1)
			gsub(/^[ \t]+|[ \t]+$/, "", k)
			if (i == 0 || k != key)
				next
			v = substr($0, i + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", v)
			print v
		}' "$unit" || fail "cannot read $1= from $unit"
}

# unit_value KEY: the value that counts (the last), or nothing.
unit_value() {
	unit_values "$1" | tail -n 1
}

# unit_list KEY: the words of every assignment of KEY, an empty one clearing
# the list; a ~ (inverted list) is not supported here and fails.
unit_list() {
	local v vals words=()

	vals=$(unit_values "$1")
	while IFS= read -r v; do
		[ -n "$v" ] || { words=(); continue; }
		[ "${v#\~}" = "$v" ] || fail "$1=$v: inverted lists are not supported by $test_name"
		# shellcheck disable=SC2206 # the words of a systemd list
		words+=($v)
	done <<<"$vals"
	[ ${#words[@]} -eq 0 ] || printf '%s\n' "${words[@]}"
}

# caps KEY: the capabilities of KEY for setpriv: "-all" and "+name" each.
caps() {
	local c out=-all

	for c in $(unit_list "$1"); do
		c=${c,,}
		out="$out,+${c#cap_}"
	done
	echo "$out"
}

# expand ITEM: the system calls ITEM names: itself, or the members of the
# group @ITEM as `systemd-analyze syscall-filter` lists them, recursively.
declare -A expanding=()
expand() {
	local item=$1 line members

	case $item in
	*:*) fail "SystemCallFilter item $item: name:errno is not supported by $test_name" ;;
	@*)
		[ -z "${expanding[$item]:-}" ] || return 0
		expanding[$item]=1
		members=$(systemd-analyze syscall-filter "$item" 2>&1) ||
			fail "systemd-analyze syscall-filter $item: $members"
		while read -r line; do
			case $line in
			'' | '#'* | "$item") ;;
			*) expand "$line" ;;
			esac
		done <<<"$members"
		unset "expanding[$item]"
		;;
	*) echo "$item" ;;
	esac
}

# syscall_list OUT [EXTRA...]: writes to OUT the calls the unit's
# SystemCallFilter= lines (then the EXTRA lines) leave allowed or, for a
# deny list, refused, as systemd computes them; prints "allow" or "deny".
syscall_list() {
	local out=$1 v vals item name names mode="" invert add lines=()
	declare -A calls=()
	shift

	vals=$(unit_values SystemCallFilter)
	mapfile -t lines <<<"$vals"
	lines+=("$@")
	for v in "${lines[@]}"; do
		if [ -z "$v" ]; then
			mode=""
			calls=()
			continue
		fi
		invert=0
		if [ "${v#\~}" != "$v" ]; then
			invert=1
			v=${v#\~}
		fi
		if [ -z "$mode" ]; then
			# An allow list starts from @default, which systemd always allows.
			if [ $invert -eq 1 ]; then
				mode=deny
			else
				mode=allow
				names=$(expand @default)
				for name in $names; do calls[$name]=1; done
			fi
		fi
		# Added to the list, or taken from it.
		if { [ $mode = allow ] && [ $invert -eq 0 ]; } || { [ $mode = deny ] && [ $invert -eq 1 ]; }; then
			add=1
		else
			add=0
		fi
		for item in $v; do
			names=$(expand "$item")
			for name in $names; do
				if [ $add -eq 1 ]; then calls[$name]=1; else unset "calls[$name]"; fi
			done
		done
	done
	[ -n "$mode" ] || fail "$unit has no SystemCallFilter="
	printf '%s\n' "${!calls[@]}" | sort >"$out"
	echo "$mode"
}

# Only these values are applied here; any other must fail, not pass unapplied.
for want in ProtectSystem=strict ProtectHome=yes SystemCallArchitectures=native \
	NoNewPrivileges=yes; do
	key=${want%%=*}
	have=$(unit_value "$key")
	[ "$key=$have" = "$want" ] || fail "$key=$have in $unit: $test_name applies only $want"
done
[ "$(unit_list StateDirectory | wc -l)" -eq 1 ] || fail "$unit must set one StateDirectory="

seccomp_args=()
errno_name=$(unit_value SystemCallErrorNumber)
[ -z "$errno_name" ] || seccomp_args+=(-e "$errno_name")
# Assignments add up, as systemd merges them; "none" alone allows no family.
families=$(unit_list RestrictAddressFamilies | paste -sd, -)
case $families in
'') ;;
none) seccomp_args+=(-f "") ;;
*) seccomp_args+=(-f "$families") ;;
esac
[ "$(unit_value MemoryDenyWriteExecute)" != yes ] || seccomp_args+=(-w)

proc_opts=nosuid,nodev,noexec
[ -z "$(unit_value ProtectProc)" ] || proc_opts="$proc_opts,hidepid=$(unit_value ProtectProc)"
[ -z "$(unit_value ProcSubset)" ] || proc_opts="$proc_opts,subset=$(unit_value ProcSubset)"

mode=$(syscall_list "$T/syscalls.allow")
[ "$mode" = allow ] || seccomp_args+=(-d)
note "SystemCallFilter: $mode list of $(wc -l <"$T/syscalls.allow") system calls"
# Too tight on purpose, to prove the filter is applied: no renewal works without @network-io.
tight_mode=$(syscall_list "$T/syscalls.tight" "~@network-io")
if [ "$mode" = allow ]; then
	grep -qx socket "$T/syscalls.allow" || fail "socket() is not in the expanded allow list"
	! grep -qx socket "$T/syscalls.tight" || fail "~@network-io left socket() in the allow list"
else
	grep -qx socket "$T/syscalls.tight" || fail "~@network-io did not add socket() to the deny list"
fi
[ "$tight_mode" = "$mode" ] || fail "~@network-io turned the $mode list into a $tight_mode list"

# --- the user, the files it may read, the state it owns --------------------------
sbx_user=cksbx$$
useradd --system --user-group --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin "$sbx_user" || fail "useradd $sbx_user"
# At exit: lib.sh's cleanup (which reads the exit status, and stops what the
# test started), then the user.  Nothing here may end the trap early.
sandbox_cleanup() {
	local rc=$?

	set +e
	(exit "$rc")
	_lib_cleanup
	userdel "$sbx_user" 2>/dev/null || echo "$test_name: could not remove the user $sbx_user" >&2
	return "$rc"
}
trap sandbox_cleanup EXIT
sbx_uid=$(id -u "$sbx_user")
sbx_gid=$(id -g "$sbx_user")
note "running as $sbx_user ($sbx_uid:$sbx_gid)" \
	"for the unit's User=$(unit_value User) Group=$(unit_value Group)"

groups=$(unit_list SupplementaryGroups | paste -sd, -)
for g in ${groups//,/ }; do
	getent group "$g" >/dev/null || fail "SupplementaryGroups=$g: no such group here"
done
group_args=(--clear-groups)
[ -z "$groups" ] || group_args=(--groups="$groups")
bounding=$(caps CapabilityBoundingSet)
ambient=$(caps AmbientCapabilities)
umask_value=$(unit_value UMask)
note "capabilities: bounding $bounding, ambient $ambient;" \
	"groups ${groups:-none}; umask ${umask_value:-default}"

# What the user runs and reads sits in $T (0755), outside any home directory
# (ProtectHome= hides those: a tree under /root would vanish).
chmod 0755 "$T"
mkdir -p "$T/bin"
cp "$CK" "$T/bin/certkeeper"
cp "$helper" "$T/bin/seccomp-exec"
chmod 0755 "$T/bin" "$T/bin/certkeeper" "$T/bin/seccomp-exec"

ck_start_pebble "$T/pebble"
ck_start_swtpm "$T"
chmod -R a+rX "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = tpm"
sed -i 's/^\[acme\]$/[acme]\ngroup_readable = yes/' "$conf"
grep -q '^group_readable = yes$' "$conf" || fail "cannot set group_readable in $conf"
chmod 0644 "$conf"
# StateDirectory=: made by systemd, owned by the user, with StateDirectoryMode=.
mkdir -p "$state"
chown "$sbx_uid:$sbx_gid" "$state"
state_mode=$(unit_value StateDirectoryMode)
chmod "${state_mode:-0755}" "$state"
rw_paths=("$state")
for p in $(unit_list ReadWritePaths); do
	# "-PATH": systemd skips a path that does not exist; so does the test.
	if [ "${p#-}" != "$p" ]; then
		p=${p#-}
		[ -e "$p" ] || continue
	fi
	rw_paths+=("$p")
done
# Writable by the user but outside the state directory: only the mount stops it.
mkdir "$T/elsewhere"
chown "$sbx_uid:$sbx_gid" "$T/elsewhere"

# The mount namespace's setup, run as root in it before the user's command.
cat >"$T/enter.sh" <<'EOF'
#!/bin/bash
# enter.sh RW_PATHS PROC_OPTS UMASK CMD...: in a fresh mount namespace,
# ProtectSystem=strict (every mount read-only but the API file systems),
# RW_PATHS (colon-separated) writable, ProtectHome=yes, a private /proc.
set -euo pipefail
rw=$1 proc_opts=$2 umask_value=$3
shift 3
while IFS= read -r raw; do
	target=$(printf '%b' "$raw")
	case $target in
	/dev | /dev/* | /proc | /proc/* | /sys | /sys/*) continue ;;
	esac
	mount -o remount,bind,ro "$target"
done < <(findmnt -rn -o TARGET)
IFS=: read -r -a paths <<<"$rw"
for p in "${paths[@]}"; do
	mount --bind "$p" "$p"
	mount -o remount,bind,rw "$p"
done
for h in /home /root /run/user; do
	[ ! -d "$h" ] || mount -t tmpfs -o ro,nosuid,nodev,noexec,mode=000 tmpfs "$h"
done
mount -t proc -o "$proc_opts" proc /proc
[ -z "$umask_value" ] || umask "$umask_value"
exec "$@"
EOF
chmod 0755 "$T/enter.sh"

# sandbox LIST CMD...: runs CMD as the user, under everything above with the
# system calls of LIST (without LIST = "-": no system call filter).
sandbox() {
	local list=$1 filter=()
	shift

	[ "$list" = - ] || filter=("$T/bin/seccomp-exec" "${seccomp_args[@]}" "$list")
	# LeakSanitizer (in the sanitizer pass) stops the world with ptrace,
	# which no service filter allows: leaks are checked by every other test.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		unshare --mount --propagation private -- "$T/enter.sh" "$(IFS=:; echo "${rw_paths[*]}")" \
		"$proc_opts" "$umask_value" \
		setpriv --reuid="$sbx_uid" --regid="$sbx_gid" "${group_args[@]}" \
		--bounding-set="$bounding" --inh-caps="$ambient" --ambient-caps="$ambient" \
		--no-new-privs "${filter[@]}" "$@"
}

# run_sbx EXPECTED_RC LIST ARG...: certkeeper ARG in the sandbox, like run_ck.
run_sbx() {
	local want=$1 list=$2 rc=0
	shift 2

	sandbox "$list" "$T/bin/certkeeper" "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "certkeeper $* in the sandbox exited $rc, expected $want"
}

"$T/bin/seccomp-exec" -v "${seccomp_args[@]}" "$T/syscalls.allow" true 2>&1 |
	sed "s/^/$test_name: /"

# --- the sandbox holds ------------------------------------------------------------
out=$(sandbox - /bin/sh -c 'id -u; id -G; grep -E "^(CapBnd|CapAmb|NoNewPrivs):" /proc/self/status;
	touch /etc/ck-probe 2>&1; touch '"$T"'/elsewhere/ck-probe 2>&1;
	touch '"$state"'/ck-probe && echo state-ok;
	ls /root 2>&1; ls /proc/1 >/dev/null 2>&1 || echo pid1-hidden; umask' 2>&1) ||
	fail "the sandbox does not start: $out"
assert_contains "$out" "$sbx_uid" "user in the sandbox"
assert_contains "$out" "NoNewPrivs:	1" "no_new_privs in the sandbox"
assert_contains "$out" "/etc/ck-probe': Read-only file system" "writing /etc"
assert_contains "$out" "$T/elsewhere/ck-probe': Read-only file system" \
	"writing a directory of the user's outside the state directory"
assert_contains "$out" "state-ok" "writing the state directory"
assert_contains "$out" "/root': Permission denied" "ProtectHome"
assert_contains "$out" "pid1-hidden" "ProtectProc"
[ -z "$umask_value" ] || assert_contains "$out" "$umask_value" "UMask"
if [ "$ambient" != -all ]; then
	# The ambient capability reaches an exec'd program of the user: a
	# privileged port can be bound (the http-01 responder on port 80).
	port=$(python3 -c '
import socket
for p in range(1023, 600, -1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break')
	[ -n "$port" ] || fail "no free port below 1024"
	bind_probe=(python3 -c "import socket; socket.socket().bind(('127.0.0.1', $port))")
	sandbox - "${bind_probe[@]}" 2>"$T/bind.err" ||
		fail "the unit's capabilities do not let the user bind port $port: $(cat "$T/bind.err")"
	# And the README's drop-in (no capability) takes it away again.
	if (ambient=-all bounding=-all sandbox - "${bind_probe[@]}") 2>/dev/null; then
		fail "port $port was bound without CAP_NET_BIND_SERVICE"
	fi
	note "CAP_NET_BIND_SERVICE binds port $port, and only with the capability"
fi
rm -f "$state/ck-probe"
note "read-only but $state, home directories hidden, other processes hidden"

# --- a renewal and status inside it ---------------------------------------------------
run_sbx 0 "$T/syscalls.allow" -c "$conf" renew
note "renew in the sandbox issued a certificate"
cur=$state/certs/device/current
assert_file "$cur/cert.pem"
assert_file "$cur/key.tss2.pem"
assert_eq "$sbx_uid" "$(stat -L -c %u "$cur/cert.pem")" "owner of cert.pem"
assert_eq "$(key_pubkey "$cur/key.tss2.pem")" "$(cert_pubkey "$cur/cert.pem")" \
	"certificate public key vs the TPM key"
run_sbx 0 "$T/syscalls.allow" -c "$conf" status --json
jq -e . "$OUT" >/dev/null 2>&1 || fail "status --json in the sandbox printed no valid JSON"
assert_eq success "$(json_get "$OUT" '.certificates[0].last_result')" "last_result in the sandbox"
serial=$(json_get "$OUT" '.certificates[0].serial')
assert_eq "$(cert_serial "$cur/cert.pem")" "$(hexnorm "$serial")" "serial in status"
run_sbx 0 "$T/syscalls.allow" -c "$conf" status
note "status in the sandbox reads what renew installed"

# --- group_readable = yes: the group reads, others do not -----------------------------
assert_eq 750 "$(file_mode "$state")" "mode of state_dir"
assert_eq 750 "$(file_mode "$state/certs")" "mode of certs/"
assert_eq 750 "$(file_mode "$cur")" "mode of the version"
assert_eq 640 "$(file_mode "$cur/fullchain.pem")" "mode of fullchain.pem"
assert_eq 640 "$(file_mode "$cur/key.tss2.pem")" "mode of the key"
assert_eq 600 "$(file_mode "$state/certs/device/status.json")" "mode of status.json"
assert_eq 700 "$(file_mode "$state/accounts")" "mode of accounts/"
in_group=(setpriv --reuid=nobody --regid=nogroup --groups="$sbx_gid")
"${in_group[@]}" cat "$cur/fullchain.pem" "$cur/key.tss2.pem" >/dev/null 2>"$T/reader.err" ||
	fail "a member of the group cannot read the set: $(cat "$T/reader.err")"
if setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$cur/cert.pem" >/dev/null 2>&1; then
	fail "a user outside the group reads cert.pem"
fi
if "${in_group[@]}" ls "$state/accounts" >/dev/null 2>&1; then
	fail "a member of the group lists accounts/"
fi
note "the group reads the certificate and key; others read nothing; accounts stay private"

# --- the test can fail: a filter without @network-io ---------------------------------
before=$(cert_snapshot "$state/certs/device")
rc=0
sandbox "$T/syscalls.tight" "$T/bin/certkeeper" -c "$conf" renew --force \
	>"$OUT" 2>"$ERR" </dev/null || rc=$?
[ $rc -ne 0 ] || fail "renew --force succeeded under a filter without @network-io"
if [ -z "$errno_name" ]; then
	# Killed by SIGSYS, as systemd's filter kills: the filter, not something else, stopped it.
	assert_eq 159 "$rc" "exit status under a filter without @network-io (128 + SIGSYS)"
fi
assert_eq "$before" "$(cert_snapshot "$state/certs/device")" \
	"installed set after the killed renewal"
note "without @network-io the renewal is stopped (exit $rc) and nothing changes"
note "passed"
