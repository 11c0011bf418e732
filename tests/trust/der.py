"""der.py - the DER of an Authenticode signature, as far as the trust
test helpers (sigvalue.py, add-countersig.py) read and write it.  Test
helper only: no validation beyond what those helpers need."""
import struct


def tlv(b, o):
    """(tag, start of contents, end) of the DER element at o."""
    tag, n = b[o], b[o + 1]
    if n < 0x80:
        return tag, o + 2, o + 2 + n
    k = n & 0x7F
    n = int.from_bytes(b[o + 2:o + 2 + k], "big")
    return tag, o + 2 + k, o + 2 + k + n


def children(b, start, end):
    """(tag, start, start of contents, end) of each element in b[start:end]."""
    out, o = [], start
    while o < end:
        t, s, e = tlv(b, o)
        out.append((t, o, s, e))
        o = e
    return out


def enc(tag, body):
    """The DER element of tag with contents body."""
    n = len(body)
    if n < 0x80:
        h = bytes([tag, n])
    else:
        nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
        h = bytes([tag, 0x80 | len(nb)]) + nb
    return h + body


def cab_signature(cab):
    """(offset, bytes) of the signature a cabinet's header reserve names
    (offset and size at bytes 44 and 48 of the reserve's start)."""
    off, size = struct.unpack_from("<II", cab, 44)
    return off, cab[off:off + size]


def signed_data(b):
    """ContentInfo { OID, [0] { SignedData } }: the children of the
    ContentInfo and the children of its SignedData."""
    _, s, e = tlv(b, 0)
    ci = children(b, s, e)
    _, _, s, e = ci[1]
    _, s, e = tlv(b, s)
    return ci, children(b, s, e)


def first_signer_info(b, sd):
    """The first SignerInfo of the SignedData whose children are sd (its
    last child is the SET of SignerInfos)."""
    sis = sd[-1]
    return children(b, sis[2], sis[3])[0]
