#!/bin/sh
# inspect on a Linux guest whose root is an LVM logical volume (issue 18,
# "Linux guests"), on the native backend: Debian 12 on VG deb-vg over two
# partitions, made by lvm2's own tools (mklinux.sh debian-lvm: one
# appliance launch).  The oracles are not our code: what lvm's pvs and
# lvs said when the image was made, sfdisk's reading of the partition
# table, and debugfs reading the root and /home filesystems from bytes
# cut out of the disk where lvs says the LVs' segments are.  Then the
# metadata is damaged on copies: a PV gone, a metadata text whose
# checksum no longer matches; inspect names what it cannot read, exits 0
# and leaves the image as it was.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
PATH=$PATH:/sbin:/usr/sbin
need_tools guestfish jq qemu-img debugfs sfdisk
export HVOFFLINE
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
mk="$HVO_TOP_SRCDIR/tests/linux/mklinux.sh"
img=$T_TMP/deb.vhdx
"$mk" debian-lvm "$img" >/dev/null 2>"$T_TMP/mk.err" || {
    cat "$T_TMP/mk.err" >&2
    t_fail "mklinux debian-lvm"
    t_finish
    exit 1
}
lvs=$img.lvs

# ---- the oracle: what lvm2 made ----
# pvs: NAME:UUID:VG:PE_START; lvs: VG:LV:SIZE:SEGTYPE:STRIPES:START:COUNT:DEVICES
awk '/^pvs$/ {s = 1; next} /^lvs$/ {s = 0} s' "$lvs" >"$T_TMP/pvs"
awk '/^lvs$/ {s = 1; next} s' "$lvs" >"$T_TMP/lvs"
expect_eq "$(cut -d: -f1,3,4 "$T_TMP/pvs" | tr '\n' ' ')" \
    "/dev/sda2:deb-vg:1048576 /dev/sda3:deb-vg:1048576 " \
    "pvs: VG deb-vg on partitions 2 and 3, extents from 1 MiB"
expect_eq "$(grep '^deb-vg:root:' "$T_TMP/lvs" | cut -d: -f3- | tr '\n' ' ')" \
    "20971520:linear:1:0:12:/dev/sda2(0) 20971520:linear:1:12:8:/dev/sda3(0) " \
    "lvs: root is linear, 12 extents on sda2 then 8 on sda3"
expect_eq "$(grep '^deb-vg:home:' "$T_TMP/lvs" | cut -d: -f3-)" \
    "8388608:striped:2:0:8:/dev/sda2(12),/dev/sda3(8)" \
    "lvs: home is striped over both PVs"

# The LVs' bytes, cut out of the disk where lvs and sfdisk put them.
qemu-img convert -f vhdx -O raw "$img" "$T_TMP/deb.raw"
part_start() { # part_start N: byte offset of partition N (sfdisk)
    sfdisk -d "$T_TMP/deb.raw" | awk -v p="deb.raw$1 " '
        index($0, p) { sub(/.*start= */, ""); sub(/,.*/, ""); print $0 * 512 }'
}
p2=$(part_start 2)
p3=$(part_start 3)
pe=$(cut -d: -f4 "$T_TMP/pvs" | head -1)
mib=1048576
expect_eq "$p2 $p3" "$((34816 * 512)) $((83968 * 512))" "sfdisk: the PVs' partitions"
cut_mib() { # cut_mib FROM_BYTE COUNT_MIB OUT
    dd if="$T_TMP/deb.raw" of="$3" bs=$mib iflag=skip_bytes skip="$1" \
        count="$2" oflag=append conv=notrunc 2>/dev/null
}
: >"$T_TMP/root.lv"
cut_mib $((p2 + pe)) 12 "$T_TMP/root.lv"
cut_mib $((p3 + pe)) 8 "$T_TMP/root.lv"
debugfs -R 'cat /usr/lib/os-release' "$T_TMP/root.lv" 2>/dev/null >"$T_TMP/os.debugfs"
expect_grep "$T_TMP/os.debugfs" 'VERSION_CODENAME=bookworm' \
    "debugfs: the root LV as lvs maps it holds Debian's os-release"
# home: 64 KiB chunks, alternately on sda2 from extent 12 and sda3 from 8.
: >"$T_TMP/home.lv"
i=0
while [ $i -lt 64 ]; do
    for base in $((p2 + pe + 12 * mib)) $((p3 + pe + 8 * mib)); do
        dd if="$T_TMP/deb.raw" bs=65536 iflag=skip_bytes \
            skip=$((base + i * 65536)) count=1 2>/dev/null >>"$T_TMP/home.lv"
    done
    i=$((i + 1))
done
debugfs -R 'cat /user/.profile' "$T_TMP/home.lv" 2>/dev/null >"$T_TMP/profile.debugfs"
expect_grep "$T_TMP/profile.debugfs" '~/.profile' \
    "debugfs: the striped home LV holds /user/.profile"

# ---- inspect, native backend ----
inspect_json() { # inspect --json IMAGE; $T_TMP/out keeps its report alone
    HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect --json "$1"
    jq '.images[0]' "$T_TMP/out" >"$T_TMP/one.json" && mv "$T_TMP/one.json" "$T_TMP/out"
}
sha=$(sha256sum <"$img")
inspect_json "$img"
expect_rc 0 "inspect of Debian on LVM exits 0"
# The LVs as lvs lists them (name, size, kind), from our JSON.
jq -r '.disk.volumes[] | select(.lvm != null) | "\(.lvm.vg):\(.lvm.lv):\(.size):\(.lvm.kind)"' \
    "$T_TMP/out" | sort >"$T_TMP/ours"
