#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# cli.sh: ordinary command-line tools (echo, cat, ls, cp, mv, rm, chmod,
# chown, df, du, stat, truncate, mkdir, ln) on a real shmfs mount, with any
# file names ('50%', '%2F').  Prints one line per check and stops at the
# first failure.
set -u
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh"

umask 022
export LC_ALL=C

size=$((2 * 1024 * 1024 * 1024)) # room for the 1 GiB sparse file below
nr_objects=100

# must_fail WHAT COMMAND...: the command must fail and create nothing.
must_fail() {
	local what=$1
	shift
	if "$@" 2>/dev/null; then
		shmfs_die "$what: '$*' succeeded"
	fi
	ok "$what"
}

shmfs_mount "size=$size,nr_objects=$nr_objects"
work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-cli.XXXXXX") || shmfs_die "mktemp"
trap 'rm -rf "$work"; shmfs_cleanup' EXIT

echo hello >"$MNT/foo" || shmfs_die "echo hello > \$MNT/foo"
ok "echo > file"
expect_eq "cat" "$(cat "$MNT/foo")" "hello"

# ls -l: mode, link count, owner, group, size, name.
read -r mode links owner group fsize _ _ _ name < <(ls -l "$MNT/foo")
expect_eq "ls -l mode" "$mode" "-rw-r--r--"
expect_eq "ls -l links" "$links" "1"
expect_eq "ls -l owner" "$owner" "$(id -un)"
expect_eq "ls -l group" "$group" "$(id -gn)"
expect_eq "ls -l size" "$fsize" "6"
expect_eq "ls -l name" "$name" "$MNT/foo"
expect_eq "stat -c %h" "$(stat -c %h "$MNT/foo")" "1"
expect_eq "stat -c %F" "$(stat -c %F "$MNT/foo")" "regular file"
expect_eq "ls lists foo" "$(ls "$MNT")" "foo"

# cp in and out of several MiB, more than one FUSE write.
head -c $((5 * 1024 * 1024 + 123)) /dev/urandom >"$work/big" ||
	shmfs_die "making the test file"
cp "$work/big" "$MNT/big" || shmfs_die "cp to the mount"
cmp "$work/big" "$MNT/big" || shmfs_die "cmp after cp to the mount"
ok "cp to the mount, cmp"
cp "$MNT/big" "$work/back" || shmfs_die "cp from the mount"
cmp "$work/big" "$work/back" || shmfs_die "cmp after cp from the mount"
ok "cp from the mount, cmp"
expect_eq "stat -c %s of the copy" "$(stat -c %s "$MNT/big")" \
	"$(stat -c %s "$work/big")"

# mv, also over an existing name.
echo a >"$MNT/a"
mv "$MNT/a" "$MNT/b" || shmfs_die "mv a b"
[ ! -e "$MNT/a" ] || shmfs_die "mv a b: a still exists"
expect_eq "mv a b" "$(cat "$MNT/b")" "a"
mv "$MNT/big" "$MNT/b" || shmfs_die "mv big b (replacing b)"
cmp "$work/big" "$MNT/b" || shmfs_die "mv big b: b does not hold big's data"
[ ! -e "$MNT/big" ] || shmfs_die "mv big b: big still exists"
ok "mv over an existing name"

rm "$MNT/b" || shmfs_die "rm b"
[ ! -e "$MNT/b" ] || shmfs_die "rm b: b still exists"
ok "rm"
expect_eq "ls after rm" "$(ls "$MNT")" "foo"

# Only root gives objects away; anyone else can only "chown" to itself.
if shmfs_want root -- "chown to another user, and root reading its 0600 file"; then
	to_uid=65534 to_gid=65534
else
	to_uid=$(id -u) to_gid=$(id -g)
fi
chmod 600 "$MNT/foo" || shmfs_die "chmod 600"
chown "$to_uid:$to_gid" "$MNT/foo" || shmfs_die "chown $to_uid:$to_gid"
read -r mode _ uid gid _ < <(ls -ln "$MNT/foo")
expect_eq "ls -ln mode after chmod 600" "$mode" "-rw-------"
expect_eq "ls -ln uid after chown" "$uid" "$to_uid"
expect_eq "ls -ln gid after chown" "$gid" "$to_gid"
if [ "$(id -u)" = 0 ]; then
	expect_eq "root reads another's 0600 file" "$(cat "$MNT/foo")" "hello"
fi

# df: the size= and nr_objects= limits.
read -r _ total used _ < <(df -B1 --output=source,size,used,avail "$MNT" | tail -n 1)
expect_eq "df -B1 size" "$total" "$size"
read -r _ itotal iused ifree _ < <(df -i "$MNT" | tail -n 1)
expect_eq "df -i inodes" "$itotal" "$nr_objects"
expect_eq "df -i used" "$iused" "1"
expect_eq "df -i free" "$ifree" "$((nr_objects - 1))"

