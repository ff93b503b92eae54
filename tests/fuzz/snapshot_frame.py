#!/usr/bin/env python3
"""Writes the total-size field and the trailing FNV-1a 64 checksum of
snapshots anew, in place, as fuzz_snapshot's mutator does: for a
regression input edited by hand (lib/kernel/snapshot.c describes the
format).

    tests/fuzz/snapshot_frame.py FILE...
"""
import struct
import sys


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for p in paths:
        with open(p, 'rb') as f:
            d = bytearray(f.read())
        if len(d) < 24 or d[:4] != b'BATN':
            print('%s: not a snapshot' % p, file=sys.stderr)
            return 1
        struct.pack_into('<Q', d, 8, len(d))
        struct.pack_into('<Q', d, len(d) - 8, fnv1a64(d[:-8]))
        with open(p, 'wb') as f:
            f.write(d)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
