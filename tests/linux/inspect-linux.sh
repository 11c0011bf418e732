#!/bin/sh
# inspect on Linux guests (issue 18, "Linux guests"), on the native backend
# (no appliance): two images built by mklinux.sh from their recipes, one
# with the Hyper-V drivers and daemons, one without.  What the recipe put
# in is the expectation; debugfs (e2fsprogs) independently confirms the
# filesystem inside holds it, and qemu-img that the VHDX carries that
# filesystem at the partition's offset.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
PATH=$PATH:/sbin:/usr/sbin
for tool in mkfs.ext4 sfdisk debugfs jq qemu-img; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing" >&2; exit 77; }
done
mk="$HVO_TOP_SRCDIR/tests/linux/mklinux.sh"
export HVOFFLINE
"$mk" hyperv "$T_TMP/hv.vhdx" "$T_TMP/hv.fs" || { t_fail "mklinux hyperv"; t_finish; exit 1; }
"$mk" bare "$T_TMP/bare.vhdx" "$T_TMP/bare.fs" || { t_fail "mklinux bare"; t_finish; exit 1; }

# Independent oracles on the images themselves.
qemu-img convert -f vhdx -O raw "$T_TMP/hv.vhdx" "$T_TMP/hv.raw"
cmp -s -i 1048576:0 -n "$(stat -c %s "$T_TMP/hv.fs")" "$T_TMP/hv.raw" "$T_TMP/hv.fs"
T_RC=$?; expect_rc 0 "qemu-img: the VHDX holds the filesystem at 1 MiB"
debugfs -R 'ls -p /usr/lib/modules' "$T_TMP/hv.fs" 2>/dev/null |
    awk -F/ '$6 ~ /^6\./ {print $6}' | sort >"$T_TMP/kernels.debugfs"
expect_eq "$(tr '\n' ' ' <"$T_TMP/kernels.debugfs")" "6.1.0-12-amd64 6.1.0-13-amd64 " \
    "debugfs: the recipe's two kernels are in the filesystem"
debugfs -R 'stat /etc/systemd/system/multi-user.target.wants/hv-kvp-daemon.service' \
    "$T_TMP/hv.fs" 2>/dev/null >"$T_TMP/link.debugfs"
expect_grep "$T_TMP/link.debugfs" 'Fast link dest: "/lib/systemd/system/hv-kvp-daemon.service"' \
    "debugfs: the KVP unit's enabling link is there"

# inspect_json IMAGE: inspect --json on the native backend; $T_TMP/out then
# holds the image's own report (.images[0]), for expect_json.
inspect_json() {
    HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect --json "$1"
    jq '.images[0]' "$T_TMP/out" >"$T_TMP/img.json" 2>/dev/null &&
        cp "$T_TMP/img.json" "$T_TMP/out"
}

# ---- the image with the Hyper-V drivers and daemons ----
inspect_json "$T_TMP/hv.vhdx"
expect_rc 0 "inspect of a Linux guest exits 0"
expect_json '.linux.distribution.id == "debian" and .linux.distribution.version_id == "12" and .linux.distribution.codename == "bookworm"' \
    "distribution: Debian 12 (bookworm), read through the /etc/os-release link"
expect_json '.linux.distribution.pretty_name == "Debian GNU/Linux 12 (bookworm)"' "pretty name"
expect_json '.linux.partition == 1 and .linux.filesystem == "ext4"' "root on partition 1, ext4"
expect_json '[.linux.kernels[].version] == ["6.1.0-12-amd64", "6.1.0-13-amd64"]' \
    "kernels: both module trees, through the /lib -> usr/lib link"
expect_json '.linux.kernels[1] | .hyperv and .vmlinuz and ([.modules[].state] | all(. == "module"))' \
    "6.1.0-13-amd64: all four Hyper-V modules as module files, vmlinuz present"
expect_json '.linux.kernels[1].modules.hv_netvsc.path == "/lib/modules/6.1.0-13-amd64/kernel/drivers/net/hyperv/hv_netvsc.ko"' \
    "hv_netvsc found where the kernel tree puts it"
