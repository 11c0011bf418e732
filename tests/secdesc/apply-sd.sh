#!/bin/sh
# The security descriptors `hvoffline apply` gives what it writes (issue
# 17), end to end on a test image, judged by ntfssecaudit (ntfs-3g's, not
# our code) on the raw NTFS volume extracted with qemu-img and dd:
#
#   1. ws2012-x64 is given Windows-like descriptors with ntfssecaudit -s:
#      System32 and System32\drivers owned by TrustedInstaller, SYSTEM and
#      Administrators full control, Users read and execute, inheritable
#      (OI|CI), TrustedInstaller's own full control not inheritable;
#      vmbus.sys a protected TrustedInstaller descriptor of its own; the
#      SYSTEM and SOFTWARE hives SYSTEM's and Administrators' only;
#   2. the demo package (tests/fixtures/icpkg) is applied with the native
#      backend: the new drivers (storvsc.sys, winhv.sys) carry exactly the
#      inherited ACEs and grant Users and Everyone no write; the replaced
#      vmbus.sys keeps its descriptor; icsvc.dll and vmicres.dll carry
#      their manifest's SDDL; verify is clean; a standalone verify
#      recomputes each descriptor by the rule apply recorded, and names
#      those changed behind its back (ntfssecaudit -s) with the SDDL
#      expected and found;
#   3. rollback puts vmbus.sys back with its descriptor, and the hives
#      keep theirs, also when `services` rewrites SYSTEM in place;
#   4. the appliance backend (one launch) sets the same descriptors (the
#      appliance's setfattr, hex, not libguestfs's setxattr, which cuts
#      binary values at the first NUL): the same checks as for native;
#      a standalone verify (native, no launch) is clean, and the
#      appliance's own verify (a second launch: the rules recomputed
#      through the appliance backend) reports a descriptor changed behind
#      its back (ntfssecaudit -s); the record folder's descriptors are
#      the store's on both backends.
# Descriptors are written and read as specs by sdtool.py ([MS-DTYP],
# independent of src/secdesc).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

img="$HVO_TOP_BUILDDIR/tests/fixtures/images"
demo="$HVO_TOP_BUILDDIR/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
sdtool="python3 $HVO_TOP_SRCDIR/tests/secdesc/sdtool.py"
for t in ntfssecaudit ntfsls qemu-img python3 sfdisk jq; do
    command -v $t >/dev/null || { echo "SKIP: $t is missing"; exit 77; }
done
[ -f "$img/ws2012-x64.vhdx" ] || { echo "FAIL: test images not built ($img)"; exit 99; }
[ -f "$demo" ] || { echo "FAIL: $demo was not built (make fixture-icpkg)"; exit 99; }

TI=S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464
SY=S-1-5-18 BA=S-1-5-32-544 BU=S-1-5-32-545
FA=001f01ff RX=001200a9
# Folders: protected, auto-inherited (P, AI).
DIR="O=$TI G=$SY C=1400 A=0:00:$FA:$TI A=0:03:$FA:$SY A=0:03:$FA:$BA A=0:03:$RX:$BU"
OLD="O=$TI G=$SY C=1400 A=0:00:$FA:$TI A=0:00:$RX:$SY A=0:00:$RX:$BA A=0:00:$RX:$BU"
# The hives: SYSTEM and Administrators only, protected.
HIVE="O=$BA G=$SY C=1400 A=0:00:$FA:$SY A=0:00:$FA:$BA"
# hvoffline's record folder and what it keeps there: SYSTEM and
# Administrators only, protected (the folder's ACEs inheritable).
STORE_DIR="O=$BA G=$SY C=1000 A=0:03:$FA:$SY A=0:03:$FA:$BA"
STORE_FILE="O=$BA G=$SY C=1000 A=0:00:$FA:$SY A=0:00:$FA:$BA"
# What a new file in DIR inherits: the OI ACEs, marked inherited (ID).
NEW="O=$TI G=$SY C=0400 A=0:10:$FA:$SY A=0:10:$FA:$BA A=0:10:$RX:$BU"
# The demo manifest's O:BAG:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;GRGX;;;BU),
# generic read and execute mapped to file rights.
MAN="O=$BA G=$BA C=1000 A=0:00:$FA:$SY A=0:00:$FA:$BA A=0:00:$RX:$BU"

