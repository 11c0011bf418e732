#!/usr/bin/env python3
"""add-countersig.py CAB CS.DER OUT.cab TSA.DER

Adds a PKCS#9 countersignature to the Authenticode signature of CAB, the
older Authenticode timestamp that osslsigncode only makes through a
network time-stamping server: CS.DER is a detached PKCS#7 (certtool
--p7-sign --p7-detached --p7-time) over the SignerInfo's signature value,
whose SignerInfo becomes the unsigned attribute 1.2.840.113549.1.9.6;
TSA.DER, its signer's certificate, joins the signature's certificates.
The lengths of every enclosing structure are rewritten; the header
reserve's signature size (offset 48) follows.  Test helper only.
"""
import struct
import sys


def tlv(b, o):
    """(tag, start of contents, end) of the DER element at o."""
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


def enc(tag, body):
    n = len(body)
    if n < 0x80:
        h = bytes([tag, n])
    else:
        nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        h = bytes([tag, 0x80 | len(nb)]) + nb
    return h + body


cab = open(sys.argv[1], "rb").read()
cs = open(sys.argv[2], "rb").read()
tsa = open(sys.argv[4], "rb").read()
off, size = struct.unpack_from("<II", cab, 44)
sig = cab[off:off + size]

# ContentInfo { OID, [0] { SignedData } }
_, s, e = tlv(sig, 0)
ci = children(sig, s, e)
_, _, s, e = ci[1]
_, s, e = tlv(sig, s)  # SignedData
sd = children(sig, s, e)
certs_i = [i for i, c in enumerate(sd) if c[0] == 0xA0][0]
sis = sd[-1]
si = children(sig, sis[2], sis[3])[0]
si_parts = children(sig, si[2], si[3])

# The countersignature's SignerInfo.
_, s, e = tlv(cs, 0)
_, _, s, e = children(cs, s, e)[1]
_, s, e = tlv(cs, s)
cs_sd = children(cs, s, e)
_, _, s, e = cs_sd[-1]
cs_si = children(cs, s, e)[0]
cs_si_der = cs[cs_si[1]:cs_si[3]]

attr = enc(0x30, bytes.fromhex("06092a864886f70d010906") + enc(0x31, cs_si_der))
new_si_body = b"".join(sig[p[1]:p[3]] for p in si_parts if p[0] != 0xA1)
new_si = enc(0x30, new_si_body + enc(0xA1, attr))
parts = []
for i, c in enumerate(sd):
    if i == certs_i:
        parts.append(enc(0xA0, sig[c[2]:c[3]] + tsa))
    elif i == len(sd) - 1:
        parts.append(enc(0x31, new_si))
    else:
        parts.append(sig[c[1]:c[3]])
new_sd = enc(0x30, b"".join(parts))
new_ci = enc(0x30, sig[ci[0][1]:ci[0][3]] + enc(0xA0, new_sd))
pad = (-len(new_ci)) % 8
new_ci += b"\0" * pad
out = bytearray(cab[:off]) + new_ci
struct.pack_into("<I", out, 48, len(new_ci))
open(sys.argv[3], "wb").write(out)
