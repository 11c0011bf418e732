#!/bin/sh
# Choice by identity and trust (issue 17): in a source directory, a signed
# integration-services package and an unsigned re-pack of it (cabextract,
# then gcab -c) side by side: the signed one is chosen, the re-pack is
# skipped as "unsigned" and reported so by `inspect --source --json` and
# `apply --dry-run --json`.  Exit codes (SERVICING.md sections 3.4 and 4):
# a directory whose only cabinets are refused (the re-pack alone; the demo
# package, signed by a root not given with --trust, beside a copy of the
# real package with its set ID changed) leaves no candidate: exit 3, each
# skip named; the same refused cabinets named alone as the source are
# corrupt input: exit 5.  Native backend: no appliance.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

need_tools cabextract gcab jq

fx=$(fixtures_dir)
ic="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"
need_images ws2012-x64
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a.vhdx"
sum=$(sha256sum "$T_TMP/a.vhdx")

mkdir "$T_TMP/src" "$T_TMP/x" "$T_TMP/only"
cp "$ic" "$T_TMP/src/signed.cab"
(cd "$T_TMP/x" && cabextract -q "$ic" >/dev/null 2>&1 &&
    gcab -c "$T_TMP/src/repack.cab" $(find . -type f | sed 's|^\./||' | sort))
cp "$T_TMP/src/repack.cab" "$T_TMP/only/repack.cab"

run "$HVOFFLINE" --json inspect --backend native --source "$T_TMP/src" "$T_TMP/a.vhdx"
expect_rc 0 "inspect: the directory is usable"
expect_json '.images[0].packages.applicable | endswith("signed.cab")' \
    "inspect: the signed package is chosen"
expect_json '.images[0].packages.candidates | map(select(.cabinet | endswith("repack.cab")))[0] | .verdict == "skipped" and .reason == "unsigned" and .applies == false' \
    "inspect: the re-pack is reported skipped as unsigned"
expect_grep "$T_TMP/err" 'repack.cab.*skipped: unsigned' "inspect: a notice names the skip"
expect_no_grep "$T_TMP/err" 'repack.cab: signature' "inspect: a skipped cabinet is not reported as an error"

run "$HVOFFLINE" --json apply --dry-run --backend native --source "$T_TMP/src" "$T_TMP/a.vhdx"
expect_rc 0 "apply --dry-run: the directory is usable"
expect_json '.images[0].package.cabinet | endswith("signed.cab")' \
    "apply --dry-run: the signed package is chosen"
expect_json '.images[0].packages.candidates | map(select(.cabinet | endswith("repack.cab")))[0] | .verdict == "skipped" and .reason == "unsigned"' \
    "apply --dry-run: the re-pack is reported skipped as unsigned"

run "$HVOFFLINE" --json inspect --backend native --source "$T_TMP/only/repack.cab" "$T_TMP/a.vhdx"
expect_rc 5 "inspect: the re-pack as the source: exit 5"
expect_grep "$T_TMP/err" 'repack.cab: signature unsigned' "inspect: a refused single cabinet is an error naming why"

run "$HVOFFLINE" --json apply --dry-run --backend native --source "$T_TMP/only" "$T_TMP/a.vhdx"
expect_rc 3 "apply: a directory of the re-pack alone: none left, exit 3"
expect_grep "$T_TMP/err" 'repack.cab.*skipped: unsigned' "apply: the skipped re-pack is named"
expect_json '.images[0].exit_code == 3' "apply: the image's exit code is 3"

# Untrusted and tampered candidates only: none left (3); named alone: 5.
demo="$HVO_TOP_BUILDDIR/tests/fixtures/icpkg/Hvoffline-Demo-x64.cab"
[ -f "$demo" ] || { echo "FAIL: $demo was not built (make fixture-icpkg)"; exit 99; }
mkdir "$T_TMP/untr"
cp "$demo" "$T_TMP/untr/demo.cab"
cp "$ic" "$T_TMP/untr/setid.cab"
chmod u+w "$T_TMP/untr/setid.cab"
printf '\125' | dd of="$T_TMP/untr/setid.cab" bs=1 seek=32 conv=notrunc 2>/dev/null
for cmd in inspect "apply --dry-run" apply; do
    run "$HVOFFLINE" --json $cmd --backend native --source "$T_TMP/untr" "$T_TMP/a.vhdx"
    expect_rc 3 "$cmd: only untrusted and tampered candidates: none left, exit 3"
    expect_grep "$T_TMP/err" 'demo.cab.*skipped: untrusted' "$cmd: the untrusted demo is named skipped"
    expect_grep "$T_TMP/err" 'setid.cab.*skipped: untrusted' "$cmd: the tampered copy is named skipped"
    for c in demo setid; do
        run "$HVOFFLINE" --json $cmd --backend native --source "$T_TMP/untr/$c.cab" "$T_TMP/a.vhdx"
        expect_rc 5 "$cmd: $c.cab named alone: exit 5"
        expect_grep "$T_TMP/err" "$c.cab: signature" "$cmd: $c.cab alone: the refusal names the signature"
    done
done

expect_eq "$(sha256sum "$T_TMP/a.vhdx")" "$sum" "the image is byte-identical"

t_finish
