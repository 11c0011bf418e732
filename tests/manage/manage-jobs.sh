#!/bin/sh
# services, reg --image and rollback with -j 2 on several images, each in
# its sandboxed child (native backend, no appliance; issue 16/18).  The
# results come back in the order given, each the one of its image, and
# are judged by independent tools: qemu-img and ntfscat (ntfs-3g) copy the
# SYSTEM hive out, hivexget reads Start.  A checkpoint whose parent lives
# in another folder is read through its child (its chain is granted), and
# the parent stays byte-identical.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_images ws2012-x64 win7-x86
need_tools qemu-img sfdisk ntfscat hivexget jq sha256sum
HVOFFLINE_BACKEND=native
export HVOFFLINE_BACKEND

for n in a b c; do
    cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/$n.vhdx"
done
cp --sparse=always "$img/win7-x86.vhdx" "$T_TMP/w.vhdx"

run "$HVOFFLINE" services -j
expect_rc 2 "services -j without a number"
run "$HVOFFLINE" services --backend nothing "$T_TMP/a.vhdx"
expect_rc 2 "services --backend: an unknown backend"

# Listing, four images two at a time: in the order given.
run "$HVOFFLINE" --json services -j 2 "$T_TMP/a.vhdx" "$T_TMP/w.vhdx" \
    "$T_TMP/b.vhdx" "$T_TMP/c.vhdx"
expect_rc 0 "services -j 2 on four images"
expect_json '[.images[].image | sub(".*/"; "")] == ["a.vhdx","w.vhdx","b.vhdx","c.vhdx"]' \
    "the results in the order given"
expect_json '[.images[].control_set] == [2,1,2,2]' \
    "each image's own control set (ws2012: 2, win7: 1)"
expect_json '[.images[] | .services | map(select(.service == "vmbus")) | .[0].start] == [0,0,0,0]' \
    "vmbus boot start on each"

# Disable on two of them at once, a third left alone.
run "$HVOFFLINE" --json services -j 2 --disable vmbus "$T_TMP/a.vhdx" "$T_TMP/b.vhdx"
expect_rc 0 "services -j 2 --disable vmbus"
expect_json '[.images[].changes[0].start] == [4,4]' "Start 4 on both"
for n in a b c; do
    guest_files "$T_TMP/$n.vhdx" Windows/System32/config/SYSTEM "$T_TMP/SYSTEM.$n"
done
expect_eq "$(hivexget "$T_TMP/SYSTEM.a" '\ControlSet002\Services\vmbus' Start)" 4 \
    "hivexget: a has Start 4"
expect_eq "$(hivexget "$T_TMP/SYSTEM.b" '\ControlSet002\Services\vmbus' Start)" 4 \
    "hivexget: b has Start 4"
expect_eq "$(hivexget "$T_TMP/SYSTEM.c" '\ControlSet002\Services\vmbus' Start)" 0 \
    "hivexget: c untouched"

# reg get in a child: the value the parent shows is the guest's.
run "$HVOFFLINE" --json reg get --image "$T_TMP/b.vhdx" \
    'HKLM\SYSTEM\CurrentControlSet\Services\vmbus' Start
expect_rc 0 "reg get --image"
expect_json '.value.data == 4' "reg get shows Start 4"

# Rollback, three at a time: two undo their change, one has none.
run "$HVOFFLINE" --json rollback --jobs 3 "$T_TMP/a.vhdx" "$T_TMP/b.vhdx" "$T_TMP/c.vhdx"
expect_rc 0 "rollback --jobs 3"
expect_json '[.images[].undone | length] == [1,1,0]' "a and b undone, c had nothing"
for n in a b; do
    guest_files "$T_TMP/$n.vhdx" Windows/System32/config/SYSTEM "$T_TMP/SYSTEM.$n"
    expect_eq "$(hivexget "$T_TMP/SYSTEM.$n" '\ControlSet002\Services\vmbus' Start)" 0 \
        "hivexget: $n back to Start 0"
done

# A child that cannot open its image fails that image alone.
head -c 1048576 "$img/ws2012-x64.vhdx" >"$T_TMP/bad.vhdx" # cut short
run "$HVOFFLINE" --json services -j 2 "$T_TMP/a.vhdx" "$T_TMP/bad.vhdx"
expect_rc 5 "a corrupt image among good ones: exit 5"
expect_json '[.images[].exit_code] == [0,5]' "the good image listed, the bad one 5"

# A checkpoint in another folder than its parent.
mkdir "$T_TMP/base" "$T_TMP/snaps"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/base/base.vhdx"
sum=$(sha256sum <"$T_TMP/base/base.vhdx")
run "$HVOFFLINE" vhdx create --parent "$T_TMP/base/base.vhdx" "$T_TMP/snaps/snap.avhdx"
expect_rc 0 "vhdx create --parent (another folder)"
run "$HVOFFLINE" --json services --disable vmbus "$T_TMP/snaps/snap.avhdx"
expect_rc 0 "services --disable on the checkpoint"
expect_json '.images[0].changes[0].start == 4' "Start 4 on the checkpoint"
expect_eq "$(sha256sum <"$T_TMP/base/base.vhdx")" "$sum" "the parent is byte-identical"
# qemu cannot open a differencing VHDX: the chain is read into a raw
# disk by `vhdx read`, then examined by sfdisk, ntfscat and hivexget.
run "$HVOFFLINE" vhdx read -o "$T_TMP/snap.raw" "$T_TMP/snaps/snap.avhdx"
expect_rc 0 "vhdx read of the checkpoint"
start=$(sfdisk -J "$T_TMP/snap.raw" | jq '.partitiontable.partitions[-1].start')
size=$(sfdisk -J "$T_TMP/snap.raw" | jq '.partitiontable.partitions[-1].size')
dd if="$T_TMP/snap.raw" of="$T_TMP/snap.part" bs=512 skip="$start" \
    count="$size" status=none
ntfscat "$T_TMP/snap.part" Windows/System32/config/SYSTEM >"$T_TMP/SYSTEM.s"
expect_eq "$(hivexget "$T_TMP/SYSTEM.s" '\ControlSet002\Services\vmbus' Start)" 4 \
    "hivexget: Start 4 in the checkpoint"
t_finish
