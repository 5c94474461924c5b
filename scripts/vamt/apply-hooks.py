#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Insert the few lines that hook vAMT into QEMU's own build files.

Each hook is an anchored insertion: the anchor line must exist exactly once,
the new line goes right after it, and a re-run finds the line already there
and does nothing.  A missing anchor is an error that names file and anchor,
so a QEMU update that moved things fails loudly instead of building without
vAMT.  A line an older version of a hook inserted (RETIRED) is removed first,
so a tree hooked before builds with the current hooks.
"""

import sys
from pathlib import Path

# (file, anchor line, line to insert after it)
HOOKS = [
    ("hw/meson.build", "subdir('uefi')", "subdir('vamt')"),
    # the ME's endpoint on the guest's NIC, after hw/ (it uses hw/vamt/me)
    ("net/meson.build", "subdir('can')", "subdir('vamt')"),
    # libxml2 the way QEMU wires an optional library: a dependency and a
    # host Kconfig symbol that the device depends on
    ("meson.build", "libcbor = not_found",
     "libxml2 = dependency('libxml-2.0', required: false, method: 'pkg-config')"),
    ("meson.build", "  (libcbor.found() ? ['CONFIG_LIBCBOR=y'] : []) + \\",
     "  (libxml2.found() ? ['CONFIG_LIBXML2=y'] : []) + \\"),
    ("meson.build", "summary_info += {'libcbor support':   libcbor}",
     "summary_info += {'libxml2 support':   libxml2}"),
    ("Kconfig.host", "# meson.build: these two need to be kept in sync.",
     "\nconfig LIBXML2\n    bool"),
    ("hw/Kconfig", "source uefi/Kconfig", "source vamt/Kconfig"),
    ("meson.build", "    'hw/uefi',", "    'hw/vamt',"),
    ("qapi/meson.build", "    'uefi',", "    'vamt',"),
    ("qapi/qapi-schema.json", "{ 'include': 'uefi.json' }",
     "{ 'include': 'vamt.json' }"),
    # one qtest per interface: the MEI device, the web service, the NVRAM
    ("tests/qtest/meson.build", "qtests_i386 = \\",
     "  (config_all_devices.has_key('CONFIG_VAMT') ?\n"
     "   ['vamt-heci-test', 'vamt-web-test', 'vamt-nvram-test'] : []) + \\"),
    # their helpers, and the Digest client the unit tests share (glib only)
    ("tests/qtest/libqos/meson.build", "        'libqos-pc.c',",
     "        'vamt.c',\n        '../../common/vamt-digest-client.c',"),
    ("docs/system/device-emulation.rst", "   devices/igb.rst",
     "   devices/vamt.rst"),
    ("docs/specs/index.rst", "   rocker", "   vamt-heci"),
    ("docs/specs/index.rst", "   vamt-heci", "   vamt-wsman"),
    ("docs/specs/index.rst", "   vamt-wsman", "   vamt-redirection"),
    ("docs/specs/index.rst", "   vamt-redirection", "   vamt-nic"),
    ("docs/devel/index-internals.rst", "   uefi-vars", "   vamt"),
]

# (file, line) that an older version of a hook inserted: a tree hooked
# before keeps building only if the line goes again
RETIRED = [
    ("tests/qtest/meson.build",
     "  (config_all_devices.has_key('CONFIG_VAMT') ? ['vamt-test'] : []) + \\"),
]


def retire(tree: Path) -> None:
    for rel, line in RETIRED:
        path = tree / rel
        try:
            lines = path.read_text().split("\n")
        except OSError:
            continue    # apply() reports a missing file
        if line in lines:
            lines.remove(line)
            path.write_text("\n".join(lines))
            print(f"apply-hooks: {rel}: removed {line.strip()!r}")


def apply(tree: Path) -> int:
    errors = 0
    retire(tree)
    for rel, anchor, line in HOOKS:
        path = tree / rel
        try:
            text = path.read_text()
        except OSError as e:
            print(f"apply-hooks: {rel}: {e.strerror}", file=sys.stderr)
            errors += 1
            continue
        # a multi-line insertion is found again as a whole
        if f"\n{line}\n" in f"\n{text}\n":
            continue
        lines = text.split("\n")
        hits = [i for i, ln in enumerate(lines) if ln == anchor]
        if len(hits) != 1:
            print(f"apply-hooks: {rel}: anchor {anchor!r} found {len(hits)} "
                  "times, expected once; QEMU's tree has changed, update "
                  "scripts/vamt/apply-hooks.py", file=sys.stderr)
            errors += 1
            continue
        lines.insert(hits[0] + 1, line)
        path.write_text("\n".join(lines))
        print(f"apply-hooks: {rel}: inserted {line.strip()!r}")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: apply-hooks.py QEMU_SOURCE_TREE", file=sys.stderr)
        sys.exit(2)
    sys.exit(apply(Path(sys.argv[1])))
