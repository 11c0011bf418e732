#!/bin/sh
# bench/kill-apply.sh - kill -9 trials of a native apply (issue 16).
#
# Runs tests/servicing/kill-apply.sh with HVO_KILL_TRIALS (default 50; make
# check runs 5; issue 16 measures 200): each trial kills a native apply of a fresh copy of the
# ws2012-x64 test image at a random moment, then requires `vhdx check` to
# pass, a re-run to complete with `verify` clean, and `vhdx check`,
# `qemu-img check` and ntfsls (no .hvo- file, no journal left in the
# guest) to pass on the result.  Needs the test images
# (make -C BUILDDIR fixture-images: one appliance launch).
#
# Usage: sh bench/kill-apply.sh [TRIALS]
. "${HVO_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/bench/lib.sh"

[ -f "$HVO_TOP_BUILDDIR/tests/fixtures/images/ws2012-x64.vhdx" ] ||
    make -C "$HVO_TOP_BUILDDIR" fixture-images >/dev/null
export HVO_TOP_SRCDIR HVO_TOP_BUILDDIR HVOFFLINE
HVO_KILL_TRIALS=${1:-50} sh "$HVO_TOP_SRCDIR/tests/servicing/kill-apply.sh"
