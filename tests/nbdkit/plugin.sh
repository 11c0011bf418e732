#!/bin/sh
# nbdkit-hvoffline-plugin: what it exports, judged by qemu-img, nbdinfo and
# nbdcopy (independent NBD clients) and by hvoffline vhdx read.
#   1. a .avhdx made by `hvoffline vhdx create --parent` over a qemu-written
#      base: qemu-img convert from the export == hvoffline vhdx read;
#   2. a 4 KiB-sector image is exported with 4096-byte blocks;
#   3. a dirty-log image exported read-only (readonly=true, and nbdkit -r)
#      reads as replayed and stays byte-identical;
#   4. the lock: a second writer is refused while the export runs;
#   5. writes through the export of a .avhdx reach the leaf only.
. "$HVO_TOP_SRCDIR/tests/nbdkit/nbdlib.sh"
H=$HVOFFLINE
D=$T_TMP
trap 'nbd_kill9; rm -rf "$T_TMP"' EXIT

run nbdkit "$PLUGIN" --dump-plugin
expect_rc 0 "nbdkit --dump-plugin loads the plugin"
expect_grep "$T_TMP/out" '^thread_model=parallel' "thread model: parallel"
expect_grep "$T_TMP/out" '^hvoffline_version=' "the plugin names its version"

# ---- 1. checkpoint over a qemu-written base ----
head -c 48M /dev/urandom >"$D/base.raw"
# A hole in the middle: the base's unallocated blocks read as zeros.
dd if=/dev/zero of="$D/base.raw" bs=1M seek=16 count=8 conv=notrunc 2>/dev/null
qemu-img convert -O vhdx -o subformat=dynamic,block_size=8M "$D/base.raw" "$D/base.vhdx"
run "$H" vhdx create --parent "$D/base.vhdx" "$D/snap.avhdx"
expect_rc 0 "vhdx create --parent over a qemu-written base"
# New data in the child at unaligned places, across block boundaries.
head -c 3000000 /dev/urandom >"$D/patch1"
head -c 777 /dev/urandom >"$D/patch2"
run "$H" vhdx write --offset 1000000 "$D/snap.avhdx" "$D/patch1"
expect_rc 0 "write into the child"
run "$H" vhdx write --offset 20000001 "$D/snap.avhdx" "$D/patch2"
expect_rc 0 "write into the child (in the base's hole)"
base_sum=$(sha "$D/base.vhdx")
snap_sum=$(sha "$D/snap.avhdx")
run "$H" vhdx read -o "$D/ref.raw" "$D/snap.avhdx"
expect_rc 0 "hvoffline vhdx read of the checkpoint"

if nbd_start file="$D/snap.avhdx" readonly=true; then
    run qemu-img convert -f raw -O raw "$NBD_URI" "$D/conv.raw"
    expect_rc 0 "qemu-img convert from the export of the checkpoint"
    run nbdinfo --json "$NBD_URI"
    expect_rc 0 "nbdinfo of the checkpoint"
    expect_json '.exports[0]."export-size" == 50331648' "export size is the virtual size"
    expect_json '.exports[0].is_read_only == true' "readonly=true exports read-only"
    expect_json '.exports[0].can_multi_conn == true' "multi-conn advertised"
    expect_json '.exports[0].block_size_minimum == 512' "512-byte sectors: minimum block 512"
    run nbdinfo --map "$NBD_URI"
    expect_rc 0 "nbdinfo --map (block status through the chain)"
    expect_grep "$T_TMP/out" 'hole,zero' "the base's hole is reported as zeros"
    nbd_stop
else
    t_fail "nbdkit did not serve the checkpoint: $(cat "$T_TMP/nbdkit.err")"
fi
T_COUNT=$((T_COUNT + 1))
if cmp -s "$D/conv.raw" "$D/ref.raw"; then
    t_pass "qemu-img convert of the export == hvoffline vhdx read (byte for byte)"
else
    t_fail "qemu-img convert of the export differs from hvoffline vhdx read"
fi
# The child's data is there, and the rest is the base's.
T_COUNT=$((T_COUNT + 1))
if cmp -s -i 0:1000000 -n 3000000 "$D/patch1" "$D/conv.raw" &&
    cmp -s -n 1000000 "$D/base.raw" "$D/conv.raw"; then
    t_pass "the export shows the child's sectors over the base's"
else
    t_fail "the export does not show the child over the base"
