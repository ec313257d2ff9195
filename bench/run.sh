#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh: mounts shmfs, a fresh tmpfs, libfuse's passthrough_ll example
# and, where libfuse >= 3.17 and its source are at hand, libfuse's
# passthrough_hp example with FUSE passthrough (each over a tmpfs of its own)
# side by side, builds and runs bench/shmbench.c on all of them, and prints
# the machine details, the data path shmfs got and the results table.
# Needs root (mounts, drop_caches).  Everything runs in a private mount
# namespace and is unmounted on exit, also on failure or Ctrl-C.
#
#   bench/run.sh [--quick] [--reps N] [--count-requests | --count-only]
#                [--builddir DIR] [--raw FILE] [--pt-opts OPTS]
#                [--fuse-src DIR] [--only G1,G2] [--shmfs-args ARGS]
#
# --quick           smoke test, about a minute: one repetition, smaller sizes
# --reps N          repetitions of the timed cases (default 9; quick: 1)
# --count-requests  afterwards, remount shmfs with -d and count the FUSE
#                   requests each case causes (libfuse's "opcode:" lines)
# --count-only      only the request count, no timed run
# --builddir DIR    where `make shmfs libshmfs.la` ran (default: $SHMFS_BUILDDIR,
#                   else the current directory)
# --raw FILE        every sample, tab-separated, for later analysis
# --pt-opts OPTS    passthrough_ll's -o options (default: cache=always)
# --fuse-src DIR    where libfuse's source is: an unpacked tree, or the
#                   fuse3_*.orig.tar.gz of `apt-get source --download-only
#                   fuse3`, for example/passthrough_hp.cc (default: $FUSE_SRC,
#                   else /usr/src/fuse3); needs g++ and libfuse >= 3.17
# --shmfs-args ARGS extra daemon arguments for shmfs, e.g. "-s" (experiments)
# --only G1,G2      only these case groups (see shmbench's usage: life ofc
#                   statw statc readdir rx io map dirty ping memobj kobj
#                   membyte sparse)
set -eu

usage() {
	sed -n '2,/^set -eu/s/^# \{0,1\}//p' "$0"
	exit 2
}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

case " $* " in *" -h "*|*" --help "*) usage ;; esac
[ "$(id -u)" = 0 ] || die "needs root (it mounts filesystems and drops caches)"
SCRIPT=$(readlink -f "$0")
# A private mount namespace: even if this shell is killed with SIGKILL, the
# mounts vanish with it.  The trap below still unmounts in the normal case.
if [ -z "${SHMBENCH_NS:-}" ] && command -v unshare >/dev/null 2>&1; then
	SHMBENCH_NS=1 exec unshare --mount --propagation private /bin/sh "$SCRIPT" "$@"
fi

SRCDIR=$(dirname "$(dirname "$SCRIPT")")
BUILDDIR=${SHMFS_BUILDDIR:-$PWD}
QUICK=
REPS=
COUNT=
TIMED=1
RAW=
PT_OPTS=cache=always
SHMFS_ARGS=
ONLY=
FUSE_SRC=${FUSE_SRC:-/usr/src/fuse3}
FUSE_EXAMPLES=/usr/share/doc/libfuse3-dev/examples
SHMFS_OPTS=size=8g,nr_objects=1000000,allow_other

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=--quick ;;
	--reps) REPS=$2; shift ;;
	--count-requests) COUNT=1 ;;
	--count-only) COUNT=1; TIMED= ;;
	--builddir) BUILDDIR=$2; shift ;;
	--raw) RAW=$(readlink -f "$2"); shift ;;
	--pt-opts) PT_OPTS=$2; shift ;;
	--shmfs-args) SHMFS_ARGS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--fuse-src) FUSE_SRC=$2; shift ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done

BUILDDIR=$(readlink -f "$BUILDDIR")
SHMFS=$BUILDDIR/shmfs
SHIM=$BUILDDIR/.libs/libshmfs.so
[ -x "$SHMFS" ] || die "no daemon at $SHMFS: run 'make shmfs' there, or pass --builddir"
if [ ! -f "$SHIM" ]; then
	echo "run.sh: no shim at $SHIM: shm life cycle on shmfs uses open(2)" >&2
	SHIM=
fi
[ -f "$FUSE_EXAMPLES/passthrough_ll.c" ] ||
	die "$FUSE_EXAMPLES/passthrough_ll.c missing (install libfuse3-dev)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shmbench.XXXXXX")
SHMFS_PID=
BIG_PID=
PT_PID=
HP_PID=