expect_json '.linux.kernels[0] | (.hyperv | not) and (.vmlinuz | not) and .modules.hv_vmbus.state == "built-in" and .modules.hv_utils.state == "module" and .modules.hv_netvsc.state == "module" and .modules.hv_storvsc.state == "damaged"' \
    "6.1.0-12-amd64: vmbus built in, utils .ko.xz, netvsc via modules.dep, storvsc not a module"
expect_json '.linux.kernels[0].modules.hv_netvsc.path | endswith("/updates/hv_netvsc.ko.zst")' \
    "hv_netvsc located through modules.dep"
expect_json '.linux.package.manager == "dpkg" and .linux.package.installed and .linux.package.name == "hyperv-daemons" and .linux.package.version == "6.1.55-1"' \
    "package: hyperv-daemons 6.1.55-1 installed (dpkg status)"
expect_json '.linux.daemons[0] | .name == "hv_kvp_daemon" and .installed and .program == "/usr/sbin/hv_kvp_daemon" and .unit == "hv-kvp-daemon.service" and .enabled and .wanted_by == "multi-user.target" and (.masked | not)' \
    "hv_kvp_daemon: program, unit, enabled by multi-user.target"
expect_json '.linux.daemons[1] | .name == "hv_vss_daemon" and .enabled' "hv_vss_daemon enabled"
expect_json '.linux.daemons[2] | .name == "hv_fcopy_daemon" and .masked and (.enabled | not)' \
    "hv_fcopy_daemon masked (a link to /dev/null)"
expect_json '[.problems[].code] | index("linux-guest") != null and index("no-windows") == null' \
    "a linux-guest note instead of no-windows"
expect_json '[.problems[] | select(.code == "linux-hv-daemon-masked")][0].message | contains("systemctl unmask hv-fcopy-daemon.service")' \
    "what to do about the masked daemon"
expect_json '[.problems[] | select(.code == "linux-hv-modules")] | length == 1 and (.[0].message | contains("6.1.0-12-amd64") and contains("hv_storvsc (damaged)"))' \
    "one kernel lacks a usable hv_storvsc"
expect_json '[.problems[].exit_code] | all(. == 0)' "every Linux note is exit 0"

HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect "$T_TMP/hv.vhdx"
expect_rc 0 "text inspect exits 0"
expect_grep "$T_TMP/out" "linux: *Debian GNU/Linux 12 (bookworm) on volume 1 (ext4)" "text names the distribution"
expect_grep "$T_TMP/out" "kernel: *6.1.0-13-amd64: hv_vmbus module, hv_utils module, hv_netvsc module, hv_storvsc module" \
    "text lists a kernel's modules"
expect_grep "$T_TMP/out" "daemon: *hv_kvp_daemon /usr/sbin/hv_kvp_daemon, hv-kvp-daemon.service enabled (multi-user.target)" \
    "text names the enabled KVP daemon"
expect_grep "$T_TMP/out" "Linux guests get integration services from their kernel" "text says where integration services come from"

# ---- the image without them ----
inspect_json "$T_TMP/bare.vhdx"
expect_rc 0 "inspect of a Linux guest without Hyper-V support exits 0"
expect_json '.linux.distribution.id == "debian" and .linux.partition == 1' "bare: Debian on the MBR partition"
expect_json '[.linux.kernels[].version] == ["6.1.0-13-amd64"] and (.linux.kernels[0].hyperv | not) and ([.linux.kernels[0].modules[].state] | all(. == "missing"))' \
    "bare: the kernel has none of the four modules"
expect_json '.linux.package.installed == false and ([.linux.daemons[].installed] | all(. == false))' \
    "bare: no daemons package, no daemons"
expect_json '[.problems[] | select(.code == "linux-hv-daemons")][0].message | contains("apt install hyperv-daemons")' \
    "bare: says to install hyperv-daemons"
expect_json '[.problems[] | select(.code == "linux-hv-modules")][0].message | contains("hv_vmbus, hv_utils, hv_netvsc, hv_storvsc")' \
    "bare: names the missing modules"