awk -F: '$2 != "snap" {print $1 ":" $2 ":" $3 ":" $4}' "$T_TMP/lvs" | sort -u >"$T_TMP/theirs"
expect_eq "$(grep -v ':snap:' "$T_TMP/ours" | tr '\n' ' ')" "$(tr '\n' ' ' <"$T_TMP/theirs")" \
    "the LVs, their sizes and kinds are those lvs lists"
expect_json '.disk.volumes[] | select(.device == "/dev/deb-vg/snap") | .lvm.kind == "snapshot" and .filesystem == null and (.problem | contains("a snapshot of home"))' \
    "snap: named as lvs names it, a snapshot, not read"
expect_json '.linux.device == "/dev/deb-vg/root" and .linux.filesystem == "ext4" and .linux.readable' \
    "the root is found on LV deb-vg/root"
expect_json '.linux.distribution.id == "debian" and .linux.distribution.version_id == "12" and .linux.distribution.codename == "bookworm"' \
    "distribution: Debian 12, read from the LV"
expect_json '[.linux.kernels[].version] == ["6.1.0-12-amd64", "6.1.0-13-amd64"] and (.linux.kernels[1] | .hyperv and .vmlinuz)' \
    "kernels from the root LV, vmlinuz from /boot (partition 1)"
expect_json '.linux.package.name == "hyperv-daemons" and .linux.package.installed and ([.linux.daemons[] | .installed] == [true, true, true]) and .linux.daemons[0].enabled' \
    "package and daemons from the root LV"
expect_json '[.linux.mounts[] | [.mountpoint, .device, .read, .lvm]] == [["/boot", "/dev/sda1", true, false], ["/home", "/dev/deb-vg/home", true, true]]' \
    "fstab: /boot by UUID on partition 1, /home by /dev/deb-vg/home on the striped LV"
expect_json '[.problems[].code] | any(. == "linux-mount-lvm" or . == "linux-lvm") | not' \
    "no LVM complaint when everything was read"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect "$img"
expect_grep "$T_TMP/out" '^  lvm: *\/dev\/deb-vg\/home ext4 (striped)$' "text: the striped LV"
expect_grep "$T_TMP/out" 'linux: *Debian GNU/Linux 12 (bookworm) on /dev/deb-vg/root (ext4)' \
    "text: the root named by its LV"
expect_eq "$(sha256sum <"$img")" "$sha" "inspect left the image as it was"

# ---- damage on copies of the raw disk ----
# PV 2 gone (its label zeroed): root and home are on it.
cp "$T_TMP/deb.raw" "$T_TMP/nopv.raw"
dd if=/dev/zero of="$T_TMP/nopv.raw" bs=512 seek=$((p3 / 512 + 1)) count=1 conv=notrunc 2>/dev/null
inspect_json "$T_TMP/nopv.raw"
expect_rc 0 "a PV missing: inspect exits 0"
expect_json '.disk.volumes[] | select(.device == "/dev/deb-vg/root") | .lvm.kind == "linear" and (.problem | test("^physical volume pv1 \\([A-Za-z0-9]{32}\\) is not on this disk$"))' \
    "a PV missing: root named, with the PV it lacks"
expect_json '.disk.volumes[] | select(.device == "/dev/deb-vg/swap") | .problem == null' \
    "a PV missing: swap, wholly on the PV that is there, stays readable"
expect_json '.linux.readable == false and ([.problems[] | select(.code == "linux-lvm")][0].message | contains("/dev/deb-vg/root: physical volume pv1"))' \
    "a PV missing: linux-lvm says which LV lacks what"

# Every copy of the metadata text damaged: its checksum fails on both PVs.
cp "$T_TMP/deb.raw" "$T_TMP/badmeta.raw"
for pv in $p2 $p3; do
    dd if="$T_TMP/deb.raw" bs=$mib iflag=skip_bytes skip=$pv count=1 2>/dev/null |
        grep -boa 'deb-vg {' | cut -d: -f1 | while read -r at; do
        printf 'x' | dd of="$T_TMP/badmeta.raw" bs=1 seek=$((pv + at)) conv=notrunc 2>/dev/null
    done
done
cp "$T_TMP/badmeta.raw" "$T_TMP/badmeta.copy"
inspect_json "$T_TMP/badmeta.raw"
expect_rc 0 "damaged metadata: inspect exits 0"
expect_json '[.disk.volumes[] | select(.filesystem == "LVM2_member") | .problem] == ["LVM: corrupt LVM2 metadata: metadata text: checksum mismatch", "LVM: corrupt LVM2 metadata: metadata text: checksum mismatch"]' \
    "damaged metadata: each PV says its text's checksum fails"
expect_json '[.disk.volumes[] | select(.lvm != null)] == [] and ([.problems[] | select(.code == "linux-lvm")][0].message | contains("checksum mismatch"))' \
    "damaged metadata: no LV made up, linux-lvm gives the reason"
cmp -s "$T_TMP/badmeta.raw" "$T_TMP/badmeta.copy"
T_RC=$?; expect_rc 0 "damaged metadata: the image is left as it was"
t_finish
