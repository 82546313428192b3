#!/usr/bin/env bash
# Builds the extension (extension/build.sh) and packs it for self-hosted, policy-driven deployment.
# Into OUT/dist/ (OUT defaults to target/extension):
#   siegel.crx        CRX3 signed with the publisher key (packed by Chromium itself, headless)
#   updates.xml       the update manifest Chrome/Edge poll: BASE_URL/siegel.crx at the manifest's version
#   extension-id.txt  the extension ID (derived from the publisher key; printed on stdout too)
#   policies/         deployment templates for that ID and URL (extension/tools/policy-templates.mjs)
#
#   extension/pack.sh [--out DIR] [--key FILE] [--base-url URL] [--skip-build] [--skip-wasm]
#
# --key: the publisher's RSA private key (PEM). Default ~/.config/siegel/publisher.pem, generated on
#   first use. It stays out of the repository; keep a backup: a new key is a new extension ID, and every
#   deployed policy would have to change.
# --base-url: where siegel.crx and updates.xml will be served (default https://siegel.example.com/ext).
# --skip-build: pack OUT/unpacked as it is. --skip-wasm: passed to build.sh.
set -euo pipefail
ext=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$ext/.." && pwd)
out="$root/target/extension"
key="${HOME}/.config/siegel/publisher.pem"
base_url="https://siegel.example.com/ext"
build=1
build_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --key) key=${2:?--key needs a file}; shift 2 ;;
    --key=*) key=${1#--key=}; shift ;;
    --base-url) base_url=${2:?--base-url needs a URL}; shift 2 ;;
    --base-url=*) base_url=${1#--base-url=}; shift ;;
    --skip-build) build=0; shift ;;
    --skip-wasm) build_args+=(--skip-wasm); shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
base_url=${base_url%/}
case "$base_url" in http://*|https://*) ;; *) echo "pack.sh: --base-url must be an http(s) URL" >&2; exit 2 ;; esac
mkdir -p "$out" && out=$(cd "$out" && pwd)

if [ "$build" = 1 ]; then "$ext/build.sh" --out "$out" ${build_args[@]+"${build_args[@]}"} >/dev/null; fi
unpacked="$out/unpacked"
[ -f "$unpacked/manifest.json" ] || { echo "pack.sh: $unpacked is not built (drop --skip-build)" >&2; exit 1; }

# The publisher key: generated once, never in the repository.
if [ ! -f "$key" ]; then
  (umask 077 && mkdir -p "$(dirname "$key")" && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null)
  echo "pack.sh: generated a new publisher key in $key: back it up, the extension ID depends on it" >&2
fi
key=$(cd "$(dirname "$key")" && pwd)/$(basename "$key")

# Extension ID: the first 128 bits of SHA-256(DER SubjectPublicKeyInfo), hex digits 0-f written a-p.
id=$(openssl pkey -in "$key" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | head -c 16 \
  | od -An -v -tx1 | tr -d ' \n' | tr '0-9a-f' 'a-p')
[ ${#id} = 32 ] || { echo "pack.sh: cannot read the key $key" >&2; exit 1; }
version=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$unpacked/manifest.json")

dist="$out/dist"
rm -rf "$dist" && mkdir -p "$dist"
# Chromium packs into DIR.crx next to DIR; pack a copy in a scratch directory so nothing lands beside OUT.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$unpacked" "$scratch/siegel"
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -n "$chromium" ] || { echo "pack.sh: no chromium found (set CHROMIUM=/path/to/chrome)" >&2; exit 1; }
if ! "$chromium" --headless=new --no-sandbox --disable-gpu --user-data-dir="$scratch/profile" \
     --pack-extension="$scratch/siegel" --pack-extension-key="$key" >"$scratch/pack.log" 2>&1 \
   || [ ! -s "$scratch/siegel.crx" ]; then
  cat "$scratch/pack.log" >&2; echo "pack.sh: chromium did not pack the extension" >&2; exit 1
fi
mv "$scratch/siegel.crx" "$dist/siegel.crx"
chmod 644 "$dist/siegel.crx"
echo "$id" > "$dist/extension-id.txt"

xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e "s/'/\\&apos;/g" -e 's/"/\&quot;/g'; }
codebase=$(xml_escape "$base_url/siegel.crx")
cat > "$dist/updates.xml" <<XML
<?xml version='1.0' encoding='UTF-8'?>
<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>
  <app appid='$id'>
    <updatecheck codebase='$codebase' version='$(xml_escape "$version")'/>
  </app>
</gupdate>
XML

node "$ext/tools/policy-templates.mjs" --schema "$ext/schema.json" --id "$id" \
  --update-url "$base_url/updates.xml" --version "$version" --out "$dist/policies"

# Every XML output must parse.
while IFS= read -r -d '' f; do
  python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$f" \
    || { echo "pack.sh: $f is not well-formed XML" >&2; exit 1; }
done < <(find "$dist" \( -name '*.xml' -o -name '*.admx' -o -name '*.adml' -o -name '*.mobileconfig' \) -print0)
echo "$id"
