#!/bin/sh
# bench/cab.sh - extraction speed and peak memory of `hvoffline cab
# extract` against cabextract (libmspack), in the same run on the same
# inputs, alternating the two tools, best of $CAB_BENCH_RUNS runs:
#   - the two real integration-services cabinets (LZX:21), each
#     extracted repeatedly so that one measurement lasts over a second;
#   - a >= 100 MB MSZIP cabinet made here by our writer from the shared
#     libraries of this machine (real binaries, ~3:1);
#   - large-files-cab.cab, the largest LZX fixture (LZX:21, 26 kB that
#     expand to a 14.7 MB cabinet), repeated likewise.
# Targets (issue 3): our time <= cabextract's, our peak RSS <= 16 MiB.
# Build without sanitizers for meaningful numbers (./configure, make).
. "$(dirname "$0")/lib.sh"

RUNS=${CAB_BENCH_RUNS:-3}
b_need cabextract

# loop N TOOL CAB: extracts CAB N times, each into a fresh directory.
cat >"$B_TMP/loop.sh" <<'LOOP'
n=$1 tool=$2 cab=$3 out=$4
i=0
while [ "$i" -lt "$n" ]; do
    rm -rf "$out"; mkdir "$out"
    if [ "$tool" = ours ]; then
        "$HVOFFLINE" -q cab extract -d "$out" "$cab" || exit 1
    else
        cabextract -q -d "$out" "$cab" 2>/dev/null || exit 1
    fi
    i=$((i + 1))
done
rm -rf "$out"
LOOP
export HVOFFLINE

row() { # row LABEL N CAB
    label=$1 n=$2 cab=$3
    ours= peer=
    r=0
    while [ "$r" -lt "$RUNS" ]; do
        o=$(b_time sh "$B_TMP/loop.sh" "$n" ours "$cab" "$B_TMP/out")
        p=$(b_time sh "$B_TMP/loop.sh" "$n" peer "$cab" "$B_TMP/out")
        ot=${o% *} om=${o#* } pt=${p% *} pm=${p#* }
        if [ -z "$ours" ] || [ "$(echo "$ot < ${ours% *}" | bc -l)" = 1 ]; then ours="$ot $om"; fi
        if [ -z "$peer" ] || [ "$(echo "$pt < ${peer% *}" | bc -l)" = 1 ]; then peer="$pt $pm"; fi
        r=$((r + 1))
    done
    ot=${ours% *} om=${ours#* } pt=${peer% *} pm=${peer#* }
    # A zero peer time cannot make a ratio; report it as such.
    ratio=$( [ "$(echo "$pt > 0" | bc -l)" = 1 ] && b_ratio "$ot" "$pt" || echo "n/a")
    net_o=$(echo "$ot - $n * $start_ours" | bc -l)
    net_p=$(echo "$pt - $n * $start_peer" | bc -l)
    net=$( [ "$(echo "$net_p > 0" | bc -l)" = 1 ] && b_ratio "$net_o" "$net_p" || echo "n/a")
    printf '%-30s %3s x %7.2f s %7.2f s %6s %6s %8d %8d\n' "$label" "$n" "$ot" "$pt" "$ratio" "$net" "$om" "$pm"
}

# The >= 100 MB MSZIP cabinet: real binaries, written by our writer.
big="$B_TMP/big-mszip.cab"
src=/usr/lib/x86_64-linux-gnu
list=$(cd "$src" && find . -maxdepth 1 -type f -name '*.so*' -size +200k | sort |
    awk -v dir="$src" 'BEGIN { t = 0 } { cmd = "stat -c %s \"" dir "/" $0 "\""; cmd | getline s; close(cmd); if (t < 140000000) { print; t += s } }')
(cd "$src" && "$HVOFFLINE" -q cab create -m mszip "$big" $list)
bigsize=$(stat -c %s "$big")
bigout=$("$HVOFFLINE" --json cab list "$big" | jq '[.files[].size] | add')

echo "hvoffline vs $(cabextract --version)"
# Process start alone: hvoffline is linked with libguestfs (and its ~60
# libraries), which costs time and resident memory at every exec before
# any cabinet code runs.  It is measured (20 execs listing a 1-file
# cabinet) and the "net" ratio leaves each tool's own start-up out.
tiny="$B_TMP/tiny.cab"
printf 'x' >"$B_TMP/x" && "$HVOFFLINE" -q cab create -m none "$tiny" "$B_TMP/x"
cat >"$B_TMP/start.sh" <<'START'
i=0
while [ "$i" -lt 20 ]; do
    if [ "$1" = ours ]; then "$HVOFFLINE" -q cab list "$2" >/dev/null || exit 1
    else cabextract -q -l "$2" >/dev/null || exit 1; fi
    i=$((i + 1))
done
START
s_ours=$(b_best "$RUNS" sh "$B_TMP/start.sh" ours "$tiny")
s_peer=$(b_best "$RUNS" sh "$B_TMP/start.sh" peer "$tiny")
start_ours=$(echo "scale=4; ${s_ours% *} / 20" | bc -l)
start_peer=$(echo "scale=4; ${s_peer% *} / 20" | bc -l)
echo "MSZIP cabinet: $bigsize bytes, $bigout bytes of members"
echo "start-up per exec: ours $start_ours s (${s_ours#* } KiB), cabextract $start_peer s (${s_peer#* } KiB)"
printf '%-30s %5s %9s %9s %6s %6s %8s %8s\n' input runs ours cabextract ratio net "RSS KiB" "peer KiB"
row "IC x64 (LZX:21, 73 files)" 20 "$B_FX/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
row "IC x86 (LZX:21, 64 files)" 20 "$B_FX/ic/Windows6.x-HyperVIntegrationServices-x86.cab"
row "MSZIP >= 100 MB (ours)" 1 "$big"
row "large-files-cab.cab (LZX:21)" 20 "$B_FX/cab/cabextract/cabs/large-files-cab.cab"
