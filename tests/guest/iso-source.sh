#!/bin/sh
# A vmguest.iso source on the native backend, read by our ISO 9660 reader
# (src/guest/iso9660.c) with no appliance:
#
#   1. ISOs in the vmguest.iso layout (support\amd64, support\x86) holding
#      the real packages of ../shared/fixtures/ic (grafted in place by
#      genisoimage, and by xorriso where installed; never copied): Joliet
#      + Rock Ridge, Rock Ridge alone, primary names alone (upper case);
#      `inspect --json` and `apply --dry-run --json` of ws2012-x64 choose
#      the same package as with the .cab itself;
#   2. no appliance is launched: the JSON says 0 launches, the run is
#      made with LIBGUESTFS_BACKEND=direct and LIBGUESTFS_HV pointing at
#      a qemu that does not exist (any launch would fail), and strace -f
#      records no execve but hvoffline's own;
#   3. malformed ISOs (truncated, a directory that loops to its parent, an
#      extent past the end, a bad descriptor) made by editing bytes of a
#      real one: exit 5 (corrupt input), a message naming the ISO, no
#      crash, the image untouched.
. "$HVO_TOP_SRCDIR/tests/lib/testlib.sh"
. "$HVO_TOP_SRCDIR/tests/guest/inspect-lib.sh"

fx=$(fixtures_dir)
need_tools genisoimage isoinfo jq sha256sum
need_images ws2012-x64
cab64=Windows6.2-HyperVIntegrationServices-x64.cab
cab86=Windows6.x-HyperVIntegrationServices-x86.cab
image=$T_TMP/ws2012-x64.vhdx
cp --sparse=always "$img/ws2012-x64.vhdx" "$image"

# No appliance can start: a launch would exec a qemu that is not there.
# (LeakSanitizer cannot run under ptrace: leaks are checked by the runs
# without strace.)
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_HV="$T_TMP/no-such-qemu"
export HVOFFLINE_BACKEND=native

# mkiso NAME OPTIONS...: genisoimage with the real cabinets grafted in.
mkiso() {
    _n=$1
    shift
    genisoimage -quiet "$@" -V VMGUEST -graft-points -o "$T_TMP/$_n.iso" \
        "support/amd64/$cab64=$fx/ic/$cab64" \
        "support/x86/$cab86=$fx/ic/$cab86" || t_fail "genisoimage $_n"
}
mkiso joliet-rr -J -r
mkiso rr -r
mkiso primary -iso-level 2
isos="joliet-rr rr primary"
if command -v xorriso >/dev/null; then
    xorriso -outdev "$T_TMP/xorriso.iso" -joliet on -rockridge on \
        -map "$fx/ic/$cab64" "/support/amd64/$cab64" \
        -map "$fx/ic/$cab86" "/support/x86/$cab86" >/dev/null 2>&1 ||
        t_fail "xorriso"
    isos="$isos xorriso"
else
    echo "note: xorriso missing: its ISO is left out" >&2
fi

# The oracle's view: isoinfo finds both packages in each ISO.
for i in $isos; do
    m=-R
    [ "$i" = primary ] && m=
    n=$(isoinfo $m -f -i "$T_TMP/$i.iso" 2>/dev/null | grep -ci '\.cab')
    expect_eq "$n" 2 "$i: isoinfo lists the two cabinets"
done

# ---- 1. the same choice as with the .cab ---------------------------------
run "$HVOFFLINE" --json inspect --source "$fx/ic/$cab64" "$image"
expect_rc 0 "inspect with the .cab"
expect_json '.images[0].packages | .name != null and .up_to_date == false' \
    "the .cab applies to ws2012-x64"
jq -c '.images[0].packages | {name, version, up_to_date}' \
    "$T_TMP/out" >"$T_TMP/want-inspect"
run "$HVOFFLINE" --json apply --dry-run --source "$fx/ic/$cab64" "$image"
expect_rc 0 "apply --dry-run with the .cab"
jq -c '.images[0] | {status, exit_code, package: (.package | {name, version, arch, identifier}), plan: (.plan | {package, version, package_id})}' \
    "$T_TMP/out" >"$T_TMP/want-apply"

snapshot "$image"
for i in $isos; do
    iso=$T_TMP/$i.iso
    sum=$(sha256sum <"$iso")
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f -qq -e trace=execve -o "$T_TMP/trace-$i" \
        "$HVOFFLINE" --json inspect --source "$iso" "$image"
    expect_rc 0 "$i: inspect --source ISO (native)"
    expect_json '.source.kind == "iso" and (.source.cabinets | length == 2)' \
        "$i: both cabinets read from the ISO"
    expect_json '.appliance.launches == 0' "$i: no appliance launch"
    jq -c '.images[0].packages | {name, version, up_to_date}' \
        "$T_TMP/out" >"$T_TMP/got"
    expect_json '.images[0].packages.applicable | test(":support/amd64/windows6.2.*[.]cab$"; "i")' \
        "$i: the package chosen is support/amd64's cabinet of the ISO"
    expect_eq "$(cat "$T_TMP/got")" "$(cat "$T_TMP/want-inspect")" \
        "$i: inspect chooses the package the .cab gives"
    expect_eq "$(grep -c execve "$T_TMP/trace-$i")" 1 \
        "$i: strace: one execve (hvoffline itself), no qemu"
    expect_no_grep "$T_TMP/trace-$i" "qemu\|supermin\|guestfsd" "$i: no qemu exec"

    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f -qq -e trace=execve -o "$T_TMP/trace-$i" \
        "$HVOFFLINE" --json apply --dry-run --source "$iso" "$image"
    expect_rc 0 "$i: apply --dry-run --source ISO (native)"
    expect_json '.appliance.launches == 0' "$i: apply: no appliance launch"
    jq -c '.images[0] | {status, exit_code, package: (.package | {name, version, arch, identifier}), plan: (.plan | {package, version, package_id})}' \
        "$T_TMP/out" >"$T_TMP/got"
    expect_eq "$(cat "$T_TMP/got")" "$(cat "$T_TMP/want-apply")" \
        "$i: apply --dry-run chooses as with the .cab"
    expect_eq "$(grep -c execve "$T_TMP/trace-$i")" 1 \
        "$i: apply: strace: one execve, no qemu"
    expect_eq "$(sha256sum <"$iso")" "$sum" "$i: the ISO is untouched"
