#!/bin/sh
# bench/nbdkit.sh - nbdkit-hvoffline-plugin against hvoffline vhdx read, in
# the same run, on the same image (built here):
#
#   1. sequential read of a 4 GiB dynamic image full of random data, the
#      export against `hvoffline vhdx read` writing to the same kind of
#      sink (target: export <= 1.5x), with three sinks:
#        file:    nbdcopy (multi-conn: 4 connections, requests in flight)
#                 and qemu-img convert from the export to a raw file in the
#                 same directory; `hvoffline vhdx read -o FILE`
#                 (copy_file_range);
#        pipe:    nbdcopy to stdout (synchronous: one read and one
#                 block-status request at a time, each as large as the
#                 export's preferred block size, 1 MiB read-only);
#                 `hvoffline vhdx read` to stdout (splice); both into wc;
#        no sink: nbdcopy to null:, qemu-img convert to qemu's null-co
#                 driver (2 MiB reads, 8 in flight); `hvoffline vhdx read
#                 >/dev/null` (pread + write).
#      The control: the same bytes as a raw file served by nbdkit's own
#      file plugin (`nbdkit -r file`), through the same clients.  The
#      export costs what nbdkit, the socket and the client cost, plus what
#      the plugin adds: export/control near 1.0 means the plugin adds
#      nothing measurable, and the rest of the ratio to `vhdx read` is the
#      NBD transport (a copy out of the page cache into nbdkit, one through
#      the socket, one out of it) that `vhdx read` does not pay.
#      Every case reports its wall time (best of NBDKIT_BENCH_RUNS) and the
#      CPU time (user + system) of all its processes in that run: on a
#      loaded machine the wall time of one run varies by a factor of two
#      or more, the CPU time much less, and the CPU ratio says what the
#      export costs the machine against `vhdx read`.
#      Then, per client, one more run of the export through nbdkit's stats
#      filter: the read requests' count and size and the time spent in the
#      plugin's read callback (map + pread), against the run's wall time.
#      NBDKIT_BENCH_FILE=0 leaves out the file sinks.
#      The clients' own settings, to show where a client is what bounds
#      the case: nbdcopy to a pipe without its block-status request before
#      each read (--no-extents: half the round trips), and qemu-img
#      convert with 16 requests in flight (-m 16, instead of 8), export
#      and control.
#      A pipe's reader is `wc -c`, whose count must be the image's size:
#      a pipeline's status is its last command's, so a client that failed
#      would otherwise pass for a fast one.
#   2. the kill -9 trials of tests/nbdkit/kill9.sh, 50 per image
#      (NBDKIT_BENCH_KILL_TRIALS; 0 skips them).
#
# nbdkit runs with the plugin of the build tree (HVO_NBDKIT_PLUGIN to
# choose another).  Each measurement runs after `sync`, the tools
# alternate, and the best of NBDKIT_BENCH_RUNS (default 3) times counts.
# Use a build without sanitizers.
. "${HVO_TOP_SRCDIR:-$(dirname "$0")/..}/bench/lib.sh"

H=$HVOFFLINE
RUNS=${NBDKIT_BENCH_RUNS:-3}
SIZE=${NBDKIT_BENCH_SIZE:-4G}
PLUGIN=${HVO_NBDKIT_PLUGIN:-$HVO_TOP_BUILDDIR/nbdkit/.libs/nbdkit-hvoffline-plugin.so}
b_need nbdkit nbdcopy qemu-img /usr/bin/time bc
b_need_file "$PLUGIN" "no plugin at $PLUGIN"
b_warn_sanitizers
D=$B_TMP

echo "hvoffline: $H"
echo "plugin:    $PLUGIN"
echo "nbdkit:    $(nbdkit --version | head -n 1)"
echo "nbdcopy:   $(nbdcopy --version | head -n 1)"
echo "qemu-img:  $(qemu-img --version | head -n 1)"
echo "runs:      best of $RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# ---- 1. sequential read ----
head -c "$SIZE" /dev/urandom >"$D/src.raw"
qemu-img convert -O vhdx -o subformat=dynamic "$D/src.raw" "$D/read.vhdx"
IMG=$D/read.vhdx
RAW=$D/src.raw
BYTES=$(stat -c %s "$RAW")
# Each command runs a captive nbdkit (started and stopped inside the
# measurement: the export's whole cost is counted).
NBD="nbdkit -U - $PLUGIN file=$IMG readonly=true --run"
# What the export offers its clients (thread model, multi-conn, block
# sizes, block status), as nbdkit and nbdinfo report it.
echo "export:    $(nbdkit --dump-plugin "$PLUGIN" | sed -n 's/^thread_model=//p') thread model" \
    "(nbdkit's default 16 threads per connection);" \
    "$($NBD 'nbdinfo "$uri"' | sed -n 's/^[[:space:]]*\(can_multi_conn\|block_size_[a-z]*\): /\1=/p' | tr '\n' ' ')" \
    "$($NBD 'nbdinfo --map "$uri"' | awk '{ n++ } END { print n " block-status extent(s) for the image" }')"
