#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write seeds for fuzz-apf: what LMS, rpc-go and MeshAgent send on a
registered LME session (heci.md 5.5), as the harness's records
[op][u16 length][bytes]: op 0 one APF message, op 1 transport full (1)
or not (0), op 2 time passes.

usage: apf-seeds.py OUT-DIR
"""
import os
import struct
import sys

IDENTIFY = (b'POST /wsman HTTP/1.1\r\nHost: 127.0.0.1:16992\r\n'
            b'Content-Length: 211\r\n\r\n'
            b'<?xml version="1.0"?><s:Envelope '
            b'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:i="http://schemas.dmtf.org/wbem/wsman/identity/1/'
            b'wsmanidentity.xsd"><s:Header/><s:Body><i:Identify/>'
            b'</s:Body></s:Envelope>')


def string(s):
    return struct.pack('>I', len(s)) + s


def record(op, data):
    return bytes([op]) + struct.pack('<H', len(data)) + data


def msg(data):
    return record(0, data)


def pv():
    return msg(bytes([192]) + struct.pack('>III', 1, 0, 254) + bytes(80))


def channel_open(peer_id, window, port):
    return msg(bytes([90]) + string(b'forwarded-tcpip') +
               struct.pack('>III', peer_id, window, 0xffffffff) +
               string(b'127.0.0.1') + struct.pack('>I', port) +
               string(b'127.0.0.1') + struct.pack('>I', 50000 + peer_id))


def data(me_id, payload):
    return msg(bytes([94]) + struct.pack('>II', me_id, len(payload)) +
               payload)


def adjust(me_id, n):
    return msg(bytes([93]) + struct.pack('>II', me_id, n))


def close(me_id):
    return msg(bytes([97]) + struct.pack('>I', me_id))


SEEDS = {
    'identify': channel_open(1, 4096, 16992) + data(0, IDENTIFY),
    'dash-port': channel_open(2, 4096, 623) + data(0, IDENTIFY) + close(0),
    'one-byte-window': (channel_open(3, 1, 16992) + data(0, IDENTIFY) +
                        b''.join(adjust(0, 1) for _ in range(40))),
    'two-channels': (channel_open(4, 4096, 16992) +
                     channel_open(5, 4096, 16992) + data(1, IDENTIFY) +
                     data(0, IDENTIFY[:50]) + data(0, IDENTIFY[50:])),
    'not-reading': (channel_open(6, 0xffffffff, 16992) + record(1, b'\x01') +
                    data(0, IDENTIFY * 3) + record(2, b'\x05') +
                    record(1, b'\x00')),
    'resync': channel_open(7, 4096, 16992) + pv() + close(0),
    'keepalive': (msg(bytes([208]) + struct.pack('>I', 7)) +
                  msg(bytes([210]) + struct.pack('>II', 30, 90))),
    'idle': channel_open(8, 4096, 16992) + record(2, b'\x3c'),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, seed in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(seed)


if __name__ == '__main__':
    main()
