#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mount.sh: mount(8) with -t fuse.shmfs, an fstab line (mount -T FILE) and
# umount(8), through the system's mount.fuse3, as an installed shmfs is
# mounted.  Needs root.  mount(8) clears PATH, so mount.fuse3 finds "shmfs"
# in /bin/sh's default PATH: the test binds a directory holding the built
# daemon over /usr/local/sbin, first in that PATH, inside its private mount
# namespace (lib.sh), which nothing else sees.
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

export LC_ALL=C

shmfs_require root # mount(8) of a FUSE filesystem, bind over /usr/local/sbin
shmfs_require fuse
[ -n "${SHMFS_LIB_UNSHARED:-}" ] || shmfs_die "no private mount namespace (unshare missing?)"
bin=$(cd "$(dirname "$SHMFS_BIN")" && pwd)/$(basename "$SHMFS_BIN")
[ -x "$bin" ] || shmfs_die "no daemon at $SHMFS_BIN"

work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-mount.XXXXXX") || shmfs_die mktemp
chmod 755 "$work"
mkdir "$work/bin" "$work/a" "$work/b" || shmfs_die mkdir
ln -s "$bin" "$work/bin/shmfs" || shmfs_die "ln -s"
[ -d /usr/local/sbin ] || shmfs_die "/usr/local/sbin is missing"
mount --bind "$work/bin" /usr/local/sbin || shmfs_die "mount --bind over /usr/local/sbin"

# Unmounts whatever is left, then removes the directories (never rm -r).
cleanup() {
	local d
	for d in "$work/a" "$work/b" /usr/local/sbin; do
		grep -q " $d " /proc/mounts && umount -l "$d"
	done
	rm -f "$work/bin/shmfs" "$work/fstab"
	rmdir "$work/bin" "$work/a" "$work/b" "$work"
	shmfs_cleanup
}
trap cleanup EXIT

# The pid of the daemon serving mountpoint $1, found by its command line.
daemon_of() {
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^shmfs [^ ]* $1 "; then
			echo "${p#/proc/}"
			return 0
		fi
	done
	return 1
}

# check_mounted WHAT DIR SIZE: the mount is shmfs, served by the built
# daemon, with the given size, and usable.
check_mounted() {
	local what=$1 dir=$2 size=$3 pid fields
	shmfs_is_mounted "$dir" || shmfs_die "$what: no shmfs probe entry on $dir"
	fields=$(awk -v d="$dir" '$2 == d { print $1, $3 }' /proc/mounts)
	expect_eq "$what: source and type in /proc/mounts" "$fields" "shmfs fuse.shmfs"
	pid=$(daemon_of "$dir") || {
		ps -eo pid,args | grep '[s]hmfs' >&2
		shmfs_die "$what: no daemon for $dir"
	}
	expect_eq "$what: served by the built daemon" "$(readlink "/proc/$pid/exe")" \
		"$(readlink -f "$bin")"
	expect_eq "$what: size=" "$(stat -f -c '%b' "$dir")" "$((size / 4096))"
	echo data >"$dir/obj" || shmfs_die "$what: writing an object"
	expect_eq "$what: an object reads back" "$(cat "$dir/obj")" data
	mounted_pid=$pid
}

# check_umount WHAT DIR: umount(8) removes the mount and the daemon exits.
check_umount() {
	local what=$1 dir=$2 i
	umount "$dir" || shmfs_die "$what: umount $dir failed"
	! grep -q " $dir " /proc/mounts || shmfs_die "$what: still mounted"
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$mounted_pid" 2>/dev/null || break
		sleep 0.01
	done
	! kill -0 "$mounted_pid" 2>/dev/null || shmfs_die "$what: daemon still running"
	ok "$what: umount, and the daemon exits"
}

# mount(8) turns a source that names an existing file into its full path
# (the build directory holds "shmfs"); shmfs ignores the source, but mount
# from / to see what an administrator sees.
cd / || shmfs_die "cd /"

# ---- mount -t fuse.shmfs ----
mount -t fuse.shmfs -o size=1g,allow_other shmfs "$work/a" ||
	shmfs_die "mount -t fuse.shmfs failed"
ok "mount -t fuse.shmfs -o size=1g,allow_other shmfs DIR"
check_mounted "mount -t" "$work/a" $((1024 * 1024 * 1024))
grep " $work/a " /proc/mounts | grep -q allow_other ||
	shmfs_die "mount -t: allow_other missing from /proc/mounts"
ok "mount -t: allow_other reached the kernel"
check_umount "mount -t" "$work/a"

# ---- an fstab line, with the options only mount(8) cares about ----
printf '# test fstab\nshmfs  %s  fuse.shmfs  size=2g,allow_other,nofail,noauto,x-systemd.after=x.service  0  0\n' \
	"$work/b" >"$work/fstab" || shmfs_die "writing the fstab"
mount -T "$work/fstab" "$work/b" || shmfs_die "mount -T FSTAB DIR failed"
ok "mount of an fstab line by its mountpoint"
check_mounted "fstab" "$work/b" $((2 * 1024 * 1024 * 1024))
check_umount "fstab" "$work/b"

# A bad option fails the mount and leaves nothing mounted.
if mount -t fuse.shmfs -o size=bogus shmfs "$work/a" 2>/dev/null; then
	shmfs_die "mount -o size=bogus succeeded"
fi
! grep -q " $work/a " /proc/mounts || shmfs_die "mount -o size=bogus left a mount"
ok "mount -o size=bogus fails, mounts nothing"
echo "all mount checks passed"
