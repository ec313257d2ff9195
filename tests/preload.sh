#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# preload.sh: libshmfs in other programs, on a real mount.  Unmodified
# programs run with LD_PRELOAD=libshmfs.so: Python's
# multiprocessing.shared_memory across two processes, and tests/shm_prog, a
# C program bound to glibc's shm_open (both symbol versions), memfd_create
# and write.  Then a FreeBSD-style program built against include/shmfs.h and
# linked with -lshmfs (shm_rename, SHM_ANON), and Python's multiprocessing,
# whose named semaphores (sem_open) must be objects on the mount.  The shim's own errno rows are
# in tests/check_shim.c.  Prints one line per check, stops at the first
# failure with a message saying what failed.
set -eu
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh" # as root: re-executes under unshare -m first

builddir=${SHMFS_BUILDDIR:-$(pwd)}
shim=${SHMFS_SHIM:-$builddir/.libs/libshmfs.so}
python=${PYTHON3:-python3}
prog=$builddir/tests/shm_prog
export LC_ALL=C
umask 022

# In a sanitizer build (configure --enable-sanitizers) the shim needs the
# ASan runtime first in the initial library list, which only LD_PRELOAD can
# arrange in programs built without it.
asan_rt=$(ldd "$shim" 2>/dev/null | awk '$1 ~ /^libasan\.so/ { print $3 }')

# pre_at MOUNT COMMAND...: runs a command with the shim preloaded.
pre_at() {
	local mnt=$1
	shift
	SHMFS_MOUNT=$mnt LD_PRELOAD="${asan_rt:+$asan_rt }$shim" "$@"
}

# Runs one of our programs with the shim preloaded on the test mount.
pre() {
	pre_at "$MNT" "$@"
}

# The same for programs that are not ours (python3, sh, cp): their leaks
# are not our business, so leak checking is off for them only.
foreign() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 "$@"
}

[ -f "$shim" ] || shmfs_die "no shim at $shim"
[ -x "$prog" ] || shmfs_die "no $prog"
shmfs_mount size=64m
work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-preload.XXXXXX") || shmfs_die "mktemp -d"
# set +e: a failing step of the cleanup must not skip the rest.
trap 'set +e; rm -rf "$work"; shmfs_cleanup' EXIT

# ---- The library exports every glibc version programs are bound to ----
syms=$(objdump -T "$shim")
for want in 'GLIBC_2.34  shm_open' '(GLIBC_2.2.5) shm_open' \
	'GLIBC_2.34  shm_unlink' '(GLIBC_2.2.5) shm_unlink' \
	'GLIBC_2.27  memfd_create' 'GLIBC_2.2.5 write' 'GLIBC_2.2.5 pwrite' \
	'GLIBC_2.2.5 writev' 'GLIBC_2.10  pwritev' 'GLIBC_2.26  pwritev2' \
	'GLIBC_2.2.5 fcntl' 'GLIBC_2.28  fcntl64' 'GLIBC_2.2.5 mmap' \
	'GLIBC_2.2.5 mmap64' 'SHMFS_0     shm_rename' \
	'GLIBC_2.34  sem_open' '(GLIBC_2.2.5) sem_open' 'GLIBC_2.34  sem_close' \
	'(GLIBC_2.2.5) sem_close' 'GLIBC_2.34  sem_unlink' '(GLIBC_2.2.5) sem_unlink' \
	'GLIBC_2.2.5 syscall'; do
	grep -qF "$want" <<<"$syms" || shmfs_die "objdump -T $shim lacks '$want'"
done
extra=$(awk '$2 == "g" && $4 == ".text" { print $NF }' <<<"$syms" | sort -u |
	grep -vxE 'shm_open|shm_unlink|shm_rename|memfd_create|write|writev|pwrite|pwrite64|pwritev|pwritev64|pwritev2|pwritev64v2|fcntl|fcntl64|mmap|mmap64|sem_open|sem_close|sem_unlink|syscall' || true)
