#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# deb.sh: builds the Debian packages (dpkg-buildpackage -us -uc -b) from a
# copy of the source tree, checks their contents, dependencies and lintian,
# checks apt would install them, then stages them with dpkg -x and runs the
# staged daemon, shmfsctl, a program built against the staged library with
# the staged pkg-config file, and Python with the staged library preloaded.
# Nothing is installed system-wide.  The package build does not run the
# suite (DEB_BUILD_OPTIONS=nocheck).
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

export LC_ALL=C
: "${PYTHON3:=python3}"
unset ASAN_OPTIONS UBSAN_OPTIONS # the packages are built without sanitizers

shmfs_require cmd dpkg-buildpackage dpkg-dev
shmfs_require cmd dh debhelper
shmfs_require cmd lintian lintian
shmfs_require cmd apt-get apt
shmfs_require cmd cc gcc
shmfs_require cmd pkg-config pkg-config
shmfs_require fuse # the staged daemon is mounted at the end
[ -d "$srcdir/debian" ] || shmfs_die "no debian/ in $srcdir"

work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-deb.XXXXXX") || shmfs_die mktemp
chmod 755 "$work"
trap 'shmfs_cleanup; rm -rf "$work"' EXIT

# A writable copy (make distcheck's source tree is read-only); the packages
# land next to it, in $work.
mkdir "$work/src" || shmfs_die mkdir
tar -C "$srcdir" --exclude=.git --exclude=autom4te.cache -cf - . | tar -C "$work/src" -xf - ||
	shmfs_die "copying the source tree"
chmod -R u+w "$work/src"
start=$(date +%s)
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	shmfs_die "dpkg-buildpackage -us -uc -b failed"
}
ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"

version=$(cd "$work/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() {
	echo "$work/${1}_${version}_${arch}.deb"
}
for p in shmfs libshmfs0 libshmfs-dev; do
	[ -f "$(deb "$p")" ] || shmfs_die "no package $p"
done
ok "three packages: shmfs, libshmfs0, libshmfs-dev"

# contents PACKAGE: its regular files and links, one path a line, sorted.
contents() {
	dpkg-deb -c "$(deb "$1")" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort
}
expect_eq "shmfs's files" "$(contents shmfs)" "$(sort <<EOF2
/usr/lib/systemd/system/dev-shmfs.mount
/usr/bin/shmfs
/usr/bin/shmfsctl
/usr/share/doc/shmfs/changelog.gz
/usr/share/doc/shmfs/copyright
/usr/share/man/man1/shmfsctl.1.gz
/usr/share/man/man7/libshmfs.7.gz
/usr/share/man/man7/shmfs.7.gz
/usr/share/man/man8/shmfs.8.gz
EOF2
)"
expect_eq "libshmfs0's files" "$(contents libshmfs0)" "$(sort <<EOF2
/usr/lib/$multiarch/libshmfs.so.0
/usr/lib/$multiarch/libshmfs.so.0.0.0
/usr/share/doc/libshmfs0/changelog.gz
/usr/share/doc/libshmfs0/copyright
EOF2
)"
expect_eq "libshmfs-dev's files" "$(contents libshmfs-dev)" "$(sort <<EOF2
/usr/include/shmfs.h
/usr/lib/$multiarch/libshmfs.so
/usr/lib/$multiarch/pkgconfig/shmfs.pc
/usr/share/doc/libshmfs-dev/changelog.gz
/usr/share/doc/libshmfs-dev/copyright
/usr/share/man/man3/shm_open.3.gz
/usr/share/man/man3/shm_rename.3.gz
EOF2
)"
# libfuse's library package (libfuse3-3 on Debian 12, libfuse3-4 on 13),
# through ${shlibs:Depends}.
libfuse=$(dpkg-query -S "*/$(basename "$(readlink -f "$(pkg-config --variable=libdir fuse3)/libfuse3.so")")" |
	sed 's/:.*//' | sort -u)
[ -n "$libfuse" ] || shmfs_die "no package holds libfuse3.so's library"
depends=$(dpkg-deb -f "$(deb shmfs)" Depends)
case ", $depends," in
*", fuse3,"*", $libfuse "*) ok "shmfs depends on fuse3 and $libfuse ($depends)" ;;
*) shmfs_die "shmfs's Depends, without fuse3 or $libfuse: $depends" ;;
esac
expect_eq "libshmfs-dev depends on the same libshmfs0" \
	"$(dpkg-deb -f "$(deb libshmfs-dev)" Depends)" "libshmfs0 (= $version)"
