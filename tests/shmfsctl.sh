#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# shmfsctl.sh: every shmfsctl subcommand, its errors and exit codes, on a
# real shmfs mount.  Prints one line per check and stops at the first failure.
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

: "${SHMFSCTL:=${SHMFS_BUILDDIR:-.}/shmfsctl}"
: "${PYTHON3:=python3}"
umask 022
export LC_ALL=C

# run_ctl: runs shmfsctl, leaving stdout in $out, stderr in $err and the exit
# status in $rc.
run_ctl() {
	local ef
	ef=$(mktemp) || shmfs_die mktemp
	out=$("$SHMFSCTL" "$@" 2>"$ef")
	rc=$?
	err=$(cat "$ef")
	rm -f "$ef"
}

# expect_rc WHAT RC [ERRTEXT] -- ARGS...: shmfsctl ARGS exits with RC and,
# if given, says ERRTEXT on stderr.
expect_rc() {
	local what=$1 want=$2 text=
	shift 2
	if [ "$1" != -- ]; then
		text=$1
		shift
	fi
	shift
	run_ctl "$@"
	[ "$rc" = "$want" ] || shmfs_die "$what: exit $rc, want $want (stderr: $err)"
	if [ -n "$text" ]; then
		case $err in
		*"$text"*) ;;
		*) shmfs_die "$what: stderr '$err' does not say '$text'" ;;
		esac
	fi
	ok "$what"
}

# json EXPR: evaluates a Python expression on the JSON in $out (as j).
json() {
	"$PYTHON3" -c 'import json, sys; j = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1" <<<"$out" ||
		shmfs_die "bad JSON: $out"
}

shmfs_mount size=16m,nr_objects=100
export SHMFS_MOUNT=$MNT

# ---- usage and the mount ----
expect_rc "no command: exit 2" 2 usage -- 
expect_rc "unknown command: exit 2" 2 "unknown command 'frob'" -- frob
expect_rc "unknown option: exit 2" 2 -- --bogus ls
expect_rc "--help: exit 0" 0 -- --help
case $out in *"Exit status"*) ok "--help prints the usage" ;; *) shmfs_die "--help: $out" ;; esac
expect_rc "-V: exit 0" 0 -- -V
expect_eq "-V prints the version" "${out%% *}" "shmfsctl"
expect_rc "ls with an argument: exit 2" 2 -- ls /x
expect_rc "not a shmfs mount: exit 3" 3 "not a shmfs mount" -- -m /tmp ls
expect_rc "a missing mount: exit 3" 3 "No such file or directory" -- -m /nonexistent/dir ls
SHMFS_MOUNT=/tmp expect_rc "SHMFS_MOUNT elsewhere: exit 3" 3 "not a shmfs mount" -- ls
SHMFS_MOUNT=/tmp expect_rc "-m overrides SHMFS_MOUNT" 0 -- -m "$MNT" ls
SHMFS_MOUNT=/tmp expect_rc "a usage error is exit 2 whatever the mount" 2 "needs two names" -- rename /x
SHMFS_MOUNT=/tmp expect_rc "a bad size is exit 2 whatever the mount" 2 "bad size" -- truncate -s x /x
expect_rc "--mount DIR" 0 -- --mount "$MNT" ls
expect_eq "ls of an empty mount: the header only" "$out" \
	"$(printf '%-10s %-8s %-8s %12s %4s %s' MODE OWNER GROUP SIZE OPEN NAME)"
expect_rc "--json ls of an empty mount" 0 -- --json ls
expect_eq "--json ls of an empty mount is []" "$out" "[]"

# ---- info ----
expect_rc "info" 0 -- info
expect_eq "info: size and objects of an empty mount" "$(sed -n '1,2p' <<<"$out")" \
	"$(printf 'size:         16777216 bytes, 16777216 free\nobjects:      100, 100 free')"
data_path=$(sed -n 's/^data path: *//p' <<<"$out")
case $data_path in
passthrough | daemon) ok "info: the data path is $data_path" ;;
*) shmfs_die "info: data path '$data_path'" ;;
esac
expect_rc "info with an argument: exit 2" 2 "takes no arguments" -- info /x
expect_rc "--json info" 0 -- --json info
expect_eq "--json info: size, free, objects, data path" \
	"$(json '[j[k] for k in ("size", "free", "objects", "objects_free", "data_path")]')" \
	"[16777216, 16777216, 100, 100, '$data_path']"
