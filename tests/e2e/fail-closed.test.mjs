// Failing closed, end to end: the extension in Chromium with the demo webmail on 127.0.0.1.
//
// 1. Managed policy alwaysEncrypt (forced on and locked) and a recipient without a certificate: Send
//    delivers nothing to any mailbox, the draft stays as written, and the error names the recipient; the
//    service worker enforces the policy even when asked for a plain message.
// 2. The service worker stopped in the middle of a send (CDP ServiceWorker.stopAllWorkers while it seals an
//    8 MB attachment): nothing half-sent and no plaintext anywhere, the draft stays, a clear error; the
//    restarted worker is locked, and after unlocking the same Send works.
// 3. (A wrong passphrase: options.test.mjs's "lock, a wrong passphrase, then unlock" and locales.test.mjs.)
// 4. Revocation before sending (setting checkCRLOnSend): a throwaway PKI made here with openssl whose
//    certificates name a CRL distribution point and an OCSP responder on a local HTTP server. A revoked
//    recipient is refused with the reason, a good one goes through, and an unreachable CRL refuses sending
//    (unknown is not good enough); OCSP alone decides when the CRL is gone.
//
// Test 1 writes /etc/chromium/policies/managed/siegel-fail-closed-test.json (always removed afterwards) and
// so needs root, as force-install.test.mjs does; without root it is skipped and the rest runs without the
// policy. The policy names only this test's copy of the extension (its own folder, so its own ID).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  EXTENSION, PASSPHRASE, PKI, ROOT, buildExtension, compose, contentScriptWorld, draftOf, launchWithExtension, send, setToggles, setUp, signIn,
  startWebmail,
} from "./harness.mjs";
import { Webmail } from "./mail-harness.mjs";

const EN = JSON.parse(readFileSync(join(EXTENSION, "_locales", "en", "messages.json"), "utf8"));
const POLICY_DIR = "/etc/chromium/policies/managed";
const POLICY_FILE = join(POLICY_DIR, "siegel-fail-closed-test.json");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why managed policy cannot be written here, or null when it can. */
function policyUnavailable() {
  try {
    mkdirSync(POLICY_DIR, { recursive: true });
    accessSync(POLICY_DIR, constants.W_OK);
    return null;
  } catch (e) {
    return `needs root to write managed policy into ${POLICY_DIR} (${e.code || e.message})`;
  }
}

