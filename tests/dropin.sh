#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# dropin.sh: shmfs as a drop-in /dev/shm.  In the private mount namespace
# that lib.sh gives root, a fresh tmpfs and then shmfs (allow_other) are
# mounted over /dev/shm in turn, and with no preload both run glibc's own
# shm_open/sem_open (tests/dropin_prog) and a selection of CPython's
# multiprocessing tests (locks, semaphores, conditions, events, barriers,
# queues, values and arrays, pools, managers, shared memory).  Every test
# that passes on the tmpfs must pass on shmfs.  CPython's runner exits 0
# even when it skips a whole module (for a broken SemLock, say), so the
# results are read from its JUnit XML, never from its exit status.
# Needs root and Debian's libpython3.11-testsuite (the test package).
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

export LC_ALL=C
builddir=${SHMFS_BUILDDIR:-.}
prog=$builddir/tests/dropin_prog

# Missing needs skip (77), or fail under SHMFS_REQUIRE_ALL=1.
skip() {
	if [ "${SHMFS_REQUIRE_ALL:-0}" = 1 ]; then
		shmfs_die "$* (SHMFS_REQUIRE_ALL=1)"
	fi
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "dropin.sh needs root (mounts over /dev/shm)"
[ -n "${SHMFS_LIB_UNSHARED:-}" ] || skip "no private mount namespace (unshare missing)"
[ -x "$prog" ] || shmfs_die "no $prog: build it with make check"
py=
for p in "${PYTHON3:-}" python3.11 python3 /usr/bin/python3; do
	if [ -n "$p" ] && "$p" -c 'import test.test_multiprocessing_fork' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || skip "no python3 with CPython's test package (Debian: libpython3.11-testsuite)"

work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-dropin.XXXXXX") || shmfs_die mktemp
cleanup() {
	grep -q " /dev/shm " /proc/mounts && umount /dev/shm
	rm -rf "$work"
	shmfs_cleanup
}
trap cleanup EXIT

# The test classes, for the fork start method (the quickest to start);
# the pattern also fits the later CPythons that split the module up.
classes="
	WithProcessesTestLock WithProcessesTestSemaphore WithProcessesTestCondition
	WithProcessesTestEvent WithProcessesTestBarrier WithProcessesTestQueue
	WithProcessesTestValue WithProcessesTestArray WithProcessesTestSharedCTypes
	WithProcessesTestPool WithProcessesTestSharedMemory
	WithManagerTestLock WithManagerTestSemaphore WithManagerTestCondition
	WithManagerTestEvent WithManagerTestBarrier WithManagerTestQueue
	WithManagerTestPool WithManagerTestContainers TestSyncManagerTypes
	SemLockTests TestSimpleQueue"
sel=()
for c in $classes; do
	sel+=(-m "*.$c.*")
done

# run_on WHAT: runs everything on the current /dev/shm; the passed tests
# go to $work/WHAT.passed, one per line.
run_on() {
	local what=$1 rc
	mkdir -p "$work/$what" || shmfs_die mkdir
	"$prog" >"$work/$what/prog.log" 2>&1
	rc=$?
	sed "s/^/# $what: /" "$work/$what/prog.log"
	expect_eq "glibc's shm_open and sem_open on $what" "$rc" 0
	(cd "$work/$what" && timeout 600 "$py" -m test test_multiprocessing_fork \
		"${sel[@]}" --junit-xml "$work/$what/junit.xml" >"$work/$what/py.log" 2>&1)
	rc=$?
	tail -n 3 "$work/$what/py.log" | sed "s/^/# $what: /"
	[ -s "$work/$what/junit.xml" ] ||
		shmfs_die "CPython's tests wrote no results on $what (exit $rc); the end of their output:
$(tail -n 40 "$work/$what/py.log")"
	"$py" - "$work/$what/junit.xml" >"$work/$what.passed" <<-'PY' ||
		import sys, xml.etree.ElementTree as ET
		for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
		    if not any(c.tag in ("failure", "error", "skipped") for c in case):
		        print(case.get("classname", "") + "." + case.get("name", ""))
	PY
		shmfs_die "unreadable results on $what"
	sort -o "$work/$what.passed" "$work/$what.passed"
	echo "# $what: $(wc -l <"$work/$what.passed") CPython tests passed"
}

mount -t tmpfs -o size=256m,mode=1777 tmpfs /dev/shm || shmfs_die "mount tmpfs over /dev/shm"
start=$SECONDS
run_on tmpfs
echo "# tmpfs: $((SECONDS - start)) s"
umount /dev/shm || shmfs_die "umount the tmpfs"

shmfs_mount size=256m
mount --bind "$MNT" /dev/shm || shmfs_die "bind the shmfs mount over /dev/shm"
shmfs_is_mounted /dev/shm || shmfs_die "/dev/shm is not the shmfs mount"
start=$SECONDS
run_on shmfs
echo "# shmfs: $((SECONDS - start)) s"
umount /dev/shm || shmfs_die "umount /dev/shm"

# A selection that ran nothing proves nothing: the classes must exist.
n=$(wc -l <"$work/tmpfs.passed")
[ "$n" -ge 100 ] || shmfs_die "only $n CPython tests passed on tmpfs: the selection is wrong"
missing=$(comm -23 "$work/tmpfs.passed" "$work/shmfs.passed")
[ -z "$missing" ] || shmfs_die "passed on tmpfs but not on shmfs:
$missing
the end of shmfs's run:
$(tail -n 60 "$work/shmfs/py.log")"
ok "all $n CPython tests that pass on tmpfs pass on shmfs"
