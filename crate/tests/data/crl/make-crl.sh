#!/usr/bin/env bash
# Regenerates the revocation data of the test PKI (../pki): CRLs with `openssl ca -gencrl` and OCSP
# responses with `openssl ocsp`, valid for 100 years. Throwaway, for tests only. Rerun after
# ../pki/make-pki.sh. Writes, beside this script:
#   root.crl          the root CA's CRL, revoking nothing
#   intermediate.crl  the issuing CA's CRL, revoking Alice's certificate (keyCompromise)
#   bob-good.ocsp     the issuing CA's OCSP response: Bob's certificate is good
#   alice-revoked.ocsp  the issuing CA's OCSP response: Alice's certificate is revoked (keyCompromise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pki="$here/../pki"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

crl() { # ca out [cert-to-revoke reason]
  local ca=$1 out=$2
  : > "$tmp/$ca.index"
  if [ $# -ge 4 ]; then
    local serial subject
    serial=$(openssl x509 -in "$pki/$3" -noout -serial | cut -d= -f2)
    subject=$(openssl x509 -in "$pki/$3" -noout -subject -nameopt compat | sed 's/^subject=//')
    printf 'R\t21261029192006Z\t260101000000Z,%s\t%s\tunknown\t%s\n' "$4" "$serial" "$subject" > "$tmp/$ca.index"
  fi
  echo 1000 > "$tmp/$ca.crlnumber"
  cat > "$tmp/$ca.cnf" <<X
[ca]
default_ca = CA_default
[CA_default]
database = $tmp/$ca.index
crlnumber = $tmp/$ca.crlnumber
default_md = sha256
default_crl_days = 36500
[crl_ext]
authorityKeyIdentifier = keyid:always
X
  openssl ca -config "$tmp/$ca.cnf" -gencrl -crlexts crl_ext -cert "$pki/$ca.crt" -keyfile "$pki/$ca.key" \
    -out "$here/$out" 2>/dev/null
}
crl root root.crl
crl intermediate intermediate.crl alice.crt keyCompromise

ocsp() { # cert out status-line-prefix
  local serial subject
  serial=$(openssl x509 -in "$pki/$1" -noout -serial | cut -d= -f2)
  subject=$(openssl x509 -in "$pki/$1" -noout -subject -nameopt compat | sed 's/^subject=//')
  printf '%s\t%s\tunknown\t%s\n' "$3" "$serial" "$subject" > "$tmp/ocsp.index"
  openssl ocsp -issuer "$pki/intermediate.crt" -cert "$pki/$1" -no_nonce -reqout "$tmp/req.der" >/dev/null 2>&1
  openssl ocsp -index "$tmp/ocsp.index" -CA "$pki/intermediate.crt" -rsigner "$pki/intermediate.crt" \
    -rkey "$pki/intermediate.key" -reqin "$tmp/req.der" -respout "$here/$2" -ndays 36500 >/dev/null 2>&1
}
ocsp bob.crt bob-good.ocsp "$(printf 'V\t21261029192006Z\t')"
ocsp alice.crt alice-revoked.ocsp "$(printf 'R\t21261029192006Z\t260101000000Z,keyCompromise')"
