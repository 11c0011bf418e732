#!/bin/sh
# Readers share an image with a read-only export; writers do not.
#   1. while `nbdkit hvoffline file=IMG readonly=true` serves a Windows
#      image, `hvoffline inspect --backend native` of it succeeds (not "in
#      use"), a read-only qemu-img reads along, and `apply` (native and
#      appliance backends) is refused as in use (exit 4) before anything
#      is launched; the image stays byte-identical;
#   2. while a writable export serves it, inspect and apply are both
#      refused as in use.
# No appliance launch: a refused apply stops at the pre-flight.
. "$HVO_TOP_SRCDIR/tests/nbdkit/nbdlib.sh"
need_tools jq
fx=$(fixtures_dir)
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
need_images ws2012-x64
H=$HVOFFLINE
trap 'nbd_kill9; rm -rf "$T_TMP"' EXIT
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
sum=$(sha "$T_TMP/a.vhdx")

# apply_refused BACKEND WHY: apply must stop at the pre-flight, in use.
apply_refused() {
    run "$H" --json apply --backend "$1" --source "$cab" "$T_TMP/a.vhdx"
    expect_rc 4 "$2: apply --backend $1 is refused"
    expect_json '.appliance.launches == 0 and .images[0].status == "refused" and (.images[0].problems | map(.code) | index("in-use") != null)' \
        "$2: apply --backend $1: in use, nothing launched"
}

# ---- 1. a read-only export ----
if nbd_start file="$T_TMP/a.vhdx" readonly=true; then
    run "$H" --json inspect --backend native "$T_TMP/a.vhdx"
    expect_rc 0 "read-only export: inspect --backend native succeeds"
    expect_json '.images[0].safety.in_use == false and .images[0].status == "ok"' "read-only export: inspect does not call the image in use"
    expect_json '.images[0].windows.product_name | test("Windows Server 2012")' \
        "read-only export: inspect finds Windows"
    run qemu-img info -f vhdx "$T_TMP/a.vhdx"
    expect_rc 0 "read-only export: a read-only qemu-img reads along"
    apply_refused native "read-only export"
    apply_refused appliance "read-only export"
    expect_grep "$T_TMP/err" "a.vhdx: refused: in-use" "read-only export: stderr names the image and the reason"
    run nbdinfo --size "$NBD_URI"
    expect_rc 0 "read-only export: still serving after them"
    nbd_stop
else
    t_fail "nbdkit did not serve the image read-only: $(cat "$T_TMP/nbdkit.err")"
fi
expect_eq "$(sha "$T_TMP/a.vhdx")" "$sum" "the image is byte-identical after the read-only export"

# ---- 2. a writable export ----
if nbd_start file="$T_TMP/a.vhdx"; then
    run "$H" --json inspect --backend native "$T_TMP/a.vhdx"
    expect_rc 4 "writable export: inspect --backend native is refused"
    expect_json '.images[0].safety.in_use == true and .images[0].status == "unsafe"' "writable export: inspect calls the image in use"
    apply_refused native "writable export"
    apply_refused appliance "writable export"
    nbd_stop
else
    t_fail "nbdkit did not serve the image read-write: $(cat "$T_TMP/nbdkit.err")"
fi
run "$H" vhdx check "$T_TMP/a.vhdx"
expect_rc 0 "hvoffline vhdx check after the writable export"
t_finish
