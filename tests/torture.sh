#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# torture.sh: the short runs of the model-based random tester (tests/torture.c)
# that `make check` does: a fixed seed, so a regression shows the same way
# every time, and a fresh seed, printed, so runs keep finding new sequences.
# `make torture` runs a million operations.
set -eu
torture=${SHMFS_BUILDDIR:-.}/tests/torture
"$torture" --seed 1 --ops 20000 --procs 4 --objects 6
"$torture" --ops 20000 --procs 3 --objects 4 --check-every 2500
