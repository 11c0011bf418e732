#!/bin/sh
# Crash safety of write-back: a writer committing to the real Windows 7
# SYSTEM hive in a loop is killed with SIGKILL at random points, 60 times.
# After every kill the hive must be clean for our check, open in hivexsh
# (an independent reader), hold a Counter and a Blob written by the same
# commit, and its ControlSet001\Services subtree must export (hivexregedit)
# exactly as before.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)/hive
writer="$HVO_TOP_BUILDDIR/tests/registry/crash_writer"
hive="$T_TMP/SYSTEM"
xz -dc "$fx/regipy/SYSTEM.xz" >"$hive"
services() { hivexregedit --export "$hive" 'ControlSet001\Services' | sha256sum; }
baseline=$(services)

TRIALS=${HVO_CRASH_TRIALS:-60}
trial=0
bad=0
stale=0
while [ "$trial" -lt "$TRIALS" ]; do
    trial=$((trial + 1))
    # A delay of 0-1.5 s: before the first commit, or in any phase of a
    # later one (libhivex image, fix-ups, temp file write, fsync, read
    # back, rename).
    ms=$(($(od -An -N2 -tu2 /dev/urandom) % 1500))
    "$writer" "$hive" >"$T_TMP/progress" 2>"$T_TMP/writer.err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -s "$T_TMP/writer.err" ]; then
        t_fail "trial $trial: the writer failed: $(cat "$T_TMP/writer.err")"
        bad=$((bad + 1))
        continue
    fi
    last=$(tail -n 1 "$T_TMP/progress")

    run "$HVOFFLINE" reg check --json "$hive"
    if [ "$T_RC" -ne 0 ] || ! jq -e '.state == "clean"' "$T_TMP/out" >/dev/null; then
        t_fail "trial $trial (${ms} ms): hive not clean after the kill"
        cat "$T_TMP/err" >&2
        bad=$((bad + 1))
        continue
    fi
    # hivexsh opens it; Counter and Blob come from one commit.
    printf 'cd Crash\nlsval\n' | hivexsh "$hive" >"$T_TMP/crash" 2>&1
    counter=$(sed -n 's/^"Counter"=dword:\([0-9a-f]*\)$/\1/p' "$T_TMP/crash")
    if [ -n "$counter" ]; then
        n=$(printf '%d' "0x$counter")
        byte=$(printf '%02x' $((n % 256)))
        blob=$(sed -n 's/^"Blob"=hex(3)://p' "$T_TMP/crash" | tr ',' '\n' | sort | uniq -c |
            awk '{print $1 ":" $2}')
        if [ "$blob" != "30000:$byte" ]; then
            t_fail "trial $trial: Counter $n with a Blob of another commit ($blob)"
            bad=$((bad + 1))
        fi
        # The last reported commit is there, or the next one completed.
        if [ -n "$last" ] && [ "$n" -ne "$last" ] && [ "$n" -ne $((last + 1)) ]; then
            t_fail "trial $trial: Counter $n, last reported commit $last"
            bad=$((bad + 1))
        fi
    elif [ -n "$last" ]; then
        t_fail "trial $trial: commit $last reported, Counter missing"
        bad=$((bad + 1))
    fi
    if [ "$(services)" != "$baseline" ]; then
        t_fail "trial $trial: ControlSet001\\Services changed"
        bad=$((bad + 1))
    fi
    # A kill before the rename leaves the temporary file: never the hive.
    for f in "$T_TMP"/.SYSTEM.hvo-*; do
        [ -e "$f" ] || continue
        stale=$((stale + 1))
        rm -f "$f"
    done
done

T_COUNT=$((T_COUNT + 1))
final=$(sed -n 's/^"Counter"=dword:\([0-9a-f]*\)$/\1/p' "$T_TMP/crash")
echo "crash-safety: $TRIALS kills, $bad problems, $stale temporary files left by kills, $((0x${final:-0})) commits in total"
if [ "$bad" -eq 0 ] && [ "$TRIALS" -ge 50 ]; then
    t_pass "$TRIALS kills during write-back, hive always intact"
else
    t_fail "$bad problems in $TRIALS kills"
fi
t_finish
