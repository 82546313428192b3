// The Siegel wasm benchmark body, shared by the Chromium page (wasm-bench.js) and Node (wasm-node.mjs).
//
// Every operation and size runs in a fresh wasm instance (same compiled module), so that the wasm
// memory's size after the runs is that operation's own peak: WebAssembly memory only grows, and a
// fresh instance starts at about 1 MB. The inputs of decrypt and verify are made beforehand in
// another instance. `load()` gives `{ siegel, memory }`, a freshly instantiated wasm-pack module;
// `files(name)` the bytes of crate/tests/data/pki/<name>; `mail(size)` the benchmark mail.

/**
 * Runs the benchmark. `api` picks the entry points: "async" (the WebCrypto fast path, the default
 * when the module has it) or "sync" (everything in Rust inside wasm); `transport` the RSA key
 * transport ("rsa-pkcs1", Siegel's default, or "rsa-oaep").
 */
export async function runBench({ load, files, mail, sizes, runs, cipher, recipients: nRecipients, api, transport, keys = "rsa" }) {
  // rsa: Alice (RSA-2048) to Bob; p256 / p384: Erin (EC P-256) or Frank (EC P-384) to themselves.
  const names = { rsa: ["alice", "bob"], p256: ["erin", "erin"], p384: ["frank", "frank"] }[keys];
  if (!names) throw new Error(`unknown keys ${keys}; use rsa, p256 or p384`);
  const p12 = { alice: await files(`${names[0]}.p12`), bob: await files(`${names[1]}.p12`) };
  const trust = await files("root.crt");

  // One fresh instance with the identities and the recipient list.
  async function instance() {
    const { siegel, memory } = await load();
    const alice = siegel.Identity.fromPkcs12(p12.alice, "secret");
    const bob = siegel.Identity.fromPkcs12(p12.bob, "secret");
    const bobCert = new Uint8Array(bob.encryptionCertificate());
    const recipients = nRecipients > 0 ? Array.from({ length: nRecipients }, () => bobCert)
      : [bobCert, new Uint8Array(alice.encryptionCertificate())];
    const useAsync = (api ?? (siegel.signMessageAsync ? "async" : "sync")) === "async";
    const enc = transport ? { cipher, keyTransport: transport } : { cipher };
    const verify = { trust: [trust] };
    const ops = useAsync ? {
      sign: (m) => siegel.signMessageAsync(m, alice, {}),
      encrypt: (m) => siegel.encryptMessageAsync(m, recipients, enc),
      decrypt: (m) => bob.decryptMessageAsync(m),
      verify: (m) => siegel.openMessageAsync(m, verify),
      open: (m) => bob.openMessageAsync(m, verify),
    } : {
      sign: (m) => siegel.signMessage(m, alice, {}),
      encrypt: (m) => siegel.encryptMessage(m, recipients, enc),
      decrypt: (m) => siegel.decryptMessage(m, bob),
      verify: (m) => siegel.openMessage(m, verify),
      open: (m) => bob.openMessage(m, verify),
    };
    return { siegel, memory, ops, recipients, api: useAsync ? "async" : "sync" };
  }

  // Median time of `runs` samples, and the instance's memory afterwards (its peak). A sample times
  // as many calls as fill MIN_SAMPLE_MS (at most 100), judged by a first call that is then not
  // counted, after WARMUP_MS of untimed calls (wasm's tier-up from Liftoff to TurboFan); a first
  // call of MIN_SAMPLE_MS or more is the first sample (as in js/harness.js): performance.now() is
  // coarse in a page (100 µs), and 1 KB operations take about a millisecond.
  const MIN_SAMPLE_MS = 5;
  const WARMUP_MS = 150;
  const COLD_MS = 100;
  async function measure(f) {
    const { memory, ops } = await instance();
    const before = memory.buffer.byteLength;
    const times = [];
    let out;
    const timed = async () => { const t0 = performance.now(); out = await f(ops); return performance.now() - t0; };
    let first = await timed();
    // A cold first call (lazy compilation, first-use set-up) can take MIN_SAMPLE_MS or more even
    // for a 1 KB operation; a second call judges then, unless the operation is plainly long.
    if (first >= MIN_SAMPLE_MS && first < COLD_MS) first = await timed();
    const batch = first >= MIN_SAMPLE_MS ? 1 : Math.min(100, Math.ceil(MIN_SAMPLE_MS / Math.max(first, 0.05)));
    if (batch === 1) times.push(first);
    else for (const tw = performance.now(); performance.now() - tw < WARMUP_MS;) out = await f(ops);
    while (times.length < Math.max(1, runs)) {
      const t0 = performance.now();
      for (let k = 0; k < batch; k++) out = await f(ops);
      times.push((performance.now() - t0) / batch);
    }
    times.sort((a, b) => a - b);
    return { ms: times[Math.floor(times.length / 2)], out, mem: memory.buffer.byteLength, base: before };
  }

  const rows = [];
  let apiUsed = null;
  let version = null;
  for (const size of sizes) {
    const m = await mail(size);
    const prep = await instance();
    apiUsed = prep.api;
    version = prep.siegel.version();
    const signed = await prep.ops.sign(m);
    const sealed = await prep.ops.encrypt(await prep.ops.sign(m));
    const nRecip = prep.recipients.length;
    const row = { size, recipients: nRecip, mem: {}, memBase: {} };
    const ops = {
      sign: (o) => o.sign(m),
      encrypt: (o) => o.encrypt(m),
      signEncrypt: async (o) => o.encrypt(await o.sign(m)),
      decrypt: (o) => o.decrypt(sealed),
      verify: (o) => o.verify(signed),
      decryptVerify: (o) => o.open(sealed),
    };
    for (const [name, f] of Object.entries(ops)) {
      const r = await measure(f);
      row[name] = r.ms;
      row.mem[name] = r.mem;
      row.memBase[name] = r.base;
      if (name === "decryptVerify" && (r.out.layers.length !== 2 || r.out.layers[1].verdict !== "trusted")) {
        throw new Error("round trip failed");
      }
    }
    rows.push(row);
  }
  return { cipher, api: apiUsed, transport: transport ?? "rsa-pkcs1", version, runs, rows };
}
