#!/bin/sh
# `hvoffline inspect` on the project's test images (tests/fixtures), on the
# real Hyper-V image iotest-dynamic-1G.vhdx (no filesystem at all) and with
# a vmguest.iso source, on each backend: the appliance in ONE launch per
# run (every VHDX attached through nbdkit-hvoffline-plugin, make check's
# default), and the native backend (the default) with none:
#   - every fact a recipe put in is reported, field by field, by the same
#     checks on both backends;
#   - hibernated, BitLocker and dirty-without-logs images are unsafe (4);
#   - two Linux guests (tests/linux/mklinux.sh), Debian and RHEL 8, are
#     reported alike on both backends;
#   - every image file (and the ISO) is byte-identical afterwards;
#   - the launch is counted from libguestfs' own launch-done events, in the
#     JSON report and in the --log records;
#   - a checkpoint (.avhdx) is inspected, on the appliance through the
#     plugin, its parents byte-identical; its base is refused;
#   - both backends report the same facts for every image.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

fx=$(fixtures_dir)
need_tools genisoimage bzip2 sha256sum hivexsh xz
need_images win7-x86

# The real Hyper-V image, decompressed for this test only.
bzip2 -dc "$fx/vhdx/iotest-dynamic-1G.vhdx.bz2" >"$T_TMP/iotest-dynamic-1G.vhdx"

# A vmguest.iso like Hyper-V's: support\amd64 and support\x86 with the
# real cabinets (copied into the scratch ISO tree only).  The native
# backend reads no ISO 9660 (it mounts NTFS only): it is given the same
# two cabinets as a directory.
mkdir -p "$T_TMP/iso/support/amd64" "$T_TMP/iso/support/x86"
cp "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$T_TMP/iso/support/amd64/"
cp "$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab" "$T_TMP/iso/support/x86/"
genisoimage -quiet -J -r -V VMGUEST -o "$T_TMP/vmguest.iso" "$T_TMP/iso"
rm -rf "$T_TMP/iso"

# Linux guests from tests/linux's recipes, in the same launch: Debian 12
# (links into /usr, dpkg) and, where rpm's tools are there, RHEL 8 with
# separate /boot and /usr volumes and a Berkeley DB rpm database.  Both
# backends' reports of them are checked and compared below.
PATH=$PATH:/sbin:/usr/sbin
export HVOFFLINE RPMDB="$T_TMP/rpmdb"
linux=linux-debian
"$HVO_TOP_SRCDIR/tests/linux/mklinux.sh" hyperv "$T_TMP/linux-debian.vhdx" 2>/dev/null ||
    t_fail "mklinux.sh hyperv"
if ! command -v rpmbuild >/dev/null || ! command -v db_load >/dev/null; then
    echo "note: rpm or db-util missing: the RHEL 8 image is left out" >&2
elif sh "$HVO_TOP_SRCDIR/tests/linux/mkrpmdb.sh" "$RPMDB" >"$T_TMP/rhel8.log" 2>&1 &&
    "$HVO_TOP_SRCDIR/tests/linux/mklinux.sh" rhel8 "$T_TMP/linux-rhel8.vhdx" 2>>"$T_TMP/rhel8.log"; then
    linux="$linux linux-rhel8"
else
    t_fail "building the RHEL 8 image: $(tail -5 "$T_TMP/rhel8.log")"
fi
nlinux=$(echo $linux | wc -w)

names="win7-x86 ws2012-x64 hibernated bitlocker dirty-logs dirty-nologs nowindows winxp-x86 corrupt-gpt"

# The second run's source: the real packages in a directory.
mkdir "$T_TMP/ic"
cp "$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab" "$fx/ic/Windows6.x-HyperVIntegrationServices-x86.cab" "$T_TMP/ic/"
# And the parent of a checkpoint: a copy of nowindows.vhdx with two
# checkpoints made by hvoffline vhdx create --parent.
mkdir "$T_TMP/vm"
cp "$img/nowindows.vhdx" "$T_TMP/vm/base.vhdx"
"$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base.vhdx" "$T_TMP/vm/base_1.avhdx" 2>/dev/null
"$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base_1.avhdx" "$T_TMP/vm/base_2.avhdx" 2>/dev/null

