#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Take the ELF kernel out of an xz-compressed bzImage, so that QEMU can
# boot it directly through its PVH entry point.
#
#   extract-vmlinux.py BZIMAGE OUTPUT

import lzma
import sys

XZ_MAGIC = b'\xfd7zXZ\x00'


def extract(bzimage):
    start = bzimage.find(XZ_MAGIC)
    while start >= 0:
        try:
            elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(
                bzimage[start:])
        except lzma.LZMAError:
            elf = b''
        if elf.startswith(b'\x7fELF'):
            return elf
        start = bzimage.find(XZ_MAGIC, start + 1)
    raise SystemExit('extract-vmlinux: no xz-compressed ELF kernel found')


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: extract-vmlinux.py BZIMAGE OUTPUT')
    with open(sys.argv[1], 'rb') as f:
        elf = extract(f.read())
    with open(sys.argv[2], 'wb') as f:
        f.write(elf)


if __name__ == '__main__':
    main()
