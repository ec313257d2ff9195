# SPDX-License-Identifier: BSD-2-Clause
# lib.sh: helpers sourced by the shell tests (bash): mount a real shmfs daemon
# in a temporary directory and clean everything up on exit, also on failure;
# report checks (ok, expect_eq) and failures (shmfs_die); skip a test or a
# part of it whose needs are missing (shmfs_require, shmfs_want).
#
#   . "${SHMFS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
#   shmfs_mount size=64m     # sets $MNT; may be called more than once
#   ...
#   (everything mounted is unmounted and its daemon killed on EXIT)
#
# shmfs_dirs[i] and shmfs_pids[i] are mount i's directory and daemon: a test
# that unmounts by itself may wait for shmfs_pids[i] and then clear it.
# Works under set -e and set -u.
#
# As root the sourcing script re-executes itself once under
# `unshare -m --propagation private`, so even a `kill -9` of the test leaves
# no mount visible to the rest of the machine.  Sourcing must therefore come
# before the script does anything with side effects.

if [ "$(id -u)" = 0 ] && [ -z "${SHMFS_LIB_UNSHARED:-}" ] &&
	command -v unshare >/dev/null 2>&1; then
	export SHMFS_LIB_UNSHARED=1
	exec unshare -m --propagation private -- "$BASH" "$0" "$@"
fi

: "${SHMFS_BIN:=shmfs}"
SHMFS_PROBE_INO=$((0x73686d6673)) # SHMFS_PROBE_INO in src/proto.h

shmfs_dirs=()	# temporary directories, one per mount, in mount order
shmfs_pids=()	# the daemons, run in the foreground (-f) in the background
MNT=

# Prints a message and fails the test.
shmfs_die() {
	echo "FAIL: $*" >&2
	exit 1
}

# shmfs_lacks NEED [ARG...]: true if NEED is missing, and then sets
# shmfs_lack to a sentence saying what is missing.  NEEDs:
#   root                  running as root
#   fuse                  /dev/fuse opens read-write (and, not as root,
#                         fusermount3 is there to mount with)
#   cmd NAME [PACKAGE]    the command NAME
#   fuzzer                clang's libFuzzer (configure's finding)
shmfs_lacks() {
	case $1 in
	root)
		[ "$(id -u)" != 0 ] || return 1
		shmfs_lack="root (running as uid $(id -u))" ;;
	fuse)
		if [ ! -c /dev/fuse ] || ! { : <>/dev/fuse; } 2>/dev/null; then
			shmfs_lack="/dev/fuse (missing, or not readable and writable by uid $(id -u))"
		elif [ "$(id -u)" != 0 ] && ! command -v fusermount3 >/dev/null; then
			shmfs_lack="fusermount3 (package fuse3), to mount FUSE as uid $(id -u)"
		else
			return 1
		fi ;;
	cmd)
		! command -v "$2" >/dev/null || return 1
		shmfs_lack="the command $2${3:+ (package $3)}" ;;
	fuzzer)
		[ "${SHMFS_HAVE_FUZZER:-yes}" = no ] || return 1
		shmfs_lack="clang's libFuzzer: configure found no clang that links -fsanitize=fuzzer (Debian: clang libclang-rt-dev)" ;;
	*)
		shmfs_die "shmfs_lacks: unknown need '$1'" ;;
	esac
	return 0
}

# shmfs_require NEED [ARG...]: the whole test needs NEED (see shmfs_lacks).
# If it is missing the test is skipped (exit 77) with a message saying
# what is missing, or fails (exit 99) when SHMFS_REQUIRE_ALL=1, as in CI,
# so that no run passes by skipping.
shmfs_require() {
	shmfs_lacks "$@" || return 0
	if [ "${SHMFS_REQUIRE_ALL:-}" = 1 ]; then
		echo "FAIL: ${0##*/} needs $shmfs_lack, and SHMFS_REQUIRE_ALL=1 makes that a failure" >&2
		exit 99
	fi
	echo "SKIP: ${0##*/} needs $shmfs_lack"
	exit 77
}

