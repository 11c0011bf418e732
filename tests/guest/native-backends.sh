#!/bin/sh
# The native backend end to end, through the unchanged servicing engine,
# judged by tools that are not ours (ntfscat from ntfsprogs, hivexsh,
# cabextract, qemu-img):
#
#   1. a checkpoint: `vhdx create --parent base snap.avhdx`, `apply
#      snap.avhdx` exits 0, base.vhdx is byte-identical, the raw disk of
#      snap (`vhdx read`) holds the package's vmbus.sys and
#      IntegrationServicesVersion, and `verify snap.avhdx` is clean;
#   2. a VHDX whose log needs replay is inspected read-only and stays
#      byte-identical;
#   3. the same package applied to two copies, one per backend (the only
#      appliance launch here), gives identical `verify --json` results.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

fx=$(fixtures_dir)
need_tools ntfscat hivexsh jq sha256sum cabextract sfdisk bzip2
need_images ws2012-x64
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
vmbus=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab" 2>/dev/null |
    sha256sum | cut -c1-64)

# volume IMAGE N OUT: partition N of IMAGE's raw disk, for ntfsprogs.
volume() {
    "$HVOFFLINE" vhdx read "$1" >"$3.disk" &&
        start=$(sfdisk --json "$3.disk" | jq ".partitiontable.partitions[$(($2 - 1))].start") &&
        size=$(sfdisk --json "$3.disk" | jq ".partitiontable.partitions[$(($2 - 1))].size") &&
        dd if="$3.disk" of="$3" bs=512 skip="$start" count="$size" status=none &&
        rm -f "$3.disk"
}

# ---- 1. a checkpoint ---------------------------------------------------
# (In a folder of its own: the engine refuses any image whose checkpoint
# lies beside it, and copies of one image look alike.)
mkdir "$T_TMP/vm" "$T_TMP/cmp"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/vm/base.vhdx"
"$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base.vhdx" "$T_TMP/vm/snap.avhdx" 2>/dev/null
snapshot "$T_TMP/vm/base.vhdx"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/vm/snap.avhdx"
expect_rc 0 "checkpoint: apply snap.avhdx"
expect_json '.appliance.launches == 0 and .images[0].status == "applied"' \
    "checkpoint: applied without an appliance"
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

# ---- 2. a dirty log, read-only ------------------------------------------
bzip2 -dc "$fx/vhdx/iotest-dirtylog-10G-4M.vhdx.bz2" >"$T_TMP/dirty.vhdx"
snapshot "$T_TMP/dirty.vhdx"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json inspect "$T_TMP/dirty.vhdx"
expect_json '.appliance.launches == 0' "dirty log: inspected without an appliance"
expect_unchanged "dirty log: the file is byte-identical after inspect"

# ---- 3. both backends, the same result ----------------------------------
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/cmp/a.vhdx"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/cmp/n.vhdx"
HVOFFLINE_BACKEND=appliance run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/cmp/a.vhdx"
expect_rc 0 "appliance: apply"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/cmp/n.vhdx"
expect_rc 0 "native: apply"
for b in a n; do
    HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --source "$cab" "$T_TMP/cmp/$b.vhdx"
    expect_rc 0 "verify $b.vhdx"
    jq -S '.images[0].verify' "$T_TMP/out" >"$T_TMP/verify-$b.json"
done
expect_eq "$(cmp -s "$T_TMP/verify-a.json" "$T_TMP/verify-n.json" && echo same)" same \
    "verify --json: identical items after either backend"
expect_json '.images[0].verify.checked > 10' "verify: items were checked"
t_finish
