#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install everything vAMT needs on a Debian 12 (bookworm) host, as root.
# Only Debian's archive and the npm registry are used.  Safe to re-run:
# a stamp file skips apt when the package list has not changed.
set -euo pipefail

cache=${VAMT_CACHE:-/var/cache/vamt}
mkdir -p "$cache"

packages=(
    build-essential ninja-build pkg-config flex bison python3-venv
    libglib2.0-dev libpixman-1-dev libslirp-dev libgnutls28-dev zlib1g-dev
    libxml2-dev libfdt-dev seabios ipxe-qemu dpkg-dev ccache rsync
    busybox-static cpio kmod linux-libc-dev clang
    amtterm libsoap-lite-perl wsl curl libxml2-utils uuid-runtime xorriso
    openssl gnutls-bin liblwp-protocol-https-perl
    vncsnapshot libnet-vnc-perl tightvncpasswd
    chromium
    libvirt-daemon-system libvirt-clients
)
# MeshCentral's AMT stack runs on Node.js: Debian's, unless one is there
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    packages+=(nodejs npm)
fi
backports=(meson python3-pycotap)

want="${packages[*]} | ${backports[*]}"
stamp="$cache/deps.stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "vamt: build dependencies already installed"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "vamt: install-deps.sh must run as root (it uses apt-get)" >&2
    exit 1
fi

# deb-src for trixie (QEMU 10.0 source) and bookworm-backports (meson >= 1.5).
cat > /etc/apt/sources.list.d/vamt.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports[@]}"
echo "$want" > "$stamp"
echo "vamt: build dependencies installed"
