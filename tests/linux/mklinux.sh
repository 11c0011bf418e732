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
#                VSS not, no file copy daemon.  GPT, ext4.
#   KIND xfs     a partition whose first bytes are an XFS superblock's
#                magic ("XFSB") and nothing else: a stand-in for a RHEL
#                root, which the native backend recognises but does not
#                read (mkfs.xfs is not needed).  MBR.
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
# keeps a copy of the filesystem for independent checks (debugfs).
#
# Environment: HVOFFLINE (the program).
set -eu
kind=${1:?usage: mklinux.sh hyperv|bare|rhel|xfs OUT.vhdx [FS.img]}
out=${2:?usage: mklinux.sh hyperv|bare|rhel|xfs OUT.vhdx [FS.img]}
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
hyperv)
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
rhel)
    printf '%s\n' 'NAME="Red Hat Enterprise Linux"' 'VERSION="9.3 (Plow)"' \
        'ID="rhel"' 'ID_LIKE="fedora"' 'VERSION_ID="9.3"' \
        'PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"' >"$r/etc/os-release"
    k=$r/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers
    mkdir -p "$k/hv" "$k/net/hyperv" "$k/scsi"
    for m in hv/hv_vmbus hv/hv_utils net/hyperv/hv_netvsc scsi/hv_storvsc; do
        printf '\3757zXZ\000placeholder' >"$k/$m.ko.xz"
    done
    mkdir -p "$r/usr/lib/systemd/system" "$r/var/lib/rpm"
    printf 'placeholder\n' >"$r/var/lib/rpm/rpmdb.sqlite"
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
xfs)
    label=dos
    ;;
*)
    echo "mklinux: unknown kind $kind" >&2
    exit 2
    ;;
esac

# The filesystem: 16 MiB of ext4, owned by root as an installed system.
if [ "$kind" = xfs ]; then
    printf 'XFSB\000\000\020\000' >"$tmp/fs.img"
    truncate -s 64K "$tmp/fs.img"
else
    mkfs.ext4 -q -F -L linuxroot -E root_owner=0:0 -d "$r" "$tmp/fs.img" 16M >/dev/null
fi

# The disk: 1 MiB of partition table, the filesystem, 1 MiB for GPT's
# backup table.  sfdisk writes both GPT copies into a sparse raw file.
size=$((18 * 1024 * 1024))
truncate -s $size "$tmp/disk.raw"
if [ "$label" = gpt ]; then
    printf 'label: gpt\nstart=2048, size=32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n'
else
    printf 'label: dos\nstart=2048, size=32768, type=83\n'
fi | sfdisk -q "$tmp/disk.raw" >/dev/null

rm -f "$out"
"$hvoffline" vhdx create --size $size "$out"
"$hvoffline" vhdx write --length 1M "$out" "$tmp/disk.raw"
"$hvoffline" vhdx write --offset 1M "$out" "$tmp/fs.img"
if [ "$label" = gpt ]; then
    # The backup GPT: the last 33 sectors.
    tail -c 16896 "$tmp/disk.raw" >"$tmp/tail.raw"
    "$hvoffline" vhdx write --offset $((size - 16896)) "$out" "$tmp/tail.raw"
fi
[ -z "$keep" ] || cp "$tmp/fs.img" "$keep"
