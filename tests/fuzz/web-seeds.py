#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Seed corpus for fuzz-web from the captured console requests: each one
# whole, as the HTTP path sees it (mode byte 0), and its SOAP body alone
# for the path it was sent to (mode byte 1, then the path's index in
# fuzz-web.c's soap_paths).
#
#   web-seeds.py CAPTURES_DIR OUTPUT_DIR

import glob
import os
import sys

# indexes into soap_paths[] in fuzz-web.c
SOAP_PATHS = ['/wsman', '/wsman-anon', '/RemoteControlService',
              '/SecurityAdministrationService',
              '/NetworkAdministrationService', '/GeneralInfoService']


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: web-seeds.py CAPTURES_DIR OUTPUT_DIR')
    captures = sorted(glob.glob(os.path.join(sys.argv[1], '*', '*.http')))
    if not captures:
        raise SystemExit('web-seeds: no captures under ' + sys.argv[1])
    for n, path in enumerate(captures):
        with open(path, 'rb') as f:
            request = f.read()
        head, _, body = request.partition(b'\r\n\r\n')
        target = head.split(b' ', 2)[1].decode('latin1', 'replace')
        index = SOAP_PATHS.index(target) if target in SOAP_PATHS else 0
        out = os.path.join(sys.argv[2], '%04d' % n)
        with open(out + '-http', 'wb') as f:
            f.write(b'\x00\x10' + request)
        with open(out + '-soap', 'wb') as f:
            f.write(b'\x01' + bytes([index]) + body)


if __name__ == '__main__':
    main()
