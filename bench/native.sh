#!/bin/sh
# bench/native.sh - the native backend (vhdx/ + libntfs-3g, no appliance)
# against the libguestfs appliance, in the same run, on copies of the same
# image, end to end through `hvoffline`:
#   - inspect, one image;
#   - apply, one image (the real 6.2 x64 package);
#   - apply, eight images in one invocation (the appliance launches once
#     for all of them; the native backend opens them one after the other).
# Both backends run the same servicing engine; HVOFFLINE_BACKEND picks one.
# The appliance uses the accelerator this host's launch cache says works.
# Needs `make fixture-images`.  Target (issue 16): one image native in
# < 1 s wall, <= 0.05x the appliance.
. "$(dirname "$0")/lib.sh"

N=${NATIVE_BENCH_IMAGES:-8}
b_ws2012_ic

b_direct export

# copies PREFIX N: N fresh copies of the image, their paths on stdout.
copies() {
    i=0
    while [ "$i" -lt "$2" ]; do
        cp --sparse=always "$IMG" "$B_TMP/$1-$i.vhdx"
        echo "$B_TMP/$1-$i.vhdx"
        i=$((i + 1))
    done
}

# one LABEL CMD...: times CMD under each backend, prints both and the ratio.
one() {
    label=$1
    shift
    nat=$(HVOFFLINE_BACKEND=native b_time "$@" $(copies n-$label 1))
    app=$(HVOFFLINE_BACKEND=appliance b_time "$@" $(copies a-$label 1))
    echo "$label, 1 image: native ${nat% *} s (${nat#* } KiB)," \
        "appliance ${app% *} s (${app#* } KiB)," \
        "ratio $(b_ratio "${nat% *}" "${app% *}")"
}

one inspect "$HVOFFLINE" -q inspect
one apply "$HVOFFLINE" -q apply --source "$CAB"
nat=$(HVOFFLINE_BACKEND=native b_time "$HVOFFLINE" -q apply --source "$CAB" $(copies n8 "$N"))
app=$(HVOFFLINE_BACKEND=appliance b_time "$HVOFFLINE" -q apply --source "$CAB" $(copies a8 "$N"))
echo "apply, $N images: native ${nat% *} s, appliance ${app% *} s," \
    "ratio $(b_ratio "${nat% *}" "${app% *}")," \
    "speed-up $(b_ratio "${app% *}" "${nat% *}")x"
