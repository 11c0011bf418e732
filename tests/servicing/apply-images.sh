#!/bin/sh
# `hvoffline apply` and `verify` end to end: the project's test images
# (tests/fixtures) with the real integration-services packages, in the
# real appliance (every VHDX attached through nbdkit-hvoffline-plugin,
# make check's default) and on the native backend (the default), each on
# its own copies of the images, by the same steps and checks, read back
# with guestfish and hivexsh (not our code):
#
#   1. one invocation, one launch (none natively), three images: Server
#      2012 x64 (6.2 package), Windows 7 x86 (6.x package,
#      CriticalDeviceDatabase) and Server 2012 with a dirty SYSTEM hive
#      that its logs recover;
#   2. an independent read of what both backends wrote (one guestfish
#      launch for both);
#   3. a second run: up to date and byte-identical; hibernated, dirty
#      without logs and locked images refused byte-identical (4); a nearly
#      full volume fails part-way (1) and keeps its files;
#   4. a package that does not apply (3) and a corrupt cabinet (5) leave
#      the image byte-identical;
#   5. verify is clean, and the guest filesystems' checksum listings show
#      that the second run changed no file and the failed one left
#      everything as it was.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

fx=$(fixtures_dir)
need_tools guestfish hivexsh hivexget jq sha256sum cabextract flock
need_images ws2012-dirty

# guestfish is the oracle; KVM is broken on nested hosts such as this CI,
# and the oracle does not fall back by itself.
gf() {
    LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} \
        guestfish "$@"
}

# Each backend services its own copies, in $T_TMP/appliance and
# $T_TMP/native.
mkdir -p "$T_TMP/src" "$T_TMP/src62" "$T_TMP/bad"
for W in "$T_TMP/appliance" "$T_TMP/native"; do
    mkdir -p "$W"
    for n in ws2012-x64 win7-x86 ws2012-dirty hibernated dirty-nologs ws2012-full; do
        cp --sparse=always "$img/$n.vhdx" "$W/$n.vhdx"
    done
    cp --sparse=always "$img/ws2012-x64.vhdx" "$W/locked.vhdx"
    cp --sparse=always "$img/win7-x86.vhdx" "$W/win7-b.vhdx"
    cp --sparse=always "$img/ws2012-x64.vhdx" "$W/ws2012-b.vhdx"
done
cab64="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
cab86="$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab"
cp "$cab64" "$cab86" "$T_TMP/src/"
cp "$cab64" "$T_TMP/src62/"
# A corrupt cabinet: one byte of compressed data flipped, so that a CFDATA
# checksum no longer matches.
cp "$cab64" "$T_TMP/bad/Windows6.2-HyperVIntegrationServices-x64.cab"
printf '\377' | dd of="$T_TMP/bad/Windows6.2-HyperVIntegrationServices-x64.cab" \
    bs=1 seek=300000 conv=notrunc 2>/dev/null

# What the packages carry, according to cabextract.
payload_sha() {
    cabextract -q -p -F "$2" "$1" 2>/dev/null | sha256sum | cut -c1-64
}
vmbus64=$(payload_sha "$cab64" '*wvmbus.inf*/vmbus.sys')
vmbus86=$(payload_sha "$cab86" '*wvmbus.inf*/vmbus.sys')

# The checks run once per backend, each line naming its backend ($B);
# $W is the backend's folder of images, $launches its appliance launches.
backend() {
    B=$1
    W=$T_TMP/$B
    T_PREFIX="[$B] "
    launches=0
    [ "$B" = native ] || launches=1
}

# hivex NAME SCRIPT: runs a hivexsh script on a downloaded hive.
hivex() {
    printf "$2" | hivexsh "$G/$1" 2>&1
}
# expect_hive NAME SCRIPT PATTERN DESCRIPTION
expect_hive() {
    hivex "$1" "$2" >"$T_TMP/hive.out"
    expect_grep "$T_TMP/hive.out" "$3" "$4"
}