expect_eq "libshmfs.so exports only the API" "$extra" ""
ok "objdump -T shows every symbol version"

# ---- (1) Python's multiprocessing.shared_memory, two processes ----
mkfifo "$work/go"
foreign pre "$python" - "$work/go" >"$work/creator.out" 2>"$work/creator.err" <<'EOF' &
import sys
from multiprocessing import shared_memory

shm = shared_memory.SharedMemory(name="shmfs_py", create=True, size=4096)
shm.buf[:11] = b"from python"
print("created", flush=True)
with open(sys.argv[1]) as go:  # until the script says the other side is done
    go.read()
print(bytes(shm.buf[:11]).decode(), flush=True)
shm.close()
shm.unlink()
EOF
creator=$!
for ((i = 0; i < 1000; i++)); do
	grep -q created "$work/creator.out" && break
	kill -0 "$creator" 2>/dev/null ||
		shmfs_die "python creator died: $(cat "$work/creator.err")"
	sleep 0.02
done
grep -q created "$work/creator.out" || shmfs_die "python creator did not start"
expect_eq "python: the object is a file on the mount" \
	"$(stat -c '%s %a' "$MNT/shmfs_py" 2>&1)" "4096 600"
[ ! -e /dev/shm/shmfs_py ] || shmfs_die "python: the object went to /dev/shm"
got=$(foreign pre "$python" - 2>&1 <<'EOF'
from multiprocessing import resource_tracker, shared_memory

shm = shared_memory.SharedMemory(name="shmfs_py")
# Python 3.11 would unlink what it merely attached to when this process ends.
resource_tracker.unregister(shm._name, "shared_memory")
print(bytes(shm.buf[:11]).decode())
shm.buf[:4] = b"FROM"
shm.close()
EOF
) || shmfs_die "python attach: $got"
expect_eq "python: a second process attaches by name and reads" "$got" "from python"
# Opening a FIFO blocks until the other side opens it: not forever.
timeout 60 sh -c 'echo >"$1"' sh "$work/go" || shmfs_die "python creator gone"
wait "$creator" || shmfs_die "python creator failed: $(cat "$work/creator.err")"
expect_eq "python: the creator sees the other process's write" \
	"$(tail -n 1 "$work/creator.out")" "FROM python"
[ ! -e "$MNT/shmfs_py" ] || shmfs_die "python: the object outlived its unlink"
ok "python: unlink removes the file"

# ---- Python's own fcntl and mmap on a sealed memfd ----
seal_script='
import errno, fcntl, mmap, os
fd = os.memfd_create("py", os.MFD_ALLOW_SEALING)
print(os.readlink(f"/proc/self/fd/{fd}").startswith(os.environ["SHMFS_MOUNT"] + "/"))
os.write(fd, b"sealed data")
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK)
print(fcntl.fcntl(fd, fcntl.F_GET_SEALS))
for attempt in (lambda: os.write(fd, b"x"),
		lambda: mmap.mmap(fd, 11, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)):
	try:
		attempt()
	except PermissionError as e:
		print(errno.errorcode[e.errno])
print(mmap.mmap(fd, 11, mmap.MAP_SHARED, mmap.PROT_READ)[:].decode())
'
got=$(foreign pre "$python" -c "$seal_script" 2>&1) || shmfs_die "python seals: $got"
expect_eq "python: memfd seals through fcntl, refused write and mmap" "$got" \
	"$(printf 'True\n10\nEPERM\nEACCES\nsealed data')"
got=$(SHMFS_NATIVE_MEMFD=1 foreign pre "$python" -c "$seal_script" 2>&1) ||
	shmfs_die "python seals, native: $got"
# (Linux refuses the mapping with EPERM where FreeBSD says EACCES.)
expect_eq "python: SHMFS_NATIVE_MEMFD=1 gives the kernel's memfd and seals" "$got" \
	"$(printf 'False\n10\nEPERM\nEPERM\nsealed data')"

