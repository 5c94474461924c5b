# SPDX-License-Identifier: GPL-2.0-or-later
"""Full TLS handshakes against TLS servers in one process, for
bench/tls/run.sh: the server process's CPU time (utime + stime from
/proc) and the wall time per handshake, at TLS 1.3 and at TLS 1.2 with
the RSA key exchange MeshCentral asks for, each server in turn, several
rounds interleaved so that a noisy machine hits both alike.

Usage: handshakes.py PID COUNT NAME=HOST:PORT [NAME=HOST:PORT...]
Prints figures; the first server is the numerator of the ratios.
"""
import os
import socket
import ssl
import sys
import time

ROUNDS = 5
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def context(version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = version
    if version == ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers("RSA+AES:!aNULL:!MD5:!DSS")
    # every handshake a full one: no session tickets kept
    ctx.options |= ssl.OP_NO_TICKET
    return ctx


def handshakes(ctx, addr, n):
    for _ in range(n):
        with socket.create_connection(addr, timeout=10) as raw:
            with ctx.wrap_socket(raw) as s:
                s.do_handshake()


def main():
    pid, count = int(sys.argv[1]), int(sys.argv[2])
    servers = []
    for arg in sys.argv[3:]:
        name, hostport = arg.split("=", 1)
        host, port = hostport.rsplit(":", 1)
        servers.append((name, (host, int(port))))
    cases = [("TLS 1.3", ssl.TLSVersion.TLSv1_3),
             ("TLS 1.2 RSA", ssl.TLSVersion.TLSv1_2)]
    per = count // ROUNDS
    for label, version in cases:
        ctx = context(version)
        totals = {name: [0.0, 0.0] for name, _ in servers}
        for name, addr in servers:
            handshakes(ctx, addr, 5)            # warm up
        for _ in range(ROUNDS):
            for name, addr in servers:
                cpu0, t0 = cpu_seconds(pid), time.monotonic()
                handshakes(ctx, addr, per)
                totals[name][0] += cpu_seconds(pid) - cpu0
                totals[name][1] += time.monotonic() - t0
        n = per * ROUNDS
        print("%s, %d full handshakes each:" % (label, n))
        for name, _ in servers:
            cpu, wall = totals[name]
            print("  %-16s QEMU CPU %7.0f us/handshake   wall %7.0f us"
                  % (name, cpu / n * 1e6, wall / n * 1e6))
        first, second = servers[0][0], servers[1][0]
        if totals[second][0] > 0:
            print("  ratio %s / %s: CPU %.2f, wall %.2f"
                  % (first, second, totals[first][0] / totals[second][0],
                     totals[first][1] / totals[second][1]))


if __name__ == "__main__":
    main()
