#!/bin/sh
# The appliance backend attaches a Hyper-V checkpoint (.avhdx) through
# nbdkit-hvoffline-plugin: `hvoffline apply --backend appliance
# snap.avhdx` (one appliance launch) exits 0, the parent stays
# byte-identical, and an independent read (guestfish on the disk that
# hvoffline vhdx read streams out of the chain) shows the package's
# vmbus.sys and IntegrationServicesVersion.
. "$HVO_TOP_SRCDIR/tests/nbdkit/nbdlib.sh"

fx=$(fixtures_dir)
for t in guestfish hivexget cabextract; do
    command -v $t >/dev/null || { echo "FAIL: $t is missing" >&2; exit 1; }
done
need_images ws2012-x64
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
# The build tree's plugin (an installed one is found without this).  make
# check runs the other tests with HVOFFLINE_NBDKIT=0, so that their
# expectations hold whether or not a plugin is installed on the host.
HVOFFLINE_NBDKIT_PLUGIN=$PLUGIN
HVOFFLINE_NBDKIT=1
export HVOFFLINE_NBDKIT_PLUGIN HVOFFLINE_NBDKIT

W=$T_TMP/w
mkdir -p "$W" "$T_TMP/src"
cp --sparse=always "$img/ws2012-x64.vhdx" "$W/base.vhdx"
"$HVOFFLINE" -q vhdx create --parent "$W/base.vhdx" "$W/snap.avhdx"
base_sum=$(sha "$W/base.vhdx")
cab64="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
cp "$cab64" "$T_TMP/src/"
vmbus64=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab64" 2>/dev/null | sha256sum | cut -c1-64)

# --backend appliance once the CLI has it; $HVOFFLINE_BACKEND until then.
backend=
if "$HVOFFLINE" apply --help 2>&1 | grep -q -- '--backend'; then
    backend="--backend appliance"
fi
run env HVOFFLINE_BACKEND=appliance "$HVOFFLINE" --json apply $backend \
    --source "$T_TMP/src" "$W/snap.avhdx"
expect_rc 0 "apply --backend appliance snap.avhdx"
expect_json '.images[0].status == "applied"' "the checkpoint was serviced"
expect_json '.appliance.launches == 1' "one appliance launch"
[ "$T_RC" -eq 0 ] || sed 's/^/  | /' "$T_TMP/out" >&2
expect_eq "$(sha "$W/base.vhdx")" "$base_sum" "the parent is byte-identical"
run "$HVOFFLINE" vhdx check "$W/snap.avhdx"
expect_rc 0 "hvoffline vhdx check of the checkpoint after apply"

# The independent read: the chain streamed out, NTFS and hives read by
# guestfish and hivexget.
"$HVOFFLINE" vhdx read -o "$T_TMP/merged.raw" "$W/snap.avhdx"
guestfish --ro --format=raw -a "$T_TMP/merged.raw" >"$T_TMP/gf.out" 2>"$T_TMP/gf.err" <<EOF
run
mount-ro /dev/sda3 /
checksum sha256 /Windows/System32/drivers/vmbus.sys
download /Windows/System32/config/SOFTWARE $T_TMP/SOFTWARE
EOF
expect_eq "$(sed -n 1p "$T_TMP/gf.out")" "$vmbus64" \
    "guestfish: vmbus.sys in System32/drivers has the cabinet's SHA-256"
v=$(hivexget "$T_TMP/SOFTWARE" 'Microsoft\Virtual Machine\Auto' IntegrationServicesVersion 2>&1)
T_COUNT=$((T_COUNT + 1))
if expr "$v" : '6\.' >/dev/null; then
    t_pass "hivexget: IntegrationServicesVersion = $v"
else
    t_fail "IntegrationServicesVersion not set: '$v'"
    sed 's/^/  | /' "$T_TMP/gf.err" >&2
fi

t_finish
