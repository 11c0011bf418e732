#!/bin/sh
# The first-boot refusal of rollback on a VHDX, native backend (issue 18):
# apply natively to a copy of the ws2012-x64 test image (inspect: the
# first-boot step pending), then a boot simulated inside the VHDX by an
# independent tool (guestfish, one appliance launch: the step's script
# deleted, its log written, as the step itself does at first boot);
# inspect then says the step ran, rollback refuses with exit 4 naming the
# first-boot step and leaves the image untouched; --force undoes anyway.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_images ws2012-x64
need_tools guestfish jq sha256sum
fx=$(fixtures_dir)
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
HVOFFLINE_BACKEND=native
export HVOFFLINE_BACKEND
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_BACKEND_SETTINGS

cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
run "$HVOFFLINE" -q apply --source "$cab" "$T_TMP/a.vhdx"
expect_rc 0 "apply (native)"
run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
expect_json '.images[0].pending.firstboot.pending == true' \
    "inspect: the first-boot step is pending"

# First boot, simulated by guestfish inside the VHDX (qemu's own vhdx
# driver and the appliance's ntfs-3g, not our code).
guestfish --rw --format=vhdx -a "$T_TMP/a.vhdx" -i <<'GF' >"$T_TMP/gf.out" 2>&1
rm /Windows/hvoffline/firstboot.cmd
write /Windows/Logs/hvoffline/firstboot.log "start: boot\r\ndone: exit=0 result=installed\r\n"
GF
expect_eq "$?" 0 "guestfish: the first-boot step ran (script gone, log written)"

run "$HVOFFLINE" --json inspect "$T_TMP/a.vhdx"
expect_json '.images[0].pending.firstboot.pending == false' \
    "inspect: the first-boot step no longer pending"
sum=$(sha256sum <"$T_TMP/a.vhdx")
run "$HVOFFLINE" rollback "$T_TMP/a.vhdx"
expect_rc 4 "rollback after the simulated first boot: refused"
expect_grep "$T_TMP/err" "first-boot step" "the refusal names the first-boot step"
expect_grep "$T_TMP/err" "firstboot.cmd is gone" "and what changed"
expect_eq "$(sha256sum <"$T_TMP/a.vhdx")" "$sum" "refused: the image untouched"
run "$HVOFFLINE" rollback --force "$T_TMP/a.vhdx"
expect_rc 0 "rollback --force undoes anyway"
t_finish
