# nbdlib.sh - helpers for the nbdkit plugin tests (sourced after testlib.sh).
#
# The tests need nbdkit, the built plugin, qemu-img and nbdinfo/nbdcopy
# (libnbd-bin); tools/setup-debian.sh installs them all.  They skip (77)
# only when nbdkit itself is absent; anything else missing is a failure.

. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

if ! command -v nbdkit >/dev/null 2>&1; then
    echo "SKIP: nbdkit is not installed (Debian: nbdkit, nbdkit-plugin-dev)" >&2
    exit 77
fi
PLUGIN=${HVO_NBDKIT_PLUGIN:-${HVOFFLINE_NBDKIT_PLUGIN:-$HVO_TOP_BUILDDIR/nbdkit/.libs/nbdkit-hvoffline-plugin.so}}
if [ ! -f "$PLUGIN" ]; then
    echo "FAIL: nbdkit is installed but the plugin was not built: $PLUGIN" >&2
    echo "      (configure did not find nbdkit-plugin.h: install nbdkit-plugin-dev)" >&2
    exit 1
fi
for p in qemu-img nbdinfo nbdcopy python3; do
    command -v "$p" >/dev/null 2>&1 || {
        echo "FAIL: $p is missing (tools/setup-debian.sh installs it)" >&2
        exit 1
    }
done
SECTORS="python3 $HVO_TOP_SRCDIR/tests/nbdkit/sectors.py"
NBD_PID=
NBD_SOCK=
NBD_URI=

# nbd_start ARGS...: starts nbdkit in the foreground of a background job
# on a fresh Unix socket, with the plugin and ARGS (key=value and nbdkit
# flags before them as -X), and waits until it serves.  Sets NBD_PID,
# NBD_SOCK, NBD_URI.  Returns nbdkit's status if it exits instead.
nbd_start() {
    NBD_SOCK=$T_TMP/nbd.$$.$(date +%s%N).sock
    NBD_URI="nbd+unix:///?socket=$NBD_SOCK"
    nbdkit -f --exit-with-parent -U "$NBD_SOCK" $NBD_FLAGS "$PLUGIN" "$@" \
        2>"$T_TMP/nbdkit.err" &
    NBD_PID=$!
    i=0
    while [ ! -S "$NBD_SOCK" ]; do
        if ! kill -0 "$NBD_PID" 2>/dev/null; then
            rc=0
            wait "$NBD_PID" || rc=$?
            NBD_PID=
            return "$rc"
        fi
        i=$((i + 1))
        [ "$i" -lt 3000 ] || { echo "nbdkit did not start" >&2; return 1; }
        sleep 0.01
    done
    return 0
}
NBD_FLAGS=

# expect_nbd_refused DESCRIPTION PROBLEM ARGS...: nbdkit with the plugin
# and ARGS must not start (its error stays in $T_TMP/nbdkit.err); PROBLEM
# says what it would mean if it did.
expect_nbd_refused() {
    T_COUNT=$((T_COUNT + 1))
    pass=$1
    problem=$2
    shift 2
    if nbd_start "$@"; then
        t_fail "$problem"
        nbd_stop
    else
        t_pass "$pass"
    fi
}

# nbd_stop: ends nbdkit normally (SIGTERM: it closes the image) and waits.
nbd_stop() {
    [ -n "$NBD_PID" ] || return 0
    kill "$NBD_PID" 2>/dev/null || :
    rc=0
    wait "$NBD_PID" || rc=$?
    NBD_PID=
    return "$rc"
}

# nbd_kill9: SIGKILL, as a crash.
nbd_kill9() {
    [ -n "$NBD_PID" ] || return 0
    kill -9 "$NBD_PID" 2>/dev/null || :
    wait "$NBD_PID" 2>/dev/null || :
    NBD_PID=
}

sha() {
    sha256sum "$1" | cut -d' ' -f1
}
