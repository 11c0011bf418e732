#!/bin/sh
# The guest's system drive from SYSTEM\MountedDevices on a GPT disk
# (issue 18), end to end on the native backend (no appliance): the
# ws2012-x64 test image (GPT: ESP, MSR, Windows) with SOFTWARE's
# SystemRoot made useless ("Windows", no drive) and MountedDevices naming
# the Windows partition as D: by "DMIO:ID:" and its unique partition GUID.
# The GUID comes from sfdisk on the raw disk (not from hvoffline) and is
# laid out in Windows' mixed-endian order here, in awk.  Judged by
# `inspect --json` (the drive letter and system_drive_from_mounted_devices,
# the partition's GUID as sfdisk reads it) and by the paths of the plan
# (`apply --dry-run`: $(runtime.*) expanded on D:); the same value written
# in RFC 4122 byte order is not taken.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_images ws2012-x64
need_tools sfdisk jq awk
HVOFFLINE_BACKEND=native
export HVOFFLINE_BACKEND
cab="$(fixtures_dir)/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
test -f "$cab" || { echo "SKIP: no $cab"; exit 77; }

# The Windows partition's (the third) unique GUID, by sfdisk.
"$HVOFFLINE" vhdx read "$img/ws2012-x64.vhdx" >"$T_TMP/disk.raw"
guid=$(sfdisk --part-uuid "$T_TMP/disk.raw" 3 | tr a-f A-F)
disk_guid=$(sfdisk --disk-id "$T_TMP/disk.raw" | tr a-f A-F)
rm -f "$T_TMP/disk.raw"
case $guid in
????????-????-????-????-????????????) ;;
*) echo "FAIL: sfdisk gave no GUID for partition 3 ($guid)"; exit 1 ;;
esac

# "DMIO:ID:" and the GUID as .reg hex: Data1, Data2, Data3 byte-reversed
# (little-endian), Data4 as written; or (rfc) all in text order.
dmio() {
    echo "$1" | awk -v rfc="${2:-}" '{
        split($0, f, "-")
        out = "44,4d,49,4f,3a,49,44,3a"
        for (k = 1; k <= 5; k++) {
            s = f[k]; n = length(s) / 2
            for (i = 0; i < n; i++) {
                j = (rfc == "" && k <= 3) ? n - 1 - i : i
                out = out "," tolower(substr(s, 2 * j + 1, 2))
            }
        }
        print out
    }'
}

# The image with SystemRoot "Windows" and MountedDevices entries: D: (or
# what $2 says) names the partition in Windows' layout, K: in RFC order.
prepare() {
    cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/$1.vhdx"
    {
        printf 'Windows Registry Editor Version 5.00\r\n\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\r\n'
        printf '"\\\\DosDevices\\\\K:"=hex:%s\r\n' "$(dmio "$guid" rfc)"
        for l in $2; do
            printf '"\\\\DosDevices\\\\%s:"=hex:%s\r\n' "$l" "$(dmio "$guid")"
        done
        printf '\r\n'
    } >"$T_TMP/$1-system.reg"
    {
        printf 'Windows Registry Editor Version 5.00\r\n\r\n'
        printf '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n'
        printf '"SystemRoot"="Windows"\r\n\r\n'
    } >"$T_TMP/$1-software.reg"
    for h in system software; do
        "$HVOFFLINE" -q reg import --image "$T_TMP/$1.vhdx" \
            "$T_TMP/$1-$h.reg" >/dev/null 2>"$T_TMP/import.err" ||
            { cat "$T_TMP/import.err"; echo "FAIL: reg import --image ($h)"; exit 1; }
    done
}

prepare one "D"
run "$HVOFFLINE" --json inspect "$T_TMP/one.vhdx"
expect_rc 0 "inspect a GPT guest whose SystemRoot has no drive"
expect_json '.images[0].windows.systemroot_value == "Windows"' \
    "SOFTWARE's SystemRoot is the one written (no drive)"
expect_json '.images[0].windows.system_drive == "D:" and .images[0].windows.system_drive_from_mounted_devices == true' \
    "the drive letter comes from MountedDevices: D:"
expect_json "[.images[0].disk.volumes[] | select(.partition == 3) | .gpt_guid] == [\"$guid\"]" \
    "partition 3's GUID is the one sfdisk reads ($guid)"
expect_json ".images[0].disk.disk_guid == \"$disk_guid\"" \
    "the disk GUID is the one sfdisk reads ($disk_guid)"
run "$HVOFFLINE" apply --dry-run --source "$cab" "$T_TMP/one.vhdx"
expect_rc 0 "apply --dry-run plans"
n_d=$(grep -c 'D:\\Windows\\' "$T_TMP/out")
n_c=$(grep -c 'C:\\' "$T_TMP/out")
expect_eq "$([ "$n_d" -gt 0 ] && echo yes)" yes "the plan's paths are on D: ($n_d)"
expect_eq "$n_c" 0 "and none on C:"

# Two letters for the same partition say nothing: the default C:.
prepare two "D G"
run "$HVOFFLINE" --json inspect "$T_TMP/two.vhdx"
expect_rc 0 "inspect with two letters for the Windows partition"
expect_json '.images[0].windows.system_drive == null and .images[0].windows.system_drive_from_mounted_devices == false' \
    "ambiguous: no letter taken (K:, in RFC order, is never one)"
t_finish