# ---- (2) A plain C program bound to glibc (tests/shm_prog) ----
if readelf -d "$prog" | grep -q libshmfs; then
	shmfs_die "$prog is linked to libshmfs; it must not be"
fi
pre "$prog" create /prog "new version" || shmfs_die "shm_prog create"
expect_eq "shm_open@GLIBC_2.34 reaches the shim" "$(cat "$MNT/prog" 2>&1)" "new version"
pre "$prog" old-create /prog-old "old version" || shmfs_die "shm_prog old-create"
expect_eq "shm_open@GLIBC_2.2.5 reaches the shim" "$(cat "$MNT/prog-old" 2>&1)" "old version"
expect_eq "shm_prog reads its object back" "$(pre "$prog" read /prog)" "new version"
expect_eq "a write at the end returns 0, one across it is short" \
	"$(pre "$prog" eof /prog-eof)" "0 2"
got=$(pre "$prog" memfd) || shmfs_die "shm_prog memfd"
case $got in
"5 $MNT/%memfd."*) ok "memfd_create@GLIBC_2.27 reaches the shim, and memfds grow" ;;
*) shmfs_die "shm_prog memfd: got '$got'" ;;
esac
pre "$prog" unlink /prog || shmfs_die "shm_prog unlink"
pre "$prog" old-unlink /prog-old || shmfs_die "shm_prog old-unlink"
pre "$prog" unlink /prog-eof || shmfs_die "shm_prog unlink /prog-eof"
expect_eq "both shm_unlink versions reach the shim" "$(ls -A "$MNT")" ""
# The wrappers leave ordinary writes alone.
foreign pre sh -c 'echo hello >"$SHMFS_MOUNT/echoed"' || shmfs_die "echo > file, preloaded"
foreign pre cp "$prog" "$MNT/copied" || shmfs_die "cp, preloaded"
cmp -s "$prog" "$MNT/copied" || shmfs_die "cp, preloaded: the copy differs"
expect_eq "preloaded shell and cp write files" "$(cat "$MNT/echoed")" "hello"
rm "$MNT/echoed" "$MNT/copied"
# A program without a mount gets ENOSYS and creates nothing.
mkdir "$work/plain"
got=$(pre_at "$work/plain" "$prog" create /x y 2>&1) &&
	shmfs_die "shm_prog on a plain directory succeeded"
expect_eq "no mount: ENOSYS" "$got" "shm_prog: shm_open: Function not implemented"
expect_eq "no mount: nothing created" "$(ls -A "$work/plain")" ""

# ---- (3) A FreeBSD-style program: #include <shmfs.h>, -lshmfs ----
cat >"$work/bsd.c" <<'EOF'
/* Strictly POSIX: shmfs.h must declare memfd_create by itself. */
#include <shmfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

static int make(const char *name, const char *data)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)strlen(data)) != 0 ||
	    pwrite(fd, data, strlen(data), 0) != (ssize_t)strlen(data))
		return -1;
	return close(fd);
}

static int holds(const char *name, const char *data)
{
	char buf[64] = "";
	int fd = shm_open(name, O_RDONLY, 0);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(data) && strcmp(buf, data) == 0;
}

