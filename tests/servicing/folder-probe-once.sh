#!/bin/sh
# The disks of an image's folder are read once per run (issue 16,
# src/servicing/folder_probe.h), counted with strace: N images in one
# folder, one sandboxed child each, cost N opens of the folder's disks
# by one probe child, not N * N (each image's child opened every disk
# beside it to look for checkpoints based on its image, and was granted
# each of them).  Native backend, no appliance; blank images (the
# pre-flight reads the VHDX alone).
#
# The checkpoint rules still hold from the table: in one run, a base
# with a checkpoint beside it is refused naming that checkpoint, and the
# checkpoint itself opens through its parent (granted from the table's
# locator, not by a probe of its own).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools strace jq
N=10
mkdir "$T_TMP/vm"
i=0
while [ "$i" -lt "$N" ]; do
    run "$HVOFFLINE" vhdx create --size 64M "$T_TMP/vm/d$i.vhdx"
    [ "$T_RC" -eq 0 ] || { cat "$T_TMP/err" >&2; exit 99; }
    i=$((i + 1))
done
# LeakSanitizer cannot run under ptrace.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
HVOFFLINE_BACKEND=native
export ASAN_OPTIONS HVOFFLINE_BACKEND

T_RC=0
strace -f -qq -e trace=open,openat,openat2,creat -o "$T_TMP/trace" \
    "$HVOFFLINE" --json inspect -j 2 "$T_TMP"/vm/d*.vhdx \
    >"$T_TMP/out" 2>"$T_TMP/err" || T_RC=$?
expect_rc 0 "inspect of $N blank images in one folder"
expect_json "[.images[].problems[0].code] == [range($N) | \"no-windows\"]" \
    "every image inspected in its child (no Windows on a blank disk)"

# Every open of one of the images, by any process (the parent, the probe,
# the children), whatever its flags: Landlock's O_PATH handles count.
all=$(grep -c '"[^"]*/vm/d[0-9]*\.vhdx"' "$T_TMP/trace")
reads=$(grep '"[^"]*/vm/d[0-9]*\.vhdx"' "$T_TMP/trace" | grep -vc O_PATH)
# The processes that read image d3: its own child and the probe of the
# folder (before: its child, its chain probe and the 9 other children).
procs=$(grep '"[^"]*/vm/d3\.vhdx"' "$T_TMP/trace" | grep -v O_PATH |
    cut -d' ' -f1 | sort -u | wc -l)
echo "opens of the $N images: $all in all, $reads not O_PATH; processes reading d3: $procs"
T_COUNT=$((T_COUNT + 1))
# Measured: 270 in all (160 reads) before the table, 80 (70) with it.
if [ "$all" -le $((10 * N)) ] && [ "$reads" -le $((8 * N)) ]; then
    t_pass "opens grow as N: $all <= 10 N, $reads reads <= 8 N"
else
    t_fail "opens grow faster than N: $all (reads $reads) for N = $N"
fi
T_COUNT=$((T_COUNT + 1))
if [ "$procs" -le 3 ]; then
    t_pass "d3 is read by $procs processes (<= 3: parent, probe, own child)"
else
    t_fail "d3 is read by $procs processes: other images' children read it"
    grep '"[^"]*/vm/d3\.vhdx"' "$T_TMP/trace" | grep -v O_PATH >&2
fi

# A checkpoint beside its base, both in the same run.
run "$HVOFFLINE" vhdx create --size 64M "$T_TMP/vm/base.vhdx"
run "$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base.vhdx" "$T_TMP/vm/snap.avhdx"
expect_rc 0 "vhdx create --parent (beside its base)"
run "$HVOFFLINE" --json inspect -j 2 "$T_TMP/vm/base.vhdx" "$T_TMP/vm/snap.avhdx"
expect_json '.images[0].problems | map(.code) | index("parent-of-differencing-disk") != null' \
    "the base is refused: a checkpoint is based on it (from the folder's table)"
expect_grep "$T_TMP/out" "$T_TMP/vm/snap.avhdx" "the refusal names the checkpoint"
expect_json '.images[1].problems | map(.code) | index("no-windows") != null' \
    "the checkpoint opens through its parent (granted from the table) and is inspected"

t_finish
