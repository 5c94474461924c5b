#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""An alert listener for the LAN test: an HTTP server on ADDRESS:PORT
that answers every POST with 200 and appends one JSON line per request
to LOG (the peer's address and port, the path, the body), so the test
sees from which address the ME's alert came and what it said.

usage: alert-sink.py ADDRESS PORT LOG
"""
import http.server
import json
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(min(length, 1 << 20))
        with open(self.server.log, 'a') as log:
            log.write(json.dumps({'peer': self.client_address[0],
                                  'port': self.client_address[1],
                                  'path': self.path,
                                  'body': body.decode('utf-8', 'replace')})
                      + '\n')
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    server = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), Sink)
    server.log = sys.argv[3]
    print('listening', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
