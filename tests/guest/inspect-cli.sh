#!/bin/sh
# `hvoffline inspect` arguments and the pre-flight: usage errors, files that
# are not disk images, bad sources, and images in use by another process
# (a flock() holder, and qemu itself, as a running VM holds its disk).
# Nothing here needs the appliance: an image that fails the pre-flight is
# never added to it, and with nothing to open nothing is launched.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

need_images nowindows

run "$HVOFFLINE" inspect
expect_rc 2 "no image: usage error"
expect_grep "$T_TMP/err" "no image given" "says what is missing"
run "$HVOFFLINE" inspect --bogus x
expect_rc 2 "unknown option: usage error"
run "$HVOFFLINE" inspect --help
expect_rc 0 "--help"
expect_grep "$T_TMP/out" "Usage: hvoffline inspect IMAGE" "help text on stdout"

run "$HVOFFLINE" --json inspect "$T_TMP/missing.vhdx"
expect_rc 1 "a missing image: failure"
expect_json '.images[0] | .status == "error" and .exit_code == 1 and .problems[0].code == "image-unreadable" and (.problems[0].message | test("No such file"))' \
    "a missing image: reported per image"
expect_json '.appliance.launches == 0' "nothing to open: no launch"
expect_grep "$T_TMP/err" "missing.vhdx: image-unreadable: No such file" \
    "stderr names the image"

mkdir "$T_TMP/dir"
run "$HVOFFLINE" inspect "$T_TMP/dir"
expect_rc 1 "a directory is not an image"
expect_grep "$T_TMP/err" "is a directory, not an image" "says so"

if command -v genisoimage >/dev/null; then
    echo hello >"$T_TMP/dir/readme.txt"
    genisoimage -quiet -o "$T_TMP/x.iso" "$T_TMP/dir"
    run "$HVOFFLINE" inspect "$T_TMP/x.iso"
    expect_rc 1 "an ISO given as an image"
    expect_grep "$T_TMP/err" "is an ISO image, not a disk image" "says so"
fi

run "$HVOFFLINE" inspect --source "$T_TMP/nosuch" "$img/nowindows.vhdx"
expect_rc 1 "a missing source"
expect_grep "$T_TMP/err" "nosuch: No such file" "names the source"
echo text >"$T_TMP/notes.txt"
run "$HVOFFLINE" inspect --source "$T_TMP/notes.txt" "$img/nowindows.vhdx"
expect_rc 1 "a source that is neither CAB, directory nor ISO"
expect_grep "$T_TMP/err" "is neither a cabinet" "says what a source may be"

# A cabinet that is not a package: corrupt input (5), named.
printf 'MSCF\0\0\0\0this is not a cabinet' >"$T_TMP/junk.cab"
run "$HVOFFLINE" --json inspect --source "$T_TMP/junk.cab" "$T_TMP/missing.vhdx"
expect_rc 5 "a corrupt cabinet as the source: corrupt input (5)"
expect_grep "$T_TMP/err" "junk.cab: " "the cabinet is named"
expect_json '.source.kind == "cab" and .images[0].status == "error" and [.images[0].problems[].code] == ["source-refused"]' \
    "the report still lists the source; no image is opened (SERVICING.md 3.4)"

