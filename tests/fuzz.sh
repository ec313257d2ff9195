#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/fuzz.sh: runs each libFuzzer harness of tests/fuzz/ (codec, options,
# store) for FUZZ_SECONDS seconds (default 30), starting from a copy of its
# committed corpus in tests/fuzz/corpus/NAME (the source tree may be read-only,
# as in make distcheck).  Fails if any harness finds a crash, a leak, a
# sanitizer report, a model mismatch or a hang: the input that did it is
# saved as tests/fuzz/artifacts/NAME-* in the build directory and printed
# here.  FUZZ_TARGETS picks harnesses; FUZZ_WORKDIR keeps the grown corpus
# (make fuzz) instead of a temporary copy.  Without clang's libFuzzer
# (configure says so) it skips, or fails with SHMFS_REQUIRE_ALL=1.
set -u
. "${SHMFS_SRCDIR:?run through make check}/tests/lib.sh"
shmfs_require fuzzer

builddir=${SHMFS_BUILDDIR:?run through make check}
srcdir=${SHMFS_SRCDIR:?run through make check}
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-codec options store}
artifacts=$builddir/tests/fuzz/artifacts

mkdir -p "$artifacts" || exit 1
if [ -n "${FUZZ_WORKDIR:-}" ]; then
	work=$FUZZ_WORKDIR
	mkdir -p "$work" || exit 1
else
	work=$(mktemp -d "$builddir/tests/fuzz/work.XXXXXX") || exit 1
	trap 'shmfs_cleanup; rm -rf "$work"' EXIT
fi

status=0
for t in $targets; do
	bin=$builddir/tests/fuzz/fuzz_$t
	corpus=$srcdir/tests/fuzz/corpus/$t
	log=$work/$t.log

	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		echo "FAIL $t: missing $bin or $corpus"
		status=1
		continue
	fi
	mkdir -p "$work/$t" && cp "$corpus"/* "$work/$t"/ && chmod -R u+w "$work/$t" ||
		exit 1
	rm -f "$artifacts/$t"-*
	echo "=== fuzz_$t: $seconds s from $(ls "$corpus" | wc -l) corpus inputs"
	# New inputs go to the first directory, the copy; the source corpus is
	# read, never written.
	"$bin" -max_total_time="$seconds" -timeout=60 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$t-" "$work/$t" >"$log" 2>&1
	rc=$?
	# The last status line (executions, coverage) and the final figures.
	grep -E '^#[0-9]+' "$log" | tail -n 1
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log"
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "FAIL fuzz_$t exited with $rc; the end of its output:"
		tail -n 120 "$log"
		for a in "$artifacts/$t"-*; do
			[ -f "$a" ] || continue
			echo "--- input $a ($(wc -c <"$a") bytes), as hex:"
			od -A d -t x1 "$a" | head -n 64
			echo "--- reproduce with: $bin $a"
		done
	fi
done
exit $status