# Stops a daemon we started, by its pid, after its mount is gone.
stop_daemon() {
	[ -n "$1" ] || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	set +e
	for m in pt hp shmfs big tmpfs ptsrc hpsrc; do
		if mountpoint -q "$WORK/$m" 2>/dev/null; then
			umount "$WORK/$m" 2>/dev/null || umount -l "$WORK/$m"
		fi
	done
	stop_daemon "$PT_PID"
	stop_daemon "$HP_PID"
	stop_daemon "$SHMFS_PID"
	stop_daemon "$BIG_PID"
	if grep -q " $WORK/" /proc/mounts; then
		echo "run.sh: still mounted under $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Waits until MNT shows up as a FUSE mount served by PID; LOG explains failure.
wait_fuse() {
	i=0
	while :; do
		case $(stat -f -c %T "$1" 2>/dev/null) in
		fuse*) return 0 ;;
		esac
		kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "daemon for $1 exited"; }
		[ $i -lt 100 ] || { cat "$3" >&2; die "$1 not mounted after 10 s"; }
		sleep 0.1
		i=$((i + 1))
	done
}

mkdir "$WORK/shmfs" "$WORK/big" "$WORK/tmpfs" "$WORK/ptsrc" "$WORK/pt" \
	"$WORK/hpsrc" "$WORK/hp"
cc -O2 -Wall -Wextra -o "$WORK/shmbench" "$SRCDIR/bench/shmbench.c"
# shellcheck disable=SC2046
cc -O2 $(pkg-config fuse3 --cflags) -o "$WORK/passthrough_ll" \
	"$FUSE_EXAMPLES/passthrough_ll.c" $(pkg-config fuse3 --libs)

# passthrough_hp is not among Debian's installed examples: build it from
# libfuse's source if we have it (never shipped here: it is libfuse's code).
# Sets HP_WHY when it cannot.
build_hp() {
	HP_WHY=
	if ! pkg-config --atleast-version=3.17 fuse3; then
		HP_WHY="libfuse $(pkg-config --modversion fuse3) < 3.17 has no passthrough for it"
		return 1
	fi
	hp_src=
	for c in "$FUSE_SRC"/example "$FUSE_SRC"/fuse-3*/example; do
		[ -f "$c/passthrough_hp.cc" ] && { hp_src=$c; break; }
	done
	if [ -z "$hp_src" ]; then
		for t in "$FUSE_SRC"/fuse3_*.orig.tar.gz "$FUSE_SRC"/fuse-3*.tar.*; do
			[ -f "$t" ] || continue
			mkdir -p "$WORK/fusesrc"
			tar xf "$t" -C "$WORK/fusesrc" || continue
			for c in "$WORK"/fusesrc/*/example; do
				[ -f "$c/passthrough_hp.cc" ] && { hp_src=$c; break; }
			done
			[ -n "$hp_src" ] && break
		done
	fi
	if [ -z "$hp_src" ]; then
		HP_WHY="no libfuse source in $FUSE_SRC (apt-get source --download-only fuse3 there, with a deb-src line)"
		return 1
	fi
	command -v g++ >/dev/null 2>&1 || { HP_WHY="no g++"; return 1; }
	# shellcheck disable=SC2046
	if ! g++ -std=c++17 -O2 -o "$WORK/passthrough_hp" "$hp_src/passthrough_hp.cc" \
		$(pkg-config fuse3 --cflags --libs) -lpthread >"$WORK/hp-build.log" 2>&1; then
		HP_WHY="g++ failed on $hp_src/passthrough_hp.cc (see $WORK/hp-build.log)"
		return 1
	fi
	HP_SRC=$hp_src
}
HP_SRC=
build_hp || true

# passthrough_ll keeps an O_PATH descriptor per inode the kernel knows.
# dash and bash both have ulimit -n and -H.
# shellcheck disable=SC3045
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start_shmfs() { # DEBUG-FLAG
	if [ -n "$1" ]; then
		# shellcheck disable=SC2086
		"$SHMFS" -d $SHMFS_ARGS -o "$SHMFS_OPTS" "$WORK/shmfs" >"$WORK/shmfs.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		"$SHMFS" -f $SHMFS_ARGS -o "$SHMFS_OPTS" "$WORK/shmfs" >"$WORK/shmfs.log" 2>&1 &
	fi
	SHMFS_PID=$!
	wait_fuse "$WORK/shmfs" "$SHMFS_PID" "$WORK/shmfs.log"
}

start_shmfs ""
# Only for the sparse 1 TiB object: shmfs promises an object's whole size.
"$SHMFS" -f -o size=2t,nr_objects=1000,allow_other "$WORK/big" >"$WORK/big.log" 2>&1 &
BIG_PID=$!
wait_fuse "$WORK/big" "$BIG_PID" "$WORK/big.log"
mount -t tmpfs -o size=8g none "$WORK/tmpfs"
mount -t tmpfs -o size=8g none "$WORK/ptsrc"
"$WORK/passthrough_ll" -f -o "source=$WORK/ptsrc,$PT_OPTS" "$WORK/pt" \
	>"$WORK/pt.log" 2>&1 &
PT_PID=$!
wait_fuse "$WORK/pt" "$PT_PID" "$WORK/pt.log"
if [ -n "$HP_SRC" ]; then
	# FUSE passthrough is its default (--nopassthrough turns it off), and
	# so are day-long entry and attribute timeouts with keep_cache (not
	# --nocache): the same caching as the others.
	mount -t tmpfs -o size=8g none "$WORK/hpsrc"
	"$WORK/passthrough_hp" --foreground "$WORK/hpsrc" "$WORK/hp" \
		>"$WORK/hp.log" 2>&1 &
	HP_PID=$!
	wait_fuse "$WORK/hp" "$HP_PID" "$WORK/hp.log"
	# passthrough_hp falls back to plain reads and writes, with a message,
	# when the kernel refuses passthrough (no CAP_SYS_ADMIN, old kernel):
	# probe with an open.
	: >"$WORK/hp/.probe" && rm -f "$WORK/hp/.probe"
fi

# The data path shmfs got: its ioctl through shmfsctl, else its log.
SHMFSCTL=$BUILDDIR/shmfsctl
data_path() { # MOUNT LOG
	p=
	[ -x "$SHMFSCTL" ] &&
		p=$("$SHMFSCTL" -m "$1" info 2>/dev/null | sed -n 's/^data path: *//p')
	q=$(sed -n 's/.*shmfs: data path: //p' "$2" | head -n 1)
	echo "${p:-unknown}${q:+ (daemon log: data path: $q)}"
}

