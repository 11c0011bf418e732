#!/bin/sh
# `hvoffline services`, `reg --image` and `rollback` on the project's
# ws2012-x64 test image (current control set 2), with one appliance
# launch: `services --disable vmbus`.  The result is judged without the
# appliance, by independent tools: qemu-img, sfdisk, ntfscat (ntfs-3g) and
# hivexget.  Enable, reg --image edits and the rollback round trip run on
# the host-directory backend in test_services and test_reg_rollback.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_images ws2012-x64
need_tools qemu-img sfdisk ntfscat hivexget jq

# Usage errors: nothing is opened.
run "$HVOFFLINE" services
expect_rc 2 "services: no image"
run "$HVOFFLINE" services --help
expect_rc 0 "services --help"
expect_grep "$T_TMP/out" "host must also enable" "the help names the host's half"
run "$HVOFFLINE" rollback
expect_rc 2 "rollback: no image"
run "$HVOFFLINE" rollback --help
expect_rc 0 "rollback --help"
run "$HVOFFLINE" reg get --image "$img/ws2012-x64.vhdx"
expect_rc 2 "reg get --image: no KEY"
run "$HVOFFLINE" reg check --image "$img/ws2012-x64.vhdx"
expect_rc 2 "reg check has no --image"

cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_BACKEND_SETTINGS
run "$HVOFFLINE" --json services --disable VMBUS "$T_TMP/a.vhdx"
expect_rc 0 "services --disable vmbus"
expect_json '.images[0].control_set == 2' "the current control set is read"
expect_json '.images[0].services | map(select(.service == "vmbus")) | .[0] | .kind == "driver" and .start == 4 and .binary_present == true' \
    "vmbus listed as a driver, now disabled, its binary present"
expect_json '.images[0].changes[0] | .service == "vmbus" and .previous_start == 0 and .start == 4 and .changed' \
    "the change reports Start 0 -> 4"
expect_json '.images[0].record | test("Logs\\\\hvoffline\\\\services-.*\\.json$")' \
    "a record in the guest"
expect_json '.note | test("host")' "the host's half is named"

guest_files "$T_TMP/a.vhdx" Windows/System32/config/SYSTEM "$T_TMP/SYSTEM"
expect_eq "$(hivexget "$T_TMP/SYSTEM" '\ControlSet002\Services\vmbus' Start)" 4 \
    "hivexget: Start 4 in ControlSet002, the current set"
expect_eq "$(hivexget "$T_TMP/SYSTEM" '\ControlSet001\Services\vmbus' Start)" 3 \
    "hivexget: ControlSet001 untouched"
t_finish
