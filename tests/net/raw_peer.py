#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A peer on the guest's wire, speaking raw Ethernet frames.

QEMU's `-netdev dgram` (or `-netdev socket,udp=`) carries one Ethernet
frame per UDP datagram; this is the other end of that cable, on
127.0.0.1.  It answers ARP for its own address and can

  probe IP               ARP for IP, then an ICMP echo: who answers
  http IP PORT WHAT      a TCP connection of its own (SYN, ACK, data,
                         ACKs, FIN) carrying one HTTP request: WHAT is
                         "identify" (a WS-Man Identify POST) or a path
                         for a GET; prints the status line, headers, the
                         body's first line and how long it took
  garbage IP MAC COUNT [KIND,...]
                         COUNT hostile frames at IP/MAC: random bytes,
                         truncated headers, lying IP lengths, fragments
                         to 16992, odd TCP flags and options, bad
                         checksums, ARP and DHCP junk, VLAN tags, IPv6
                         (KIND: only those, by their function's name)
  synflood IP MAC COUNT  COUNT SYNs to IP port 16992 from random source
                         addresses and ports, never completed
  sniff SECONDS          count the frames that arrive (by kind)
  replay FILE [FIRST [N]]  send again frames --record wrote to FILE
  udpburst IP MAC COUNT [MS]  COUNT UDP datagrams to port 9, MS apart
  pingburst IP MAC COUNT [BATCH]  COUNT echo requests in quick
                         succession (BATCH, 50, per 5 ms): how many are
                         answered

Lines it prints start with a keyword the test greps ("arp", "ping",
"status", "header", "body", "time", "sent", "seen").  Exit status 0 when
what was asked for happened.
"""

import argparse
import os
import random
import socket
import struct
import sys
import time

ETH_IP = 0x0800
ETH_ARP = 0x0806


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.replace("-", ":").split(":"))


def mac_text(raw):
    return ":".join("%02x" % b for b in raw)


def ip_bytes(text):
    return socket.inet_aton(text)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=None, flags=0x4000, ttl=64,
         total=None, ihl=5, options=b""):
    """An IPv4 packet; total/ihl/options may lie on purpose"""
    if ident is None:
        ident = random.getrandbits(16)
    if total is None:
        total = 4 * ihl + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, total & 0xFFFF,
                      ident, flags, ttl, proto, 0, src, dst) + options
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b"",
                window=65535, options=b"", bad_csum=False, doff=None):
    if doff is None:
        doff = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, (doff & 0xF) << 4, flags, window,
                      0, 0) + options
    seg = hdr + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
    c = checksum(pseudo + seg)
    if bad_csum:
        c ^= 0x5A5A
    return seg[:16] + struct.pack("!H", c) + seg[18:]


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


class Peer:
    def __init__(self, args):
        self.qemu = ("127.0.0.1", args.qemu_port)
        self.mac = mac_bytes(args.mac)
        self.ip = ip_bytes(args.ip)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind(("127.0.0.1", args.peer_port))
        self.seen = {}
        self.verbose = args.verbose
        self.record = open(args.record, "ab") if args.record else None

    def send(self, frame):
        # QEMU's dgram and socket,udp= backends take an empty datagram
        # for the end of the connection and stop reading for good
        if not frame:
            return
        if self.record:
            self.record.write(struct.pack("!H", len(frame)) + frame)
        try:
            self.sock.sendto(frame, self.qemu)
        except OSError as e:        # ECONNREFUSED from an earlier ICMP
            if self.verbose:
                print("# send: %s" % e, file=sys.stderr)

    def eth(self, dst_mac, etype, payload, src=None):
        return dst_mac + (src or self.mac) + struct.pack("!H", etype) + payload

    def recv(self, timeout):
        """One frame within timeout seconds (None); answers ARP for us"""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                frame = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                continue
            self.count(frame)
            if self.answer_arp(frame):
                continue
            return frame

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                frame = self.sock.recv(65536)
                self.count(frame)
                self.answer_arp(frame)
        except (BlockingIOError, OSError):
            pass
        self.sock.setblocking(True)

    def count(self, frame):
        kind = "short"
        if len(frame) >= 14:
            etype = struct.unpack("!H", frame[12:14])[0]
            kind = {ETH_IP: "ipv4", ETH_ARP: "arp", 0x86DD: "ipv6",
                    0x8100: "vlan"}.get(etype, "other")
            if kind == "ipv4" and len(frame) >= 34:
                kind = {1: "icmp", 6: "tcp", 17: "udp"}.get(frame[23], kind)
        self.seen[kind] = self.seen.get(kind, 0) + 1

    def answer_arp(self, frame):
        if len(frame) < 42 or frame[12:14] != b"\x08\x06":
            return False
        op = struct.unpack("!H", frame[20:22])[0]
        if op == 1 and frame[38:42] == self.ip:
            reply = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 2) + self.mac + \
                self.ip + frame[22:28] + frame[28:32]
            self.send(self.eth(frame[22:28], ETH_ARP, reply))
            return True
        return False

    # ---- ARP and ICMP ----------------------------------------------------

    def arp(self, ip, timeout=3.0):
        req = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + self.mac + \
            self.ip + b"\0" * 6 + ip
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.send(self.eth(b"\xff" * 6, ETH_ARP, req))
            resend = time.monotonic() + 0.5
            while time.monotonic() < min(resend, end):
                f = self.recv(min(resend, end) - time.monotonic())
                if f and len(f) >= 42 and f[12:14] == b"\x08\x06" and \
                        f[20:22] == b"\x00\x02" and f[28:32] == ip:
                    return f[22:28]
        return None

    def ping(self, ip, mac, timeout=3.0):
        ident = random.getrandbits(16)
        end = time.monotonic() + timeout
        seq = 0
        while time.monotonic() < end:
            seq += 1
            data = b"vamt-raw-peer-%d" % seq
            icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
            icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
            self.send(self.eth(mac, ETH_IP, ipv4(self.ip, ip, 1, icmp)))
            resend = time.monotonic() + 0.5
            while time.monotonic() < min(resend, end):
                f = self.recv(min(resend, end) - time.monotonic())
                if not f or len(f) < 42 or f[12:14] != b"\x08\x00":
                    continue
                ihl = (f[14] & 0xF) * 4
                if f[23] != 1 or f[26:30] != ip:
                    continue
                icmp = f[14 + ihl:]
                if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                    return f[6:12]
        return None

    # ---- TCP -------------------------------------------------------------

    def tcp_send(self, mac, ip, sport, dport, seq, ack, flags, payload=b"",
                 options=b""):
        seg = tcp_segment(self.ip, ip, sport, dport, seq, ack, flags, payload,
                          options=options)
        self.send(self.eth(mac, ETH_IP, ipv4(self.ip, ip, 6, seg)))

    def tcp_recv(self, ip, sport, dport, timeout):
        """the next segment of our connection: (flags, seq, ack, payload)"""
        end = time.monotonic() + timeout
        while True:
            f = self.recv(end - time.monotonic())
            if f is None:
                return None
            if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
                continue
            ihl = (f[14] & 0xF) * 4
            total = struct.unpack("!H", f[16:18])[0]
            if f[26:30] != ip or f[30:34] != self.ip:
                continue
            seg = f[14 + ihl:14 + total]
            sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", seg[:14])
            if sp != dport or dp != sport:
                continue
            return flags, seq, ack, seg[(off >> 4) * 4:]

    def http(self, ip, mac, port, request, timeout):
        """one request on a connection of our own; (response, why)"""
        sport = random.randint(20000, 60000)
        iss = random.getrandbits(32)
        mss = b"\x02\x04\x05\xb4"
        end = time.monotonic() + timeout
        rto = 0.5
        peer_seq = None
        # the handshake, SYN sent again as TCP does (0.5, 1, 2, 2... s)
        while peer_seq is None:
            if time.monotonic() >= end:
                return None, "no SYN-ACK"
            self.tcp_send(mac, ip, sport, port, iss, 0, SYN, options=mss)
            wait = time.monotonic() + min(rto, end - time.monotonic())
            rto = min(rto * 2, 2.0)
            while time.monotonic() < wait:
                seg = self.tcp_recv(ip, sport, port, wait - time.monotonic())
                if seg is None:
                    break
                flags, seq, ack, _ = seg
                if flags & RST:
                    return None, "reset on SYN"
                if flags & SYN and flags & ACK and ack == (iss + 1) & 0xFFFFFFFF:
                    peer_seq = seq
                    break
        snd_una = snd_nxt = (iss + 1) & 0xFFFFFFFF
        rcv_nxt = (peer_seq + 1) & 0xFFFFFFFF
        self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, ACK)

        chunks = [request[i:i + 1400] for i in range(0, len(request), 1400)]
        unacked = []
        for c in chunks:
            unacked.append((snd_nxt, c))
            self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, PSH | ACK, c)
            snd_nxt = (snd_nxt + len(c)) & 0xFFFFFFFF
        data = b""
        got_fin = False
        last_sent = time.monotonic()
        while time.monotonic() < end and not got_fin:
            if http_complete(data):
                break
            seg = self.tcp_recv(ip, sport, port, 0.3)
            if seg is None:
                if unacked and time.monotonic() - last_sent > 1.0:
                    for s, c in unacked:
                        self.tcp_send(mac, ip, sport, port, s, rcv_nxt,
                                      PSH | ACK, c)
                    last_sent = time.monotonic()
                continue
            flags, seq, ack, payload = seg
            if flags & RST:
                return data, "reset"
            if flags & ACK:
                unacked = [(s, c) for s, c in unacked
                           if not seq_le(s + len(c), ack)]
            if seq == rcv_nxt:
                data += payload
                rcv_nxt = (rcv_nxt + len(payload)) & 0xFFFFFFFF
                if flags & FIN:
                    rcv_nxt = (rcv_nxt + 1) & 0xFFFFFFFF
                    got_fin = True
            if payload or flags & FIN or seq != rcv_nxt:
                self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, ACK)
        # our FIN; the ME's ACK (and FIN) within a second, else a RST
        self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, FIN | ACK)
        snd_nxt = (snd_nxt + 1) & 0xFFFFFFFF
        closed = False
        close_end = time.monotonic() + 1.0
        while time.monotonic() < close_end:
            seg = self.tcp_recv(ip, sport, port, close_end - time.monotonic())
            if seg is None:
                break
            flags, seq, ack, payload = seg
            if flags & RST:
                closed = True
                break
            if flags & FIN:
                rcv_nxt = (seq + len(payload) + 1) & 0xFFFFFFFF
                self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, ACK)
                got_fin = True
            if got_fin and flags & ACK and ack == snd_nxt:
                closed = True
                break
        if not closed:
            self.tcp_send(mac, ip, sport, port, snd_nxt, rcv_nxt, RST | ACK)
        return data, "complete" if http_complete(data) or got_fin else "timeout"


def seq_le(a, b):
    return ((b - a) & 0xFFFFFFFF) < 0x80000000


def http_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return False
        if name.strip().lower() == b"transfer-encoding" and \
                b"chunked" in value.lower():
            return body.endswith(b"0\r\n\r\n")
    return False


IDENTIFY = (b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope '
            b'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            b'xmlns:i="http://schemas.dmtf.org/wbem/wsman/identity/1/'
            b'wsmanidentity.xsd"><s:Header/><s:Body><i:Identify/></s:Body>'
            b'</s:Envelope>')


# ---- hostile frames ---------------------------------------------------------

def garbage_frames(peer, ip, mac, count, only=None, port=16992):
    """count hostile frames at ip/mac, of every kind (or those in only)
    in turn"""
    me = peer.ip
    rb = os.urandom
    bcast = b"\xff" * 6

    def rand_mac():
        m = bytearray(rb(6))
        m[0] = (m[0] & 0xFC) | 0x02     # locally administered unicast
        return bytes(m)

    def rand_ip():
        return rb(4)

    def syn(src=me, sport=None, flags=SYN, options=b"", payload=b"",
            bad=False, doff=None, dport=port):
        return tcp_segment(src, ip, sport or random.randint(1024, 65535),
                           dport, random.getrandbits(32), 0, flags, payload,
                           options=options, bad_csum=bad, doff=doff)

    def ip_frame(pkt, dst=mac, src=None, etype=ETH_IP):
        return peer.eth(dst, etype, pkt, src)

    kinds = []

    def kind(f):
        kinds.append(f)
        return f

    @kind
    def random_bytes():
        return rb(random.randint(1, 1600))

    @kind
    def eth_only():
        return peer.eth(mac, random.choice([ETH_IP, ETH_ARP, 0x86DD, 0x8100]),
                        rb(random.randint(0, 19)))

    @kind
    def ip_bad_header():
        seg = syn()
        pkt = ipv4(me, ip, 6, seg)
        pkt = bytearray(pkt)
        what = random.randint(0, 5)
        if what == 0:
            pkt[0] = 0x40 | random.randint(0, 4)        # IHL < 5
        elif what == 1:
            pkt[0] = (random.choice([0, 4, 6, 15]) << 4) | 5
            if pkt[0] >> 4 == 4:
                pkt[0] = 0x4F                           # IHL 15, no options
        elif what == 2:
            pkt[2:4] = struct.pack("!H", random.choice(
                [0, 1, 19, 20, 21, 39, 65535, len(pkt) + 100]))
        elif what == 3:
            pkt[10:12] = b"\x12\x34"                    # header checksum
        elif what == 4:
            pkt[8] = 0                                  # TTL 0
        else:
            pkt = pkt[:random.randint(0, 33)]           # truncated
        return ip_frame(bytes(pkt))

    @kind
    def tcp_truncated():
        seg = syn()[:random.randint(0, 19)]
        return ip_frame(ipv4(me, ip, 6, seg))

    @kind
    def tcp_bad_offset():
        return ip_frame(ipv4(me, ip, 6, syn(doff=random.choice(
            [0, 1, 4, 6, 15]))))

    @kind
    def tcp_bad_checksum():
        return ip_frame(ipv4(me, ip, 6, syn(bad=True)))

    @kind
    def tcp_odd_flags():
        flags = random.choice([SYN | FIN, SYN | RST, FIN, 0, URG, ACK,
                               ACK | PSH, 0xFF, SYN | URG, RST, FIN | PSH | URG])
        return ip_frame(ipv4(me, ip, 6, syn(flags=flags, payload=rb(
            random.randint(0, 40)))))

    @kind
    def tcp_odd_options():
        opts = random.choice([
            b"\x02\x00\x00\x00",            # MSS with length 0
            b"\x02\x01\x00\x00",            # length 1
            b"\x02\x28\x05\xb4",            # length past the header
            b"\x03\x03\xff\x00",            # window scale 255
            b"\x01" * 40,                   # NOPs filling the header
            b"\x08\x0a" + rb(6),            # truncated timestamp
            b"\x02\x04\x00\x00",            # MSS 0
            b"\x04\x02\x05\x01" + rb(8) + b"\x00" * 0,
            rb(random.randint(1, 10) * 4),
        ])[:40]
        opts += b"\0" * (-len(opts) % 4)
        return ip_frame(ipv4(me, ip, 6, syn(options=opts)))

    @kind
    def syn_with_data():
        return ip_frame(ipv4(me, ip, 6, syn(payload=b"GET / HTTP/1.1\r\n\r\n")))

    @kind
    def fragment():
        seg = syn(payload=rb(random.randint(0, 64)))
        what = random.randint(0, 3)
        if what == 0:               # first fragment, MF
            return ip_frame(ipv4(me, ip, 6, seg[:8], flags=0x2000))
        if what == 1:               # a middle or last piece
            return ip_frame(ipv4(me, ip, 6, seg[8:] or b"x",
                                 flags=random.choice([0x2000, 0]) | 1))
        if what == 2:               # past 65535
            return ip_frame(ipv4(me, ip, 6, rb(64), flags=0x1FFF))
        return ip_frame(ipv4(me, ip, 6, seg, flags=0x2000 | 0x4000))  # DF+MF

    @kind
    def ip_options():
        opts = random.choice([b"\x83\x03\x04" + b"\x00",     # LSRR, empty
                              b"\x89\x27\x04" + rb(37),      # SSRR, long
                              b"\x01\x01\x01\x00",
                              rb(40),
                              b"\x44\x02\x05\x00"])
        opts += b"\0" * (-len(opts) % 4)
        opts = opts[:40]
        return ip_frame(ipv4(me, ip, 6, syn(), ihl=5 + len(opts) // 4,
                             options=opts))

    @kind
    def spoofed_sources():
        src = random.choice([ip, b"\xff\xff\xff\xff", b"\0\0\0\0",
                             b"\x7f\0\0\1", b"\xe0\0\0\1", ip[:3] + b"\xff"])
        sport = port if src == ip else None           # LAND
        return ip_frame(ipv4(src, ip, 6, syn(src=src, sport=sport)),
                        src=random.choice([peer.mac, mac, bcast]))

    @kind
    def multicast_dst():
        return ip_frame(ipv4(me, ip, 6, syn()),
                        dst=random.choice([bcast, b"\x01\x00\x5e\x00\x00\x01",
                                           rand_mac()]))

    @kind
    def arp_junk():
        what = random.randint(0, 5)
        arp = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, random.choice([1, 2])) + \
            rand_mac() + rand_ip() + rand_mac() + ip
        if what == 0:
            arp = arp[:random.randint(0, 27)]
        elif what == 1:
            arp = struct.pack("!HHBBH", random.getrandbits(16),
                              random.getrandbits(16), random.getrandbits(8),
                              random.getrandbits(8), random.getrandbits(16)) + \
                rb(random.randint(0, 40))
        elif what == 2:             # a reply claiming the guest's address
            arp = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 2) + rand_mac() + \
                ip + mac + ip
        elif what == 3:             # gratuitous, for the guest's address
            arp = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + rand_mac() + \
                ip + b"\0" * 6 + ip
        elif what == 4:             # sender broadcast / zero
            arp = struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 1) + bcast + \
                b"\0\0\0\0" + b"\0" * 6 + ip
        return peer.eth(random.choice([bcast, mac]), ETH_ARP, arp,
                        src=rand_mac())

    @kind
    def icmp_junk():
        what = random.randint(0, 3)
        body = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + rb(random.randint(0, 64))
        if what != 1:
            body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        if what == 2:
            body = body[:random.randint(0, 7)]
        if what == 3:               # to a broadcast address
            return ip_frame(ipv4(me, ip[:3] + b"\xff", 1, body), dst=bcast)
        return ip_frame(ipv4(rand_ip(), ip, 1, body))

    @kind
    def udp_junk():
        dport = random.choice([67, 68, 623, 664, 16992, 5353])
        payload = rb(random.randint(0, 300))
        if dport in (67, 68):       # BOOTP with broken options
            payload = bytearray(240 + random.randint(0, 60))
            payload[0] = 2
            payload[1], payload[2] = 1, 6
            payload[16:20] = rand_ip()
            payload[28:34] = mac
            payload[236:240] = b"\x63\x82\x53\x63"
            opts = bytearray(rb(len(payload) - 240))
            if len(opts) >= 3:
                opts[0:3] = b"\x35\x01\x05"             # DHCPACK
            if len(opts) >= 5:
                opts[3] = random.choice([1, 3, 51, 54, 255, 0])
                opts[4] = 255                           # length past end
            payload[240:] = opts
            payload = bytes(payload)
        ulen = random.choice([8 + len(payload), 0, 7, 65535, 8 + len(payload) + 9])
        udp = struct.pack("!HHHH", 67 if dport == 68 else 1234, dport, ulen, 0) \
            + payload
        return ip_frame(ipv4(me, ip if random.randint(0, 1) else
                             b"\xff\xff\xff\xff", 17, udp),
                        dst=random.choice([mac, bcast]))

    @kind
    def vlan():
        inner = ipv4(me, ip, 6, syn())
        tag = struct.pack("!HH", random.getrandbits(12), ETH_IP)
        if random.randint(0, 1):
            tag = struct.pack("!HH", random.getrandbits(12), 0x8100) + tag
        return peer.eth(mac, 0x8100, tag + inner)

    @kind
    def ipv6():
        payload = rb(random.randint(0, 80))
        hdr = struct.pack("!IHBB", 0x60000000, len(payload), 6, 64) + \
            rb(16) + rb(16)
        return peer.eth(mac, 0x86DD, hdr + payload)

    @kind
    def stray_ack():                # an ACK of nothing: a RST comes back
        return ip_frame(ipv4(me, ip, 6, tcp_segment(
            me, ip, random.randint(1024, 65535), port,
            random.getrandbits(32), random.getrandbits(32), ACK,
            rb(random.randint(0, 100)))))

    if only:
        kinds = [f for f in kinds if f.__name__ in only]
    sent = {}
    for i in range(count):
        f = kinds[i % len(kinds)]
        peer.send(f())
        sent[f.__name__] = sent.get(f.__name__, 0) + 1
        if i % 200 == 199:
            peer.drain()
            time.sleep(0.01)
    return sent


def synflood(peer, ip, mac, count, port=16992):
    net = ip[:3]
    for i in range(count):
        if i % 3 == 0:
            src = bytes(random.choice([[203, 0, 113], [198, 51, 100],
                                       list(os.urandom(3))])) + os.urandom(1)
        else:
            src = net + bytes([random.randint(100, 250)])
        smac = bytearray(os.urandom(6))
        smac[0] = (smac[0] & 0xFC) | 0x02
        seg = tcp_segment(src, ip, random.randint(1024, 65535), port,
                          random.getrandbits(32), 0, SYN,
                          options=b"\x02\x04\x05\xb4")
        peer.send(peer.eth(mac, ETH_IP, ipv4(src, ip, 6, seg), bytes(smac)))
        if i % 100 == 99:
            peer.drain()
            time.sleep(0.005)
    peer.drain()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu-port", type=int, required=True,
                    help="QEMU's end of the dgram netdev (local.port)")
    ap.add_argument("--peer-port", type=int, required=True,
                    help="ours (the netdev's remote.port)")
    ap.add_argument("--mac", default="02:00:00:00:99:01")
    ap.add_argument("--ip", required=True, help="the peer's own address")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--record", metavar="FILE",
                    help="append every frame sent to FILE (for replay)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("cmd")
    ap.add_argument("rest", nargs="*")
    args = ap.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
    peer = Peer(args)
    rest = args.rest

    if args.cmd == "probe":
        ip = ip_bytes(rest[0])
        mac = peer.arp(ip, args.timeout)
        print("arp %s %s" % (rest[0], mac_text(mac) if mac else "none"))
        if not mac:
            return 1
        who = peer.ping(ip, mac, args.timeout)
        print("ping %s %s" % (rest[0], mac_text(who) if who else "none"))
        return 0 if who else 1

    if args.cmd == "http":
        ip, port, what = ip_bytes(rest[0]), int(rest[1]), rest[2]
        mac = mac_bytes(rest[3]) if len(rest) > 3 else None
        t0 = time.monotonic()
        if mac is None:
            mac = peer.arp(ip, min(args.timeout, 5.0))
            if mac is None:
                print("status none (no ARP answer)")
                return 1
        host = "%s:%d" % (rest[0], port)
        if what == "identify":
            req = ("POST /wsman HTTP/1.1\r\nHost: %s\r\n"
                   "Content-Type: application/soap+xml;charset=UTF-8\r\n"
                   "Connection: close\r\nContent-Length: %d\r\n\r\n"
                   % (host, len(IDENTIFY))).encode() + IDENTIFY
        else:
            req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (what, host)).encode()
        data, why = peer.http(ip, mac, port, req, args.timeout)
        print("time %.4f" % (time.monotonic() - t0))
        print("end %s" % why)
        if not data:
            print("status none")
            return 1
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        print("status %s" % lines[0])
        for h in lines[1:]:
            print("header %s" % h)
        first = body.decode("latin-1").strip().split("\n")[0][:300]
        print("body %s" % first)
        if b"IdentifyResponse" in body:
            print("body IdentifyResponse")
        return 0 if lines[0].startswith("HTTP/1.") else 1

    if args.cmd == "garbage":
        ip, mac, count = ip_bytes(rest[0]), mac_bytes(rest[1]), int(rest[2])
        t0 = time.monotonic()
        only = rest[3].split(",") if len(rest) > 3 else None
        sent = garbage_frames(peer, ip, mac, count, only)
        print("sent %d frames in %.2f s: %s" % (
            count, time.monotonic() - t0,
            " ".join("%s=%d" % kv for kv in sorted(sent.items()))))
        return 0

    if args.cmd == "synflood":
        ip, mac, count = ip_bytes(rest[0]), mac_bytes(rest[1]), int(rest[2])
        t0 = time.monotonic()
        synflood(peer, ip, mac, count)
        print("sent %d SYNs in %.2f s" % (count, time.monotonic() - t0))
        print("seen %s" % " ".join("%s=%d" % kv for kv in sorted(peer.seen.items())))
        return 0

    if args.cmd == "pingburst":   # pingburst IP MAC COUNT [BATCH]
        ip, mac, count = ip_bytes(rest[0]), mac_bytes(rest[1]), int(rest[2])
        batch = int(rest[3]) if len(rest) > 3 else 50
        ident = random.getrandbits(16)
        got = set()

        def take(f):
            if f and len(f) >= 42 and f[12:14] == b"\x08\x00" and \
                    f[23] == 1 and f[26:30] == ip:
                icmp = f[14 + (f[14] & 0xF) * 4:]
                if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                    got.add(struct.unpack("!H", icmp[6:8])[0])
        peer.sock.setblocking(False)
        for seq in range(count):
            icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"x" * 56
            icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
            peer.send(peer.eth(mac, ETH_IP, ipv4(peer.ip, ip, 1, icmp)))
            if seq % batch == batch - 1:
                time.sleep(0.005)
            try:
                while True:
                    f = peer.sock.recv(65536)
                    if not peer.answer_arp(f):
                        take(f)
            except (BlockingIOError, OSError):
                pass
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            take(peer.recv(end - time.monotonic()))
        print("replies %d of %d" % (len(got), count))
        return 0 if len(got) == count else 1

    if args.cmd == "udpburst":    # udpburst IP MAC COUNT INTERVAL-MS
        ip, mac, count = ip_bytes(rest[0]), mac_bytes(rest[1]), int(rest[2])
        gap = float(rest[3]) / 1000 if len(rest) > 3 else 0.001
        for i in range(count):
            udp = struct.pack("!HHHH", 40000, 9, 8 + 32, 0) + b"u" * 32
            peer.send(peer.eth(mac, ETH_IP, ipv4(peer.ip, ip, 17, udp)))
            time.sleep(gap)
        peer.drain()
        print("sent %d UDP datagrams to port 9" % count)
        return 0

    if args.cmd == "replay":      # replay FILE [FIRST [COUNT]]
        with open(rest[0], "rb") as f:
            data = f.read()
        frames = []
        while data:
            n = struct.unpack("!H", data[:2])[0]
            frames.append(data[2:2 + n])
            data = data[2 + n:]
        first = int(rest[1]) if len(rest) > 1 else 0
        n = int(rest[2]) if len(rest) > 2 else len(frames) - first
        for i, fr in enumerate(frames[first:first + n]):
            peer.send(fr)
            if i % 200 == 199:
                peer.drain()
                time.sleep(0.01)
        print("sent %d of %d frames" % (len(frames[first:first + n]),
                                        len(frames)))
        return 0

    if args.cmd == "sniff":
        end = time.monotonic() + float(rest[0])
        while time.monotonic() < end:
            peer.recv(end - time.monotonic())
        total = sum(peer.seen.values())
        print("seen %d frames: %s" % (total, " ".join(
            "%s=%d" % kv for kv in sorted(peer.seen.items()))))
        return 0 if total else 1

    ap.error("unknown command %s" % args.cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