# image NAME FILTER DESCRIPTION: checks one image's report.
image() {
    expect_json ".images[] | select(.image | endswith(\"/$1.vhdx\")) | $2" "$1: $3"
}

# iso_run IMAGE...: inspect with the ISO source on backend $B (its tree
# as a directory natively).
iso_run() {
    src=$T_TMP/vmguest.iso kind=iso d64=support/amd64 d86=support/x86
    [ "$B" = appliance ] || src=$T_TMP/ic kind=directory d64=ic d86=ic
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json --log "$T_TMP/log-$B" inspect \
        --source "$src" "$@"
    cp "$T_TMP/out" "$T_TMP/report-$B.json"
    expect_rc 5 "the highest image verdict (a corrupt image is present)"
    expect_json '.command == "inspect" and .exit_code == 5' "report header"
    expect_json ".images | length == $((10 + nlinux))" "one report per image"

    # ---- one launch (none natively) ----
    launches=0
    [ "$B" = native ] || launches=1
    expect_json ".appliance.launches == $launches" "$launches appliance launch(es) for $((10 + nlinux)) images and an ISO"
    expect_eq "$(grep -c 'appliance launch #[0-9]* done' "$T_TMP/log-$B")" $launches \
        "the log has exactly $launches launch-done record(s)"
    expect_json ".source.kind == \"$kind\" and (.source.cabinets | length == 2)" \
        "both cabinets are read from the $kind (in the same launch)"
    expect_json "[.source.cabinets[] | test(\"($d64|$d86)/Windows6\\\\.[2x]-HyperVIntegrationServices-x(64|86)\\\\.cab\$\")] | all" \
        "the cabinets come from $d64 and $d86"

    # ---- nothing was written ----
    expect_unchanged "every image file is byte-identical after inspect"

    # ---- Windows 7 SP1 x86, MBR, System Reserved first (win7-x86.disk,
    #      reg/win7-x86-*.reg, pe.list) ----
    image win7-x86 '.status == "ok" and .exit_code == 0 and .file.format == "vhdx"' "safe"
    image win7-x86 '.disk.partition_table == "mbr" and .disk.generation == 1 and .disk.esp_partition == null' \
        "MBR: generation 1, no ESP"
    image win7-x86 '[.disk.volumes[] | [.partition, .filesystem, .label, .windows]] == [[1, "ntfs", "SystemReserved", false], [2, "ntfs", "Win7", true]]' \
        "Windows found on volume 2, not the first volume"
    image win7-x86 '.windows | .partition == 2 and .systemroot == "Windows" and .product_name == "Windows 7 Ultimate" and .edition_id == "Ultimate" and .installation_type == "Client"' \
        "product, edition, installation type"
    image win7-x86 '.windows | .version == "6.1" and .major == 6 and .minor == 1 and .build == 7601 and .service_pack == "Service Pack 1"' \
        "NT 6.1 build 7601 SP1"
    image win7-x86 '.windows | .arch == "x86" and .arch_source == "ntoskrnl.exe"' "x86 from ntoskrnl.exe"
    image win7-x86 '.windows | .current_control_set == 1 and .control_set == "ControlSet001"' "control set 1"
    image win7-x86 '.integration_services | .vmbus_sys.file_version == "6.2.9200.16433" and .registry_version == "6.2.9200.16433" and .vmbus_service_start == 0' \
        "old vmbus.sys and IntegrationServicesVersion"
    image win7-x86 '.integration_services.packages == [{"name": "Microsoft-Hyper-V-Integration-Services-Package", "arch": "x86", "version": "6.2.9200.16433", "servicing": true, "cbs": true, "cbs_state": 112}]' \
        "the installed IC package, from servicing\\Packages and CBS"
    image win7-x86 '.integration_services.installed_packages == 3' "all installed packages counted"
    image win7-x86 '.safety.safe and .safety.hiberfil == null and .safety.hives.SOFTWARE.dirty == false and .safety.hives.SYSTEM.dirty == false and .problems == []' \
        "no problems"

    # ---- Windows Server 2012 x64, GPT + ESP + MSR (ws2012-x64.disk) ----
    image ws2012-x64 '.status == "ok" and .disk.partition_table == "gpt" and .disk.generation == 2 and .disk.esp_partition == 1' \
        "GPT with an ESP: generation 2"
    image ws2012-x64 '[.disk.volumes[] | [.partition, .filesystem, .esp, .gpt_type]] == [[1, "vfat", true, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"], [2, null, false, "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"], [3, "ntfs", false, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"]]' \
        "ESP, MSR and basic data partitions"
    image ws2012-x64 '.windows | .partition == 3 and .product_name == "Windows Server 2012 Standard" and .edition_id == "ServerStandard" and .installation_type == "Server" and .version == "6.2" and .build == 9200 and .service_pack == null' \
        "Server 2012 Standard, NT 6.2 build 9200"
    image ws2012-x64 '.windows | .arch == "amd64" and .current_control_set == 2 and .control_set == "ControlSet002"' \
        "amd64, control set 2"
    image ws2012-x64 '.integration_services | .vmbus_sys.file_version == "6.2.9200.16384" and .registry_version == "6.2.9200.16384" and .packages == [] and .installed_packages == 2 and .vmbus_service_start == 0' \
        "inbox vmbus 6.2.9200.16384 (ControlSet002's service: boot start)"
    image ws2012-x64 '.safety.hiberfil == {"signature": "....", "state": "none"} and .safety.safe' \
        "a zeroed hiberfil.sys is safe"

    # ---- unsafe images ----
    image hibernated '.status == "unsafe" and .exit_code == 4 and .safety.hiberfil.signature == "HIBR" and .safety.hiberfil.state == "hibernated"' \
        "hibernated: unsafe, signature HIBR"
    image hibernated '[.problems[].code] == ["hibernated", "read-only"]' \
        "hibernated: our signature check and ntfs-3g's read-write probe agree"
    image hibernated '.disk.volumes[2].read_write_probe.code == 14 and .windows.arch == "amd64"' \
        "hibernated: still inspected read-only"
    image bitlocker '.status == "unsafe" and .exit_code == 4 and .windows == null' "BitLocker: unsafe"
    image bitlocker '.disk.volumes[1] | .bitlocker and .filesystem == "BitLocker" and .mounted == false' \
        "BitLocker: the volume is recognised and not mounted"
    image bitlocker '[.problems[].code] == ["bitlocker", "no-windows"]' "BitLocker: reported"
    image dirty-nologs '.status == "unsafe" and .exit_code == 4' "dirty hive without logs: unsafe"
    image dirty-nologs '.safety.hives.SYSTEM | .dirty and .sequence1 == 205 and .sequence2 == 204 and .log1 == false and .log2 == false' \
        "dirty-nologs: SYSTEM_2's sequence numbers (PROVENANCE: 205/204), no logs"
    image dirty-nologs '[.problems[].code] == ["hive-dirty-no-logs"]' "dirty-nologs: the reason"
    image dirty-nologs '.windows | .product_name == "Windows 8.1 Pro" and .major == 6 and .minor == 3 and .build == 9600' \
        "dirty-nologs: Windows 8.1"
    image dirty-logs '.safety.hives.SYSTEM | .dirty and .sequence1 == 1622 and .sequence2 == 1621 and .log1 and .log2' \
        "dirty-logs: SYSTEM_B's sequence numbers (PROVENANCE: 1622/1621), both logs"
    image dirty-logs '.status == "ok" and .exit_code == 0 and .safety.safe and .safety.hives.SYSTEM.logs_usable' \
        "dirty hive with valid logs: safe (recovered before any change)"
    image dirty-logs '[.problems[].code] == ["hive-dirty-recoverable"]' \
        "dirty-logs: said, as a note"
    image dirty-logs '.windows | .product_name == "Windows 10 Pro" and .major == 10 and .minor == 0 and .build == 16299 and .arch == "amd64"' \
        "dirty-logs: Windows 10 1709 (major.minor from CurrentMajor/MinorVersionNumber)"
    image dirty-logs '.integration_services.vmbus_sys.file_version == "10.0.16299.15"' "dirty-logs: vmbus.sys"
    image dirty-logs '.disk.volumes[1] | .recovery and .mbr_type == "0x27" and .filesystem == "ntfs" and .mounted == false and .read_write_probe == null' \
        "dirty-logs: the recovery partition is known by its type and neither probed nor mounted"
    image dirty-logs '(.disk.volumes[0].recovery | not) and .windows.partition == 1' \
        "dirty-logs: its decoy Windows folder is not a second installation"

    # Select\Current of the real hives, read by an independent tool.
    for pair in dirty-logs:SYSTEM_B dirty-nologs:SYSTEM_2; do
        n=${pair%%:*} h=${pair#*:}
        xz -dc "$fx/hive/regipy/$h.xz" >"$T_TMP/$h"
        cur=$(printf 'cd Select\nlsval Current\n' | hivexsh "$T_TMP/$h")
        rm -f "$T_TMP/$h"
        image "$n" ".windows.current_control_set == ${cur:-null}" \
            "current control set = hivexsh's Select\\Current ($cur)"
    done

    # ---- corrupt ----
    image corrupt-gpt '.status == "corrupt" and .exit_code == 5 and .disk.partition_table == "other" and .disk.volumes == [] and .windows == null' \
        "damaged GPT headers: corrupt (5), nothing mounted"
    image corrupt-gpt '[.problems[].code] == ["partition-table-corrupt"] and (.problems[0].message | test("CRC32"))' \
        "damaged GPT: the reason names the CRC"

    # ---- no Windows ----
    image nowindows '.status == "no-windows" and .exit_code == 0 and .windows == null and .integration_services == null' \
        "a data disk: no Windows"
    image nowindows '.problems[0].code == "no-windows" and (.problems[0].message | test("no Windows installation was found"))' \
        "no Windows: said clearly"
    expect_json '.images[] | select(.image | endswith("iotest-dynamic-1G.vhdx")) | .status == "no-windows" and .disk.partition_table == "none" and .windows == null and (.problems[0].message | test("no Windows installation was found"))' \
        "the real Hyper-V image (no filesystem): no Windows found"
    expect_grep "$T_TMP/log-$B" "iotest-dynamic-1G.vhdx: no Windows installation was found" \
        "the log says so too"

    # ---- Windows XP (NT 5.1) ----
    image winxp-x86 '.status == "ok" and .windows.systemroot == "WINDOWS" and .windows.product_name == "Microsoft Windows XP" and .windows.version == "5.1" and .windows.build == 2600 and .windows.service_pack == "Service Pack 3"' \
        "XP: found in WINDOWS\\system32\\config (lower-case hives)"
    image winxp-x86 '.windows.arch == "x86" and .windows.arch_source == "cmd.exe" and .windows.current_control_set == 3' \
        "XP: x86 from cmd.exe, control set 3"
    image winxp-x86 '.integration_services.vmbus_sys == null and .integration_services.packages == [] and .integration_services.installed_packages == 0' \
        "XP: no integration services, no CBS"

    # ---- Linux guests ----
    image linux-debian '.status == "no-windows" and .exit_code == 0 and .linux.distribution.id == "debian" and .linux.package.installed and ([.linux.kernels[].hyperv] == [false, true])' \
        "Debian: modules, daemons and dpkg read"
    if [ "$nlinux" -gt 1 ]; then
        image linux-rhel8 '[.linux.mounts[] | select(.read) | .mountpoint] == ["/boot", "/usr"] and .linux.kernels[0].vmlinuz and .linux.package.database == "/var/lib/rpm/Packages" and .linux.package.version == "1:6.1.0-3.el9"' \
            "RHEL 8: /boot and /usr followed, the Berkeley DB read"
    fi

    # ---- which package applies (the cabinets read from the ISO) ----
    image win7-x86 ".packages | .applicable | endswith(\"$d86/Windows6.x-HyperVIntegrationServices-x86.cab\")" \
        "ISO source: the 6.x x86 package applies to Windows 7 x86"
    image ws2012-x64 ".packages | .applicable | endswith(\"$d64/Windows6.2-HyperVIntegrationServices-x64.cab\")" \
        "ISO source: the 6.2 x64 package applies to Server 2012 x64"
    image winxp-x86 '.packages.applicable == null' "ISO source: none applies to XP"
}

# dir_run IMAGE...: inspect with the directory source on backend $B.
dir_run() {
    HVOFFLINE_BACKEND=$B run "$HVOFFLINE" --json inspect --source "$T_TMP/ic" "$@"
    cp "$T_TMP/out" "$T_TMP/report2-$B.json"
    expect_rc 4 "hibernated, BitLocker and dirty-without-logs images: exit 4"
    expect_unchanged "every image unchanged after the second run"
    expect_json ".source.kind == \"directory\" and (.source.cabinets | length == 2) and .appliance.launches == $launches" \
        "the directory's two cabinets, $launches launch(es)"
    expect_json '[.images[] | [(.image | sub(".*/"; "")), .exit_code]] == [["win7-x86.vhdx", 0], ["ws2012-x64.vhdx", 0], ["winxp-x86.vhdx", 0], ["hibernated.vhdx", 4], ["bitlocker.vhdx", 4], ["dirty-nologs.vhdx", 4], ["base.vhdx", 4], ["base_2.avhdx", 0]]' \
        "each image's own exit code"
    expect_json '.images[6] | [.problems[].code] == ["parent-of-differencing-disk", "no-windows"] and (.problems[0].message | test("service .*/vm/base_2.avhdx instead"))' \
        "the parent of a checkpoint chain: refused (4), naming the newest checkpoint"
    expect_json '.images[7] | .status == "no-windows" and .file.format == "vhdx" and (.problems | map(.code) | index("differencing-disk") == null) and .disk.partition_table != null' \
        "the newest checkpoint (base_2.avhdx) is opened through its chain and inspected (no Windows, as its base)"
    image win7-x86 '.packages | .name == "Microsoft-Hyper-V-Integration-Services-Package" and .version == "6.3.9600.19456" and (.applicable | endswith("/Windows6.x-HyperVIntegrationServices-x86.cab"))' \
        "Windows 7 x86: the 6.x x86 package applies"
    image win7-x86 '.packages.candidates[] | select(.arch == "x86") | .applies and .parent == "Microsoft-Windows-Foundation-Package 6.1.7601.17514 (x86)"' \
        "Windows 7 x86: because its Foundation parent is installed"
    image win7-x86 '.packages.candidates[] | select(.arch == "amd64") | .applies == false and .verdict == "architecture"' \
        "Windows 7 x86: not the x64 package (architecture)"
    image win7-x86 '.packages | .installed_version == "6.2.9200.16433" and .installed_from == "vmbus.sys" and .up_to_date == false' \
        "Windows 7 x86: installed 6.2.9200.16433 < 6.3.9600.19456"
    image ws2012-x64 '.packages | .name == "Microsoft-Hyper-V-Integration-Services-Package-2" and (.applicable | endswith("/Windows6.2-HyperVIntegrationServices-x64.cab"))' \
        "Server 2012 x64: the 6.2 x64 package applies"
    image ws2012-x64 '.packages.candidates[] | select(.arch == "amd64") | .parent == "Microsoft-Hyper-V-Guest-Integration-Drivers-Package 6.2.9200.16384 (amd64)"' \
        "Server 2012 x64: because Guest-Integration-Drivers 6.2 is installed"
    image ws2012-x64 '.packages | .installed_version == "6.2.9200.16384" and .up_to_date == false' \
        "Server 2012 x64: installed 6.2.9200.16384 < 6.3.9600.19456"
    image winxp-x86 '.packages | .applicable == null and .name == null' "XP: no package applies"
    image winxp-x86 '[.packages.candidates[] | .verdict] == ["architecture", "parents"]' \
        "XP: x64 by architecture, x86 by its parents"
    image winxp-x86 '.packages.candidates[] | select(.arch == "x86") | .reason | test("no component-based servicing packages at all: NT 5.1")' \
        "XP: the reason says why"
    image bitlocker '.packages.applicable == null and (.packages.candidates | all(.verdict == "no-windows"))' \
        "BitLocker: nothing to apply to"
    expect_grep "$T_TMP/err" "hibernated.vhdx: hibernated: Windows is hibernated" \
        "stderr: hvoffline: <image>: <code>: <why>"
    expect_grep "$T_TMP/err" "bitlocker.vhdx: bitlocker: volume 2 (/dev/sd[a-z]2) is BitLocker-encrypted" \
        "stderr: BitLocker named with its volume"
    expect_grep "$T_TMP/err" "dirty-nologs.vhdx: hive-dirty-no-logs: the SYSTEM hive" \
        "stderr: the dirty hive named"
}

# Both backends, the same checks; every check's line names its backend.
for B in appliance native; do
    T_PREFIX="[$B] "
    set --
    for n in $names; do set -- "$@" "$img/$n.vhdx"; done
    set -- "$@" "$T_TMP/iotest-dynamic-1G.vhdx"
    for n in $linux; do set -- "$@" "$T_TMP/$n.vhdx"; done
    snapshot "$@" "$T_TMP/vmguest.iso"
    iso_run "$@"
    set -- "$img/win7-x86.vhdx" "$img/ws2012-x64.vhdx" "$img/winxp-x86.vhdx" \
        "$img/hibernated.vhdx" "$img/bitlocker.vhdx" "$img/dirty-nologs.vhdx" \
        "$T_TMP/vm/base.vhdx" "$T_TMP/vm/base_2.avhdx"
    snapshot "$@" "$T_TMP/vm/base_1.avhdx"
    dir_run "$@"
done
T_PREFIX=

# ---- both backends, the same facts ----
# Each image's whole report on the appliance equals the native one, once
# device names (each native child sees its disk as sda) and the folders of
# paths (the ISO or the directory of the cabinets) are left out; the
# packages' summary is capped in length, so its cut moves with the folder
# names, and is left out too.
same='[.images[] | del(.packages.summary) | walk(if type == "string" then gsub("/dev/sd[a-z]+"; "/dev/sdX") | gsub("[^ ;(]*/"; "") else . end)]'
for r in report report2; do
    jq -S "$same" "$T_TMP/$r-appliance.json" >"$T_TMP/$r-a.json"
    jq -S "$same" "$T_TMP/$r-native.json" >"$T_TMP/$r-n.json"
    n=$(jq length "$T_TMP/$r-n.json")
    T_COUNT=$((T_COUNT + 1))
    if [ "$n" -ge 8 ] && cmp -s "$T_TMP/$r-a.json" "$T_TMP/$r-n.json"; then
        t_pass "$r: the same report of all $n images on both backends"
    else
        t_fail "$r: the backends' reports differ (appliance < > native):"
        diff "$T_TMP/$r-a.json" "$T_TMP/$r-n.json" | head -40 | sed 's/^/  | /' >&2
    fi
done

t_finish
