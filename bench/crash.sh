#!/bin/sh
# bench/crash.sh - the power-loss harness in full (issue 19).
#
# tests/vhdx/test_vhdx_powerloss records the I/O of a VHDX write session
# (writes, zeroed ranges, size changes, fdatasync barriers) and rebuilds
# every file state a power cut could leave: at each cut point, the
# durable prefix, every pending change, each alone, all but each, and
# RANDOM subsets that are torn at 4 KiB pages and reordered.  Each state
# must open, pass vhdx check, and hold old-or-new in every sector (new for
# every flushed write); every QEMU_EVERY-th state is also replayed in place
# and judged by qemu-img check.  make check runs the same program with 4
# random subsets per point and no qemu-img.
#
# Usage: sh bench/crash.sh [RANDOM_PER_POINT [QEMU_EVERY]]  (40, 25)
. "${HVO_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/bench/lib.sh"

prog=$HVO_TOP_BUILDDIR/tests/vhdx/test_vhdx_powerloss
[ -x "$prog" ] || make -C "$HVO_TOP_BUILDDIR" tests/vhdx/test_vhdx_powerloss >/dev/null
b_need qemu-img
"$prog" "${1:-40}" "${2:-25}"
