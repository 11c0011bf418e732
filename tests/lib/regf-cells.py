#!/usr/bin/env python3
# regf-cells.py HIVE... - the cell space of registry hive files, read with
# this loop alone (not with hvoffline's reader): for each file one line
#   "<file bytes> <hive bins size> <bins> <allocated cell bytes> <free cell bytes>"
# Hive bins from offset 4096 ("hbin", size at +8, a multiple of 4096, per
# the regf specification); cells from +32 in each bin, a negative size
# allocated, a positive one free (sizes include the 4-byte header).
import struct
import sys


def cells(path):
    data = open(path, "rb").read()
    if data[:4] != b"regf":
        raise SystemExit(f"{path}: not a regf file")
    hbs = struct.unpack_from("<I", data, 40)[0]
    end = 4096 + hbs
    if end > len(data):
        raise SystemExit(f"{path}: hive bins size past the end")
    pos, nbins, alloc, free = 4096, 0, 0, 0
    while pos < end:
        if data[pos:pos + 4] != b"hbin":
            raise SystemExit(f"{path}: no hbin at {pos}")
        size = struct.unpack_from("<I", data, pos + 8)[0]
        if size < 4096 or size % 4096 or pos + size > end:
            raise SystemExit(f"{path}: bad bin size {size} at {pos}")
        c = pos + 32
        while c < pos + size:
            v = struct.unpack_from("<i", data, c)[0]
            n = -v if v < 0 else v
            if n < 8 or n % 8 or c + n > pos + size:
                raise SystemExit(f"{path}: bad cell size {v} at {c}")
            if v < 0:
                alloc += n
            else:
                free += n
            c += n
        pos += size
        nbins += 1
    return len(data), hbs, nbins, alloc, free


for p in sys.argv[1:]:
    print(*cells(p))
