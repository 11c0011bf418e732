#!/bin/sh
# mklinux.sh KIND OUT.vhdx [FS.img] - build a Linux guest test image from
# a text recipe (no binary is committed).
#
#   KIND hyperv  Debian 12 as installed: merged /usr (/lib -> usr/lib,
#                /etc/os-release -> ../usr/lib/os-release), kernel
#                6.1.0-13-amd64 with the four Hyper-V modules as .ko files
#                in the kernel tree; kernel 6.1.0-12-amd64 with hv_vmbus
#                built in (modules.builtin), hv_utils as .ko.xz,
#                hv_netvsc moved to updates/ as .ko.zst (found through
#                modules.dep) and a hv_storvsc.ko that is not a module;
#                hyperv-daemons installed (dpkg status), its three
#                programs and units, KVP and VSS enabled
#                (multi-user.target.wants links, one of them absolute
#                through the /lib link), file copy masked (-> /dev/null).
#                GPT, partition 1, ext4.
#   KIND rhel    RHEL 9.3 (rpm, not dpkg): kernel 5.14.0-362.el9.x86_64
#                with the four modules as .ko.xz; RHEL's daemon names
#                (hypervkvpd, hypervvssd and their units), KVP enabled,
#                VSS not, no file copy daemon; /var/lib/rpm/rpmdb.sqlite
#                from mkrpmdb.sh (hyperv-daemons 1:6.1.0-3.el9 installed).
#                GPT, ext4.
#   KIND rhel-wal  the same with mkrpmdb.sh's sqlite-wal database: the
#                hyperv-daemons row deleted in a write-ahead log not yet
#                checkpointed into rpmdb.sqlite.
#   KIND rhel8   RHEL 8.9 as installed with separate /boot and /usr:
#                partition 1 /boot (ext4, fstab: UUID=), partition 2 the
#                root (fstab: UUID=), partition 3 /usr (fstab: LABEL=usr),
#                plus /home on /dev/mapper/rhel-home (LVM, not on this
#                disk's partitions), /srv by a UUID no volume has, swap
#                and the ESP (vfat) in fstab.
#                The root holds /etc, /var/lib/rpm/Packages (Berkeley DB,
#                from mkrpmdb.sh) and the links /lib -> usr/lib,
#                /sbin -> usr/sbin, /etc/os-release ->
#                ../usr/lib/os-release; /usr holds os-release, the
#                modules of 4.18.0-513.el8.x86_64 (.ko.xz), hypervkvpd
#                and hypervvssd with their units (KVP enabled); /boot the
#                vmlinuz.  GPT.
#   KIND xfs     RHEL 9.3 as installed on XFS (the RHEL default), with
#                a separate /boot: partition 1 /boot (XFS, fstab:
#                UUID=), partition 2 the root (XFS, fstab: UUID=), both
#                made by mkfs.xfs -p (tests/linux/mkproto.sh) as v5
#                filesystems; merged /usr (/lib -> usr/lib, /sbin ->
#                usr/sbin, /etc/os-release -> ../usr/lib/os-release),
#                kernel 5.14.0-362.el9.x86_64 with the four modules as
#                .ko.xz, hypervkvpd and hypervvssd with their units (KVP
#                enabled), rpmdb.sqlite from mkrpmdb.sh; /boot holds the
#                vmlinuz and a grub2 directory.  GPT.
#   KIND lvm     a partition holding the start of an LVM2 physical
#                volume's label (LABELONE, LVM2 001 in sector 1), without
#                its checksum or PV header: recognised as a PV whose label
#                is damaged.  MBR.
#   KIND debian-lvm  Debian 12 installed on LVM, made by the real LVM
#                tools (pvcreate, vgcreate, lvcreate, lvextend in one
#                libguestfs appliance launch: loop devices are not
#                needed).  GPT: partition 1 /boot (ext4, fstab UUID=),
#                partitions 2 and 3 PVs of VG "deb-vg" (1 MiB extents):
#                LV root (ext4, the hyperv kind's tree; linear, 12
#                extents on partition 2 then 8 on partition 3: two
#                segments on two PVs; fstab /dev/mapper/deb--vg-root),
#                LV home (ext4, striped over both PVs, 64 KiB stripes;
#                fstab /dev/deb-vg/home) holding /home/user/.profile,
#                LV swap (fstab swap), and LV snap, a snapshot of home
#                (never read as a filesystem).  OUT.vhdx.lvs keeps what
#                lvm's own pvs and lvs said (the test's oracle).
#   KIND rhel-lvm  RHEL 9 as its installer lays it out by default: the
#                xfs kind's tree, its root XFS on LV root of VG "rhel"
#                (fstab /dev/mapper/rhel-root), /boot XFS on partition 1
#                (fstab UUID=), LV swap; both XFS made by mkfs.xfs -p on
#                the host and written into place, the PV, VG and LVs by
#                lvm2 in one appliance launch.  OUT.vhdx.lvs as for
#                debian-lvm; FS.img, when given, the root's XFS image.
#   KIND loop    a root whose /etc/os-release is a loop of symbolic
#                links (os-release -> os-release.d/one -> ../os-release).
#                MBR, ext4.
#   KIND bare    Debian 12 with kernel 6.1.0-13-amd64 whose module tree
#                has no Hyper-V driver (not in modules.builtin either), no
#                daemons, no units, hyperv-daemons not installed.  MBR,
#                partition 1 (type 0x83), ext4.
#
# Module files are placeholders of a few bytes: what inspection checks is
# where a module is and that it starts with a module's magic (ELF, or the
# xz, zstd or gzip magic of a compressed one), never its code.
#
# The filesystem is made with mkfs.ext4 -d (e2fsprogs); the partition
# table with sfdisk on a sparse raw file; both go into a dynamic VHDX with
# `hvoffline vhdx create` and `hvoffline vhdx write`.  FS.img, when given,
# keeps a copy of the filesystem for independent checks (debugfs); for
# rhel8, FS.img.p1, .p2 and .p3, one per partition (xfs: .p1 and .p2).
#
# Environment: HVOFFLINE (the program); RPMDB (for rhel and rhel8: the
# OUTDIR of tests/linux/mkrpmdb.sh).  KIND xfs needs mkfs.xfs (xfsprogs).
set -eu
usage='usage: mklinux.sh hyperv|bare|rhel|rhel-wal|rhel8|xfs|lvm|debian-lvm|rhel-lvm|loop OUT.vhdx [FS.img]'
kind=${1:?$usage}
out=${2:?$usage}
keep=${3:-}
hvoffline=${HVOFFLINE:?HVOFFLINE must name the hvoffline program}
for tool in mkfs.ext4 sfdisk; do
    command -v "$tool" >/dev/null || PATH=$PATH:/sbin:/usr/sbin
    command -v "$tool" >/dev/null || {
        echo "mklinux: $tool is required (see tools/debian-packages.txt)" >&2
        exit 1
    }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mklinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/etc" "$r/usr/lib" "$r/usr/sbin" "$r/boot" "$r/var/lib/dpkg"

