#!/usr/bin/env bash
# Regenerates the trust-store fixtures from the test PKI (../pki). Run after ../pki/make-pki.sh.
# Run from anywhere: ./make-trust.sh [OUTDIR] (default: this folder).
#
#   chain.p7b      root + intermediate as a DER certs-only PKCS#7 SignedData (what Windows calls .p7b/.p7c)
#   chain.p7b.pem  the same, PEM armoured ("-----BEGIN PKCS7-----")
#
# The .sst (Windows serialized store) fixtures are built by the tests themselves: no tool here writes them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
openssl crl2pkcs7 -nocrl -certfile "$here/../pki/chain.pem" -outform DER -out "$out/chain.p7b"
openssl crl2pkcs7 -nocrl -certfile "$here/../pki/chain.pem" -outform PEM -out "$out/chain.p7b.pem"
