#!/bin/sh
# iso-seeds.sh: makes fuzz/corpus/iso/ again (fuzz_iso.c's seeds): small
# genisoimage images in the vmguest.iso layout (support/<arch>/*.cab,
# with tiny stand-in files, not real cabinets), each with its system area
# (the first 16 sectors, 32 KiB of zeroes) cut, as fuzz_iso.c expects:
# Joliet + Rock Ridge, Joliet alone (and with long names), Rock Ridge
# alone, primary names alone (levels 1 and 4), each with a tree deeper
# than ECMA-119's 8 levels.  genisoimage splits only files over 4 GiB, so
# multi-extent files come from the unit test's hand-built images
# (tests/guest/test_iso9660.c), not from a seed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/iso
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/tree/support/amd64" "$t/tree/support/x86" "$t/tree/a/b/c/d/e/f/g/h/i"
printf 'MSCF-x64' >"$t/tree/support/amd64/Windows6.2-HyperVIntegrationServices-x64.cab"
printf 'MSCF-x86' >"$t/tree/support/x86/Windows6.x-HyperVIntegrationServices-x86.cab"
printf 'deep' >"$t/tree/a/b/c/d/e/f/g/h/i/deep.txt"
printf 'Mixed Case Name' >"$t/tree/support/Read Me.txt"
mk() { # NAME OPTIONS...
    name=$1
    shift
    genisoimage -quiet -no-pad "$@" -o "$t/$name.iso" "$t/tree" 2>/dev/null
    tail -c +32769 "$t/$name.iso" >"$out/$name"
}
mkdir -p "$out"
mk joliet-rr -J -r -V VMGUEST
mk joliet -J -V VMGUEST
mk rr -r -V VMGUEST
mk primary-l1 -V VMGUEST
mk primary-l4 -iso-level 4 -V VMGUEST
mk joliet-long -J -joliet-long -V VMGUEST
