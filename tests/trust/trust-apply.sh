#!/bin/sh
# `hvoffline apply` and `verify` refuse a tampered, unsigned or untrusted
# source cabinet with exit 5 before anything is launched, naming the
# failure, and leave the image byte-identical.  No appliance: the check
# comes before the launch (an empty VHDX stands in for the image).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract gcab jq

fx=$(fixtures_dir)
ic="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
run "$HVOFFLINE" vhdx create --size 64M "$T_TMP/a.vhdx"
expect_rc 0 "an image to stand in"
sum=$(sha256sum "$T_TMP/a.vhdx")

cp "$ic" "$T_TMP/setid.cab"
chmod u+w "$T_TMP/setid.cab"
printf '\125' | dd of="$T_TMP/setid.cab" bs=1 seek=32 conv=notrunc 2>/dev/null
mkdir "$T_TMP/x"
(cd "$T_TMP/x" && cabextract -q "$ic" >/dev/null 2>&1 &&
    gcab -c "$T_TMP/repack.cab" $(find . -type f | sed 's|^\./||' | sort))

for cmd in apply verify; do
    run "$HVOFFLINE" --json $cmd --source "$T_TMP/setid.cab" "$T_TMP/a.vhdx"
    expect_rc 5 "$cmd: set ID changed: exit 5"
    expect_json '.appliance.launches == 0 and .images[0].exit_code == 5' \
        "$cmd: set ID changed: nothing launched"
    expect_grep "$T_TMP/err" 'setid.cab: signature tampered: digest mismatch' \
        "$cmd: set ID changed: the digest is named"
    run "$HVOFFLINE" --json $cmd --source "$T_TMP/repack.cab" "$T_TMP/a.vhdx"
    expect_rc 5 "$cmd: unsigned re-pack: exit 5"
    expect_json '.appliance.launches == 0' "$cmd: unsigned re-pack: nothing launched"
    expect_grep "$T_TMP/err" 'repack.cab: signature unsigned' \
        "$cmd: unsigned re-pack: named unsigned"
    run "$HVOFFLINE" --json $cmd --allow-unsigned --source "$T_TMP/setid.cab" "$T_TMP/a.vhdx"
    expect_rc 5 "$cmd: --allow-unsigned does not let a tampered cabinet through"
done
expect_eq "$(sha256sum "$T_TMP/a.vhdx")" "$sum" "the image is byte-identical"

t_finish