# step1: three images in one invocation.
step1() {
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json --log "$T_TMP/log1-$B" apply --source "$T_TMP/src" \
        "$W/ws2012-x64.vhdx" "$W/win7-x86.vhdx" "$W/ws2012-dirty.vhdx"
    cp "$T_TMP/out" "$T_TMP/apply1-$B.json"
    expect_rc 0 "batch: three images applied"
    expect_json '.command == "apply" and .exit_code == 0 and (.images | length == 3)' \
        "batch: one result per image"
    expect_json ".appliance.launches == $launches" "batch: $launches appliance launch(es)"
    expect_eq "$(grep -c 'appliance launch #[0-9]* done' "$T_TMP/log1-$B")" $launches \
        "batch: the log has $launches launch-done record(s)"
    expect_json '[.images[] | [.status, .exit_code]] == [["applied", 0], ["applied", 0], ["applied", 0]]' \
        "batch: each image applied"
    expect_json '.images[0].package.name == "Microsoft-Hyper-V-Integration-Services-Package-2" and .images[0].package.arch == "amd64"' \
        "Server 2012 x64 gets the 6.2 x64 package"
    expect_json '.images[1].package.name == "Microsoft-Hyper-V-Integration-Services-Package" and .images[1].package.arch == "x86"' \
        "Windows 7 x86 gets the 6.x x86 package"
    expect_json '[.images[].result.verify.clean] | all' \
        "every planned item read back after writing"
    expect_json '.images[2].result.hives.SYSTEM.recovered_from_logs and .images[2].result.hives.SYSTEM.written' \
        "the dirty SYSTEM hive was recovered from its logs, then edited"
    expect_json '.images[0].plan.firstboot == "setup-cmdline" and (.images[0].plan.record | test("^Windows\\\\Logs\\\\hvoffline\\\\apply-"))' \
        "first-boot hook and record planned"
}

