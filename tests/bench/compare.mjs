#!/usr/bin/env node
// The comparison benchmark: Siegel (native and wasm) against OpenSSL 3, PKI.js and node-forge on the
// same keys (the test PKI's RSA-2048 Alice and Bob), SHA-256 RSA PKCS#1 v1.5 signatures and
// AES-256-GCM / AES-256-CBC content encryption. A benchmark, not a test: it prints medians and the
// ratio of each implementation to OpenSSL, and fails only if a page or a command fails.
//
//   (cd tests/bench && npm ci)   # once; PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1, Debian's /usr/bin/chromium is used
//   node tests/bench/compare.mjs [--sizes 1024,102400,1048576,26214400] [--runs 5] [--no-build] [--json out.json]
//
// How each is timed:
// - Siegel native: `siegel bench --json` (the release CLI), which times each operation in-process
//   with Instant; no process start, no file I/O.
// - Siegel wasm: tests/bench/wasm-bench.html (the shipped build, extension/tools/build-wasm.sh) in
//   headless Chromium, performance.now() around each call: "wasm" through the async entry points
//   (WebCrypto for the bulk AES/SHA-2, what the extension uses), "wasm-rust" through the synchronous
//   ones (everything in Rust), "wasm-oaep" as "wasm" with RSA-OAEP key transport (what PKI.js uses;
//   WebCrypto unwraps the key). Each operation runs in a fresh wasm instance, and the instance's
//   WebAssembly.Memory byteLength afterwards is the operation's peak wasm memory.
// - Siegel wasm in Node: tests/bench/wasm-node.mjs, the same operations (async entry points, Node's
//   WebCrypto) on the same build.
// - OpenSSL: one `openssl cms` process per step, wall-clock around spawnSync, so process start, key
//   and certificate loading and file I/O are included (sign+encrypt and decrypt+verify are 2 processes).
// - PKI.js (WebCrypto) and node-forge: tests/bench/js-bench.html in the same Chromium, bundled with
//   esbuild into tests/bench/dist/; the S/MIME wrapping (base64, multipart/signed) is included.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { sampleMail } from "./sample-mail.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const DIST = path.join(HERE, "dist");
const PKI = path.join(ROOT, "crate", "tests", "data", "pki");
const SIEGEL = path.join(ROOT, "target", "release", "siegel");
const WASM_PKG = path.join(ROOT, "target", "wasm-bench");
const OPS = ["sign", "encrypt", "signEncrypt", "decrypt", "verify", "decryptVerify"];
const OP_NAMES = { sign: "sign", encrypt: "encrypt", signEncrypt: "sign+encrypt", decrypt: "decrypt", verify: "verify", decryptVerify: "decrypt+verify" };
const CIPHERS = ["aes-256-gcm", "aes-256-cbc"];
const MULTI = { size: 102400, recipients: 10 };

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const sizes = opt("--sizes", "1024,102400,1048576,26214400").split(",").map(Number);
const runs = Number(opt("--runs", "5"));
const only = opt("--only", "native,wasm,wasm-oaep,wasm-rust,node,openssl,pkijs,forge").split(",");
const noBuild = args.includes("--no-build");
const jsonOut = opt("--json", null);

const run = (cmd, argv, o = {}) => {
  const r = spawnSync(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30, ...o });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")}: ${r.status}\n${r.stderr}`);
  return r.stdout ? r.stdout.toString() : "";
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// ---- Siegel native ----
function siegelNative(cipher, sz, recipients) {
  const out = run(SIEGEL, ["bench", "--json", "--sizes", sz.join(","), "--runs", String(runs), "--cipher", cipher, "--recipients", String(recipients)]);
  return out.trim().split("\n").map((l) => JSON.parse(l));
}