# ---- apply and services on a Linux guest: what to do instead, exit 3 ----
sha_before=$(sha256sum <"$T_TMP/hv.vhdx")
run "$HVOFFLINE" --json apply --source "$(fixtures_dir)/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$T_TMP/hv.vhdx"
expect_rc 3 "apply on a Linux guest exits 3 (no package applies)"
expect_json '.images[0] | .status == "not-applicable" and (.message | startswith("linux-guest: Debian GNU/Linux 12 (bookworm) on volume 1 is a Linux guest, not Windows"))' \
    "apply says it is a Linux guest, with its own code"
expect_json '.images[0].message | contains("hv_vmbus, hv_utils, hv_netvsc and hv_storvsc") and contains("apt install hyperv-daemons")' \
    "apply says what gives Linux guests integration services, and how to install the daemons"
expect_eq "$(sha256sum <"$T_TMP/hv.vhdx")" "$sha_before" "apply left the Linux image byte-identical"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" services "$T_TMP/hv.vhdx"
expect_rc 3 "services on a Linux guest exits 3"
expect_grep "$T_TMP/err" "linux-guest: Debian GNU/Linux 12" "services says it is a Linux guest"

# ---- RHEL: rpm, RHEL's daemon names, the RPM database ----
# The databases come from rpm itself (mkrpmdb.sh); rpm reads them back as
# the oracle, from the files inside the images (debugfs dump).
if ! sh "$HVO_TOP_SRCDIR/tests/linux/mkrpmdb.sh" "$T_TMP/rpmdb" >"$T_TMP/mkrpmdb.log" 2>&1; then
    echo "SKIP: mkrpmdb.sh (rpm, rpmbuild, sqlite3, db_load) failed; RHEL images not tested" >&2
    cat "$T_TMP/mkrpmdb.log" >&2
    t_finish
    exit $?
fi
export RPMDB="$T_TMP/rpmdb"
"$mk" rhel "$T_TMP/rhel.vhdx" "$T_TMP/rhel.fs" 2>/dev/null || t_fail "mklinux rhel"
mkdir -p "$T_TMP/rhel.db"
debugfs -R "dump /var/lib/rpm/rpmdb.sqlite $T_TMP/rhel.db/rpmdb.sqlite" "$T_TMP/rhel.fs" 2>/dev/null
oracle=$(rpm --dbpath "$T_TMP/rhel.db" -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH}' hyperv-daemons 2>/dev/null)
expect_eq "$oracle" "1:6.1.0-3.el9 x86_64" "rpm (sqlite): the image's rpmdb.sqlite holds hyperv-daemons 1:6.1.0-3.el9"
inspect_json "$T_TMP/rhel.vhdx"
expect_rc 0 "inspect of a RHEL guest exits 0"
expect_json '.linux.distribution.id == "rhel" and .linux.distribution.version_id == "9.3" and .linux.distribution.id_like == "fedora"' \
    "rhel: distribution from os-release"
expect_json '.linux.kernels[0].version == "5.14.0-362.el9.x86_64" and .linux.kernels[0].hyperv and .linux.kernels[0].modules.hv_storvsc.path == "/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/scsi/hv_storvsc.ko.xz"' \
    "rhel: xz-compressed modules count"
expect_json ".linux.package | .manager == \"rpm\" and .database_read and .installed and .name == \"hyperv-daemons\" and (.version + \" \" + .arch) == \"$oracle\" and .database == \"/var/lib/rpm/rpmdb.sqlite\" and .headers_skipped == 0" \
    "rhel: hyperv-daemons and its version read from rpmdb.sqlite, as rpm reads them"
expect_json '.linux.daemons[0].program == "/usr/sbin/hypervkvpd" and .linux.daemons[0].unit == "hypervkvpd.service" and .linux.daemons[0].enabled' \
    "rhel: hypervkvpd, enabled"
expect_json '.linux.daemons[1].unit == "hypervvssd.service" and (.linux.daemons[1].enabled | not) and (.linux.daemons[2].installed | not)' \
    "rhel: hypervvssd not enabled, no file copy daemon"