# A module placeholder: the first bytes of an x86-64 ELF relocatable.
elf() { mkdir -p "$(dirname "$1")"; printf '\177ELF\002\001\001\000placeholder\n' >"$1"; }

os_release='PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"'

status_common='Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 2.36-9+deb12u3
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: hyperv-daemons-old
Status: deinstall ok config-files
Version: 5.10.0-1
'

# rhel_release DIR VERSION CODENAME: RHEL's os-release.
rhel_release() {
    printf '%s\n' 'NAME="Red Hat Enterprise Linux"' "VERSION=\"$2 ($3)\"" \
        'ID="rhel"' 'ID_LIKE="fedora"' "VERSION_ID=\"$2\"" \
        "PRETTY_NAME=\"Red Hat Enterprise Linux $2 ($3)\"" >"$1"
}

# xz_modules MODDIR: the four Hyper-V modules as .ko.xz where RHEL's
# kernel tree puts them.
xz_modules() {
    for m in hv/hv_vmbus hv/hv_utils net/hyperv/hv_netvsc scsi/hv_storvsc; do
        mkdir -p "$1/kernel/drivers/${m%/*}"
        printf '\3757zXZ\000placeholder' >"$1/kernel/drivers/$m.ko.xz"
    done
}

unit() { # unit NAME PROGRAM
    cat <<UNIT
[Unit]
Description=Hyper-V daemon $2
ConditionVirtualization=microsoft

[Service]
ExecStart=/usr/sbin/$2 -n

[Install]
WantedBy=multi-user.target
UNIT
}

