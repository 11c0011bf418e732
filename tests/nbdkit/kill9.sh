#!/bin/sh
# Writes through the export survive kill -9 of nbdkit.  Each trial starts
# a writable export, streams a new generation of sector patterns into it
# with nbdcopy (4 connections, many requests in flight), and kills nbdkit
# with SIGKILL at a random moment.  Then:
#   - hvoffline vhdx check passes (the log is replayed in memory), or
#     reports only leaked space (exit 6: blocks the killed writer
#     allocated but never committed), which vhdx check --repair truncates
#     after the trials;
#   - every 512-byte sector reads as the previous trial's content or the
#     new one (tests/nbdkit/sectors.py check);
#   - after hvoffline vhdx replay, qemu-img check passes (dynamic image);
#   - for a .avhdx, its qemu-written parent stays byte-identical.
# HVO_NBDKIT_KILL_TRIALS trials per image (default 10; bench/nbdkit.sh
# runs 50).
. "$HVO_TOP_SRCDIR/tests/nbdkit/nbdlib.sh"
H=$HVOFFLINE
D=$T_TMP
TRIALS=${HVO_NBDKIT_KILL_TRIALS:-10}
SIZE=$((16 * 1024 * 1024))
trap 'nbd_kill9; rm -rf "$T_TMP"' EXIT

# writer_slices SOCKET: writes $D/new.raw through the export in 2 MiB
# slices, one qemu-img convert (and so one flush) per slice.
writer_slices() {
    o=0
    while [ "$o" -lt "$SIZE" ]; do
        qemu-img convert -n --image-opts \
            "driver=raw,offset=$o,size=2097152,file.driver=file,file.filename=$D/new.raw" \
            --target-image-opts \
            "driver=raw,offset=$o,size=2097152,file.driver=nbd,file.path=$1" ||
            return 1
        o=$((o + 2097152))
    done
}

# trials IMAGE KIND: runs the trials on IMAGE, whose current content is in
# $D/old.raw.
trials() {
    img=$1
    kind=$2
    t=1
    n_old=0
    n_new=0
    n_mixed=0
    while [ "$t" -le "$TRIALS" ]; do
        $SECTORS gen "$t" "$SIZE" "$D/new.raw"
        if ! nbd_start file="$img"; then
            t_fail "$kind trial $t: nbdkit did not start: $(cat "$T_TMP/nbdkit.err")"
            return
        fi
        if [ $((t % 2)) -eq 1 ]; then
            # nbdcopy: 4 connections, many requests in flight, one
            # flush at the end.
            nbdcopy "$D/new.raw" "$NBD_URI" 2>/dev/null &
        else
            # 2 MiB slices, one qemu-img each, each ending with a flush:
            # the kill finds log commits done and under way.
            writer_slices "$NBD_SOCK" 2>/dev/null &
        fi
        cp_pid=$!
        # 0-999 ms: before, during and (sometimes) after the writes.
        ms=$(shuf -i 0-999 -n 1)
        sleep "$(printf '0.%03d' "$ms")"
        nbd_kill9
        wait "$cp_pid" 2>/dev/null || :
        run "$H" vhdx check "$img"
        if [ "$T_RC" -ne 0 ] && [ "$T_RC" -ne 6 ]; then
            t_fail "$kind trial $t (kill at ${ms} ms): hvoffline vhdx check: exit $T_RC"
            sed 's/^/  | /' "$T_TMP/out" "$T_TMP/err" >&2
            return
        fi
        rm -f "$D/got.raw"
        run "$H" vhdx read -o "$D/got.raw" "$img"
        if [ "$T_RC" -ne 0 ]; then
            t_fail "$kind trial $t: hvoffline vhdx read: exit $T_RC"
            return
        fi
        run $SECTORS check "$D/old.raw" "$D/new.raw" "$D/got.raw"
        if [ "$T_RC" -ne 0 ]; then
            t_fail "$kind trial $t (kill at ${ms} ms): a sector is neither old nor new"
            sed 's/^/  | /' "$T_TMP/err" >&2
            return
        fi
        set -- "$1" "$2" "" $(cat "$T_TMP/out")
        n_old=$((n_old + $5))
        n_new=$((n_new + $7))
        [ "$5" -gt 0 ] && [ "$7" -gt 0 ] && n_mixed=$((n_mixed + 1))
        mv "$D/got.raw" "$D/old.raw"
        if [ "$kind" = dynamic ]; then
            run "$H" vhdx replay "$img"
            [ "$T_RC" -eq 0 ] || { t_fail "$kind trial $t: replay: exit $T_RC"; return; }
            run qemu-img check -f vhdx "$img"
            if [ "$T_RC" -ne 0 ]; then
                t_fail "$kind trial $t: qemu-img check: exit $T_RC"
                sed 's/^/  | /' "$T_TMP/out" "$T_TMP/err" >&2
                return
            fi
        else
            if [ "$(sha "$D/base.vhdx")" != "$base_sum" ]; then
                t_fail "$kind trial $t: the parent changed"
                return
            fi
        fi
        t=$((t + 1))
    done
    T_COUNT=$((T_COUNT + 1))
    t_pass "$kind: $TRIALS kill -9 trials, every sector old or new ($n_old old, $n_new new sector reads; $n_mixed trials with both); checks pass"
}

# A dynamic image with 1 MiB blocks: every trial allocates, and the BAT
# changes go through the log.
"$H" -q vhdx create --size "$SIZE" --block-size 1M "$D/dyn.vhdx"
head -c "$SIZE" /dev/zero >"$D/old.raw"
trials "$D/dyn.vhdx" dynamic
run "$H" vhdx check --repair "$D/dyn.vhdx"
expect_rc 0 "hvoffline vhdx check --repair of the dynamic image after the trials"
run "$H" vhdx check "$D/dyn.vhdx"
expect_rc 0 "hvoffline vhdx check of the dynamic image after the repair: no leak left"
run qemu-img check -f vhdx "$D/dyn.vhdx"
expect_rc 0 "qemu-img check of the dynamic image after the trials"

# A checkpoint over a qemu-written parent (generation 0 everywhere).
$SECTORS gen 0 "$SIZE" "$D/old.raw"
qemu-img convert -O vhdx -o subformat=dynamic,block_size=1M "$D/old.raw" "$D/base.vhdx"
base_sum=$(sha "$D/base.vhdx")
"$H" -q vhdx create --parent "$D/base.vhdx" "$D/snap.avhdx"
trials "$D/snap.avhdx" checkpoint
run "$H" vhdx check --repair "$D/snap.avhdx"
expect_rc 0 "hvoffline vhdx check --repair of the checkpoint after the trials"
run "$H" vhdx check "$D/snap.avhdx"
expect_rc 0 "hvoffline vhdx check of the checkpoint after the repair"
expect_eq "$(sha "$D/base.vhdx")" "$base_sum" "the parent is byte-identical after the trials"
run qemu-img check -f vhdx "$D/base.vhdx"
expect_rc 0 "qemu-img check of the parent"

t_finish
