#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A throw-away stand-in for AMT's port 16992 that records requests.

usage: record-server.py OUTDIR [--port N] [--label-port N] [--qmp PATH]
                         [--max-requests N]

Listens on 127.0.0.1 (port N, default a free one) and prints "PORT <n>"
on stdout once it listens.  Every HTTP request is written byte-exact
(request line, headers, body; a chunked body stays chunked) to
OUTDIR/NNNN-<label-port>-<METHOD>_<path>_<action>_<auth>.http and listed
in OUTDIR/index.txt, as tests/captures/README.md describes.

Requests without Digest get a 401 with a Digest challenge (realm
Digest:A1B2C3D4E5F60718293A4B5C6D7E8F90); Digest is checked for user
admin, password P@ssw0rd (qop=auth or none, MD5).  Authenticated
requests get the least SOAP that lets the client go on: the legacy EOI
services amttool calls, and WS-Management Identify, Get, Enumerate, Pull
(instances or EPRs) and method invocation.  The answers are not AMT's and
are not recorded.

--qmp PATH also serves a QMP socket that says the VM is running, for the
node scenarios of tests/clients.  After --max-requests requests (default
1000; a console polling for a power change it will never see would fill the
disk) every request gets a 503 and is not recorded.  Runs until killed.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import socket
import socketserver
import sys
import threading

REALM = "Digest:A1B2C3D4E5F60718293A4B5C6D7E8F90"
USER = "admin"
PASSWORD = "P@ssw0rd"
ANON = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
WSEN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
MAX_REQUEST = 1 << 20

# legacy EOI (amttool): the output parameters after StatusCode, per method
EOI_OUT = {
    "GetCoreVersion": [("Version", "16.1.25")],
    "GetHostName": [("HostName", "vamt-record")],
    "GetDomainName": [("DomainName", "example.test")],
    "GetSystemPowerState": [("SystemPowerState", "0")],
    "GetRemoteControlCapabilities": [
        ("IanaOemNumber", "343"), ("OemDefinedCapabilities", "0"),
        ("SpecialCommandsSupported", "7936"),
        ("SystemCapabilitiesSupported", "15"),
        ("SystemFirmwareCapabilities", "0")],
}

# the EPR selectors of the instances the stand-in hands out by class
SELECTORS = {
    "CIM_PowerManagementService": [
        ("CreationClassName", "CIM_PowerManagementService"),
        ("Name", "Intel(r) AMT Power Management Service"),
        ("SystemCreationClassName", "CIM_ComputerSystem"),
        ("SystemName", "Intel(r) AMT")],
}


class Recorder:
    """Numbers, writes and indexes the requests, one at a time."""

    def __init__(self, outdir, label_port, max_requests):
        self.outdir = outdir
        self.label_port = label_port
        self.max_requests = max_requests
        self.count = 0
        self.lock = threading.Lock()
        self.nonces = set()
        self.contexts = {}
        os.makedirs(outdir, exist_ok=True)
        open(os.path.join(outdir, "index.txt"), "w").close()

    def nonce(self):
        value = base64.b64encode(os.urandom(24)).decode()
        with self.lock:
            self.nonces.add(value)
        return value

    def write(self, raw, method, path, action, auth):
        """Record one request; False once max_requests are recorded."""
        with self.lock:
            if self.count >= self.max_requests:
                return False
            self.count += 1
            what = "%s_%s_%s_%s" % (
                method, path.strip("/").replace("/", "-") or "root",
                action, auth)
            name = "%04d-%d-%s.http" % (self.count, self.label_port, what)
            with open(os.path.join(self.outdir, name), "wb") as f:
                f.write(raw)
            with open(os.path.join(self.outdir, "index.txt"), "a") as f:
                f.write("%04d %d %s %d bytes\n" % (
                    self.count, self.label_port, what, len(raw)))
        return True


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def digest_params(value):
    return {k.lower(): v1 if v1 else v2 for k, v1, v2 in re.findall(
        r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))', value)}


def check_digest(rec, method, header):
    """'ok', 'bad-response', 'no-digest' or 'none' for an Authorization."""
    if header is None:
        return "none"
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return "no-digest"
    p = digest_params(rest)
    ha1 = md5("%s:%s:%s" % (p.get("username", ""), REALM, PASSWORD))
    ha2 = md5("%s:%s" % (method, p.get("uri", "")))
    if p.get("qop"):
        want = md5(":".join([ha1, p.get("nonce", ""), p.get("nc", ""),
                             p.get("cnonce", ""), p["qop"], ha2]))
    else:
        want = md5("%s:%s:%s" % (ha1, p.get("nonce", ""), ha2))
    ok = (p.get("username") == USER and p.get("realm") == REALM and
          p.get("nonce") in rec.nonces and p.get("response") == want)
    return "ok" if ok else "bad-response"


def tag(xml, name):
    """The text of the first element with local name NAME, or None."""
    m = re.search(r"<(?:[\w.-]+:)?%s(?:\s[^>]*)?>([^<]*)<" % name, xml)
    return m.group(1).strip() if m else None


