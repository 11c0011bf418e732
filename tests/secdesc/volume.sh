# volume.sh - the Windows volume of a test image as a raw file, for
# ntfs-3g's own tools (ntfssecaudit, ntfsls, ntfscat: independent of our
# code), and back.  Sourced by the tests of tests/secdesc and tests/trust.
# The test images put Windows on their third partition.

# volume VHDX OUT: the Windows volume of VHDX as the raw file OUT; sets
# $start (its first sector) for volume_put.
volume() {
    qemu-img convert -f vhdx -O raw "$1" "$2.disk" &&
        start=$(sfdisk --json "$2.disk" | jq '.partitiontable.partitions[2].start') &&
        size=$(sfdisk --json "$2.disk" | jq '.partitiontable.partitions[2].size') &&
        dd if="$2.disk" of="$2" bs=512 skip="$start" count="$size" status=none &&
        rm -f "$2.disk"
}

# volume_put VOL VHDX OUT: a new VHDX OUT, the disk of VHDX with its
# Windows volume replaced by the raw file VOL (changed by ntfssecaudit -s).
volume_put() {
    qemu-img convert -f vhdx -O raw "$2" "$3.disk" &&
        start=$(sfdisk --json "$3.disk" | jq '.partitiontable.partitions[2].start') &&
        dd if="$1" of="$3.disk" bs=512 seek="$start" conv=notrunc status=none &&
        qemu-img convert -f raw -O vhdx -o subformat=dynamic "$3.disk" "$3" &&
        rm -f "$3.disk"
}
