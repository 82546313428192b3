#!/usr/bin/env bash
# Builds the wasm core as shipped: wasm-pack --target web with the `wasm-release` profile
# (opt-level z, the RSA arithmetic at opt-level 3; see the workspace Cargo.toml), then removes the
# function-name section (strip-names.mjs). Used by extension/build.sh, .ci/demo and the benchmark.
# No wasm-opt: Debian's binaryen 108 made the gzipped size larger (BENCHMARKS.md), and wasm-pack is
# told never to fetch one (crate/Cargo.toml).
#
#   extension/tools/build-wasm.sh OUT_DIR [wasm-pack build options, e.g. --no-pack]
set -euo pipefail
tools=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$tools/../.." && pwd)
out=${1:?usage: build-wasm.sh OUT_DIR [wasm-pack options]}
shift
command -v wasm-pack >/dev/null || { echo "build-wasm.sh: wasm-pack not found (run .ci/setup)" >&2; exit 1; }
wasm-pack --log-level warn build --profile wasm-release --target web --out-dir "$out" "$@" "$root/crate"
node "$tools/strip-names.mjs" "$out/siegel_bg.wasm"
