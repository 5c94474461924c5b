#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QMP latency of a QEMU with vAMT while N attackers hammer the ME.

Measures QMP query-status round trips of one QEMU with no attacker,
with N attacker threads hammering a second QEMU (the same load on the
machine, none on the measured main loop: the fair baseline on a shared
2-core machine), and with the N attackers hammering the measured QEMU
itself.  Attackers send the costliest unauthenticated requests there
are (markup-heavy bodies of the largest size the ME reads, wrong Digest
answers).  Prints the figures and their ratios.  A figure, not a test:
it asserts nothing.

usage: qmp-latency.py QEMU_BINARY [ATTACKERS] [SAMPLES]
"""

import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "adversary"))
import attack  # noqa: E402  the suite's QEMU, QMP and console helpers


def latencies(qmp, samples):
    out = []
    for _ in range(samples):
        out.append(qmp.execute("query-status")[1] * 1000)
        time.sleep(0.005)
    return out


def attacker(port, peer, stop, sent):
    attrs = b" ".join(b'a%x=""' % i for i in range(26000))
    bomb = (b'<s:Envelope xmlns:s="' + attack.NS_SOAP.encode() +
            b'"><s:Body><i:Identify xmlns:i="x" ' + attrs +
            b'/></s:Body></s:Envelope>')
    nested = b"<a>" * 60000 + b"</a>" * 60000
    wrong = attack.Digest(port, "admin", "wrong-password")
    bodies = (bomb, nested)
    i = 0
    while not stop.is_set():
        try:
            if i % 3 == 2:
                attack.exchange(port, attack.post(attack.get_identity(),
                                                  wrong.header()),
                                peer=peer, timeout=5)
            else:
                attack.exchange(port, attack.post(bodies[i % 2]),
                                peer=peer, timeout=5)
            sent[peer] = sent.get(peer, 0) + 1
        except OSError:
            pass
        i += 1


def summary(name, values):
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    print("%-22s median %7.2f ms   p99 %7.2f ms   max %7.2f ms"
          % (name, statistics.median(values), p99, values[-1]))
    return statistics.median(values), p99


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip())
    binary = sys.argv[1]
    attackers = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    q = attack.Qemu(binary)
    other = attack.Qemu(binary)

    def under_attack(port):
        stop = threading.Event()
        sent = {}
        threads = [threading.Thread(target=attacker,
                                    args=(port, 2 + i, stop, sent))
                   for i in range(attackers)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        start = time.monotonic()
        values = latencies(q.qmp, samples)
        took = time.monotonic() - start
        stop.set()
        for t in threads:
            t.join()
        return values, sum(sent.values()) / took

    try:
        quiet = latencies(q.qmp, samples)
        elsewhere, rate_elsewhere = under_attack(other.port)
        loaded, rate = under_attack(q.port)
        print("QMP query-status round trips, %d samples each" % samples)
        m0, p0 = summary("no attacker", quiet)
        m1, p1 = summary("%d on another QEMU" % attackers, elsewhere)
        m2, p2 = summary("%d on this QEMU" % attackers, loaded)
        print("attack requests answered: %.0f/s (another), %.0f/s (this)"
              % (rate_elsewhere, rate))
        print("ratio, attacked / same load elsewhere: median %.2f, p99 %.2f"
              % (m2 / m1, p2 / p1))
        print("ratio, attacked / no attacker at all:  median %.2f, p99 %.2f"
              % (m2 / m0, p2 / p0))
        print("(target: median ratio <= 1.5 with 8 attackers)")
    finally:
        q.stop()
        other.stop()


if __name__ == "__main__":
    main()
