#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Serial-over-LAN echo latency and throughput beside a plain chardev.

Two consoles talk to the same guest echo service (tests/guest/init,
vamt.sol=echo and vamt.pci-serial=echo) on two 16550s of one VM:

  SOL       the ME's KT port, through the redirection protocol on the
            ME's redirection listener (spec: redirection.md §1-2): 0x10
            'SOL ', plain login (0x13 type 1), 0x20 with MaxTxBuffer
            8192, then 0x28 out, 0x2A in (0x2B heartbeats, 0x29
            controls read and ignored, never answered)
  baseline  QEMU's pci-serial on -chardev socket (TCP, nodelay=on): the
            same UART model with QEMU's own socket backend

Latency: round trips of a short line ("ping-NNNN" + CR, answered with
"guest got: ping-NNNN" CR LF), SOL and baseline samples interleaved so
that both see the same machine; p50/p99 of each and their ratio.
Throughput: the line "vamt-blast N" makes the guest write N bytes; the
console times them (from its command to the last byte, and from the
first byte to the last), SOL and baseline alternating.

The SOL part is measured once per TxBufferTimeout asked in the 0x20
(default 0, 10 and 1 ms), each in a session of its own: the ME sends
guest output once MaxTxBuffer bytes are buffered or TxBufferTimeout ms
after the first of them, and 0 means 100 ms (spec §2.2).

Figures, not a test: no timing is asserted.  The exit status is 1 if
the benchmark could not run (a console could not connect or log in, an
answer did not come or came wrong).

usage: sol_client.py --sol-port P --tcp-port T [--user U] [--password PW]
                     [--samples N] [--blast BYTES] [--timeouts 100,10,0]
"""

import argparse
import math
import os
import socket
import statistics
import struct
import sys
import time

MAX_TX_BUFFER = 8192
WAIT_S = 10.0       # an answer that takes longer than this: the run fails
BLAST_WAIT_S = 60.0  # a blast that takes longer than this: the run fails


class BenchError(Exception):
    """The benchmark itself could not run."""


# ---- the two consoles ---------------------------------------------------------

class TcpConsole:
    """The baseline: the raw bytes of QEMU's socket chardev."""

    name = "baseline"

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), WAIT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(WAIT_S)

    def send(self, data):
        self.sock.sendall(data)

    def recv(self):
        """What the guest wrote next (at least one byte)."""
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise BenchError("baseline: no answer from the guest in %.0f s" %
                             WAIT_S) from None
        if not data:
            raise BenchError("baseline: QEMU closed the chardev socket")
        return data

    def close(self):
        self.sock.close()


# D->C message lengths on a SOL session (spec §2.1); 0x2A: 10 + n
SOL_FIXED_LEN = {0x11: 13, 0x21: 23, 0x23: 8, 0x25: 8, 0x29: 10, 0x2B: 8}