expect_json '[.problems[].message] | any(contains("systemctl enable hypervvssd.service")) and any(contains("hv_fcopy_daemon is not installed: in the guest, dnf install hyperv-daemons"))' \
    "rhel: says to enable hypervvssd and to install hyperv-daemons with dnf"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect "$T_TMP/rhel.vhdx"
expect_grep "$T_TMP/out" "package: *hyperv-daemons 1:6.1.0-3.el9.x86_64 (rpm, /var/lib/rpm/rpmdb.sqlite)" \
    "rhel: the text names the package and its version"

# ---- RHEL 9 stopped with rpm's last change in rpmdb.sqlite-wal ----
"$mk" rhel-wal "$T_TMP/rhelwal.vhdx" "$T_TMP/rhelwal.fs" 2>/dev/null || t_fail "mklinux rhel-wal"
mkdir -p "$T_TMP/rhelwal.db"
for f in rpmdb.sqlite rpmdb.sqlite-wal; do
    debugfs -R "dump /var/lib/rpm/$f $T_TMP/rhelwal.db/$f" "$T_TMP/rhelwal.fs" 2>/dev/null
done
expect_eq "$(rpm --dbpath "$T_TMP/rhelwal.db" -q hyperv-daemons 2>/dev/null)" "package hyperv-daemons is not installed" \
    "rpm (sqlite, with its WAL): hyperv-daemons was removed"
inspect_json "$T_TMP/rhelwal.vhdx"
expect_json '.linux.package | .database_wal_not_read and .installed' \
    "rhel-wal: the WAL is said not to be read (the package found is the main file's)"
expect_json '[.problems[] | select(.code == "linux-rpmdb-wal")][0].message | contains("/var/lib/rpm/rpmdb.sqlite-wal") and contains("may be stale")' \
    "rhel-wal: the note says the package found may be stale"

# ---- RHEL 8: /boot and /usr on volumes of their own, Berkeley DB ----
"$mk" rhel8 "$T_TMP/rhel8.vhdx" "$T_TMP/rhel8.fs" 2>/dev/null || t_fail "mklinux rhel8"
mkdir -p "$T_TMP/rhel8.db"
debugfs -R "dump /var/lib/rpm/Packages $T_TMP/rhel8.db/Packages" "$T_TMP/rhel8.fs.p2" 2>/dev/null
# (bdb_ro reads Packages alone, without the Name index: -qa, not -q NAME.)
oracle=$(rpm --dbpath "$T_TMP/rhel8.db" --define '_db_backend bdb_ro' -qa \
    --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH}\n' 2>/dev/null |
    sed -n 's/^hyperv-daemons //p')
expect_eq "$oracle" "1:6.1.0-3.el9 x86_64" "rpm (bdb_ro): the image's Berkeley DB Packages holds hyperv-daemons"
expect_eq "$(rpm --dbpath "$T_TMP/rhel8.db" --define '_db_backend bdb_ro' -qa 2>/dev/null | wc -l)" 4 \
    "rpm (bdb_ro): four packages in Packages"
expect_eq "$(debugfs -R 'stat /etc/os-release' "$T_TMP/rhel8.fs.p2" 2>/dev/null | grep -c 'Fast link dest: "../usr/lib/os-release"')" 1 \
    "debugfs: the root's /etc/os-release is a link into /usr"
expect_eq "$(debugfs -R 'ls -p /lib/modules' "$T_TMP/rhel8.fs.p3" 2>/dev/null | grep -c 4.18.0-513.el8.x86_64)" 1 \
    "debugfs: the kernel's modules are on the /usr volume"
inspect_json "$T_TMP/rhel8.vhdx"
expect_rc 0 "inspect of a RHEL 8 guest with separate /boot and /usr exits 0"
expect_json '.linux.partition == 2 and .linux.fstab and .linux.distribution.version_id == "8.9" and .linux.distribution.os_release == "/etc/os-release"' \
    "rhel8: root on partition 2, os-release through the link into /usr"
