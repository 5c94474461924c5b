#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""KVM figures: the ME's RFB server beside QEMU's own VNC server.

One VM (bench/kvm/run.sh starts it) shows its std VGA both to the ME
(kvm=on, KVMR on the redirection port) and to QEMU's VNC server (-vnc);
the same RFB client, asking both for RAW at 32 bits per pixel (the
encoding both serve), measures in the same run:

  full frame      bytes and QEMU CPU (all threads but the vCPUs') per
                  full-screen update
  blinking box    an 8x16 box the guest redraws every 100 ms (a cursor):
                  bytes and CPU per change
  scrolling       a terminal scrolling up a 16-pixel line 50 times a
                  second (kvmguest scroll): bytes and CPU per line
  animation       updates a second while the guest redraws the whole
                  screen as fast as it can
  idle            CPU in 3 s of a still screen with a viewer waiting,
                  beside 3 s with no viewer
  guest work      the guest's CPU-bound work rate with no viewer, with
                  the ME's viewer and with QEMU's VNC viewer attached

Figures, not a test: nothing is asserted.

usage: kvm_bench.py REDIR_PORT VNC_PORT QEMU_PID CONSOLE_IN SERIAL_LOG
"""

import os
import socket
import struct
import sys
import time

PASSWORD = b"P@ssw0rd"


class Viewer:
    """An RFB 3.8 viewer taking RAW updates at 32 bits per pixel."""

    def __init__(self, sock, name):
        self.s = sock
        self.name = name
        self.bytes = 0
        if self.recv(12) != b"RFB 003.008\n":
            raise RuntimeError("%s: not RFB 3.8" % name)
        self.s.sendall(b"RFB 003.008\n")
        count = self.recv(1)[0]
        if 1 not in self.recv(count):
            raise RuntimeError("%s: no security type None" % name)
        self.s.sendall(b"\x01")
        if self.recv(4) != bytes(4):
            raise RuntimeError("%s: security failed" % name)
        self.s.sendall(b"\x01")
        init = self.recv(24)
        self.width, self.height = struct.unpack(">HH", init[:4])
        self.recv(struct.unpack(">I", init[20:24])[0])
        # xRGB little-endian, RAW and DesktopSize: what both servers serve
        self.s.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1,
                                   255, 255, 255, 16, 8, 0))
        self.s.sendall(struct.pack(">BxHii", 2, 2, 0, -223))
        self.bytes = 0

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("%s closed" % self.name)
            data += chunk
        self.bytes += n
        return data

    def request(self, incremental=True):
        self.s.sendall(struct.pack(">BBHHHH", 3, incremental, 0, 0,
                                   self.width, self.height))

    def update(self, timeout=None):
        """Read one FramebufferUpdate; False if none came in @timeout."""
        self.s.settimeout(timeout)
        try:
            head = self.s.recv(1, socket.MSG_PEEK)
        except socket.timeout:
            return False
        finally:
            self.s.settimeout(None)
        if not head:
            raise ConnectionError("%s closed" % self.name)
        kind = self.recv(1)[0]
        if kind == 2:               # Bell
            return self.update(timeout)
        if kind != 0:
            raise RuntimeError("%s sent message %d" % (self.name, kind))
        count = struct.unpack(">xH", self.recv(3))[0]
        for _ in range(count):
            _, _, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
            if enc == -223:
                self.width, self.height = w, h
            elif enc == 0:
                self.recv(w * h * 4)
            else:
                raise RuntimeError("%s: encoding %d" % (self.name, enc))
        return True

    def close(self):
        self.s.close()


def kvmr_viewer(port):
    """The ME's RFB server behind a KVMR login (plain authentication)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\x10\x01\x00\x00KVMR")
    if len(s.recv(13)) != 13:
        raise RuntimeError("no KVMR start reply")
    items = bytes([5]) + b"admin" + bytes([len(PASSWORD)]) + PASSWORD
    s.sendall(bytes([0x13, 0, 0, 0, 1]) + struct.pack("<I", len(items)) +
              items)
    reply = s.recv(9)
    if len(reply) != 9 or reply[1] != 0:
        raise RuntimeError("KVMR login refused: %r" % reply)
    s.sendall(b"\x40" + bytes(7))
    if s.recv(8)[:2] != b"\x41\x00":
        raise RuntimeError("KVMR refused")
    return Viewer(s, "ME")


def vnc_viewer(port):
    return Viewer(socket.create_connection(("127.0.0.1", port)), "QEMU VNC")


class Machine:
    def __init__(self, pid, console_in, serial):
        self.pid = pid
        self.console = open(console_in, "w")
        self.serial = serial

    def cpu_s(self):
        """CPU seconds of QEMU's threads but the vCPUs' (main loop, VNC)"""
        total = 0
        ticks = os.sysconf("SC_CLK_TCK")
        task = "/proc/%d/task" % self.pid
        for tid in os.listdir(task):
            try:
                with open("%s/%s/comm" % (task, tid)) as f:
                    if f.read().startswith("CPU "):
                        continue
                with open("%s/%s/stat" % (task, tid)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    def run(self, command, done, timeout=120):
        """Run @command in the guest's shell; the line starting @done."""
        start = os.path.getsize(self.serial)
        self.console.write(command + "\n")
        self.console.flush()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.serial, "rb") as f:
                f.seek(start)
                for line in f.read().decode(errors="replace").splitlines():
                    if line.startswith(done):
                        return line
            time.sleep(0.1)
        raise TimeoutError("guest: no %r after %r" % (done, command))

    def start(self, command):
        self.console.write(command + "\n")
        self.console.flush()


def drain(v, quiet_s=0.5, most_s=3.0):
    """Take updates until the screen has been still for @quiet_s (a
    blinking text cursor never is: at most @most_s)."""
    end = time.monotonic() + most_s
    while time.monotonic() < end:
        v.request()
        if not v.update(quiet_s):
            return
    # the request stays open: the next update answers it
    v.update(1.0)


def full_frames(m, v, n=10):
    drain(v)
    v.bytes = 0
    cpu, t = m.cpu_s(), time.monotonic()
    for _ in range(n):
        v.request(False)
        v.update()
    return v.bytes / n, (m.cpu_s() - cpu) / n, (time.monotonic() - t) / n


def while_guest(m, v, command, done):
    """Bytes, updates and CPU while the guest runs @command"""
    drain(v)
    v.bytes = 0
    updates = 0
    cpu = m.cpu_s()
    start = os.path.getsize(m.serial)
    m.start(command)
    v.request()
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if v.update(0.2):
            updates += 1
            v.request()
        with open(m.serial, "rb") as f:
            f.seek(start)
            # not the shell's echo of the command: the line it prints
            if b"\n" + done in f.read():
                break
    else:
        raise TimeoutError("guest: no %r" % done)
    # what the last change still sends
    while v.update(0.3):
        updates += 1
        v.request()
    return v.bytes, updates, m.cpu_s() - cpu


def idle_cpu(m, v, seconds=3.0):
    drain(v)
    v.request()
    cpu = m.cpu_s()
    got = v.update(seconds)
    return m.cpu_s() - cpu, got


def work(m, seconds=3):
    line = m.run("kvmguest work %d" % seconds, "KVMGUEST work")
    return int(line.split()[2])


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__.strip())
    redir_port, vnc_port, pid = int(argv[1]), int(argv[2]), int(argv[3])
    m = Machine(pid, argv[4], argv[5])
    rows = []

    def both(fn):
        out = {}
        for name in ("ME", "QEMU VNC"):
            print("# %s: %s" % (name, fn.__name__ if hasattr(fn, "__name__")
                                else "..."), file=sys.stderr, flush=True)
            v = kvmr_viewer(redir_port) if name == "ME" else \
                vnc_viewer(vnc_port)
            try:
                out[name] = fn(v)
            finally:
                v.close()
            time.sleep(0.5)
        return out

    m.run("kvmguest mode 800 600", "KVMGUEST mode")
    r = both(lambda v: full_frames(m, v))
    for name, (nbytes, cpu, wall) in r.items():
        rows.append(("full frame 800x600: bytes", name, nbytes))
        rows.append(("full frame 800x600: CPU ms", name, cpu * 1000))
        rows.append(("full frame 800x600: ms on the wire", name,
                     wall * 1000))

    blink = "i=0; while [ $i -lt 20 ]; do kvmguest box 96 96 8 16 ffffff " \
            ">/dev/null; sleep 0.1; kvmguest box 96 96 8 16 000000 " \
            ">/dev/null; sleep 0.1; i=$((i+1)); done; echo BLINK-DONE"
    r = both(lambda v: while_guest(m, v, blink, b"BLINK-DONE"))
    for name, (nbytes, updates, cpu) in r.items():
        rows.append(("blinking box (40 changes): bytes/update", name,
                     nbytes / max(updates, 1)))
        rows.append(("blinking box (40 changes): updates", name, updates))
        rows.append(("blinking box: CPU ms per change", name,
                     cpu * 1000 / 40))

    scroll = "kvmguest scroll 150"
    r = both(lambda v: while_guest(m, v, scroll, b"KVMGUEST scrolled"))
    for name, (nbytes, updates, cpu) in r.items():
        rows.append(("scrolling terminal (150 lines): bytes/line", name,
                     nbytes / 150))
        rows.append(("scrolling terminal: bytes/update", name,
                     nbytes / max(updates, 1)))
        rows.append(("scrolling terminal: updates", name, updates))
        rows.append(("scrolling terminal: CPU ms per line", name,
                     cpu * 1000 / 150))
    m.run("kvmguest mode 800 600", "KVMGUEST mode")

    anim = "kvmguest animate 4"
    r = both(lambda v: while_guest(m, v, anim, b"KVMGUEST frames"))
    for name, (nbytes, updates, cpu) in r.items():
        rows.append(("animation: updates/s", name, updates / 4))
        rows.append(("animation: MB/s", name, nbytes / 4 / 1e6))
        rows.append(("animation: CPU s per s", name, cpu / 4))

    cpu = m.cpu_s()
    time.sleep(3.0)
    rows.append(("idle 3 s, no viewer: CPU ms", "-", (m.cpu_s() - cpu) * 1000))
    r = both(lambda v: idle_cpu(m, v))
    for name, (cpu, got) in r.items():
        rows.append(("idle 3 s, request open: CPU ms", name, cpu * 1000))
        rows.append(("idle 3 s: updates sent", name, int(got)))

    def work_watched(v):
        drain(v)
        v.request()
        return work(m)

    base = work(m)
    with_me = both(work_watched)
    base2 = work(m)
    rows.append(("guest work (3 s), no viewer", "-", (base + base2) / 2))
    for name, n in with_me.items():
        rows.append(("guest work, viewer attached: ratio to none", name,
                     n / ((base + base2) / 2)))

    print("%-46s %-9s %14s" % ("figure", "server", "value"))
    for what, name, value in rows:
        print("%-46s %-9s %14.2f" % (what, name, value))
    me = {w: v for w, n, v in rows if n == "ME"}
    vnc = {w: v for w, n, v in rows if n == "QEMU VNC"}
    print()
    print("ratios ME / QEMU VNC (same client, RAW 32 bpp):")
    for what in me:
        if what in vnc and vnc[what]:
            print("  %-46s %8.2f" % (what, me[what] / vnc[what]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
