#!/bin/sh
# The appliance backend attaches every VHDX through nbdkit-hvoffline-plugin,
# so it services what qemu cannot open, with the native backend's safety
# rules.  Three commands, one appliance launch each, on three images:
#
#   - a Hyper-V checkpoint (snap.avhdx over a copy of ws2012-x64) and a
#     4 KiB-logical-sector Windows image (ws2012-4k, built by its recipe):
#     `apply --backend appliance snap.avhdx 4k.vhdx` exits 0 for both, the
#     checkpoint's parent stays byte-identical, `vhdx check` passes, and
#     `verify --backend appliance` of both is clean;
#   - a Windows image whose VHDX log needs replay (ws2012-dirtylog, which
#     qemu-img refuses read-only): `inspect --backend appliance` finds
#     Windows (the plugin replays the log in memory) and the file stays
#     byte-identical.
#
# The independent read (one guestfish launch): guestfish on the raw disks
# that `hvoffline vhdx read` streams out of the chain and of the 4 KiB
# image (added with blocksize 4096) shows the package's vmbus.sys, and
# hivexget the package's IntegrationServicesVersion (6.3.9600.19456), in
# both.
. "$HVO_TOP_SRCDIR/tests/nbdkit/nbdlib.sh"

fx=$(fixtures_dir)
for t in guestfish hivexget cabextract jq; do
    command -v $t >/dev/null || { echo "FAIL: $t is missing" >&2; exit 1; }
done
need_images ws2012-x64 ws2012-4k ws2012-dirtylog
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
# The build tree's plugin, always (make check gives every test this one;
# run by hand, an installed one would be found without this).
HVOFFLINE_NBDKIT_PLUGIN=$PLUGIN
HVOFFLINE_NBDKIT=1
HVOFFLINE_BACKEND=appliance
export HVOFFLINE_NBDKIT_PLUGIN HVOFFLINE_NBDKIT HVOFFLINE_BACKEND

# Each image in a folder of its own (the engine refuses an image whose
# checkpoint lies beside it, and copies of one image look alike).
W=$T_TMP/w
K=$T_TMP/k
D=$T_TMP/d
mkdir -p "$W" "$K" "$D" "$T_TMP/src"
cp --sparse=always "$img/ws2012-x64.vhdx" "$W/base.vhdx"
"$HVOFFLINE" -q vhdx create --parent "$W/base.vhdx" "$W/snap.avhdx"
cp --sparse=always "$img/ws2012-4k.vhdx" "$K/4k.vhdx"
cp --sparse=always "$img/ws2012-dirtylog.vhdx" "$D/dirtylog.vhdx"
base_sum=$(sha "$W/base.vhdx")
dirty_sum=$(sha "$D/dirtylog.vhdx")
cab64="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
cp "$cab64" "$T_TMP/src/"
vmbus64=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab64" 2>/dev/null | sha256sum | cut -c1-64)

# ---- apply and verify: a checkpoint and a 4 KiB image ----
run "$HVOFFLINE" --json apply --backend appliance --source "$T_TMP/src" \
    "$W/snap.avhdx" "$K/4k.vhdx"
expect_rc 0 "apply --backend appliance snap.avhdx 4k.vhdx"
expect_json '.images[0].status == "applied"' "the checkpoint was serviced"
expect_json '.images[1].status == "applied"' "the 4 KiB-sector image was serviced"
expect_json '.appliance.launches == 1' "apply: one appliance launch"
[ "$T_RC" -eq 0 ] || jq -c '.images[] | [.image, .status, .message]' "$T_TMP/out" >&2
expect_eq "$(sha "$W/base.vhdx")" "$base_sum" "the parent is byte-identical"
run "$HVOFFLINE" vhdx check "$W/snap.avhdx"
expect_rc 0 "hvoffline vhdx check of the checkpoint after apply"
run "$HVOFFLINE" vhdx check "$K/4k.vhdx"
expect_rc 0 "hvoffline vhdx check of the 4 KiB image after apply"
run "$HVOFFLINE" --json verify --backend appliance --source "$T_TMP/src" \
    "$W/snap.avhdx" "$K/4k.vhdx"
expect_rc 0 "verify --backend appliance snap.avhdx 4k.vhdx is clean"
expect_json '.appliance.launches == 1' "verify: one appliance launch"
expect_json '[.images[].verify.checked > 10] == [true, true]' "verify: items checked on both"
[ "$T_RC" -eq 0 ] || jq -c '.images[] | [.image, .status, .message]' "$T_TMP/out" >&2
expect_eq "$(sha "$W/base.vhdx")" "$base_sum" "the parent is byte-identical after verify"

# ---- inspect, read-only: a dirty log ----
run qemu-img info -f vhdx "$D/dirtylog.vhdx"
T_COUNT=$((T_COUNT + 1))
if [ "$T_RC" -ne 0 ]; then
    t_pass "qemu-img refuses ws2012-dirtylog read-only: its log needs replay"
else
    t_fail "qemu-img opened ws2012-dirtylog read-only: its log is not dirty"
fi
run "$HVOFFLINE" --json inspect --backend appliance "$D/dirtylog.vhdx"
expect_rc 0 "inspect --backend appliance dirtylog.vhdx"
expect_json '.appliance.launches == 1 and .images[0].status == "ok"' "inspect: one launch, status ok"
expect_json '.images[0].windows | .partition == 3 and .version == "6.2" and .build == 9200' \
    "inspect: Windows Server 2012 found through the log replayed in memory"
[ "$T_RC" -eq 0 ] || jq -c '.images[] | [.image, .status, .message]' "$T_TMP/out" >&2
expect_eq "$(sha "$D/dirtylog.vhdx")" "$dirty_sum" "the dirty-log image is byte-identical after inspect"

# ---- the independent read ----
"$HVOFFLINE" vhdx read -o "$T_TMP/merged.raw" "$W/snap.avhdx"
"$HVOFFLINE" vhdx read -o "$T_TMP/4k.raw" "$K/4k.vhdx"
guestfish --ro >"$T_TMP/gf.out" 2>"$T_TMP/gf.err" <<EOF
add-drive $T_TMP/merged.raw format:raw
add-drive $T_TMP/4k.raw format:raw blocksize:4096
run
mount-ro /dev/sda3 /
checksum sha256 /Windows/System32/drivers/vmbus.sys
download /Windows/System32/config/SOFTWARE $T_TMP/SOFTWARE
umount-all
mount-ro /dev/sdb3 /
checksum sha256 /Windows/System32/drivers/vmbus.sys
download /Windows/System32/config/SOFTWARE $T_TMP/SOFTWARE.4k
EOF
expect_eq "$(sed -n 1p "$T_TMP/gf.out")" "$vmbus64" \
    "guestfish: the checkpoint's vmbus.sys has the cabinet's SHA-256"
expect_eq "$(sed -n 2p "$T_TMP/gf.out")" "$vmbus64" \
    "guestfish (4096-byte sectors): the 4 KiB image's vmbus.sys has the cabinet's SHA-256"
for h in SOFTWARE SOFTWARE.4k; do
    v=$(hivexget "$T_TMP/$h" 'Microsoft\Virtual Machine\Auto' IntegrationServicesVersion 2>&1)
    T_COUNT=$((T_COUNT + 1))
    if [ "$v" = 6.3.9600.19456 ]; then
        t_pass "hivexget: IntegrationServicesVersion = $v ($h)"
    else
        t_fail "IntegrationServicesVersion not set in $h: '$v'"
        sed 's/^/  | /' "$T_TMP/gf.err" >&2
    fi
done

t_finish