# read1: what step1 wrote, as guestfish read it.
read1() {
    T_COUNT=$((T_COUNT + 1))
    if [ -s "$G/$B-ws-SYSTEM" ] && [ -s "$G/$B-w7-SYSTEM" ] && [ -s "$G/$B-dirty-SYSTEM" ]; then
        t_pass "guestfish read the three images"
    else
        t_fail "guestfish failed: $(cat "$G/gf.err")"
    fi
    expect_eq "$(sed -n 1p "$G/$B-gf.out")" "$vmbus64" \
        "ws2012: vmbus.sys in System32/drivers has the cabinet's SHA-256"
    expect_grep "$G/$B-gf.out" "Windows6.2-HyperVIntegrationServices-x64.cab" \
        "ws2012: the cabinet is staged with update.mum and update.cat"
    expect_grep "$G/$B-gf.out" "^update.mum$" "ws2012: update.mum staged"
    expect_grep "$G/$B-gf.out" "^update.cat$" "ws2012: update.cat staged"
    expect_eq "$(sed -n 5p "$G/$B-gf.out")" "$(sha256sum <"$cab64" | cut -c1-64)" \
        "ws2012: the staged cabinet is the source cabinet"
    expect_grep "$G/$B-ws-firstboot.cmd" 'dism.exe" /Online /Add-Package /PackagePath:"%HVO_PKG%" /Quiet /NoRestart' \
        "ws2012: the first-boot script runs DISM /Online /Add-Package"
    expect_eq "$(grep -c "$vmbus86" "$G/$B-gf.out")" 1 \
        "win7: vmbus.sys has the x86 cabinet's SHA-256"
    expect_eq "$(sed -n '$p' "$G/$B-gf.out")" 0 "dirty: SYSTEM.LOG2 emptied after the recovered hive is in place"

    expect_hive $B-ws-SOFTWARE 'cd Microsoft\\Virtual Machine\\Auto\nlsval\n' \
        '"IntegrationServicesVersion"="6.3.9600.19456"' \
        "ws2012: IntegrationServicesVersion = 6.3.9600.19456 (hivexsh)"
    expect_hive $B-ws-SYSTEM 'cd ControlSet002\\Services\\vmbus\nlsval\n' \
        '"Start"=dword:00000000' "ws2012: Services/vmbus Start 0 (boot)"
    expect_hive $B-ws-SYSTEM 'cd ControlSet002\\Services\\vmbus\nlsval\n' \
        '"Group"="System Bus Extender"' "ws2012: Services/vmbus Group"
    for s in vmicheartbeat vmickvpexchange vmicshutdown vmictimesync vmicvss vmicrdv vmicguestinterface; do
        expect_hive $B-ws-SYSTEM "cd ControlSet002\\\\Services\\\\$s\nlsval ImagePath\n" \
            'svchost.exe -k' "ws2012: service $s (svchost)"
        group=$(hivex $B-ws-SYSTEM "cd ControlSet002\\\\Services\\\\$s\nlsval ImagePath\n" |
            sed -n 's/.*svchost.exe -k \([A-Za-z]*\).*/\1/p')
        T_COUNT=$((T_COUNT + 1))
        if hivexget "$G/$B-ws-SOFTWARE" '\Microsoft\Windows NT\CurrentVersion\Svchost' "$group" 2>/dev/null |
            grep -qx "$s"; then
            t_pass "ws2012: $s is in its svchost group $group"
        else
            t_fail "ws2012: $s is not in svchost group '$group'"
        fi
    done
    expect_hive $B-ws-SYSTEM 'cd Setup\nlsval\n' '"SetupType"=dword:00000002' \
        "ws2012: first boot: Winlogon's SetupType 2"
    expect_hive $B-ws-SYSTEM 'cd Setup\nlsval\n' 'hvoffline\\\\firstboot.cmd' \
        "ws2012: first boot: CmdLine runs the script"
    for db in CriticalDeviceDatabase DriverDatabase; do
        T_COUNT=$((T_COUNT + 1))
        if hivex $B-ws-SYSTEM "cd ControlSet002\\\\Control\\\\$db\nls\n" | grep -qi vmbus; then
            t_fail "ws2012: no $db entries on NT 6.2"
        else
            t_pass "ws2012: no $db entries written on NT 6.2"
        fi
    done
    expect_hive $B-ws-SOFTWARE 'cd Microsoft\\Windows\\CurrentVersion\nlsval DevicePath\n' \
        'hvoffline\\Drivers' "ws2012: the staged drivers are in DevicePath"
    T_COUNT=$((T_COUNT + 1))
    if jq -e '.files[] | select(.path == "Windows\\System32\\drivers\\vmbus.sys") | .action == "replaced" and (.previous_sha256 | length == 64)' \
        "$G/$B"/apply-*.json >/dev/null 2>&1; then
        t_pass "ws2012: the record in the guest names the replaced vmbus.sys and its old SHA-256"
    else
        t_fail "ws2012: the record lacks the replaced vmbus.sys"
    fi

    expect_hive $B-w7-SOFTWARE 'cd Microsoft\\Virtual Machine\\Auto\nlsval\n' \
        '"IntegrationServicesVersion"="6.3.9600.19456"' "win7: IntegrationServicesVersion"
    expect_hive $B-w7-SYSTEM 'cd ControlSet001\\Services\\vmbus\nlsval\n' \
        '"Start"=dword:00000000' "win7: Services/vmbus Start 0"
    expect_hive $B-w7-SYSTEM 'cd ControlSet001\\Control\\CriticalDeviceDatabase\\acpi#vmbus\nlsval\n' \
        '"Service"="vmbus"' "win7: CriticalDeviceDatabase/acpi#vmbus -> vmbus"
    expect_hive $B-w7-SYSTEM 'cd ControlSet001\\Control\\CriticalDeviceDatabase\\vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}\nlsval\n' \
        '"Service"="storvsc"' "win7: CriticalDeviceDatabase binds the synthetic SCSI controller to storvsc"
    expect_hive $B-w7-SYSTEM 'cd ControlSet001\\Control\\CriticalDeviceDatabase\\vmbus#{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}\nlsval\n' \
        '"ClassGUID"="{4d36e97b-e325-11ce-bfc1-08002be10318}"' "win7: ... with the SCSIAdapter class"
    for s in vmicheartbeat vmickvpexchange vmicshutdown vmictimesync vmicvss vmicrdv vmicguestinterface; do
        group=$(hivex $B-w7-SYSTEM "cd ControlSet001\\\\Services\\\\$s\nlsval ImagePath\n" |
            sed -n 's/.*svchost.exe -k \([A-Za-z]*\).*/\1/p')
        T_COUNT=$((T_COUNT + 1))
        if [ -n "$group" ] &&
            hivexget "$G/$B-w7-SOFTWARE" '\Microsoft\Windows NT\CurrentVersion\Svchost' "$group" 2>/dev/null |
            grep -qx "$s"; then
            t_pass "win7: $s installed from wvmic.inf, in svchost group $group"
        else
            t_fail "win7: $s missing or not in its svchost group ('$group')"
        fi
    done

    expect_hive $B-dirty-SYSTEM 'cd ControlSet001\\Control\\Class\\{4d36e96c-e325-11ce-bfc1-08002be10318}\\0016\nlsval Driver\n' \
        'nvhda64v.sys' "dirty: a key that lived only in the logs survived the edit"
    expect_hive $B-dirty-SYSTEM 'cd ControlSet001\\Services\\vmbus\nlsval\n' \
        '"Group"="System Bus Extender"' "dirty: the recovered hive was then edited"
}

