#!/bin/sh
# `hvoffline apply` and `verify` refuse a tampered (set ID changed, or one
# byte of the signature value flipped), unsigned or untrusted source
# cabinet with exit 5 before anything is launched, naming the failure, and
# `inspect --source` refuses them with exit 5 too; the image is left
# byte-identical.  No appliance: the check
# comes before the launch (an empty VHDX stands in for the image).
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract gcab jq openssl

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
# One byte of the SignerInfo's signature value flipped.
. "$HVO_TOP_SRCDIR/tests/trust/tamper.sh"
flip_signature "$ic" "$T_TMP/sig.cab"
expect_eq "$?" 0 "the signature value is found in the SignerInfo"
expect_eq "$(cmp -l "$ic" "$T_TMP/sig.cab" | wc -l)" 1 "sig.cab differs in one byte"

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
    run "$HVOFFLINE" --json $cmd --source "$T_TMP/sig.cab" "$T_TMP/a.vhdx"
    expect_rc 5 "$cmd: signature value flipped: exit 5"
    expect_json '.appliance.launches == 0 and .images[0].exit_code == 5' \
        "$cmd: signature value flipped: nothing launched"
    expect_grep "$T_TMP/err" 'sig.cab: signature .*does not verify' \
        "$cmd: signature value flipped: the signature is named"
done
# inspect --source refuses each of them as well, naming why, before
# anything is launched or any image opened, on either backend (the
# appliance would otherwise be launched to inspect the image).
for c in "setid:signature tampered: digest mismatch" \
    "sig:signature .*does not verify" "repack:signature unsigned"; do
    for b in native appliance; do
        run "$HVOFFLINE" --json inspect --backend $b --source "$T_TMP/${c%%:*}.cab" "$T_TMP/a.vhdx"
        expect_rc 5 "inspect --backend $b --source ${c%%:*}.cab: exit 5"
        expect_grep "$T_TMP/err" "${c%%:*}.cab: ${c#*:}" "inspect --backend $b --source ${c%%:*}.cab: ${c#*:}"
        expect_json '.appliance.launches == 0 and .images[0].status == "error" and .images[0].problems[0].code == "source-refused"' \
            "inspect --backend $b --source ${c%%:*}.cab: nothing launched, the image not opened"
    done
done
expect_eq "$(sha256sum "$T_TMP/a.vhdx")" "$sum" "the image is byte-identical"

t_finish
