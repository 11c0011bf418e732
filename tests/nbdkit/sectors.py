#!/usr/bin/env python3
"""sectors.py - patterns and old-or-new checks for the kill -9 trials.

  sectors.py gen GEN SIZE FILE
      writes SIZE bytes to FILE: every 512-byte sector of generation GEN
      holds "hvo gen GEN sector N" (padded), so that any sector names the
      write it came from.
  sectors.py check OLD NEW GOT
      every 512-byte sector of GOT must equal the same sector of OLD or of
      NEW; prints the counts, exits 1 at the first sector that is neither.
"""
import sys

SECTOR = 512


def sector(gen, n):
    s = ("hvo gen %08d sector %012d\n" % (gen, n)).encode()
    return (s * (SECTOR // len(s) + 1))[:SECTOR]


def gen(g, size, path):
    with open(path, "wb") as f:
        chunk = []
        for n in range(size // SECTOR):
            chunk.append(sector(g, n))
            if len(chunk) == 2048:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))


def check(old_path, new_path, got_path):
    n_old = n_new = n_both = 0
    with open(old_path, "rb") as fo, open(new_path, "rb") as fn, \
            open(got_path, "rb") as fg:
        n = 0
        while True:
            o, w, g = fo.read(1 << 20), fn.read(1 << 20), fg.read(1 << 20)
            if not g and not o:
                break
            if len(o) != len(g) or len(w) != len(g):
                print("sizes differ at sector %d" % n, file=sys.stderr)
                return 1
            if g == w:
                n_new += len(g) // SECTOR
                n += len(g) // SECTOR
                continue
            if g == o:
                n_old += len(g) // SECTOR
                n += len(g) // SECTOR
                continue
            for i in range(0, len(g), SECTOR):
                gs = g[i:i + SECTOR]
                if gs == w[i:i + SECTOR]:
                    if gs == o[i:i + SECTOR]:
                        n_both += 1
                    else:
                        n_new += 1
                elif gs == o[i:i + SECTOR]:
                    n_old += 1
                else:
                    print("sector %d is neither old nor new: %r" %
                          (n, gs[:40]), file=sys.stderr)
                    return 1
                n += 1
    print("old %d new %d" % (n_old, n_new + n_both))
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "gen":
        gen(int(argv[2]), int(argv[3]), argv[4])
        return 0
    if len(argv) == 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
