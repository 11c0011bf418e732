#!/bin/sh
# bench/nbdkit.sh - nbdkit-hvoffline-plugin against hvoffline vhdx read, in
# the same run, on the same image (built here):
#
#   1. sequential read of a 4 GiB dynamic image full of random data to a
#      raw file in the same directory:
#        export:    nbdcopy from the plugin's export (multi-conn: 4
#                   connections, requests in flight) to the file;
#        reference: `hvoffline vhdx read -o FILE` (copy_file_range).
#      Target: export <= 1.5x the reference's time.  For information, the
#      same through `qemu-img convert` from the export, and both to a pipe
#      (nbdcopy to stdout; hvoffline vhdx read to stdout, spliced).
#   2. the kill -9 trials of tests/nbdkit/kill9.sh, 50 per image
#      (NBDKIT_BENCH_KILL_TRIALS).
#
# nbdkit runs with the plugin of the build tree (HVO_NBDKIT_PLUGIN to
# choose another).  Each measurement runs after `sync`, the tools
# alternate, and the best of NBDKIT_BENCH_RUNS (default 3) times counts.
# Use a build without sanitizers.
. "${HVO_TOP_SRCDIR:-$(dirname "$0")/..}/bench/lib.sh"

H=$HVOFFLINE
RUNS=${NBDKIT_BENCH_RUNS:-3}
SIZE=${NBDKIT_BENCH_SIZE:-4G}
PLUGIN=${HVO_NBDKIT_PLUGIN:-$HVO_TOP_BUILDDIR/nbdkit/.libs/nbdkit-hvoffline-plugin.so}
b_need nbdkit nbdcopy qemu-img /usr/bin/time bc
b_need_file "$PLUGIN" "no plugin at $PLUGIN"
b_warn_sanitizers
D=$B_TMP

echo "hvoffline: $H"
echo "plugin:    $PLUGIN"
echo "nbdkit:    $(nbdkit --version | head -n 1)"
echo "nbdcopy:   $(nbdcopy --version | head -n 1)"
echo "runs:      best of $RUNS"
echo

# ---- 1. sequential read ----
b_random_vhdx "$SIZE" "$D/read.vhdx"
IMG=$D/read.vhdx
# Each command runs a captive nbdkit (started and stopped inside the
# measurement: the export's whole cost is counted).
NBD="nbdkit -U - $PLUGIN file=$IMG readonly=true --run"

best() { # best CUR NEW: the faster of two "<s> <KiB>" results
    if [ -z "$1" ] || [ "$(echo "${2% *} < ${1% *}" | bc -l)" = 1 ]; then
        echo "$2"
    else
        echo "$1"
    fi
}
r_ref=
r_nbd=
r_qemu=
i=0
while [ "$i" -lt "$RUNS" ]; do
    rm -f "$D/out.raw"
    sync
    r_ref=$(best "$r_ref" "$(b_time "$H" vhdx read -o "$D/out.raw" "$IMG")")
    rm -f "$D/out.raw"
    sync
    r_nbd=$(best "$r_nbd" "$(b_time $NBD "nbdcopy \"\$uri\" \"$D/out.raw\"")")
    rm -f "$D/out.raw"
    sync
    r_qemu=$(best "$r_qemu" "$(b_time $NBD "qemu-img convert -f raw -O raw \"\$uri\" \"$D/out.raw\"")")
    i=$((i + 1))
done
rm -f "$D/out.raw"
# No sink at all: hvoffline writes every byte to /dev/null (pread + write),
# nbdcopy discards them (null:): the read path alone, no disk writes.
n_ref=$(b_best "$RUNS" sh -c "\"\$0\" vhdx read \"\$1\" >/dev/null" "$H" "$IMG")
n_nbd=$(b_best "$RUNS" $NBD "nbdcopy \"\$uri\" null:")
p_ref=$(b_best "$RUNS" sh -c "\"\$0\" vhdx read \"\$1\" | cat >/dev/null" "$H" "$IMG")
p_nbd=$(b_best "$RUNS" $NBD "nbdcopy \"\$uri\" - | cat >/dev/null")
# Check once that the export and the reference agree.
if [ -n "${NBDKIT_BENCH_SKIP_CMP:-}" ]; then same=skipped; else
$NBD "nbdcopy \"\$uri\" \"$D/a.raw\""
"$H" vhdx read -o "$D/b.raw" "$IMG"
if cmp -s "$D/a.raw" "$D/b.raw"; then same=yes; else same=NO; fi
fi
rm -f "$D/a.raw" "$D/b.raw" "$IMG"

echo "1. sequential read, $SIZE dynamic image (random data) to a raw file"
echo "   hvoffline vhdx read -o:        ${r_ref% *} s  (peak RSS ${r_ref#* } KiB)"
echo "   nbdcopy from the export:       ${r_nbd% *} s  (nbdcopy's peak RSS ${r_nbd#* } KiB)"
echo "   ratio export/hvoffline read:   $(b_ratio "${r_nbd% *}" "${r_ref% *}")  (target <= 1.5)"
echo "   (qemu-img convert from the export: ${r_qemu% *} s, ratio $(b_ratio "${r_qemu% *}" "${r_ref% *}"))"
echo "   (to a pipe: hvoffline vhdx read ${p_ref% *} s, nbdcopy from the export ${p_nbd% *} s, ratio $(b_ratio "${p_nbd% *}" "${p_ref% *}"))"
echo "   (no sink: hvoffline vhdx read >/dev/null ${n_ref% *} s, nbdcopy to null: ${n_nbd% *} s, ratio $(b_ratio "${n_nbd% *}" "${n_ref% *}"))"
echo "   export content == hvoffline vhdx read: $same"
echo

# ---- 2. kill -9 trials ----
trials=${NBDKIT_BENCH_KILL_TRIALS:-50}
echo "2. kill -9 of nbdkit during writes: $trials trials per image"
if HVO_NBDKIT_KILL_TRIALS=$trials HVO_NBDKIT_PLUGIN=$PLUGIN HVOFFLINE=$H \
    sh "$HVO_TOP_SRCDIR/tests/nbdkit/kill9.sh" >"$D/kill9.log" 2>&1; then
    sed -n 's/^ok: /   /p' "$D/kill9.log" | grep 'trials'
    echo "   all checks passed"
else
    sed 's/^/   | /' "$D/kill9.log"
    echo "   FAILED"
    exit 1
fi