echo "clients:   nbdcopy to a file or null: 4 connections (multi-conn), 64 requests in flight;" \
    "nbdcopy to a pipe: 1 connection, synchronous; nbdcopy's requests: max(256 KiB, preferred block size);" \
    "qemu-img convert: 1 connection, 8 coroutines, 2 MiB requests"
echo
CTL="nbdkit -U - -r file $RAW --run"
QNULL="--target-image-opts driver=null-co,size=$BYTES,read-zeroes=on"
# The pipe's reader: fails unless every byte came through.
WC="| wc -c | grep -qx $BYTES"

# tm CMD...: runs CMD, prints "<wall s> <cpu s>": cpu is the user + system
# time of CMD and every process it waited for (nbdkit --run waits for its
# command, so the server, the client and the pipe's reader all count).
tm() {
    /usr/bin/time -f '%e %U %S' -o "$D/tm" "$@" >/dev/null 2>"$D/tm.err" || {
        echo "bench: command failed: $*" >&2
        cat "$D/tm.err" >&2
        return 1
    }
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$D/tm"
}
best() { # best CUR NEW: the faster of two "<wall> <cpu>" results
    if [ -z "$1" ] || [ "$(echo "${2% *} < ${1% *}" | bc -l)" = 1 ]; then
        echo "$2"
    else
        echo "$1"
    fi
}
# to_file VAR CMD...: one run writing $D/out.raw, best kept in VAR.
to_file() {
    v=$1
    shift
    rm -f "$D/out.raw"
    sync
    eval "$v=\$(best \"\$$v\" \"\$(tm \"\$@\")\")"
}
r_ref= r_nbd= r_qemu= r_cnbd= r_cqemu=
i=0
# NBDKIT_BENCH_FILE=0 skips the file sinks (4 GiB written per run).
[ "${NBDKIT_BENCH_FILE:-1}" != 0 ] || i=$RUNS
while [ "$i" -lt "$RUNS" ]; do
    to_file r_ref "$H" vhdx read -o "$D/out.raw" "$IMG"
    to_file r_nbd $NBD "nbdcopy \"\$uri\" \"$D/out.raw\""
    to_file r_cnbd $CTL "nbdcopy \"\$uri\" \"$D/out.raw\""
    to_file r_qemu $NBD "qemu-img convert -f raw -O raw \"\$uri\" \"$D/out.raw\""
    to_file r_cqemu $CTL "qemu-img convert -f raw -O raw \"\$uri\" \"$D/out.raw\""
    i=$((i + 1))
done
rm -f "$D/out.raw"
# Pipe and no sink: nothing is written to disk; the rounds alternate.
p_ref= p_nbd= p_ctl= n_ref= n_nbd= n_ctl= q_nbd= q_ctl=
t_pnbd= t_pctl= t_qnbd= t_qctl=
i=0
while [ "$i" -lt "$RUNS" ]; do
    p_ref=$(best "$p_ref" "$(tm sh -c "\"\$0\" vhdx read \"\$1\" $WC" "$H" "$IMG")")
    p_nbd=$(best "$p_nbd" "$(tm $NBD "nbdcopy \"\$uri\" - $WC")")
    p_ctl=$(best "$p_ctl" "$(tm $CTL "nbdcopy \"\$uri\" - $WC")")
    n_ref=$(best "$n_ref" "$(tm sh -c "\"\$0\" vhdx read \"\$1\" >/dev/null" "$H" "$IMG")")
    n_nbd=$(best "$n_nbd" "$(tm $NBD "nbdcopy \"\$uri\" null:")")
    n_ctl=$(best "$n_ctl" "$(tm $CTL "nbdcopy \"\$uri\" null:")")
    q_nbd=$(best "$q_nbd" "$(tm $NBD "qemu-img convert -n -f raw \"\$uri\" $QNULL")")
    q_ctl=$(best "$q_ctl" "$(tm $CTL "qemu-img convert -n -f raw \"\$uri\" $QNULL")")
    t_pnbd=$(best "$t_pnbd" "$(tm $NBD "nbdcopy --no-extents \"\$uri\" - $WC")")
    t_pctl=$(best "$t_pctl" "$(tm $CTL "nbdcopy --no-extents \"\$uri\" - $WC")")
    t_qnbd=$(best "$t_qnbd" "$(tm $NBD "qemu-img convert -m 16 -n -f raw \"\$uri\" $QNULL")")
    t_qctl=$(best "$t_qctl" "$(tm $CTL "qemu-img convert -m 16 -n -f raw \"\$uri\" $QNULL")")
    i=$((i + 1))
