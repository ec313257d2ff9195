#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# valgrind.sh: runs the daemon under valgrind memcheck through a workload
# that touches every kind of request (create, data, mappings, truncation,
# holes, rename and exchange, unlink while open, readdir, permissions), then
# unmounts and requires no memory error and no leak at exit.
set -eu
. "${SHMFS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

shmfs_require cmd valgrind valgrind
: "${PYTHON3:=python3}"
real_bin=$SHMFS_BIN
log=$(mktemp "${TMPDIR:-/tmp}/shmfs-valgrind.XXXXXX")

# A wrapper program, since lib.sh starts the daemon through setpriv.
wrapper=$(mktemp "${TMPDIR:-/tmp}/shmfs-vg-wrapper.XXXXXX")
cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --error-exitcode=3 \\
	--log-file="$log" "$real_bin" "\$@"
WRAP
chmod 755 "$wrapper"
trap 'shmfs_cleanup; rm -f "$wrapper" "$log"' EXIT
SHMFS_BIN=$wrapper
shmfs_mount size=256m,nr_objects=1000

cd "$MNT"
echo hello >a
[ "$(cat a)" = hello ] || shmfs_die "read back"
dd if=/dev/urandom of=big bs=64k count=64 status=none
cp big copy && cmp big copy || shmfs_die "cp round trip"
truncate -s 10M sparse && truncate -s 4097 sparse
mv a b && mv copy b
mkdir d 2>/dev/null && shmfs_die "mkdir succeeded"
ls -la >/dev/null && df . >/dev/null
chmod 600 b && chown 65534:65534 b
data_path=$("$SHMFSCTL" -m "$MNT" info | sed -n 's/^data path: *//p')
"$PYTHON3" - "$MNT" "$data_path" <<'PY'
import ctypes, mmap, os, sys
mnt, data_path = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(os.path.join(mnt, "m"), os.O_CREAT | os.O_RDWR, 0o600)
os.ftruncate(fd, 1 << 20)
m = mmap.mmap(fd, 1 << 20)
m[4096:4100] = b"abcd"
m.flush()
assert os.pread(fd, 4, 4096) == b"abcd"
os.posix_fallocate(fd, 0, 2 << 20)
libc.fallocate(fd, 3, 0, 8192)  # KEEP_SIZE | PUNCH_HOLE
# With passthrough the memfd is exact; else a writer is open (us), and
# everything counts as data.
if data_path == "passthrough":
    assert os.lseek(fd, 0, os.SEEK_HOLE) == 0
    try:  # the only data was in the punched range; fallocate only promises
        os.lseek(fd, 0, os.SEEK_DATA)
        assert False, "SEEK_DATA found data"
    except OSError as e:
        assert e.errno == 6, e  # ENXIO
else:
    assert data_path == "daemon", data_path
    assert os.lseek(fd, 0, os.SEEK_HOLE) == 2 << 20
os.unlink(os.path.join(mnt, "m"))
m[0] = 1                            # still usable after unlink
m.close()
os.close(fd)
x = os.open(os.path.join(mnt, "x"), os.O_CREAT | os.O_RDWR, 0o600)
y = os.open(os.path.join(mnt, "y"), os.O_CREAT | os.O_RDWR, 0o600)
RENAME_EXCHANGE = 2
assert libc.renameat2(-100, os.path.join(mnt, "x").encode(), -100,
                      os.path.join(mnt, "y").encode(), RENAME_EXCHANGE) == 0
os.close(x)
os.close(y)
PY
rm -f b big sparse x
exec 7<>y          # keep one object open across unmount
cd /

umount "$MNT" 2>/dev/null || umount -l "$MNT"   # busy: fd 7
exec 7>&-
status=0
wait "${shmfs_pids[0]}" || status=$?
shmfs_pids[0]=
if [ "$status" != 0 ] || [ -s "$log" ]; then
	cat "$log" >&2
	shmfs_die "valgrind found errors or leaks (exit status $status)"
fi
echo "PASS: valgrind memcheck: no errors, no leaks"
