#!/usr/bin/env python3
"""sdtool.py - Windows security descriptors for the shell tests, written
from [MS-DTYP] 2.4 independently of src/secdesc (which they judge).

A descriptor is written as a spec, one word per part:

    O=<SID> G=<SID> C=<control, hex> A=<type>:<flags hex>:<mask hex>:<SID>...

(the DACL's ACEs in order; types 0 allow, 1 deny).

  sdtool.py backup PATH=SPEC...   an ntfssecaudit backup file (for -s)
                                  setting each PATH's descriptor
  sdtool.py show                  reads `ntfssecaudit -v VOLUME FILE` on
                                  stdin and prints its descriptor as a spec
  sdtool.py userwrite             likewise, and prints "yes" when an allow
                                  ACE that takes effect grants Users,
                                  Everyone or Authenticated Users any right
                                  to write, delete or change the
                                  descriptor, else "no"
"""
import re
import struct
import sys

# FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_DELETE_CHILD,
# FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER, GENERIC_ALL,
# GENERIC_WRITE.
WRITE_BITS = 0x2 | 0x4 | 0x10 | 0x40 | 0x100 | 0x10000 | 0x40000 | \
    0x80000 | 0x10000000 | 0x40000000
USERS = {"S-1-5-32-545", "S-1-1-0", "S-1-5-11"}


def sid_bytes(s):
    p = s.split("-")
    if p[:2] != ["S", "1"]:
        raise SystemExit("sdtool: bad SID " + s)
    subs = [int(x) for x in p[3:]]
    return (struct.pack("<BB", 1, len(subs)) + int(p[2]).to_bytes(6, "big")
            + b"".join(struct.pack("<I", x) for x in subs))


def sid_text(b, off):
    n = b[off + 1]
    auth = int.from_bytes(b[off + 2:off + 8], "big")
    subs = struct.unpack_from("<%dI" % n, b, off + 8)
    return "S-1-%d" % auth + "".join("-%d" % x for x in subs)


def build(spec):
    owner = group = None
    control = 0
    aces = []
    for w in spec.split():
        k, v = w.split("=", 1)
        if k == "O":
            owner = v
        elif k == "G":
            group = v
        elif k == "C":
            control = int(v, 16)
        elif k == "A":
            t, f, m, s = v.split(":")
            sb = sid_bytes(s)
            aces.append(struct.pack("<BBHI", int(t), int(f, 16), 8 + len(sb),
                                    int(m, 16)) + sb)
    body = b"".join(aces)
    dacl = struct.pack("<BBHHH", 2, 0, 8 + len(body), len(aces), 0) + body
    o, g = sid_bytes(owner), sid_bytes(group)
    off_o = 20 + len(dacl)
    return (struct.pack("<BBHIIII", 1, 0, control | 0x8004, off_o,
                        off_o + len(o), 0, 20) + dacl + o + g)


def parse(b):
    rev, _, control, oo, og, osacl, od = struct.unpack_from("<BBHIIII", b, 0)
    words = []
    if oo:
        words.append("O=" + sid_text(b, oo))
    if og:
        words.append("G=" + sid_text(b, og))
    words.append("C=%04x" % control)
    aces = []
    if od:
        _, _, _, count, _ = struct.unpack_from("<BBHHH", b, od)
        off = od + 8
        for _ in range(count):
            t, f, size, mask = struct.unpack_from("<BBHI", b, off)
            aces.append((t, f, mask, sid_text(b, off + 8)))
            words.append("A=%d:%02x:%08x:%s" % aces[-1])
            off += size
    return " ".join(words), aces


def dump(b):
    out = []
    for i in range(0, len(b), 16):
        ch = b[i:i + 16]
        out.append("        %06x  %s" % (
            i, " ".join(ch[j:j + 4].hex() for j in range(0, len(ch), 4))))
    return "\n".join(out)


def read_dump(text):
    data = bytearray()
    for line in text.splitlines():
        m = re.match(r"^\s+([0-9a-f]{6})\s+((?:[0-9a-f]{2,8}\s*)+)$", line)
        if m is None:
            if data:
                break
            continue
        if int(m.group(1), 16) != len(data):
            raise SystemExit("sdtool: unexpected dump offset")
        data += bytes.fromhex("".join(m.group(2).split()))
    if not data:
        raise SystemExit("sdtool: no descriptor in the input")
    return bytes(data)


def main(argv):
    if len(argv) >= 2 and argv[1] == "backup":
        for a in argv[2:]:
            path, spec = a.split("=", 1)
            kind = "Directory" if path.endswith("/") else "File"
            print("%s %s" % (kind, path.rstrip("/")))
            print("Security key : none")
            print(dump(build(spec)))
        return 0
    if len(argv) == 3 and argv[1] == "spec":
        print(parse(build(argv[2]))[0])
        return 0
    if len(argv) == 2 and argv[1] in ("show", "userwrite"):
        text, aces = parse(read_dump(sys.stdin.read()))
        if argv[1] == "show":
            print(text)
        else:
            bad = [a for a in aces if a[0] == 0 and not a[1] & 0x08 and
                   a[3] in USERS and a[2] & WRITE_BITS]
            print("yes" if bad else "no")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
