// The shared harness of the PKI.js and node-forge pages (bundled by compare.mjs with esbuild into
// tests/bench/dist/<lib>.js). A library module provides sign/verify/encrypt/decrypt on DER CMS;
// the harness wraps them in the same S/MIME shapes Siegel and `openssl cms` produce
// (multipart/signed with a base64 signature; application/pkcs7-mime with a base64 body), so every
// figure includes the MIME and base64 work, as Siegel's and OpenSSL's do.
const params = new URLSearchParams(location.search);
const sizes = (params.get("sizes") || "1024").split(",").map(Number);
const runs = Number(params.get("runs") || 5);
const cipher = params.get("cipher") || "aes-256-gcm";
const nRecipients = Number(params.get("recipients") || 1);
const BUDGET_MS = Number(params.get("budget") || 60000); // per operation and size: fewer runs past this

async function bytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const latin1 = (u8) => { let s = ""; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000)); return s; };
const fromLatin1 = (s) => { const u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u; };
function b64lines(der) {
  const b = btoa(latin1(der));
  const lines = [];
  for (let i = 0; i < b.length; i += 76) lines.push(b.slice(i, i + 76));
  return lines.join("\r\n") + "\r\n";
}
const unb64 = (s) => fromLatin1(atob(s.replace(/[\r\n]/g, "")));

function wrapSigned(content, sigDer) {
  const b = "----=_bench_" + Math.random().toString(36).slice(2);
  return latin1(fromLatin1(
    `MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${b}"\r\n\r\n` +
    `This is an S/MIME signed message\r\n\r\n--${b}\r\n`)) + latin1(content) +
    `\r\n--${b}\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7s"\r\n\r\n` +
    b64lines(sigDer) + `\r\n--${b}--\r\n`;
}
function unwrapSigned(text) {
  const b = /boundary="([^"]+)"/.exec(text.slice(0, 2000))[1];
  const start = text.indexOf(`--${b}\r\n`) + b.length + 4;
  const end = text.indexOf(`\r\n--${b}\r\n`, start);
  const sigPart = text.slice(end + b.length + 6, text.indexOf(`\r\n--${b}--`, end));
  return [fromLatin1(text.slice(start, end)), unb64(sigPart.slice(sigPart.indexOf("\r\n\r\n") + 4))];
}
const wrapEnveloped = (der, gcm) =>
  `MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=${gcm ? "authEnveloped-data" : "enveloped-data"}; name="smime.p7m"\r\n` +
  `Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n` + b64lines(der);
const unwrapEnveloped = (text) => unb64(text.slice(text.indexOf("\r\n\r\n") + 4));

// performance.now() is coarse in a page that is not cross-origin isolated (100 µs in Chromium), and
// 1 KB operations take about a millisecond: a sample times as many calls as fill MIN_SAMPLE_MS
// (at most 100), judged by a first call, which is then not counted. Such short operations are also
// run untimed for WARMUP_MS first, so that the JIT (JavaScript, or wasm's tier-up from Liftoff to
// TurboFan) has settled. A first call of MIN_SAMPLE_MS or more counts as the first sample, as every
// sample did before. The same rules are in wasm-ops.js.
const MIN_SAMPLE_MS = 5;
const WARMUP_MS = 150;
const COLD_MS = 100;

async function median(f) {
  const times = [];
  const t00 = performance.now();
  let out;
  const timed = async () => { const t0 = performance.now(); out = await f(); return performance.now() - t0; };
  let first = await timed();
  // A cold first call (lazy compilation, first-use set-up) can take MIN_SAMPLE_MS or more even for
  // a 1 KB operation; a second call judges then, unless the operation is plainly long.
  if (first >= MIN_SAMPLE_MS && first < COLD_MS) first = await timed();
  const batch = first >= MIN_SAMPLE_MS ? 1 : Math.min(100, Math.ceil(MIN_SAMPLE_MS / Math.max(first, 0.05)));
  if (batch === 1) times.push(first);
  else for (const tw = performance.now(); performance.now() - tw < WARMUP_MS;) out = await f();
  while (times.length < Math.max(1, runs) && performance.now() - t00 <= BUDGET_MS) {
    const t0 = performance.now();
    for (let k = 0; k < batch; k++) out = await f();
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)], out, times.length];
}

export async function run(lib) {
  const pki = "/crate/tests/data/pki/";
  const keys = await lib.setup({
    aliceCrt: await bytes(pki + "alice.crt"), aliceKey: await bytes(pki + "alice.key"),
    bobCrt: await bytes(pki + "bob.crt"), bobKey: await bytes(pki + "bob.key"),
    intermediateCrt: await bytes(pki + "intermediate.crt"), rootCrt: await bytes(pki + "root.crt"),
  });
  const gcm = cipher.endsWith("gcm");
  const canEncrypt = lib.ciphers.includes(cipher);
  const rows = [];
  for (const size of sizes) {
    const mail = await bytes(`/tests/bench/dist/mail-${size}.eml`);
    const row = { size, recipients: nRecipients, runs: {} };
    // A failing operation is reported as "n/a: <error>" (and so are the ones that need its output).
    const op = async (name, f) => {
      try { const [t, out, n] = await median(f); row[name] = t; row.runs[name] = n; return out; }
      catch (e) { row[name] = `n/a: ${lib.name} failed: ${String(e.message || e).slice(0, 160)}`; return undefined; }
    };
    const sign = async (m) => wrapSigned(m, await lib.sign(keys, m));
    const encrypt = async (m) => wrapEnveloped(await lib.encrypt(keys, m, cipher, nRecipients), gcm);
    const verify = async (text) => { const [c, s] = unwrapSigned(text); if (!(await lib.verify(keys, c, s))) throw new Error("verify failed"); return c; };
    const decrypt = async (text) => lib.decrypt(keys, unwrapEnveloped(text));
    const signed = await op("sign", () => sign(mail));
    if (canEncrypt) {
      await op("encrypt", () => encrypt(mail));
      const sealed = await op("signEncrypt", async () => encrypt(fromLatin1(await sign(mail))));
      if (sealed === undefined) row.decrypt = row.decryptVerify = row.signEncrypt;
      else {
        await op("decrypt", () => decrypt(sealed));
        const inner = await op("decryptVerify", async () => verify(latin1(await decrypt(sealed))));
        if (inner !== undefined && inner.length !== mail.length) throw new Error("round trip changed the mail");
      }
    } else {
      for (const k of ["encrypt", "signEncrypt", "decrypt", "decryptVerify"]) row[k] = `n/a: ${lib.name} has no ${cipher} EnvelopedData`;
    }
    if (signed === undefined) row.verify = row.sign; else await op("verify", () => verify(signed));
    rows.push(row);
  }
  return { lib: lib.name, cipher, userAgent: navigator.userAgent, runs, rows };
}

export function main(lib) {
  run(lib).then((r) => { window.__bench = r; document.getElementById("out").textContent = JSON.stringify(r, null, 2); })
    .catch((e) => { window.__bench = { error: String(e.stack || e) }; document.getElementById("out").textContent = String(e.stack || e); });
}