# Nothing but regular files can be created; hard links can.
must_fail "mkdir fails" mkdir "$MNT/d"
must_fail "ln -s fails" ln -s foo "$MNT/sym"
must_fail "mkfifo fails" mkfifo "$MNT/fifo"
expect_eq "nothing created by mkdir/ln -s/mkfifo" "$(ls "$MNT")" "foo"
ln "$MNT/foo" "$MNT/hard" || shmfs_die "ln of a hard link"
expect_eq "ln: two names, one inode" "$(stat -c '%h %i' "$MNT/hard")" \
	"$(stat -c '%h %i' "$MNT/foo")"
expect_eq "ln: st_nlink 2" "$(stat -c %h "$MNT/foo")" "2"
rm "$MNT/hard" || shmfs_die "rm hard"
expect_eq "rm of one name: st_nlink 1" "$(stat -c %h "$MNT/foo")" "1"

# Any file name a filesystem takes works; '%' and a lowercase letter first
# is the daemon's (EPERM).
touch "$MNT/50%" || shmfs_die "touch 50%"
echo x >"$MNT/%2F" || shmfs_die "echo x > %2F"
echo y >"$MNT/%25" || shmfs_die "echo y > %25"
echo z >"$MNT/%%anon" || shmfs_die "echo z > %%anon"
for f in % %% %2E %00 %2E%2E a%2Fb %Z; do
	touch "$MNT/$f" || shmfs_die "touch $f"
done
expect_eq "ls lists them as written" "$(ls "$MNT" | tr '\n' ' ')" \
	"% %% %%anon %00 %25 %2E %2E%2E %2F %Z 50% a%2Fb foo "
expect_eq "cat %2F" "$(cat "$MNT/%2F")" "x"
expect_eq "cat %25" "$(cat "$MNT/%25")" "y"
expect_eq "cat %%anon" "$(cat "$MNT/%%anon")" "z"
mv "$MNT/50%" "$MNT/60%" || shmfs_die "mv 50% 60%"
[ -e "$MNT/60%" ] && [ ! -e "$MNT/50%" ] || shmfs_die "mv 50% 60% did not move"
ok "mv 50% 60%"
for f in %foo %a %shmfs2; do
	if msg=$(touch "$MNT/$f" 2>&1); then
		shmfs_die "touch $f succeeded"
	fi
	case $msg in
	*"Operation not permitted"*) ok "touch $f: EPERM" ;;
	*) shmfs_die "touch $f: want EPERM, got: $msg" ;;
	esac
done
if msg=$(mv "$MNT/60%" "$MNT/%foo" 2>&1); then
	shmfs_die "mv onto %foo succeeded"
fi
case $msg in
*"Operation not permitted"*) ok "mv onto %foo: EPERM" ;;
*) shmfs_die "mv onto %foo: want EPERM, got: $msg" ;;
esac
rm "$MNT/60%" "$MNT/%2F" "$MNT/%25" "$MNT/%%anon" "$MNT/%" "$MNT/%%" \
	"$MNT/%2E" "$MNT/%00" "$MNT/%2E%2E" "$MNT/a%2Fb" "$MNT/%Z" ||
	shmfs_die "rm of the %-names"
expect_eq "only foo left" "$(ls -A "$MNT")" "foo"

# A sparse file holds no memory.
truncate -s 1G "$MNT/sparse" || shmfs_die "truncate -s 1G"
expect_eq "stat -c %s after truncate -s 1G" "$(stat -c %s "$MNT/sparse")" \
	"1073741824"
expect_eq "du -k of the sparse file" "$(du -k "$MNT/sparse" | cut -f1)" "0"
read -r _ _ used _ < <(df -B1 --output=source,size,used,avail "$MNT" | tail -n 1)
[ "$used" -ge 1073741824 ] ||
	shmfs_die "df after truncate -s 1G: used $used, want >= 1 GiB promised"
ok "df counts the truncated size as promised"
printf x | dd of="$MNT/sparse" bs=1 seek=$((4096 * 10)) conv=notrunc \
	status=none || shmfs_die "dd into the sparse file"
expect_eq "du -k after writing one byte" "$(du -k "$MNT/sparse" | cut -f1)" "4"
rm "$MNT/sparse" || shmfs_die "rm sparse"

# Over the size= limit: nothing changes.
if truncate -s 3G "$MNT/foo" 2>/dev/null; then
	shmfs_die "truncate -s 3G beyond size=2g succeeded"
fi
expect_eq "size unchanged after a refused truncate" \
	"$(stat -c %s "$MNT/foo")" "6"

rm "$MNT/foo" || shmfs_die "rm foo"
expect_eq "empty at the end" "$(ls -A "$MNT")" ""
echo "all cli checks passed"