fi
expect_eq "$(sha "$D/base.vhdx")" "$base_sum" "the base is unchanged by a read-only export"
expect_eq "$(sha "$D/snap.avhdx")" "$snap_sum" "the checkpoint is unchanged by a read-only export"

# parent= override: the chain moved, the child's locator is stale.
mkdir "$D/moved"
cp "$D/base.vhdx" "$D/moved/renamed.vhdx"
mv "$D/base.vhdx" "$D/base.vhdx.away"
expect_nbd_refused "a missing parent stops nbdkit before it serves" \
    "a checkpoint whose parent is gone was served" \
    file="$D/snap.avhdx" readonly=true
expect_grep "$T_TMP/nbdkit.err" 'parent' "the error names the parent"
if nbd_start file="$D/snap.avhdx" parent="$D/moved/renamed.vhdx" readonly=true; then
    run nbdcopy "$NBD_URI" "$D/conv2.raw"
    expect_rc 0 "nbdcopy from the export with parent="
    nbd_stop
fi
T_COUNT=$((T_COUNT + 1))
if cmp -s "$D/conv2.raw" "$D/ref.raw"; then t_pass "parent= serves the same disk"; else t_fail "parent= export differs"; fi
mv "$D/base.vhdx.away" "$D/base.vhdx"
rm -rf "$D/moved" "$D/conv2.raw"

# ---- 2. 4 KiB logical sectors ----
run "$H" vhdx create --size 64M --logical-sector-size 4096 "$D/4k.vhdx"
expect_rc 0 "create a 4 KiB-sector image"
# Read-only: large requests preferred (nbdcopy sizes its requests by it);
# writable: the sector-based size.
if nbd_start file="$D/4k.vhdx" readonly=true; then
    run nbdinfo --json "$NBD_URI"
    expect_json '.exports[0].block_size_minimum == 4096' "4 KiB image: minimum block size 4096"
    expect_json '.exports[0].block_size_preferred == 1048576' "4 KiB image, read-only: preferred block size 1 MiB"
    nbd_stop
fi
if nbd_start file="$D/4k.vhdx"; then
    run nbdinfo --json "$NBD_URI"
    expect_json '.exports[0].block_size_minimum == 4096 and .exports[0].block_size_preferred == 4096' \
        "4 KiB image, writable: minimum and preferred block size 4096"
    nbd_stop
fi
if NBD_FLAGS=-r nbd_start file="$D/4k.vhdx"; then
    run nbdinfo --json "$NBD_URI"
    expect_json '.exports[0].block_size_preferred == 1048576' "4 KiB image, nbdkit -r: preferred block size 1 MiB"
    nbd_stop
fi

# ---- 3. dirty log, read-only ----
FIX=$(fixtures_dir)
bzip2 -dc "$FIX/vhdx/iotest-dirtylog-10G-4M.vhdx.bz2" >"$D/dirty.vhdx"
dirty_sum=$(sha "$D/dirty.vhdx")
run "$H" vhdx info --json "$D/dirty.vhdx"
expect_json '.image.log.state == "replayed-in-memory"' "the fixture's log needs replay"
run "$H" vhdx read -o "$D/dirty-ref.raw" "$D/dirty.vhdx"
expect_rc 0 "hvoffline vhdx read of the dirty image"
for how in readonly=true -r; do
    if [ "$how" = -r ]; then
        NBD_FLAGS=-r nbd_start file="$D/dirty.vhdx"
    else
        nbd_start file="$D/dirty.vhdx" readonly=true
    fi || t_fail "nbdkit ($how) did not serve the dirty image: $(cat "$T_TMP/nbdkit.err")"
    rm -f "$D/dirty-conv.raw"
    # 10 GiB, 18 MiB of it data: qemu-img skips the holes (block status).
    run qemu-img convert -f raw -O raw "$NBD_URI" "$D/dirty-conv.raw"
    expect_rc 0 "qemu-img convert from the dirty image exported with $how"
    nbd_stop
    run qemu-img compare -f raw -F raw "$D/dirty-conv.raw" "$D/dirty-ref.raw"
    expect_rc 0 "$how: the export reads the replayed disk (qemu-img compare with hvoffline vhdx read)"
    expect_eq "$(sha "$D/dirty.vhdx")" "$dirty_sum" "$how: the dirty image is byte-identical after the export"
done
rm -f "$D/dirty-conv.raw" "$D/dirty-ref.raw"

