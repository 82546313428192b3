#!/usr/bin/env node
// Removes the "name" custom section (function names for stack traces, about 25% of the raw size
// of Siegel's .wasm) from a WebAssembly file, in place. Cargo's `strip = true` would do it too, but
// also drops the target_features section wasm-bindgen reads, so the shipped build strips the names
// after wasm-bindgen instead.
//
//   node extension/tools/strip-names.mjs FILE.wasm
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
if (!file) { console.error("usage: strip-names.mjs FILE.wasm"); process.exit(2); }
const b = readFileSync(file);
if (b.readUInt32BE(0) !== 0x0061736d) { console.error(`${file}: not a WebAssembly file`); process.exit(1); }
const leb = (i) => { let r = 0, s = 0, x; do { x = b[i++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80); return [r, i]; };
const keep = [b.subarray(0, 8)];
let i = 8;
while (i < b.length) {
  const start = i;
  const id = b[i++];
  const [size, body] = leb(i);
  const end = body + size;
  if (end > b.length) { console.error(`${file}: truncated section`); process.exit(1); }
  let name = null;
  if (id === 0) { const [len, at] = leb(body); name = b.subarray(at, at + len).toString("utf8"); }
  if (name !== "name") keep.push(b.subarray(start, end));
  i = end;
}
writeFileSync(file, Buffer.concat(keep));