// ---- Siegel wasm in Node ----
function siegelNode(cipher, sz, recipients) {
  const out = run(process.execPath, [path.join(HERE, "wasm-node.mjs"), "--sizes", sz.join(","), "--runs", String(runs),
    "--cipher", cipher, "--recipients", String(recipients), "--api", "async"]);
  return JSON.parse(out).rows;
}

// ---- OpenSSL ----
function opensslRows(cipher, sz, recipients, tmp) {
  const k = (f) => path.join(PKI, f);
  const t = (f) => path.join(tmp, f);
  const timed = (argvs) => { const t0 = performance.now(); for (const a of argvs) run("openssl", a); return performance.now() - t0; };
  const rows = [];
  for (const size of sz) {
    const mail = path.join(DIST, `mail-${size}.eml`);
    const sign = (i, o) => ["cms", "-sign", "-binary", "-in", i, "-signer", k("alice.crt"), "-inkey", k("alice.key"), "-certfile", k("intermediate.crt"), "-md", "sha256", "-out", o];
    const enc = (i, o) => ["cms", "-encrypt", "-binary", `-${cipher}`, "-in", i, "-out", o, ...Array(recipients).fill(k("bob.crt"))];
    const dec = (i, o) => ["cms", "-decrypt", "-in", i, "-recip", k("bob.crt"), "-inkey", k("bob.key"), "-out", o];
    const ver = (i, o) => ["cms", "-verify", "-binary", "-in", i, "-CAfile", k("root.crt"), "-out", o];
    const m = {
      sign: [sign(mail, t("signed.eml"))],
      encrypt: [enc(mail, t("enc.eml"))],
      signEncrypt: [sign(mail, t("s.eml")), enc(t("s.eml"), t("sealed.eml"))],
      decrypt: [dec(t("sealed.eml"), t("dec.eml"))],
      verify: [ver(t("signed.eml"), t("ver.eml"))],
      decryptVerify: [dec(t("sealed.eml"), t("d.eml")), ver(t("d.eml"), t("dv.eml"))],
    };
    const row = { size, recipients };
    for (const op of OPS) row[op] = median(Array.from({ length: Math.max(1, runs) }, () => timed(m[op])));
    if (!fs.readFileSync(t("dv.eml")).equals(fs.readFileSync(mail))) throw new Error("openssl round trip changed the mail");
    rows.push(row);
  }
  return rows;
}

// ---- the browser ----
function serve() {
  const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };
  const server = http.createServer((req, res) => {
    const p = path.join(ROOT, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!p.startsWith(ROOT) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { "Content-Type": types[path.extname(p)] || "application/octet-stream" });
    fs.createReadStream(p).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

async function inPage(browser, url) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__bench, null, { timeout: 0, polling: 500 });
    const r = await page.evaluate(() => window.__bench);
    if (r.error) throw new Error(`${url}: ${r.error}`);
    return r;
  } finally {
    await page.close();
  }
}