def action_label(path, headers, body):
    """<action-or-SOAPAction> of the file name."""
    soapaction = headers.get("soapaction")
    if soapaction:
        return soapaction.strip('"').rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    action = tag(body, "Action")
    if not action:
        return "noaction"
    return "-".join(action.rstrip("/").split("/")[-2:])


def soap12(action, relates, body, extra_ns=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"'
            ' xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
            ' xmlns:c="%s" xmlns:d="%s"%s><a:Header>'
            '<b:To>%s</b:To><b:RelatesTo>%s</b:RelatesTo>'
            '<b:Action a:mustUnderstand="true">%s</b:Action>'
            '<b:MessageID>uuid:00000000-8086-8086-8086-%012d</b:MessageID>'
            '</a:Header><a:Body>%s</a:Body></a:Envelope>' % (
                WSMAN, WSEN, extra_ns, ANON, relates or "", action,
                threading.get_ident() % 10**12, body))


def instance(uri, selectors):
    cls = uri.rstrip("/").rsplit("/", 1)[-1]
    props = "".join("<g:%s>%s</g:%s>" % (k, v, k) for k, v in selectors)
    if not selectors:
        props = "<g:InstanceID>%s</g:InstanceID>" % (
            "AMT" if cls.endswith("SoftwareIdentity") else cls)
    if cls.endswith("SoftwareIdentity"):
        props += "<g:VersionString>16.1.25</g:VersionString>"
    return '<g:%s xmlns:g="%s">%s</g:%s>' % (cls, uri, props, cls)


def epr(uri):
    cls = uri.rstrip("/").rsplit("/", 1)[-1]
    sels = SELECTORS.get(cls, [("InstanceID", cls)])
    # c: is declared on the envelope only, as AMT does; wsl copies these
    # lines into its next request without the declaration
    return ("<b:EndpointReference><b:Address>%s</b:Address>"
            "<b:ReferenceParameters><c:ResourceURI>%s</c:ResourceURI>"
            "<c:SelectorSet>%s</c:SelectorSet></b:ReferenceParameters>"
            "</b:EndpointReference>" % (ANON, uri, "".join(
                '<c:Selector Name="%s">%s</c:Selector>' % s for s in sels)))


def wsman_answer(rec, body):
    action = tag(body, "Action") or ""
    uri = tag(body, "ResourceURI") or ""
    relates = tag(body, "MessageID")
    if not action:
        if "Identify" in body:
            return ('<?xml version="1.0" encoding="UTF-8"?>'
                    '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"'
                    ' xmlns:b="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
                    '<a:Header/><a:Body><b:IdentifyResponse>'
                    '<b:ProtocolVersion>%s</b:ProtocolVersion>'
                    '<b:ProductVendor>Intel Corporation</b:ProductVendor>'
                    '<b:ProductVersion>AMT 16.1</b:ProductVersion>'
                    '<b:SecurityProfiles><b:SecurityProfileName>'
                    'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/digest'
                    '</b:SecurityProfileName></b:SecurityProfiles>'
                    '</b:IdentifyResponse></a:Body></a:Envelope>' % WSMAN)
        return ""
    verb = action.rsplit("/", 1)[-1]
    if action.endswith("/transfer/Get"):
        sels = re.findall(r'<(?:[\w.-]+:)?Selector Name="([^"]*)">([^<]*)<',
                          body)
        return soap12(action + "Response", relates, instance(uri, sels))
    if action.endswith("/enumeration/Enumerate"):
        with rec.lock:
            ctx = "%08X-0000-0000-0000-000000000000" % (len(rec.contexts) + 1)
            rec.contexts[ctx] = (uri, "EnumerateEPR" in body)
        return soap12(action + "Response", relates,
                      "<d:EnumerateResponse><d:EnumerationContext>%s"
                      "</d:EnumerationContext></d:EnumerateResponse>" % ctx)
    if action.endswith("/enumeration/Pull"):
        ctx = tag(body, "EnumerationContext") or ""
        with rec.lock:
            uri, eprs = rec.contexts.pop(ctx, (uri, False))
        item = epr(uri) if eprs else instance(uri, [])
        return soap12(action + "Response", relates,
                      "<d:PullResponse><d:Items>%s</d:Items>"
                      "<d:EndOfSequence/></d:PullResponse>" % item)
    if action.endswith("/enumeration/Release"):
        return soap12(action + "Response", relates, "")
    # a method of a class: ReturnValue 0
    return soap12(action + "Response", relates,
                  '<g:%s_OUTPUT xmlns:g="%s"><g:ReturnValue>0</g:ReturnValue>'
                  '</g:%s_OUTPUT>' % (verb, uri, verb))


