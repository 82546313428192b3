// The benchmark page: times the wasm build of the core in the browser it runs in (tests/bench/wasm-ops.js).
// Driven headless by compare.mjs, which reads window.__bench; open it by hand to see the result.
// Query: sizes, runs, cipher, recipients (N copies of Bob's certificate; default Bob and Alice), api=async|sync.
import init, * as siegel from "/target/wasm-bench/siegel.js";
import { runBench } from "./wasm-ops.js";

const params = new URLSearchParams(location.search);

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  const wasm = await init();
  const result = await runBench({
    siegel,
    memory: wasm.memory,
    files: (name) => bytes(`/crate/tests/data/pki/${name}`),
    sizes: (params.get("sizes") || "1024,102400,1048576").split(",").map(Number),
    runs: Number(params.get("runs") || 5),
    cipher: params.get("cipher") || "aes-256-gcm",
    recipients: params.get("recipients") ? Number(params.get("recipients")) : 0,
    api: params.get("api") || undefined,
  });
  result.userAgent = navigator.userAgent;
  document.getElementById("out").textContent = JSON.stringify(result, null, 2);
  window.__bench = result;
}

main().catch((e) => {
  document.getElementById("out").textContent = String(e.stack || e);
  window.__bench = { error: String(e.stack || e) };
});
