#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check QMP screendumps (PPM) of the guest's kvmguest drawings.

usage: kvm_screen.py pattern PPM W H
           the picture is W x H and every pixel is kvmguest's test pattern
       kvm_screen.py box BEFORE AFTER X Y W H RRGGBB
           AFTER is BEFORE with the rectangle filled with RRGGBB, and
           nothing else changed (kvmguest box)
       kvm_screen.py same IMAGE REFERENCE
           two pictures (PPM, or PNG as vnccapture writes it) are equal
       kvm_screen.py black IMAGE W H
           the picture is W x H and all black (a powered-off PC)

Prints a one-line summary (and the first differing pixels) for the
test's log; exit status 0 only when the picture is as expected.  As a
module, pattern_rgb() is the expected picture for other KVM tests.
"""
import struct
import sys
import zlib

# tests/guest/kvmguest.c's palette and pattern_pixel(): keep them equal
PALETTE = (0x202020, 0xc00000, 0x00a000, 0x0000c0,
           0xc0c000, 0x00c0c0, 0xc000c0, 0xe0e0e0)


def pattern_pixel(x, y, w, h):
    """The pixel (x, y) of the W x H test pattern as 0xRRGGBB."""
    if (x == 0 or y == 0 or x == w - 1 or y == h - 1 or
            x == w // 3 or y == h // 3):
        return 0xffffff
    if y < h // 2:
        if x == y:
            return 0x000000
        r = x * 255 // (w - 1)
        g = y * 255 // (h // 2 - 1)
        b = (x ^ y) & 0xff
        return r << 16 | g << 8 | b
    return PALETTE[(x // 96 + 3 * ((y - h // 2) // 72)) % 8]


def pattern_rgb(w, h):
    """The whole test pattern as packed RGB bytes, row by row."""
    out = bytearray(w * h * 3)
    i = 0
    for y in range(h):
        for x in range(w):
            p = pattern_pixel(x, y, w, h)
            out[i] = p >> 16
            out[i + 1] = (p >> 8) & 0xff
            out[i + 2] = p & 0xff
            i += 3
    return bytes(out)


def read_ppm(path):
    """(width, height, packed RGB bytes) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1                    # the single whitespace before the pixels
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), \
        int(fields[3])
    if magic != b"P6" or maxval != 255:
        raise ValueError("%s: not a P6 PPM with maxval 255" % path)
    pixels = data[pos:pos + w * h * 3]
    if len(pixels) != w * h * 3:
        raise ValueError("%s: %d bytes of pixels, %d expected" %
                         (path, len(pixels), w * h * 3))
    return w, h, pixels


def read_png(path):
    """(width, height, packed RGB bytes) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s: not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB",
                                                                 chunk)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError("%s: not 8-bit RGB(A), not interlaced" %
                                 path)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    out = bytearray()
    prev = bytearray(w * bpp)
    for y in range(h):
        base = y * (w * bpp + 1)
        kind, line = raw[base], bytearray(raw[base + 1:base + 1 + w * bpp])
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xff
            elif kind == 2:
                line[i] = (line[i] + b) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 0xff
        prev = line
        for x in range(w):
            out += line[x * bpp:x * bpp + 3]
    return w, h, bytes(out)


def read_image(path):
    return read_png(path) if path.endswith(".png") else read_ppm(path)


def differences(w, got, want, limit=5):
    """The number of differing pixels and the first few as text."""
    n = 0
    first = []
    for i in range(0, len(want), 3):
        if got[i:i + 3] != want[i:i + 3]:
            n += 1
            if len(first) < limit:
                px = i // 3
                first.append("(%d,%d) %s want %s" %
                             (px % w, px // w, got[i:i + 3].hex(),
                              want[i:i + 3].hex()))
    return n, first


def check_pattern(path, w, h):
    gw, gh, got = read_ppm(path)
    if (gw, gh) != (w, h):
        print("screen is %dx%d, %dx%d expected" % (gw, gh, w, h))
        return False
    n, first = differences(w, got, pattern_rgb(w, h))
    print("%dx%d: %d of %d pixels differ from the pattern%s" %
          (w, h, n, w * h, ": " + "; ".join(first) if first else ""))
    return n == 0


def check_box(before, after, x, y, bw, bh, rgb):
    w, h, old = read_ppm(before)
    aw, ah, new = read_ppm(after)
    if (aw, ah) != (w, h):
        print("the screen changed size: %dx%d, then %dx%d" % (w, h, aw, ah))
        return False
    want = bytearray(old)
    colour = bytes.fromhex(rgb)
    for j in range(y, min(y + bh, h)):
        for i in range(x, min(x + bw, w)):
            k = (j * w + i) * 3
            want[k:k + 3] = colour
    n, first = differences(w, new, want)
    changed, _ = differences(w, new, old, 0)
    print("%d pixels changed, %d differ from the box %dx%d+%d+%d #%s on "
          "the old screen%s" % (changed, n, bw, bh, x, y, rgb,
                                ": " + "; ".join(first) if first else ""))
    return n == 0


def check_same(path, reference):
    w, h, got = read_image(path)
    rw, rh, want = read_image(reference)
    if (w, h) != (rw, rh):
        print("%s is %dx%d, %s %dx%d" % (path, w, h, reference, rw, rh))
        return False
    n, first = differences(w, got, want)
    print("%dx%d: %d of %d pixels differ%s" % (w, h, n, w * h,
                                              ": " + "; ".join(first)
                                              if first else ""))
    return n == 0


def check_black(path, w, h):
    gw, gh, got = read_image(path)
    lit = sum(1 for i in range(0, len(got), 3) if got[i:i + 3] != bytes(3))
    print("%dx%d (%dx%d expected): %d pixels not black" % (gw, gh, w, h,
                                                           lit))
    return (gw, gh) == (w, h) and lit == 0


def main(argv):
    if len(argv) == 5 and argv[1] == "pattern":
        ok = check_pattern(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 9 and argv[1] == "box":
        ok = check_box(argv[2], argv[3], *map(int, argv[4:8]), argv[8])
    elif len(argv) == 4 and argv[1] == "same":
        ok = check_same(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "black":
        ok = check_black(argv[2], int(argv[3]), int(argv[4]))
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