shmfs_mount size=1m,passthrough=off
expect_rc "info of a passthrough=off mount" 0 -- -m "$MNT" info
expect_eq "passthrough=off: the daemon serves data" "$(sed -n 's/^data path: *//p' <<<"$out")" daemon
shmfs_umount_one
MNT=$SHMFS_MOUNT

# ---- create ----
expect_rc "create" 0 -- create /plain
expect_eq "create: default mode 0600, size 0" "$(stat -c '%a %s %U' "$MNT/plain")" "600 0 $(id -un)"
expect_rc "create -m 644 -s 1m, two names" 0 -- create -m 644 -s 1m /a/b '/50%'
expect_eq "create -m -s: a/b" "$(stat -c '%a %s' "$MNT/a%2Fb")" "644 1048576"
expect_eq "create -m -s: 50% is the file 50%" "$(stat -c '%a %s' "$MNT/50%")" "644 1048576"
expect_rc "create of an existing name keeps it" 0 -- create /a/b
expect_eq "create of an existing name: same size" "$(stat -c %s "$MNT/a%2Fb")" 1048576
expect_rc "create -x of an existing name: exit 1" 1 "create /a/b: File exists" -- create -x /a/b
expect_rc "create without a slash: exit 1 EINVAL" 1 "Invalid argument" -- create noslash
long=/$(printf 'x%.0s' {1..300})
expect_rc "create of a too long name: exit 1" 1 "File name too long" -- create "$long"
expect_rc "create -m 999: exit 2" 2 "bad mode" -- create -m 999 /m
expect_rc "create -s 1q: exit 2" 2 "bad size" -- create -s 1q /m
expect_rc "create without a name: exit 2" 2 -- create
expect_rc "create beyond size=: exit 1 ENOSPC" 1 "No space left on device" -- create -s 1g /huge
[ ! -e "$MNT/huge" ] || shmfs_die "create -s 1g left /huge behind"
ok "a create that could not size the object leaves nothing"
[ ! -e "$MNT/m" ] || shmfs_die "a usage error created /m"
ok "usage errors create nothing"

# A name with a newline, a backslash and a byte that is not UTF-8.
odd=$'/odd\n\\\xff'
expect_rc "create of an odd name" 0 -- create "$odd"

# ---- ls and the open count ----
exec 7<"$MNT/plain" # /plain is open once
expect_rc "ls" 0 -- ls
expect_eq "ls lists the names decoded, sorted, escaped" \
	"$(awk 'NR > 1 { print $NF }' <<<"$out")" \
	"$(printf '%s\n' '/50%' /a/b '/odd\x0a\\\xff' /plain)"
expect_eq "ls: /a/b's mode, owner, size, open" \
	"$(awk '$NF == "/a/b" { print $1, $2, $4, $5 }' <<<"$out")" \
	"-rw-r--r-- $(id -un) 1048576 0"
expect_eq "ls: /plain is open once" "$(awk '$NF == "/plain" { print $5 }' <<<"$out")" 1
expect_rc "--json ls" 0 -- --json ls
expect_eq "--json ls: names" "$(json 'ascii([e["name"] for e in j])')" \
	"['/50%', '/a/b', '/odd\\n\\\\\\ufffd', '/plain']"
expect_eq "--json ls: exact bytes in name_hex" "$(json 'j[2]["name_hex"]')" \
	"2f6f64640a5cff"
expect_eq "--json ls: the file name" "$(json 'j[1]["file"]')" "a%2Fb"
expect_eq "--json ls: size, mode, uid, owner, open" \
	"$(json '[j[1][k] for k in ("size", "mode", "uid", "owner", "open")]')" \
	"[1048576, '0644', $(id -u), '$(id -un)', 0]"
expect_eq "--json ls: /plain open" "$(json 'j[3]["open"]')" 1
exec 7<&-
# A mapping holds the object open after its descriptor is closed.
mapped=$(mktemp -u)
mkfifo "$mapped" || shmfs_die mkfifo
"$PYTHON3" -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
os.close(fd)
print("mapped", flush=True)
sys.stdin.read()
' "$MNT/a%2Fb" <"$mapped" >"$mapped.out" &
mapper=$!
exec 8>"$mapped"
for ((i = 0; i < 3000; i++)); do
	grep -q mapped "$mapped.out" 2>/dev/null && break
	sleep 0.01
