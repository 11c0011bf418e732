#!/bin/sh
# xfs-seeds.sh OUTDIR - makes fuzz_xfs's seeds (see fuzz/fuzz_xfs.c for
# their form) with mkfs.xfs -p from a small tree: a v5 and a v4 volume
# of 16 MiB and 1 KiB blocks; short-form, block and leaf directories,
# files, a symbolic link in the inode and one in a block, a loop; and a
# v4 volume whose directory "bt" has 600 entries, each with data, so
# that its blocks lie between its files' and its fork is a btree (bmbt).
# Each seed: BASE and HEAD (big-endian), the first 64 KiB of the volume,
# then the volume from the first non-zero 64 KiB after it to the last.
set -eu
out=${1:?usage: xfs-seeds.sh OUTDIR}
PATH=$PATH:/sbin:/usr/sbin
export TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 # mkfs.xfs: allow 16 MiB
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=$tmp/tree
mkdir -p "$t/sf" "$t/blk" "$t/leaf" "$out"
printf 'hello\n' >"$t/hello"
seq 1 3000 >"$t/data"
printf 'a\n' >"$t/sf/a"
ln -s ../hello "$t/sf/up"
ln -s /sf "$t/abs"
ln -s "$(printf '%0300d' 0 | tr 0 y)" "$t/mid"
ln -s loop "$t/loop"
i=1
while [ $i -le 40 ]; do printf '%s\n' $i >"$t/blk/f$i"; i=$((i + 1)); done
i=1
while [ $i -le 150 ]; do
    printf '%s\n' $i >"$t/leaf/entry-with-a-longer-name-$i"
    i=$((i + 1))
done
mkproto=$(dirname "$0")/../../tests/linux/mkproto.sh
sh "$mkproto" "$t" >"$tmp/proto"
mkdir -p "$tmp/bt/bt"
seq 1 600 | while read -r i; do
    printf '%s\n' "$i" >"$tmp/bt/bt/a-name-long-enough-to-need-a-few-directory-blocks-$i"
done
sh "$mkproto" "$tmp/bt" >"$tmp/proto-bt"
# be32 N: N as 4 big-endian bytes.
be32() {
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) \
        $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"
}
for v in v5 v4 v4-btree; do
    opts= proto=$tmp/proto
    [ $v = v5 ] || opts="-m crc=0 -n ftype=0 -i size=256"
    [ $v != v4-btree ] || proto=$tmp/proto-bt
    img=$tmp/$v.img
    mkfs.xfs -q $opts -b size=1024 -d file,name="$img",size=16m \
        -p "$proto" >/dev/null 2>&1
    first= last=
    c=1
    while [ $c -lt 256 ]; do
        n=$(dd if="$img" bs=64K skip=$c count=1 2>/dev/null | tr -d '\000' | wc -c)
        if [ "$n" -gt 0 ]; then
            [ -n "$first" ] || first=$c
            last=$c
        fi
        c=$((c + 1))
    done
    {
        be32 $((first * 65536))
        be32 65536
        dd if="$img" bs=64K count=1 2>/dev/null
        dd if="$img" bs=64K skip="$first" count=$((last - first + 1)) 2>/dev/null
    } >"$out/$v-1k"
done