# step3: again; refusals; a full volume.
step3() {
    flock -x "$W/locked.vhdx" sleep 900 &
    lockpid=$!
    sleep 1
    snapshot "$W/ws2012-x64.vhdx" "$W/win7-x86.vhdx" "$W/hibernated.vhdx" \
        "$W/dirty-nologs.vhdx" "$W/locked.vhdx"
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json apply --source "$T_TMP/src" \
        "$W/ws2012-x64.vhdx" "$W/win7-x86.vhdx" "$W/hibernated.vhdx" \
        "$W/dirty-nologs.vhdx" "$W/locked.vhdx" "$W/ws2012-full.vhdx"
    kill "$lockpid" 2>/dev/null
    wait "$lockpid" 2>/dev/null
    cp "$T_TMP/out" "$T_TMP/apply2-$B.json"
    expect_rc 4 "second run: the highest code of six images"
    expect_json ".appliance.launches == $launches" "second run: $launches launch(es) for six images"
    expect_json '[.images[] | [.status, .exit_code]] == [["up-to-date", 0], ["up-to-date", 0], ["refused", 4], ["refused", 4], ["refused", 4], ["failed", 1]]' \
        "second run: up to date x2, refused x3, failed x1"
    expect_json '.images[2].problems | map(.code) | index("hibernated") != null' \
        "hibernated: refused as hibernated"
    expect_json '.images[3].problems | map(.code) | index("hive-dirty-no-logs") != null' \
        "dirty without logs: refused"
    expect_json '.images[4].problems | map(.code) | index("in-use") != null' \
        "locked by another process: refused as in use"
    expect_json '.images[5].result | .rolled_back and (.guest_changed | not)' \
        "full volume: the failed write was rolled back"
    expect_json '.images[5].message | test("space|No space"; "i")' \
        "full volume: the message says the volume is full"
    expect_unchanged "up-to-date and refused images are byte-identical"
    expect_grep "$T_TMP/err" "locked.vhdx: refused" "stderr names the locked image"
}

# step4: not applicable; corrupt cabinet.
step4() {
    snapshot "$W/win7-b.vhdx" "$W/ws2012-b.vhdx"
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json apply --source "$T_TMP/src62" "$W/win7-b.vhdx"
    expect_rc 3 "the 6.2 package on Windows 7: not applicable"
    expect_json '.images[0].status == "not-applicable" and (.images[0].message | test("amd64.*x86"))' \
        "not applicable: says why"
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json apply --source "$T_TMP/bad" "$W/ws2012-b.vhdx"
    expect_rc 5 "a corrupt cabinet: corrupt input"
    expect_json '.appliance.launches == 0 and .images[0].exit_code == 5' \
        "a corrupt cabinet is found before anything is launched"
    expect_grep "$T_TMP/err" "Windows6.2-HyperVIntegrationServices-x64.cab: " \
        "the cabinet is named"
    expect_unchanged "not-applicable and corrupt-source images are byte-identical"
}

# step5: verify.
step5() {
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json verify --source "$T_TMP/src" \
        "$W/ws2012-x64.vhdx" "$W/win7-x86.vhdx" "$W/ws2012-dirty.vhdx"
    expect_rc 0 "verify: clean"
    expect_json '[.images[] | .status] == ["verified", "verified", "verified"] and ([.images[].verify.checked] | min > 100)' \
        "verify: every planned item of three images matches"
}

# read5: the listings of the second guestfish read against the first.
read5() {
    T_COUNT=$((T_COUNT + 1))
    if [ -s "$G/$B-ws-list-1" ] && cmp -s "$G/$B-ws-list-1" "$G/$B-ws-list-2"; then
        t_pass "the second apply changed no file ($(wc -l <"$G/$B-ws-list-1") files compared)"
    else
        t_fail "the second apply changed files: $(diff "$G/$B-ws-list-1" "$G/$B-ws-list-2" | head -5)"
    fi
    T_COUNT=$((T_COUNT + 1))
    if [ -s "$G/$B-full-list-1" ] && cmp -s "$G/$B-full-list-1" "$G/$B-full-list-2"; then
        t_pass "the failed apply left every file and hive as it was ($(wc -l <"$G/$B-full-list-1") files)"
    else
        t_fail "the failed apply changed files: $(diff "$G/$B-full-list-1" "$G/$B-full-list-2" | head -5)"
    fi
}