async function main() {
  fs.mkdirSync(DIST, { recursive: true });
  if (!noBuild) {
    if (only.includes("native")) run("cargo", ["build", "--release", "-p", "siegel-cli"], { cwd: ROOT, stdio: "inherit" });
    if (only.some((i) => i.startsWith("wasm") || i === "node")) {
      run(path.join(ROOT, "extension", "tools", "build-wasm.sh"), [WASM_PKG, "--no-pack"], { stdio: "inherit" });
    }
  }
  const esbuild = await import("esbuild");
  for (const lib of ["pkijs", "forge"]) {
    await esbuild.build({ entryPoints: [path.join(HERE, "js", `${lib}.js`)], bundle: true, format: "esm", minify: true, keepNames: true,
      outfile: path.join(DIST, `${lib}.js`), logLevel: "warning" });
  }
  const allSizes = [...new Set([...sizes, MULTI.size])];
  for (const s of allSizes) fs.writeFileSync(path.join(DIST, `mail-${s}.eml`), sampleMail(s));

  const res = {}; // res[impl][cipher] = { single: rows, multi: row }
  const meta = { date: new Date().toISOString(), sizes, runs, host: `${os.cpus()[0].model}, ${os.cpus().length} CPUs, ${os.platform()} ${os.release()}` };
  const put = (impl, cipher, single, multi) => { (res[impl] ??= {})[cipher] = { single, multi }; };
  const log = (s) => process.stderr.write(s + "\n");

  for (const cipher of CIPHERS) {
    if (only.includes("native")) {
      log(`siegel native ${cipher}`);
      put("native", cipher, siegelNative(cipher, sizes, 1), siegelNative(cipher, [MULTI.size], MULTI.recipients)[0]);
    }
    if (only.includes("node")) {
      log(`siegel wasm in node ${cipher}`);
      put("node", cipher, siegelNode(cipher, sizes, 1), siegelNode(cipher, [MULTI.size], MULTI.recipients)[0]);
    }
    if (only.includes("openssl")) {
      log(`openssl ${cipher}`);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "siegel-bench-"));
      try {
        put("openssl", cipher, opensslRows(cipher, sizes, 1, tmp), opensslRows(cipher, [MULTI.size], MULTI.recipients, tmp)[0]);
      } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
    }
  }
  const browserImpls = only.filter((i) => ["wasm", "wasm-oaep", "wasm-rust", "pkijs", "forge"].includes(i));
  if (browserImpls.length) {
    const { chromium } = await import("playwright-core");
    const server = await serve();
    const base = `http://127.0.0.1:${server.address().port}`;
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"] });
    try {
      meta.browser = browser.version();
      for (const cipher of CIPHERS) for (const impl of browserImpls) {
        log(`${impl} ${cipher} (chromium)`);
        const url = (sz, n) => impl.startsWith("wasm")
          ? `${base}/tests/bench/wasm-bench.html?sizes=${sz}&runs=${runs}&cipher=${cipher}&recipients=${n}&api=${impl === "wasm-rust" ? "sync" : "async"}${impl === "wasm-oaep" ? "&transport=rsa-oaep" : ""}`
          : `${base}/tests/bench/js-bench.html?lib=${impl}&sizes=${sz}&runs=${runs}&cipher=${cipher}&recipients=${n}`;
        const single = (await inPage(browser, url(sizes.join(","), 1))).rows;
        const multi = (await inPage(browser, url(MULTI.size, MULTI.recipients))).rows[0];
        put(impl, cipher, single, multi);
      }
    } finally {
      await browser.close();
      server.close();
    }
  }

  // ---- the report ----
  const lines = [];
  const out = (s = "") => { lines.push(s); console.log(s); };
  const IMPLS = [["native", "Siegel native"], ["wasm", "Siegel wasm, Chromium"], ["wasm-oaep", "Siegel wasm, Chromium, RSA-OAEP"], ["wasm-rust", "Siegel wasm, Chromium, no WebCrypto"],
    ["node", "Siegel wasm, Node"], ["openssl", "OpenSSL 3 CLI"], ["pkijs", "PKI.js"], ["forge", "node-forge"]];
  const human = (n) => n >= 1048576 ? `${n / 1048576} MB` : n >= 1024 ? `${n / 1024} KB` : `${n} B`;
  out(`Host: ${meta.host}; Chromium ${meta.browser ?? "-"}; node ${process.version}; ${run("openssl", ["version"]).trim()}.`);
  out(`Median of ${runs} runs in ms; (×N) = time / OpenSSL's time (lower is faster; OpenSSL includes process start).`);
  if (fs.existsSync(path.join(WASM_PKG, "siegel_bg.wasm"))) {
    const raw = fs.readFileSync(path.join(WASM_PKG, "siegel_bg.wasm"));
    out(`siegel_bg.wasm: ${raw.length.toLocaleString("en")} bytes raw, ${zlib.gzipSync(raw, { level: 9 }).length.toLocaleString("en")} bytes gzipped (-9).`);
  }
  const cell = (impl, cipher, row, op) => {
    const v = row?.[op];
    if (v === undefined) return "n/a (not run)";
    if (typeof v === "string") { reasons.add(`${impl} ${cipher} ${human(row.size)}${row.recipients > 1 ? ` ×${row.recipients}` : ""} ${OP_NAMES[op]}: ${v.replace(/^n\/a: /, "")}`); return "n/a"; }
    const ref = (impl === "openssl") ? null : findRow("openssl", cipher, row)?.[op];
    const r = typeof ref === "number" ? ` (×${(v / ref).toFixed(2)})` : "";
    const few = row.runs?.[op] !== undefined && row.runs[op] < runs ? ` [${row.runs[op]} run${row.runs[op] > 1 ? "s" : ""}]` : "";
    return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${r}${few}`;
  };
  function findRow(impl, cipher, row) {
    const r = res[impl]?.[cipher];
    if (!r) return undefined;
    if (row.recipients > 1) return r.multi;
    return r.single.find((x) => x.size === row.size);
  }
  const reasons = new Set();
  const present = IMPLS.filter(([k]) => res[k]);
  for (const cipher of CIPHERS) {
    out();
    out(`### ${cipher.toUpperCase()} (sign/verify do not depend on the cipher; 1 recipient unless said)`);
    out();
    out(`| size | operation | ${present.map(([, n]) => n).join(" | ")} |`);
    out(`|---|---|${present.map(() => "---:").join("|")}|`);
    const keys = [...sizes.map((s) => ({ size: s, recipients: 1 })), { size: MULTI.size, recipients: MULTI.recipients }];
    for (const key of keys) for (const op of OPS) {
      const label = key.recipients > 1 ? `${human(key.size)}, ${key.recipients} recipients` : human(key.size);
      out(`| ${label} | ${OP_NAMES[op]} | ${present.map(([k]) => cell(k, cipher, findRow(k, cipher, key), op)).join(" | ")} |`);
    }
  }
  const notes = [];
  if (res.forge) notes.push("node-forge: no GCM EnvelopedData (n/a); SignedData verification done by hand with forge primitives (forge has none).");
  if (res.pkijs) notes.push("PKI.js: key transport RSA-OAEP/SHA-256 (WebCrypto has no RSAES-PKCS1-v1_5); AES-GCM inside EnvelopedData, not AuthEnvelopedData.");
  for (const [impl, name] of IMPLS.filter(([k]) => ["wasm", "wasm-rust", "node"].includes(k) && res[k])) {
    out();
    out(`### ${name}: peak wasm memory per operation (MB; WebAssembly.Memory byteLength of a fresh instance after the runs; ${CIPHERS[0]})`);
    out();
    out(`| size | ${OPS.map((o) => OP_NAMES[o]).join(" | ")} |`);
    out(`|---|${OPS.map(() => "---:").join("|")}|`);
    const rows = [...res[impl][CIPHERS[0]].single, res[impl][CIPHERS[0]].multi];
    for (const r of rows) {
      // The ratio to the mail's size means something only where the mail outweighs the ~1 MB a fresh
      // instance starts with.
      const mb = (o) => `${(r.mem[o] / 1048576).toFixed(1)}${r.size >= 1048576 ? ` (${(r.mem[o] / r.size).toFixed(2)}×)` : ""}`;
      out(`| ${human(r.size)}${r.recipients > 1 ? `, ${r.recipients} recipients` : ""} | ${OPS.map(mb).join(" | ")} |`);
    }
  }
  out();
  for (const n of notes) out(`Note: ${n}`);
  for (const r of reasons) if (!/has no aes-256-gcm/.test(r)) out(`n/a: ${r}`);
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ meta, res }, null, 2));
  fs.writeFileSync(path.join(DIST, "last-report.md"), lines.join("\n") + "\n");
}

main().catch((e) => { console.error(e.stack || e); process.exit(1); });