def eoi_answer(headers):
    ns, _, method = headers.get("soapaction", "").strip('"').rpartition("#")
    out = "".join("<m:%s>%s</m:%s>" % (k, v, k)
                  for k, v in EOI_OUT.get(method, []))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            '<SOAP-ENV:Body><m:%sResponse xmlns:m="%s">'
            '<m:StatusCode>0</m:StatusCode>%s</m:%sResponse>'
            '</SOAP-ENV:Body></SOAP-ENV:Envelope>' % (method, ns, out, method))


class Handler(socketserver.BaseRequestHandler):
    def fill(self, buf, enough):
        """BUF and more received bytes until enough(BUF); None at EOF."""
        while not enough(buf):
            data = self.request.recv(65536)
            if not data or len(buf) > MAX_REQUEST:
                return None
            buf += data
        return buf

    def read_request(self, buf):
        """(raw bytes, rest of buf) of one request, or None at EOF."""
        buf = self.fill(buf, lambda b: b"\r\n\r\n" in b)
        if buf is None:
            return None
        end = buf.index(b"\r\n\r\n") + 4
        lower = buf[:end].decode("latin1").lower()
        if re.search(r"\r\ntransfer-encoding:\s*chunked", lower):
            pos = end
            while True:             # chunk by chunk, kept as sent
                buf = self.fill(buf, lambda b: b"\r\n" in b[pos:])
                if buf is None:
                    return None
                line_end = buf.index(b"\r\n", pos)
                size = int(buf[pos:line_end].split(b";")[0], 16)
                pos = line_end + 2 + size + 2
                buf = self.fill(buf, lambda b: len(b) >= pos)
                if buf is None:
                    return None
                if size == 0:       # no trailers from these clients
                    break
            end = pos
        else:
            m = re.search(r"\r\ncontent-length:\s*(\d+)", lower)
            end += int(m.group(1)) if m else 0
            if "expect: 100-continue" in lower and len(buf) < end:
                self.request.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            buf = self.fill(buf, lambda b: len(b) >= end)
            if buf is None:
                return None
        return buf[:end], buf[end:]

    def handle(self):
        rec = self.server.recorder
        buf = b""
        while True:
            got = self.read_request(buf)
            if got is None:
                return
            raw, buf = got
            head, _, body = raw.partition(b"\r\n\r\n")
            lines = head.decode("latin1").split("\r\n")
            method, path, version = (lines[0].split(" ") + ["", ""])[:3]
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers.setdefault(k.strip().lower(), v.strip())
            if "chunked" in headers.get("transfer-encoding", ""):
                body = dechunk(body)
            text = body.decode("utf-8", "replace")
            auth = check_digest(rec, method, headers.get("authorization"))
            if not rec.write(raw, method, path,
                             action_label(path, headers, text), auth):
                self.request.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                                     b"Content-Length: 0\r\n"
                                     b"Connection: close\r\n\r\n")
                return
            close = ("close" in headers.get("connection", "").lower() or
                     version == "HTTP/1.0")
            if auth != "ok":
                page = b"401 Unauthorized\n"    # not XML: SOAP::Lite dies
                reply = ("HTTP/1.1 401 Unauthorized\r\n"
                         'WWW-Authenticate: Digest realm="%s", nonce="%s", '
                         'stale="false", qop="auth"\r\n'
                         "Content-Type: text/plain\r\n"
                         "Content-Length: %d\r\n%s\r\n" % (
                             REALM, rec.nonce(), len(page),
                             "Connection: close\r\n" if close else "")
                         ).encode() + page
            else:
                if path.split("?")[0] == "/wsman":
                    answer = wsman_answer(rec, text).encode()
                    ctype = "application/soap+xml;charset=UTF-8"
                else:
                    answer = eoi_answer(headers).encode()
                    ctype = "text/xml; charset=utf-8"
                reply = ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
                         "Content-Length: %d\r\n%s\r\n" % (
                             ctype, len(answer),
                             "Connection: close\r\n" if close else "")
                         ).encode() + answer
            self.request.sendall(reply)
            if close:
                return


def dechunk(data):
    out, pos = b"", 0
    while True:
        line_end = data.index(b"\r\n", pos)
        size = int(data[pos:line_end].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[line_end + 2:line_end + 2 + size]
        pos = line_end + 2 + size + 2


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve_qmp(path):
    """A QMP socket whose VM is always running (for the node scenarios)."""
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    sock.listen(8)

    def one(conn):
        with conn, conn.makefile("rw") as f:
            f.write('{"QMP": {"version": {}, "capabilities": []}}\n')
            f.flush()
            for line in f:
                cmd = json.loads(line).get("execute")
                ret = {"status": "running", "running": True} \
                    if cmd == "query-status" else {}
                f.write(json.dumps({"return": ret}) + "\n")
                f.flush()

    def loop():
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=one, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--label-port", type=int, default=16992)
    ap.add_argument("--qmp")
    ap.add_argument("--max-requests", type=int, default=1000)
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.recorder = Recorder(args.outdir, args.label_port,
                               args.max_requests)
    if args.qmp:
        serve_qmp(args.qmp)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