expect_json '[.linux.mounts[] | [.mountpoint, .partition, .read, .lvm]] == [["/boot", 1, true, false], ["/usr", 3, true, false], ["/home", null, false, true], ["/srv", null, false, false]]' \
    "rhel8: /boot by UUID=, /usr by LABEL=, /home on LVM and /srv not on the disk named (the ESP and swap not followed)"
expect_json '.linux.kernels | length == 1 and .[0].version == "4.18.0-513.el8.x86_64" and .[0].hyperv and .[0].vmlinuz and .[0].modules.hv_vmbus.path == "/lib/modules/4.18.0-513.el8.x86_64/kernel/drivers/hv/hv_vmbus.ko.xz"' \
    "rhel8: modules from the /usr volume (through /lib), vmlinuz from the /boot volume"
expect_json '.linux.daemons[0] | .program == "/usr/sbin/hypervkvpd" and .unit_file == "/lib/systemd/system/hypervkvpd.service" and .enabled' \
    "rhel8: hypervkvpd and its unit on /usr (through /lib), enabled by a link on the root"
expect_json ".linux.package | .database == \"/var/lib/rpm/Packages\" and .installed and (.version + \" \" + .arch) == \"$oracle\"" \
    "rhel8: hyperv-daemons read from the Berkeley DB Packages, as rpm reads it"
expect_json '[.problems[] | select(.code == "linux-mount-lvm")][0].message | contains("/home") and contains("/dev/mapper/rhel-home")' \
    "rhel8: the LVM mount is named"
expect_json '[.problems[] | select(.code == "linux-mount-missing")][0].message | contains("/srv from UUID=0a0a0a0a-0000-4000-8000-00000000dead") and contains("not found")' \
    "rhel8: the mount whose volume is not on the disk is named"

# ---- RHEL 9 on XFS: root and /boot read by the native XFS reader ----
"$mk" xfs "$T_TMP/xfs.vhdx" "$T_TMP/xfs.fs" 2>/dev/null || t_fail "mklinux xfs"
# xfs_db (xfsprogs) and qemu-img, not our code, on what the image holds.
if command -v xfs_db >/dev/null; then
    expect_eq "$(xfs_db -r -c 'ls /usr/lib/modules' "$T_TMP/xfs.fs.p2" | grep -c ' 5.14.0-362.el9.x86_64 (good)')" 1 \
        "xfs_db: the kernel's module tree is on the XFS root"
    expect_eq "$(xfs_db -r -c 'ls /' "$T_TMP/xfs.fs.p1" | grep -c ' vmlinuz-5.14.0-362.el9.x86_64 (good)')" 1 \
        "xfs_db: the vmlinuz is on the XFS /boot"
else
    t_fail "xfs_db (xfsprogs) is missing"
fi
qemu-img convert -f vhdx -O raw "$T_TMP/xfs.vhdx" "$T_TMP/xfs.raw"
cmp -s -i $((1048576 + 16777216)):0 -n 16777216 "$T_TMP/xfs.raw" "$T_TMP/xfs.fs.p2"
T_RC=$?; expect_rc 0 "qemu-img: the VHDX holds the XFS root as partition 2"
inspect_json "$T_TMP/xfs.vhdx"
expect_rc 0 "inspect of a RHEL guest on XFS exits 0"
expect_json '.disk.volumes[0].filesystem == "xfs" and .disk.volumes[1].filesystem == "xfs" and .linux.readable and .linux.partition == 2 and .linux.filesystem == "xfs"' \
    "xfs: the root found on partition 2 and read (XFS)"
expect_json '.linux.distribution.id == "rhel" and .linux.distribution.version_id == "9.3" and .linux.distribution.os_release == "/etc/os-release"' \
    "xfs: RHEL 9.3 from os-release, through the link into /usr"
expect_json '[.linux.mounts[] | [.mountpoint, .partition, .read, .lvm]] == [["/boot", 1, true, false]]' \
    "xfs: /boot on the XFS partition 1, found by fstab's UUID= (sb_uuid) and read"
expect_json '.linux.kernels | length == 1 and .[0].version == "5.14.0-362.el9.x86_64" and .[0].hyperv and .[0].vmlinuz and .[0].modules.hv_storvsc.path == "/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/scsi/hv_storvsc.ko.xz"' \
    "xfs: the kernel's four modules (through /lib), its vmlinuz on /boot"
