#!/usr/bin/env bash
# Fills corpus/<target>/ with seed inputs from the test data and from mails the CLI produces.
# The corpus is generated (and grown by the fuzzer): it is gitignored.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../tests/data"
c="$here/corpus"
targets=(ber cms mime smime_open pkcs12 certificates crl rsa_padding keys directory)
for t in "${targets[@]}"; do mkdir -p "$c/$t"; done

put() { # target file...
  local t=$1; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$c/$t/$(basename "$(dirname "$f")")-$(basename "$f")"; done
  return 0
}

put certificates "$data"/pki/*.crt "$data"/pki/chain.pem "$data"/trust/*
put pkcs12 "$data"/pki/*.p12 "$data"/pkcs12/*.p12
put crl "$data"/crl/*.crl "$data"/crl/*.ocsp
put ber "$data"/trust/chain.p7b "$data"/crl/*.crl "$data"/crl/*.ocsp "$data"/pkcs12/*.p12
put cms "$data"/trust/chain.p7b
put directory "$data"/pki/bob.crt "$data"/pki/chain.pem "$data"/trust/chain.p7b
# directory: a resolver's answer to the SMIMEA query for bob@example.com (RFC 8162) holding Bob's certificate,
# with and without the AD bit, and NXDOMAIN.
python3 - "$data/pki/bob.crt" "$c/directory" <<'PY'
import base64, hashlib, struct, sys
pem = open(sys.argv[1]).read()
der = base64.b64decode("".join(l for l in pem.splitlines() if "-----" not in l))
name = hashlib.sha256(b"bob").hexdigest()[:56] + "._smimecert.example.com"
q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 53, 1)
def answer(flags, records):
    rr = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 53, 1, 3600, len(r) + 3) + b"\x03\x00\x00" + r for r in records)
    return struct.pack(">HHHHHH", 0, flags, 1, len(records), 0, 0) + q + rr
for fname, flags, recs in [("smimea-ad", 0x81a0, [der]), ("smimea-no-ad", 0x8180, [der]), ("nxdomain", 0x81a3, [])]:
    open(f"{sys.argv[2]}/{fname}", "wb").write(answer(flags, recs))
PY

# PEM certificates as DER too.
for f in "$data"/pki/*.crt; do
  base64 -d < <(grep -v -- '-----' "$f") > "$c/certificates/$(basename "$f" .crt).der" 2>/dev/null || true
  cp "$c/certificates/$(basename "$f" .crt).der" "$c/ber/" 2>/dev/null || true
done
# A Windows serialized store (.sst) of the test CAs and Bob: the header, one certificate element
# (id 0x20, encoding 1, length, DER) each, the end marker; little-endian.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
{
  printf '\0\0\0\0CERT'
  for n in root intermediate bob; do
    f="$c/certificates/$n.der"
    [ -s "$f" ] || continue
    printf "$(le32 32)$(le32 1)$(le32 "$(wc -c < "$f")")"
    cat "$f"
  done
  printf '\0\0\0\0\0\0\0\0\0\0\0\0'
} > "$c/certificates/cas.sst"

# rsa_padding: raw RSA blocks (decrypted without padding removal) of a 32-byte key encrypted to Bob
# with PKCS#1 v1.5 and with OAEP, as a libFuzzer cannot find a valid OAEP block by itself. The first
# byte picks the key length and hashes (common.rs): 2 = 32 bytes, SHA-1/SHA-1; 27 = 32 bytes,
# SHA-256/SHA-256.
pki="$here/../tests/data/pki"
rsa_seed() { # NAME PICK PKEYOPTS...
  local name=$1 pick=$2; shift 2
  local t; t=$(mktemp -d)
  head -c 32 /dev/urandom > "$t/k"
  openssl pkeyutl -encrypt -certin -inkey "$pki/bob.crt" -in "$t/k" -out "$t/c" "$@" &&
    openssl pkeyutl -decrypt -inkey "$pki/bob.key" -in "$t/c" -out "$t/em" -pkeyopt rsa_padding_mode:none &&
    { printf "\\$(printf %03o "$pick")"; cat "$t/em"; } > "$c/rsa_padding/$name"
  rm -rf "$t"
}
rsa_seed pkcs1v15 2 -pkeyopt rsa_padding_mode:pkcs1
rsa_seed oaep-sha1 2 -pkeyopt rsa_padding_mode:oaep
rsa_seed oaep-sha256 27 -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256

# keys: the RSA test keys as PKCS#1 (pick 0), public keys with a signature (pick 1), and the PKITS DSA
# CA's parameters and key (pick 2, with the split lengths common.rs reads).
for k in "$pki"/*.key; do
  case $(basename "$k") in erin.key|frank.key) continue ;; esac
  { printf '\0'; openssl rsa -in "$k" -outform DER -traditional 2>/dev/null; } > "$c/keys/$(basename "$k" .key).der"
done
# The EC keys as PKCS#8 (pick 3) and their public points as ECDH peer keys (pick 4).
for k in erin frank; do
  { printf '\3'; openssl pkey -in "$pki/$k.key" -outform DER 2>/dev/null; } > "$c/keys/$k-pkcs8"
  { printf '\4'; openssl pkey -in "$pki/$k.key" -pubout -outform DER 2>/dev/null | tail -c +$(( $([ $k = erin ] && echo 26 || echo 23) + 1 )); } > "$c/keys/$k-point"
done
be16() { printf "$(printf '\\x%02x\\x%02x' $(($1 >> 8)) $(($1 & 255)))"; }
bob_public=$(mktemp)
openssl rsa -in "$pki/bob.key" -RSAPublicKey_out -outform DER -out "$bob_public" 2>/dev/null
klen=$(wc -c < "$bob_public")
{
  printf '\1'; be16 "$klen"; cat "$bob_public"
  printf siegel | openssl dgst -sha256 -sign "$pki/bob.key"
} > "$c/keys/bob-public-sig"
rm -f "$bob_public"
dsa_ca="$here/../../../shared/conformance/pkits/certs/DSACACert.crt"
if [ -f "$dsa_ca" ]; then
  t=$(mktemp -d)
  openssl x509 -inform DER -in "$dsa_ca" -pubkey -noout | openssl pkey -pubin -outform DER -out "$t/spki"
  # The Dss-Parms SEQUENCE (depth 2) and the INTEGER y inside the BIT STRING (depth 1, after its
  # unused-bits byte), from openssl asn1parse's offsets.
  parsed=$(openssl asn1parse -inform DER -in "$t/spki")
  read -r po ph pl < <(sed -nE 's/^ *([0-9]+):d=2 +hl= *([0-9]+) +l= *([0-9]+) cons: SEQUENCE.*/\1 \2 \3/p' <<<"$parsed")
  read -r yo yh yl < <(sed -nE 's/^ *([0-9]+):d=1 +hl= *([0-9]+) +l= *([0-9]+) prim: BIT STRING.*/\1 \2 \3/p' <<<"$parsed")
  plen=$((ph + pl)) ylen=$((yl - 1))
  {
    printf '\2'
    be16 "$plen"; be16 "$ylen"
    tail -c +$((po + 1)) "$t/spki" | head -c "$plen"
    tail -c +$((yo + yh + 2)) "$t/spki" | head -c "$ylen"
    # A well-formed SEQUENCE { r, s } (that does not verify).
    printf '\x30\x2c\x02\x14'; head -c 20 /dev/zero | tr '\0' '\021'
    printf '\x02\x14'; head -c 20 /dev/zero | tr '\0' '\042'
  } > "$c/keys/dsa-ca"
  rm -rf "$t"
