#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# systemd.sh: the generated dev-shmfs.mount passes systemd-analyze verify
# with no warning at all, and names the configured bindir.  verify needs no
# running systemd; --man=no because the manual pages are not installed yet.
set -u
. "${SHMFS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
export LC_ALL=C
unit=${SHMFS_BUILDDIR:-.}/systemd/dev-shmfs.mount
analyze=${SYSTEMD_ANALYZE:-systemd-analyze}

[ -f "$unit" ] || shmfs_die "no $unit (make check builds it)"
shmfs_require cmd "$analyze" systemd
grep -q '@[a-z]*@' "$unit" && shmfs_die "$unit has an unsubstituted @variable@"
grep -qx "RequiresMountsFor=/.*/bin" "$unit" || shmfs_die "$unit: no RequiresMountsFor= of bindir"
echo "ok - the unit names an absolute bindir"

# verify reads the unit's directory as a unit path; give it a private copy.
dir=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-unit.XXXXXX") || shmfs_die mktemp
trap 'rm -f "$dir/dev-shmfs.mount" "$dir/out"; rmdir "$dir"' EXIT
cp "$unit" "$dir/" || shmfs_die cp
"$analyze" verify --man=no "$dir/dev-shmfs.mount" >"$dir/out" 2>&1
rc=$?
cat "$dir/out"
[ "$rc" = 0 ] || shmfs_die "systemd-analyze verify: exit $rc"
[ ! -s "$dir/out" ] || shmfs_die "systemd-analyze verify printed warnings"
echo "ok - systemd-analyze verify: no error, no warning"

# The check itself must catch a broken unit.
sed -i 's|^Where=.*|Where=/dev/elsewhere|' "$dir/dev-shmfs.mount"
if "$analyze" verify --man=no "$dir/dev-shmfs.mount" >/dev/null 2>&1; then
	shmfs_die "systemd-analyze verify accepted a unit whose Where= does not match its name"
fi
echo "ok - systemd-analyze verify refuses a broken unit"
