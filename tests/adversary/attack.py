#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The standing adversarial suite: attacks on a running QEMU with vAMT.

Each attack runs against real QEMU processes (-accel qtest, the device's
web service on a loopback host socket, its RMCP presence answers on a
loopback UDP port, its NVRAM file and migration
stream, raw BAR0 writes through the qtest protocol).  After each one the
suite checks what a user would: QEMU is alive, QMP answers within
100 ms, an authenticated console request still succeeds, and the attack
itself got nothing it should not have.  It prints one TAP line per
attack, a table and a closing count.

usage: attack.py QEMU_BINARY [--only NAME...]
"""

import atexit
import base64
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts", "vamt"))
import qmp  # noqa: E402  the project's QMP client

PASSWORD = "P@ssw0rd"
CHECK_USER = "console"
CHECK_PASSWORD = "C0nsole-pw!"
QMP_LIMIT_S = 0.100

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
ACT_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
AUTH_SERVICE = AMT + "AMT_AuthorizationService"


# ---- QEMU and its monitors --------------------------------------------------

class Qmp(qmp.Qmp):
    """The project's QMP client; execute() also says how long it took."""

    def __init__(self, path):
        super().__init__(path, wait_s=4.0)

    def execute(self, cmd, args=None):
        start = time.monotonic()
        reply = super().execute(cmd, args)
        return reply, time.monotonic() - start


RUNNING = []


def stop_all():
    """Whatever happens to the suite, no QEMU outlives it."""
    for q in list(RUNNING):
        q.stop()


atexit.register(stop_all)