case $kind in
hyperv | debian-lvm)
    ln -s usr/lib "$r/lib"
    printf '%s\n' "$os_release" >"$r/usr/lib/os-release"
    ln -s ../usr/lib/os-release "$r/etc/os-release"
    k=$r/usr/lib/modules/6.1.0-13-amd64
    elf "$k/kernel/drivers/hv/hv_vmbus.ko"
    elf "$k/kernel/drivers/hv/hv_utils.ko"
    elf "$k/kernel/drivers/net/hyperv/hv_netvsc.ko"
    elf "$k/kernel/drivers/scsi/hv_storvsc.ko"
    elf "$k/kernel/fs/ext4/ext4.ko"
    printf 'kernel/arch/x86/crypto/aesni-intel.ko\nkernel/drivers/ata/libata.ko\n' >"$k/modules.builtin"
    printf '%s\n' 'kernel/drivers/hv/hv_vmbus.ko:' \
        'kernel/drivers/hv/hv_utils.ko: kernel/drivers/hv/hv_vmbus.ko' \
        'kernel/drivers/net/hyperv/hv_netvsc.ko: kernel/drivers/hv/hv_vmbus.ko' \
        'kernel/drivers/scsi/hv_storvsc.ko: kernel/drivers/hv/hv_vmbus.ko' \
        'kernel/fs/ext4/ext4.ko:' >"$k/modules.dep"
    printf 'vmlinuz placeholder\n' >"$r/boot/vmlinuz-6.1.0-13-amd64"
    k=$r/usr/lib/modules/6.1.0-12-amd64
    mkdir -p "$k/kernel/drivers/hv" "$k/kernel/drivers/scsi" "$k/updates"
    printf 'kernel/drivers/hv/hv_vmbus.ko\n' >"$k/modules.builtin"
    printf '\3757zXZ\000placeholder' >"$k/kernel/drivers/hv/hv_utils.ko.xz"
    printf '\050\265\057\375placeholder' >"$k/updates/hv_netvsc.ko.zst"
    printf 'not a module\n' >"$k/kernel/drivers/scsi/hv_storvsc.ko"
    printf '%s\n' 'kernel/drivers/hv/hv_utils.ko.xz:' \
        'updates/hv_netvsc.ko.zst:' >"$k/modules.dep"
    for d in kvp vss fcopy; do
        elf "$r/usr/sbin/hv_${d}_daemon"
        mkdir -p "$r/usr/lib/systemd/system"
        unit "hv-$d-daemon.service" "hv_${d}_daemon" \
            >"$r/usr/lib/systemd/system/hv-$d-daemon.service"
    done
    w=$r/etc/systemd/system/multi-user.target.wants
    mkdir -p "$w"
    # As deb-systemd-helper makes them: absolute, through /lib.
    ln -s /lib/systemd/system/hv-kvp-daemon.service "$w/hv-kvp-daemon.service"
    ln -s ../../../../usr/lib/systemd/system/hv-vss-daemon.service \
        "$w/hv-vss-daemon.service"
    ln -s /dev/null "$r/etc/systemd/system/hv-fcopy-daemon.service"
    printf '%s\nPackage: hyperv-daemons\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 6.1.55-1\nDescription: Support daemons for Linux running on Hyper-V\n' \
        "$status_common" >"$r/var/lib/dpkg/status"
    label=gpt
    ;;
