#!/bin/sh
# inspect on RHEL 9 as its installer lays it out by default (issue 18):
# the root XFS on LV rhel/root, /boot XFS on partition 1 (mklinux.sh
# rhel-lvm: the XFS images made by mkfs.xfs, the PV, VG and LVs by lvm2
# in one appliance launch), on the native backend.  Oracles: lvm's own
# pvs and lvs, sfdisk, and cmp of the bytes where lvs puts the root LV
# against the XFS image mkfs.xfs made.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
PATH=$PATH:/sbin:/usr/sbin
need_tools guestfish jq qemu-img sfdisk mkfs.xfs
export HVOFFLINE
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
if ! sh "$HVO_TOP_SRCDIR/tests/linux/mkrpmdb.sh" "$T_TMP/rpmdb" >"$T_TMP/mkrpmdb.log" 2>&1; then
    echo "SKIP: mkrpmdb.sh (rpm, rpmbuild, sqlite3) failed" >&2
    exit 77
fi
export RPMDB="$T_TMP/rpmdb"
img=$T_TMP/rhel.vhdx
"$HVO_TOP_SRCDIR/tests/linux/mklinux.sh" rhel-lvm "$img" "$T_TMP/root.xfs" \
    >/dev/null 2>"$T_TMP/mk.err" || {
    cat "$T_TMP/mk.err" >&2
    t_fail "mklinux rhel-lvm"
    t_finish
    exit 1
}
awk '/^pvs$/ {s = 1; next} /^lvs$/ {s = 0} s' "$img.lvs" >"$T_TMP/pvs"
awk '/^lvs$/ {s = 1; next} s' "$img.lvs" >"$T_TMP/lvs"
expect_eq "$(cut -d: -f1,3,4 "$T_TMP/pvs")" "/dev/sda2:rhel:1048576" \
    "pvs: VG rhel on partition 2, extents from 1 MiB"
expect_eq "$(tr '\n' ' ' <"$T_TMP/lvs")" \
    "rhel:root:16777216:linear:1:0:16:/dev/sda2(0) rhel:swap:4194304:linear:1:0:4:/dev/sda2(16) " \
    "lvs: root 16 extents, swap 4, linear on sda2"
qemu-img convert -f vhdx -O raw "$img" "$T_TMP/rhel.raw"
p2=$(sfdisk -d "$T_TMP/rhel.raw" | awk '/rhel.raw2 / { sub(/.*start= */, ""); sub(/,.*/, ""); print $0 * 512 }')
cmp -s -i "$((p2 + 1048576)):0" -n 16777216 "$T_TMP/rhel.raw" "$T_TMP/root.xfs"
T_RC=$?; expect_rc 0 "the root LV, where lvs and sfdisk put it, is mkfs.xfs's image"

HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect --json "$img"
expect_rc 0 "inspect of RHEL on LVM exits 0"
jq '.images[0]' "$T_TMP/out" >"$T_TMP/one.json" && mv "$T_TMP/one.json" "$T_TMP/out"
expect_json '[.disk.volumes[] | select(.lvm != null) | [.device, .filesystem, .size, .lvm.kind]] == [["/dev/rhel/root", "xfs", 16777216, "linear"], ["/dev/rhel/swap", null, 4194304, "linear"]]' \
    "the LVs as lvs lists them, root XFS"
expect_json '.linux.device == "/dev/rhel/root" and .linux.filesystem == "xfs" and .linux.distribution.id == "rhel" and .linux.distribution.version_id == "9.3"' \
    "RHEL 9.3 found on the XFS root LV"
expect_json '[.linux.kernels[] | .version, .hyperv, .vmlinuz] == ["5.14.0-362.el9.x86_64", true, true]' \
    "the kernel's modules from the LV, its vmlinuz from the XFS /boot"
expect_json '.linux.package.manager == "rpm" and .linux.package.installed and .linux.daemons[0].enabled' \
    "hyperv-daemons from the rpm database, KVP enabled"
expect_json '[.linux.mounts[] | [.mountpoint, .device, .read]] == [["/boot", "/dev/sda1", true]]' \
    "fstab: /boot (XFS) by UUID on partition 1"
t_finish