class SolConsole:
    """A minimal SOL console: session start, plain login, 0x28 / 0x2A."""

    def __init__(self, port, user, password, tx_timeout_ms):
        self.name = "SOL"
        self.seq = 0
        self.buf = b""
        self.heartbeats = 0
        self.controls = 0
        self.sock = socket.create_connection(("127.0.0.1", port), WAIT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(WAIT_S)
        self.sock.sendall(b"\x10\x00\x00\x00SOL ")
        reply = self._message()
        if reply[0] != 0x11 or reply[1] != 0:
            raise BenchError("SOL: session start answered %s" % reply.hex())
        items = b"".join(bytes([len(i)]) + i
                         for i in (user.encode(), password.encode()))
        self.sock.sendall(bytes([0x13, 0, 0, 0, 1]) +
                          struct.pack("<I", len(items)) + items)
        reply = self._message()
        if reply[0] != 0x14 or reply[1] != 0:
            raise BenchError("SOL: plain login answered %s" % reply.hex())
        # MaxTxBuffer, TxBufferTimeout, TxOverflowTimeout,
        # HostSessionRxTimeout (0: off, the console is silent while it
        # times a blast), HostFifoRxFlushTimeout, HeartbeatInterval
        self.sock.sendall(b"\x20\x00\x00\x00" + struct.pack(
            "<I6HI", self._next_seq(), MAX_TX_BUFFER, tx_timeout_ms, 0, 0,
            0, 5000, 0))
        reply = self._message()
        if reply[0] != 0x21 or reply[1] != 0:
            raise BenchError("SOL: StartSOLRedirection answered %s" %
                             reply.hex())
        self.max_tx, self.tx_timeout_ms = struct.unpack_from("<2H", reply, 8)
        # the ME reports the line state (0x29) before any data
        self.pending = b""
        while not self.controls:
            self.pending += self._data()

    def _next_seq(self):
        self.seq += 1
        return self.seq

    def _fill(self):
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise BenchError("SOL: nothing from the ME in %.0f s" %
                             WAIT_S) from None
        if not data:
            raise BenchError("SOL: the ME closed the connection")
        self.buf += data

    def _message(self):
        """The next whole message from the ME."""
        while True:
            if self.buf:
                cmd = self.buf[0]
                if cmd == 0x14 and len(self.buf) >= 9:
                    need = 9 + struct.unpack_from("<I", self.buf, 5)[0]
                elif cmd == 0x2A and len(self.buf) >= 10:
                    need = 10 + struct.unpack_from("<H", self.buf, 8)[0]
                elif cmd in SOL_FIXED_LEN:
                    need = SOL_FIXED_LEN[cmd]
                elif cmd in (0x14, 0x2A):
                    need = len(self.buf) + 1
                else:
                    raise BenchError("SOL: unknown message 0x%02x from the ME"
                                     % cmd)
                if len(self.buf) >= need:
                    msg, self.buf = self.buf[:need], self.buf[need:]
                    return msg
            self._fill()

    def _data(self):
        """The payload of the next 0x2A (b"" after any other message)."""
        msg = self._message()
        if msg[0] == 0x2A:
            return msg[10:]
        if msg[0] == 0x2B:
            self.heartbeats += 1        # never answered (spec §2.6)
        elif msg[0] == 0x29:
            self.controls += 1
        else:
            raise BenchError("SOL: unexpected message 0x%02x in session" %
                             msg[0])
        return b""

    def send(self, data):
        self.sock.sendall(b"\x28\x00\x00\x00" +
                          struct.pack("<IH", self._next_seq(), len(data)) +
                          data)

    def recv(self):
        """What the guest wrote next (at least one byte)."""
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        while True:
            data = self._data()
            if data:
                return data

    def close(self):
        self.sock.close()


# ---- measurements --------------------------------------------------------------

def round_trip(console, i, tag):
    """Seconds from sending a line to the end of its echo."""
    line = b"ping-%s%04d" % (tag, i)
    want = b"guest got: " + line + b"\r\n"
    got = b""
    start = time.perf_counter()
    console.send(line + b"\r")
    while not got.endswith(want):
        got += console.recv()
        # heartbeats keep recv() waiting: give up on the clock too
        if len(got) > 4096 or time.perf_counter() - start > WAIT_S:
            raise BenchError("%s: the echo of %r did not come back: %r" %
                             (console.name, line, got[-200:]))
    return time.perf_counter() - start


def blast(console, nbytes):
    """(command->last byte, first byte->last byte) in seconds of the
    guest writing @nbytes"""
    done = b"blast done %d\r\n" % nbytes
    start = time.perf_counter()
    console.send(b"vamt-blast %d\r" % nbytes)
    first = None
    got = bytearray()
    while not got.endswith(done):
        data = console.recv()
        if first is None:
            first = time.perf_counter()
        got += data
        if time.perf_counter() - start > BLAST_WAIT_S:
            raise BenchError("%s: a blast of %d bytes: %d bytes came in "
                             "%.0f s, then %r" % (console.name, nbytes,
                                                  len(got), BLAST_WAIT_S,
                                                  bytes(got[-40:])))
    end = time.perf_counter()
    body = bytes(got[:-len(done)])
    # the echo service's answer is exactly nbytes of 'x' (onlcr adds
    # nothing to those)
    if len(body) != nbytes or body.strip(b"x"):
        raise BenchError("%s: blast of %d bytes came back as %d bytes" %
                         (console.name, nbytes, len(body)))
    return end - start, end - first


def percentile(values, p):
    """Nearest-rank percentile"""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def ms(seconds):
    return seconds * 1000.0


def measure(args):
    base = TcpConsole(args.tcp_port)
    results = []
    for timeout in args.timeouts:
        sol = SolConsole(args.sol_port, args.user, args.password, timeout)
        # warm-up: the first lines also release the ME's isolation gap
        # after 0x29 and settle both paths
        for i in range(5):
            round_trip(sol, i, b"w")
            round_trip(base, i, b"w")
        lat_sol, lat_base = [], []
        for i in range(args.samples):
            lat_sol.append(round_trip(sol, i, b"s"))
            lat_base.append(round_trip(base, i, b"b"))
        thr_sol, thr_base = [], []
        for _ in range(args.blasts):
            thr_sol.append(blast(sol, args.blast))
            thr_base.append(blast(base, args.blast))
        results.append({
            "asked": timeout, "effective": sol.tx_timeout_ms,
            "max_tx": sol.max_tx, "lat_sol": lat_sol, "lat_base": lat_base,
            "thr_sol": thr_sol, "thr_base": thr_base,
            "heartbeats": sol.heartbeats})
        sol.close()
        # the ME ends the session when it sees the close; the next one
        # must not find it busy
        time.sleep(0.2)
    base.close()
    return results


def report(args, results):
    print("SOL echo: %d round trips of a %d-byte line per session, "
          "interleaved with the baseline" %
          (args.samples, len(b"ping-s0000\r")))
    print("baseline: pci-serial (16550) on -chardev socket,nodelay=on; "
          "SOL: the KT 16550, MaxTxBuffer %d" % MAX_TX_BUFFER)
    print()
    hdr = "%-30s %9s %9s %9s %9s %8s %8s"
    print(hdr % ("latency (ms)", "SOL p50", "SOL p99", "base p50",
                 "base p99", "x p50", "x p99"))
    for r in results:
        s50, s99 = percentile(r["lat_sol"], 50), percentile(r["lat_sol"], 99)
        b50, b99 = percentile(r["lat_base"], 50), percentile(r["lat_base"],
                                                              99)
        print("%-30s %9.2f %9.2f %9.2f %9.2f %8.2f %8.2f" % (
            "TxBufferTimeout %d (hold <= %d)" % (r["asked"], r["effective"]),
            ms(s50), ms(s99), ms(b50), ms(b99), s50 / b50, s99 / b99))
    print()
    print("throughput: the guest writes %d bytes, %d times per path "
          "(medians; KiB/s)" % (args.blast, args.blasts))
    hdr = "%-30s %9s %9s %9s %9s %8s %8s"
    print(hdr % ("", "SOL cmd", "SOL 1st", "base cmd", "base 1st",
                 "x cmd", "x 1st"))
    for r in results:
        s_cmd = statistics.median(t[0] for t in r["thr_sol"])
        s_1st = statistics.median(t[1] for t in r["thr_sol"])
        b_cmd = statistics.median(t[0] for t in r["thr_base"])
        b_1st = statistics.median(t[1] for t in r["thr_base"])
        kib = args.blast / 1024.0
        print("%-30s %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f" % (
            "TxBufferTimeout %d (hold <= %d)" % (r["asked"], r["effective"]),
            kib / s_cmd, kib / s_1st, kib / b_cmd, kib / b_1st,
            s_cmd / b_cmd, s_1st / b_1st))
    print()
    print("x = SOL / baseline (latency, and time to move the block): the "
          "target is <= 1.2")
    print("cmd: from the console's command to the last byte; 1st: from "
          "the first byte to the last")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sol-port", type=int, required=True)
    ap.add_argument("--tcp-port", type=int, required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password",
                    default=os.environ.get("VAMT_BENCH_PASSWORD", "P@ssw0rd"))
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--blast", type=int, default=256 * 1024)
    ap.add_argument("--blasts", type=int, default=2)
    ap.add_argument("--timeouts", default="100,10,0",
                    help="TxBufferTimeout values (ms), one session each")
    args = ap.parse_args()
    args.timeouts = [int(t) for t in args.timeouts.split(",")]
    try:
        results = measure(args)
    except (BenchError, OSError) as e:
        print("sol-bench: could not run: %s" % e, file=sys.stderr)
        return 1
    report(args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
