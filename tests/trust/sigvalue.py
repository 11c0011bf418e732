#!/usr/bin/env python3
"""sigvalue.py CAB OUT: writes the SignerInfo's signature value of CAB's
Authenticode signature to OUT (the content a countersignature covers)."""
import struct
import sys


def tlv(b, o):
    tag, n = b[o], b[o + 1]
    if n < 0x80:
        return tag, o + 2, o + 2 + n
    k = n & 0x7F
    n = int.from_bytes(b[o + 2:o + 2 + k], "big")
    return tag, o + 2 + k, o + 2 + k + n


def children(b, start, end):
    out, o = [], start
    while o < end:
        t, s, e = tlv(b, o)
        out.append((t, o, s, e))
        o = e
    return out


cab = open(sys.argv[1], "rb").read()
off, size = struct.unpack_from("<II", cab, 44)
sig = cab[off:off + size]
_, s, e = tlv(sig, 0)
_, _, s, e = children(sig, s, e)[1]
_, s, e = tlv(sig, s)
sis = children(sig, s, e)[-1]
si = children(sig, sis[2], sis[3])[0]
val = [p for p in children(sig, si[2], si[3]) if p[0] == 0x04][0]
open(sys.argv[2], "wb").write(sig[val[2]:val[3]])