# ---- VHDX pre-flight (vhdx/): never handed to the appliance ----
# The appliance backend's pre-flight on a host without the nbdkit plugin
# (HVOFFLINE_NBDKIT=0): the appliance cannot open these then, and says so
# without a launch.  With the plugin (make check's default) the appliance
# opens them (inspect-images.sh, tests/nbdkit/appliance-avhdx.sh), as the
# native backend (the default) does itself (native-backends.sh).
fx=$(fixtures_dir)
mkdir "$T_TMP/vm"
cp "$img/nowindows.vhdx" "$T_TMP/vm/base.vhdx"
run "$HVOFFLINE" vhdx create --parent "$T_TMP/vm/base.vhdx" "$T_TMP/vm/base_1.avhdx"
expect_rc 0 "a checkpoint of base.vhdx (hvoffline vhdx create --parent)"
"$HVOFFLINE" vhdx create --size 16M --logical-sector-size 4096 "$T_TMP/vm/4k.vhdx" 2>/dev/null
printf 'vhdxfile not really' >"$T_TMP/vm/bad.vhdx"
truncate -s 2M "$T_TMP/vm/bad.vhdx"
bzip2 -dc "$fx/vhdx/iotest-dirtylog-10G-4M.vhdx.bz2" >"$T_TMP/vm/dirtylog.vhdx"
set -- "$T_TMP/vm/base_1.avhdx" "$T_TMP/vm/4k.vhdx" "$T_TMP/vm/bad.vhdx" "$T_TMP/vm/dirtylog.vhdx"
snapshot "$@" "$T_TMP/vm/base.vhdx"
HVOFFLINE_NBDKIT=0 run "$HVOFFLINE" --json inspect --backend appliance "$@"
expect_rc 5 "the highest: a corrupt VHDX"
expect_json '.appliance.launches == 0' "none of them is given to the appliance"
expect_json '.images[0] | .exit_code == 4 and [.problems[].code] == ["differencing-disk"] and (.problems[0].message | test("checkpoint\\) of .*/vm/base.vhdx.*service the merged .*/vm/base.vhdx instead"))' \
    "a differencing disk: refused (4), naming its parent as the file to service"
expect_json '.images[1] | .exit_code == 1 and [.problems[].code] == ["vhdx-4k-sectors"]' \
    "4 KiB logical sectors: the appliance cannot open them (1)"
expect_json '.images[2] | .status == "corrupt" and .exit_code == 5 and [.problems[].code] == ["image-corrupt"] and (.problems[0].message | test("header"))' \
    "a corrupt VHDX: 5, with the structure at fault"
expect_json '.images[3] | .exit_code == 4 and [.problems[].code] == ["vhdx-log-dirty"]' \
    "a VHDX whose log needs a replay (iotest-dirtylog): refused (4)"
expect_unchanged "the VHDX files are byte-identical (the dirty log replayed in memory only)"

# ---- in use ----
cp "$img/nowindows.vhdx" "$T_TMP/busy.vhdx"
# A reader's shared lock (another inspect, a read-only export) is shared:
# inspect reads along.  A writer's exclusive lock refuses it.  (-o: the
# lock is flock's own, so killing flock releases it.)
inspect_locked() { # flock's mode: -s (a reader) or -x (a writer)
    flock -o "$1" "$T_TMP/busy.vhdx" sleep 600 &
    holder=$!
    sleep 1
    run "$HVOFFLINE" --json inspect "$T_TMP/busy.vhdx"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
}
inspect_locked -s
expect_rc 0 "an image another reader holds a shared lock on: inspected (0)"
inspect_locked -x
expect_rc 4 "an image a writer holds a lock on: refused (4)"
expect_json '.images[0] | .status == "unsafe" and .safety.in_use and [.problems[].code] == ["in-use"]' \
    "in use: reported, with nothing else guessed"
expect_json '.appliance.launches == 0' "in use: the appliance never opens it"

if command -v qemu-io >/dev/null; then
    # A running VM: qemu holds its image locks while it has the disk open.
    qemu-io -f vhdx -c 'sleep 600000' "$T_TMP/busy.vhdx" >/dev/null 2>&1 &
    holder=$!
    # Wait for qemu to take its locks (it opens the image first).
    i=0
    while [ $i -lt 100 ] && ! grep -q "busy.vhdx" /proc/$holder/maps 2>/dev/null &&
        [ "$(ls -l /proc/$holder/fd 2>/dev/null | grep -c busy.vhdx)" -eq 0 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5
    run "$HVOFFLINE" --json inspect "$T_TMP/busy.vhdx"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    expect_rc 4 "an image qemu has open: refused (4)"
    expect_json '.images[0] | .safety.in_use and (.problems[0].message | test("in use"))' \
        "qemu's locks are seen"
fi

t_finish