. "$HVO_TOP_SRCDIR/tests/secdesc/volume.sh"

# sd VOLUME PATH: PATH's descriptor as a spec (ntfssecaudit).
sd() {
    ntfssecaudit -v "$1" "$2" 2>/dev/null | $sdtool show
}

userwrite() {
    ntfssecaudit -v "$1" "$2" 2>/dev/null | $sdtool userwrite
}

# ---- 1. the image --------------------------------------------------------
volume "$img/ws2012-x64.vhdx" "$T_TMP/vol"
$sdtool backup "/Windows/System32/=$DIR" "/Windows/System32/drivers/=$DIR" \
    "/Windows/System32/drivers/vmbus.sys=$OLD" \
    "/Windows/System32/config/SYSTEM=$HIVE" "/Windows/System32/config/SOFTWARE=$HIVE" \
    >"$T_TMP/backup"
run ntfssecaudit -s "$T_TMP/vol" "$T_TMP/backup"
expect_rc 0 "ntfssecaudit -s sets the image's descriptors"
mkdir "$T_TMP/n" "$T_TMP/a"
volume_put "$T_TMP/vol" "$img/ws2012-x64.vhdx" "$T_TMP/n/guest.vhdx"
cp "$T_TMP/n/guest.vhdx" "$T_TMP/a/guest.vhdx"
expect_eq "$(sd "$T_TMP/vol" /Windows/System32/drivers)" "$($sdtool spec "$DIR")" \
    "drivers: Windows-like descriptor (ntfssecaudit)"
expect_eq "$(sd "$T_TMP/vol" /Windows/System32/drivers/vmbus.sys)" "$($sdtool spec "$OLD")" \
    "vmbus.sys: TrustedInstaller's descriptor before apply"
expect_eq "$(sd "$T_TMP/vol" /Windows/System32/config/SYSTEM)" "$($sdtool spec "$HIVE")" \
    "SYSTEM hive: its own descriptor before apply"

# check LABEL VOLUME: the descriptors after apply.
check() {
    for f in storvsc.sys winhv.sys; do
        expect_eq "$(sd "$2" "/Windows/System32/drivers/$f")" "$($sdtool spec "$NEW")" \
            "$1: new $f carries exactly the inherited ACEs"
        expect_eq "$(userwrite "$2" "/Windows/System32/drivers/$f")" no \
            "$1: new $f grants Users and Everyone no write"
    done
    expect_eq "$(sd "$2" /Windows/System32/drivers/vmbus.sys)" "$($sdtool spec "$OLD")" \
        "$1: replaced vmbus.sys keeps its previous descriptor"
    for f in icsvc.dll vmicres.dll; do
        expect_eq "$(sd "$2" "/Windows/System32/$f")" "$($sdtool spec "$MAN")" \
            "$1: $f carries its manifest's SDDL"
    done
    hives "$1" "$2"
    store "$1" "$2"
}

# store LABEL VOLUME: the record folder, apply's JSON record and its undo
# data carry the store's descriptor, not libntfs-3g's inheritance (native)
# or ntfs-3g's default (appliance).
store() {
    expect_eq "$(sd "$2" /Windows/Logs/hvoffline)" "$($sdtool spec "$STORE_DIR")" \
        "$1: the record folder is SYSTEM's and Administrators' only"
    n=0
    for f in $(ntfsls "$2" -p /Windows/Logs/hvoffline 2>/dev/null | grep -E '^apply-.*[.](json|undo)$'); do
        expect_eq "$(sd "$2" "/Windows/Logs/hvoffline/$f")" "$($sdtool spec "$STORE_FILE")" \
            "$1: $f is SYSTEM's and Administrators' only"
        n=$((n + 1))
    done
    expect_eq "$n" 2 "$1: apply's record and undo data were both checked"
    saved=$(ntfsls "$2" -p /Windows/Logs/hvoffline 2>/dev/null | grep -E '^apply-.*[.]saved$')
    expect_eq "$(sd "$2" "/Windows/Logs/hvoffline/$saved")" "$($sdtool spec "$STORE_DIR")" \
        "$1: the folder of kept originals is SYSTEM's and Administrators' only"
}

