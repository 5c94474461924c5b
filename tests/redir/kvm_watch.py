#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Keep one KVM session (KVMR, plain login) open and watch the screen.

usage: kvm_watch.py REDIR_PORT PASSWORD STATUS_FILE

Takes every update (RAW, 32 bits per pixel, DesktopSize) into its own
picture and rewrites STATUS_FILE after each one, as one line:

    updates=N size=WxH lit=L black_seen=B lit_after_black=A open=1

lit: pixels that are not black now; black_seen: the whole screen was
black at some update (the VM off); lit_after_black: a lit screen came
after that (the VM on again).  open=0 once the ME closed the session.
Runs until killed.
"""

import os
import socket
import struct
import sys


def recv(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def login(port, password):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\x10\x01\x00\x00KVMR")
    recv(s, 13)
    items = b"\x05admin" + bytes([len(password)]) + password
    s.sendall(bytes([0x13, 0, 0, 0, 1]) + struct.pack("<I", len(items)) +
              items)
    if recv(s, 9)[1] != 0:
        raise RuntimeError("login refused")
    s.sendall(b"\x40" + bytes(7))
    if recv(s, 8)[1] != 0:
        raise RuntimeError("KVM refused")
    recv(s, 12)
    s.sendall(b"RFB 003.008\n")
    recv(s, 2)
    s.sendall(b"\x01")
    recv(s, 4)
    s.sendall(b"\x01")
    init = recv(s, 24)
    recv(s, struct.unpack(">I", init[20:24])[0])
    s.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255,
                          16, 8, 0))
    s.sendall(struct.pack(">BxHii", 2, 2, 0, -223))
    return s, struct.unpack(">HH", init[:4])


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip())
    s, (w, h) = login(int(argv[1]), argv[2].encode())
    status = argv[3]
    fb = bytearray(w * h * 4)
    updates = 0
    black_seen = lit_after_black = False

    def report(is_open):
        lit = sum(1 for i in range(0, len(fb), 4) if fb[i:i + 3] != b"\0\0\0")
        with open(status + ".tmp", "w") as f:
            f.write("updates=%d size=%dx%d lit=%d black_seen=%d "
                    "lit_after_black=%d open=%d\n" %
                    (updates, w, h, lit, black_seen, lit_after_black,
                     is_open))
        os.replace(status + ".tmp", status)
        return lit

    report(1)
    try:
        s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
        while True:
            if recv(s, 1)[0] != 0:
                raise RuntimeError("unexpected message")
            for _ in range(struct.unpack(">xH", recv(s, 3))[0]):
                x, y, rw, rh, enc = struct.unpack(">HHHHi", recv(s, 12))
                if enc == -223:
                    w, h = rw, rh
                    fb = bytearray(w * h * 4)
                    continue
                data = recv(s, rw * rh * 4)
                for row in range(rh):
                    at = ((y + row) * w + x) * 4
                    fb[at:at + rw * 4] = data[row * rw * 4:(row + 1) * rw * 4]
            updates += 1
            lit = report(1)
            if not lit:
                black_seen = True
            elif black_seen:
                lit_after_black = True
            report(1)
            s.sendall(struct.pack(">BBHHHH", 3, 1, 0, 0, w, h))
    except (ConnectionError, OSError):
        report(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
