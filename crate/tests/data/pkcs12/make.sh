#!/usr/bin/env bash
# Regenerates the PKCS#12 fixtures of src/pkcs12.rs: throwaway keys and certificates exported in every
# flavour real exporters write. Needs the openssl 3 CLI (with the legacy provider for RC2); nss.p12 and
# nss-legacy.p12 also need NSS's certutil/pk12util (Debian: libnss3-tools) and are skipped without.
# Password "secret" unless the name says otherwise. The files are committed; rerun only to change them.
# Usage: ./make.sh          (writes next to this script)
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
quiet() { "$@" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }; }

# A self-signed S/MIME certificate with an email address.
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/self.key" -days 36500 \
  -subj "/CN=PKCS12 Self-Signed/emailAddress=self@example.com" \
  -addext "subjectAltName=email:self@example.com" \
  -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
  -addext "extendedKeyUsage=emailProtection" -out "$tmp/self.crt"
# A CA and an end-entity certificate issued by it.
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -days 36500 -subj "/CN=PKCS12 Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$tmp/ca.crt"
quiet openssl req -newkey rsa:2048 -nodes -keyout "$tmp/ee.key" -subj "/CN=PKCS12 Test EE/emailAddress=ee@example.com" \
  -out "$tmp/ee.csr"
printf 'subjectAltName=email:ee@example.com\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' \
  >"$tmp/ee.ext"
quiet openssl x509 -req -in "$tmp/ee.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -set_serial 4660 -days 36500 \
  -extfile "$tmp/ee.ext" -out "$tmp/ee.crt"

export_p12() { # NAME PASSWORD [openssl pkcs12 options...]   (the self-signed key and certificate)
  local name=$1 pass=$2
  shift 2
  quiet openssl pkcs12 -export -inkey "$tmp/self.key" -in "$tmp/self.crt" -name "test key" \
    -passout "pass:$pass" -out "$name.p12" "$@"
}
export_p12 default secret                                   # AES-256-CBC PBES2 (PBKDF2-SHA256), SHA-256 MAC
export_p12 legacy secret -legacy                            # RC2-40 certificates, 3DES key, SHA-1 MAC
export_p12 3des secret -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
export_p12 rc2-128-2des secret -legacy -certpbe PBE-SHA1-RC2-128 -keypbe PBE-SHA1-2DES -macalg sha1
export_p12 aes128-sha512 secret -certpbe AES-128-CBC -keypbe AES-128-CBC -macalg sha512
export_p12 aes192-sha384 secret -certpbe AES-192-CBC -keypbe DES-EDE3-CBC -macalg sha384
export_p12 nomac secret -nomac
export_p12 plain secret -keypbe NONE -certpbe NONE            # unencrypted keyBag and certBag, with a MAC
export_p12 keyonly secret -nocerts
export_p12 certsonly secret -nokeys
export_p12 emptypass ""
export_p12 unicode "pässwörd"
quiet openssl pkcs12 -export -inkey "$tmp/ee.key" -in "$tmp/ee.crt" -certfile "$tmp/ca.crt" -name "test key" \
  -passout pass:secret -out chain.p12

rm -f nss.p12 nss-legacy.p12
if command -v pk12util >/dev/null && command -v certutil >/dev/null; then
  mkdir "$tmp/nssdb"
  printf 'dbpass\n' >"$tmp/dbpass"
  printf 'secret\n' >"$tmp/p12pass"
  quiet certutil -N -d "sql:$tmp/nssdb" -f "$tmp/dbpass"
  quiet pk12util -i default.p12 -d "sql:$tmp/nssdb" -k "$tmp/dbpass" -w "$tmp/p12pass"
  # NSS's defaults (PBES2 with AES-256-CBC), then its legacy PKCS#12 PBEs.
  quiet pk12util -o nss.p12 -n "test key" -d "sql:$tmp/nssdb" -k "$tmp/dbpass" -w "$tmp/p12pass"
  quiet pk12util -o nss-legacy.p12 -n "test key" -d "sql:$tmp/nssdb" -k "$tmp/dbpass" -w "$tmp/p12pass" \
    -c "PKCS #12 V2 PBE With SHA-1 And 3KEY Triple DES-CBC" -C "PKCS #12 V2 PBE With SHA-1 And 40 Bit RC2 CBC"
else
  echo "pk12util/certutil not found: nss.p12 and nss-legacy.p12 not written" >&2
fi
chmod 644 ./*.p12   # openssl writes key files 0600; these are throwaway test data
echo "PKCS#12 fixtures written to $PWD"
