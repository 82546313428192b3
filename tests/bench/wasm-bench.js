// The benchmark page: times the wasm build of the core in the browser it runs in.
// Driven headless by wasm-bench.py, which reads window.__bench; open it by hand to see the table.
import init, { Identity, buildMessage, signMessage, encryptMessage, decryptMessage, openMessage, version }
  from "/target/wasm-bench/siegel.js";

const params = new URLSearchParams(location.search);
const sizes = (params.get("sizes") || "1024,102400,1048576").split(",").map(Number);
const runs = Number(params.get("runs") || 5);
// compare.mjs asks for a cipher and for N copies of Bob's certificate; by default Bob and Alice, GCM.
const cipher = params.get("cipher") || "aes-256-gcm";
const nRecipients = params.get("recipients") ? Number(params.get("recipients")) : 0;
let wasmMemory = null;
let memPeak = 0;

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function sampleMail(size) {
  // Same shape as `siegel bench`: a text part and ~3/4 of the size as a pseudo-random attachment.
  const data = new Uint8Array(Math.floor(size * 3 / 4));
  let x = 0x12345678;
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = x & 255; data[i + 1] = (x >>> 8) & 255; data[i + 2] = (x >>> 16) & 255; data[i + 3] = (x >>> 24) & 255;
  }
  return buildMessage({
    headers: [["From", "Alice <alice@example.com>"], ["To", "Bob <bob@example.com>"], ["Subject", "Figures"]],
    text: "Hello Bob,\r\n\r\nthe figures are attached.\r\n\r\nAlice\r\n",
    attachments: [{ filename: "figures.bin", contentType: "application/octet-stream", data }],
  });
}

function median(f) {
  const times = [];
  let out;
  for (let i = 0; i < Math.max(1, runs); i++) {
    const t0 = performance.now();
    out = f();
    times.push(performance.now() - t0);
    // Wasm memory only grows, so its size after the operation is the peak reached so far.
    if (wasmMemory) memPeak = Math.max(memPeak, wasmMemory.buffer.byteLength);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], out];
}

async function main() {
  const wasm = await init();
  wasmMemory = wasm.memory;
  const pki = "/crate/tests/data/pki/";
  const alice = Identity.fromPkcs12(await bytes(pki + "alice.p12"), "secret");
  const bob = Identity.fromPkcs12(await bytes(pki + "bob.p12"), "secret");
  const bobCert = new Uint8Array(bob.encryptionCertificate());
  const recipients = nRecipients > 0 ? Array.from({ length: nRecipients }, () => bobCert)
    : [bobCert, new Uint8Array(alice.encryptionCertificate())];
  const enc = { cipher };
  const verify = { trust: [await bytes(pki + "root.crt")] };
  const rows = [];
  for (const size of sizes) {
    const mail = sampleMail(size);
    const mem = {};
    const op = (name, f) => { const r = median(f); mem[name] = memPeak; return r; };
    const [sign, signed] = op("sign", () => signMessage(mail, alice, {}));
    const [encrypt] = op("encrypt", () => encryptMessage(mail, recipients, enc));
    const [signEncrypt, sealed] = op("signEncrypt", () => encryptMessage(signMessage(mail, alice, {}), recipients, enc));
    const [decrypt] = op("decrypt", () => decryptMessage(sealed, bob));
    const [verifyMs] = op("verify", () => openMessage(signed, verify));
    const [open, opened] = op("decryptVerify", () => bob.openMessage(sealed, verify));
    if (opened.layers.length !== 2 || opened.layers[1].verdict !== "trusted") throw new Error("round trip failed");
    rows.push({ size, recipients: recipients.length, sign, encrypt, signEncrypt, decrypt, verify: verifyMs, decryptVerify: open, mem });
  }
  const result = { cipher, userAgent: navigator.userAgent, version: version(), runs, rows };
  document.getElementById("out").textContent = JSON.stringify(result, null, 2);
  window.__bench = result;
}

main().catch((e) => {
  document.getElementById("out").textContent = String(e.stack || e);
  window.__bench = { error: String(e.stack || e) };
});
