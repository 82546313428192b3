#!/usr/bin/env bash
# Regenerates the test PKI used by the crate's tests, the interop tests and the benchmark.
# Throwaway keys, for tests only. Run from anywhere: ./make-pki.sh [OUTDIR] (default: this folder).
#
#   root (Siegel Test Root CA) -> intermediate (Siegel Test Issuing CA) -> alice, bob, bob-old, nokeyenc
#   other-root (Untrusted Root) -> mallory
#   expired (issued by the intermediate, valid 2001-2002)
#   intermediate -> erin (P-256), frank (P-384): EC identities (ECDSA and ECDH)
# Each end entity has NAME.key, NAME.crt and NAME.p12 (password "secret", OpenSSL 3 defaults);
# bob-old.p12 and bob.p12 together are Bob's key history; erin-legacy.p12 is Erin's in the legacy
# encryption (3DES key, RC2 certificates).
# ./make-pki.sh --ec [OUTDIR] writes only the EC identities, under the intermediate already there.
set -euo pipefail
ec_only=false
if [ "${1:-}" = --ec ]; then ec_only=true; shift; fi
out=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$out"
cd "$out"
days=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/ca.ext" <<'X'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
X
ee_ext() { # email keyusage
  cat <<X
basicConstraints=critical,CA:FALSE
keyUsage=critical,$2
extendedKeyUsage=emailProtection
subjectAltName=email:$1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
X
}

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null; }

# EC identities: ECDSA to sign, ECDH (keyAgreement) to be encrypted to (RFC 8550, RFC 5480).
ec_identities() {
  for pair in erin:P-256 frank:P-384; do
    local who=${pair%%:*} curve=${pair#*:}
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$curve -out $who.key 2>/dev/null
    ee_ext "$who@example.com" "digitalSignature,nonRepudiation,keyAgreement" > "$tmp/$who.ext"
    openssl req -new -key $who.key -subj "/O=Siegel Test/CN=${who^}/emailAddress=$who@example.com" -out "$tmp/$who.csr"
    openssl x509 -req -in "$tmp/$who.csr" -CA intermediate.crt -CAkey intermediate.key \
      -set_serial "0x$(openssl rand -hex 8)" -extfile "$tmp/$who.ext" -sha256 -days $days -out $who.crt 2>/dev/null
    openssl pkcs12 -export -inkey $who.key -in $who.crt -certfile intermediate.crt -name "$who" \
      -passout pass:secret -out $who.p12
  done
  openssl pkcs12 -export -legacy -inkey erin.key -in erin.crt -certfile intermediate.crt -name erin \
    -passout pass:secret -out erin-legacy.p12
}

if $ec_only; then
  ec_identities
  echo "EC identities written to $out"
  exit 0
fi

key root
openssl req -x509 -new -key root.key -subj "/O=Siegel Test/CN=Siegel Test Root CA" -days $days \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out root.crt

key other-root
openssl req -x509 -new -key other-root.key -subj "/O=Elsewhere/CN=Untrusted Root" -days $days \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out other-root.crt

issue() { # name subject issuer extfile [extra x509 args]
  local name=$1 subj=$2 issuer=$3 ext=$4; shift 4
  openssl req -new -key "$name.key" -subj "$subj" -out "$tmp/$name.csr"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$issuer.crt" -CAkey "$issuer.key" -set_serial "0x$(openssl rand -hex 8)" \
    -extfile "$ext" -sha256 "$@" -out "$name.crt" 2>/dev/null
}

# Certificates with explicit dates: `openssl x509 -not_before` needs OpenSSL 3.4, `openssl ca` has
# -startdate/-enddate everywhere.
issue_dated() { # name subject issuer extfile start end
  local name=$1 subj=$2 issuer=$3 ext=$4 start=$5 end=$6 db="$tmp/ca-$1"
  mkdir -p "$db"; : > "$db/index.txt"; openssl rand -hex 8 > "$db/serial"
  cat > "$db/ca.cnf" <<C
[ca]
default_ca = d
[d]
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = optional
commonName = supplied
emailAddress = optional
C
  openssl req -new -key "$name.key" -subj "$subj" -out "$db/req.csr"
  openssl ca -batch -config "$db/ca.cnf" -cert "$issuer.crt" -keyfile "$issuer.key" -in "$db/req.csr" \
    -extfile "$ext" -startdate "$start" -enddate "$end" -preserveDN -notext -out "$name.crt" 2>/dev/null
}

key intermediate
issue intermediate "/O=Siegel Test/CN=Siegel Test Issuing CA" root "$tmp/ca.ext" -days $days

for who in alice bob bob-old carol; do
  key $who
  email="${who%-old}@example.com"
  ee_ext "$email" "digitalSignature,nonRepudiation,keyEncipherment" > "$tmp/$who.ext"
  issue $who "/O=Siegel Test/CN=${who^}/emailAddress=$email" intermediate "$tmp/$who.ext" -days $days
done
# Bob's old certificate is older (2019-2024): the history has an order, and the old one has expired.
ee_ext "bob@example.com" "digitalSignature,nonRepudiation,keyEncipherment" > "$tmp/bob-old.ext"
issue_dated bob-old "/O=Siegel Test/CN=Bob (2019)/emailAddress=bob@example.com" intermediate "$tmp/bob-old.ext" \
  20190101000000Z 20240101000000Z

key nokeyenc
ee_ext "nokeyenc@example.com" "digitalSignature" > "$tmp/nokeyenc.ext"
issue nokeyenc "/O=Siegel Test/CN=Signing Only" intermediate "$tmp/nokeyenc.ext" -days $days

key mallory
ee_ext "alice@example.com" "digitalSignature,keyEncipherment" > "$tmp/mallory.ext"
issue mallory "/O=Elsewhere/CN=Mallory pretending to be Alice" other-root "$tmp/mallory.ext" -days $days

key expired
ee_ext "expired@example.com" "digitalSignature,keyEncipherment" > "$tmp/expired.ext"
issue_dated expired "/O=Siegel Test/CN=Expired/emailAddress=expired@example.com" intermediate "$tmp/expired.ext" \
  20010101000000Z 20020101000000Z

for who in alice bob bob-old carol nokeyenc mallory expired; do
  issuer=intermediate; [ $who = mallory ] && issuer=other-root
  openssl pkcs12 -export -inkey $who.key -in $who.crt -certfile $issuer.crt -name "$who" \
    -passout pass:secret -out $who.p12
done
ec_identities
cat intermediate.crt root.crt > chain.pem
# A three-prime RSA key (RFC 8017 multi-prime), for the key-reading tests (no certificate).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3 -out three-primes.key 2>/dev/null
echo "test PKI written to $out"
