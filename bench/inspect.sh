#!/bin/sh
# bench/inspect.sh - `hvoffline inspect` against virt-inspector (libguestfs'
# own inspection), in the same run on the same images, alternating them:
#   - one image (the Windows 7 test image): one launch each;
#   - three images (Windows 7, Server 2012, XP): hvoffline opens them in one
#     appliance launch, virt-inspector needs one launch per image.
# Both use the direct backend and the accelerator this host's cache says
# works (TCG where KVM is broken), so they launch alike.  Wall time and
# peak RSS, best of $INSPECT_BENCH_RUNS runs (default 1: a TCG launch takes
# about 20 s).  Needs the test images: `make fixture-images`.
. "$(dirname "$0")/lib.sh"

RUNS=${INSPECT_BENCH_RUNS:-1}
IMG=$HVO_TOP_BUILDDIR/tests/fixtures/images
b_need virt-inspector
b_need_file "$IMG/win7-x86.vhdx" "run 'make fixture-images' first"

b_direct
peer_env="LIBGUESTFS_BACKEND_SETTINGS=$B_ACCEL"

cat >"$B_TMP/peer.sh" <<'PEER'
for img in "$@"; do
    virt-inspector --format=vhdx -a "$img" >/dev/null || exit 1
done
PEER

one="$IMG/win7-x86.vhdx"
three="$IMG/win7-x86.vhdx $IMG/ws2012-x64.vhdx $IMG/winxp-x86.vhdx"
for set in one three; do
    eval "imgs=\$$set"
    # shellcheck disable=SC2086
    ours=$(b_best "$RUNS" "$HVOFFLINE" -q inspect $imgs)
    # shellcheck disable=SC2086
    peer=$(b_best "$RUNS" env $peer_env sh "$B_TMP/peer.sh" $imgs)
    echo "$set image(s): hvoffline inspect ${ours% *} s (${ours#* } KiB)," \
        "virt-inspector ${peer% *} s (${peer#* } KiB)," \
        "time ratio $(b_ratio "${ours% *}" "${peer% *}")"
done
