#!/bin/sh
# bench/crash.sh - the power-loss harnesses in full (issue 19).
#
# 1. tests/vhdx/test_vhdx_powerloss records the I/O of a VHDX write session
#    (writes, zeroed ranges, size changes, fdatasync barriers) and rebuilds
#    every file state a power cut could leave: at each cut point, the
#    durable prefix, every pending change, each alone, all but each, and
#    RANDOM subsets that are torn at 4 KiB pages and reordered.  Each state
#    must open, pass vhdx check, and hold old-or-new in every sector (new
#    for every flushed write); every QEMU_EVERY-th state is also replayed
#    in place and judged by qemu-img check.
# 2. tests/registry/test_reg_powerloss and
# 3. tests/servicing/test_apply_powerloss record the file system calls of
#    `reg import` (three imports into a clean hive, one --recover import
#    into a real dirty hive whose logs are then emptied) and of `apply` on
#    the host-directory backend (tests/lib/fsrec.c interposes them) and
#    rebuild every state of a directory tree a power cut could leave
#    (tests/lib/fsrec.h gives the model: file data durable once fsynced,
#    name operations ordered and durable up to a directory fsync), with
#    RANDOM random combinations per cut point.  A hive must open, read all
#    old or all new through its logs, and hivexregedit checks every
#    HIVEX_EVERY-th; an apply must recover through its journal to old or
#    new per file, and every REAPPLY_EVERY-th state is serviced again and
#    must verify clean.
#    The same program cuts a `rollback` of that apply: every file (hives by
#    hivexregedit's export) as before or after it, and a rollback run
#    again must finish it, without --force (its journal carries out the
#    switch of what it staged), in make check as here.
# 4. tests/servicing/test_apply_powerloss_avhdx cuts a write session on a
#    differencing image (.avhdx leaf): the parent byte-identical in every
#    state, the child checks clean and reads old or new in every sector.
# make check runs the same programs with fewer random states.
#
# Usage: sh bench/crash.sh [RANDOM_PER_POINT [QEMU_EVERY]]  (40, 25)
# Last, the hive growth of one apply (issue 19), measured.
#   env: REG_RANDOM (50), HIVEX_EVERY (10), APPLY_RANDOM (1),
#        REAPPLY_EVERY (25), APPLY_EVERY (0: a cut before every barrier)
. "${HVO_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/bench/lib.sh"

for p in tests/vhdx/test_vhdx_powerloss tests/registry/test_reg_powerloss \
    tests/servicing/test_apply_powerloss \
    tests/servicing/test_apply_powerloss_avhdx; do
    [ -x "$HVO_TOP_BUILDDIR/$p" ] || make -C "$HVO_TOP_BUILDDIR" "$p" >/dev/null
done
b_need qemu-img
export HVO_TOP_SRCDIR HVO_TOP_BUILDDIR
"$HVO_TOP_BUILDDIR/tests/vhdx/test_vhdx_powerloss" "${1:-40}" "${2:-25}"
"$HVO_TOP_BUILDDIR/tests/registry/test_reg_powerloss" "${REG_RANDOM:-50}" "${HIVEX_EVERY:-10}"
"$HVO_TOP_BUILDDIR/tests/servicing/test_apply_powerloss" "${APPLY_RANDOM:-1}" "${REAPPLY_EVERY:-25}" "${APPLY_EVERY:-0}" ||
    echo "test_apply_powerloss: FAILED"
"$HVO_TOP_BUILDDIR/tests/servicing/test_apply_powerloss_avhdx" "${AVHDX_RANDOM:-20}" "${AVHDX_REOPEN:-5}"
# Issue 19's growth bound: one apply of the 6.x x86 package on a real
# SYSTEM hive (Windows 7 SP1, regipy) and the win7-x86 recipe's SOFTWARE,
# and its SOFTWARE edits made again in regipy's real NTUSER.DAT, must grow
# each by less than the cells it allocates plus 10%, in whole 4 KiB (cell
# space read by tests/lib/regf-cells.py; registry/layout.c reuses the
# space libhivex frees; make check asserts it too): value data, cells and
# growth are printed, and a failure is the script's.
rc=0
growth=$(HVO_HIVE_GROWTH=1 "$HVO_TOP_BUILDDIR/tests/servicing/test_apply_powerloss" 2>&1) || rc=$?
printf '%s\n' "$growth" | grep 'hive growth\|FAIL' || true
exit $rc
