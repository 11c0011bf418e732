#!/bin/sh
# The native backend end to end, through the unchanged servicing engine,
# judged by tools that are not ours (ntfsls/ntfscat from ntfsprogs, fdisk,
# hivexsh, cabextract, qemu-img):
#
#   1. a checkpoint: `vhdx create --parent base snap.avhdx`, `apply
#      snap.avhdx` exits 0, base.vhdx is byte-identical, the raw disk of
#      snap (`vhdx read`) holds the package's vmbus.sys and
#      IntegrationServicesVersion, and `verify snap.avhdx` is clean;
#   2. a 4 KiB-logical-sector Windows image (ws2012-4k, built by its
#      recipe) is inspected, serviced and verified;
#   3. a Windows image whose VHDX log needs replay (ws2012-dirtylog: the
#      whole disk lives in the log, qemu-img refuses it read-only) is
#      inspected read-only: Windows is found and the file stays
#      byte-identical; so is the qemu iotests dirty-log fixture;
#   4. the same package applied to two copies, one per backend (the only
#      appliance launch here, for both images), gives identical `verify
#      --json` item lists and identical checksum listings of the Windows
#      volume (every directory, every file's SHA-256; the registry hives,
#      whose key timestamps are the time of each run, compared as
#      hivexregedit exports; the run's record and undo log, which name the
#      run's time, by name with the time normalized): ws2012-x64 with the
#      6.2 x64 package, and win7-x86 (MBR, Windows on volume 2) with the
#      6.x x86 package.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"
. "$HVO_TOP_SRCDIR/tests/fixtures/imagelib.sh"

fx=$(fixtures_dir)
need_tools ntfscat ntfsls hivexsh hivexregedit jq sha256sum cabextract fdisk sfdisk bzip2 qemu-img
need_images ws2012-x64 ws2012-4k ws2012-dirtylog win7-x86
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
cab86="$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"
vmbus=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab" 2>/dev/null |
    sha256sum | cut -c1-64)
vmbus86=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab86" 2>/dev/null |
    sha256sum | cut -c1-64)

