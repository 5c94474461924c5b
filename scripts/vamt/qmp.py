#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one QMP command to a QEMU monitor socket and print the answer.

usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
       qmp.py --events SOCKET    print each event, one JSON line, until
                                 QEMU ends (a monitor of its own)

As a module, Qmp is a QMP connection for scripts that send many commands
(tests/adversary/attack.py).
"""

import json
import socket
import sys
import time


class Qmp:
    """A QMP connection; waits up to @wait_s for the socket to appear."""

    def __init__(self, path, wait_s=0.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)
        self.stream = self.sock.makefile("rw")
        json.loads(self.stream.readline())              # greeting
        self.execute("qmp_capabilities")

    def execute(self, cmd, args=None):
        """The command's reply, events skipped."""
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        self.stream.write(json.dumps(msg) + "\n")
        self.stream.flush()
        while True:
            line = self.stream.readline()
            if not line:
                raise ConnectionError("QMP closed")
            reply = json.loads(line)
            if "event" not in reply:
                return reply

    def events(self):
        """Each event QEMU sends, until the connection ends."""
        for line in self.stream:
            reply = json.loads(line)
            if "event" in reply:
                yield reply

    def close(self):
        self.sock.close()


def qmp(path, command, arguments=None):
    q = Qmp(path)
    try:
        return q.execute(command, arguments)
    finally:
        q.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--events":
        for event in Qmp(sys.argv[2], wait_s=30).events():
            print(json.dumps(event), flush=True)
        sys.exit(0)
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    args = json.loads(sys.argv[3]) if len(sys.argv) == 4 else None
    reply = qmp(sys.argv[1], sys.argv[2], args)
    print(json.dumps(reply, indent=2))
    sys.exit(0 if "return" in reply else 1)