bare)
    printf '%s\n' "$os_release" >"$r/etc/os-release"
    k=$r/lib/modules/6.1.0-13-amd64
    elf "$k/kernel/fs/ext4/ext4.ko"
    elf "$k/kernel/drivers/net/virtio_net.ko"
    printf 'kernel/drivers/ata/libata.ko\n' >"$k/modules.builtin"
    printf 'kernel/fs/ext4/ext4.ko:\nkernel/drivers/net/virtio_net.ko:\n' >"$k/modules.dep"
    printf 'vmlinuz placeholder\n' >"$r/boot/vmlinuz-6.1.0-13-amd64"
    mkdir -p "$r/lib/systemd/system"
    printf '%s' "$status_common" >"$r/var/lib/dpkg/status"
    label=dos
    ;;
rhel | rhel-wal)
    rhel_release "$r/etc/os-release" 9.3 Plow
    xz_modules "$r/lib/modules/5.14.0-362.el9.x86_64"
    mkdir -p "$r/usr/lib/systemd/system" "$r/var/lib/rpm"
    db=sqlite
    [ "$kind" = rhel ] || db=sqlite-wal
    cp "${RPMDB:?RPMDB must name mkrpmdb.sh's output}/$db/"rpmdb.sqlite* "$r/var/lib/rpm/"
    for d in kvp vss; do
        elf "$r/usr/sbin/hyperv${d}d"
        unit "hyperv${d}d.service" "hyperv${d}d" \
            >"$r/usr/lib/systemd/system/hyperv${d}d.service"
    done
    w=$r/etc/systemd/system/multi-user.target.wants
    mkdir -p "$w"
    ln -s /usr/lib/systemd/system/hypervkvpd.service "$w/hypervkvpd.service"
    label=gpt
    ;;
xfs | rhel-lvm)
    # RHEL 9's merged /usr on an XFS root; /boot an XFS volume of its own.
    ln -s usr/lib "$r/lib"
    ln -s usr/sbin "$r/sbin"
    ln -s ../usr/lib/os-release "$r/etc/os-release"
    rhel_release "$r/usr/lib/os-release" 9.3 Plow
    xz_modules "$r/usr/lib/modules/5.14.0-362.el9.x86_64"
    rmdir "$r/var/lib/dpkg"
    mkdir -p "$r/usr/lib/systemd/system" "$r/var/lib/rpm" \
        "$r/etc/systemd/system/multi-user.target.wants"
    cp "${RPMDB:?RPMDB must name mkrpmdb.sh's output}/sqlite/rpmdb.sqlite" "$r/var/lib/rpm/"
    for d in kvp vss; do
        elf "$r/usr/sbin/hyperv${d}d"
        unit "hyperv${d}d.service" "hyperv${d}d" \
            >"$r/usr/lib/systemd/system/hyperv${d}d.service"
    done
    ln -s /usr/lib/systemd/system/hypervkvpd.service \
        "$r/etc/systemd/system/multi-user.target.wants/hypervkvpd.service"
    cat >"$r/etc/fstab" <<'FSTAB'
#
# /etc/fstab
# Created by anaconda on Mon Nov 13 10:02:11 2023
#
UUID=5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b02 /                       xfs     defaults        0 0
UUID=5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b01 /boot                   xfs     defaults        0 0
/dev/mapper/rhel-swap   none                    swap    defaults        0 0
FSTAB
    b=$tmp/bootfs
    mkdir -p "$b/grub2"
    printf 'vmlinuz placeholder\n' >"$b/vmlinuz-5.14.0-362.el9.x86_64"
    printf 'set default=0\n' >"$b/grub2/grub.cfg"
    label=gpt
    ;;
rhel8)
    # The root: /etc, /var and the links into /usr.
    ln -s usr/lib "$r/lib"
    ln -s usr/sbin "$r/sbin"
    ln -s ../usr/lib/os-release "$r/etc/os-release"
    rmdir "$r/usr/lib" "$r/usr/sbin" "$r/var/lib/dpkg"
    mkdir -p "$r/var/lib/rpm" "$r/etc/systemd/system/multi-user.target.wants"
    cp "${RPMDB:?RPMDB must name mkrpmdb.sh's output}/bdb/Packages" "$r/var/lib/rpm/"
    ln -s /usr/lib/systemd/system/hypervkvpd.service \
        "$r/etc/systemd/system/multi-user.target.wants/hypervkvpd.service"
    cat >"$r/etc/fstab" <<'FSTAB'