# applied BACKEND IMAGE LABEL LAUNCHES [SOURCE [IMAGE...]]: `apply` of
# SOURCE (default: the x64 cabinet) to the images on BACKEND exits 0, with
# LAUNCHES appliance launches, and reports each "applied".
applied() {
    _b=$1 _i=$2 _l=$3 _n=$4
    shift 4
    _s=${1:-$cab}
    [ $# -eq 0 ] || shift
    HVOFFLINE_BACKEND=$_b run "$HVOFFLINE" --json apply --source "$_s" "$_i" "$@"
    expect_rc 0 "$_l: apply"
    expect_json ".appliance.launches == $_n and ([.images[].status] | length == $(($# + 1)) and all(. == \"applied\"))" \
        "$_l: applied with $_n appliance launches"
}

# ---- 1. a checkpoint ---------------------------------------------------
# (In a folder of its own: the engine refuses any image whose checkpoint
# lies beside it, and copies of one image look alike.)
mkdir "$T_TMP/vm" "$T_TMP/cmp"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/vm/base.vhdx"
"$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base.vhdx" "$T_TMP/vm/snap.avhdx" 2>/dev/null
snapshot "$T_TMP/vm/base.vhdx"
applied native "$T_TMP/vm/snap.avhdx" "checkpoint: snap.avhdx" 0
expect_unchanged "checkpoint: base.vhdx is byte-identical"
volume "$T_TMP/vm/snap.avhdx" 3 "$T_TMP/vm/snap.vol"
expect_eq "$(ntfscat "$T_TMP/vm/snap.vol" /Windows/System32/drivers/vmbus.sys | sha256sum | cut -c1-64)" \
    "$vmbus" "checkpoint: vmbus.sys has the cabinet's SHA-256 (ntfscat)"
ntfscat "$T_TMP/vm/snap.vol" /Windows/System32/config/SOFTWARE >"$T_TMP/SOFTWARE"
printf 'cd Microsoft\\Virtual Machine\\Auto\nlsval\n' | hivexsh "$T_TMP/SOFTWARE" >"$T_TMP/hive.out" 2>&1
expect_grep "$T_TMP/hive.out" '"IntegrationServicesVersion"="6.3.9600.19456"' \
    "checkpoint: IntegrationServicesVersion (hivexsh)"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --source "$cab" "$T_TMP/vm/snap.avhdx"
expect_rc 0 "checkpoint: verify snap.avhdx is clean"
run "$HVOFFLINE" vhdx check "$T_TMP/vm/snap.avhdx"
expect_rc 0 "checkpoint: vhdx check passes"

# ---- 2. 4 KiB logical sectors ------------------------------------------
mkdir "$T_TMP/k"
cp --sparse=always "$img/ws2012-4k.vhdx" "$T_TMP/k/4k.vhdx"
run "$HVOFFLINE" --json vhdx info "$T_TMP/k/4k.vhdx"
expect_json '.image.logical_sector_size == 4096' "4k: the VHDX says 4096-byte logical sectors"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json inspect "$T_TMP/k/4k.vhdx"
expect_rc 0 "4k: inspect"
expect_json '.appliance.launches == 0 and .images[0].status == "ok"' "4k: inspected without an appliance"
expect_json '.images[0] | .disk.partition_table == "gpt" and .windows.partition == 3 and .windows.version == "6.2" and .windows.arch == "amd64"' \
    "4k: GPT in 4 KiB sectors, Windows Server 2012 amd64 on volume 3"
applied native "$T_TMP/k/4k.vhdx" "4k" 0
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --source "$cab" "$T_TMP/k/4k.vhdx"
expect_rc 0 "4k: verify is clean"
expect_json '.images[0].verify.checked > 10' "4k: verify checked the items"
run "$HVOFFLINE" vhdx check "$T_TMP/k/4k.vhdx"
expect_rc 0 "4k: vhdx check passes"
volume "$T_TMP/k/4k.vhdx" 3 "$T_TMP/k/vol" 4096
ntfsinfo -m "$T_TMP/k/vol" 2>/dev/null | grep 'Sector Size' >"$T_TMP/k/ss"
expect_grep "$T_TMP/k/ss" '4096' "4k: the NTFS volume has 4096-byte sectors (ntfsinfo)"
expect_eq "$(ntfscat "$T_TMP/k/vol" /Windows/System32/drivers/vmbus.sys | sha256sum | cut -c1-64)" \
    "$vmbus" "4k: vmbus.sys has the cabinet's SHA-256 (fdisk -b 4096, ntfscat)"

# ---- 3. a dirty log, read-only -------------------------------------------
mkdir "$T_TMP/d"
cp --sparse=always "$img/ws2012-dirtylog.vhdx" "$T_TMP/d/ws2012-dirtylog.vhdx"
bzip2 -dc "$fx/vhdx/iotest-dirtylog-10G-4M.vhdx.bz2" >"$T_TMP/d/dirty.vhdx"
snapshot "$T_TMP/d/ws2012-dirtylog.vhdx" "$T_TMP/d/dirty.vhdx"
run qemu-img info -f vhdx "$T_TMP/d/ws2012-dirtylog.vhdx"
T_COUNT=$((T_COUNT + 1))
if [ "$T_RC" -ne 0 ] && grep -qi 'log' "$T_TMP/err" "$T_TMP/out"; then
    t_pass "dirty log: qemu-img refuses the image read-only (its log needs replay)"
else
    t_fail "dirty log: qemu-img opened ws2012-dirtylog read-only (rc $T_RC): its log is not dirty"
fi
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json inspect "$T_TMP/d/ws2012-dirtylog.vhdx"
expect_rc 0 "dirty log: inspect ws2012-dirtylog"
expect_json '.appliance.launches == 0 and .images[0].status == "ok"' "dirty log: inspected without an appliance"
expect_json '.images[0].windows | .partition == 3 and .version == "6.2" and .build == 9200' \
    "dirty log: Windows found through the log replayed in memory"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json inspect "$T_TMP/d/dirty.vhdx"
expect_json '.appliance.launches == 0' "dirty log: the iotests image inspected without an appliance"
expect_unchanged "dirty log: both files are byte-identical after inspect"

# ---- 4. both backends, the same result ----------------------------------
# ws2012-x64 (partition 3) and win7-x86 (partition 2), each applied to two
# copies: a*.vhdx through the appliance (both in its one launch), n*.vhdx
# natively, with the same source.
mkdir "$T_TMP/src"
cp "$cab" "$cab86" "$T_TMP/src/"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/cmp/a.vhdx"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/cmp/n.vhdx"
cp --sparse=always "$img/win7-x86.vhdx" "$T_TMP/cmp/a7.vhdx"
cp --sparse=always "$img/win7-x86.vhdx" "$T_TMP/cmp/n7.vhdx"
applied appliance "$T_TMP/cmp/a.vhdx" "appliance" 1 "$T_TMP/src" "$T_TMP/cmp/a7.vhdx"
applied native "$T_TMP/cmp/n.vhdx" "native" 0 "$T_TMP/src" "$T_TMP/cmp/n7.vhdx"

# same LABEL A N PARTITION VMBUS: the copies A (appliance) and N (native)
# of one image hold the same Windows volume after the apply.
same() {
    for b in "$2" "$3"; do
        HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --source "$T_TMP/src" "$T_TMP/cmp/$b.vhdx"
        expect_rc 0 "$1: verify $b.vhdx"
        jq -S '.images[0].verify' "$T_TMP/out" >"$T_TMP/verify-$b.json"
        volume "$T_TMP/cmp/$b.vhdx" "$4" "$T_TMP/cmp/$b.vol"
        ntfs_listing "$T_TMP/cmp/$b.vol" >"$T_TMP/cmp/$b.list"
        for h in SOFTWARE SYSTEM; do
            ntfscat "$T_TMP/cmp/$b.vol" "/Windows/System32/config/$h" >"$T_TMP/cmp/$b.$h"
            hivexregedit --export "$T_TMP/cmp/$b.$h" '\' >"$T_TMP/cmp/$b.$h.reg"
        done
        # The run's own records carry its time: normalized in names; the
        # content of the record and undo log is the run's (times, image
        # path), of the hives compared below.
        sed -E 's/[0-9]{8}T[0-9]{6}Z/TIME/g
            s,^[0-9a-f]{64}(  /Windows/Logs/hvoffline/[^/]*\.(json|undo))$,-\1,
            s,^[0-9a-f]{64}(  /Windows/System32/config/(SOFTWARE|SYSTEM))$,-\1,' \
            "$T_TMP/cmp/$b.list" | LC_ALL=C sort -k2 >"$T_TMP/cmp/$b.files"
        rm -f "$T_TMP/cmp/$b.vol" "$T_TMP/cmp/$b.SOFTWARE" "$T_TMP/cmp/$b.SYSTEM"
    done
    expect_eq "$(cmp -s "$T_TMP/verify-$2.json" "$T_TMP/verify-$3.json" && echo same)" same \
        "$1: verify --json: identical items after either backend"
    expect_eq "$(jq '.checked > 10' "$T_TMP/verify-$3.json")" true "$1: verify: items were checked"
    expect_eq "$(wc -l <"$T_TMP/cmp/$3.list")" "$(wc -l <"$T_TMP/cmp/$2.list")" \
        "$1: volume listing: as many entries after either backend"
    n=$(grep -c '^[0-9a-f]\{64\}  ' "$T_TMP/cmp/$3.files")
    T_COUNT=$((T_COUNT + 1))
    if cmp -s "$T_TMP/cmp/$2.files" "$T_TMP/cmp/$3.files" &&
        grep -q "^$5  /Windows/System32/drivers/vmbus.sys\$" "$T_TMP/cmp/$3.files" &&
        [ "$n" -gt 10 ]; then
        t_pass "$1: volume listing: the same entries, the same SHA-256 of $n files after either backend (vmbus.sys the cabinet's)"
    else
        t_fail "$1: volume listings differ (appliance < > native):"
        diff "$T_TMP/cmp/$2.files" "$T_TMP/cmp/$3.files" | sed 's/^/  | /' >&2
    fi
    for h in SOFTWARE SYSTEM; do
        expect_eq "$(cmp -s "$T_TMP/cmp/$2.$h.reg" "$T_TMP/cmp/$3.$h.reg" && echo same)" same \
            "$1: $h: identical keys and values after either backend (hivexregedit --export)"
    done
}
same ws2012-x64 a n 3 "$vmbus"
same win7-x86 a7 n7 2 "$vmbus86"
t_finish
