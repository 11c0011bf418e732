#!/bin/sh
# Issue 19: free space.  'reg check' reports it; a write-back that would
# leave more than 25% of the hive free rewrites it compactly; 'reg compact'
# does it on demand.  hivexregedit --export (an independent reader) judges
# that the rewritten hive holds the same keys and values.  Issue 18: a hive
# file of any name takes HKEY_LOCAL_MACHINE\SYSTEM\... keys.  Issue 15: the
# value-data words of 'reg set' (reg_value_parse) are checked.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)/hive
hive="$T_TMP/SYSTEM"
cp "$fx/hivex/minimal" "$hive"
chmod u+w "$hive"
exp() { hivexregedit --export "$1" '\' | sha256sum; }

# 40 values of 16 KB each, then all deleted: ~650 KB free.
awk 'BEGIN {
    print "Windows Registry Editor Version 5.00"; print ""
    print "[HKEY_LOCAL_MACHINE\\SYSTEM\\Keep]"; print "\"K\"=dword:00000001"
    print ""; print "[HKEY_LOCAL_MACHINE\\SYSTEM\\Big]"
    for (v = 0; v < 40; v++) {
        printf "\"V%02d\"=hex:", v
        for (i = 0; i < 16000; i++) printf "%s%02x", (i ? "," : ""), (i + v) % 256
        printf "\n"
    }
}' >"$T_TMP/big.reg"
awk 'BEGIN {
    print "Windows Registry Editor Version 5.00"; print ""
    print "[HKEY_LOCAL_MACHINE\\SYSTEM\\Big]"
    for (v = 0; v < 40; v++) printf "\"V%02d\"=-\n", v
}' >"$T_TMP/del.reg"

run "$HVOFFLINE" reg import "$hive" "$T_TMP/big.reg"
expect_rc 0 "import of 40 values of 16 KB"
big_size=$(stat -c %s "$hive")
cp "$hive" "$T_TMP/before-delete"
run "$HVOFFLINE" reg import "$hive" "$T_TMP/del.reg"
expect_rc 0 "deleting them"
expect_grep "$T_TMP/err" "rewritten compactly" "the delete's write-back compacts, and says so"
small_size=$(stat -c %s "$hive")
T_COUNT=$((T_COUNT + 1))
if [ "$small_size" -lt $((big_size / 4)) ]; then
    t_pass "the hive shrank from $big_size to $small_size bytes"
else
    t_fail "the hive did not shrink: $big_size -> $small_size bytes"
fi
# What hivexregedit --merge of the same deletions gives, read by hivex.
cp "$T_TMP/before-delete" "$T_TMP/oracle"
hivexregedit --merge "$T_TMP/oracle" --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$T_TMP/del.reg"
expect_eq "$(exp "$hive")" "$(exp "$T_TMP/oracle")" \
    "hivexregedit --export: the compacted hive holds what --merge gives"
printf 'cd Keep\nlsval\n' | hivexsh "$hive" >"$T_TMP/keep" 2>&1
expect_grep "$T_TMP/keep" '"K"=dword:00000001' "hivexsh reads a kept value"

run "$HVOFFLINE" reg check --json "$T_TMP/before-delete"
expect_rc 0 "reg check --json"
expect_json '.free_bytes >= 0 and .free_percent <= 100' "check reports the free space"
run "$HVOFFLINE" reg check "$T_TMP/oracle"
expect_grep "$T_TMP/out" "^free: .*% of the hive bins" "check prints the free share"

# On demand, on the hive hivexregedit edited (it left free cells).
before=$(exp "$T_TMP/oracle")
run "$HVOFFLINE" reg compact "$T_TMP/oracle"
expect_rc 0 "reg compact"
expect_grep "$T_TMP/out" "compacted: [0-9]* -> [0-9]* bytes" "reg compact gives both sizes"
expect_eq "$(exp "$T_TMP/oracle")" "$before" "hivexregedit --export unchanged by reg compact"
run "$HVOFFLINE" reg check --json "$T_TMP/oracle"
expect_json '.state == "clean" and .free_bytes < 4096' "clean, under one bin free after reg compact"

