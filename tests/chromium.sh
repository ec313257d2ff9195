#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# chromium.sh: Debian's headless Chromium with libshmfs preloaded renders a
# page whose pixels a script draws, and its shared memory (memfds made with
# syscall(SYS_memfd_create, ..., MFD_NOEXEC_SEAL...) and sealed) lives on
# the test mount: while it runs, its processes map files of the mount and
# no kernel memfd, and the daemon's object count rises.  Needs chromium
# (package chromium) and python3; exits 77 without them unless
# SHMFS_REQUIRE_ALL=1.  Not run in the sanitizer build (see Makefile.am).
set -eu
srcdir=${SHMFS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/lib.sh" # as root: re-executes under unshare -m first

builddir=${SHMFS_BUILDDIR:-$(pwd)}
shim=${SHMFS_SHIM:-$builddir/.libs/libshmfs.so}
python=${PYTHON3:-python3}
export LC_ALL=C

# What is missing: skip (77), or fail under SHMFS_REQUIRE_ALL=1.
missing() {
	if [ "${SHMFS_REQUIRE_ALL:-0}" = 1 ]; then
		shmfs_die "$* (SHMFS_REQUIRE_ALL=1)"
	fi
	echo "SKIP: $*"
	exit 77
}

chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || missing "no chromium (Debian package chromium)"
command -v "$python" >/dev/null || missing "no $python"
[ -f "$shim" ] || shmfs_die "no shim at $shim"
# An ASan shim needs the ASan runtime first in Chromium, which has its own
# allocator and sandbox: not a combination that works.
if ldd "$shim" 2>/dev/null | grep -q libasan; then
	missing "the shim is built with sanitizers; Chromium cannot load it"
fi

shmfs_mount size=1g
work=$(mktemp -d "${TMPDIR:-/tmp}/shmfs-chromium.XXXXXX") || shmfs_die "mktemp -d"
trap 'set +e; [ -n "${cpid:-}" ] && kill "$cpid" 2>/dev/null; rm -rf "$work"; shmfs_cleanup' EXIT

# The page: a script paints the left half red and the right half blue.
cat >"$work/page.html" <<'EOF'
<!doctype html>
<html><body style="margin:0; background:#fff">
<canvas id="c" width="320" height="200"></canvas>
<p id="out">pending</p>
<script>
const c = document.getElementById("c").getContext("2d");
c.fillStyle = "rgb(255,0,0)"; c.fillRect(0, 0, 160, 200);
c.fillStyle = "rgb(0,0,255)"; c.fillRect(160, 0, 160, 200);
document.getElementById("out").textContent = "rendered " + 6 * 7;
</script>
</body></html>
EOF
mkdir "$work/profile"

# The objects the daemon holds: statfs's inodes in use.
objects() {
	stat -f -c '%c %d' "$MNT" | awk '{ print $1 - $2 }'
}

base=$(objects)
start=$(date +%s%N)
SHMFS_MOUNT=$MNT LD_PRELOAD=$shim timeout 120 "$chromium" --headless --no-sandbox \
	--disable-gpu --disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --user-data-dir="$work/profile" \
	--window-size=400,300 --screenshot="$work/shot.png" "file://$work/page.html" \
	>"$work/chromium.out" 2>&1 &
cpid=$!

# While it runs, a sampler (python, to scan /proc fast enough) records the
# most objects, the most of its processes mapping the mount, and the kernel
# memfds they map.  Its processes are found from /proc/PID/stat (parents)
# and only theirs are read: reading another process's maps can block.
sampled=$("$python" - "$cpid" "$MNT" "$base" <<'EOF' 2>&1
import os, sys, time

top, mnt, base = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def tree():
    parent = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = open("/proc/%s/stat" % p).read().rsplit(") ", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                parent[int(p)] = int(stat[1])
    found, grew = {top} & parent.keys(), True
    while grew:
        more = {p for p, pp in parent.items() if pp in found} - found
        found |= more
        grew = bool(more)
    return found

max_objects = max_procs = memfds = samples = 0
while True:
    procs = tree()
    if not procs:
        break
    st = os.statvfs(mnt)
    max_objects = max(max_objects, st.f_files - st.f_ffree - base)
    mapping = 0
    for p in procs:
        try:
            maps = open("/proc/%d/maps" % p).read()
        except OSError:
            continue
        mapping += (" " + mnt + "/") in maps
        memfds += "/memfd:" in maps
    max_procs = max(max_procs, mapping)
    samples += 1
    time.sleep(0.01)
print(max_objects, max_procs, memfds, samples)
EOF
) || shmfs_die "the sampler: $sampled"
read -r max_objects max_procs memfds samples <<<"$sampled"
status=0
wait "$cpid" || status=$?
cpid=
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "# chromium ran ${elapsed} ms, ${samples} samples"
[ "$status" = 0 ] || shmfs_die "chromium exited with $status: $(tail -n 20 "$work/chromium.out")"
ok "chromium exits 0 with libshmfs preloaded"

# The screenshot: a PNG of the window's size showing the script's pixels.
got=$("$python" - "$work/shot.png" <<'EOF' 2>&1
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, color = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and color in (2, 6), "colour type %d" % color
bpp = 3 if color == 2 else 4
raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
print(w, h, px(80, 100), px(240, 100), px(380, 100))
EOF
) || shmfs_die "the screenshot: $got"
expect_eq "the page renders: 400x300, red left, blue right, white beside" "$got" \
	"400 300 (255, 0, 0) (0, 0, 255) (255, 255, 255)"

echo "# during the run: up to $max_objects objects, $max_procs processes mapping the mount"
((max_objects > 0)) || shmfs_die "the daemon's object count never rose"
ok "chromium's shared memory made objects on the mount"
((max_procs >= 2)) || shmfs_die "only $max_procs chromium processes mapped the mount"
ok "several chromium processes mapped files of the mount"
expect_eq "no chromium process mapped a kernel memfd" "$memfds" 0
expect_eq "every object is gone after chromium" "$(($(objects) - base))" 0
