#!/bin/sh
# Issue 16: a native `apply` killed with SIGKILL at random moments,
# HVO_KILL_TRIALS times (5 here; bench/kill-apply.sh runs 50).  Each trial
# starts from a fresh copy of the ws2012-x64 test image and kills the whole
# run (the parent and its sandboxed child, one process group) after a
# random share of the time one complete apply takes.  Afterwards:
#   - `hvoffline vhdx check` passes (exit 0, or 6 for leaked space only,
#     which a later write session reclaims);
#   - a re-run of apply completes (exit 0) and `verify` is clean;
#   - `vhdx check` and `qemu-img check` (not our code) pass on the result,
#     and the guest volume, read with ntfsls (ntfsprogs, not our code),
#     holds no staged, set-aside or temporary file (.hvo-) and no journal.
# qemu-img check runs after the re-run: qemu refuses to open an image
# whose log needs replay read-only, which a kill can leave by design (the
# next writer replays it).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
img="${HVO_IMAGES:-$HVO_TOP_BUILDDIR/tests/fixtures/images}/ws2012-x64.vhdx"
for t in qemu-img ntfsls sfdisk jq setsid; do
    command -v $t >/dev/null || { echo "SKIP: $t is missing"; exit 77; }
done
[ -f "$img" ] || { echo "FAIL: test images not built ($img)"; exit 99; }
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
export HVOFFLINE_BACKEND=native
TRIALS=${HVO_KILL_TRIALS:-5}

mkdir "$T_TMP/vm"
disk="$T_TMP/vm/disk.vhdx"

# Files under the guest's Windows volume named like our temporary files,
# or the journal, as ntfsls (not our code) lists them.
leftovers() {
    "$HVOFFLINE" vhdx read "$1" >"$T_TMP/raw" || return 1
    pt=$(sfdisk --json "$T_TMP/raw" | jq '.partitiontable.partitions | last')
    dd if="$T_TMP/raw" of="$T_TMP/vol" bs=512 skip="$(echo "$pt" | jq .start)" \
        count="$(echo "$pt" | jq .size)" status=none
    rm -f "$T_TMP/raw"
    ntfsls -R -a "$T_TMP/vol" >"$T_TMP/names" 2>&1 || { rm -f "$T_TMP/vol"; return 1; }
    rm -f "$T_TMP/vol"
    # The listing must be one: it names the driver apply installs.
    grep -q -i '^vmbus.sys$' "$T_TMP/names" || return 1
    grep -c -e 'hvo-' -e 'apply-in-progress' "$T_TMP/names" || true
}

# Waits (bounded: 60 s) until process group $1 has no live member left
# (a zombie holds no descriptor, so no lock; kill -0 would count it, and
# it lingers where nothing reaps orphans).
gone_wait() {
    n=0
    while ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; do
        n=$((n + 1))
        [ "$n" -lt 1200 ] || return 1
        sleep 0.05
    done
}

# How long one complete apply takes here, to spread the kills over it.
cp --sparse=always "$img" "$disk"
start=$(date +%s%N)
run "$HVOFFLINE" apply --source "$cab" "$disk"
span=$((($(date +%s%N) - start) / 1000000 + 1))
expect_rc 0 "a complete native apply (${span} ms)"

# Trials, failures, and what the kills left: a dirty VHDX log, leaked
# space, a journal, staged or temporary files the re-run swept.
trial=0 bad=0 dirty=0 leaked=0 journal=0 swept=0
attempts=0 changed=0
while [ "$trial" -lt "$TRIALS" ] && [ "$attempts" -lt $((TRIALS * 6)) ]; do
    attempts=$((attempts + 1))
    cp --sparse=always "$img" "$disk"
    ms=$(($(od -An -N2 -tu2 /dev/urandom) % span))
    setsid "$HVOFFLINE" apply --source "$cab" "$disk" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -9 "-$pid" 2>/dev/null || true
    st=0
    wait "$pid" 2>/dev/null || st=$?
    # `wait` reaps the parent only: its sandboxed child (same process
    # group, killed by the same signal) may still be exiting and holding
    # the image lock, and `vhdx check` would then refuse the image
    # (exit 4).  Wait until no process of the group is left.
    gone_wait "$pid" || t_fail "trial $((trial + 1)): the killed run's processes did not exit"
    # A run that ended before the kill is no trial: the machine is
    # faster now than when the span was measured; aim earlier.
    if [ "$st" -ne 137 ]; then
        span=$((span * 3 / 4 + 1))
        continue
    fi
    trial=$((trial + 1))
    # Killed before it wrote anything: aim a little later next time.
    if cmp -s "$img" "$disk"; then
        span=$((span + span / 8))
    else
        changed=$((changed + 1))
    fi
    why=
    run "$HVOFFLINE" vhdx check --json "$disk"
    case $T_RC in
    0) ;;
    6) leaked=$((leaked + 1)) ;;
    *) why="vhdx check exit $T_RC: $(head -c 300 "$T_TMP/err")" ;;
    esac
    jq -e '.log.state != "clean"' "$T_TMP/out" >/dev/null 2>&1 && dirty=$((dirty + 1))
    if [ -z "$why" ]; then
        run "$HVOFFLINE" apply --source "$cab" "$disk"
        grep -q 'earlier apply was interrupted' "$T_TMP/err" "$T_TMP/out" && journal=$((journal + 1))
        grep -q 'left in the guest by an interrupted run' "$T_TMP/err" "$T_TMP/out" && swept=$((swept + 1))
        [ "$T_RC" -eq 0 ] || why="re-run exit $T_RC: $(grep -v -e ': editing' -e ': reading' -e ': extracting' -e ': staging' -e ': switching' "$T_TMP/err" | tail -n 4 | tr '\n' ' ' | cut -c1-600)"
    fi
    if [ -z "$why" ]; then
        run "$HVOFFLINE" verify --source "$cab" "$disk"
        [ "$T_RC" -eq 0 ] || why="verify exit $T_RC: $(head -c 300 "$T_TMP/out")"
    fi
    if [ -z "$why" ]; then
        run "$HVOFFLINE" vhdx check "$disk"
        [ "$T_RC" -eq 0 ] || why="vhdx check after the re-run: exit $T_RC"
    fi
    if [ -z "$why" ] && ! qemu-img check -q -f vhdx "$disk" >"$T_TMP/qemu" 2>&1; then
        why="qemu-img check: $(head -c 300 "$T_TMP/qemu")"
    fi
    if [ -z "$why" ]; then
        if ! n=$(leftovers "$disk"); then
            why="ntfsls cannot list the guest volume"
        elif [ "$n" -ne 0 ]; then
            why="$n temporary files or journal left in the guest: $(grep -e hvo- -e apply-in-progress "$T_TMP/names" | head -3 | tr '\n' ' ')"
        fi
    fi
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        t_fail "trial $trial (killed at ${ms} of ${span} ms): $why"
    fi
done
T_COUNT=$((T_COUNT + 1))
[ "$trial" -eq "$TRIALS" ] || t_fail "only $trial of $attempts runs were killed before they ended"
[ "$bad" -eq 0 ] && t_pass "$trial kills of a native apply: checks pass, re-runs verify clean"
echo "kill-apply: $trial kills in $attempts runs (last span ${span} ms), $bad failed; image changed before the kill: $changed, dirty log after the kill: $dirty, leaked space after the kill: $leaked, journal recovered by the re-run: $journal, staged or temporary files swept by the re-run: $swept"
t_finish