dpkg-deb --fsys-tarfile "$(deb shmfs)" | tar -xOf - ./usr/lib/systemd/system/dev-shmfs.mount |
	grep -qx 'RequiresMountsFor=/usr/bin' || shmfs_die "the unit does not name /usr/bin"
ok "the packaged unit names /usr/bin"

# apt would install the three (every dependency resolvable here).
apt-get install -s --no-install-recommends "$(deb shmfs)" "$(deb libshmfs0)" \
	"$(deb libshmfs-dev)" >"$work/apt.log" 2>&1 || {
	cat "$work/apt.log" >&2
	shmfs_die "apt-get install -s of the packages failed"
}
for p in shmfs libshmfs0 libshmfs-dev; do
	grep -q "^Inst $p " "$work/apt.log" || shmfs_die "apt-get -s would not install $p"
done
ok "apt-get install -s: installable"

# lintian: no error and no warning (informational tags are printed).
lintian --allow-root --fail-on error,warning --info \
	"$work/shmfs_${version}_${arch}.changes" >"$work/lintian.log" 2>&1
rc=$?
cat "$work/lintian.log"
[ "$rc" = 0 ] || shmfs_die "lintian: exit $rc (errors or warnings above)"
ok "lintian: no error or warning"

# ---- the staged packages at work ----
root=$work/root
for p in shmfs libshmfs0 libshmfs-dev; do
	dpkg -x "$(deb "$p")" "$root" || shmfs_die "dpkg -x $p"
done
SHMFS_BIN=$root/usr/bin/shmfs
shmfs_mount size=16m
export SHMFS_MOUNT=$MNT
ctl=$root/usr/bin/shmfsctl
"$ctl" create -m 640 -s 4k /from-ctl || shmfs_die "staged shmfsctl create"
expect_eq "staged shmfsctl ls" "$("$ctl" ls | awk 'NR > 1 { print $1, $4, $6 }')" \
	"-rw-r----- 4096 /from-ctl"

libdir=$root/usr/lib/$multiarch
pc() {
	PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$libdir/pkgconfig pkg-config "$@" shmfs
}
expect_eq "pkg-config --modversion" "$(pc --modversion)" "${version%%-*}"
cat >"$work/prog.c" <<'EOF2'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <shmfs.h>

int main(void)
{
	int fd = shm_open("/a/tmp", O_RDWR | O_CREAT | O_EXCL, 0644);
	int anon = shm_open(SHM_ANON, O_RDWR, 0600);
	char *p;

	if (fd < 0 || anon < 0 || ftruncate(fd, 4096) != 0)
		return perror("shm_open"), 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	strcpy(p, "linked");
	if (shm_rename("/a/tmp", "/from-ctl", SHM_RENAME_NOREPLACE) == 0)
		return fputs("NOREPLACE replaced\n", stderr), 1;
	if (shm_rename("/a/tmp", "/from-ctl", SHM_RENAME_EXCHANGE) != 0)
		return perror("shm_rename"), 1;
	puts("done");
	return 0;
}
EOF2
# shellcheck disable=SC2046
cc -o "$work/prog" "$work/prog.c" $(pc --cflags --libs) ||
	shmfs_die "building against the staged library"
expect_eq "the program links the staged libshmfs" \
	"$(LD_LIBRARY_PATH=$libdir ldd "$work/prog" | awk '/libshmfs/ { print $3 }')" \
	"$libdir/libshmfs.so.0"
expect_eq "the linked program runs" "$(LD_LIBRARY_PATH=$libdir "$work/prog")" "done"
expect_eq "its object, exchanged onto /from-ctl" "$(tr -d '\0' <"$MNT/from-ctl")" "linked"
expect_eq "shmfsctl sees the exchange" "$("$ctl" ls | awk 'NR > 1 { print $4, $6 }')" \
	"$(printf '4096 /a/tmp\n4096 /from-ctl')"

LD_PRELOAD=$libdir/libshmfs.so.0 "$PYTHON3" -c '
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(name="py", create=True, size=4096)
shm.buf[:7] = b"preload"
import os
print(open(os.environ["SHMFS_MOUNT"] + "/py", "rb").read(7).decode())
shm.close()
shm.unlink()' >"$work/py.out" || shmfs_die "Python with the staged library preloaded"
expect_eq "Python's object was on the mount" "$(cat "$work/py.out")" "preload"
[ ! -e "$MNT/py" ] || shmfs_die "Python's unlink left /py"
ok "Python's unlink removed it"
"$ctl" rm /a/tmp /from-ctl || shmfs_die "staged shmfsctl rm"
expect_eq "empty at the end" "$(ls -A "$MNT")" ""
echo "all package checks passed"
