#!/bin/sh
# Issue 19: space leaked by killed writes.  Three `vhdx write`s of a
# dynamic image are killed with SIGKILL once they have allocated (and
# written) their blocks but before the BAT commit; then `vhdx check`
# must name the leaked bytes (exit 6), a complete write must reuse them
# (the file ends at its last referenced region), and `check --repair`
# must truncate them.  qemu-img check judges the image after every step,
# and the killed writes' ranges must still read as zeros (old content).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools qemu-img jq
H=$HVOFFLINE
IMG=$T_TMP/leak.vhdx
MiB=1048576
BLOCK=$((32 * MiB))

size() { stat -c %s "$IMG"; }

# check_json: runs `vhdx check --json`, leaves the report in $T_TMP/out.
check_json() {
    "$H" vhdx check --json "$IMG" >"$T_TMP/out" 2>"$T_TMP/err"
    echo $?
}
field() { jq -r "$1" "$T_TMP/out"; }

qemu_ok() {
    if qemu-img check -f vhdx "$IMG" >"$T_TMP/qemu" 2>&1; then
        t_pass "$1: qemu-img check"
    else
        t_fail "$1: qemu-img check: $(cat "$T_TMP/qemu")"
    fi
    T_COUNT=$((T_COUNT + 1))
}

# killed_write LABEL OFFSET_MIB LENGTH_MIB: a writer fed LENGTH bytes
# through a FIFO (which then stays open, so the writer waits for more),
# killed with SIGKILL once the file holds its new blocks.
killed_write() {
    label=$1 off=$(($2 * MiB)) len=$(($3 * MiB))
    before_end=$4
    nblocks=$(((len + BLOCK - 1) / BLOCK))
    target=$((before_end + nblocks * BLOCK))
    rm -f "$T_TMP/fifo"
    mkfifo "$T_TMP/fifo"
    "$H" vhdx write --offset "$off" "$IMG" "$T_TMP/fifo" 2>"$T_TMP/werr" &
    pid=$!
    exec 3>"$T_TMP/fifo"
    head -c "$len" /dev/urandom >&3
    i=0
    while [ "$(size)" -lt "$target" ] && [ $i -lt 3000 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5 # the last vhdx_pwrite() of the batch
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    exec 3>&-
    echo "info: $label: killed at offset $off after $len bytes; file $(size) bytes"
    # Old content: nothing of the killed write is visible.
    nz=$("$H" vhdx read --offset "$off" --length "$len" "$IMG" | tr -d '\000' | wc -c)
    expect_eq "$nz" 0 "$label: the killed write's range still reads as zeros"
}

"$H" vhdx create --size 2G "$IMG"
expect_eq $? 0 "create a 2 GiB dynamic image (32 MiB blocks)"
rc=$(check_json)
expect_eq "$rc" 0 "fresh image: check exit 0"
END0=$(field .referenced_end)
echo "info: fresh image: file $(size) bytes, referenced up to $END0"

# Three killed writes: 40 MiB at 0, 100 MiB at 512 MiB, 70 MiB at 1 GiB.
n=0
for spec in "0 40" "512 100" "1024 70"; do
    n=$((n + 1))
    set -- $spec
    killed_write "kill $n" "$1" "$2" "$END0"
    rc=$(check_json)
    expect_eq "$rc" 6 "kill $n: check exits 6 (leaked space)"
    expect_eq "$(field .status)" leaked "kill $n: status leaked"
    leaked=$(field .leaked_bytes)
    expect_eq "$leaked" "$(($(size) - END0))" "kill $n: leaked bytes = file size - referenced end"
    echo "info: kill $n: file $(size) bytes, leaked $leaked bytes, referenced up to $(field .referenced_end)"
    "$H" vhdx check "$IMG" >"$T_TMP/text" 2>&1
    expect_grep "$T_TMP/text" "^leaked: $leaked bytes" "kill $n: text names the leaked bytes"
    qemu_ok "kill $n"
done

# A complete write reuses the leaked tail.
head -c $((4 * MiB)) /dev/urandom >"$T_TMP/data"
"$H" vhdx write --offset $((1792 * MiB)) "$IMG" "$T_TMP/data" 2>"$T_TMP/err"
expect_eq $? 0 "complete write of 4 MiB at 1792 MiB"
rc=$(check_json)
expect_eq "$rc" 0 "after the complete write: check exit 0"
expect_eq "$(field .leaked_bytes)" 0 "after the complete write: nothing leaked"
expect_eq "$(size)" "$((END0 + BLOCK))" "after the complete write: file = referenced regions + the one new block"
echo "info: complete write: file $(size) bytes, leaked $(field .leaked_bytes)"
qemu_ok "complete write"
"$H" vhdx read --offset $((1792 * MiB)) --length $((4 * MiB)) "$IMG" >"$T_TMP/back"
cmp -s "$T_TMP/back" "$T_TMP/data"
expect_eq $? 0 "the complete write reads back"

# One more killed write, then --repair truncates it.
END1=$(size)
killed_write "kill 4" 256 64 "$END1"
rc=$(check_json)
expect_eq "$rc" 6 "kill 4: check exits 6"
leaked=$(field .leaked_bytes)
"$H" vhdx check --repair --json "$IMG" >"$T_TMP/out" 2>"$T_TMP/err"
expect_eq $? 0 "check --repair exits 0"
expect_eq "$(field .repaired_bytes)" "$leaked" "--repair truncated the leaked bytes"
expect_eq "$(size)" "$END1" "after --repair: file ends at its last referenced region"
echo "info: kill 4: leaked $leaked bytes; after --repair file $(size) bytes"
rc=$(check_json)
expect_eq "$rc" 0 "after --repair: check exit 0"
qemu_ok "repair"
"$H" vhdx read --offset $((1792 * MiB)) --length $((4 * MiB)) "$IMG" >"$T_TMP/back"
cmp -s "$T_TMP/back" "$T_TMP/data"
expect_eq $? 0 "after --repair: the complete write still reads back"

# A create killed before its rename left its temporary (simulated: the
# name of a writer that is gone); the next create removes it and says so.
dead=$(sh -c 'echo $$')
echo junk >"$T_TMP/.new.vhdx.hvo-$dead-AbCdEf"
touch -d '2020-01-01' "$T_TMP/.new.vhdx.hvo-$dead-AbCdEf"
"$H" vhdx create --size 64M "$T_TMP/new.vhdx" 2>"$T_TMP/err"
expect_eq $? 0 "create beside a dead writer's temporary"
expect_grep "$T_TMP/err" "removed stale temporary file .*\.new\.vhdx\.hvo-$dead-AbCdEf" "create says it removed the stale temporary"

# No temporary file was left in the image's directory.
left=$(find "$T_TMP" -name '.*.hvo-*' | wc -l)
expect_eq "$left" 0 "no temporary files left"

t_finish