expect_json ".linux.package | .manager == \"rpm\" and .database_read and .installed and .name == \"hyperv-daemons\" and (.version + \" \" + .arch) == \"$oracle\"" \
    "xfs: hyperv-daemons read from rpmdb.sqlite on the XFS root"
expect_json '.linux.daemons[0] | .program == "/usr/sbin/hypervkvpd" and .unit == "hypervkvpd.service" and .enabled' \
    "xfs: hypervkvpd enabled"
expect_json '(.linux.daemons[1].enabled | not) and ([.problems[].code] | index("linux-unreadable") == null)' \
    "xfs: hypervvssd not enabled; nothing unreadable"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" inspect "$T_TMP/xfs.vhdx"
expect_grep "$T_TMP/out" "linux: *Red Hat Enterprise Linux 9.3 (Plow) on volume 2 (xfs)" "xfs: text names the distribution on XFS"

# ---- an XFS root whose superblock is damaged: named, not read ----
cp "$T_TMP/xfs.raw" "$T_TMP/xfsbad.raw"
printf 'X' | dd of="$T_TMP/xfsbad.raw" bs=1 seek=$((1048576 + 16777216 + 108)) conv=notrunc 2>/dev/null
inspect_json "$T_TMP/xfsbad.raw"
expect_rc 0 "inspect of an unreadable XFS root exits 0"
expect_json '.disk.volumes[1].filesystem == "xfs" and .linux.readable == false and .linux.partition == 2' \
    "xfs: a damaged XFS root recognised, reported as a Linux volume not read"
expect_json '[.problems[] | select(.code == "linux-unreadable")][0].message | contains("volume 2 (xfs)") and contains("cannot be read") and contains("XFS superblock checksum mismatch")' \
    "xfs: says why (the superblock's checksum)"

# ---- a loop of symbolic links: given up, not followed forever ----
"$mk" loop "$T_TMP/loop.vhdx" 2>/dev/null || t_fail "mklinux loop"
inspect_json "$T_TMP/loop.vhdx"
expect_rc 0 "inspect of a root whose os-release is a loop of links exits 0"
expect_json '.linux.readable and .linux.fstab and .linux.distribution.os_release == null and .linux.kernels == []' \
    "loop: the root is found, its os-release given up (no distribution)"

# ---- an LVM physical volume: named, with its own code ----
"$mk" lvm "$T_TMP/lvm.vhdx" 2>/dev/null || t_fail "mklinux lvm"
inspect_json "$T_TMP/lvm.vhdx"
expect_rc 0 "inspect of an LVM physical volume exits 0"
expect_json '.disk.volumes[0].filesystem == "LVM2_member" and .linux.readable == false' \
    "lvm: recognised as an LVM physical volume, not read"
expect_json '[.problems[].code] == ["linux-lvm"] and (.problems[0].message | contains("LVM physical volume") and contains("--backend appliance"))' \
    "lvm: named (linux-lvm), with what to try"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json apply --source "$(fixtures_dir)/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$T_TMP/lvm.vhdx"
expect_rc 3 "apply on an LVM physical volume exits 3"
expect_json '.images[0].message | startswith("linux-guest: a Linux volume (LVM2_member, not read) on volume 1 is a Linux guest, not Windows")' \
    "apply on LVM: says it is a Linux volume it does not read"

# ---- a damaged ext4 superblock (its checksum no longer matches) ----
cp "$T_TMP/hv.raw" "$T_TMP/badsb.raw"
printf '\377' | dd of="$T_TMP/badsb.raw" bs=1 seek=$((1048576 + 1024)) conv=notrunc 2>/dev/null
inspect_json "$T_TMP/badsb.raw"
expect_rc 0 "inspect of a damaged Linux volume exits 0"
expect_json '.linux.readable == false and ([.problems[] | select(.code == "linux-unreadable")][0].message | contains("cannot be read") and contains("Superblock checksum"))' \
    "damaged superblock: libext2fs's reason is reported"
t_finish
