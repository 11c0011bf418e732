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
#      their manifest's SDDL; verify is clean;
#   3. rollback puts vmbus.sys back with its descriptor, and the hives
#      keep theirs, also when `services` rewrites SYSTEM in place;
#   4. the appliance backend (one launch) sets the same descriptors (the
#      appliance's setfattr, hex, not libguestfs's setxattr, which cuts
#      binary values at the first NUL): the same checks as for native;
#      a standalone verify (native, no launch) is clean, and reports a
#      descriptor changed behind its back (ntfssecaudit -s).
# Descriptors are written and read as specs by sdtool.py ([MS-DTYP],
# independent of src/secdesc).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

img="$HVO_TOP_BUILDDIR/tests/fixtures/images"
demo="$HVO_TOP_BUILDDIR/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
sdtool="python3 $HVO_TOP_SRCDIR/tests/secdesc/sdtool.py"
for t in ntfssecaudit qemu-img python3 sfdisk jq; do
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
# What a new file in DIR inherits: the OI ACEs, marked inherited (ID).
NEW="O=$TI G=$SY C=0400 A=0:10:$FA:$SY A=0:10:$FA:$BA A=0:10:$RX:$BU"
# The demo manifest's O:BAG:BAD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;GRGX;;;BU),
# generic read and execute mapped to file rights.
MAN="O=$BA G=$BA C=1000 A=0:00:$FA:$SY A=0:00:$FA:$BA A=0:00:$RX:$BU"

# volume VHDX OUT: the Windows volume (partition 3) as a raw file.
volume() {
    qemu-img convert -f vhdx -O raw "$1" "$2.disk" &&
        start=$(sfdisk --json "$2.disk" | jq '.partitiontable.partitions[2].start') &&
        size=$(sfdisk --json "$2.disk" | jq '.partitiontable.partitions[2].size') &&
        dd if="$2.disk" of="$2" bs=512 skip="$start" count="$size" status=none &&
        rm -f "$2.disk"
}

# sd VOLUME PATH: PATH's descriptor as a spec (ntfssecaudit).
sd() {
    ntfssecaudit -v "$1" "$2" 2>/dev/null | $sdtool show
}

userwrite() {
    ntfssecaudit -v "$1" "$2" 2>/dev/null | $sdtool userwrite
}

# ---- 1. the image --------------------------------------------------------
qemu-img convert -f vhdx -O raw "$img/ws2012-x64.vhdx" "$T_TMP/disk.raw"
start=$(sfdisk --json "$T_TMP/disk.raw" | jq '.partitiontable.partitions[2].start')
size=$(sfdisk --json "$T_TMP/disk.raw" | jq '.partitiontable.partitions[2].size')
dd if="$T_TMP/disk.raw" of="$T_TMP/vol" bs=512 skip="$start" count="$size" status=none
$sdtool backup "/Windows/System32/=$DIR" "/Windows/System32/drivers/=$DIR" \
    "/Windows/System32/drivers/vmbus.sys=$OLD" \
    "/Windows/System32/config/SYSTEM=$HIVE" "/Windows/System32/config/SOFTWARE=$HIVE" \
    >"$T_TMP/backup"
run ntfssecaudit -s "$T_TMP/vol" "$T_TMP/backup"
expect_rc 0 "ntfssecaudit -s sets the image's descriptors"
dd if="$T_TMP/vol" of="$T_TMP/disk.raw" bs=512 seek="$start" conv=notrunc status=none
mkdir "$T_TMP/n" "$T_TMP/a"
qemu-img convert -f raw -O vhdx -o subformat=dynamic "$T_TMP/disk.raw" "$T_TMP/n/guest.vhdx"
cp "$T_TMP/n/guest.vhdx" "$T_TMP/a/guest.vhdx"
rm -f "$T_TMP/disk.raw"
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
qemu-img convert -f vhdx -O raw "$T_TMP/a/guest.vhdx" "$T_TMP/disk.raw"
dd if="$T_TMP/a.vol" of="$T_TMP/disk.raw" bs=512 seek="$start" conv=notrunc status=none
mkdir "$T_TMP/b"
qemu-img convert -f raw -O vhdx -o subformat=dynamic "$T_TMP/disk.raw" "$T_TMP/b/guest.vhdx"
rm -f "$T_TMP/disk.raw"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify --trust "${demo%.cab}-root.pem" \
    --source "$demo" "$T_TMP/b/guest.vhdx"
expect_rc 1 "verify: a changed descriptor is a difference"
expect_json '[.images[0].verify.differences[].what] | length == 1 and (.[0] | test("^security descriptor of .*icsvc.dll$"))' \
    "verify: exactly icsvc.dll's descriptor differs"
t_finish
