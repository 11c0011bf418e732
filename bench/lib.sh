# lib.sh - helpers for the benchmark scripts (sourced).
set -eu
: "${HVO_TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${HVO_TOP_BUILDDIR:=$HVO_TOP_SRCDIR}"
: "${HVOFFLINE:=$HVO_TOP_BUILDDIR/hvoffline}"
B_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvobench.XXXXXX")
trap 'rm -rf "$B_TMP"' EXIT

# b_time CMD...: runs CMD, prints "<wall seconds> <peak RSS KiB>".
b_time() {
    /usr/bin/time -f '%e %M' -o "$B_TMP/time" "$@" >/dev/null 2>"$B_TMP/time.err" || {
        echo "bench: command failed: $*" >&2
        cat "$B_TMP/time.err" >&2
        return 1
    }
    cat "$B_TMP/time"
}

# b_best N CMD...: best wall time of N runs and the largest peak RSS,
# "<seconds> <KiB>".
b_best() {
    n=$1
    shift
    best=
    rss=0
    i=0
    while [ "$i" -lt "$n" ]; do
        set -- "$@"
        r=$(b_time "$@")
        t=${r% *}
        m=${r#* }
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
        [ "$m" -gt "$rss" ] && rss=$m
        i=$((i + 1))
    done
    echo "$best $rss"
}

# b_ratio OURS PEER: prints OURS/PEER with three decimals.
b_ratio() {
    echo "scale=3; $1 / $2" | bc -l
}

# b_need PROG...: every program must be installed.
b_need() {
    for p in "$@"; do
        command -v "$p" >/dev/null || { echo "bench: $p is missing" >&2; exit 1; }
    done
}

# b_need_file FILE [HINT]: FILE must exist.
b_need_file() {
    [ -f "$1" ] || { echo "bench: ${2:-$1 not found}" >&2; exit 1; }
}

# The fixtures, read in place (HVO_FIXTURES, else ../shared/fixtures).
B_FX=${HVO_FIXTURES:-$HVO_TOP_SRCDIR/../shared/fixtures}

# b_ws2012_ic: IMG, the ws2012-x64 image of `make fixture-images`, and
# CAB, the real 6.2 x64 integration-services package; both must exist.
b_ws2012_ic() {
    IMG=$HVO_TOP_BUILDDIR/tests/fixtures/images/ws2012-x64.vhdx
    CAB=$B_FX/ic/Windows6.2-HyperVIntegrationServices-x64.cab
    b_need_file "$IMG" "run 'make fixture-images' first"
    b_need_file "$CAB"
}

# b_direct [export]: the direct libguestfs backend for both tools; sets
# B_ACCEL to "force_tcg" where KVM does not work on this host (no
# /dev/kvm, or hvoffline's launch cache says TCG), else to "", and with
# "export" exports it as LIBGUESTFS_BACKEND_SETTINGS.
b_direct() {
    export LIBGUESTFS_BACKEND=direct
    B_ACCEL=
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/hvoffline/launch.conf
    if [ ! -r /dev/kvm ] || grep -q '^accel tcg$' "$cache" 2>/dev/null; then
        B_ACCEL=force_tcg
    fi
    if [ "${1:-}" = export ] && [ -n "$B_ACCEL" ]; then
        export LIBGUESTFS_BACKEND_SETTINGS=$B_ACCEL
    fi
}

# b_warn_sanitizers: says so when the program measured is a sanitizer
# build (its timings and RSS are not representative).
b_warn_sanitizers() {
    if ldd "$HVOFFLINE" 2>/dev/null | grep -q 'libasan'; then
        echo "bench: warning: $HVOFFLINE is a sanitizer build; timings and RSS are not representative" >&2
    fi
}

# b_random_vhdx SIZE FILE: a dynamic VHDX made by qemu-img from SIZE bytes
# of random data (head -c SIZE: 2G, 4G...).
b_random_vhdx() {
    head -c "$1" /dev/urandom >"$B_TMP/random.raw"
    qemu-img convert -O vhdx -o subformat=dynamic "$B_TMP/random.raw" "$2"
    rm -f "$B_TMP/random.raw"
}