done
expect_rc "stat of a mapped object" 0 -- --json stat /a/b
expect_eq "a mapped object with no descriptor counts as open" "$(json 'j[0]["open"]')" 1
exec 8>&-
wait "$mapper"
rm -f "$mapped" "$mapped.out"
expect_rc "--json stat after the mapping went" 0 -- --json stat /a/b /plain
expect_eq "open 0 once nothing holds it" "$(json '[e["open"] for e in j]')" "[0, 0]"

# ---- the daemon's SHMFS_IOC_NOPEN (src/proto.h), directly ----
exec 7<"$MNT/plain"
"$PYTHON3" - "$MNT" <<'PY' || shmfs_die "SHMFS_IOC_NOPEN checks failed"
import errno, fcntl, os, struct, sys
mnt = sys.argv[1]
# _IOWR('S', 4, struct shmfs_ioc_nopen): 256 name bytes and a uint32.
NOPEN = (3 << 30) | (260 << 16) | (ord("S") << 8) | 4

def nopen(fd, name):
    buf = bytearray(struct.pack("256sI", name, 0xFFFFFFFF))
    fcntl.ioctl(fd, NOPEN, buf)
    return struct.unpack("256sI", buf)[1]

def expect_errno(what, err, fn):
    try:
        fn()
    except OSError as e:
        if e.errno != err:
            sys.exit("%s: errno %d, want %d" % (what, e.errno, err))
        print("ok - %s: %s" % (what, errno.errorcode[err]))
        return
    sys.exit("%s: succeeded" % what)

root = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
if nopen(root, b"plain") != 1 or nopen(root, b"a%2Fb") != 0:
    sys.exit("SHMFS_IOC_NOPEN: wrong counts")
print("ok - SHMFS_IOC_NOPEN on the root counts open handles")
expect_errno("SHMFS_IOC_NOPEN of a missing name", errno.ENOENT, lambda: nopen(root, b"nope"))
expect_errno("SHMFS_IOC_NOPEN of the probe name", errno.ENOENT, lambda: nopen(root, b"%shmfs"))
expect_errno("SHMFS_IOC_NOPEN without a NUL in the name", errno.EINVAL,
             lambda: fcntl.ioctl(root, NOPEN, bytearray(b"x" * 260)))
f = os.open(mnt + "/plain", os.O_RDONLY)
expect_errno("SHMFS_IOC_NOPEN on an object, not the root", errno.ENOTTY, lambda: nopen(f, b"plain"))
PY
exec 7<&-

# ---- stat ----
expect_rc "stat" 0 -- stat /a/b
expect_eq "stat: name, file, size, mode, open" \
	"$(grep -E '^(name|file|size|mode|open):' <<<"$out" | tr -s ' ')" \
	"$(printf '%s\n' 'name: /a/b' 'file: a%2Fb' 'size: 1048576' 'mode: 0644 (-rw-r--r--)' 'open: 0')"
expect_rc "stat of a missing and an existing name: exit 1" 1 \
	"stat /nope: No such file or directory" -- --json stat /nope /plain
expect_eq "stat still describes the existing name" "$(json '[e["name"] for e in j]')" "['/plain']"
expect_rc "stat without a name: exit 2" 2 -- stat

# ---- truncate ----
expect_rc "truncate -s 4k" 0 -- truncate -s 4k /plain /a/b
expect_eq "truncate: sizes" "$(stat -c %s "$MNT/plain" "$MNT/a%2Fb" | tr '\n' ' ')" "4096 4096 "
expect_rc "truncate beyond size=: exit 1" 1 "No space left on device" -- truncate -s 1g /plain
expect_eq "a refused truncate changes nothing" "$(stat -c %s "$MNT/plain")" 4096
expect_rc "truncate of a missing name: exit 1" 1 "No such file or directory" -- truncate -s 1 /nope
expect_rc "truncate without -s: exit 2" 2 -- truncate /plain
expect_rc "truncate -s x: exit 2" 2 "bad size" -- truncate -s x /plain

