#!/usr/bin/env bash
# Builds the unpacked extension: the wasm core (extension/tools/build-wasm.sh: wasm-pack --target web,
# the size-optimised wasm-release profile, function names stripped) into extension/wasm/,
# then a clean copy of extension/ without the build tooling into OUT/unpacked/ (OUT defaults to
# target/extension). Load OUT/unpacked with chrome://extensions → "Load unpacked", or pack it with
# extension/pack.sh. Idempotent: OUT/unpacked is rebuilt from scratch every time.
#
#   extension/build.sh [--out DIR] [--skip-wasm]
#
# --skip-wasm reuses an existing extension/wasm/ (for quick re-assembly; the build fails if it is missing).
set -euo pipefail
ext=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$ext/.." && pwd)
out="$root/target/extension"
skip_wasm=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --skip-wasm) skip_wasm=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out" && out=$(cd "$out" && pwd)

if [ "$skip_wasm" = 0 ]; then
  command -v wasm-pack >/dev/null || { echo "build.sh: wasm-pack not found (run .ci/setup)" >&2; exit 1; }
  log=$(mktemp)
  if ! "$ext/tools/build-wasm.sh" "$ext/wasm" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "build.sh: wasm-pack build failed" >&2; exit 1
  fi
  rm -f "$log"
fi
for f in siegel.js siegel_bg.wasm; do
  [ -s "$ext/wasm/$f" ] || { echo "build.sh: extension/wasm/$f is missing (build without --skip-wasm)" >&2; exit 1; }
done

# The files the manifest names: Chrome refuses to load or pack the extension when one is missing
# (Chromium 156: "Could not load options page").
node --input-type=module - "$ext" <<'JS'
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
const dir = process.argv[2];
const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const must = [m.background?.service_worker, m.storage?.managed_schema, m.options_ui?.page, m.action?.default_popup,
  m.default_locale && `_locales/${m.default_locale}/messages.json`].filter(Boolean);
const missing = must.filter((f) => !existsSync(join(dir, f)));
if (missing.length) {
  console.error(`build.sh: the manifest needs ${missing.map((f) => `extension/${f}`).join(", ")}, which do not exist`);
  process.exit(1);
}
JS

# The unpacked extension: everything in extension/ except the build tooling, the tests, the template
# generator and the wasm-pack leftovers; then only the two wasm files the extension imports.
unpacked="$out/unpacked"
rm -rf "$unpacked" && mkdir -p "$unpacked/wasm"
tar -C "$ext" -c \
  --exclude=./build.sh --exclude=./pack.sh --exclude=./tools --exclude=./tests --exclude=./wasm \
  --exclude=./node_modules --exclude=./package.json --exclude=./package-lock.json --exclude='*.src.js' \
  --exclude='*.md' --exclude='*/.*' --exclude='*.test.*' . | tar -C "$unpacked" -x
cp "$ext/wasm/siegel.js" "$ext/wasm/siegel_bg.wasm" "$unpacked/wasm/"

# The editor frame's library (Squire and DOMPurify, pinned in extension/package.json, installed by
# .ci/setup's npm ci), bundled into one module with esbuild; their licence comments stay at its end.
esbuild="$ext/node_modules/.bin/esbuild"
if [ ! -x "$esbuild" ]; then
  (cd "$ext" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent) ||
    { echo "build.sh: npm ci in extension/ failed (the editor library is needed)" >&2; exit 1; }
fi
"$esbuild" "$ext/editor/vendor.src.js" --bundle --format=esm --minify --legal-comments=eof --log-level=warning \
  --outfile="$unpacked/editor/vendor.js"
echo "$unpacked"