done
# The same without strace, where LeakSanitizer runs, with the backend
# named on the command line (over an environment asking for the
# appliance).
HVOFFLINE_BACKEND=appliance run "$HVOFFLINE" --json inspect --backend native \
    --source "$T_TMP/joliet-rr.iso" "$image"
expect_rc 0 "inspect --backend native --source ISO, leak-checked"
expect_json '.appliance.launches == 0' "inspect --backend native: no launch"
HVOFFLINE_BACKEND=appliance run "$HVOFFLINE" --json apply --dry-run \
    --backend native --source "$T_TMP/joliet-rr.iso" "$image"
expect_rc 0 "apply --dry-run --backend native --source ISO, leak-checked"
expect_json '.appliance.launches == 0' "apply --dry-run --backend native: no launch"
expect_unchanged "the image is byte-identical after inspect and --dry-run"

# ---- 3. malformed ISOs ----------------------------------------------------
# Offsets in the primary-names ISO, as isoinfo reads them (-d, -l), so
# the edits do not depend on our own reader.
good=$T_TMP/primary.iso
blocks=$(isoinfo -d -i "$good" | sed -n 's/^Volume size is: //p')
[ -n "$blocks" ] || t_fail "isoinfo -d: no volume size"
# poke FILE OFFSET HEX...: writes bytes at OFFSET.
poke() {
    _f=$1 _o=$2
    shift 2
    printf "$(printf '\\%03o' $(for h in "$@"; do printf '%d ' "0x$h"; done))" |
        dd of="$_f" bs=1 seek="$_o" conv=notrunc status=none
}
# le32 N: the 4 little-endian bytes of N, as hex.
le32() {
    printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
        $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}
# The root directory's block, from the primary descriptor (ECMA-119 8.4:
# the root record at byte 156, its extent at 158).
root=$(od -An -tu4 -j $((16 * 2048 + 158)) -N4 "$good" | tr -d ' ')
# The SUPPORT record in the root: isoinfo -l names its extent ([ N 02]).
support=$(isoinfo -l -i "$good" | sed -n 's/.*\[ *\([0-9]*\) 02\] *SUPPORT *$/\1/p' | head -1)
[ -n "$support" ] || t_fail "isoinfo -l: no SUPPORT directory"

# bad NAME WHAT...: inspect with the broken ISO exits 5 and says WHAT.
bad() {
    _n=$1
    shift
    sum=$(sha256sum <"$T_TMP/$_n.iso")
    run "$HVOFFLINE" inspect --source "$T_TMP/$_n.iso" "$image"
    expect_rc 5 "$_n: corrupt input (exit 5)"
    expect_grep "$T_TMP/err" "$T_TMP/$_n.iso: .*$*" "$_n: the message names the ISO and says why"
    expect_no_grep "$T_TMP/err" "AddressSanitizer\|runtime error" "$_n: no crash"
    expect_eq "$(sha256sum <"$T_TMP/$_n.iso")" "$sum" "$_n: left as it was"
    run "$HVOFFLINE" apply --dry-run --source "$T_TMP/$_n.iso" "$image"
    expect_rc 5 "$_n: apply --dry-run: corrupt input (exit 5)"
}

head -c $((blocks * 2048 - 4096)) "$good" >"$T_TMP/truncated.iso"
bad truncated "truncated"

# The descriptor after the primary one (the set terminator) loses its
# "CD001" (sector 16's must stay: without it the file is no ISO at all).
cp "$good" "$T_TMP/baddesc.iso"
poke "$T_TMP/baddesc.iso" $((17 * 2048 + 1)) 58 58 58 58 58 # "XXXXX"
bad baddesc "CD001"

cp "$good" "$T_TMP/blocksize.iso"
poke "$T_TMP/blocksize.iso" $((16 * 2048 + 128)) b8 0b # 3000
bad blocksize "block size"

# The first record after "." and ".." of the root whose extent is
# SUPPORT's: pointed back at the root, the tree would loop.
off=$(od -An -tu1 -v -j $((root * 2048)) -N2048 "$good" | tr -s ' \n' '\n' | sed '/^$/d' |
    awk -v want="$support" 'BEGIN { o = 0; n = 0 }
        { b[n++] = $1 }
        END { while (o < n && b[o] > 0) {
                  e = b[o+2] + 256 * b[o+3] + 65536 * b[o+4] + 16777216 * b[o+5]
                  if (e == want) { print o; exit }
                  o += b[o] } }')
[ -n "$off" ] || t_fail "no SUPPORT record in the root"
cp "$good" "$T_TMP/loop.iso"
poke "$T_TMP/loop.iso" $((root * 2048 + off + 2)) $(le32 "$root")
bad loop "loop"

cp "$good" "$T_TMP/pastend.iso"
poke "$T_TMP/pastend.iso" $((root * 2048 + off + 2)) $(le32 $((blocks + 100)))
bad pastend "past the end"

t_finish
