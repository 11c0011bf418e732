#!/bin/sh
# The GNU parallel recipe of doc/fleet.md, run as written (extracted from
# the page between its recipe markers) over three test images: two
# ws2012 x64 copies and a Windows 7 x86 one, with the x64 package as the
# source.  Judged by parallel's job log (the exit code of each image),
# the collected JSON, and for one image by ntfscat (ntfsprogs, not our
# code): vmbus.sys holds the cabinet's bytes.  Then `-j 2` on the same
# images in one hvoffline: results in the order given, the highest exit
# code; -j takes a number.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"

fx=$(fixtures_dir)
img="$HVO_TOP_BUILDDIR/tests/fixtures/images"
for t in parallel jq ntfscat sfdisk cabextract sha256sum; do
    command -v $t >/dev/null || { echo "SKIP: $t is missing"; exit 77; }
done
[ -f "$img/ws2012-x64.vhdx" ] || { echo "FAIL: test images not built ($img)"; exit 99; }
cab="$fx/ic/Windows6.2-HyperVIntegrationServices-x64.cab"

# The recipe, as the page shows it.
sed -n '/<!-- recipe:begin -->/,/<!-- recipe:end -->/p' \
    "$HVO_TOP_SRCDIR/doc/fleet.md" | sed '1,2d;$d' | sed '$d' >"$T_TMP/recipe.sh"
expect_grep "$T_TMP/recipe.sh" '^parallel ' "the recipe is found in doc/fleet.md"

# `hvoffline` on PATH is the one just built; the native backend.
mkdir "$T_TMP/bin" "$T_TMP/a" "$T_TMP/b" "$T_TMP/c"
ln -s "$HVOFFLINE" "$T_TMP/bin/hvoffline"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/a/vm.vhdx"
cp --sparse=always "$img/ws2012-x64.vhdx" "$T_TMP/b/vm.vhdx"
cp --sparse=always "$img/win7-x86.vhdx" "$T_TMP/c/vm.vhdx"
printf '%s\n' "$T_TMP/a/vm.vhdx" "$T_TMP/b/vm.vhdx" "$T_TMP/c/vm.vhdx" >"$T_TMP/images"

T_RC=0
(PATH="$T_TMP/bin:$PATH" HVOFFLINE_BACKEND=native SOURCE="$cab" \
    OUT="$T_TMP/out-dir" JOBS=2 HOME="$T_TMP" \
    sh -e "$T_TMP/recipe.sh" <"$T_TMP/images") >"$T_TMP/out" 2>"$T_TMP/err" || T_RC=$?
expect_rc 0 "the recipe runs (parallel's failures are in its joblog)"
o="$T_TMP/out-dir"

# Exit codes, per image, from parallel's joblog.
expect_eq "$(wc -l <"$o/exit-codes")" 3 "one exit code per image"
for i in a b; do
    expect_eq "$(awk -F'\t' -v p="$T_TMP/$i/vm.vhdx" 'index($2, p) { print $1 }' "$o/exit-codes")" \
        0 "joblog: $i/vm.vhdx exit 0"
done
expect_eq "$(awk -F'\t' -v p="$T_TMP/c/vm.vhdx" 'index($2, p) { print $1 }' "$o/exit-codes")" \
    3 "joblog: c/vm.vhdx (x86 guest, x64 package) exit 3"

# Results, collected in one JSON array.
cp "$o/results.json" "$T_TMP/out"
expect_json 'length == 3' "results.json: three images"
expect_json "[.[] | select(.status == \"applied\" and .exit_code == 0)] | length == 2" \
    "results.json: two applied, exit 0"
expect_json ".[] | select(.image == \"$T_TMP/c/vm.vhdx\") | .status == \"not-applicable\" and .exit_code == 3" \
    "results.json: the x86 image is not-applicable, exit 3"

# An oracle that is not ours: vmbus.sys in a/vm.vhdx is the cabinet's.
want=$(cabextract -q -p -F '*wvmbus.inf*/vmbus.sys' "$cab" 2>/dev/null | sha256sum | cut -c1-64)
"$HVOFFLINE" vhdx read "$T_TMP/a/vm.vhdx" >"$T_TMP/a.disk"
start=$(sfdisk --json "$T_TMP/a.disk" | jq '.partitiontable.partitions[2].start')
size=$(sfdisk --json "$T_TMP/a.disk" | jq '.partitiontable.partitions[2].size')
dd if="$T_TMP/a.disk" of="$T_TMP/a.vol" bs=512 skip="$start" count="$size" status=none
rm -f "$T_TMP/a.disk"
expect_eq "$(ntfscat "$T_TMP/a.vol" /Windows/System32/drivers/vmbus.sys | sha256sum | cut -c1-64)" \
    "$want" "a/vm.vhdx: vmbus.sys has the cabinet's SHA-256 (ntfscat)"
rm -f "$T_TMP/a.vol"

# The same images with -j 2 in one process: verify, in the order given.
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json verify -j 2 --source "$cab" \
    "$T_TMP/c/vm.vhdx" "$T_TMP/a/vm.vhdx" "$T_TMP/b/vm.vhdx"
expect_rc 3 "verify -j 2: the highest exit code"
expect_json "[.images[].image] == [\"$T_TMP/c/vm.vhdx\", \"$T_TMP/a/vm.vhdx\", \"$T_TMP/b/vm.vhdx\"]" \
    "verify -j 2: results in the order given"
expect_json '[.images[].status] == ["not-applicable", "verified", "verified"]' \
    "verify -j 2: both applied images verify clean"

# -j takes a number: anything else is a usage error (2) before any image.
run "$HVOFFLINE" inspect -j two "$T_TMP/a/vm.vhdx"
expect_rc 2 "-j two: usage error"
expect_grep "$T_TMP/err" "--jobs: 'two' is not a number" "-j two: says why"
HVOFFLINE_BACKEND=native run "$HVOFFLINE" --json inspect --jobs 0 "$T_TMP/a/vm.vhdx" "$T_TMP/c/vm.vhdx"
expect_rc 0 "--jobs 0 (one per CPU): inspect"
expect_json '[.images[].status] == ["ok", "ok"]' "--jobs 0: both images inspected"

t_finish
