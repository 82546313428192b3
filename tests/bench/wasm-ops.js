// The Siegel wasm benchmark body, shared by the Chromium page (wasm-bench.js) and Node (wasm-node.mjs):
// the same six operations on the same mail shapes, timed with performance.now(), with the wasm
// memory's size after each operation (it only grows, so that is the peak so far).
//
// `siegel` is the wasm-pack module (already initialised), `memory` its WebAssembly.Memory, `files`
// an async function from a path under crate/tests/data/pki/ to its bytes.

function sampleMail(siegel, size) {
  // Same shape as `siegel bench`: a text part and ~3/4 of the size as a pseudo-random attachment.
  const data = new Uint8Array(Math.floor(size * 3 / 4));
  let x = 0x12345678;
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = x & 255; data[i + 1] = (x >>> 8) & 255; data[i + 2] = (x >>> 16) & 255; data[i + 3] = (x >>> 24) & 255;
  }
  return siegel.buildMessage({
    headers: [["From", "Alice <alice@example.com>"], ["To", "Bob <bob@example.com>"], ["Subject", "Figures"]],
    text: "Hello Bob,\r\n\r\nthe figures are attached.\r\n\r\nAlice\r\n",
    attachments: [{ filename: "figures.bin", contentType: "application/octet-stream", data }],
  });
}

/**
 * Runs the benchmark. `api` picks the entry points: "async" (the WebCrypto fast path, the default
 * when the module has it) or "sync" (pure Rust in wasm).
 */
export async function runBench({ siegel, memory, files, sizes, runs, cipher, recipients: nRecipients, api }) {
  const useAsync = (api ?? (siegel.signMessageAsync ? "async" : "sync")) === "async";
  let memPeak = 0;
  const median = async (f) => {
    const times = [];
    let out;
    for (let i = 0; i < Math.max(1, runs); i++) {
      const t0 = performance.now();
      out = await f();
      times.push(performance.now() - t0);
      memPeak = Math.max(memPeak, memory.buffer.byteLength);
    }
    times.sort((a, b) => a - b);
    return [times[Math.floor(times.length / 2)], out];
  };
  const alice = siegel.Identity.fromPkcs12(await files("alice.p12"), "secret");
  const bob = siegel.Identity.fromPkcs12(await files("bob.p12"), "secret");
  const bobCert = new Uint8Array(bob.encryptionCertificate());
  const recipients = nRecipients > 0 ? Array.from({ length: nRecipients }, () => bobCert)
    : [bobCert, new Uint8Array(alice.encryptionCertificate())];
  const enc = { cipher };
  const verify = { trust: [await files("root.crt")] };
  const sign = useAsync ? (m) => siegel.signMessageAsync(m, alice, {}) : (m) => siegel.signMessage(m, alice, {});
  const encrypt = useAsync ? (m) => siegel.encryptMessageAsync(m, recipients, enc) : (m) => siegel.encryptMessage(m, recipients, enc);
  const decrypt = useAsync ? (m) => bob.decryptMessageAsync(m) : (m) => siegel.decryptMessage(m, bob);
  const check = useAsync ? (m) => siegel.openMessageAsync(m, verify) : (m) => siegel.openMessage(m, verify);
  const open = useAsync ? (m) => bob.openMessageAsync(m, verify) : (m) => bob.openMessage(m, verify);
  const rows = [];
  for (const size of sizes) {
    const mail = sampleMail(siegel, size);
    memPeak = memory.buffer.byteLength;
    const mem = {};
    const op = async (name, f) => { const r = await median(f); mem[name] = memPeak; return r; };
    const [tSign, signed] = await op("sign", () => sign(mail));
    const [tEncrypt] = await op("encrypt", () => encrypt(mail));
    const [tSignEncrypt, sealed] = await op("signEncrypt", async () => encrypt(await sign(mail)));
    const [tDecrypt] = await op("decrypt", () => decrypt(sealed));
    const [tVerify] = await op("verify", () => check(signed));
    const [tOpen, opened] = await op("decryptVerify", () => open(sealed));
    if (opened.layers.length !== 2 || opened.layers[1].verdict !== "trusted") throw new Error("round trip failed");
    rows.push({ size, recipients: recipients.length, sign: tSign, encrypt: tEncrypt, signEncrypt: tSignEncrypt, decrypt: tDecrypt,
      verify: tVerify, decryptVerify: tOpen, mem });
  }
  return { cipher, api: useAsync ? "async" : "sync", version: siegel.version(), runs, rows };
}