fi

# Earlier crashes (regressions/<target>/) are good starting points too.
for t in "${targets[@]}"; do
  for f in "$here/regressions/$t"/*; do [ -f "$f" ] && cp "$f" "$c/$t/regression-$(basename "$f")"; done
done

# Mails from the CLI (built from the main workspace on the default, stable toolchain; the first run
# compiles it unless `cargo test` already did).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cli() { (cd "$here/../.." && cargo run -q --locked -p siegel-cli -- "$@"); }
export SIEGEL_FUZZ_PW=secret
crlf() { sed 's/$/\r/' > "$1"; }
crlf "$tmp/plain.eml" <<'MAIL'
From: alice@example.com
To: bob@example.com
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
Content-Type: text/plain; charset=utf-8

Hello Bob.
MAIL
crlf "$tmp/multi.eml" <<'MAIL'
From: "Alice" <alice@example.com>
To: bob@example.com, =?iso-8859-1?b?Q2Fyb2w=?= <carol@example.com>
Subject: parts
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe=
 more
--b1
Content-Type: text/html

<p>hi</p>
--b1
Content-Type: application/octet-stream; name="a.bin"
Content-Disposition: attachment; filename*=utf-8''%C3%A4.bin
Content-Transfer-Encoding: base64

AAECAwQF
--b1--
MAIL
cp "$tmp"/plain.eml "$tmp"/multi.eml "$c/mime/"
cp "$tmp"/plain.eml "$tmp"/multi.eml "$c/smime_open/"
for m in plain multi; do
  cli sign --identity "$data/pki/alice.p12" --password-env SIEGEL_FUZZ_PW < "$tmp/$m.eml" > "$tmp/$m-signed.eml"
  cli sign --identity "$data/pki/alice.p12" --password-env SIEGEL_FUZZ_PW --opaque < "$tmp/$m.eml" > "$tmp/$m-opaque.eml"
  cli encrypt --to "$data/pki/bob.crt" < "$tmp/$m.eml" > "$tmp/$m-enc.eml"
  cli encrypt --to "$data/pki/bob.crt" --cipher aes-128-cbc --key-transport rsa-oaep < "$tmp/$m.eml" > "$tmp/$m-enc-cbc.eml"
  cli encrypt --to "$data/pki/bob.crt" < "$tmp/$m-signed.eml" > "$tmp/$m-triple.eml"
done
# The crafted attack mails (EFAIL, signature spoofing) are good seeds for the odd corners.
for f in "$data"/attacks/*.eml; do
  cp "$f" "$c/mime/attack-$(basename "$f")"; cp "$f" "$c/smime_open/attack-$(basename "$f")"
done
for f in "$tmp"/*-*.eml; do
  cp "$f" "$c/mime/"; cp "$f" "$c/smime_open/"
done
# The DER CMS inside single-part S/MIME mails (opaque-signed, enveloped) for cms and ber.
for f in "$tmp"/*-opaque.eml "$tmp"/*-enc*.eml "$tmp"/*-triple.eml; do
  out="$(basename "$f" .eml).p7m"
  awk 'body { print } /^\r?$/ { body = 1 }' "$f" | tr -d '\r' | base64 -d > "$c/cms/$out" 2>/dev/null || true
  cp "$c/cms/$out" "$c/ber/"
done
# The detached signature of multipart/signed mails.
for f in "$tmp"/*-signed.eml; do
  awk '/^Content-Type: application\/(x-)?pkcs7-signature/ { sig = 1 } sig && /^\r?$/ { inb = 1; next } inb && /^--/ { exit } inb { print }' "$f" \
    | tr -d '\r' | base64 -d > "$c/cms/$(basename "$f" .eml).p7s" 2>/dev/null || true
done
for t in "${targets[@]}"; do echo "corpus/$t: $(ls "$c/$t" | wc -l) files"; done
