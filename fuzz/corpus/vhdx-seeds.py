#!/usr/bin/env python3
"""Builds the seed corpus of fuzz/fuzz_vhdx.c into fuzz/corpus/vhdx/.

Usage: fuzz/corpus/vhdx-seeds.py HVOFFLINE [OUTDIR]

Seeds are images made here by hvoffline and qemu-img (dynamic, fixed,
4 KiB sectors, a differencing child, qemu's ZERO-state blocks) plus one with
a dirty log crafted below, stored in the compact "VXFZ" form the target
reads (see fuzz_vhdx.c): only the non-zero 4 KiB pages of each file.
"""
import os
import struct
import subprocess
import sys
import tempfile
import uuid

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (POLY if c & 1 else 0)
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = (c >> 8) ^ TABLE[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


def compact(path, flags):
    data = open(path, 'rb').read()
    size = (len(data) + 0xFFFF) >> 16
    out = bytearray(b'VXFZ' + bytes([flags]) + struct.pack('<H', size))
    page = 4096
    pos = 0
    while pos < len(data):
        if data[pos:pos + page].count(0) == len(data[pos:pos + page]):
            pos += page
            continue
        end = pos
        while end < len(data) and end - pos < 15 * page and \
                data[end:end + page].count(0) != len(data[end:end + page]):
            end += page
        chunk = data[pos:end].rstrip(b'\0')
        out += struct.pack('<IH', pos, len(chunk)) + chunk
        pos = end
    return bytes(out)


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def dirty_log(path):
    """Adds a one-entry log to a clean image made by hvoffline (log at
    1 MiB, BAT at 3 MiB): the entry maps block 5 to a new MiB at the end
    of the file and zeroes a sector of block 0's payload."""
    f = bytearray(open(path, 'rb').read())
    new_block = len(f)
    f += b'\x5a' * 4096 + bytes((1 << 20) - 4096)
    guid = uuid.uuid4().bytes_le
    bat = bytearray(f[3 << 20:(3 << 20) + 4096])
    struct.pack_into('<Q', bat, 5 * 8, new_block | 6)
    seq = 7
    entry = bytearray(2 * 4096)
    pos = 0x2000
    struct.pack_into('<4sIIIQII16sQQ', entry, 0, b'loge', 0, len(entry),
                     pos, seq, 2, 0, guid, len(f), len(f))
    struct.pack_into('<4s4s8sQQ', entry, 64, b'desc', bytes(bat[4092:]),
                     bytes(bat[:8]), 3 << 20, seq)
    first = struct.unpack_from('<Q', f, (3 << 20))[0] & ~0xFFFFF
    struct.pack_into('<4sIQQQ', entry, 96, b'zero', 0, 4096,
                     first if first else (4 << 20), seq)
    struct.pack_into('<4sI', entry, 4096, b'data', seq >> 32)
    entry[4096 + 8:4096 + 4092] = bat[8:4092]
    struct.pack_into('<I', entry, 4096 + 4092, seq & 0xFFFFFFFF)
    struct.pack_into('<I', entry, 4, crc32c(entry))
    f[(1 << 20) + pos:(1 << 20) + pos + len(entry)] = entry
    for h in (64 << 10, 128 << 10):
        f[h + 48:h + 64] = guid
        struct.pack_into('<I', f, h + 4, 0)
        struct.pack_into('<I', f, h + 4, crc32c(f[h:h + 4096]))
    open(path, 'wb').write(f)


def main():
    hvo = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'vhdx')
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        def p(n):
            return os.path.join(t, n)
        data = p('data')
        open(data, 'wb').write(bytes(range(256)) * 8)
        seeds = {}
        run(hvo, '-q', 'vhdx', 'create', '--size', '32M', '--block-size',
            '1M', p('dyn.vhdx'))
        run(hvo, '-q', 'vhdx', 'write', '--offset', '5000', '--length',
            '9000', p('dyn.vhdx'), data)
        run(hvo, '-q', 'vhdx', 'write', '--offset', '31M', p('dyn.vhdx'),
            data)
        seeds['ours-dynamic'] = (p('dyn.vhdx'), 0)
        seeds['ours-dynamic-write'] = (p('dyn.vhdx'), 1)
        run(hvo, '-q', 'vhdx', 'create', '--type', 'fixed', '--size', '3M',
            '--block-size', '1M', p('fixed.vhdx'))
        seeds['ours-fixed'] = (p('fixed.vhdx'), 1)
        run(hvo, '-q', 'vhdx', 'create', '--size', '8M', '--block-size',
            '2M', '--logical-sector-size', '4096', p('4k.vhdx'))
        run(hvo, '-q', 'vhdx', 'write', '--offset', '12288', '--length',
            '5000', p('4k.vhdx'), data)
        seeds['ours-4k'] = (p('4k.vhdx'), 1)
        run(hvo, '-q', 'vhdx', 'create', '--size', '16M', '--block-size',
            '1M', p('base.vhdx'))
        run(hvo, '-q', 'vhdx', 'create', '--parent', p('base.vhdx'),
            '--block-size', '1M', p('child.avhdx'))
        run(hvo, '-q', 'vhdx', 'write', '--offset', '1536', '--length',
            '700', p('child.avhdx'), data)
        seeds['ours-differencing'] = (p('child.avhdx'), 1)
        run('qemu-img', 'create', '-q', '-f', 'vhdx', '-o',
            'block_size=1M', p('qemu.vhdx'), '12M')
        run('qemu-io', '-f', 'vhdx', '-c', 'write -P 0x11 1M 4k', '-c',
            'write -P 0x22 6000k 3k', p('qemu.vhdx'))
        seeds['qemu-dynamic'] = (p('qemu.vhdx'), 0)
        run(hvo, '-q', 'vhdx', 'create', '--size', '8M', '--block-size',
            '1M', p('dirty.vhdx'))
        run(hvo, '-q', 'vhdx', 'write', '--length', '4096', p('dirty.vhdx'),
            data)
        dirty_log(p('dirty.vhdx'))
        seeds['dirty-log'] = (p('dirty.vhdx'), 0)
        seeds['dirty-log-write'] = (p('dirty.vhdx'), 1)
        seeds['dirty-log-fixcrc'] = (p('dirty.vhdx'), 3)
        seeds['ours-differencing-fixcrc'] = (p('child.avhdx'), 2)
        for name, (path, flags) in seeds.items():
            with open(os.path.join(out, name), 'wb') as f:
                f.write(compact(path, flags))


main()
