#!/bin/bash
# durability.sh: a renewal makes durable what the device depends on, and
# waits for the disk for nothing else.  A forced renewal with a software key
# runs under strace (its main thread, which does all the writing; -y names
# the file of each descriptor), and the file-system calls must show:
# - the new version: each of its four files and its directory fsync'd
#   before the rename that names it, the certificate directory fsync'd
#   after that rename and again after current is switched;
# - the pending order: its key and order.json each fsync'd before their
#   rename, the key renamed first, and their directory right after
#   order.json's rename, which makes both durable (what a crash needs to
#   resume the order); the directory fsync'd right after order.json is
#   removed, the key's removal then left to the disk's pace;
# - schedule.json (backoff and the CA's renewal window) written once,
#   fsync'd, its directory fsync'd right after the rename;
# - the telemetry (status.json, the two counters.json) fsync'd before its
#   rename, so never torn, with no directory fsync of its own;
# - no other fsync: 16 in all.
# This checks the order of the calls a power cut depends on, not a power
# cut itself (crash.sh kills the process at each of these calls).
set -euo pipefail
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || fail "strace is not installed (tests/run installs it)"
# LeakSanitizer cannot run under ptrace: in the sanitizer pass the run under
# strace checks memory errors but not leaks (the other tests do).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
ck_start_pebble "$T/pebble"
state=$T/state
conf=$T/certkeeper.conf
ck_write_config "$conf" "$state" "key = ec-p256"
run_ck 0 -c "$conf" renew

rc=0
strace -qq -y -e trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat,symlinkat \
	-o "$T/fs.log" "$CK" -c "$conf" renew --force >"$OUT" 2>"$ERR" </dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "the forced renewal under strace exited $rc"
grep -q 'fsync(' "$T/fs.log" || fail "strace logged no fsync at all (has its format changed?)"

python3 - "$T/fs.log" "$state" <<'EOF' || fail "the renewal's file-system calls are not as above"
import os
import re
import sys

log, state = sys.argv[1], os.path.realpath(sys.argv[2])
certs = os.path.join(state, "certs", "device")
pending = os.path.join(state, "pending", "device")
problems = []
events = []  # (op, path[, to]) in order
for line in open(log):
    m = re.match(r'^(\w+)\((.*)\)\s+=\s+(-?\d+)', line.strip())
    if not m:
        continue
    op, args, ret = m.group(1), m.group(2), int(m.group(3))
    fds = re.findall(r'\d+<([^>]*)>', args)
    names = re.findall(r'"([^"]*)"', args)
    if op in ("fsync", "fdatasync"):
        events.append(("fsync", fds[0]))
    elif op == "rename":
        events.append(("rename", os.path.realpath(names[0]), os.path.realpath(names[1])))
    elif op in ("renameat", "renameat2"):
        events.append(("rename", os.path.join(fds[0], names[0]), os.path.join(fds[1], names[1])))
    elif op in ("unlink", "unlinkat") and ret == 0:
        path = names[-1] if op == "unlink" else os.path.join(fds[0], names[-1])
        events.append(("unlink", os.path.realpath(path)))
    elif op == "symlinkat":
        events.append(("symlink", os.path.join(fds[0], names[1])))

def after(i):
    return events[i + 1] if i + 1 < len(events) else ("end", "")

def before(i):
    return events[i - 1] if i > 0 else ("start", "")

fsyncs = [e[1] for e in events if e[0] == "fsync"]
renames = [(i, e) for i, e in enumerate(events) if e[0] == "rename"]
for i, (_, src, dst) in renames:
    base, parent = os.path.basename(dst), os.path.dirname(dst)
    if base.startswith("v") and parent == certs:
        # The version: its files and its directory, then the rename, then the parent.
        synced = [e[1] for e in events[:i] if e[0] == "fsync"]
        for f in ("cert.pem", "chain.pem", "fullchain.pem", "key.pem"):
            if os.path.join(src, f) not in synced:
                problems.append(f"{f} of the new version was not fsync'd before its rename")
        if before(i) != ("fsync", src):
            problems.append(f"the version directory was not fsync'd right before its rename: {before(i)}")
        if after(i) != ("fsync", certs):
            problems.append(f"{certs} not fsync'd right after the version's rename: {after(i)}")
        continue
    if base in ("current", "previous"):
        if base == "current" and after(i) != ("fsync", certs):
            problems.append(f"{certs} not fsync'd right after current was switched: {after(i)}")
        continue
    # An atomic write: its temporary file fsync'd right before the rename.
    if before(i) != ("fsync", src):
        problems.append(f"{dst}: its temporary file was not fsync'd right before the rename")
    durable = (parent == pending and base == "order.json") or \
        (parent == certs and base == "schedule.json")
    flushed = after(i) == ("fsync", parent)
    if durable and not flushed:
        problems.append(f"{dst}: its directory was not fsync'd right after the rename: {after(i)}")
    if base in ("status.json", "counters.json") and flushed:
        problems.append(f"{dst}: telemetry, yet its directory was fsync'd right after the rename")
    if parent == pending and base == "key.pem":
        # Made durable by the directory's fsync after order.json's rename, which must follow it.
        if flushed:
            problems.append(f"{dst}: its directory fsync'd before order.json's rename too")
        later = [j for j, e in renames if j > i and e[2] == os.path.join(pending, "order.json")]
        if not later:
            problems.append(f"{dst}: no order.json renamed after the pending key")
written = {}
for _, e in renames:
    written[e[2]] = written.get(e[2], 0) + 1
for f in (os.path.join(certs, "schedule.json"), os.path.join(certs, "status.json"),
          os.path.join(certs, "counters.json"), os.path.join(state, "counters.json"),
          os.path.join(pending, "order.json"), os.path.join(pending, "key.pem")):
    if written.get(f, 0) != 1:
        problems.append(f"{f} written {written.get(f, 0)} times, expected once")
for i, e in enumerate(events):
    if e[0] != "unlink" or os.path.dirname(e[1]) != pending:
        continue
    flushed = after(i) == ("fsync", pending)
    if os.path.basename(e[1]) == "order.json" and not flushed:
        problems.append(f"{pending} not fsync'd right after order.json's removal: {after(i)}")
    if os.path.basename(e[1]) == "key.pem" and flushed:
        problems.append(f"{pending} fsync'd after the stray key's removal")
if len(fsyncs) != 16:
    problems.append(f"{len(fsyncs)} fsync calls, expected 16: " + ", ".join(fsyncs))
for p in problems:
    print("durability.sh:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
note "a renewal made 16 fsync calls, each where a power cut needs it, and none for its telemetry"