#
# /etc/fstab
# Created by anaconda on Tue Nov 14 09:12:44 2023
#
UUID=2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b02 /                       ext4    defaults        1 1
UUID=2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b01 /boot                   ext4    defaults        1 2
UUID=7A1B-2C3D          /boot/efi               vfat    umask=0077,shortname=winnt 0 2
LABEL=usr               /usr                    ext4    defaults        1 2
/dev/mapper/rhel-home   /home                   xfs     defaults        0 0
UUID=0a0a0a0a-0000-4000-8000-00000000dead /srv    ext4    defaults        0 2
/dev/mapper/rhel-swap   none                    swap    defaults        0 0
FSTAB
    # /usr, as a volume of its own.
    u=$tmp/usr
    mkdir -p "$u/lib/systemd/system" "$u/sbin"
    rhel_release "$u/lib/os-release" 8.9 Ootpa
    xz_modules "$u/lib/modules/4.18.0-513.el8.x86_64"
    for d in kvp vss; do
        elf "$u/sbin/hyperv${d}d"
        unit "hyperv${d}d.service" "hyperv${d}d" \
            >"$u/lib/systemd/system/hyperv${d}d.service"
    done
    # /boot.
    b=$tmp/bootfs
    mkdir -p "$b"
    printf 'vmlinuz placeholder\n' >"$b/vmlinuz-4.18.0-513.el8.x86_64"
    label=gpt
    ;;
loop)
    # /etc/os-release in a loop of links, /etc/fstab present (so the
    # volume is taken for a root) and nothing else.
    ln -s os-release.d/one "$r/etc/os-release"
    mkdir -p "$r/etc/os-release.d"
    ln -s ../os-release "$r/etc/os-release.d/one"
    printf 'LABEL=linuxroot / ext4 defaults 1 1\n' >"$r/etc/fstab"
    label=dos
    ;;
lvm)
    label=dos
    ;;
*)
    echo "mklinux: unknown kind $kind" >&2
    exit 2
    ;;
esac

# The LVM kinds: guestfish commands that print what lvm's own pvs and lvs
# say (the tests' oracle), and lvm_vhdx, which puts the raw disk of
# $size bytes into OUT.vhdx and those words into OUT.vhdx.lvs.
lvm_oracle='echo pvs
debug sh "udevadm settle; lvm pvs --noheadings --separator : --units b --nosuffix -o pv_name,pv_uuid,vg_name,pe_start"
echo lvs
debug sh "udevadm settle; lvm lvs -a --noheadings --separator : --units b --nosuffix -o vg_name,lv_name,lv_size,segtype,stripes --segments -o +seg_start_pe,seg_size_pe,devices"'
# lvm_fish <COMMANDS: one appliance launch on $tmp/disk.raw: a GPT with
# partition 1 (16 MiB) and 2 (24 MiB), COMMANDS, the oracle; what it
# prints in $tmp/lvs.txt.
lvm_fish() {
    { printf 'run\npart-init /dev/sda gpt\n'
      printf 'part-add /dev/sda p %s\n' '2048 34815' '34816 83967'
      # "lvm ARGS": lvm2 in the appliance, tried again while udev still
      # holds a PV that was just written ("No device found"), which
      # udevadm settle alone does not always wait for.
      sed 's/^lvm \(.*\)$/debug sh "for i in 1 2 3 4 5 6 7 8 9; do udevadm settle; lvm \1 >\/dev\/null 2>\&1 \&\& exit 0; sleep 1; done; lvm \1 >\/dev\/null"/'
      printf '%s\n' "$lvm_oracle"; } |
        LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} \
            guestfish --format=raw -a "$tmp/disk.raw" >"$tmp/lvs.txt"
}
lvm_vhdx() {
    rm -f "$out"
    "$hvoffline" vhdx create --size $size "$out"
    "$hvoffline" vhdx write "$out" "$tmp/disk.raw"
    sed 's/^ *//; /^$/d' "$tmp/lvs.txt" >"$out.lvs"
}

