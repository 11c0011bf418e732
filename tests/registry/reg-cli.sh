#!/bin/sh
# hvoffline reg: exit codes, JSON, and what each command leaves on disk.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)/hive
R="$HVOFFLINE reg"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# A writable copy of a fixture: copy SRC NAME
copy() { mkdir -p "$(dirname "$T_TMP/$2")" && cp "$1" "$T_TMP/$2" && chmod u+w "$T_TMP/$2"; }

# ---- check ----
copy "$fx/hivex/minimal" SOFTWARE
run $R check --json "$T_TMP/SOFTWARE"
expect_rc 0 "check: clean hive"
expect_json '.state == "clean" and .writable and .version == "1.5" and .keys == 1' \
    "check --json: clean, writable, version, keys"

mkdir -p "$T_TMP/nd1"
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive" "$T_TMP/nd1/HIVE"
# NTFS names are case-insensitive: logs are found whatever their case.
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive.LOG1" "$T_TMP/nd1/hive.log1"
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive.LOG2" "$T_TMP/nd1/Hive.Log2"
chmod u+w "$T_TMP"/nd1/*
run $R check --json "$T_TMP/nd1/HIVE"
expect_rc 0 "check: dirty hive whose logs recover it"
expect_json '.state == "dirty-recoverable" and (.writable | not) and .recovery.applied == 4 and .recovery.last_sequence == 5 and (.logs | length) == 2' \
    "check --json: recovery plan of NewDirtyHive1"

run $R check "$fx/yarp/BadLogHive1/BadLogHive"
expect_rc 4 "check: dirty hive with a corrupt log"
expect_grep "$T_TMP/err" "no usable transaction log" "check: says why"
run $R check --json "$fx/yarp/BadLogHive3/BadLogHive"
expect_rc 4 "check: dirty hive with corrupt new-format logs"
expect_json '.state == "dirty-no-logs" and ([.logs[].format] | all(. == "invalid"))' \
    "check --json: both logs invalid"
run $R check "$fx/yarp/TruncatedDirtyHive"
expect_rc 5 "check: truncated hive"
expect_grep "$T_TMP/err" "^hvoffline: .*TruncatedDirtyHive: .*truncated" \
    "check: diagnostic names the file and the problem"
run $R check "$fx/hivex/README"
expect_rc 5 "check: not a hive"
run $R check --json "$fx/yarp/NewDirtyHive1/NewDirtyHive.LOG1"
expect_rc 5 "check: a log is not a hive"

# ---- writes on a dirty hive ----
before=$(sha "$T_TMP/nd1/HIVE")
run $R set "$T_TMP/nd1/HIVE" Key3 v dword 1
expect_rc 4 "set: a dirty hive is refused without --recover"
expect_grep "$T_TMP/err" "recover" "set: points to --recover"
expect_eq "$(sha "$T_TMP/nd1/HIVE")" "$before" "set: refused hive untouched"

cp -r "$T_TMP/nd1" "$T_TMP/nd1b"
run $R recover "$T_TMP/nd1/HIVE" -o "$T_TMP/nd1/OUT"
expect_rc 0 "recover -o"
expect_eq "$(sha "$T_TMP/nd1/HIVE")" "$before" "recover -o: original untouched"
expect_eq "$(cmp -i 4096 "$T_TMP/nd1/OUT" "$fx/yarp/NewDirtyHive1/RecoveredHive_Windows10" && echo same)" \
    same "recover -o: same bytes as Windows 10's recovery"
run $R check --json "$T_TMP/nd1/OUT"
expect_json '.state == "clean" and .sequence1 == 6 and .sequence2 == 6' \
    "recover -o: result is clean, sequence 6"

run $R --json recover --in-place "$T_TMP/nd1b/HIVE"
expect_rc 0 "recover --in-place"
expect_json '.status == "recovered" and .logs_emptied and .result_sequence == 6' \
    "recover --in-place --json"
expect_eq "$(stat -c %s "$T_TMP/nd1b/hive.log1")$(stat -c %s "$T_TMP/nd1b/Hive.Log2")" \
    00 "recover --in-place: replayed logs emptied"
run $R check --json "$T_TMP/nd1b/HIVE"
expect_json '.state == "clean"' "recover --in-place: hive now clean"
run $R recover --in-place "$T_TMP/nd1b/HIVE"
expect_rc 0 "recover: a clean hive is left alone"
expect_grep "$T_TMP/out" "nothing to recover" "recover: says so"

mkdir -p "$T_TMP/nd2"
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive" "$T_TMP/nd2/HIVE"
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive.LOG1" "$T_TMP/nd2/HIVE.LOG1"
cp "$fx/yarp/NewDirtyHive1/NewDirtyHive.LOG2" "$T_TMP/nd2/HIVE.LOG2"
chmod u+w "$T_TMP"/nd2/*
run $R set --recover "$T_TMP/nd2/HIVE" 'Key3\New' v sz hello
expect_rc 0 "set --recover: recovered, edited, written back"
expect_eq "$(stat -c %s "$T_TMP/nd2/HIVE.LOG1")" 0 "set --recover: logs emptied"
run $R get --json "$T_TMP/nd2/HIVE" 'key3\new' V
expect_json '.value.data == "hello" and .value.type == "REG_SZ"' "get after set --recover"
run $R get --json "$T_TMP/nd2/HIVE" Key3
expect_json '(.subkeys | sort) == ["Key3_1","Key3_2","Key3_3","New"]' \
    "get KEY: the recovered subkeys are there"

mkdir -p "$T_TMP/bad3"
for f in BadLogHive BadLogHive.LOG1 BadLogHive.LOG2; do
    cp "$fx/yarp/BadLogHive3/$f" "$T_TMP/bad3/$f"
done
chmod u+w "$T_TMP"/bad3/*
run $R recover -o "$T_TMP/bad3/OUT" "$T_TMP/bad3/BadLogHive"
expect_rc 4 "recover: corrupt logs refused"
expect_eq "$(test -e "$T_TMP/bad3/OUT" && echo yes || echo no)" no "recover: nothing written"
run $R set --recover "$T_TMP/bad3/BadLogHive" A v dword 1
expect_rc 4 "set --recover: corrupt logs refused"

# ---- every type, read back ----
H="$T_TMP/SOFTWARE"
run $R set "$H" 'HKLM\SOFTWARE\Microsoft\Virtual Machine\Auto' IntegrationServicesVersion sz 6.3.9600.18692
expect_rc 0 "set sz with a machine path (missing parents created)"
run $R set "$H" T Exp expand_sz '%SystemRoot%\x'
run $R set "$H" T Multi multi_sz a bb ccc
run $R set "$H" T Dw dword 0x20
run $R set "$H" T Qw qword 18446744073709551615
run $R set "$H" T Bin binary 01,02,ff
run $R set "$H" T None none
run $R set "$H" T @ sz default
expect_rc 0 "set: every type"
run $R get --json "$H" 'microsoft\virtual machine\auto' integrationservicesversion
expect_json '.value.name == "IntegrationServicesVersion" and .value.data == "6.3.9600.18692" and .value.size == 30' \
    "get --json: case-insensitive, stored spelling, UTF-16 size"
run $R get --json "$H" T
expect_json '[.values[] | {(.name): (.data // .hex)}] | add == {"Exp":"%SystemRoot%\\x","Multi":["a","bb","ccc"],"Dw":32,"Qw":18446744073709551615,"Bin":"0102ff","None":"","":"default"}' \
    "get --json KEY: every value decoded"
run hivexsh "$H" <<EOF
cd T
lsval
EOF
expect_grep "$T_TMP/out" '"Qw"=hex(11):ff,ff,ff,ff,ff,ff,ff,ff' "hivexsh reads the qword"
expect_grep "$T_TMP/out" '"Dw"=dword:00000020' "hivexsh reads the dword"

run $R set "$H" T Dw dword 4294967296
expect_rc 2 "set: dword out of range is a usage error"
run $R set "$H" T X bogus 1
expect_rc 2 "set: unknown type"
run $R set "$H" T X binary zz
expect_rc 2 "set: bad hex"
run $R set "$H" T X
expect_rc 2 "set: VALUE without TYPE"

# ---- delete ----
run $R delete "$H" T Bin
expect_rc 0 "delete VALUE"
run $R delete "$H" T Bin
expect_rc 1 "delete: a missing value is an error"
expect_grep "$T_TMP/err" "not found" "delete: says not found"
run $R delete --json "$H" T
expect_rc 0 "delete KEY"
run $R get "$H" T
expect_rc 1 "get: deleted key not found"
run $R delete "$H" ''
expect_rc 2 "delete: the root cannot be deleted"

# ---- import / export ----
# The default prefix is HKEY_LOCAL_MACHINE\<file name>.
copy "$fx/hivex/minimal" s2/SOFTWARE
run $R import --json "$T_TMP/s2/SOFTWARE" "$fx/libguestfs/windows-software.reg"
expect_rc 0 "import: libguestfs' recipe"
expect_json '.operations > 10' "import --json: operations counted"
run $R get "$T_TMP/s2/SOFTWARE" 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion' ProductName
expect_grep "$T_TMP/out" "Microsoft Windows 7 Phony Edition" "import: value readable"
before=$(sha "$T_TMP/s2/SOFTWARE")
printf 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\n"v"=dword:1\n"w"=hex:zz\n' >"$T_TMP/bad.reg"
run $R import "$T_TMP/s2/SOFTWARE" "$T_TMP/bad.reg"
expect_rc 5 "import: syntax error"
expect_grep "$T_TMP/err" "bad.reg: line 5:" "import: names the line"
expect_eq "$(sha "$T_TMP/s2/SOFTWARE")" "$before" "import: syntax error leaves the hive untouched"

run $R export -o "$T_TMP/out.reg" "$T_TMP/s2/SOFTWARE"
expect_rc 0 "export -o"
expect_eq "$(head -c 2 "$T_TMP/out.reg" | od -An -tx1 | tr -d ' ')" fffe \
    "export: UTF-16LE with BOM, as regedit writes"
run $R export --utf8 --prefix 'HKLM\SOFTWARE' "$T_TMP/s2/SOFTWARE" 'Microsoft'
expect_grep "$T_TMP/out" '^\[HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\]$' \
    "export --utf8 --prefix KEY"
run $R export --json "$T_TMP/s2/SOFTWARE"
expect_json '[.keys[] | select(.key == "Microsoft\\Windows NT\\CurrentVersion") | .values[] | select(.name == "CurrentVersion") | .data] == ["6.1"]' \
    "export --json"
# Our export, merged by hivexregedit into a fresh hive, exports the same.
$R export --utf8 "$T_TMP/s2/SOFTWARE" >"$T_TMP/utf8.reg"
copy "$fx/hivex/minimal" s3/SOFTWARE
run hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$T_TMP/s3/SOFTWARE" "$T_TMP/utf8.reg"
expect_rc 0 "hivexregedit --merge reads our export"
$R export --utf8 "$T_TMP/s3/SOFTWARE" >"$T_TMP/utf8-again.reg"
expect_eq "$(cmp "$T_TMP/utf8.reg" "$T_TMP/utf8-again.reg" && echo same)" same \
    "export after hivexregedit --merge is identical"
run $R export "$T_TMP/s2/SOFTWARE" nosuchkey
expect_rc 1 "export: missing key"

# ---- CurrentControlSet on the real Windows 7 SYSTEM hive ----
xz -dc "$fx/regipy/SYSTEM.xz" >"$T_TMP/SYSTEM"
run $R get --json "$T_TMP/SYSTEM" 'HKLM\SYSTEM\CurrentControlSet\Services\vmbus' Start
expect_json '.key == "ControlSet001\\Services\\vmbus" and .value.data == 0' \
    "get: CurrentControlSet maps to ControlSet001"

# ---- dirty without logs (Windows 8.1 SYSTEM) ----
xz -dc "$fx/regipy/SYSTEM_2.xz" >"$T_TMP/SYSTEM_2"
run $R get "$T_TMP/SYSTEM_2" 'ControlSet001\Services\vmickvpexchange' Start
expect_rc 0 "get: a dirty hive without logs is readable"
expect_grep "$T_TMP/err" "warning: .*recent changes may be missing" "get: warns it may be stale"
before=$(sha "$T_TMP/SYSTEM_2")
run $R set --recover "$T_TMP/SYSTEM_2" 'ControlSet001\Services\vmbus' Start dword 3
expect_rc 4 "set: dirty without logs refused, even with --recover"
expect_eq "$(sha "$T_TMP/SYSTEM_2")" "$before" "set: SYSTEM_2 untouched"

# ---- usage ----
run $R check
expect_rc 2 "check without HIVE"
run $R recover "$H"
expect_rc 2 "recover needs -o or --in-place"
run $R recover -o x --in-place "$H"
expect_rc 2 "recover: -o and --in-place together"
run $R get --recover "$H" T
expect_rc 2 "get: --recover does not apply"
run $R frob "$H"
expect_rc 2 "unknown reg command"
run $R set --help
expect_rc 0 "set --help"
expect_grep "$T_TMP/out" "^Usage: hvoffline reg set" "set --help: usage"
expect_grep "$T_TMP/out" "txlog1" "set --help: log options"

t_finish
