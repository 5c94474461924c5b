#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-ider-iso.sh DIR WORD ISO: the IDE-R tests' CD image, built with
# xorriso in ISO from DIR (created): hello.txt saying "hello WORD", and an
# El Torito no-emulation boot sector that prints
#   VAMT-IDER-BOOT: booted from the IDE-R CD
# on COM1 and halts (call/pop finds the message wherever the firmware
# loaded it).  xorriso's messages go to stderr; exits non-zero on failure.
set -euo pipefail
dir=$1 word=$2 iso=$3

mkdir -p "$dir"
echo "hello $word" > "$dir/hello.txt"
python3 - "$dir/boot.img" <<'PY'
import sys
msg = b"VAMT-IDER-BOOT: booted from the IDE-R CD\r\n\0"
code = bytes.fromhex("e80000" "5e" "83c614" "0e1f" "baf803"
                     "ac" "84c0" "7403" "ee" "ebf8" "f4" "ebfd")
open(sys.argv[1], "wb").write((code + msg).ljust(2048, b"\0"))
PY
xorriso -as mkisofs -quiet -V VAMTIDER -b boot.img -no-emul-boot \
    -boot-load-size 4 -o "$iso" "$dir"
test -s "$iso"
