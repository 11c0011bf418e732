#!/bin/sh
# bench/fleet.sh - a fleet of images through one native `hvoffline apply
# -j N` (a sandboxed child per image, no appliance): wall time, CPU time
# (hvoffline and every child it waited for) and both per image, on
# FLEET_IMAGES fresh copies of ws2012-x64 with the real 6.2 x64 package.
# With FLEET_BEFORE=PROGRAM the same run is made with that hvoffline too,
# alternating FLEET_ROUNDS times, so that a loaded machine weighs on both
# alike.  On this 2-core machine shared by many builds the wall time is
# mostly waiting for a core; the CPU time is the work.
# Needs `make fixture-images`.  Target (issue 16): 100 images < 60 s at -j 2.
. "$(dirname "$0")/lib.sh"

N=${FLEET_IMAGES:-100}
JOBS=${FLEET_JOBS:-2}
ROUNDS=${FLEET_ROUNDS:-1}
b_need bc
b_ws2012_ic

# run LABEL PROGRAM: one apply of N fresh copies; prints the line.
run() {
    i=1
    list=
    while [ "$i" -le "$N" ]; do
        cp --sparse=always "$IMG" "$B_TMP/f-$i.vhdx"
        list="$list $B_TMP/f-$i.vhdx"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    if HVOFFLINE_BACKEND=native /usr/bin/time -f '%e %U %S %M' -o "$B_TMP/t" \
        "$2" -q apply -j "$JOBS" --source "$CAB" $list >/dev/null 2>"$B_TMP/err"; then
        ok="all applied"
    else
        # Said, and the run measured all the same (an image refused as
        # "in use" by a sibling's scan was one such failure).
        ok="FAILED: $(grep -c ': failed\|: refused' "$B_TMP/err") image(s), first: $(grep -m1 ': failed\|: refused' "$B_TMP/err")"
    fi
    rm -f "$B_TMP"/f-*.vhdx
    read -r wall user sys rss <"$B_TMP/t"
    cpu=$(echo "$user + $sys" | bc -l)
    echo "$1: $N images -j $JOBS: wall $wall s ($(b_ratio "$wall" "$N") s/image)," \
        "CPU $cpu s ($(b_ratio "$cpu" "$N") s/image), peak RSS $rss KiB," \
        "load $(cut -d' ' -f1 /proc/loadavg); $ok"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
    [ -n "${FLEET_BEFORE:-}" ] && run before "$FLEET_BEFORE"
    run this "$HVOFFLINE"
    r=$((r + 1))
done