REV=$(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo unknown)
echo "shmfs benchmark: shmfs vs tmpfs vs libfuse passthrough_ll${HP_SRC:+ and passthrough_hp}"
echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
echo "machine:   $(nproc) CPUs, $CPU," \
	"$(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "kernel:    $(uname -r)"
echo "libfuse:   $(pkg-config --modversion fuse3)"
VERSION=$("$SHMFS" -V 2>/dev/null | grep "^shmfs version")
echo "shmfs:     $VERSION, source $REV, shim: ${SHIM:-none}"
echo "data path: $(data_path "$WORK/shmfs" "$WORK/shmfs.log")"
echo "mounts:    shmfs -f ${SHMFS_ARGS:+$SHMFS_ARGS }-o $SHMFS_OPTS" \
	"${SHMFS_ARGS:-(default multithreaded loop)}"
echo "           tmpfs: mount -t tmpfs -o size=8g (fresh)"
echo "           passthrough_ll -f -o source=<fresh tmpfs size=8g>,$PT_OPTS" \
	"(multithreaded, no writeback cache)"
if [ -n "$HP_SRC" ]; then
	if grep -q "disabling rw passthrough" "$WORK/hp.log"; then
		HP_MODE="FUSE passthrough REFUSED by the kernel: plain reads and writes"
	else
		HP_MODE="FUSE passthrough on"
	fi
	echo "           passthrough_hp --foreground <fresh tmpfs size=8g>" \
		"(built from $HP_SRC; $HP_MODE, day-long timeouts, keep_cache," \
		"multithreaded)"
else
	echo "           passthrough_hp: NOT RUN: $HP_WHY"
fi
if [ -z "$TIMED" ]; then
	MODE="request count only"
elif [ -n "$QUICK" ]; then
	MODE="quick, ${REPS:-1} repetition(s)"
else
	MODE="full, ${REPS:-9} repetitions"
fi
echo "mode:      $MODE; medians; ratio = throughput vs tmpfs (>1: faster)"
echo "cold stat: 'echo 2 > /proc/sys/vm/drop_caches' (dentries, inodes) before each"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) at start" \
	"(other work on the machine skews results)"

if [ -n "$TIMED" ]; then
	"$WORK/shmbench" $QUICK ${REPS:+--reps "$REPS"} ${RAW:+--raw "$RAW"} \
		${ONLY:+--only "$ONLY"} \
		--shim "$SHIM" \
		--shmfs "$WORK/shmfs" --shmfs-pid "$SHMFS_PID" \
		--big-shmfs "$WORK/big" --big-shmfs-pid "$BIG_PID" \
		--tmpfs "$WORK/tmpfs" \
		--pt "$WORK/pt" --pt-pid "$PT_PID" \
		${HP_SRC:+--hp "$WORK/hp" --hp-pid "$HP_PID"}
	if [ -n "$HP_SRC" ] && grep -q "disabling rw passthrough" "$WORK/hp.log"; then
		echo "run.sh: passthrough_hp lost FUSE passthrough during the run:"
		grep "passthrough" "$WORK/hp.log" | head -n 3
	fi
fi

if [ -n "$COUNT" ]; then
	umount "$WORK/shmfs"
	stop_daemon "$SHMFS_PID"
	SHMFS_PID=
	start_shmfs debug
	echo
	echo "data path: $(data_path "$WORK/shmfs" "$WORK/shmfs.log") (the -d daemon)"
	"$WORK/shmbench" --count-log "$WORK/shmfs.log" --shim "$SHIM" ${ONLY:+--only "$ONLY"} \
		--shmfs "$WORK/shmfs" --shmfs-pid "$SHMFS_PID" \
		--big-shmfs "$WORK/big" --big-shmfs-pid "$BIG_PID"
fi
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) at the end"
