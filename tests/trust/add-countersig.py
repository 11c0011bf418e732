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

sys.dont_write_bytecode = True  # nothing written beside the sources
# pylint: disable=wrong-import-position
from der import cab_signature, children, enc, first_signer_info, signed_data

cab = open(sys.argv[1], "rb").read()
cs = open(sys.argv[2], "rb").read()
tsa = open(sys.argv[4], "rb").read()
off, sig = cab_signature(cab)
ci, sd = signed_data(sig)
certs_i = [i for i, c in enumerate(sd) if c[0] == 0xA0][0]
si = first_signer_info(sig, sd)
si_parts = children(sig, si[2], si[3])

# The countersignature's SignerInfo.
_, cs_sd = signed_data(cs)
cs_si = first_signer_info(cs, cs_sd)
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