if [ "$kind" = debian-lvm ]; then
    # As Debian's installer writes it for "guided - use entire disk and
    # set up LVM" (the VG named with a '-', which device-mapper doubles).
    cat >"$r/etc/fstab" <<'FSTAB'
# /etc/fstab: static file system information.
/dev/mapper/deb--vg-root /               ext4    errors=remount-ro 0       1
# /boot was on /dev/sda1 during installation
UUID=2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b01 /boot           ext4    defaults        0       2
/dev/deb-vg/home         /home           ext4    defaults        0       2
/dev/mapper/deb--vg-swap none            swap    sw              0       0
FSTAB
    mkdir -p "$tmp/bootfs" "$r/home"
    mv "$r/boot/"* "$tmp/bootfs/"
    tar -C "$r" --owner=0 --group=0 --numeric-owner -cf "$tmp/root.tar" .
    tar -C "$tmp/bootfs" --owner=0 --group=0 --numeric-owner -cf "$tmp/boot.tar" .
    command -v guestfish >/dev/null || {
        echo "mklinux: guestfish is required for $kind" >&2
        exit 1
    }
    # 72 MiB: 16 MiB /boot, two PVs of 24 MiB, GPT's tables.
    size=$((72 * 1024 * 1024))
    truncate -s $size "$tmp/disk.raw"
    lvm=E6D6D379-F507-44C2-A23C-238F2A3DF928
    lvm_fish <<GF
part-add /dev/sda p 83968 133119
part-set-gpt-type /dev/sda 2 $lvm
part-set-gpt-type /dev/sda 3 $lvm
mkfs ext4 /dev/sda1 label:boot
set-e2uuid /dev/sda1 2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b01
pvcreate /dev/sda2
pvcreate /dev/sda3
lvm vgcreate -q -s 1m deb-vg /dev/sda2 /dev/sda3
lvm lvcreate -q -y -n root -l 12 deb-vg /dev/sda2
lvm lvextend -q -l +8 deb-vg/root /dev/sda3
lvm lvcreate -q -y -n home -i 2 -I 64k -l 8 deb-vg
lvm lvcreate -q -y -n swap -l 2 deb-vg /dev/sda2
mkfs ext4 /dev/deb-vg/root label:root
mkfs ext4 /dev/deb-vg/home label:home
mount /dev/deb-vg/root /
tar-in $tmp/root.tar /
mount /dev/sda1 /boot
tar-in $tmp/boot.tar /boot
mount /dev/deb-vg/home /home
mkdir-p /home/user
write /home/user/.profile "# ~/.profile\n"
umount-all
lvm lvcreate -q -y -s -n snap -l 2 deb-vg/home /dev/sda3
GF
    lvm_vhdx
    exit 0
fi

# The filesystems: 16 MiB of ext4 each, owned by root as an installed
# system; for rhel8, /boot, the root and /usr as partitions 1, 2 and 3.
mkext() { # mkext DIR LABEL UUID OUT
    mkfs.ext4 -q -F -L "$2" -U "$3" -E root_owner=0:0 -d "$1" "$4" 16M >/dev/null
}
# mkxfs DIR LABEL UUID OUT: 16 MiB of XFS (v5) populated from DIR without
# a mount.  mkfs.xfs refuses less than 300 MB but under xfstests, which
# these variables say (mkfs/xfs_mkfs.c).
mkxfs() {
    command -v mkfs.xfs >/dev/null || {
        echo "mklinux: mkfs.xfs is required (see tools/debian-packages.txt)" >&2
        exit 1
    }
    sh "$(dirname "$0")/mkproto.sh" "$1" >"$tmp/proto"
    TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -L "$2" -m uuid="$3" \
        -d file,name="$4",size=16m -p "$tmp/proto" >/dev/null
}
if [ "$kind" = rhel-lvm ]; then
    sed -i 's|^UUID=[^ ]*02 /  |/dev/mapper/rhel-root /|' "$r/etc/fstab"
    mkxfs "$tmp/bootfs" boot 5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b01 "$tmp/boot.img"
    mkxfs "$r" root 5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b02 "$tmp/root.img"
    # 48 MiB: 16 MiB /boot, a PV of 24 MiB (root 16 MiB, swap 4 MiB).
    size=$((48 * 1024 * 1024))
    truncate -s $size "$tmp/disk.raw"
    lvm_fish <<GF