# ---- 4. the lock ----
run "$H" vhdx create --size 64M --block-size 1M "$D/dyn.vhdx"
if nbd_start file="$D/dyn.vhdx"; then
    first=$NBD_PID
    sock1=$NBD_SOCK
    uri1=$NBD_URI
    # A second nbdkit writer on the same image.
    expect_nbd_refused "a second writable nbdkit is refused" \
        "a second writable export of a served image was allowed" \
        file="$D/dyn.vhdx"
    expect_grep "$T_TMP/nbdkit.err" 'in use\|locked\|lock' "the refusal says the image is in use"
    # Nor may a reader come while the export writes.
    expect_nbd_refused "a reading nbdkit is refused beside a writable export" \
        "a reader was allowed beside a writable export" \
        file="$D/dyn.vhdx" readonly=true
    run "$H" vhdx write "$D/dyn.vhdx" "$D/patch2"
    expect_rc 4 "hvoffline vhdx write is refused (in use)"
    run qemu-img info "$D/dyn.vhdx"
    T_COUNT=$((T_COUNT + 1))
    if [ "$T_RC" -ne 0 ] && grep -q 'lock' "$T_TMP/err"; then
        t_pass "qemu-img is refused by the image lock"
    else
        t_fail "qemu-img opened an image the export writes (rc $T_RC)"
    fi
    # ---- 5a. writes through the export (still the first server) ----
    NBD_PID=$first NBD_SOCK=$sock1 NBD_URI=$uri1
    head -c 5M /dev/urandom >"$D/w.raw"
    run qemu-img convert -n -f raw "$D/w.raw" --target-image-opts \
        "driver=nbd,path=$NBD_SOCK"
    expect_rc 0 "qemu-img writes 5 MiB through the export"
    nbd_stop
    expect_eq "$?" 0 "nbdkit exits cleanly"
else
    t_fail "nbdkit did not serve a dynamic image read-write: $(cat "$T_TMP/nbdkit.err")"
fi
run "$H" vhdx check "$D/dyn.vhdx"
expect_rc 0 "hvoffline vhdx check after writes through the export"
run qemu-img check -f vhdx "$D/dyn.vhdx"
expect_rc 0 "qemu-img check after writes through the export"
"$H" vhdx read --length 5M -o "$D/w.back" "$D/dyn.vhdx"
T_COUNT=$((T_COUNT + 1))
if cmp -s "$D/w.raw" "$D/w.back"; then t_pass "the written data reads back"; else t_fail "written data differs"; fi

# Two read-only exports may share an image.
if nbd_start file="$D/dyn.vhdx" readonly=true; then
    first=$NBD_PID
    if nbd_start file="$D/dyn.vhdx" readonly=true; then
        T_COUNT=$((T_COUNT + 1))
        t_pass "two read-only exports share an image"
        nbd_stop
    else
        t_fail "a second read-only export was refused: $(cat "$T_TMP/nbdkit.err")"
    fi
    NBD_PID=$first
    nbd_stop
fi

# ---- 5b. writes to a checkpoint change the leaf only ----
if nbd_start file="$D/snap.avhdx"; then
    run nbdinfo --json "$NBD_URI"
    expect_json '.exports[0].is_read_only == false' "the checkpoint is exported writable"
    run qemu-img convert -n -f raw "$D/w.raw" --target-image-opts \
        "driver=nbd,path=$NBD_SOCK"
    expect_rc 0 "qemu-img writes through the export of the checkpoint"
    # zero and trim requests
    run qemu-io -f raw "$NBD_URI" -c 'write -z 1M 8M' -c 'discard 0 64k' -c flush
    expect_rc 0 "zero, trim and flush through the export"
    nbd_stop
fi
expect_eq "$(sha "$D/base.vhdx")" "$base_sum" "the base is byte-identical after writes to the checkpoint"
run "$H" vhdx check "$D/snap.avhdx"
expect_rc 0 "hvoffline vhdx check of the checkpoint after the writes"
"$H" vhdx read -o "$D/snap.back" "$D/snap.avhdx"
dd if=/dev/zero of="$D/w.raw" bs=1M seek=1 count=8 conv=notrunc 2>/dev/null
T_COUNT=$((T_COUNT + 1))
if cmp -s -n 9437184 "$D/w.raw" "$D/snap.back" &&
    cmp -s -i 9437184:9437184 "$D/ref.raw" "$D/snap.back"; then
    t_pass "the checkpoint holds the writes and zeros over the base"
else
    t_fail "the checkpoint's content after writes is wrong"
fi

t_finish
