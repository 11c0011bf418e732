#!/bin/sh
# `hvoffline reg set --image` on the ws2012-dirty test image, whose SYSTEM
# hive is the real, dirty Windows 10 SYSTEM_B with the logs that recover
# it: one appliance launch.  Judged without the appliance, by qemu-img,
# sfdisk, ntfscat (ntfs-3g), hivexget and hivexregedit: the value lands in
# the current control set, everything the logs held survives (the hive
# equals the host-side recovery of the original plus the new value), and
# the logs are emptied after the switch.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
need_images ws2012-dirty
need_tools qemu-img sfdisk ntfscat hivexget hivexregedit jq xz

# What Windows would read: SYSTEM_B recovered from its logs on the host.
mkdir "$T_TMP/ref"
for f in SYSTEM_B SYSTEM_B.LOG1 SYSTEM_B.LOG2; do
    xz -dc "$fx/hive/regipy/$f.xz" > "$T_TMP/ref/$(echo $f | sed 's/_B//')"
done
"$HVOFFLINE" reg recover --in-place "$T_TMP/ref/SYSTEM" >/dev/null 2>&1
hivexregedit --export "$T_TMP/ref/SYSTEM" '\' > "$T_TMP/ref.reg"

cp --sparse=always "$img/ws2012-dirty.vhdx" "$T_TMP/a.vhdx"
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_BACKEND_SETTINGS
run "$HVOFFLINE" --json reg set --image "$T_TMP/a.vhdx" \
    'HKLM\SYSTEM\CurrentControlSet\Control' HvoTest dword 7
expect_rc 0 "reg set --image on a dirty hive with logs"
expect_json '.changed == true and .hive == "SYSTEM" and (.record | test("reg-"))' \
    "written, with a record in the guest"

guest_files "$T_TMP/a.vhdx" Windows/System32/config/SYSTEM "$T_TMP/SYSTEM" \
    Windows/System32/config/SYSTEM.LOG1 "$T_TMP/LOG1"
expect_eq "$(hivexget "$T_TMP/SYSTEM" '\ControlSet001\Control' HvoTest)" 7 \
    "hivexget: the value is in ControlSet001, the current set"
hivexregedit --export "$T_TMP/SYSTEM" '\' | grep -v '^"HvoTest"=' > "$T_TMP/now.reg"
if cmp -s "$T_TMP/ref.reg" "$T_TMP/now.reg"; then r=same; else r=different; fi
expect_eq "$r" same "everything the logs held survives"
expect_eq "$(stat -c %s "$T_TMP/LOG1")" 0 "the logs are emptied after the switch"
t_finish