/** The ID Chromium gives an unpacked extension: SHA-256 of its path, 16 bytes, hex digits written a-p. */
function unpackedId(path) {
  return createHash("sha256").update(path).digest().subarray(0, 16).toString("hex").replace(/[0-9a-f]/g, (c) => "abcdefghijklmnop"[parseInt(c, 16)]);
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

// This file's copy of the extension: a folder of its own, so an ID of its own for the policy to name.
let built;
const extensionPath = () => (built ??= buildExtension(join(ROOT, "target", "e2e-fail-closed")));

describe("fail closed", () => {
  const noPolicy = policyUnavailable();
  let extension;
  let mail;
  let b;
  let options;
  let page;

  before(async () => {
    extension = extensionPath();
    if (!noPolicy) {
      writeFileSync(POLICY_FILE, JSON.stringify({ "3rdparty": { extensions: { [unpackedId(extension)]: { alwaysEncrypt: true } } } }));
    }
    mail = await startWebmail();
    b = await launchWithExtension(extension);
    // Chromium reads the policy at start; wait (bounded) until the extension sees it.
    for (const until = Date.now() + 15_000; !noPolicy && Date.now() < until; await sleep(250)) {
      if ((await b.worker.evaluate(() => chrome.storage.managed.get(null))).alwaysEncrypt === true) break;
    }
    options = await setUp(b, {
      p12: join(PKI, "alice.p12"),
      trust: [join(PKI, "chain.pem")],
      contacts: [{ file: join(PKI, "bob.crt"), email: "bob@example.com" }],
    });
    page = await signIn(b, mail.base, "alice@example.com");
  });

  after(async () => {
    rmSync(POLICY_FILE, { force: true });
    await b?.close();
    mail?.stop();
  });

  test("policy alwaysEncrypt: a recipient without a certificate gets nothing, nobody does, and the draft stays", { skip: noPolicy ?? false, timeout: 60_000 }, async () => {
    assert.equal(b.extensionId, unpackedId(extension), "the policy names this extension");
    const file = { name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from("Minutes of the board meeting.\n") };
    await compose(page, mail.base, { to: "bob@example.com, carol@example.com", subject: "Board minutes", body: "Confidential: see attached.", files: [file] });
    const host = page.locator("siegel-compose");
    assert.equal(await host.getAttribute("data-encrypt"), "true", "encryption forced on by policy");
    assert.equal(await host.getAttribute("data-encrypt-locked"), "true", "and locked");
    assert.equal(await host.getAttribute("data-sign"), "false", "what policy does not set stays the user's");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.siegelIntercept), "1", "Siegel has Send");
    const draft = await draftOf(page);
    const before = await mail.mail();

    const result = await send(page);
    assert.equal(result.status, "error");
    assert.match(result.message, /carol@example\.com/, "the error names the recipient without a certificate");
    assert.doesNotMatch(result.message, /bob@example\.com/, "and only that one");
    assert.equal(result.message, EN.composeNoCertificateRequired.message.replace("$1", "carol@example.com"), "no advice to turn encryption off");
    assert.deepEqual(await mail.mail(), before, "no Maildir and no folder got anything");
    assert.deepEqual(before, { files: [], listed: [] });
    assert.deepEqual(await draftOf(page), draft, "the draft is as it was: to, subject, body, attachment");
    assert.equal(draft.files[0].sha256, sha256(file.buffer));

    // The worker enforces the policy itself: asked for a plain message (as a content script could), it
    // refuses the recipient without a certificate, and encrypts to one with a certificate.
    const world = await contentScriptWorld(page, b.extensionId);
    const seal = (to) =>
      world.evaluate((to) => chrome.runtime.sendMessage({
        op: "seal",
        draft: { from: "alice@example.com", to: [to], cc: [], bcc: [], subject: "plain?", text: "plain?", attachments: [] },
        sign: false,
        encrypt: false,
      }), to);
    const refused = await seal("carol@example.com");
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "no-certificate");
    const sealed = await seal("bob@example.com");
    assert.equal(sealed.ok, true, JSON.stringify(sealed.error));
    assert.equal(sealed.result.encrypted, true, "encrypted although the request said not to");
    assert.match(Buffer.from(sealed.result.raw, "base64").toString("latin1"), /application\/pkcs7-mime; smime-type=authEnveloped-data/);
    await world.cdp.detach();
  });

  test("the service worker stopped in the middle of a send: nothing half-sent, the draft stays, a retry after unlocking works", { timeout: 120_000 }, async () => {
    const big = randomBytes(8 * 1024 * 1024); // sealing it keeps the worker busy for a second or more
    const marker = `Stopped midway ${Date.now()}`;
    await compose(page, mail.base, { to: "bob@example.com", subject: "Big file", body: marker, files: [{ name: "big.bin", mimeType: "application/octet-stream", buffer: big }] });
    await setToggles(page, { sign: true, encrypt: true });
    const draft = await draftOf(page);
    const before = await mail.mail();
    await page.evaluate(() => {
      window.__steps = [];
      const host = document.querySelector("siegel-compose");
      new MutationObserver(() => window.__steps.push(host.dataset.step)).observe(host, { attributeFilter: ["data-step"] });
    });

    // Send; once Siegel is sealing (toolbar step 1) and the worker is busy with it (a trivial evaluation
    // there gets no answer for a while), stop the extension's service worker, and keep stopping it (a
    // message would restart it) until Siegel gives its verdict: the seal cannot complete.
    const cdp = await b.context.newCDPSession(options);
    await cdp.send("ServiceWorker.enable");
    await page.click("#compose-send");
    await page.waitForFunction(() => document.querySelector("siegel-compose").dataset.step === "1");
    let busy = false;
    for (const until = Date.now() + 30_000; !busy && Date.now() < until; ) {
      const worker = b.context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${b.extensionId}/`));
      const probe = worker ? worker.evaluate(() => "idle").catch(() => "gone") : sleep(50).then(() => "none");
      busy = (await Promise.race([probe, sleep(250).then(() => "busy")])) === "busy";
    }
    assert.ok(busy, "the worker was busy sealing");
    let stops = 0;
    let verdict = null;
    for (const until = Date.now() + 60_000; !verdict && Date.now() < until; ) {
      await cdp.send("ServiceWorker.stopAllWorkers");
      stops++;
      verdict = await page.evaluate(() => {
        const host = document.querySelector("siegel-compose");
        return ["error", "ok"].includes(host.dataset.status) ? { status: host.dataset.status, message: host.dataset.message } : null;
      });
      if (!verdict) await sleep(100);
    }
    await cdp.detach();
    assert.deepEqual(verdict, { status: "error", message: EN.error_worker_stopped.message }, `after ${stops} stops`);
    const steps = await page.evaluate(() => window.__steps);
    assert.ok(steps.includes("1") && !steps.includes("2"), `sealing began and nothing was handed to the webmail: ${steps}`);
    assert.deepEqual(await mail.mail(), before, "nothing reached any Maildir");
    assert.deepEqual(await draftOf(page), draft, "the draft is as it was");

    // The restarted worker has dropped the keys: locked. Unlock, and the same Send goes through.
    await options.reload();
    await options.locator("body[data-ready]").waitFor();
    assert.equal(await options.locator("#lock-state").getAttribute("data-state"), "locked");
    await options.fill("#unlock-passphrase", PASSPHRASE);
    await options.click("#unlock-form button[type=submit]");
    await options.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
    assert.deepEqual(await send(page, 90_000), { status: "sent" });

    // One complete message each in Bob's Inbox and Alice's Sent, which OpenSSL decrypts and verifies.
    const { files } = await mail.mail();
    const delivered = files.filter((f) => f.includes(join("bob@example.com", "INBOX", "new")));
    assert.equal(delivered.length, 1);
    assert.equal(files.filter((f) => f.includes(join("alice@example.com", "Sent", "new"))).length, 1);
    assert.equal(files.length, before.files.length + 2);
    const raw = readFileSync(delivered[0]);
    assert.ok(!raw.includes(Buffer.from(marker)), "no plaintext in the Maildir");
    const signed = execFileSync("openssl", ["cms", "-decrypt", "-in", delivered[0], "-recip", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key")], { maxBuffer: 1 << 28 });
    const content = execFileSync("openssl", ["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], {
      input: signed,
      maxBuffer: 1 << 28,
      stdio: ["pipe", "pipe", "pipe"],
    }).toString("latin1");
    assert.ok(content.includes(marker));
    const flat = content.replace(/\r?\n/g, "");
    // Its first and last bytes (base64 from offsets that are multiples of 3, as in the encoded part).
    const tail = big.length - 3000 - ((big.length - 3000) % 3);
    assert.ok(flat.includes(big.subarray(0, 3000).toString("base64")) && flat.includes(big.subarray(tail).toString("base64")), "the whole attachment");
  });
});

/**
 * A throwaway PKI whose certificates say where their revocation status is published, on 127.0.0.1:`port`:
 * root CA → issuing CA (CRL at /root.crl) → Alice, Bob, Carol (CRL at /issuing.crl, OCSP at /ocsp). The end
 * entities reuse the test PKI's keys; Carol's certificate is revoked (keyCompromise) yesterday.
 */
function revocationPki(dir, port) {
  const openssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const url = `http://127.0.0.1:${port}`;
  const ca = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
  writeFileSync(join(dir, "root.ext"), ca);
  writeFileSync(join(dir, "issuing.ext"), `${ca}authorityKeyIdentifier=keyid:always\ncrlDistributionPoints=URI:${url}/root.crl\n`);
  for (const name of ["root", "issuing"]) openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}.key`);
  openssl("req", "-new", "-key", "root.key", "-subj", "/O=Siegel Revocation Test/CN=Revocation Test Root CA", "-out", "root.csr");
  openssl("x509", "-req", "-in", "root.csr", "-signkey", "root.key", "-extfile", "root.ext", "-days", "30", "-sha256", "-out", "root.crt");
  openssl("req", "-new", "-key", "issuing.key", "-subj", "/O=Siegel Revocation Test/CN=Revocation Test Issuing CA", "-out", "issuing.csr");
  openssl("x509", "-req", "-in", "issuing.csr", "-CA", "root.crt", "-CAkey", "root.key", "-set_serial", "0x1001", "-extfile", "issuing.ext", "-days", "30", "-sha256", "-out", "issuing.crt");
  const index = [];
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  for (const [name, serial, revoked] of [["alice", "2001", false], ["bob", "2002", false], ["carol", "2003", true]]) {
    const email = `${name}@example.com`;
    writeFileSync(join(dir, `${name}.ext`), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      `extendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n` +
      `crlDistributionPoints=URI:${url}/issuing.crl\nauthorityInfoAccess=OCSP;URI:${url}/ocsp\n`);
    const subject = `/O=Siegel Revocation Test/CN=${name[0].toUpperCase()}${name.slice(1)}`;
    openssl("req", "-new", "-key", join(PKI, `${name}.key`), "-subj", subject, "-out", `${name}.csr`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "issuing.crt", "-CAkey", "issuing.key", "-set_serial", `0x${serial}`, "-extfile", `${name}.ext`, "-days", "30", "-sha256", "-out", `${name}.crt`);
    index.push(`${revoked ? "R" : "V"}\t491231235959Z\t${revoked ? `${yesterday},keyCompromise` : ""}\t${serial}\tunknown\t${subject}\n`);
  }
  openssl("pkcs12", "-export", "-inkey", join(PKI, "alice.key"), "-in", "alice.crt", "-certfile", "issuing.crt", "-passout", "pass:secret", "-out", "alice.p12");
  writeFileSync(join(dir, "index.txt"), index.join(""));
  // The organisation's CA bundle, as an admin hands it out: the root and the issuing CA.
  writeFileSync(join(dir, "chain.pem"), Buffer.concat([readFileSync(join(dir, "root.crt")), readFileSync(join(dir, "issuing.crt"))]));
  writeFileSync(join(dir, "empty.txt"), "");
  for (const [name, db] of [["issuing", "index.txt"], ["root", "empty.txt"]]) {
    writeFileSync(join(dir, `${name}.crlnumber`), "1000\n");
    writeFileSync(join(dir, `${name}.cnf`), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${join(dir, db)}\ncrlnumber = ${join(dir, `${name}.crlnumber`)}\n` +
      "default_md = sha256\ndefault_crl_days = 30\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n");
    openssl("ca", "-config", `${name}.cnf`, "-gencrl", "-crlexts", "crl_ext", "-cert", `${name}.crt`, "-keyfile", `${name}.key`, "-out", `${name}.crl.pem`);
    openssl("crl", "-in", `${name}.crl.pem`, "-outform", "DER", "-out", `${name}.crl`);
  }
  return {
    /** Answers an OCSP request from the index, signed by the issuing CA, as `openssl ocsp` does. */
    ocsp(request) {
      writeFileSync(join(dir, "req.der"), request);
      openssl("ocsp", "-index", "index.txt", "-CA", "issuing.crt", "-rsigner", "issuing.crt", "-rkey", "issuing.key", "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1");
      return readFileSync(join(dir, "resp.der"));
    },
  };
}