# ---- 1. three images, one launch --------------------------------------
for b in appliance native; do
    backend $b
    step1
done

# ---- 2. an independent read of both backends' images (one launch) ---
G=$T_TMP/g
mkdir -p "$G"
# gf_set B SDA SDB SDC SDD: the guestfish commands reading backend B's
# ws2012-x64, win7-x86, ws2012-dirty and ws2012-full on those disks; their
# output follows a line "== B ==".
gf_set() {
    mkdir -p "$G/$1"
    cat <<EOF
echo == $1 ==
mount-ro /dev/${2}3 /
checksum sha256 /Windows/System32/drivers/vmbus.sys
download /Windows/System32/config/SYSTEM $G/$1-ws-SYSTEM
download /Windows/System32/config/SOFTWARE $G/$1-ws-SOFTWARE
download /Windows/hvoffline/firstboot.cmd $G/$1-ws-firstboot.cmd
ls /Windows/hvoffline/Packages/Microsoft-Hyper-V-Integration-Services-Package-2~31bf3856ad364e35~amd64~~6.3.9600.19456
checksum sha256 /Windows/hvoffline/Packages/Microsoft-Hyper-V-Integration-Services-Package-2~31bf3856ad364e35~amd64~~6.3.9600.19456/Windows6.2-HyperVIntegrationServices-x64.cab
glob copy-out /Windows/Logs/hvoffline/apply-*.json $G/$1
checksums-out sha256 / $G/$1-ws-list-1
umount /
mount-ro /dev/${3}2 /
checksum sha256 /Windows/System32/drivers/vmbus.sys
download /Windows/System32/config/SYSTEM $G/$1-w7-SYSTEM
download /Windows/System32/config/SOFTWARE $G/$1-w7-SOFTWARE
umount /
mount-ro /dev/${4}3 /
download /Windows/System32/config/SYSTEM $G/$1-dirty-SYSTEM
filesize /Windows/System32/config/SYSTEM.LOG1
filesize /Windows/System32/config/SYSTEM.LOG2
umount /
mount-ro /dev/${5}3 /
checksums-out sha256 / $G/$1-full-list-1
umount /
EOF
}
{
    echo run
    gf_set appliance sda sdb sdc sdd
    gf_set native sde sdf sdg sdh
} | gf --ro --format=vhdx \
    -a "$T_TMP/appliance/ws2012-x64.vhdx" -a "$T_TMP/appliance/win7-x86.vhdx" \
    -a "$T_TMP/appliance/ws2012-dirty.vhdx" -a "$T_TMP/appliance/ws2012-full.vhdx" \
    -a "$T_TMP/native/ws2012-x64.vhdx" -a "$T_TMP/native/win7-x86.vhdx" \
    -a "$T_TMP/native/ws2012-dirty.vhdx" -a "$T_TMP/native/ws2012-full.vhdx" \
    >"$G/gf.out" 2>"$G/gf.err"
awk -v g="$G" '/^== [a-z]* ==$/ { f = g "/" $2 "-gf.out"; next } f { print >f }' "$G/gf.out"
for b in appliance native; do
    backend $b
    read1
done

# ---- 3. again: up to date; refusals; a full volume --------------------
for b in appliance native; do
    backend $b
    step3
done

# ---- 4. not applicable; corrupt cabinet ----------------------------------
for b in appliance native; do
    backend $b
    step4
done

# ---- 5. verify, and the filesystems' listings --------------------------
for b in appliance native; do
    backend $b
    step5
done
{
    echo run
    for s in appliance:sda:sdb native:sdc:sdd; do
        b=${s%%:*} d=${s#*:}
        cat <<EOF
mount-ro /dev/${d%%:*}3 /
checksums-out sha256 / $G/$b-ws-list-2
umount /
mount-ro /dev/${d#*:}3 /
checksums-out sha256 / $G/$b-full-list-2
umount /
EOF
    done
} | gf --ro --format=vhdx \
    -a "$T_TMP/appliance/ws2012-x64.vhdx" -a "$T_TMP/appliance/ws2012-full.vhdx" \
    -a "$T_TMP/native/ws2012-x64.vhdx" -a "$T_TMP/native/ws2012-full.vhdx" \
    >/dev/null 2>"$G/gf2.err"
for b in appliance native; do
    backend $b
    read5
done
T_PREFIX=

t_finish
