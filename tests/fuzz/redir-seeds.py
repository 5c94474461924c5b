#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write seeds for fuzz-redir: console byte streams as amtterm 1.4 and
MeshCommander send them (docs/specs/vamt-redirection.rst), each behind
the harness's flags byte.

usage: redir-seeds.py OUT-DIR
"""
import os
import struct
import sys

START, LOGIN, SMALL, GUEST, SLOW, TIME, IDER, READS = \
    1, 2, 4, 8, 16, 32, 64, 128


def auth(kind, *items):
    data = b''.join(bytes([len(i)]) + i for i in items)
    return bytes([0x13, 0, 0, 0, kind]) + struct.pack('<I', len(data)) + data


def sol_start(seq, max_tx, hb):
    return (bytes([0x20, 0, 0, 0]) + struct.pack('<I', seq) +
            struct.pack('<6H', max_tx, 100, 0, 10000, 0, hb) + bytes(4))


def sol_data(seq, text):
    return (bytes([0x28, 0, 0, 0]) + struct.pack('<IH', seq, len(text)) +
            text)


start = bytes([0x10, 0, 0, 0]) + b'SOL '
heartbeat = bytes([0x2b, 0, 0, 0, 4, 0, 0, 0])
seeds = {
    # the whole of amtterm 1.4's session, the harness starting nothing
    'amtterm': bytes([0]) + start + auth(1, b'admin', b'P@ssw0rd') +
    sol_start(0, 1000, 5000) + sol_data(1, b'ls\r') + heartbeat +
    bytes([0x22, 0, 0, 0, 5, 0, 0, 0, 0x12, 0, 0, 0]),
    # after the harness's login: SOL as MeshCommander drives it
    'meshcommander': bytes([LOGIN | GUEST]) + sol_start(1, 10000, 0) +
    bytes([0x27, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0x1b, 0, 0, 0]) +
    sol_data(3, b'dir\r') + heartbeat,
    # Digest: MeshCommander's initial request
    'digest': bytes([START | SMALL]) + auth(0) +
    auth(4, b'admin', b'', b'', b'/RedirectionService', b'', b'', b'', b''),
    'slow-uart': bytes([LOGIN | SLOW | TIME]) + sol_start(0, 16, 100) +
    sol_data(1, b'x' * 200),
    # IDE-R as meshcmd starts it: 0x40, enable now, READ CAPACITY's answer
    'ider': bytes([LOGIN | IDER | READS]) +
    bytes.fromhex('400000000000000030750000204e01000000') +
    bytes.fromhex('48000000010000000319000000') +
    bytes.fromhex('5100000203000000000000000000000000000000'
                  '85000300000000b0500000000000') +
    bytes.fromhex('540000020400000000080000b5000200080000b0'
                  '5885000300000000b050000000000000') +
    bytes.fromhex('0000003f00000800'),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), 'wb') as f:
        f.write(data)