describe("revocation before sending", () => {
  const dir = mkdtempSync(join(tmpdir(), "siegel-revocation-"));
  // What the revocation server answers, and what it was asked.
  const up = { "/root.crl": true, "/issuing.crl": true, "/ocsp": true };
  const asked = [];
  let server;
  let pki;
  let mail;
  let b;
  let page;

  before(async () => {
    server = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const path = new URL(req.url, "http://x").pathname;
        asked.push(`${req.method} ${path}${req.headers["content-type"] ? ` ${req.headers["content-type"]}` : ""}`);
        if (!up[path]) return res.writeHead(path in up ? 503 : 404).end();
        if (path === "/ocsp") {
          if (req.method !== "POST") return res.writeHead(405).end();
          return res.writeHead(200, { "content-type": "application/ocsp-response" }).end(pki.ocsp(Buffer.concat(chunks)));
        }
        res.writeHead(200, { "content-type": "application/pkix-crl" }).end(readFileSync(join(dir, path.slice(1))));
      });
    });
    await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
    pki = revocationPki(dir, server.address().port);
    mail = await startWebmail();
    b = await launchWithExtension(extensionPath());
    const options = await setUp(b, {
      p12: join(dir, "alice.p12"),
      trust: [join(dir, "chain.pem")],
      contacts: [{ file: join(dir, "bob.crt"), email: "bob@example.com" }, { file: join(dir, "carol.crt"), email: "carol@example.com" }],
    });
    await options.check("#settings-form input[name=checkCRLOnSend]");
    await options.waitForFunction(() => /Saved/.test(document.querySelector("#settings-message").textContent));
    await options.close();
    page = await signIn(b, mail.base, "alice@example.com");
  });

  after(async () => {
    await b?.close();
    mail?.stop();
    await new Promise((ok) => (server ? server.close(ok) : ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Composes a signed and encrypted mail to `to` and sends it; returns the verdict and what was fetched. */
  async function attempt(to, subject) {
    await compose(page, mail.base, { to, subject, body: `${subject}: for your eyes only.` });
    await setToggles(page, { sign: true, encrypt: true });
    const draft = await draftOf(page);
    const before = await mail.mail();
    asked.length = 0;
    const result = await send(page);
    const after = await mail.mail();
    if (result.status === "error") {
      assert.deepEqual(after, before, "a refused message reaches no Maildir");
      assert.deepEqual(await draftOf(page), draft, "and the draft stays");
    }
    return { result, fetched: [...asked].sort(), delivered: after.files.length - before.files.length };
  }

  test("a revoked recipient is refused with the reason, a good one is not, an unknown status refuses", { timeout: 90_000 }, async () => {
    // Carol's certificate is on the issuing CA's CRL.
    let r = await attempt("carol@example.com", "To Carol");
    assert.equal(r.result.status, "error");
    assert.match(r.result.message, /carol@example\.com/);
    assert.match(r.result.message, /revoked at \d{4}-\d\d-\d\dT[\d:]+Z \(KeyCompromise\)/);
    assert.ok(r.result.message.startsWith(EN.composeRefused.message.replace("$1", "")), r.result.message);
    assert.ok(r.fetched.includes("GET /issuing.crl") && r.fetched.includes("GET /root.crl"), `fetched ${r.fetched}`);

    // Bob's is good: the check passes, the message goes out.
    r = await attempt("bob@example.com", "To Bob");
    assert.deepEqual(r.result, { status: "sent" });
    assert.equal(r.delivered, 2, "Bob's Inbox and Alice's Sent");

    // Neither the CRLs nor the OCSP responder answer: Bob's status is unknown, and unknown is refused.
    Object.assign(up, { "/root.crl": false, "/issuing.crl": false, "/ocsp": false });
    r = await attempt("bob@example.com", "To Bob again");
    assert.equal(r.result.status, "error");
    assert.match(r.result.message, /bob@example\.com|alice@example\.com/);
    assert.match(r.result.message, /revocation status of .* is unknown/);
    assert.match(r.result.message, /could not fetch: .*\/issuing\.crl \(HTTP 503\)/);

    // Only the OCSP responder (and the root's CRL for the issuing CA): it alone says Carol is revoked.
    Object.assign(up, { "/root.crl": true, "/ocsp": true });
    r = await attempt("carol@example.com", "To Carol via OCSP");
    assert.equal(r.result.status, "error");
    assert.match(r.result.message, /carol@example\.com.*revoked.*KeyCompromise/);
    assert.ok(r.fetched.includes("POST /ocsp application/ocsp-request"), `fetched ${r.fetched}`);
  });

  test("reading (disableCRLCheck off): the signer's CRL is fetched; a revoked signer is not trusted, a good one is", { timeout: 90_000 }, async () => {
    Object.assign(up, { "/root.crl": true, "/issuing.crl": true, "/ocsp": true });
    const reading = new Webmail(mail);
    const signed = (who, subject) => {
      const entity = join(dir, "entity.txt");
      writeFileSync(entity, `Content-Type: text/plain\r\n\r\n${subject}\r\n`);
      const smime = execFileSync("openssl", ["cms", "-sign", "-in", entity, "-signer", join(dir, `${who}.crt`), "-inkey", join(PKI, `${who}.key`),
        "-certfile", join(dir, "issuing.crt")]);
      return Buffer.concat([Buffer.from(`From: ${who}@example.com\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n`), smime]);
    };
    asked.length = 0;
    reading.deliver("alice@example.com", signed("bob", "Signed by Bob"));
    let reader = await reading.openMessage(page, "Signed by Bob");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "trusted");
    assert.ok(asked.includes("GET /issuing.crl"), `fetched ${asked}`);
    reading.deliver("alice@example.com", signed("carol", "Signed by Carol"));
    reader = await reading.openMessage(page, "Signed by Carol");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "untrusted");
    assert.match(await reader.locator("#banner-text").textContent(), /revoked at .*KeyCompromise/);
  });
});
