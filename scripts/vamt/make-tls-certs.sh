#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-tls-certs.sh DIR HOST: a CA of its own and a server certificate for
# HOST (an IP address: its CN and an IP subjectAltName) signed by it, RSA
# 2048, valid for VALID_DAYS (default 2) days, in DIR as QEMU's
# tls-creds-x509 reads a directory: ca-cert.pem, server-cert.pem,
# server-key.pem (0600), and the CA's key.  For tests and the demo; real
# deployments use their own CA.
set -euo pipefail

dir=$1 host=$2 days=${VALID_DAYS:-2}
mkdir -p "$dir"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=vAMT test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$dir/ca-key.pem" -out "$dir/ca-cert.pem" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$host" \
    -keyout "$dir/server-key.pem" -out "$dir/server.csr" 2> /dev/null
openssl x509 -req -in "$dir/server.csr" -days "$days" -CA "$dir/ca-cert.pem" \
    -CAkey "$dir/ca-key.pem" -CAcreateserial -out "$dir/server-cert.pem" \
    -extfile <(printf '%s\n' basicConstraints=critical,CA:FALSE \
                   keyUsage=critical,digitalSignature,keyEncipherment \
                   extendedKeyUsage=serverAuth "subjectAltName=IP:$host") \
    2> /dev/null
rm -f "$dir/server.csr"
chmod 644 "$dir/ca-cert.pem" "$dir/server-cert.pem"
