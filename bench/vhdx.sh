#!/bin/sh
# bench/vhdx.sh - vhdx/ against qemu-img, in the same run, on the same
# images (built here):
#
#   1. sequential read of a 2 GiB dynamic image full of random data:
#      `hvoffline vhdx read -o FILE` vs `qemu-img convert -O raw` to a file
#      in the same directory (qemu-img cannot write raw to a pipe); both
#      write sparse files and leave the data in the page cache the same way.
#      Target: ours <= 1.0x qemu's time.
#   2. 2000 allocating 1 MiB writes into a 1 MiB-block image:
#      `hvoffline vhdx write --length 2000M IMAGE /dev/zero` (one
#      vhdx_pwrite() per MiB, durable at the end) vs `qemu-img bench -w -c
#      2000 -s 1M -t none` (qemu's log cycle per allocation; zeros too).
#      Target: ours >= 5x faster.
#   3. opening a 64 TiB image with 1 MiB blocks (a 513 MiB BAT):
#      `hvoffline vhdx info` vs `qemu-img info`, peak RSS.
#      Target: ours <= 64 MiB.
#
# Each measurement runs after `sync` (so one tool's write-back does not
# land on the other), the tools alternate, and the best of VHDX_BENCH_RUNS
# (default 3) times counts.  Use a build without sanitizers.
. "${HVO_TOP_SRCDIR:-$(dirname "$0")/..}/bench/lib.sh"

H=$HVOFFLINE
RUNS=${VHDX_BENCH_RUNS:-3}
b_need qemu-img /usr/bin/time bc
b_warn_sanitizers
D=$B_TMP

echo "hvoffline: $H"
echo "qemu-img:  $(qemu-img --version | head -n 1)"
echo "runs:      best of $RUNS"
echo

# ---- 1. sequential read ----
b_random_vhdx 2G "$D/read.vhdx"
read_q=
read_h=
i=0
while [ "$i" -lt "$RUNS" ]; do
    rm -f "$D/out.raw"
    sync
    r=$(b_time qemu-img convert -O raw "$D/read.vhdx" "$D/out.raw")
    [ -z "$read_q" ] || [ "$(echo "${r% *} < ${read_q% *}" | bc -l)" = 1 ] && read_q=$r
    rm -f "$D/out.raw"
    sync
    r=$(b_time "$H" vhdx read -o "$D/out.raw" "$D/read.vhdx")
    [ -z "$read_h" ] || [ "$(echo "${r% *} < ${read_h% *}" | bc -l)" = 1 ] && read_h=$r
    i=$((i + 1))
done
rm -f "$D/out.raw"
# For information: the same disk streamed to a pipe (qemu-img cannot).
read_p=$(b_best "$RUNS" sh -c "\"\$0\" vhdx read \"\$1\" | cat >/dev/null" "$H" "$D/read.vhdx")
rm -f "$D/read.vhdx"
echo "1. sequential read, 2 GiB dynamic image (random data) to a raw file"
echo "   qemu-img convert:  ${read_q% *} s  (peak RSS ${read_q#* } KiB)"
echo "   hvoffline read:    ${read_h% *} s  (peak RSS ${read_h#* } KiB)"
echo "   ratio ours/qemu:   $(b_ratio "${read_h% *}" "${read_q% *}")  (target <= 1.0)"
echo "   (hvoffline read to a pipe: ${read_p% *} s)"
echo

# ---- 2. allocating writes ----
write_q=
write_h=
write_r=
i=0
while [ "$i" -lt "$RUNS" ]; do
    # The floor: the same writes to a raw file (no allocation at all).
    rm -f "$D/w.raw"
    qemu-img create -q -f raw "$D/w.raw" 4G
    sync
    r=$(b_time qemu-img bench -w -c 2000 -s 1M -t none -f raw "$D/w.raw")
    [ -z "$write_r" ] || [ "$(echo "${r% *} < ${write_r% *}" | bc -l)" = 1 ] && write_r=$r
    rm -f "$D/w.raw"
    rm -f "$D/wq.vhdx"
    qemu-img create -q -f vhdx -o block_size=1M "$D/wq.vhdx" 4G
    sync
    r=$(b_time qemu-img bench -w -c 2000 -s 1M -t none -f vhdx "$D/wq.vhdx")
    [ -z "$write_q" ] || [ "$(echo "${r% *} < ${write_q% *}" | bc -l)" = 1 ] && write_q=$r
    rm -f "$D/wq.vhdx"
    rm -f "$D/wh.vhdx"
    "$H" -q vhdx create --size 4G --block-size 1M "$D/wh.vhdx"
    sync
    r=$(b_time "$H" -q vhdx write --length 2000M "$D/wh.vhdx" /dev/zero)
    [ -z "$write_h" ] || [ "$(echo "${r% *} < ${write_h% *}" | bc -l)" = 1 ] && write_h=$r
    rm -f "$D/wh.vhdx"
    i=$((i + 1))
done
per_alloc() { # ms per allocation above the raw floor
    echo "scale=3; ($1 - ${write_r% *}) * 1000 / 2000" | bc -l
}
echo "2. 2000 allocating 1 MiB writes, 1 MiB blocks (durable at the end)"
echo "   raw file (floor):  ${write_r% *} s  (qemu-img bench -f raw -t none)"
echo "   qemu-img bench:    ${write_q% *} s  ($(per_alloc "${write_q% *}") ms per allocation above the floor)"
echo "   hvoffline write:   ${write_h% *} s  ($(per_alloc "${write_h% *}") ms per allocation above the floor)"
echo "   speed-up:          $(b_ratio "${write_q% *}" "${write_h% *}")x  (target >= 5)"
echo

# ---- 3. open a 64 TiB image ----
qemu-img create -q -f vhdx -o block_size=1M,log_size=1M "$D/big.vhdx" 64T
open_q=$(b_best "$RUNS" qemu-img info "$D/big.vhdx")
open_h=$(b_best "$RUNS" "$H" vhdx info "$D/big.vhdx")
rm -f "$D/big.vhdx"
echo "3. open a 64 TiB image with 1 MiB blocks (513 MiB BAT)"
echo "   qemu-img info:     ${open_q% *} s, peak RSS ${open_q#* } KiB"
echo "   hvoffline info:    ${open_h% *} s, peak RSS ${open_h#* } KiB  (target <= 65536 KiB)"