part-set-gpt-type /dev/sda 2 E6D6D379-F507-44C2-A23C-238F2A3DF928
pvcreate /dev/sda2
lvm vgcreate -q -s 1m rhel /dev/sda2
lvm lvcreate -q -y -n root -l 16 rhel
lvm lvcreate -q -y -n swap -l 4 rhel
upload $tmp/boot.img /dev/sda1
upload $tmp/root.img /dev/rhel/root
GF
    lvm_vhdx
    [ -z "$keep" ] || cp "$tmp/root.img" "$keep"
    exit 0
fi
parts=$tmp/fs.img
if [ "$kind" = xfs ]; then
    mkxfs "$tmp/bootfs" boot 5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b01 "$tmp/p1.img"
    mkxfs "$r" root 5e3b1c2a-7f4d-4a9e-8b1c-2d3e4f5a6b02 "$tmp/p2.img"
    parts="$tmp/p1.img $tmp/p2.img"
elif [ "$kind" = lvm ]; then
    # LVM2's label header in sector 1 (lib/label/label.h): "LABELONE",
    # its sector (1), a CRC, the offset of the PV header (32), the type.
    # pvcreate needs a block device, so only the label is written.
    truncate -s 64K "$tmp/fs.img"
    printf 'LABELONE\001\000\000\000\000\000\000\000\000\000\000\000\040\000\000\000LVM2 001' |
        dd of="$tmp/fs.img" bs=512 seek=1 conv=notrunc 2>/dev/null
elif [ "$kind" = rhel8 ]; then
    mkext "$tmp/bootfs" boot 2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b01 "$tmp/p1.img"
    mkext "$r" root 2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b02 "$tmp/p2.img"
    mkext "$tmp/usr" usr 2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b03 "$tmp/p3.img"
    parts="$tmp/p1.img $tmp/p2.img $tmp/p3.img"
else
    mkext "$r" linuxroot 2c1f7a3e-6b1d-4b8e-9a55-0f3c5e7d2b02 "$tmp/fs.img"
fi

# The disk: 1 MiB of partition table, 16 MiB a partition, 1 MiB for
# GPT's backup table.  sfdisk writes both GPT copies into a sparse raw
# file.
nparts=$(echo $parts | wc -w)
size=$(((2 + 16 * nparts) * 1024 * 1024))
truncate -s $size "$tmp/disk.raw"
{
    if [ "$label" = gpt ]; then
        printf 'label: gpt\n'
        type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
    else
        printf 'label: dos\n'
        type=83
    fi
    i=0
    for p in $parts; do
        printf 'start=%d, size=32768, type=%s\n' $((2048 + 32768 * i)) $type
        i=$((i + 1))
    done
} | sfdisk -q "$tmp/disk.raw" >/dev/null

rm -f "$out"
"$hvoffline" vhdx create --size $size "$out"
"$hvoffline" vhdx write --length 1M "$out" "$tmp/disk.raw"
i=0
for p in $parts; do
    "$hvoffline" vhdx write --offset $((1048576 + 16777216 * i)) "$out" "$p"
    i=$((i + 1))
done
if [ "$label" = gpt ]; then
    # The backup GPT: the last 33 sectors.
    tail -c 16896 "$tmp/disk.raw" >"$tmp/tail.raw"
    "$hvoffline" vhdx write --offset $((size - 16896)) "$out" "$tmp/tail.raw"
fi
if [ -n "$keep" ] && [ "$kind" = rhel8 ]; then
    for i in 1 2 3; do cp "$tmp/p$i.img" "$keep.p$i"; done
elif [ -n "$keep" ] && [ "$kind" = xfs ]; then
    for i in 1 2; do cp "$tmp/p$i.img" "$keep.p$i"; done
elif [ -n "$keep" ]; then
    cp "$tmp/fs.img" "$keep"
fi