class Qemu:
    """One QEMU with the ME on 127.0.0.1:0, QMP and a qtest channel.

    RMCP presence is on a UDP port of its own (rmcp-port=0), never on
    127.0.0.1:623, which other QEMUs may want.
    """

    def __init__(self, binary, device_extra="", args=(), prefix=(),
                 expect_start=True):
        self.dir = tempfile.mkdtemp(prefix="vamt-attack-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        qtest_path = os.path.join(self.dir, "qtest.sock")
        qtest_server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        qtest_server.bind(qtest_path)
        qtest_server.listen(1)
        cmd = list(prefix) + [
            binary, "-machine", "q35", "-accel", "qtest", "-display", "none",
            "-nodefaults", "-action", "shutdown=pause",
            "-qtest", "unix:" + qtest_path,
            "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
            "-object", "secret,id=amtpw,data=" + PASSWORD,
            "-device", "vamt,id=amt,addr=16.0,listen=127.0.0.1:0,"
            "admin-secret=amtpw,rmcp=on,rmcp-port=0" + device_extra] + \
            list(args)
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        RUNNING.append(self)
        self.qmp = None
        self.qtest = None
        qtest_server.settimeout(10)
        try:
            self.qtest, _ = qtest_server.accept()
        except OSError:
            if expect_start:
                raise
            return
        finally:
            qtest_server.close()
        self.qtest_in = self.qtest.makefile("r")
        self.qmp = Qmp(self.qmp_path)
        reply, _ = self.qmp.execute("qom-get", {"path": "amt",
                                                "property": "listen-port"})
        self.port = reply.get("return", -1)

    def qtest_cmd(self, line):
        self.qtest.sendall((line + "\n").encode())
        while True:
            reply = self.qtest_in.readline()
            if not reply:
                raise ConnectionError("qtest closed")
            if reply.startswith("OK") or reply.startswith("FAIL"):
                return reply.strip()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self not in RUNNING:
            return
        RUNNING.remove(self)
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in os.listdir(self.dir):
            try:
                os.unlink(os.path.join(self.dir, f))
            except OSError:
                pass
        os.rmdir(self.dir)

    def error_output(self):
        self.stderr.seek(0)
        return self.stderr.read()


# ---- a console: HTTP and Digest ---------------------------------------------

def connect(port, peer=1, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if peer != 1:
        s.bind(("127.0.0.%d" % peer, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_response(s):
    """Status, headers (lower-case) and body of one response, or None."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
    except OSError:
        return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d+)", lines[0])
    if not m:
        return None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    body = rest
    try:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while not body.endswith(b"0\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
            out, pos = b"", 0
            while True:
                end = body.index(b"\r\n", pos)
                size = int(body[pos:end], 16)
                if size == 0:
                    break
                out += body[end + 2:end + 2 + size]
                pos = end + 4 + size
            body = out
        else:
            want = int(headers.get("content-length", "0"))
            while len(body) < want:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
    except (OSError, ValueError):
        pass
    return int(m.group(1)), headers, body


def exchange(port, raw, peer=1, timeout=5.0, tls=None):
    s = connect(port, peer, timeout)
    if tls:
        s = tls.wrap_socket(s)
    try:
        s.sendall(raw)
        return read_response(s)
    finally:
        s.close()


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Digest:
    """What a console computes: one nonce, nc counting up, qop=auth."""

    def __init__(self, port, user, password, peer=1, tls=None):
        self.port, self.user, self.password = port, user, password
        self.peer = peer
        self.tls = tls          # an ssl.SSLContext: over TLS (16993)
        self.nonce = None
        self.nc = 0

    def challenge(self):
        rsp = exchange(self.port, post(b"<x/>"), peer=self.peer,
                       tls=self.tls)
        auth = rsp[1].get("www-authenticate", "")
        self.realm = re.search(r'realm="([^"]*)"', auth).group(1)
        self.nonce = re.search(r'nonce="([^"]*)"', auth).group(1)
        self.nc = 0

    def header(self, method="POST", uri="/wsman", realm=None, qop=True,
               response=None):
        if not self.nonce:
            self.challenge()
        self.nc += 1
        nc = "%08x" % self.nc
        cnonce = "%016x" % random.getrandbits(64)
        ha1 = md5("%s:%s:%s" % (self.user, realm or self.realm,
                                self.password))
        ha2 = md5("%s:%s" % (method, uri))
        if qop:
            digest = md5("%s:%s:%s:%s:auth:%s" % (ha1, self.nonce, nc,
                                                  cnonce, ha2))
            extra = ', qop=auth, nc=%s, cnonce="%s"' % (nc, cnonce)
        else:
            digest = md5("%s:%s:%s" % (ha1, self.nonce, ha2))
            extra = ""
        if response is not None:
            digest = response
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s"%s' % (self.user, realm or self.realm,
                                     self.nonce, uri, digest, extra))

    def call(self, body, **kw):
        rsp = exchange(self.port, post(body, self.header(**kw)),
                       peer=self.peer, tls=self.tls)
        if rsp and rsp[0] == 401 and 'stale="true"' in \
                rsp[1].get("www-authenticate", ""):
            self.challenge()
            rsp = exchange(self.port, post(body, self.header(**kw)),
                           peer=self.peer, tls=self.tls)
        return rsp


def post(body, authorization=None, path="/wsman", extra=b""):
    head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
    if authorization:
        head += "Authorization: %s\r\n" % authorization
    head += "Content-Type: application/soap+xml;charset=UTF-8\r\n"
    head += "Content-Length: %d\r\n" % len(body)
    return head.encode() + extra + b"\r\n" + body


def envelope(action, uri, body="", selectors=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<s:Envelope xmlns:s="%s" xmlns:a="%s" xmlns:w="%s">'
            '<s:Header><a:Action s:mustUnderstand="true">%s</a:Action>'
            '<a:To s:mustUnderstand="true">/wsman</a:To>'
            '<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>'
            '<a:MessageID s:mustUnderstand="true">uuid:%d</a:MessageID>'
            '<a:ReplyTo><a:Address>%s/role/anonymous</a:Address>'
            '</a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>'
            '%s</s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS_SOAP, NS_WSA, NS_WSMAN, action, uri,
               random.getrandbits(31), NS_WSA, selectors, body)).encode()


def get_identity():
    return envelope(ACT_GET, CIM + "CIM_SoftwareIdentity",
                    selectors='<w:SelectorSet><w:Selector Name="InstanceID">'
                    'AMT FW Core Version</w:Selector></w:SelectorSet>')


def add_user(realm, name, password, realms=(3,)):
    ha1 = hashlib.md5(("%s:%s:%s" % (name, realm, password)).encode())
    b64 = base64.b64encode(ha1.digest()).decode()
    args = ("<r:DigestUsername>%s</r:DigestUsername>"
            "<r:DigestPassword>%s</r:DigestPassword>"
            "<r:AccessPermission>2</r:AccessPermission>" % (name, b64))
    args += "".join("<r:Realms>%d</r:Realms>" % r for r in realms)
    return envelope(AUTH_SERVICE + "/AddUserAclEntryEx", AUTH_SERVICE,
                    '<r:AddUserAclEntryEx_INPUT xmlns:r="%s">%s'
                    '</r:AddUserAclEntryEx_INPUT>' % (AUTH_SERVICE, args))


def enumerate_users():
    return envelope(AUTH_SERVICE + "/EnumerateUserAclEntries", AUTH_SERVICE,
                    '<r:EnumerateUserAclEntries_INPUT xmlns:r="%s">'
                    '<r:StartIndex>1</r:StartIndex>'
                    '</r:EnumerateUserAclEntries_INPUT>' % AUTH_SERVICE)


def user_count(admin):
    rsp = admin.call(enumerate_users())
    m = re.search(rb"<[^>]*TotalCount>(\d+)<", rsp[2]) if rsp else None
    return int(m.group(1)) if m else -1


# ---- the checks after every attack ------------------------------------------

class Target:
    """The QEMU under attack, with an admin and a separate check user."""

    def __init__(self, binary):
        self.binary = binary
        self.start()

    def start(self):
        # with the SOL port, so the redirection service listens too
        # and alert delivery, so the ME connects out to listeners
        self.qemu = Qemu(self.binary, ",kt=on,alert-egress=host")
        self.redir_port = redirection_port(self.qemu)
        self.admin = Digest(self.qemu.port, "admin", PASSWORD)
        self.admin.challenge()
        rsp = self.admin.call(add_user(self.admin.realm, CHECK_USER,
                                       CHECK_PASSWORD, realms=(3, 4, 5)))
        assert rsp and rsp[0] == 200 and b"ReturnValue>0<" in rsp[2], rsp
        self.console = Digest(self.qemu.port, CHECK_USER, CHECK_PASSWORD)

    def health(self):
        """None if QEMU is healthy, else why not."""
        if not self.qemu.alive():
            return "QEMU died (status %s)" % self.qemu.proc.returncode
        try:
            best = min(self.qemu.qmp.execute("query-status")[1]
                       for _ in range(3))
        except (OSError, ConnectionError) as e:
            return "QMP: %s" % e
        if best > QMP_LIMIT_S:
            return "QMP took %.0f ms" % (best * 1000)
        rsp = self.console.call(get_identity())
        if not rsp or rsp[0] != 200:
            return "console Get answered %s" % (rsp[0] if rsp else "nothing")
        status = redir_login(self.redir_port, "admin", PASSWORD)
        if status != (0, 0):
            return "redirection: SOL start and login answered %s" % (status,)
        return None


# ---- a console of the redirection service (16994) ---------------------------

def redirection_port(qemu):
    reply, _ = qemu.qmp.execute("query-vamt")
    for listener in reply["return"][0]["listeners"]:
        if listener["service-port"] == 16994:
            return listener["port"]
    raise RuntimeError("no redirection listener: %r" % reply)


SOL_START = b"\x10\x00\x00\x00SOL "


def redir_auth(kind, *items):
    data = b"".join(bytes([len(i)]) + i for i in items)
    return bytes([0x13, 0, 0, 0, kind]) + struct.pack("<I", len(data)) + data


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def redir_login(port, user, password, peer=1, keep=False):
    """(0x11 status, 0x14 status) of a SOL start and plain login, None for
    a step the ME closed instead of answering; with keep, and the socket"""
    result = [None, None]
    s = connect(port, peer=peer)
    try:
        s.sendall(SOL_START)
        reply = recv_exact(s, 13)
        if len(reply) == 13 and reply[0] == 0x11:
            result[0] = reply[1]
        if result[0] == 0:
            s.sendall(redir_auth(1, user.encode(), password.encode()))
            reply = recv_exact(s, 9)
            if len(reply) == 9 and reply[0] == 0x14:
                result[1] = reply[1]
    except OSError:
        pass
    if keep:
        return tuple(result), s
    s.close()
    return tuple(result)


def redir_closed(s, timeout=3.0):
    """Did the ME close @s (reading only what it sent)?"""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


# ---- the attacks: each returns None (held) or what went wrong ---------------

def expect_status(rsp, allowed, what):
    if rsp is None:
        return None          # the ME closed the connection: refused
    if rsp[0] not in allowed:
        return "%s answered %d" % (what, rsp[0])
    return None


def attack_empty_response(t):
    """CVE-2017-5689: an empty Digest response must not authenticate."""
    d = Digest(t.qemu.port, "admin", PASSWORD)
    rsp = exchange(t.qemu.port, post(get_identity(), d.header(response="")))
    return expect_status(rsp, (401,), "empty response")


def attack_wrong_realm(t):
    d = Digest(t.qemu.port, "admin", PASSWORD)
    rsp = exchange(t.qemu.port, post(get_identity(), d.header(
        realm="Digest:00000000000000000000000000000000")))
    return expect_status(rsp, (401,), "foreign realm")


def attack_uri_mismatch(t):
    d = Digest(t.qemu.port, "admin", PASSWORD)
    rsp = exchange(t.qemu.port, post(get_identity(), d.header(uri="/other")))
    return expect_status(rsp, (401, 400), "uri of another resource")


def attack_no_qop(t):
    """RFC 2069 Digest (no qop) is refused: AllowHttpQopAuthOnly."""
    d = Digest(t.qemu.port, "admin", PASSWORD)
    rsp = exchange(t.qemu.port, post(get_identity(), d.header(qop=False)))
    return expect_status(rsp, (401,), "no-qop Digest")


def attack_replay(t):
    """A captured header, replayed after 70 newer requests with a new body."""
    victim = Digest(t.qemu.port, "admin", PASSWORD)
    victim.challenge()
    captured = victim.header()
    rsp = exchange(t.qemu.port, post(get_identity(), captured))
    if not rsp or rsp[0] != 200:
        return "the victim's own request failed"
    for _ in range(70):
        exchange(t.qemu.port, post(get_identity(), victim.header()))
    before = user_count(t.admin)
    evil = add_user(victim.realm, "intruder", "Intrud3r!pw")
    rsp = exchange(t.qemu.port, post(evil, captured))
    if rsp and rsp[0] == 200:
        return "the replayed header was accepted"
    if user_count(t.admin) != before:
        return "the replay created a user"
    return None


def attack_hammer(t):
    """Wrong passwords: never accepted, and they lock out the guesser only."""
    d = Digest(t.qemu.port, "admin", "not-the-password", peer=9)
    for _ in range(20):
        rsp = d.call(get_identity())
        if rsp and rsp[0] == 200:
            return "a wrong password was accepted"
    right = Digest(t.qemu.port, "admin", PASSWORD, peer=9)
    rsp = right.call(get_identity())
    if rsp and rsp[0] == 200:
        return "the guessing peer was not locked out"
    rsp = t.admin.call(get_identity())
    if not rsp or rsp[0] != 200:
        return "the owner, from another address, was locked out"
    return None


def attack_realm_escalation(t):
    """A Hardware Asset user may not power the machine."""
    t.admin.call(add_user(t.admin.realm, "asset", "Ass3t-only!", realms=(4,)))
    d = Digest(t.qemu.port, "asset", "Ass3t-only!")
    pms = CIM + "CIM_PowerManagementService"
    body = envelope(pms + "/RequestPowerStateChange", pms,
                    '<p:RequestPowerStateChange_INPUT xmlns:p="%s">'
                    '<p:PowerState>8</p:PowerState>'
                    '</p:RequestPowerStateChange_INPUT>' % pms)
    rsp = d.call(body)
    status, _ = t.qemu.qmp.execute("query-status")
    if status["return"]["status"] != "running":
        return "the VM was powered off by a user without the realm"
    if rsp and rsp[0] == 200 and b"ReturnValue>0<" in rsp[2]:
        return "the power request was accepted"
    return None


NS_ENUM = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"


def attack_enumeration_theft(t):
    """One user's enumeration context is useless to another."""
    uri = CIM + "CIM_SoftwareIdentity"
    rsp = t.console.call(envelope(NS_ENUM + "/Enumerate", uri,
                                  '<n:Enumerate xmlns:n="%s"/>' % NS_ENUM))
    m = re.search(rb"EnumerationContext>([^<]+)<", rsp[2]) if rsp else None
    if not m:
        return "the console could not enumerate"
    t.admin.call(add_user(t.admin.realm, "thief", "Th1ef-pass!",
                          realms=(4,)))
    thief = Digest(t.qemu.port, "thief", "Th1ef-pass!")
    pull = envelope(NS_ENUM + "/Pull", uri,
                    '<n:Pull xmlns:n="%s"><n:EnumerationContext>%s'
                    '</n:EnumerationContext><n:MaxElements>10'
                    '</n:MaxElements></n:Pull>' % (NS_ENUM,
                                                   m.group(1).decode()))
    rsp = thief.call(pull)
    if rsp and rsp[0] == 200 and b"CIM_SoftwareIdentity" in rsp[2]:
        return "another user pulled the console's enumeration"
    rsp = t.console.call(pull)
    if not rsp or rsp[0] != 200:
        return "the owner lost its enumeration to the attempt"
    return None


def attack_smuggling(t):
    """Content-Length and Transfer-Encoding together; two lengths."""
    inner = post(get_identity())
    raw = (b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + inner)
    s = connect(t.qemu.port)
    s.sendall(raw)
    first = read_response(s)
    second = read_response(s)
    s.close()
    if first and first[0] == 200:
        return "CL+TE was served"
    if second and second[0] == 200:
        return "a smuggled request was served"
    raw = (b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
           b"Content-Length: 40\r\n\r\n<x/>")
    return expect_status(exchange(t.qemu.port, raw), (400, 401, 411),
                         "two Content-Lengths")


def attack_malformed_http(t):
    junk = bytes(random.getrandbits(8) for _ in range(65536))
    err = expect_status(exchange(t.qemu.port, junk), (400, 405, 414, 431),
                        "64 KiB of random bytes")
    if err:
        return err
    raw = b"POST /wsman HTTP/1.1\r\n" + b"X-A: " + b"a" * 70000 + b"\r\n\r\n"
    err = expect_status(exchange(t.qemu.port, raw), (400, 431), "long head")
    if err:
        return err
    raw = (b"POST /wsman HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
           b"\r\n\r\nZZZZ\r\n")
    err = expect_status(exchange(t.qemu.port, raw), (400,), "bad chunk size")
    if err:
        return err
    raw = b"POST /wsman HTTP/1.1\r\nHost: x\0evil\r\nContent-Length: 0\r\n\r\n"
    return expect_status(exchange(t.qemu.port, raw), (400, 401), "NUL header")


def attack_xml_bombs(t):
    bombs = {
        "billion laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a '
                          b'"aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
                          b'<l>&b;</l>',
        "external entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e '
                           b'SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        "deep nesting": b"<a>" * 20000 + b"</a>" * 20000,
        "many attributes": b"<a " + b" ".join(b'x%d="1"' % i
                                               for i in range(20000)) + b"/>",
    }
    for name, body in bombs.items():
        rsp = t.admin.call(body)
        if rsp is None:
            continue
        if rsp[0] == 200:
            return "%s was answered 200" % name
        if b"root:" in rsp[2]:
            return "%s leaked a file" % name
    return None


def attack_preauth_cost(t):
    """Bodies that cost libxml2 quadratic time, sent without credentials."""
    # as many distinct attributes as fit in a body the ME accepts
    attrs = b" ".join(b'a%x=""' % i for i in range(26000))
    body = (b'<s:Envelope xmlns:s="' + NS_SOAP.encode() + b'"><s:Body>'
            b'<i:Identify xmlns:i="x" ' + attrs + b'/></s:Body></s:Envelope>')
    assert len(body) < 256 * 1024
    worst = 0.0
    for _ in range(3):
        start = time.monotonic()
        rsp = exchange(t.qemu.port, post(body), timeout=30)
        worst = max(worst, time.monotonic() - start)
        if rsp and rsp[0] == 200:
            return "a pre-auth attribute bomb was answered 200"
    if worst > 1.0:
        return "one pre-auth request took %.2f s" % worst
    return None


def attack_encodings(t):
    """EBCDIC and UTF-7 bodies must not get a DTD past the filters."""
    ebcdic = "<?xml version=\"1.0\" encoding=\"IBM037\"?><!DOCTYPE x " \
             "[<!ENTITY a \"b\">]><x>&a;</x>".encode("cp037")
    utf7 = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x +AFs-' \
           b'+ADw-!ENTITY a +ACI-b+ACI-+AD4-+AF0-+AD4-+ADw-x+AD4-+ACY-a;' \
           b'+ADw-/x+AD4-'
    for body in (ebcdic, utf7):
        for auth in (None, t.admin.header()):
            rsp = exchange(t.qemu.port, post(body, auth))
            if rsp and rsp[0] == 200:
                return "a non-UTF-8 body was answered 200"
    return None


def attack_slow_connections(t):
    """Slowloris from other peers while a console works."""
    socks = []
    for i in range(40):
        try:
            s = connect(t.qemu.port, peer=2 + i % 5)
            s.sendall(b"POST /wsman HTTP/1.1\r\nContent-Le")
            socks.append(s)
        except OSError:
            pass
    result = None
    for _ in range(3):
        for s in socks:
            try:
                s.sendall(b"n")
            except OSError:
                pass
        err = t.health()
        if err:
            result = "during slowloris: " + err
            break
        time.sleep(0.2)
    for s in socks:
        s.close()
    return result


def attack_many_connections(t):
    socks = []
    for i in range(150):
        try:
            socks.append(connect(t.qemu.port, peer=2 + i % 20, timeout=2))
        except OSError:
            pass
    err = t.health()
    for s in socks:
        s.close()
    return "with 150 connections open: " + err if err else None


# MeshCentral's Presence Ping (amtscanner.js): seq 0, tag at byte 9
RMCP_PING = bytes.fromhex("06000006000011be80000000")
RMCP_PER_SECOND = 10        # VAMT_ME_RMCP_PER_SECOND


def rmcp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # room for every answer, so an unlimited ME would be seen as one
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    return s


def rmcp_drain(s, wait_s):
    """The datagrams that arrive within @wait_s."""
    got = []
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        try:
            got.append(s.recv(2048))
        except BlockingIOError:
            time.sleep(0.01)
    return got


def attack_rmcp(t):
    """UDP 623: garbage never answered, a ping flood rate-limited."""
    reply, _ = t.qemu.qmp.execute("query-vamt")
    port = reply["return"][0].get("rmcp-port")
    if not port:
        return "query-vamt reports no rmcp-port"
    addr = ("127.0.0.1", port)
    s = rmcp_socket()
    try:
        # garbage: random datagrams, and pings bent into other messages
        for _ in range(3000):
            n = random.choice((0, 1, 4, 11, 12, 13, 28, 64, 512, 1400))
            s.sendto(bytes(random.getrandbits(8) for _ in range(n)), addr)
        bent = [RMCP_PING[:11], RMCP_PING + b"\0", RMCP_PING * 2,
                RMCP_PING[:3] + b"\x86" + RMCP_PING[4:],     # an ACK
                RMCP_PING[:3] + b"\x07" + RMCP_PING[4:],     # IPMI
                RMCP_PING[:8] + b"\x40" + RMCP_PING[9:],     # a pong
                RMCP_PING[:11] + b"\x10",                    # with data
                b"\x06\x00\x00\x86"]                        # a bare ACK
        for d in bent * 50:
            s.sendto(d, addr)
        got = rmcp_drain(s, 0.5)
        if got:
            return "%d answers to garbage, e.g. %s" % (len(got),
                                                       got[0].hex())
        # a flood of well-formed pings, QMP asked in the middle
        start = time.monotonic()
        for i in range(5000):
            s.sendto(RMCP_PING[:9] + bytes([i & 0xff]) + RMCP_PING[10:],
                     addr)
            if i == 2500:
                _, took = t.qemu.qmp.execute("query-status")
                if took > QMP_LIMIT_S:
                    return "QMP took %.0f ms during the flood" % (took * 1000)
        got = rmcp_drain(s, 0.5)
        elapsed = time.monotonic() - start
        pongs = [d for d in got if len(d) == 28 and d[8] == 0x40]
        allowed = RMCP_PER_SECOND * (1 + elapsed) + 1
        if not pongs:
            return "no pong at all during the flood"
        if len(pongs) > allowed:
            return "%d pongs in %.1f s (limit %d/s)" % (len(pongs), elapsed,
                                                        RMCP_PER_SECOND)
        if any(len(d) not in (4, 28) for d in got):
            return "an answer of another size than an ACK or a pong"
        # and answered again once the flood is over
        time.sleep(1.0)
        rmcp_drain(s, 0)
        s.sendto(RMCP_PING, addr)
        if not any(len(d) == 28 for d in rmcp_drain(s, 0.5)):
            return "no pong a second after the flood"
        return None
    finally:
        s.close()


def attack_descriptor_exhaustion(binary):
    """Out of descriptors: no spin, and served again once they are back."""
    q = Qemu(binary, prefix=("prlimit", "--nofile=48:48"))
    try:
        socks = []
        for i in range(60):
            try:
                socks.append(connect(q.port, peer=2 + i % 8, timeout=2))
            except OSError:
                break
        stat = "/proc/%d/stat" % q.proc.pid

        def cpu():
            fields = open(stat).read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK")
        before = cpu()
        time.sleep(1.0)
        used = cpu() - before
        for s in socks:
            s.close()
        if used > 0.5:
            return "QEMU spent %.2f s of CPU in 1 s out of descriptors" % used
        time.sleep(1.2)
        d = Digest(q.port, "admin", PASSWORD)
        rsp = d.call(get_identity())
        if not rsp or rsp[0] != 200:
            return "not served after descriptors came back"
        if q.qmp.execute("query-status")[1] > QMP_LIMIT_S:
            return "QMP slow after descriptor exhaustion"
        return None
    finally:
        q.stop()


def attack_random_mmio(binary):
    """A hostile guest: random BAR0 and config-space writes."""
    q = Qemu(binary)
    try:
        bar = 0xfe000000
        cfg = 0x80000000 | (0x16 << 11)

        def cfg_write(reg, val):
            q.qtest_cmd("outl 0xcf8 0x%x" % (cfg | reg))
            q.qtest_cmd("outl 0xcfc 0x%x" % val)
        cfg_write(0x10, bar)
        cfg_write(0x14, 0)
        cfg_write(0x04, 0x6)
        rng = random.Random(1)
        for i in range(20000):
            off = rng.choice((0x0, 0x4, 0x8, 0xc, rng.randrange(0, 0x1000, 4)))
            if rng.random() < 0.3:
                q.qtest_cmd("readl 0x%x" % (bar + off))
            else:
                val = rng.choice((0x10, 0x8, 0x1d, 0xffffffff, 0,
                                  rng.getrandbits(32)))
                q.qtest_cmd("writel 0x%x 0x%x" % (bar + off, val))
            if i % 2000 == 1999:
                # config space too, but keep BAR0 where it is
                reg = rng.randrange(0x40, 0x100, 4)
                cfg_write(reg, rng.getrandbits(32))
        if not q.alive():
            return "QEMU died"
        reply, took = q.qmp.execute("query-vamt")
        if "return" not in reply:
            return "query-vamt failed: %s" % reply
        if took > QMP_LIMIT_S:
            return "QMP took %.0f ms" % (took * 1000)
        d = Digest(q.port, "admin", PASSWORD)
        rsp = d.call(get_identity())
        if not rsp or rsp[0] != 200:
            return "web service gone after the MMIO storm"
        return None
    finally:
        q.stop()


def attack_hostile_nvram(binary):
    """Garbage NVRAM files: a clear warning or error, never a crash."""
    rng = random.Random(2)
    work = tempfile.mkdtemp(prefix="vamt-nvram-")
    good = os.path.join(work, "good")
    q = Qemu(binary, ",nvram=" + good)
    d = Digest(q.port, "admin", PASSWORD)
    d.call(get_identity())
    q.stop()
    image = open(good, "rb").read() if os.path.exists(good) else b""
    variants = [b"", b"\0" * 4096, bytes(rng.getrandbits(8)
                                         for _ in range(65536))]
    if image:
        variants.append(image[:len(image) // 2])
        for _ in range(12):
            b = bytearray(image)
            for _ in range(rng.randrange(1, 8)):
                b[rng.randrange(len(b))] = rng.getrandbits(8)
            variants.append(bytes(b))
    try:
        for i, data in enumerate(variants):
            path = os.path.join(work, "v%d" % i)
            with open(path, "wb") as f:
                f.write(data)
            q = Qemu(binary, ",nvram=" + path, expect_start=False)
            try:
                if q.qmp is None:
                    q.proc.wait(10)
                    if q.proc.returncode < 0:
                        return "variant %d killed QEMU (signal %d)" % (
                            i, -q.proc.returncode)
                    if not q.error_output().strip():
                        return "variant %d refused without a message" % i
                    continue
                rsp = Digest(q.port, "admin", PASSWORD).call(get_identity())
                if not rsp or rsp[0] != 200:
                    return "variant %d: the admin-secret no longer works" % i
            finally:
                q.stop()
            os.unlink(path)
        return None
    finally:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


def attack_hostile_migration(binary):
    """Corrupt migration streams: the destination fails cleanly."""
    rng = random.Random(3)
    work = tempfile.mkdtemp(prefix="vamt-mig-")
    stream = os.path.join(work, "stream")
    src = Qemu(binary)
    try:
        Digest(src.port, "admin", PASSWORD).call(get_identity())
        src.qmp.execute("migrate", {"uri": "file:" + stream})
        for _ in range(500):
            r, _ = src.qmp.execute("query-migrate")
            if r["return"].get("status") in ("completed", "failed"):
                break
            time.sleep(0.01)
        image = open(stream, "rb").read()
        at = image.find(b"VMEI")
        if at < 8:
            return "no vAMT section found in the stream"
        variants = []
        for length in (0x80000000, 0xffffffff, 0x7fffffff, 0x10000000):
            for field in (at - 8, at - 4):
                b = bytearray(image)
                b[field:field + 4] = struct.pack(">I", length)
                variants.append(bytes(b))
        for _ in range(16):
            b = bytearray(image)
            for _ in range(rng.randrange(1, 6)):
                b[at + rng.randrange(min(4096, len(b) - at))] = \
                    rng.getrandbits(8)
            variants.append(bytes(b))
        variants.append(image[:at + 64])
        for i, data in enumerate(variants):
            with open(stream, "wb") as f:
                f.write(data)
            dst = Qemu(binary, args=("-incoming", "defer"))
            try:
                dst.qmp.execute("migrate-incoming",
                                {"uri": "file:" + stream,
                                 "exit-on-error": False})
                for _ in range(500):
                    r, _ = dst.qmp.execute("query-migrate")
                    if r["return"].get("status") in ("completed", "failed"):
                        break
                    time.sleep(0.01)
                if not dst.alive():
                    return "variant %d killed the destination" % i
                if dst.qmp.execute("query-status")[1] > QMP_LIMIT_S:
                    return "variant %d: destination QMP slow" % i
            finally:
                dst.stop()
        if not src.alive():
            return "the source died"
        return None
    finally:
        src.stop()
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


def attack_redir_garbage(t):
    """Bytes that are no redirection message, truncated and oversized ones."""
    streams = [
        b"\xff" * 64,                                  # unknown type
        b"\x13\x00\x00\x00\x01\x10\x00\x00\x00",         # login before start
        SOL_START + b"\x13\x00\x00\x00\x04\xff\xff\xff\x7f",  # 2 GiB login
        SOL_START + b"\x20" + bytes(23),               # SOL before login
        SOL_START + redir_auth(1, b"admin"),            # one element
        SOL_START + redir_auth(4, b"admin", b"x", b"y", b"", b"", b"", b"", b"",
                               b"extra"),              # nine elements
        bytes([0x10, 0, 0]),                            # truncated start
    ]
    for raw in streams:
        try:
            s = connect(t.redir_port)
            s.sendall(raw)
            closed = redir_closed(s, 3.0 if raw[:1] != b"\x10" or
                                  len(raw) > 8 else 11.0)
            s.close()
        except OSError:
            continue
        if not closed:
            return "the ME kept a connection open after %r" % raw[:24]
    return None


def attack_redir_replay(t):
    """A Digest answer taken from one connection, replayed on another."""
    realm_nonce = []
    s = connect(t.redir_port)
    s.sendall(SOL_START)
    recv_exact(s, 13)
    s.sendall(redir_auth(4, b"admin", b"", b"", b"/RedirectionService",
                         b"", b"", b"", b""))
    head = recv_exact(s, 9)
    data = recv_exact(s, struct.unpack("<I", head[5:9])[0])
    while data:
        n = data[0]
        realm_nonce.append(data[1:1 + n])
        data = data[1 + n:]
    realm, nonce = realm_nonce[0], realm_nonce[1]
    ha1 = md5("admin:%s:%s" % (realm.decode(), PASSWORD))
    ha2 = md5("POST:/RedirectionService")
    rsp = md5("%s:%s:00000002:c0ffee:auth:%s" % (ha1, nonce.decode(), ha2))
    answer = redir_auth(4, b"admin", realm, nonce, b"/RedirectionService",
                        b"c0ffee", b"00000002", rsp.encode(), b"auth")
    s.sendall(answer)
    ok = recv_exact(s, 9)
    s.close()
    if len(ok) != 9 or ok[1] != 0:
        return "the genuine Digest login failed: %r" % ok
    # the same answer on a new connection, after the same start
    s = connect(t.redir_port)
    s.sendall(SOL_START)
    recv_exact(s, 13)
    s.sendall(answer)
    replayed = recv_exact(s, 9)
    s.close()
    if len(replayed) == 9 and replayed[1] == 0:
        return "a replayed Digest answer logged in"
    return None


def attack_redir_hammer(t):
    """Wrong passwords on 16994 lock out the guesser's address only."""
    for _ in range(6):
        status = redir_login(t.redir_port, "admin", "Wr0ng!pass", peer=9)
        if status[1] == 0:
            return "a wrong password logged in"
    if redir_login(t.redir_port, "admin", PASSWORD, peer=9) == (0, 0):
        return "the guesser's address was not locked out"
    if redir_login(t.redir_port, "admin", PASSWORD) != (0, 0):
        return "the owner at another address was locked out"
    return None


def attack_redir_flood(t):
    """100 idle redirection connections from 10 peers, then a console."""
    socks = []
    for i in range(100):
        try:
            s = connect(t.redir_port, peer=2 + i % 10, timeout=2)
            if i % 2:
                s.sendall(SOL_START)
            socks.append(s)
        except OSError:
            pass
    status = redir_login(t.redir_port, "admin", PASSWORD)
    for s in socks:
        s.close()
    if status != (0, 0):
        return "a console during the flood got %s" % (status,)
    return None


def attack_redir_vanish(t):
    """A SOL console that vanishes mid-session leaves SOL free."""
    status, s = redir_login(t.redir_port, "admin", PASSWORD, keep=True)
    if status != (0, 0):
        return "login answered %s" % (status,)
    s.sendall(struct.pack("<4sI6HI", b"\x20\x00\x00\x00", 0, 1000, 100, 0,
                          10000, 0, 5000, 0))
    reply = recv_exact(s, 23)
    if len(reply) != 23 or reply[0] != 0x21:
        return "StartSOLRedirection answered %r" % reply
    second = redir_login(t.redir_port, "admin", PASSWORD)
    if second[0] != 2:
        return "a second SOL session got %s, not busy" % (second,)
    # gone without a word: an RST
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()
    for _ in range(20):
        if redir_login(t.redir_port, "admin", PASSWORD) == (0, 0):
            return None
        time.sleep(0.1)
    return "SOL stayed busy after its console vanished"

# ---- the ME's own connections out: alert subscriptions ------------------------

EVENTING = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
PUSH = EVENTING + "/DeliveryModes/Push"


def subscribe(t, url, arg="", user=None, password=None, ns="http://x.com"):
    tokens = ""
    if user is not None:
        tokens = ('<t:IssuedTokens xmlns:t="http://schemas.xmlsoap.org/ws/'
                  '2005/02/trust" xmlns:se="http://docs.oasis-open.org/wss/'
                  '2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
                  '<t:RequestSecurityTokenResponse><t:RequestedSecurityToken>'
                  '<se:UsernameToken><se:Username>%s</se:Username>'
                  '<se:Password>%s</se:Password></se:UsernameToken>'
                  '</t:RequestedSecurityToken></t:RequestSecurityTokenResponse>'
                  '</t:IssuedTokens>' % (user, password))
    body = ('<e:Subscribe xmlns:e="%s" xmlns:m="%s"><e:Delivery Mode="%s">'
            '<e:NotifyTo><a:Address>%s</a:Address><a:ReferenceParameters>'
            '<m:arg>%s</m:arg></a:ReferenceParameters></e:NotifyTo>'
            '</e:Delivery></e:Subscribe>' % (EVENTING, ns, PUSH, url, arg))
    rsp = t.admin.call(envelope(
        EVENTING + "/Subscribe", CIM + "CIM_FilterCollection", body,
        selectors='<w:SelectorSet><w:Selector Name="InstanceID">'
        'Intel(r) AMT:All</w:Selector></w:SelectorSet>' + tokens))
    m = re.search(rb"Intel\(r\) AMT:Destination [0-9a-f]{16}", rsp[2]) \
        if rsp else None
    return (rsp[0] if rsp else None), (m.group(0).decode() if m else None)


def unsubscribe(t, name):
    epr = ('<a:EndpointReference><a:Address>%s/role/anonymous</a:Address>'
           '<a:ReferenceParameters><w:ResourceURI>%s%s</w:ResourceURI>'
           '<w:SelectorSet>%s</w:SelectorSet></a:ReferenceParameters>'
           '</a:EndpointReference>')
    handler = epr % (NS_WSA, CIM, "CIM_ListenerDestinationWSManagement",
                     '<w:Selector Name="CreationClassName">'
                     'CIM_ListenerDestinationWSMAN</w:Selector>'
                     '<w:Selector Name="Name">%s</w:Selector>' % name)
    rsp = t.admin.call(envelope(
        EVENTING + "/Unsubscribe", CIM + "CIM_FilterCollectionSubscription",
        '<e:Unsubscribe xmlns:e="%s"/>' % EVENTING,
        selectors='<w:SelectorSet><w:Selector Name="Handler">%s</w:Selector>'
        '</w:SelectorSet>' % handler))
    return rsp[0] if rsp else None


def listeners(t):
    rsp = t.admin.call(envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
        CIM + "CIM_ListenerDestination",
        '<n:Enumerate xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/'
        'enumeration"><w:OptimizeEnumeration/><w:MaxElements>20'
        '</w:MaxElements></n:Enumerate>'))
    return re.findall(rb":Destination>([^<]*)<", rsp[2]) if rsp else None


def attack_alert_injection(t):
    """Subscriptions that would write headers or tags are refused."""
    hostile = [
        dict(url="http://127.0.0.1/a&#13;&#10;Injected: 1"),
        dict(url="http://127.0.0.1/a b"),
        dict(url="http://127.0.0.1:99999/"),
        dict(url="http://127.0.0.1@evil/"),
        dict(url="https://127.0.0.1/"),
        dict(url="file:///etc/passwd"),
        dict(url="http://127.0.0.1/" + "a" * 300),
        dict(url="http://127.0.0.1/", arg="x" * 300),
        dict(url="http://127.0.0.1/", arg="a&#10;b"),
        dict(url="http://127.0.0.1/", ns='x"><evil/><y z="'),
        dict(url="http://127.0.0.1/", user='a"b', password="p"),
        dict(url="http://127.0.0.1/", user="u&#13;&#10;X: y", password="p"),
        dict(url="http://127.0.0.1/", user="", password="p"),
    ]
    for h in hostile:
        status, name = subscribe(t, **h)
        if status != 400 or name:
            return "Subscribe %r answered %s" % (h, status)
    if listeners(t) != []:
        return "a refused subscription is listed: %r" % listeners(t)
    return None


class HostileListener:
    """A listener that misbehaves one way: @mode."""

    def __init__(self, mode):
        import threading
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.url = "http://127.0.0.1:%d/events" % self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = False
        self.held = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            c.settimeout(0.2)
            try:
                if self.mode == "silent":
                    self.held.append(c)      # accept, never read or answer
                    continue
                if self.mode == "endless":
                    c.sendall(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(400):     # 8 KiB and more of headers
                        c.sendall(b"X-Pad: " + b"a" * 64 + b"\r\n")
                elif self.mode == "chunks":
                    c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                              b"chunked\r\n\r\nffffffffffffffff\r\n" +
                              b"z" * 65536)
                elif self.mode == "challenge":
                    c.sendall(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate"
                              b": Digest realm=\"r\", qop=\"auth\", nonce=\"" +
                              b"n" * 4000 + b"\"\r\nContent-Length: 0\r\n\r\n")
                elif self.mode == "garbage":
                    c.sendall(bytes(random.getrandbits(8)
                                    for _ in range(20000)))
            except OSError:
                pass
            self.held.append(c)

    def close(self):
        self.stop = True
        self.thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


def sol_session(t):
    """A SOL session started and ended: two alerts (iAMT0050 48, 49)."""
    status, s = redir_login(t.redir_port, "admin", PASSWORD, keep=True)
    if status != (0, 0):
        return "login answered %s" % (status,)
    s.sendall(struct.pack("<4sI6HI", b"\x20\x00\x00\x00", 0, 1000, 100, 0,
                          10000, 0, 5000, 0))
    recv_exact(s, 23)
    s.close()
    return None


def attack_alert_listeners(t):
    """Listeners that stall, flood or babble cost QEMU nothing."""
    modes = ["silent", "endless", "chunks", "challenge", "garbage"]
    hostile = [HostileListener(m) for m in modes]
    names = []
    try:
        for h in hostile:
            status, name = subscribe(t, h.url, user="u", password="p")
            if status != 200 or not name:
                return "Subscribe %s answered %s" % (h.mode, status)
            names.append(name)
        for _ in range(5):
            why = sol_session(t)
            if why:
                return why
        # deliveries run while the console and QMP must stay quick
        end = time.monotonic() + 12
        while time.monotonic() < end:
            health = t.health()
            if health:
                return "while listeners misbehave: " + health
            time.sleep(0.5)
        info = t.qemu.qmp.execute("query-vamt")[0]["return"][0]["alerts"]
        if info["queued"] < len(modes) or info["dropped"] > info["queued"]:
            return "alerts not queued: %r" % info
        # one delivery at a time, 10 s each at most: two in 12 s
        if sum(h.accepted for h in hostile) < 2:
            return "the ME stopped trying: %r" % \
                [(h.mode, h.accepted) for h in hostile]
    finally:
        for name in names:
            unsubscribe(t, name)
        for h in hostile:
            h.close()
    if listeners(t) != []:
        return "Unsubscribe left %r" % listeners(t)
    return None


NETWORK_ATTACKS = [
    ("auth: empty Digest response (CVE-2017-5689)", attack_empty_response),
    ("auth: response for a foreign realm", attack_wrong_realm),
    ("auth: response for another URI", attack_uri_mismatch),
    ("auth: RFC 2069 Digest without qop", attack_no_qop),
    ("auth: replay after 70 newer requests", attack_replay),
    ("auth: realm escalation to power control", attack_realm_escalation),
    ("auth: password hammering", attack_hammer),
    ("auth: another user's enumeration context", attack_enumeration_theft),
    ("http: request smuggling (CL+TE, two lengths)", attack_smuggling),
    ("http: malformed requests", attack_malformed_http),
    ("xml: entity, DTD, nesting and attribute bombs", attack_xml_bombs),
    ("xml: EBCDIC and UTF-7 bodies", attack_encodings),
    ("pre-auth: quadratic libxml2 bodies", attack_preauth_cost),
    ("tcp: slow connections from 5 peers", attack_slow_connections),
    ("tcp: 150 connections from 20 peers", attack_many_connections),
    ("redir: garbage, truncated and oversized messages", attack_redir_garbage),
    ("redir: a Digest answer replayed on a new connection",
     attack_redir_replay),
    ("redir: password hammering on 16994", attack_redir_hammer),
    ("redir: 100 idle connections from 10 peers", attack_redir_flood),
    ("redir: a SOL console vanishing mid-session", attack_redir_vanish),
    ("udp: RMCP garbage and a 5000-ping flood", attack_rmcp),
    ("alerts: header and tag injection in Subscribe",
     attack_alert_injection),
    ("alerts: listeners that stall, flood and babble",
     attack_alert_listeners),
]
# ---- KVM: the RFB server behind KVMR and port 5900 --------------------------

KVM_START = b"\x10\x01\x00\x00KVMR"
RFB_PASSWORD = "Vnc@pw01"
KVM_SETTINGS = "http://intel.com/wbem/wscim/1/ips-schema/1/" \
    "IPS_KVMRedirectionSettingData"


def kvm_qemu(binary):
    """A QEMU whose default VGA is the KVM screen (nothing runs on it)."""
    q = Qemu(binary, ",kvm=on,rfb-port=0", args=("-device", "VGA"))
    q.redir_port = redirection_port(q)
    return q


def kvm_login(port):
    """(0x11 status, 0x14 status, socket) of a KVMR start and plain login"""
    s = connect(port, timeout=5)
    s.sendall(KVM_START)
    reply = recv_exact(s, 13)
    if len(reply) < 13 or reply[1] != 0:
        return (reply[1] if len(reply) == 13 else None), None, s
    s.sendall(redir_auth(1, b"admin", PASSWORD.encode()))
    reply = recv_exact(s, 9)
    return 0, (reply[1] if len(reply) == 9 else None), s


def kvm_viewer(port):
    """A KVMR session past RFB's ServerInit: (socket, width, height)"""
    start, login, s = kvm_login(port)
    if (start, login) != (0, 0):
        s.close()
        raise RuntimeError("KVMR start/login answered %s" % ((start, login),))
    s.sendall(b"\x40" + bytes(7))
    head = recv_exact(s, 8 + 12)
    if head[:2] != b"\x41\x00" or head[8:] != b"RFB 003.008\n":
        raise RuntimeError("KVMR answered %r" % head)
    s.sendall(b"RFB 003.008\n")
    if recv_exact(s, 2) != b"\x01\x01":
        raise RuntimeError("no security type None")
    s.sendall(b"\x01")
    if recv_exact(s, 4) != bytes(4):
        raise RuntimeError("SecurityResult failed")
    s.sendall(b"\x01")
    init = recv_exact(s, 24)
    width, height = struct.unpack(">HH", init[:4])
    recv_exact(s, struct.unpack(">I", init[20:24])[0])
    return s, width, height


def kvm_served(q):
    """None if a new KVM viewer gets a whole screen, else why not"""
    try:
        s, width, height = kvm_viewer(q.redir_port)
    except (OSError, RuntimeError) as e:
        return "a new KVM viewer failed: %s" % e
    try:
        # RAW: each rectangle is its header and w * h * 2 bytes
        s.sendall(struct.pack(">BBHi", 2, 0, 1, 0) +
                  struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))
        head = recv_exact(s, 4)
        pixels = 0
        for _ in range(struct.unpack(">H", head[2:])[0]):
            _, _, w, h, _ = struct.unpack(">HHHHi", recv_exact(s, 12))
            if len(recv_exact(s, w * h * 2)) != w * h * 2:
                return "an update was cut short"
            pixels += w * h
        if pixels != width * height:
            return "a full update had %d of %d pixels" % (pixels,
                                                          width * height)
        return None
    finally:
        s.close()


def attack_kvm_hostile_rfb(binary):
    """Hostile RFB after a KVMR login: closed or ignored, never harmful."""
    payloads = [
        bytes(random.getrandbits(8) for _ in range(4096)),
        b"\x02\x00\xff\xff" + bytes(16),             # 65535 encodings
        b"\x00" + bytes(3) + bytes([24, 24, 0, 1]) + bytes(12),   # 24 bpp
        b"\x00" + bytes(3) + bytes([32, 24, 0, 0]) + bytes(12),   # colour map
        b"\x06" + bytes(3) + b"\xff\xff\xff\xff" + b"x" * 65536,  # 4 GB cut
        b"\x03\x00\xff\xff\xff\xff\xff\xff\xff\xff" * 50,  # huge areas
        b"\x05\x07\xff\xff\xff\xff" * 200,          # pointer off-screen
        b"\x04\x01\x00\x00\xff\xff\xff\xff" * 200,  # unknown keysyms
    ]
    q = kvm_qemu(binary)
    try:
        for i, payload in enumerate(payloads):
            s, _, _ = kvm_viewer(q.redir_port)
            try:
                s.sendall(payload)
            except OSError:
                pass
            redir_closed(s, timeout=0.5)
            s.close()
            if not q.alive():
                return "QEMU died on payload %d" % i
            why = kvm_served(q)
            if why:
                return "after payload %d: %s" % (i, why)
        if q.qmp.execute("query-status")[1] > QMP_LIMIT_S:
            return "QMP slow after hostile RFB"
        return None
    finally:
        q.stop()


def rss_kib(q):
    for line in open("/proc/%d/status" % q.proc.pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def attack_kvm_stalled_viewer(binary):
    """A KVM viewer asking for full screens and never reading them."""
    q = kvm_qemu(binary)
    try:
        s, width, height = kvm_viewer(q.redir_port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        before = rss_kib(q)
        request = struct.pack(">BBHHHH", 3, 0, 0, 0, width, height)
        s.setblocking(False)
        sent = 0
        for _ in range(5000):
            try:
                sent += s.send(request)
            except BlockingIOError:
                time.sleep(0.001)
        grown = rss_kib(q) - before
        d = Digest(q.port, "admin", PASSWORD)
        rsp = d.call(get_identity())
        slow = q.qmp.execute("query-status")[1]
        s.close()
        if grown > 32 * 1024:
            return "QEMU grew by %d KiB for %d unread requests" % (
                grown, sent // len(request))
        if not rsp or rsp[0] != 200:
            return "WS-Man not served while a viewer stalled"
        if slow > QMP_LIMIT_S:
            return "QMP took %.0f ms while a viewer stalled" % (slow * 1000)
        return kvm_served(q)
    finally:
        q.stop()


def vnc_port(q):
    reply, _ = q.qmp.execute("query-vamt")
    for listener in reply["return"][0]["listeners"]:
        if listener["service-port"] == 5900:
            return listener["port"]
    return None


def attack_kvm_many_viewers(binary):
    """8 KVM viewers at once on KVMR and on 5900: one session, refusals."""
    q = kvm_qemu(binary)
    try:
        # all start at once; the first to log in has the session
        logins = [kvm_login(q.redir_port) for _ in range(8)]
        statuses = sorted((a, b) for a, b, _ in logins)
        for _, _, s in logins:
            s.close()
        if statuses[0] != (0, 0) or any(st == (0, 0) for st in statuses[1:]):
            return "8 KVMR logins at once: %s" % statuses
        time.sleep(0.2)
        d = Digest(q.port, "admin", PASSWORD)
        body = ('<p:IPS_KVMRedirectionSettingData xmlns:p="%s">'
                "<p:Is5900PortEnabled>true</p:Is5900PortEnabled>"
                "<p:RFBPassword>%s</p:RFBPassword>"
                "</p:IPS_KVMRedirectionSettingData>" % (KVM_SETTINGS,
                                                         RFB_PASSWORD))
        rsp = d.call(envelope("http://schemas.xmlsoap.org/ws/2004/09/"
                              "transfer/Put", KVM_SETTINGS, body))
        if not rsp or rsp[0] != 200:
            return "enabling port 5900 answered %s" % (rsp and rsp[0])
        time.sleep(0.3)
        port = vnc_port(q)
        if not port:
            return "port 5900 did not open"
        # at most 4 connections wait unauthenticated (as on 16994): the
        # oldest make room; the newest 4 are asked for the RFB password,
        # and after 3 wrong ones the port refuses logins for 10 s.
        # Each viewer has the server's banner (the ME took it) before the
        # next connects, so no refusal frees a place early.
        viewers = []
        for i in range(8):
            s = connect(port, timeout=5)
            if recv_exact(s, 12) != b"RFB 003.008\n":
                return "VNC viewer %d got no RFB banner" % i
            viewers.append(s)
        outcome = ""
        for s in viewers:
            try:
                s.sendall(b"RFB 003.008\n")
                types = recv_exact(s, 1)
                if types == b"\x00":
                    # no security types: the reason follows
                    why = recv_exact(s, struct.unpack(">I", recv_exact(
                        s, 4))[0])
                    outcome += "b" if b"too many" in why else "?"
                    continue
                if types + recv_exact(s, 1) != b"\x01\x02":
                    raise ConnectionError("no VNC authentication offered")
                s.sendall(b"\x02")
                if len(recv_exact(s, 16)) != 16:
                    raise ConnectionError("no challenge")
                s.sendall(bytes(16))     # a wrong response
                result = recv_exact(s, 4)
                if result == b"\x00\x00\x00\x01":
                    outcome += "r"
                elif result:
                    return "a wrong VNC password got %r" % result
                else:
                    outcome += "s"
            except OSError:
                outcome += "s"
        for s in viewers:
            s.close()
        # oldest first: 4 shed; 3 wrong passwords, then AMT's lock-out
        if outcome != "ssssrrrb":
            return ("8 VNC viewers, oldest first (s shed, r refused, "
                    "b blocked): %s" % outcome)
        return kvm_served(q)
    finally:
        q.stop()


def tls_qemu(binary):
    """A QEMU serving 16993 with credentials made for it (tls-creds=)."""
    certs = tempfile.mkdtemp(prefix="vamt-attack-tls-")
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "..", "..", "scripts", "vamt",
                                 "make-tls-certs.sh"), certs, "127.0.0.1"],
                   check=True)
    q = Qemu(binary, ",tls-creds=tls0", args=(
        "-object", "tls-creds-x509,id=tls0,dir=%s,endpoint=server,"
        "verify-peer=off,priority=NORMAL:-VERS-TLS1.0:-VERS-TLS1.1" % certs))
    reply, _ = q.qmp.execute("query-vamt")
    q.tls_port = [x["port"] for x in reply["return"][0]["listeners"]
                  if x["service-port"] == 16993][0]
    q.tls_ctx = ssl.create_default_context(cafile=os.path.join(
        certs, "ca-cert.pem"))
    q.tls_ctx.check_hostname = False
    q.certs = certs
    return q


def attack_tls(binary):
    """16993: handshakes never finished, garbage records, a stalled
    request inside TLS and a reader that stops reading its answers.  The
    ME may shed any of them (the connection caps); a console that comes
    after them must be served."""
    q = tls_qemu(binary)
    held = []

    def hold(make):
        try:
            held.append(make())
        except OSError:         # shed by the ME to make room: allowed
            pass

    def stalled_request():
        s = q.tls_ctx.wrap_socket(connect(q.tls_port, peer=6))
        s.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\n")
        return s

    def junk_sender(junk):
        s = connect(q.tls_port, peer=5)
        s.sendall(junk)
        return s

    try:
        for i in range(40):         # TCP only: no ClientHello ever
            hold(lambda: connect(q.tls_port, peer=1 + i % 4))
        for junk in (b"\x16\x03\x03\xff\xff" + bytes(2000),
                     b"\x17\x03\x03\x00\x10" + bytes(16),
                     b"\x16\x03\x01\x00\x40\x01\x00\x00",   # cut short
                     bytes(random.getrandbits(8) for _ in range(4096)),
                     b"GET / HTTP/1.1\r\n\r\n"):
            hold(lambda: junk_sender(junk))
        for _ in range(6):          # a request head that never ends
            hold(stalled_request)
        flood = q.tls_ctx.wrap_socket(connect(q.tls_port, peer=7))
        held.append(flood)
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        flood.setblocking(False)
        before = rss_kib(q)
        request = post(get_identity())
        try:
            for _ in range(3000):   # pipelined, never reading the answers
                try:
                    flood.send(request)
                except (ssl.SSLWantWriteError, BlockingIOError):
                    time.sleep(0.001)
        except OSError:
            pass                    # shed, or closed for not reading
        grown = rss_kib(q) - before
        if not q.alive():
            return "QEMU died"
        rsp = Digest(q.tls_port, "admin", PASSWORD, peer=8,
                     tls=q.tls_ctx).call(get_identity())
        if not rsp or rsp[0] != 200:
            return "WS-Man over TLS answered %s" % (rsp and rsp[0])
        slow = q.qmp.execute("query-status")[1]
        if slow > QMP_LIMIT_S:
            return "QMP took %.0f ms" % (slow * 1000)
        if grown > 32 * 1024:
            return "QEMU grew by %d KiB for unread TLS answers" % grown
        plain = Digest(q.port, "admin", PASSWORD).call(get_identity())
        if not plain or plain[0] != 200:
            return "the plain port answered %s" % (plain and plain[0])
        return None
    finally:
        for s in held:
            s.close()
        q.stop()
        shutil.rmtree(q.certs, ignore_errors=True)


OWN_QEMU_ATTACKS = [
    ("tcp: descriptor exhaustion (nofile 48)", attack_descriptor_exhaustion),
    ("guest: 20000 random BAR0 accesses", attack_random_mmio),
    ("files: hostile NVRAM files", attack_hostile_nvram),
    ("migration: hostile streams", attack_hostile_migration),
    ("kvm: hostile RFB after a KVMR login", attack_kvm_hostile_rfb),
    ("kvm: a viewer that stops reading", attack_kvm_stalled_viewer),
    ("kvm: 8 viewers at once (KVMR and 5900)", attack_kvm_many_viewers),
    ("tls: idle handshakes, garbage records, stalled readers on 16993",
     attack_tls),
]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip())
    binary = sys.argv[1]
    only = sys.argv[3:] if len(sys.argv) > 2 and sys.argv[2] == "--only" \
        else None
    random.seed(4)
    results = []
    target = Target(binary)
    n = 0
    try:
        for name, attack in NETWORK_ATTACKS + OWN_QEMU_ATTACKS:
            if only and not any(o in name for o in only):
                continue
            n += 1
            start = time.monotonic()
            try:
                if (name, attack) in OWN_QEMU_ATTACKS:
                    why = attack(binary)
                else:
                    why = attack(target)
            except Exception as e:          # noqa: BLE001 - report, go on
                why = "the attack client failed: %r" % e
            health = target.health()
            if health and not why:
                why = "afterwards: " + health
            took = time.monotonic() - start
            results.append((name, why, took))
            print("%s %d - %s%s" % ("ok" if not why else "not ok", n, name,
                                    "" if not why else ": " + why))
            sys.stdout.flush()
            if health:
                target.qemu.stop()
                target.start()
    finally:
        target.qemu.stop()
    print("1..%d" % n)
    print("# %-48s %-6s %s" % ("attack", "result", "seconds"))
    for name, why, took in results:
        print("# %-48s %-6s %.1f" % (name, "held" if not why else "FAILED",
                                     took))
    held = sum(1 for r in results if not r[1])
    print("# %d held, %d failed" % (held, len(results) - held))
    return 0 if held == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
