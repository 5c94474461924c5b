#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Seed corpora for the fuzz targets, from the captured console requests.
#
#   web-seeds.py CAPTURES_DIR OUTPUT_DIR [TARGET]
#
# TARGET (default fuzz-web):
#   fuzz-web         each request whole, as the HTTP path sees it (mode
#                    byte 0), and its SOAP body alone for the path it was
#                    sent to (mode byte 1, then the path's index in
#                    fuzz-web.c's soap_paths)
#   fuzz-http-auth   flags (path index in fuzz-http-auth.c's paths[]),
#                    the request's own header lines, CRLF CRLF, its body
#   fuzz-wsman-auth  each session's WS-Man bodies joined by the separator
#                    of fuzz-common.h, enumeration contexts as @CTX@; and
#                    each body alone
#   fuzz-eoi-auth    each session's EOI bodies, per service
#   fuzz-nvram       the WS-Man sessions (mode 2), bit flips of a valid
#                    file (mode 1) and the raw requests (mode 0)
#   fuzz-state       patches of a valid blob and the raw requests, for
#                    each loader

import glob
import os
import re
import sys

# indexes into soap_paths[] in fuzz-web.c
SOAP_PATHS = ['/wsman', '/wsman-anon', '/RemoteControlService',
              '/SecurityAdministrationService',
              '/NetworkAdministrationService', '/GeneralInfoService']
# indexes into paths[] in fuzz-http-auth.c
AUTH_PATHS = ['/wsman', '/wsman-anon', '/RemoteControlService',
              '/SecurityAdministrationService',
              '/NetworkAdministrationService', '/', '/index.htm']
# indexes into services[] in fuzz-eoi-auth.c
EOI_SERVICES = ['/RemoteControlService', '/SecurityAdministrationService',
                '/NetworkAdministrationService']
SEPARATOR = b'\n@@\n'           # FUZZ_SEPARATOR in fuzz-common.h
CONTEXT = re.compile(rb'(EnumerationContext>)[^<]*(<)')
FRAMING = (b'host', b'authorization', b'content-length',
           b'transfer-encoding')


def load_sessions(root):
    sessions = []
    for d in sorted(glob.glob(os.path.join(root, '*'))):
        requests = []
        for path in sorted(glob.glob(os.path.join(d, '*.http'))):
            with open(path, 'rb') as f:
                data = f.read()
            head, _, body = data.partition(b'\r\n\r\n')
            lines = head.split(b'\r\n')
            target = lines[0].split(b' ', 2)[1].decode('latin1', 'replace')
            requests.append((data, lines, target, body))
        if requests:
            sessions.append(requests)
    if not sessions:
        raise SystemExit('web-seeds: no captures under ' + root)
    return sessions


def write(out, name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)


def seeds_web(sessions, out):
    n = 0
    for session in sessions:
        for data, _, target, body in session:
            index = SOAP_PATHS.index(target) if target in SOAP_PATHS else 0
            write(out, '%04d-http' % n, b'\x00\x10' + data)
            write(out, '%04d-soap' % n, b'\x01' + bytes([index]) + body)
            n += 1


def seeds_http_auth(sessions, out):
    n = 0
    for session in sessions:
        for _, lines, target, body in session:
            index = AUTH_PATHS.index(target) if target in AUTH_PATHS else 0
            extra = [l for l in lines[1:]
                     if l.split(b':', 1)[0].strip().lower() not in FRAMING]
            head = b'\r\n'.join(extra) + b'\r\n\r\n'
            # plain; pipelined; chunked and fed in small segments
            for flags in (index, index | 0x20, index | 0x10 | 0x40):
                write(out, '%04d-%02x' % (n, flags),
                      bytes([flags]) + head + body)
            n += 1


def wsman_sessions(sessions):
    for session in sessions:
        bodies = [CONTEXT.sub(rb'\1@CTX@\2', body)
                  for _, _, target, body in session
                  if target in ('/wsman', '/wsman-anon') and body]
        if bodies:
            yield bodies


def seeds_wsman_auth(sessions, out):
    n = 0
    for s, bodies in enumerate(wsman_sessions(sessions)):
        write(out, 'session-%02d' % s, SEPARATOR.join(bodies[:16]))
        for body in bodies:
            write(out, '%04d' % n, body)
            n += 1


def seeds_eoi_auth(sessions, out):
    for s, session in enumerate(sessions):
        for index, service in enumerate(EOI_SERVICES):
            bodies = [body for _, _, target, body in session
                      if target == service and body]
            if bodies:
                write(out, 'session-%02d-%d' % (s, index),
                      bytes([index]) + SEPARATOR.join(bodies[:16]))


def seeds_nvram(sessions, out):
    for s, bodies in enumerate(wsman_sessions(sessions)):
        write(out, 'session-%02d' % s, b'\x02' + SEPARATOR.join(bodies[:16]))
    for s, session in enumerate(sessions):
        data = session[0][0]
        write(out, 'flips-%02d' % s, b'\x01' + data[:48])
        write(out, 'raw-%02d' % s, b'\x00' + data)


def seeds_state(sessions, out):
    for s, session in enumerate(sessions):
        data = session[0][0]
        for loader in range(3):
            write(out, 'patch-%02d-%d' % (s, loader),
                  bytes([0x10 | loader]) + data[:30])
            write(out, 'raw-%02d-%d' % (s, loader), bytes([loader]) + data)


TARGETS = {
    'fuzz-web': seeds_web,
    'fuzz-http-auth': seeds_http_auth,
    'fuzz-wsman-auth': seeds_wsman_auth,
    'fuzz-eoi-auth': seeds_eoi_auth,
    'fuzz-nvram': seeds_nvram,
    'fuzz-state': seeds_state,
}


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and
                                       sys.argv[3] not in TARGETS):
        raise SystemExit('usage: web-seeds.py CAPTURES_DIR OUTPUT_DIR '
                         '[' + '|'.join(TARGETS) + ']')
    target = sys.argv[3] if len(sys.argv) == 4 else 'fuzz-web'
    os.makedirs(sys.argv[2], exist_ok=True)
    TARGETS[target](load_sessions(sys.argv[1]), sys.argv[2])


if __name__ == '__main__':
    main()