# ---- dump ----
head -c 10000 /dev/urandom >"$MNT/data" || shmfs_die "writing /data"
"$SHMFSCTL" dump /data | cmp - "$MNT/data" || shmfs_die "dump differs"
ok "dump copies the bytes exactly"
expect_rc "dump of a missing name: exit 1" 1 "dump /nope: No such file or directory" -- dump /nope
expect_rc "dump of two names: exit 2" 2 -- dump /data /plain
if "$SHMFSCTL" dump /data >/dev/full 2>/dev/null; then
	shmfs_die "dump to /dev/full succeeded"
fi
ok "dump to a full device fails"
if "$SHMFSCTL" ls >/dev/full 2>/dev/null; then
	shmfs_die "ls to /dev/full succeeded"
fi
ok "ls to a full device fails"

# ---- rename ----
echo one >"$MNT/one"
echo two >"$MNT/two"
expect_rc "rename --noreplace onto an existing name: exit 1" 1 "File exists" -- \
	rename --noreplace /one /two
expect_eq "a refused rename changes nothing" "$(cat "$MNT/one" "$MNT/two")" "$(printf 'one\ntwo')"
expect_rc "rename --exchange" 0 -- rename --exchange /one /two
expect_eq "rename --exchange swaps" "$(cat "$MNT/one" "$MNT/two")" "$(printf 'two\none')"
expect_rc "rename --exchange with a missing name: exit 1" 1 "No such file or directory" -- \
	rename --exchange /one /nope
expect_rc "rename --noreplace to a new name" 0 -- rename --noreplace /one /x/y
expect_eq "rename --noreplace moved it" "$(cat "$MNT/x%2Fy")" "two"
expect_rc "rename over an existing name" 0 -- rename /x/y /two
expect_eq "rename replaced the target" "$(cat "$MNT/two")" "two"
[ ! -e "$MNT/x%2Fy" ] || shmfs_die "rename left the source"
ok "rename removed the source name"
expect_rc "rename -x -n: exit 2" 2 "exclude each other" -- rename -x -n /two /one
expect_rc "rename with one name: exit 2" 2 -- rename /two
expect_rc "rename of a missing name: exit 1" 1 "No such file or directory" -- rename /nope /two
expect_rc "rename to a name without a slash: exit 1" 1 "Invalid argument" -- rename /two two

# ---- permissions: the daemon checks the caller ----
if shmfs_want root -- "shmfsctl rm and stat of another user's object"; then
	chmod 600 "$MNT/two"
	nobody() {
		setpriv --reuid 65534 --regid 65534 --clear-groups -- "$@"
	}
	out=$(nobody "$SHMFSCTL" rm /two 2>&1)
	rc=$?
	expect_eq "rm of another's 0600 object: exit 1" "$rc" 1
	case $out in *"Permission denied"*) ok "rm as nobody: EACCES" ;; *) shmfs_die "rm as nobody: $out" ;; esac
	out=$(nobody "$SHMFSCTL" --json stat /two 2>&1)
	expect_eq "stat of another's 0600 object works" "$?" 0
	expect_eq "and reports its owner" "$(json 'j[0]["uid"]')" 0
fi

# ---- rm ----
expect_rc "rm of a missing and existing names: exit 1" 1 "rm /nope: No such file or directory" -- \
	rm /two /nope /data
[ ! -e "$MNT/two" ] && [ ! -e "$MNT/data" ] || shmfs_die "rm left a name it could remove"
ok "rm removed the names it could"
expect_rc "rm without a name: exit 2" 2 -- rm
expect_rc "rm of the rest" 0 -- rm /plain /a/b '/50%' "$odd"
expect_eq "empty at the end" "$(ls -A "$MNT")" ""

# ---- nr_objects= within the daemon's descriptors (last: it lowers this shell's limit) ----
# Every object with data holds a memfd: the daemon raises its limit as far as
# it may and lowers nr_objects= to what that leaves after 256 of its own.
ulimit -n 1000
shmfs_mount size=1m,nr_objects=100k
pid=${shmfs_pids[${#shmfs_pids[@]} - 1]}
nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
want=$((nofile - 256 < 102400 ? nofile - 256 : 102400))
expect_rc "info of a mount with few descriptors" 0 -- -m "$MNT" info
expect_eq "nr_objects= lowered to the descriptors ($nofile) less 256" \
	"$(sed -n 's/^objects: *\([0-9]*\),.*/\1/p' <<<"$out")" "$want"
echo "all shmfsctl checks passed"