# hives LABEL VOLUME: the rewritten hives kept their descriptor.
hives() {
    for h in SYSTEM SOFTWARE; do
        expect_eq "$(sd "$2" "/Windows/System32/config/$h")" "$($sdtool spec "$HIVE")" \
            "$1: the $h hive keeps its descriptor"
    done
}

# ---- 2. apply, native ----------------------------------------------------
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json apply --trust "${demo%.cab}-root.pem" \
    --source "$demo" "$T_TMP/n/guest.vhdx"
expect_rc 0 "native: apply the demo package"
expect_json '.appliance.launches == 0 and .images[0].status == "applied"' \
    "native: applied without an appliance"
expect_json '.images[0].result.security_descriptors.set >= 10 and .images[0].result.security_descriptors.skipped == 0' \
    "native: descriptors set, none skipped"
expect_json '[.images[0].result.changes.files[] | select(.path | test("vmbus.sys$")) | .security_descriptor_rule][0] == "previous"' \
    "native: vmbus.sys by the previous-descriptor rule"
volume "$T_TMP/n/guest.vhdx" "$T_TMP/n.vol"
check native "$T_TMP/n.vol"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --trust "${demo%.cab}-root.pem" \
    --source "$demo" "$T_TMP/n/guest.vhdx"
expect_rc 0 "native: verify is clean"

# verify on its own recomputes each descriptor by the rule apply recorded:
# a new driver (inherited) and the replaced vmbus.sys (previous) changed
# behind its back with ntfssecaudit -s are reported, with the SDDL
# expected and found.  On a copy: the rollback below needs the original.
$sdtool backup "/Windows/System32/drivers/storvsc.sys=$HIVE" \
    "/Windows/System32/drivers/vmbus.sys=$NEW" >"$T_TMP/backup3"
cp "$T_TMP/n.vol" "$T_TMP/t.vol"
run ntfssecaudit -s "$T_TMP/t.vol" "$T_TMP/backup3"
expect_rc 0 "ntfssecaudit -s changes storvsc.sys's and vmbus.sys's descriptors"
mkdir "$T_TMP/t"
volume_put "$T_TMP/t.vol" "$T_TMP/n/guest.vhdx" "$T_TMP/t/guest.vhdx"
rm -f "$T_TMP/t.vol"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --trust "${demo%.cab}-root.pem" \
    --source "$demo" "$T_TMP/t/guest.vhdx"
expect_rc 1 "verify: changed descriptors are differences"
expect_json '[.images[0].verify.differences[].what] | sort == ["security descriptor of Windows\\System32\\drivers\\storvsc.sys", "security descriptor of Windows\\System32\\drivers\\vmbus.sys"]' \
    "verify: exactly storvsc.sys (inherited) and vmbus.sys (previous) differ"
TIS=O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464G:SY
expect_json ".images[0].verify.differences[] | select(.what | test(\"storvsc\")) | .expected == \"${TIS}D:AI(A;ID;0x1f01ff;;;SY)(A;ID;0x1f01ff;;;BA)(A;ID;0x1200a9;;;BU)\" and .found == \"O:BAG:SYD:PAI(A;;0x1f01ff;;;SY)(A;;0x1f01ff;;;BA)\"" \
    "verify: storvsc.sys: the inherited SDDL expected, the changed one found"
