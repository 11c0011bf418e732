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
