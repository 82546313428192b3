// The benchmark page: times the wasm build of the core in the browser it runs in (tests/bench/wasm-ops.js).
// Driven headless by compare.mjs, which reads window.__bench and has written the mails to
// tests/bench/dist/mail-<size>.eml. Query: sizes, runs, cipher, recipients (N copies of Bob's
// certificate; default Bob and Alice), api=async|sync, transport=rsa-pkcs1|rsa-oaep.
import { runBench } from "./wasm-ops.js";

const params = new URLSearchParams(location.search);
const PKG = "/target/wasm-bench/";

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  const compiled = await WebAssembly.compile(await bytes(PKG + "siegel_bg.wasm"));
  let n = 0;
  // A new copy of the glue module (its own `wasm` instance) each time: a fresh wasm memory.
  const load = async () => {
    const siegel = await import(`${PKG}siegel.js?instance=${n++}`);
    const exports = await siegel.default({ module_or_path: compiled });
    return { siegel, memory: exports.memory };
  };
  const result = await runBench({
    load,
    files: (name) => bytes(`/crate/tests/data/pki/${name}`),
    mail: (size) => bytes(`/tests/bench/dist/mail-${size}.eml`),
    sizes: (params.get("sizes") || "1024,102400,1048576").split(",").map(Number),
    runs: Number(params.get("runs") || 5),
    cipher: params.get("cipher") || "aes-256-gcm",
    recipients: params.get("recipients") ? Number(params.get("recipients")) : 0,
    api: params.get("api") || undefined,
    transport: params.get("transport") || undefined,
  });
  result.userAgent = navigator.userAgent;
  document.getElementById("out").textContent = JSON.stringify(result, null, 2);
  window.__bench = result;
}

main().catch((e) => {
  document.getElementById("out").textContent = String(e.stack || e);
  window.__bench = { error: String(e.stack || e) };
});