int main(void)
{
	char buf[8] = "";
	int fd, status;
	pid_t pid;

	if (make("/bsd-a", "AAA") != 0 || make("/bsd-b", "BB") != 0)
		return fail("shm_open");
	if (shm_rename("/bsd-a", "/bsd-b", SHM_RENAME_EXCHANGE) != 0)
		return fail("shm_rename exchange");
	if (!holds("/bsd-a", "BB") || !holds("/bsd-b", "AAA"))
		return fail("exchange did not swap");
	if (shm_rename("/bsd-a", "/bsd-b", SHM_RENAME_NOREPLACE) != -1 || errno != EEXIST)
		return fail("noreplace onto an existing name");
	if (shm_rename("/bsd-a", "/bsd-c", SHM_RENAME_EXCHANGE) != 0 || !holds("/bsd-c", "BB"))
		return fail("exchange onto a missing name");
	if (shm_rename("/bsd-c", "/bsd-b", 0) != 0 || !holds("/bsd-b", "BB"))
		return fail("replace");
	fd = shm_open(SHM_ANON, O_RDWR, 0600);
	if (fd < 0 || ftruncate(fd, 8) != 0)
		return fail("SHM_ANON");
	if (write(fd, "12345678", 8) != 8 || write(fd, "9", 1) != 0)
		return fail("SHM_ANON writes");
	pid = fork();
	if (pid == 0)
		_exit(pwrite(fd, "child", 5, 0) == 5 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0 ||
	    pread(fd, buf, 5, 0) != 5 || memcmp(buf, "child", 5) != 0)
		return fail("SHM_ANON across fork");
	close(fd);
	fd = memfd_create("bsd", MFD_CLOEXEC);
	if (fd < 0 || write(fd, "grow", 4) != 4)
		return fail("memfd_create");
	close(fd);
	if (shm_unlink("/bsd-b") != 0)
		return fail("shm_unlink");
	puts("ok");
	return 0;
}
EOF
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$srcdir/include" \
	-o "$work/bsd" "$work/bsd.c" -L"$builddir/.libs" -lshmfs 2>"$work/cc.err" ||
	shmfs_die "building a program with -lshmfs: $(cat "$work/cc.err")"
readelf -d "$work/bsd" | grep -q 'NEEDED.*libshmfs' || shmfs_die "bsd is not linked to libshmfs"
# Built without the sanitizers: like a foreign program, it needs the runtime
# preloaded when the library has it.
got=$(foreign env SHMFS_MOUNT="$MNT" LD_LIBRARY_PATH="$builddir/.libs" \
	${asan_rt:+LD_PRELOAD="$asan_rt"} "$work/bsd" 2>&1) ||
	shmfs_die "the -lshmfs program: $got"
expect_eq "a program linked with -lshmfs: shm_rename, SHM_ANON, memfd_create" "$got" "ok"
expect_eq "it leaves nothing behind" "$(ls -A "$MNT")" ""
if shmfs_want cmd c++ g++ -- "shmfs.h compiles as C++"; then
	printf '#include <shmfs.h>\nint main() { return shm_rename("/a", "/b", SHM_RENAME_NOREPLACE) + (SHM_ANON != 0) + memfd_create("", 0); }\n' >"$work/cxx.cc"
	c++ -Wall -Werror -I"$srcdir/include" -c -o "$work/cxx.o" "$work/cxx.cc" ||
		shmfs_die "shmfs.h does not compile as C++"
	ok "shmfs.h compiles as C++"
fi

# ---- (4) Called from another library's constructor, before the shim's own ----
# Preloaded first, this library's constructor runs before anything of
# libshmfs has been initialised, in an unmodified program (true).
cat >"$work/ctor.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((constructor)) static void early(void)
{
	int named = shm_open("/from-ctor", O_CREAT | O_EXCL | O_RDWR, 0600);
	int anon = shm_open((const char *)1 /* SHM_ANON */, O_RDWR, 0600);
	int mfd = memfd_create("ctor", 0);
	int ok = named >= 0 && anon >= 0 && mfd >= 0 &&
		 ftruncate(named, 4) == 0 && pwrite(named, "ctor", 4, 0) == 4 &&
		 pwrite(named, "x", 1, 4) == 0 && write(mfd, "grow", 4) == 4;

	fprintf(stderr, "%s\n", ok ? "ctor ok" : "ctor FAILED");
}
EOF
cc -shared -fPIC -Wall -Werror ${asan_rt:+-fsanitize=address,undefined} \
	-o "$work/libctor.so" "$work/ctor.c" 2>"$work/cc.err" ||
	shmfs_die "building the constructor library: $(cat "$work/cc.err")"