expect_json ".images[0].verify.differences[] | select(.what | test(\"vmbus\")) | .expected == \"${TIS}D:PAI(A;;0x1f01ff;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;;0x1200a9;;;SY)(A;;0x1200a9;;;BA)(A;;0x1200a9;;;BU)\"" \
    "verify: vmbus.sys: its previous SDDL expected"

# ---- 3. rollback ---------------------------------------------------------
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json rollback "$T_TMP/n/guest.vhdx"
expect_rc 0 "native: rollback"
volume "$T_TMP/n/guest.vhdx" "$T_TMP/r.vol"
expect_eq "$(sd "$T_TMP/r.vol" /Windows/System32/drivers/vmbus.sys)" "$($sdtool spec "$OLD")" \
    "rollback: vmbus.sys is back with its descriptor"
hives rollback "$T_TMP/r.vol"

# ---- 3b. services (native): the SYSTEM hive rewritten in place --------------
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json services --disable VMBUS "$T_TMP/n/guest.vhdx"
expect_rc 0 "services --disable vmbus"
expect_json '.images[0].changes[0] | .service == "vmbus" and .changed' \
    "services: the SYSTEM hive was rewritten"
volume "$T_TMP/n/guest.vhdx" "$T_TMP/s.vol"
hives services "$T_TMP/s.vol"

# ---- 4. apply, appliance (one launch) --------------------------------------
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} \
    HVOFFLINE_BACKEND=appliance run "$HVOFFLINE" --json apply \
    --trust "${demo%.cab}-root.pem" --source "$demo" "$T_TMP/a/guest.vhdx"
expect_rc 0 "appliance: apply the demo package"
expect_json '.appliance.launches == 1 and .images[0].status == "applied"' \
    "appliance: applied through the appliance"
expect_json '.images[0].result.security_descriptors.set >= 10 and .images[0].result.security_descriptors.skipped == 0' \
    "appliance: descriptors set, none skipped"
expect_json '[.images[0].result.changes.files[] | select(.path | test("vmbus.sys$")) | .previous_security_descriptor.sddl][0] | test("^O:S-1-5-80-956008885-")' \
    "appliance: the previous descriptor of vmbus.sys is read and reported"
volume "$T_TMP/a/guest.vhdx" "$T_TMP/a.vol"
check appliance "$T_TMP/a.vol"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --trust "${demo%.cab}-root.pem" \
    --source "$demo" "$T_TMP/a/guest.vhdx"
expect_rc 0 "appliance: a standalone verify is clean"
expect_json '.images[0].verify.clean == true' "appliance: verify finds no difference"

# The verify of an image whose icsvc.dll lost its manifest's descriptor.
$sdtool backup "/Windows/System32/icsvc.dll=$OLD" >"$T_TMP/backup2"
run ntfssecaudit -s "$T_TMP/a.vol" "$T_TMP/backup2"
expect_rc 0 "ntfssecaudit -s changes icsvc.dll's descriptor"
mkdir "$T_TMP/b"
volume_put "$T_TMP/a.vol" "$T_TMP/a/guest.vhdx" "$T_TMP/b/guest.vhdx"
LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} \
    HVOFFLINE_BACKEND=appliance run "$HVOFFLINE" --json verify \
    --trust "${demo%.cab}-root.pem" --source "$demo" "$T_TMP/b/guest.vhdx"
expect_rc 1 "appliance verify: a changed descriptor is a difference"
expect_json '.appliance.launches == 1' "appliance verify: through the appliance"
expect_json '[.images[0].verify.differences[].what] | length == 1 and (.[0] | test("^security descriptor of .*icsvc.dll$"))' \
    "appliance verify: exactly icsvc.dll's descriptor differs"
expect_json '.images[0].verify.differences[0] | .expected == "O:BAG:BAD:P(A;;0x1f01ff;;;SY)(A;;0x1f01ff;;;BA)(A;;0x1200a9;;;BU)" and (.found | startswith("O:S-1-5-80-956008885-"))' \
    "appliance verify: the manifest's SDDL expected, the changed one found"
t_finish
