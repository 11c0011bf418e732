#!/usr/bin/env python3
# native-gpt4k.py DISK START_LBA SECTORS - writes a GPT for 4096-byte
# logical sectors into the raw disk file DISK (whose size is kept): one
# "Basic data" partition of SECTORS sectors from START_LBA.  Written from
# the UEFI specification 2.10, section 5.3 (header and entry layout, CRC32
# of the entry array and of the header with its CRC field zero, the backup
# header at the last LBA and its entries just before it), independently of
# src/guest/ptable.c, whose 4 KiB reading test_native checks.
import os, struct, sys, uuid, zlib

SS = 4096
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = os.path.getsize(path)
last = size // SS - 1
NENT, ESZ = 128, 128
elbas = NENT * ESZ // SS  # sectors of the entry array
basic = uuid.UUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7").bytes_le
entry = basic + uuid.uuid4().bytes_le + struct.pack("<QQQ", start, start + count - 1, 0)
entry += "Basic".encode("utf-16-le").ljust(72, b"\0")
entries = entry.ljust(NENT * ESZ, b"\0")
ecrc = zlib.crc32(entries)
disk_guid = uuid.uuid4().bytes_le

def header(my, alt, elba):
    h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0,
                    my, alt, 2 + elbas, last - 1 - elbas, disk_guid, elba,
                    NENT, ESZ, ecrc)
    crc = zlib.crc32(h)
    return h[:16] + struct.pack("<I", crc) + h[20:]

# Protective MBR: one 0xEE partition over the disk (in sectors of SS).
mbr = bytearray(512)
mbr[446:462] = struct.pack("<BBBBBBBBII", 0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF,
                           1, min(last, 0xFFFFFFFF))
mbr[510:512] = b"\x55\xaa"
with open(path, "r+b") as f:
    f.write(mbr)
    f.seek(1 * SS); f.write(header(1, last, 2))
    f.seek(2 * SS); f.write(entries)
    f.seek((last - elbas) * SS); f.write(entries)
    f.seek(last * SS); f.write(header(last, 1, last - elbas))
