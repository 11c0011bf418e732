#!/bin/sh
# `hvoffline apply` and `verify` arguments, and the failures found before
# anything is launched: usage errors (2), a missing or unusable source, a
# corrupt cabinet (5), images that are not disk images or are in use.
# Nothing here needs the appliance.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

fx=$(fixtures_dir)
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
need_images ws2012-x64

for cmd in apply verify; do
    run "$HVOFFLINE" $cmd
    expect_rc 2 "$cmd: no image"
    expect_grep "$T_TMP/err" "no image given" "$cmd: says what is missing"
    run "$HVOFFLINE" $cmd "$img/ws2012-x64.vhdx"
    expect_rc 2 "$cmd: no --source"
    expect_grep "$T_TMP/err" "source is required" "$cmd: says --source is required"
    run "$HVOFFLINE" $cmd --bogus x
    expect_rc 2 "$cmd: unknown option"
    run "$HVOFFLINE" $cmd --help
    expect_rc 0 "$cmd --help"
    expect_grep "$T_TMP/out" "Usage: hvoffline $cmd IMAGE" "$cmd: help on stdout"
done
run "$HVOFFLINE" verify --dry-run --source "$cab" "$img/ws2012-x64.vhdx"
expect_rc 2 "verify has no --dry-run"

cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
snapshot "$T_TMP/a.vhdx"

run "$HVOFFLINE" --json apply --source "$T_TMP/missing.cab" "$T_TMP/a.vhdx"
expect_rc 1 "a missing source"
expect_grep "$T_TMP/err" "missing.cab" "the source is named"

# A corrupt cabinet: a CFDATA block altered, found before any launch.
cp "$cab" "$T_TMP/bad.cab"
printf '\377' | dd of="$T_TMP/bad.cab" bs=1 seek=300000 conv=notrunc 2>/dev/null
run "$HVOFFLINE" --json apply --source "$T_TMP/bad.cab" "$T_TMP/a.vhdx"
expect_rc 5 "a corrupt cabinet: corrupt input"
expect_json '.appliance.launches == 0 and .images[0].status == "failed" and .images[0].exit_code == 5' \
    "the corrupt cabinet stops the run before anything is launched"
expect_grep "$T_TMP/err" "bad.cab: .*checksum mismatch" "the cabinet and the damage are named"

# An image that is not one, and an image in use: refused by the pre-flight,
# no launch.
mkdir "$T_TMP/dir"
run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/dir"
expect_rc 1 "a directory given as an image"
expect_json '.appliance.launches == 0 and .images[0].status == "failed"' \
    "a directory: reported, nothing launched"
flock -x "$T_TMP/a.vhdx" sleep 300 &
lockpid=$!
sleep 1
run "$HVOFFLINE" --json apply --source "$cab" "$T_TMP/a.vhdx"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
expect_rc 4 "an image in use: refused"
expect_json '.appliance.launches == 0 and .images[0].status == "refused" and (.images[0].problems | map(.code) | index("in-use") != null)' \
    "in use: reported, nothing launched"
expect_grep "$T_TMP/err" "a.vhdx: refused: in-use" "stderr names the image and the reason"

expect_unchanged "the image is byte-identical after every refusal"
t_finish
