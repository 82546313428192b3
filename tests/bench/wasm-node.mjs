#!/usr/bin/env node
// Siegel wasm in Node: the same operations as the Chromium page (wasm-ops.js) on the wasm-pack
// --target web build in target/wasm-bench/ (or --pkg DIR), loaded from the file; Node's
// globalThis.crypto.subtle serves the async (WebCrypto) entry points. Prints one JSON object
// (compare.mjs reads it).
//
//   node tests/bench/wasm-node.mjs [--sizes 1024,102400] [--runs 5] [--cipher aes-256-gcm] [--recipients N] [--api async|sync] [--transport rsa-pkcs1|rsa-oaep] [--keys rsa|p256|p384]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runBench } from "./wasm-ops.js";
import { sampleMail } from "./sample-mail.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const pkg = path.resolve(opt("--pkg", path.join(ROOT, "target", "wasm-bench")));

const compiled = new WebAssembly.Module(fs.readFileSync(path.join(pkg, "siegel_bg.wasm")));
let n = 0;
// A new copy of the glue module (its own `wasm` instance) each time: a fresh wasm memory.
const load = async () => {
  const siegel = await import(`${pathToFileURL(path.join(pkg, "siegel.js")).href}?instance=${n++}`);
  const exports = siegel.initSync({ module: compiled });
  return { siegel, memory: exports.memory };
};
const result = await runBench({
  load,
  files: async (name) => new Uint8Array(fs.readFileSync(path.join(ROOT, "crate", "tests", "data", "pki", name))),
  mail: async (size) => new Uint8Array(sampleMail(size)),
  sizes: opt("--sizes", "1024,102400,1048576").split(",").map(Number),
  runs: Number(opt("--runs", "5")),
  cipher: opt("--cipher", "aes-256-gcm"),
  recipients: Number(opt("--recipients", "0")),
  api: opt("--api", undefined),
  transport: opt("--transport", undefined),
  keys: opt("--keys", "rsa"),
});
result.node = process.version;
console.log(JSON.stringify(result));