done
# Where the time goes, per client: one run of the export through nbdkit's
# stats filter (read requests, their size, time in the plugin's reads).
stats() { # stats LABEL CMD: one line
    $NBD_STATS statsfile="$D/stats" --run "$2" >/dev/null 2>"$D/tm.err" || {
        echo "bench: command failed: $2" >&2
        cat "$D/tm.err" >&2
        return 1
    }
    awk -v l="$1" -v b="$BYTES" '
        /^total:/ { wall = $4 }
        /^read:/ { n = $2; t = $4 }
        /^extents:/ { e = $2 }
        END { printf "   %-30s %6d reads of %5.0f KiB, %6d block-status; in the plugin %.2f s of %.2f s (%.0f%%)\n",
              l, n, b / n / 1024, e, t, wall, 100 * t / wall }' "$D/stats"
}
NBD_STATS="nbdkit -U - --filter=stats $PLUGIN file=$IMG readonly=true statsthreshold=1"
st_pipe=$(stats "nbdcopy - | wc -c" "nbdcopy \"\$uri\" - $WC")
st_null=$(stats "nbdcopy null:" "nbdcopy \"\$uri\" null:")
st_qemu=$(stats "qemu-img convert to null-co" "qemu-img convert -n -f raw \"\$uri\" $QNULL")
# Check once that the export and the reference agree.
if [ -n "${NBDKIT_BENCH_SKIP_CMP:-}" ]; then same=skipped; else
$NBD "nbdcopy \"\$uri\" \"$D/a.raw\""
"$H" vhdx read -o "$D/b.raw" "$IMG"
if cmp -s "$D/a.raw" "$D/b.raw" && cmp -s "$D/a.raw" "$RAW"; then same=yes; else same=NO; fi
fi
rm -f "$D/a.raw" "$D/b.raw" "$IMG" "$RAW"

# line LABEL EXPORT CONTROL REFERENCE: wall times and ratios, then the
# CPU seconds of the same runs and the export's CPU ratio to the reference.
line() {
    printf '   %-34s %6s s  (control %6s s: %5s)  ref %6s s  ratio %5s  | cpu %5s/%5s/%5s s: %5s\n' "$1" \
        "${2% *}" "${3% *}" "$(b_ratio "${2% *}" "${3% *}")" "${4% *}" \
        "$(b_ratio "${2% *}" "${4% *}")" "${2#* }" "${3#* }" "${4#* }" \
        "$(b_ratio "${2#* }" "${4#* }")"
}
echo "1. sequential read, $SIZE dynamic image (random data); export vs control (nbdkit file plugin on the raw bytes) vs hvoffline vhdx read; target: ratio <= 1.5"
if [ -n "$r_ref" ]; then
echo "   to a raw file (ref: hvoffline vhdx read -o, copy_file_range):"
line "nbdcopy" "$r_nbd" "$r_cnbd" "$r_ref"
line "qemu-img convert" "$r_qemu" "$r_cqemu" "$r_ref"
fi
echo "   to a pipe into wc -c (ref: hvoffline vhdx read | wc -c, splice):"
line "nbdcopy -" "$p_nbd" "$p_ctl" "$p_ref"
echo "   no sink (ref: hvoffline vhdx read >/dev/null, pread + write):"
line "nbdcopy null:" "$n_nbd" "$n_ctl" "$n_ref"
line "qemu-img convert to null-co" "$q_nbd" "$q_ctl" "$n_ref"
echo "   the clients' settings (same references):"
line "nbdcopy --no-extents - | wc -c" "$t_pnbd" "$t_pctl" "$p_ref"
line "qemu-img convert -m 16 to null-co" "$t_qnbd" "$t_qctl" "$n_ref"
echo "   export content == hvoffline vhdx read == source: $same"
echo "   where the time goes (export through nbdkit's stats filter, one run each):"
echo "$st_pipe"
echo "$st_null"
echo "$st_qemu"
echo

# ---- 2. kill -9 trials ----
trials=${NBDKIT_BENCH_KILL_TRIALS:-50}
[ "$trials" -gt 0 ] || exit 0
echo "2. kill -9 of nbdkit during writes: $trials trials per image"
if HVO_NBDKIT_KILL_TRIALS=$trials HVO_NBDKIT_PLUGIN=$PLUGIN HVOFFLINE=$H \
    sh "$HVO_TOP_SRCDIR/tests/nbdkit/kill9.sh" >"$D/kill9.log" 2>&1; then
    sed -n 's/^ok: /   /p' "$D/kill9.log" | grep 'trials'
    echo "   all checks passed"
else
    sed 's/^/   | /' "$D/kill9.log"
    echo "   FAILED"
    exit 1
fi
