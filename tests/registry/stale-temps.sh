#!/bin/sh
# Issue 19: every host-side writer removes the temporary files that killed
# writers of its target left (".<name>.hvo-<pid>-XXXXXX", util/tmpname.h)
# and says so: a hive write-back (reg set, reg compact), an output file
# (reg export -o), vhdx write, cab extract.  A temporary whose writer is
# alive and holds its lock is never removed.  The stale files are made by
# hand with the pid of a process that has ended.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
dead=$(sh -c 'echo $$')
# stale DIR NAME: a dead writer's temporary for DIR/NAME, an hour old.
stale() {
    printf 'left by a killed writer\n' >"$1/.$2.hvo-$dead-AbCdEf"
    touch -d '2020-01-01' "$1/.$2.hvo-$dead-AbCdEf"
}
gone() { # gone DIR NAME WHAT
    T_COUNT=$((T_COUNT + 1))
    if [ -e "$1/.$2.hvo-$dead-AbCdEf" ]; then
        t_fail "$3: the stale temporary is still there"
    else
        t_pass "$3: the stale temporary is gone"
    fi
    expect_grep "$T_TMP/err" "removed .*/\\.$2\\.hvo-$dead-AbCdEf" \
        "$3: says it removed it"
}

# A hive write-back.
cp "$fx/hive/hivex/minimal" "$T_TMP/SYSTEM"
chmod u+w "$T_TMP/SYSTEM"
stale "$T_TMP" SYSTEM
run "$HVOFFLINE" reg set "$T_TMP/SYSTEM" '' A dword 1
expect_rc 0 "reg set"
gone "$T_TMP" SYSTEM "reg set (hive write-back)"
stale "$T_TMP" SYSTEM
run "$HVOFFLINE" reg compact "$T_TMP/SYSTEM"
expect_rc 0 "reg compact"
gone "$T_TMP" SYSTEM "reg compact"

# An output file.
stale "$T_TMP" out.reg
run "$HVOFFLINE" reg export -o "$T_TMP/out.reg" "$T_TMP/SYSTEM"
expect_rc 0 "reg export -o"
gone "$T_TMP" out.reg "reg export -o (output file)"

# vhdx write: a killed create's temporary beside the image.
"$HVOFFLINE" vhdx create --size 8M "$T_TMP/d.vhdx" >/dev/null
stale "$T_TMP" d.vhdx
printf 'data' >"$T_TMP/data"
run "$HVOFFLINE" vhdx write "$T_TMP/d.vhdx" "$T_TMP/data"
expect_rc 0 "vhdx write"
gone "$T_TMP" d.vhdx "vhdx write"

# cab extract: each member's temporary in its directory.
mkdir -p "$T_TMP/x/ascii/upper"
stale "$T_TMP/x/ascii/upper" ABCDEFGHIJKLMNOPQRSTUVWXYZ
run "$HVOFFLINE" cab extract -d "$T_TMP/x" "$fx/cab/cabextract/cabs/case-ascii.cab"
expect_rc 0 "cab extract"
gone "$T_TMP/x/ascii/upper" ABCDEFGHIJKLMNOPQRSTUVWXYZ "cab extract"

# A live writer's temporary (this shell's pid, locked) stays.
live="$T_TMP/.SYSTEM.hvo-$$-LiVeOn"
: >"$live"
touch -d '2020-01-01' "$live"
if command -v flock >/dev/null 2>&1; then
    flock "$live" sleep 30 &
    holder=$!
    sleep 1
    run "$HVOFFLINE" reg set "$T_TMP/SYSTEM" '' B dword 2
    expect_rc 0 "reg set beside a live writer's temporary"
    T_COUNT=$((T_COUNT + 1))
    if [ -e "$live" ]; then t_pass "a locked temporary of a live pid is kept"
    else t_fail "a live writer's temporary was removed"; fi
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
fi
rm -f "$live"
left=$(find "$T_TMP" -name '.*.hvo-*' | wc -l)
expect_eq "$left" 0 "no temporary file left"
t_finish
