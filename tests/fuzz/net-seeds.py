#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write seeds for fuzz-net: a console's TCP session with the ME on
16992 (handshake, a request, close), loss, a zero window, 5900 coming
and going, ARP and ping for a deaf guest, and the address learned from
DHCP, from the guest, or leased by the ME itself, in the harness's
records (tests/fuzz/fuzz-net.c).  The harness fixes checksums, the ME's
address and the sequence numbers it expects, so these need none.

usage: net-seeds.py OUT-DIR
"""
import os
import struct
import sys

DEAF, TRUSTED, FIX, ADDR, SEQ, XID, PORTS, TWICE = \
    1, 2, 4, 8, 16, 32, 64, 128
NET, GUEST, TIME, CONTROL = 0, 1, 2, 3
CTL_GUEST, CTL_VNC, CTL_STATIC = 0x01, 0x02, 0x20
CTL_CONNECT, CTL_CLIENT_WRITE, CTL_CLIENT_CLOSE = 0x100, 0x200, 0x400
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16

NIC = bytes.fromhex('525400123456')
CONSOLE = bytes.fromhex('02000000000a')
ROUTER = bytes.fromhex('020000000001')
BROADCAST = b'\xff' * 6


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def frame(flags, data, direction=NET):
    return struct.pack('>HBB', len(data), flags, direction) + data


def time(ms):
    return struct.pack('>HBB', ms, 0, TIME)


def control(bits):
    return struct.pack('>HBB', bits, 0, CONTROL)


def ipv4(src, dst, proto, payload, eth_src=CONSOLE, eth_dst=NIC):
    hdr = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1,
                      0x4000, 64, proto, 0, ip4(src), ip4(dst))
    return eth_dst + eth_src + b'\x08\x00' + hdr + payload


def tcp(flags, data=b'', window=65535, dport=16992, mss=True, sport=45000,
        src='192.168.1.10'):
    opts = b'\x02\x04\x05\xb4' if flags & SYN and mss else b''
    hdr = struct.pack('>HHIIBBHHH', sport, dport, 1000, 0,
                      (20 + len(opts)) // 4 << 4, flags, window, 0, 0)
    return ipv4(src, '192.168.1.50', 6, hdr + opts + data,
                ROUTER if sport == 80 else CONSOLE)


def server_seg(flags, data=b''):
    """The router's web server, answering the ME's connection out"""
    return frame(FIX | ADDR | PORTS | SEQ,
                 tcp(flags, data, sport=80, src='192.168.1.1'))


def seg(flags, data=b'', window=65535, extra=0):
    return frame(FIX | ADDR | PORTS | SEQ | extra, tcp(flags, data, window))


def arp(op, sha, spa, tpa, eth_dst=BROADCAST):
    body = struct.pack('>HHBBH6s4s6s4s', 1, 0x0800, 6, 4, op, sha, ip4(spa),
                       b'\0' * 6, ip4(tpa))
    return eth_dst + sha + b'\x08\x06' + body


def udp(src, dst, sport, dport, payload, eth_src, eth_dst):
    hdr = struct.pack('>HHHH', sport, dport, 8 + len(payload), 0)
    return ipv4(src, dst, 17, hdr + payload, eth_src, eth_dst)


def dhcp(kind, yiaddr, chaddr=NIC):
    msg = struct.pack('>BBBBIHH4s4s4s4s16s', 2, 1, 6, 0, 0x12345678, 0, 0,
                      b'\0' * 4, ip4(yiaddr), ip4('192.168.1.1'), b'\0' * 4,
                      chaddr + b'\0' * 10)
    msg += b'\0' * 192 + b'\x63\x82\x53\x63'
    msg += bytes([53, 1, kind, 54, 4]) + ip4('192.168.1.1')
    msg += bytes([1, 4]) + ip4('255.255.255.0') + bytes([3, 4]) + \
        ip4('192.168.1.1') + bytes([51, 4]) + struct.pack('>I', 3600)
    msg += b'\xff'
    return udp('192.168.1.1', '255.255.255.255', 67, 68, msg, ROUTER,
               BROADCAST)


handshake = frame(FIX | ADDR | PORTS, tcp(SYN)) + seg(ACK)
request = b'GET /index.htm HTTP/1.1\r\nHost: 192.168.1.50:16992\r\n\r\n'
seeds = {
    # the ME's own connection out: ARP for the router, the handshake,
    # a request and its answer, the server's FIN; then one refused, and
    # one the ME closes while it opens
    'client': control(CTL_CONNECT) +
    frame(FIX, arp(2, ROUTER, '192.168.1.1', '192.168.1.50', NIC)) +
    server_seg(SYN | ACK) + control(CTL_CLIENT_WRITE) + time(10) +
    server_seg(ACK | PSH, b'HTTP/1.1 200 OK\r\n\r\n') +
    server_seg(FIN | ACK) + time(100) + server_seg(ACK) +
    control(CTL_CONNECT) + server_seg(RST | ACK) +
    control(CTL_CONNECT) + control(CTL_CLIENT_CLOSE) + time(65535),
    # a whole session: handshake, request, echo acknowledged, QUIT, FINs
    'session': handshake + seg(ACK | PSH, request) + time(200) + seg(ACK) +
    seg(ACK | PSH, b'QUIT') + seg(ACK) + seg(FIN | ACK) + time(40000),
    # the ME's answer is never acknowledged
    'loss': handshake + seg(ACK | PSH, b'ping') + time(1000) + time(3000) +
    time(65535) + time(65535) + time(65535),
    # duplicated segments, and a RST storm that must not end the session
    'dup-rst': handshake + seg(ACK | PSH, b'abc', extra=TWICE) +
    frame(FIX | ADDR | PORTS, tcp(RST)) * 8 + seg(RST),
    # the peer's window closes, then opens
    'zero-window': handshake + seg(ACK | PSH, b'hello', window=0) +
    time(1000) + seg(ACK, window=0) + time(5000) + seg(ACK),
    # a refused port, and 5900 while its service answers
    'ports': frame(FIX | ADDR, tcp(SYN, dport=16994)) + control(CTL_VNC) +
    frame(FIX | ADDR, tcp(SYN, dport=5900)) + control(CTL_VNC),
    # ARP and ping while the guest cannot answer
    'deaf': frame(DEAF, arp(1, CONSOLE, '192.168.1.10', '192.168.1.50')) +
    frame(DEAF | FIX | ADDR,
          ipv4('192.168.1.10', '192.168.1.50', 1,
               b'\x08\x00\x00\x00\x12\x34\x00\x01' + b'x' * 32)),
    # no static address: the guest's DHCPACK, ARP and traffic teach it
    'learn': control(CTL_STATIC) + frame(FIX, dhcp(5, '192.168.1.60')) +
    frame(ADDR, arp(1, NIC, '192.168.1.61', '192.168.1.1'), GUEST) +
    frame(FIX | ADDR, udp('192.168.1.62', '192.168.1.1', 5353, 53, b'q',
                          NIC, ROUTER), GUEST) +
    frame(FIX | ADDR | PORTS, tcp(SYN)),
    # the guest stops: the ME leases an address of its own
    'me-dhcp': control(CTL_STATIC | CTL_GUEST) + time(5000) +
    frame(FIX | XID, dhcp(2, '192.168.1.77')) + time(1000) +
    frame(FIX | XID, dhcp(5, '192.168.1.77')) +
    frame(FIX | ADDR | PORTS, tcp(SYN)) + seg(ACK),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), 'wb') as f:
        f.write(data)
