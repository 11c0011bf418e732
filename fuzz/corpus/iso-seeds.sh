#!/bin/sh
# iso-seeds.sh: makes fuzz/corpus/iso/ again (fuzz_iso.c's seeds): small
# genisoimage images in the vmguest.iso layout (support/<arch>/*.cab,
# with tiny stand-in files, not real cabinets), each with its system area
# (the first 16 sectors, 32 KiB of zeroes) cut, as fuzz_iso.c expects:
# Joliet + Rock Ridge, Joliet alone (and with long names), Rock Ridge
# alone, primary names alone (levels 1 and 4), each with a tree deeper
# than ECMA-119's 8 levels, and a multi-extent file built byte by byte
# (below).
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

# A multi-extent file (genisoimage splits only files over 4 GiB): the
# image test_iso9660.c builds byte by byte, primary and Joliet trees
# with /big.bin in two extents (2048 + 100 bytes) and /Support/hello.txt.
python3 - "$out/multi-extent" <<'PY'
import struct, sys
SEC, N = 2048, 32
img = bytearray(N * SEC)
def both16(v): return struct.pack('<H', v) + struct.pack('>H', v)
def both32(v): return struct.pack('<I', v) + struct.pack('>I', v)
def record(extent, size, flags, name):
    n = len(name)
    r = bytearray(33 + n + (n % 2 == 0))
    r[0] = len(r)
    r[2:10] = both32(extent)
    r[10:18] = both32(size)
    r[18] = 126
    r[25] = flags
    r[28:32] = both16(1)
    r[32] = n
    r[33:33 + n] = name
    return r
def directory(sector, parent, entries):
    b = record(sector, SEC, 2, b'\0') + record(parent, SEC, 2, b'\1')
    for e in entries:
        b += record(*e)
    img[sector * SEC:sector * SEC + len(b)] = b
def descriptor(sector, kind, root, escapes=b''):
    v = bytearray(SEC)
    v[0] = kind
    v[1:6] = b'CD001'
    v[6] = 1
    v[80:88] = both32(N)
    v[88:88 + len(escapes)] = escapes
    v[120:124] = both16(1)
    v[124:128] = both16(1)
    v[128:132] = both16(SEC)
    r = record(root, SEC, 2, b'\0')
    v[156:156 + len(r)] = r
    v[881] = 1
    img[sector * SEC:(sector + 1) * SEC] = v
def ucs2(s): return s.encode('utf-16-be')
descriptor(16, 1, 20)
descriptor(17, 2, 22, b'%/E')
img[18 * SEC:18 * SEC + 7] = b'\xffCD001\x01'
directory(20, 20, [(25, SEC, 0x80, b'BIG.BIN;1'), (26, 100, 0, b'BIG.BIN;1'),
                   (21, SEC, 2, b'SUPPORT')])
directory(21, 20, [(24, 5, 0, b'HELLO.TXT;1')])
directory(22, 22, [(25, SEC, 0x80, ucs2('big.bin;1')),
                   (26, 100, 0, ucs2('big.bin;1')),
                   (23, SEC, 2, ucs2('Support'))])
directory(23, 22, [(24, 5, 0, ucs2('hello.txt;1'))])
img[24 * SEC:24 * SEC + 5] = b'hello'
img[25 * SEC:26 * SEC] = b'A' * SEC
img[26 * SEC:26 * SEC + 100] = b'B' * 100
open(sys.argv[1], 'wb').write(img[16 * SEC:])
PY
