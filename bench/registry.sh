#!/bin/sh
# bench/registry.sh - hive growth under repeated imports (issue 19), ours
# against hivexregedit --merge, in the same run, on the same input:
#
#   a 2,000-value .reg (20 keys x 100 REG_SZ values under one new key)
#   imported three times into the real Windows 7 SYSTEM hive of the
#   fixtures (regipy SYSTEM.xz, 11,771,904 bytes).  Prints the hive size
#   after each import, each tool's wall time, and whether hivexregedit
#   --export (an independent reader) gives the same subtree for both.
#   Target: our sizes within 10% of hivexregedit's.
#
# Then `reg compact` of the hive hivexregedit grew, with the export
# compared before and after.
. "$(dirname "$0")/lib.sh"

fx=${HVO_FIXTURES:-$HVO_TOP_SRCDIR/../shared/fixtures}/hive
xz -dc "$fx/regipy/SYSTEM.xz" >"$B_TMP/SYSTEM.orig"
reg="$B_TMP/bulk.reg"
awk -v key=HvoBench -f "$HVO_TOP_SRCDIR/tests/lib/bulk-reg.awk" >"$reg"

mkdir "$B_TMP/ours" "$B_TMP/hivex"
cp "$B_TMP/SYSTEM.orig" "$B_TMP/ours/SYSTEM"
cp "$B_TMP/SYSTEM.orig" "$B_TMP/hivex/SYSTEM"
echo "start: $(stat -c %s "$B_TMP/SYSTEM.orig") bytes"
i=1
while [ "$i" -le 3 ]; do
    t1=$(b_time "$HVOFFLINE" reg import --no-txlogs "$B_TMP/ours/SYSTEM" "$reg")
    t2=$(b_time hivexregedit --merge "$B_TMP/hivex/SYSTEM" \
        --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$reg")
    o=$(stat -c %s "$B_TMP/ours/SYSTEM")
    h=$(stat -c %s "$B_TMP/hivex/SYSTEM")
    echo "import $i: ours $o bytes (${t1% *} s), hivexregedit $h bytes (${t2% *} s), ratio $(awk "BEGIN { printf \"%.3f\", $o / $h }")"
    i=$((i + 1))
done
a=$(hivexregedit --export "$B_TMP/ours/SYSTEM" HvoBench | sha256sum)
b=$(hivexregedit --export "$B_TMP/hivex/SYSTEM" HvoBench | sha256sum)
[ "$a" = "$b" ] && echo "hivexregedit --export HvoBench: identical" ||
    echo "hivexregedit --export HvoBench: DIFFERENT"

before=$(hivexregedit --export "$B_TMP/hivex/SYSTEM" '\' | sha256sum)
t=$(b_time "$HVOFFLINE" reg compact --no-txlogs "$B_TMP/hivex/SYSTEM")
after=$(hivexregedit --export "$B_TMP/hivex/SYSTEM" '\' | sha256sum)
echo "reg compact of hivexregedit's hive: $(stat -c %s "$B_TMP/hivex/SYSTEM") bytes (${t% *} s), export $([ "$before" = "$after" ] && echo unchanged || echo CHANGED)"
