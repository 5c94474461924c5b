#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send one QMP command to a QEMU monitor socket and print the answer.

usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
"""

import json
import socket
import sys


def qmp(path, command, arguments=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        stream = sock.makefile("rw")
        json.loads(stream.readline())                    # greeting

        def execute(cmd, args=None):
            msg = {"execute": cmd}
            if args:
                msg["arguments"] = args
            stream.write(json.dumps(msg) + "\n")
            stream.flush()
            while True:
                reply = json.loads(stream.readline())
                if "event" not in reply:
                    return reply

        execute("qmp_capabilities")
        return execute(command, arguments)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    args = json.loads(sys.argv[3]) if len(sys.argv) == 4 else None
    reply = qmp(sys.argv[1], sys.argv[2], args)
    print(json.dumps(reply, indent=2))
    sys.exit(0 if "return" in reply else 1)
