#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check QMP screendumps (PPM) of the guest's kvmguest drawings.

usage: kvm_screen.py pattern PPM W H
           the picture is W x H and every pixel is kvmguest's test pattern
       kvm_screen.py box BEFORE AFTER X Y W H RRGGBB
           AFTER is BEFORE with the rectangle filled with RRGGBB, and
           nothing else changed (kvmguest box)

Prints a one-line summary (and the first differing pixels) for the
test's log; exit status 0 only when the picture is as expected.  As a
module, pattern_rgb() is the expected picture for other KVM tests.
"""
import sys

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


def main(argv):
    if len(argv) == 5 and argv[1] == "pattern":
        ok = check_pattern(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 9 and argv[1] == "box":
        ok = check_box(argv[2], argv[3], *map(int, argv[4:8]), argv[8])
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
