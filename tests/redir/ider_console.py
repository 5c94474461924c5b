#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal IDE-R console: serve an ISO image to the ME's IDE-R CD.

usage: ider_console.py HOST PORT USER PASSWORD ISO SECONDS [STOP-FILE]

Starts an IDER session with the plain login, enables the device at once
(start mode NOW), then answers the ME's ATAPI commands from ISO for
SECONDS seconds, or until STOP-FILE exists (TEST UNIT READY, READ
CAPACITY, READ(10); anything else gets ILLEGAL REQUEST, as amtider and
MeshCommander answer it), and ends the session with 0x42.  Prints one line per event for the test's log.
"""
import os
import socket
import struct
import sys
import time


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("the ME closed the connection")
        data += chunk
    return data


def regs(mask, sector_count, status, error=0, bc=0):
    return bytes([mask, error, sector_count, 0, bc & 0xff, bc >> 8, 0xb0,
                  status])


def command_end(seq, sense=(0, 0, 0)):
    ok = sense == (0, 0, 0)
    out = regs(0x85, 3, 0x50) if ok else regs(0x87, 3, 0x51,
                                               error=sense[0] << 4)
    return (bytes([0x51, 0, 0, 2]) + struct.pack("<I", seq) +
            bytes([0, 0, 0, 0]) + regs(0, 0, 0) + out + bytes(sense))


def data_to_host(seq, data, last):
    n = len(data)
    return (bytes([0x54, 0, 0, 2 if last else 0]) + struct.pack("<I", seq) +
            bytes([0]) + struct.pack("<H", n) + bytes([0]) +
            regs(0xb5, 2, 0x58, bc=n) + regs(0x85, 3, 0x50) + bytes(6) +
            data)


def main():
    host, port, user, password, iso, seconds = sys.argv[1:7]
    stop_file = sys.argv[7] if len(sys.argv) > 7 else None
    image = open(iso, "rb").read()
    blocks = len(image) // 2048
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(b"\x10\x00\x00\x00IDER")
    reply = recv_exact(s, 13)
    print("start status", reply[1], flush=True)
    if reply[1]:
        return 1
    auth = bytes([len(user)]) + user.encode() + bytes([len(password)]) + \
        password.encode()
    s.sendall(bytes([0x13, 0, 0, 0, 1]) + struct.pack("<I", len(auth)) + auth)
    reply = recv_exact(s, 9)
    print("login status", reply[1], flush=True)
    if reply[1]:
        return 1
    # MeshCommander's: rx timeout 30 s, heartbeat 20 s, version 1
    s.sendall(bytes.fromhex("400000000000000030750000204e01000000"))
    reply = recv_exact(s, 30)
    print("StartIDERRedirection status", reply[1], flush=True)
    s.sendall(bytes.fromhex("48000000010000000319000000"))
    reply = recv_exact(s, 13)
    print("DisableEnableFeatures reply", reply.hex(), flush=True)
    seq = 2
    end = time.monotonic() + float(seconds)
    reads = 0
    s.settimeout(0.5)
    while time.monotonic() < end and not (stop_file and
                                          os.path.exists(stop_file)):
        try:
            kind = recv_exact(s, 1)[0]
        except socket.timeout:
            continue
        s.settimeout(30)
        if kind == 0x50:
            msg = bytes([kind]) + recv_exact(s, 27)
            cdb = msg[16:28]
            if cdb[0] == 0x00:
                s.sendall(command_end(seq))
            elif cdb[0] == 0x25:
                s.sendall(data_to_host(seq, struct.pack(">II", blocks - 1,
                                                        2048), True))
            elif cdb[0] == 0x28:
                lba, count = struct.unpack(">I", cdb[2:6])[0], \
                    struct.unpack(">H", cdb[7:9])[0]
                data = image[lba * 2048:(lba + count) * 2048]
                reads += 1
                for off in range(0, len(data), 8192):
                    chunk = data[off:off + 8192]
                    s.sendall(data_to_host(seq, chunk,
                                           off + 8192 >= len(data)))
                    seq += 1
                if not data:
                    s.sendall(command_end(seq, (5, 0x21, 0)))
            else:
                s.sendall(command_end(seq, (5, 0x20, 0)))
            seq += 1
        elif kind == 0x46:
            recv_exact(s, 8)
            s.sendall(struct.pack("<4sI", b"\x47\x00\x00\x00", seq))
            seq += 1
            print("reset", flush=True)
        elif kind in (0x4b, 0x45, 0x43):
            recv_exact(s, 7)
        elif kind == 0x49:
            recv_exact(s, 12)
        else:
            print("unexpected message 0x%02x" % kind, flush=True)
            return 1
        s.settimeout(0.5)
    print("served %d reads" % reads, flush=True)
    s.settimeout(5)
    s.sendall(struct.pack("<4sI", b"\x42\x00\x00\x00", seq))
    try:
        while recv_exact(s, 1)[0] != 0x43:
            pass
        print("ended", flush=True)
    except (EOFError, OSError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