got=$(foreign env SHMFS_MOUNT="$MNT" \
	LD_PRELOAD="${asan_rt:+$asan_rt }$work/libctor.so $shim" true 2>&1) ||
	shmfs_die "the constructor program: $got"
expect_eq "called from a constructor that runs before the shim's" "$got" "ctor ok"
expect_eq "its named object is a file on the mount" "$(cat "$MNT/from-ctor")" "ctor"
rm -f "$MNT/from-ctor"

# ---- (5) Python's multiprocessing: its semaphores are objects on the mount ----
# Python unlinks each semaphore right after sem_open, so the name never
# lasts: the objects are seen through the daemon's object count and the
# process's mappings while they exist, and /dev/shm is watched with
# inotify for any sem.* name during the run.  (Its heap arenas, pym-*, are
# plain files that Python opens in /dev/shm itself: not ours.)
ls -A /dev/shm >"$work/devshm.before"
watcher=
if command -v inotifywait >/dev/null; then
	inotifywait -m -e create,moved_to --format %f /dev/shm >"$work/devshm.events" \
		2>"$work/inotify.err" &
	watcher=$!
	for ((i = 0; i < 500; i++)); do
		grep -q "Watches established" "$work/inotify.err" && break
		sleep 0.01
	done
	grep -q "Watches established" "$work/inotify.err" ||
		shmfs_die "inotifywait did not start: $(cat "$work/inotify.err")"
	# The watch must see a name made in /dev/shm: a check that can fail.
	: >"/dev/shm/shmfs-preload-probe.$$"
	rm -f "/dev/shm/shmfs-preload-probe.$$"
else
	echo "# inotifywait (inotify-tools) missing: /dev/shm is compared before and after only"
fi
got=$(foreign pre timeout 120 "$python" - 2>&1 <<'EOF'
import multiprocessing as mp, os

mnt = os.environ["SHMFS_MOUNT"]

def objects():
    st = os.statvfs(mnt)
    return st.f_files - st.f_ffree

def sem_maps():
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if mnt + "/sem." in line)

def square(x):
    return x * x

if __name__ == "__main__":
    mp.set_start_method("fork")
    base, maps = objects(), sem_maps()
    lock = mp.Lock()
    with lock:
        print("lock: objects +%d, mapped +%d" % (objects() - base, sem_maps() - maps))
    q = mp.Queue()
    p = mp.Process(target=q.put, args=("queued",))
    p.start()
    print(q.get(timeout=60))
    p.join()
    with mp.Pool(2) as pool:
        print("pool", sum(pool.map(square, range(10))))
    del lock, q
    print("names left:", sorted(n for n in os.listdir(mnt) if n.startswith(("sem.", ".sem"))))
EOF
) || shmfs_die "python multiprocessing: $got"
if [ -n "$watcher" ]; then
	sleep 0.2 # let inotifywait write what it has seen
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null || true
	grep -qx "shmfs-preload-probe.$$" "$work/devshm.events" ||
		shmfs_die "inotify saw nothing in /dev/shm; events: $(cat "$work/devshm.events")"
	expect_eq "python: no sem.* name appeared in /dev/shm during the run (inotify)" \
		"$(grep '^sem\.' "$work/devshm.events" || true)" ""
fi
expect_eq "python: multiprocessing Lock, Queue and Pool(2), semaphores on the mount" \
	"$got" "$(printf 'lock: objects +1, mapped +1\nqueued\npool 285\nnames left: []')"
expect_eq "python: /dev/shm has no new sem.* name after the run" \
	"$(ls -A /dev/shm | grep '^sem\.' | grep -vxFf "$work/devshm.before" || true)" ""

echo "all preload checks passed"