# shmfs_want NEED [ARG...] -- WHAT: true if the checks WHAT can run, their
# NEED being there; if not, says they are skipped and returns false, or
# fails the test (exit 99) when SHMFS_REQUIRE_ALL=1.
shmfs_want() {
	local need=()
	while [ "$1" != -- ]; do
		need+=("$1")
		shift
	done
	shift
	shmfs_lacks "${need[@]}" || return 0
	if [ "${SHMFS_REQUIRE_ALL:-}" = 1 ]; then
		echo "FAIL: $* needs $shmfs_lack, and SHMFS_REQUIRE_ALL=1 makes that a failure" >&2
		exit 99
	fi
	echo "skip - $*: needs $shmfs_lack"
	return 1
}

# A passed check, in the TAP-like style of the shell tests.
ok() {
	echo "ok - $*"
}

# expect_eq WHAT GOT WANT: checks that a step gave what it should.
expect_eq() {
	[ "$2" = "$3" ] || shmfs_die "$1: got '$2', want '$3'"
	ok "$1"
}

# True if $1 is a shmfs mount: the probe name answers with its fixed inode.
# The shell tests' only copy of the probe; C has shmfs_probe() (src/common.h).
shmfs_is_mounted() {
	[ "$(stat -c %i "$1/%shmfs" 2>/dev/null)" = "$SHMFS_PROBE_INO" ]
}

# shmfs_mount [OPTS [ARGS...]]: mounts a daemon with "-o OPTS" (plus
# allow_other as root) and extra daemon ARGS on a new temporary directory,
# waits until it answers and sets MNT to the mountpoint.
shmfs_mount() {
	local opts=${1:-} dir pid i
	[ $# -gt 0 ] && shift

	shmfs_require fuse
	if [ "$(id -u)" = 0 ]; then
		opts=allow_other${opts:+,$opts}
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-sh.XXXXXX") ||
		shmfs_die "mktemp -d failed"
	chmod 755 "$dir"
	mkdir "$dir/mnt" || shmfs_die "mkdir $dir/mnt failed"
	shmfs_dirs+=("$dir")
	# The daemon dies with this shell even if it is killed with -9.
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --pdeathsig TERM -- "$SHMFS_BIN" -f ${opts:+-o "$opts"} "$@" "$dir/mnt" &
	else
		"$SHMFS_BIN" -f ${opts:+-o "$opts"} "$@" "$dir/mnt" &
	fi
	pid=$!
	shmfs_pids+=("$pid")
	# Long enough for a daemon under valgrind on a loaded machine.
	for ((i = 0; i < 3000; i++)); do
		if shmfs_is_mounted "$dir/mnt"; then
			MNT=$dir/mnt
			return 0
		fi
		kill -0 "$pid" 2>/dev/null ||
			shmfs_die "$SHMFS_BIN exited before mounting $dir/mnt"
		sleep 0.01
	done
	shmfs_die "timed out waiting for the mount on $dir/mnt"
}

# Unmounts mount number $1 (default: the last one), stops its daemon and
# removes its directory.  Safe to call twice.
shmfs_umount_one() {
	local - n=${1:-$((${#shmfs_dirs[@]} - 1))} dir pid i

	set +e # also under the caller's set -e: clean up as much as possible
	dir=${shmfs_dirs[$n]:-}
	pid=${shmfs_pids[$n]:-}
	[ -n "$dir" ] || return 0
	if grep -q " $dir/mnt fuse" /proc/mounts 2>/dev/null; then
		umount "$dir/mnt" 2>/dev/null ||
			fusermount3 -u "$dir/mnt" 2>/dev/null ||
			umount -l "$dir/mnt" 2>/dev/null ||
			fusermount3 -u -z "$dir/mnt" 2>/dev/null
	fi
	if [ -n "$pid" ]; then
		# The daemon exits by itself once unmounted; give it a moment.
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.01
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	# rmdir, never rm -r: a mount that failed to go must not be emptied.
	for ((i = 0; i < 50; i++)); do
		rmdir "$dir/mnt" "$dir" 2>/dev/null && break
		sleep 0.01
	done
	shmfs_dirs[$n]=
	shmfs_pids[$n]=
	return 0
}

# Unmounts everything in reverse order; the EXIT trap.
shmfs_cleanup() {
	local - n

	set +e
	for ((n = ${#shmfs_dirs[@]} - 1; n >= 0; n--)); do
		shmfs_umount_one "$n"
	done
}

trap 'shmfs_cleanup' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
