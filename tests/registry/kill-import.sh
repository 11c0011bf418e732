#!/bin/sh
# Issue 19: 'reg import' killed with SIGKILL at random points, 20 times
# (HVO_KILL_TRIALS).  After every kill the hive is the old one or the new
# one as a whole (hivexregedit --export, an independent reader, equals one
# of the two), and clean for our check.  Temporary files a kill leaves
# (.SYSTEM.hvo-<pid>-XXXXXX) are removed by the next run, which says so;
# after the last, completed run none is left in the directory.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)/hive
dir="$T_TMP/config"
mkdir "$dir"
hive="$dir/SYSTEM"
cp "$fx/hivex/minimal" "$hive"
chmod u+w "$hive"
# 20 keys x 100 values: long enough to be killed in any phase.
reg="$T_TMP/bulk.reg"
awk -v key=Bulk -f "$HVO_TOP_SRCDIR/tests/lib/bulk-reg.awk" >"$reg"

export_all() { hivexregedit --export "$1" '\' | sha256sum; }
old=$(export_all "$hive")
cp "$hive" "$T_TMP/expected"
"$HVOFFLINE" reg import --prefix 'HKLM\SYSTEM' "$T_TMP/expected" "$reg" 2>/dev/null
new=$(export_all "$T_TMP/expected")
[ "$old" != "$new" ] || t_fail "the import changes nothing"

# How long one import takes here, to spread the kills over it.
start=$(date +%s%N)
cp "$hive" "$T_TMP/timing"
"$HVOFFLINE" reg import --prefix 'HKLM\SYSTEM' "$T_TMP/timing" "$reg" 2>/dev/null
span=$((($(date +%s%N) - start) / 1000000 + 1))

TRIALS=${HVO_KILL_TRIALS:-20}
trial=0
bad=0
left=0
removed=0
while [ "$trial" -lt "$TRIALS" ]; do
    trial=$((trial + 1))
    # Start from the old hive half of the time, so that kills land in
    # imports that change it.
    [ $((trial % 2)) -eq 1 ] && cp "$fx/hivex/minimal" "$hive" && chmod u+w "$hive"
    ms=$(($(od -An -N2 -tu2 /dev/urandom) % span))
    "$HVOFFLINE" reg import --prefix 'HKLM\SYSTEM' "$hive" "$reg" \
        >/dev/null 2>"$T_TMP/import.err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    removed=$((removed + $(grep -c 'temporary file of a writer' "$T_TMP/import.err")))
    now=$(export_all "$hive")
    if [ "$now" != "$old" ] && [ "$now" != "$new" ]; then
        t_fail "trial $trial (${ms} ms of ${span}): the hive is neither old nor new"
        bad=$((bad + 1))
    fi
    run "$HVOFFLINE" reg check --json "$hive"
    if [ "$T_RC" -ne 0 ] || ! jq -e '.state == "clean"' "$T_TMP/out" >/dev/null; then
        t_fail "trial $trial: hive not clean after the kill"
        bad=$((bad + 1))
    fi
    for f in "$dir"/.SYSTEM.hvo-*; do
        [ -e "$f" ] && left=$((left + 1))
    done
done
T_COUNT=$((T_COUNT + 1))
if [ "$bad" -eq 0 ]; then
    t_pass "$TRIALS kills of reg import: every hive old or new"
fi

# One completed run removes what the kills left, and says so.
stale_before=$(ls -A "$dir" | grep -c '^\.SYSTEM\.hvo-' || true)
run "$HVOFFLINE" reg import --prefix 'HKLM\SYSTEM' "$hive" "$reg"
expect_rc 0 "a complete import after the kills"
if [ "$stale_before" -gt 0 ]; then
    expect_grep "$T_TMP/err" "temporary file of a writer that was killed" \
        "the run says which temporary files it removed"
fi
T_COUNT=$((T_COUNT + 1))
if ls -A "$dir" | grep -q 'hvo-'; then
    t_fail "temporary files left: $(ls -A "$dir" | grep 'hvo-' | tr '\n' ' ')"
else
    t_pass "no temporary file left in $dir"
fi
expect_eq "$(export_all "$hive")" "$new" "the hive holds the import"
echo "kill-import: $TRIALS kills, $bad problems, temporary files seen after kills: $left, removed by later runs: $((removed + stale_before))"
t_finish
