#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build MeshCmd for Linux the way MeshCentral's server builds it.

usage: build-meshcmd.py MESHCENTRAL-PACKAGE-DIR OUTPUT

MeshCentral (1.1.55: meshcentral.js updateMeshCmd, exeHandler.js
streamExeWithJavaScript) serves MeshCmd as its agent binary with a script
appended: the modules of agents/modules_meshcmd, each registered with
addModule(), then agents/meshcmd.js with its version filled in, then the
script's length (u32, big-endian) and the 16-byte marker the agent looks
for at its end.  This does the same for agents/meshagent_x86-64.
"""

import json
import os
import struct
import sys

SCRIPT_MARKER = bytes.fromhex("B996015880544A19B7F7E9BE44914C18")
ESCAPES = {"'": "\\'", '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f",
           "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def js_string(text):
    """A module's source as a JavaScript string literal's contents; the
    server keeps printable ASCII and these escapes and drops the rest."""
    return "".join(ESCAPES.get(c, c if 32 <= ord(c) <= 127 else "")
                   for c in text)


def script(pkg):
    version = json.load(open(os.path.join(pkg, "package.json")))["version"]
    parts = ["var addedModules = [];\r\n"]
    modules = os.path.join(pkg, "agents", "modules_meshcmd")
    for f in sorted(os.listdir(modules)):
        if not f.lower().endswith(".js"):
            continue
        name = f[:-3]
        if name.endswith(".min"):
            name = name[:-4]
        src = open(os.path.join(modules, f), "rb").read().decode("latin-1")
        parts.append('try { addModule("%s", "%s"); addedModules.push("%s"); '
                     '} catch (ex) { }\r\n' % (name, js_string(src), name))
    main = open(os.path.join(pkg, "agents", "meshcmd.js"),
                "rb").read().decode("utf-8")
    parts.append(main.replace("'***Mesh*Cmd*Version***'",
                              "'%s'" % version, 1))
    return "".join(parts).encode("utf-8")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    pkg, out = sys.argv[1], sys.argv[2]
    js = script(pkg)
    with open(os.path.join(pkg, "agents", "meshagent_x86-64"), "rb") as f:
        agent = f.read()
    with open(out, "wb") as f:
        f.write(agent + js + struct.pack(">I", len(js)) + SCRIPT_MARKER)
    os.chmod(out, 0o755)


if __name__ == "__main__":
    main()