# Every record kind through the rewrite: big data (db), an index root of
# 5000 subkeys (ri), Unicode and upcase-ordered names, names with NUL,
# values of every inline/cell size.  Same export, same counts, clean.
for f in yarp/BigDataHive yarp/ManySubkeysHive yarp/UnicodeHive \
    yarp/UpcaseHive hivex/special hivex/rlenvalue_test_hive; do
    t="$T_TMP/kinds"
    cp "$fx/$f" "$t"
    chmod u+w "$t"
    before=$(exp "$t")
    counts=$("$HVOFFLINE" reg check --json --no-txlogs "$t" | jq -c '[.keys, .values]')
    run "$HVOFFLINE" reg compact --no-txlogs "$t"
    expect_rc 0 "reg compact $f"
    expect_eq "$(exp "$t")" "$before" "$f: hivexregedit --export unchanged"
    run "$HVOFFLINE" reg check --json --no-txlogs "$t"
    expect_json ".state == \"clean\" and ([.keys, .values] | tojson) == \"$counts\"" \
        "$f: clean, same number of keys and values"
done
cp "$fx/yarp/ManySubkeysHive" "$T_TMP/many"
chmod u+w "$T_TMP/many"
"$HVOFFLINE" reg compact --no-txlogs "$T_TMP/many" >/dev/null
run "$HVOFFLINE" reg get "$T_TMP/many" 'KEY_WITH_MANY_SUBKEYS\2119\find_me'
expect_rc 0 "after the rewrite, a subkey under the index root is found (any case)"

# Issue 18: HKLM\SYSTEM keys into a hive file of any name.
any="$T_TMP/hive.dat"
cp "$fx/hivex/minimal" "$any"
chmod u+w "$any"
printf 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Foo]\n"A"=dword:00000005\n\n[HKLM\\SYSTEM\\Foo\\Bar]\n"B"="x"\n' >"$T_TMP/sys.reg"
run "$HVOFFLINE" reg import "$any" "$T_TMP/sys.reg"
expect_rc 0 "reg import of HKEY_LOCAL_MACHINE\\SYSTEM keys into hive.dat"
printf 'cd Foo\\Bar\nlsval\n' | hivexsh "$any" >"$T_TMP/bar" 2>&1
expect_grep "$T_TMP/bar" '"B"="x"' "hivexsh reads Foo\\Bar B"
run "$HVOFFLINE" reg get "$any" 'HKLM\SYSTEM\Foo' A
expect_grep "$T_TMP/out" "0x5" "reg get with the same path"
printf 'Windows Registry Editor Version 5.00\n\n[HKLM\\SYSTEM\\X]\n\n[HKLM\\SOFTWARE\\Y]\n' >"$T_TMP/two.reg"
run "$HVOFFLINE" reg import "$any" "$T_TMP/two.reg"
expect_rc 5 "keys of two hives in one file are refused"
cp "$fx/hivex/minimal" "$T_TMP/SOFTWARE"
chmod u+w "$T_TMP/SOFTWARE"
run "$HVOFFLINE" reg import "$T_TMP/SOFTWARE" "$T_TMP/sys.reg"
expect_rc 5 "a file named SOFTWARE still refuses HKLM\\SYSTEM keys"

# Value words (reg_value_parse).
run "$HVOFFLINE" reg set "$any" Foo D dword 0x1ffffffff
expect_rc 2 "a DWORD above 2^32 is a usage error"
expect_grep "$T_TMP/err" "below 2^32" "and says why"
run "$HVOFFLINE" reg set "$any" Foo H binary 01,zz
expect_rc 2 "bad hex bytes are a usage error"
run "$HVOFFLINE" reg set "$any" Foo H binary 01,02 ff
expect_rc 0 "hex bytes over two words"
run "$HVOFFLINE" reg get --json "$any" Foo H
expect_json '.value.hex == "0102ff"' "read back as 01 02 ff"
t_finish
