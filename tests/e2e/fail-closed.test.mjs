// Failing closed, end to end: the extension in Chromium with the demo webmail on 127.0.0.1.
//
// 1. Managed policy alwaysEncrypt (forced on and locked in Siegel's editor) and a recipient without a
//    certificate: Send delivers nothing to any mailbox, the draft stays as written in Siegel's editor (its
//    attachment byte for byte), and the error names the recipient; the webmail's own Send sends nothing; the
//    service worker enforces the policy even when asked for a plain message, and content scripts may not
//    ask for a sealed message at all.
// 2. The service worker stopped in the middle of a send (CDP ServiceWorker.stopAllWorkers while it seals an
//    8 MB attachment): nothing half-sent and no plaintext anywhere, the draft stays in Siegel's editor, a
//    clear error in its status line; the restarted worker is still unlocked (the unlocked state lives in
//    chrome.storage.session until auto-lock), and the same Send works.
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
  EXTENSION, PKI, ROOT, buildExtension, compose, contentScriptWorld, draftOf, editorOf, launchWithExtension, send, setUp, signIn, startWebmail,
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

  test("policy alwaysEncrypt: a recipient without a certificate gets nothing, nobody does, and the draft stays", { skip: noPolicy ?? false, timeout: 90_000 }, async () => {
    assert.equal(b.extensionId, unpackedId(extension), "the policy names this extension");
    const file = { name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from("Minutes of the board meeting.\n") };
    // Encrypt is on already (policy): the text and the attachment go into Siegel's editor.
    await compose(page, mail.base, { to: "bob@example.com, carol@example.com", subject: "Board minutes", body: "Confidential: see attached.", files: [file], encrypt: true });
    const editor = editorOf(page);
    // Siegel held the message from the start, before To and Subject were written: the user checks, in its
    // frame, that it shows them now (it reads them again every 2 s; Send refuses an envelope it did not show).
    await editor.locator("#env-to", { hasText: /^bob@example\.com, carol@example\.com$/ }).waitFor();
    await editor.locator("#env-subject", { hasText: /^Board minutes$/ }).waitFor();
    // (A Send within 1.5 s of the envelope changing is refused: the user may not have seen the change.)
    await page.waitForTimeout(1600);
    assert.equal(await editor.locator("#encrypt").isChecked(), true, "encryption forced on by policy");
    assert.equal(await editor.locator("#encrypt").isDisabled(), true, "and locked");
    assert.equal(await editor.locator("#sign").isChecked(), false, "what policy does not set stays the user's");
    assert.equal(await editor.locator("#sign").isDisabled(), false);
    assert.equal(await editor.locator("body").getAttribute("data-mode"), "editor", "Siegel's editor holds the message");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.siegelIntercept), "1", "Siegel has Send");
    const draft = await draftOf(page);
    assert.equal(draft.editor, "siegel");
    assert.deepEqual(draft.files, ["minutes.txt (30 bytes)"]);
    const before = await mail.mail();
    assert.deepEqual(before, { files: [], listed: [] });

    // The webmail's own Send (which the webmail may hide while Siegel holds the message; clicked here from
    // the page, as a script of its could) only tells Siegel, which points at its own Send button; nothing goes out.
    await page.evaluate(() => document.querySelector("#compose-send").click());
    await editor.locator("#status.error", { hasText: EN.editorUseSend.message }).waitFor();
    assert.deepEqual(await mail.mail(), before, "the webmail's Send sent nothing");

    const result = await send(page);
    assert.equal(result.status, "error");
    assert.match(result.message, /carol@example\.com/, "the error names the recipient without a certificate");
    assert.doesNotMatch(result.message, /bob@example\.com/, "and only that one");
    assert.equal(result.message, EN.composeNoCertificateRequired.message.replace("$1", "carol@example.com"), "no advice to turn encryption off");
    assert.deepEqual(await mail.mail(), before, "no Maildir and no folder got anything");
    assert.deepEqual(await draftOf(page), draft, "the draft is as it was: to, subject, body, attachment");

    // The attachment Siegel's editor holds is the file, byte for byte: saved as a draft (encrypted to Alice),
    // which OpenSSL opens with her key.
    await editor.locator("#save").click();
    await editor.locator("#saved", { hasText: /^Draft saved encrypted/ }).waitFor({ timeout: 30_000 });
    const draftId = await page.locator("form#compose").getAttribute("data-draft-id");
    const saved = join(mail.data, "alice@example.com", "Drafts", "new", draftId);
    assert.match(readFileSync(saved, "latin1"), /smime-type=(auth)?enveloped-data/i, "the draft is stored encrypted");
    const opened = execFileSync("openssl", ["cms", "-decrypt", "-in", saved, "-recip", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key")]);
    assert.equal(sha256(attachmentOf(opened.toString("latin1"), file.name)), sha256(file.buffer));
    assert.deepEqual(await mail.mail(), before, "saving the draft sent nothing");

    // The worker enforces the policy itself. A content script (which relays for the page) may not ask for a
    // sealed message at all; and asked by Siegel's editor frame for a plain message, the worker refuses the
    // recipient without a certificate, and encrypts to one with a certificate.
    const world = await contentScriptWorld(page, b.extensionId);
    const plain = { from: "alice@example.com", to: ["bob@example.com"], cc: [], bcc: [], subject: "plain?", text: "plain?", attachments: [] };
    for (const op of ["seal", "editorSend"]) {
      const asked = await world.evaluate((m) => chrome.runtime.sendMessage(m), { op, draft: plain, text: "plain?", sign: false, encrypt: false });
      assert.equal(asked.ok, false, op);
      assert.equal(asked.error.code, "forbidden", op);
    }
    await world.cdp.detach();
    const frame = page.frames().find((f) => f.url().includes("/editor/editor.html"));
    const ask = (op, args) => frame.evaluate(([op, args]) => chrome.runtime.sendMessage({ op, session: decodeURIComponent(location.hash.slice(1)), ...args }), [op, args]);
    const sendPlain = async () => {
      const envelope = await ask("editorEnvelope", { encrypt: false });
      assert.equal(envelope.ok, true, JSON.stringify(envelope.error));
      return ask("editorSend", { version: envelope.result.version, sign: false, encrypt: false, text: "plain? 7d1f", html: null, attachments: [] });
    };
    const refused = await sendPlain();
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "no-certificate");
    assert.deepEqual(await mail.mail(), before, "nothing went out");
    await page.fill("#compose-to", "bob@example.com");
    // The webmail shows its Sent folder once it has sent, which removes the compose view and Siegel's frame
    // with it, maybe before the worker's answer reaches the frame: what landed in Bob's Inbox is the proof.
    const sealed = await sendPlain().catch((e) => ({ frameGone: e.message }));
    if (!sealed.frameGone) {
      assert.equal(sealed.ok, true, JSON.stringify(sealed.error));
      assert.equal(sealed.result.encrypted, true, "encrypted although the request said not to");
    }
    await page.waitForFunction(() => location.hash === "#/folder/Sent");
    const { files } = await mail.mail();
    const toBob = files.filter((f) => f.includes(join("bob@example.com", "INBOX")));
    assert.equal(toBob.length, 1);
    const raw = readFileSync(toBob[0], "latin1");
    assert.match(raw, /application\/pkcs7-mime; smime-type=authEnveloped-data/);
    assert.ok(!raw.includes("7d1f"), "no plaintext in the Maildir");
  });

  test("the service worker stopped in the middle of a send: nothing half-sent, the draft stays, a retry works", { timeout: 150_000 }, async () => {
    const big = randomBytes(8 * 1024 * 1024); // sealing it keeps the worker busy for a second or more
    const marker = `Stopped midway ${Date.now()}`;
    await compose(page, mail.base, { to: "bob@example.com", subject: "Big file", body: marker, files: [{ name: "big.bin", mimeType: "application/octet-stream", buffer: big }], sign: true, encrypt: true });
    const draft = await draftOf(page);
    assert.deepEqual(draft.files, ["big.bin (8,388,608 bytes)"]);
    const before = await mail.mail();

    // Send, as a user would (Siegel's button, seen for a moment); once Siegel says it is sealing and the
    // worker is busy with it (a trivial evaluation there gets no answer for a while), stop the extension's
    // service worker, and keep stopping it (a message would restart it) until Siegel's status line gives
    // its verdict: the seal cannot complete.
    const editor = editorOf(page);
    const cdp = await b.context.newCDPSession(options);
    await cdp.send("ServiceWorker.enable");
    await editor.locator("#send").scrollIntoViewIfNeeded();
    await page.waitForTimeout(800);
    await editor.locator("#send").click();
    await editor.locator("#status", { hasText: /^Signing and encrypting/ }).waitFor();
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
      const status = editor.locator("#status");
      const kind = await status.getAttribute("class");
      verdict = ["error", "ok"].includes(kind) ? { status: kind, message: (await status.textContent()).trim() } : null;
      if (!verdict) await sleep(100);
    }
    await cdp.detach();
    assert.deepEqual(verdict, { status: "error", message: EN.error_worker_stopped.message }, `after ${stops} stops`);
    assert.deepEqual(await mail.mail(), before, "nothing reached any Maildir");
    assert.deepEqual(await draftOf(page), draft, "the draft is as it was: text and attachment still in Siegel's editor");
    assert.equal(await editor.locator("#send").isEnabled(), true, "and Send can be pressed again");

    // The unlocked state outlives the worker (lib/unlocked.js: the restarted worker opens the keys again
    // until auto-lock), so Siegel is still unlocked; the same Send goes through.
    await options.reload();
    await options.locator("body[data-ready]").waitFor();
    assert.equal(await options.locator("#lock-state").getAttribute("data-state"), "unlocked");
    assert.deepEqual(await send(page, 90_000), { status: "sent" });

    // One complete message each in Bob's Inbox and Alice's Sent, which OpenSSL decrypts and verifies.
    const { files } = await mail.mail();
    const added = files.filter((f) => !before.files.includes(f));
    const delivered = added.filter((f) => f.includes(join("bob@example.com", "INBOX", "new")));
    assert.equal(delivered.length, 1);
    assert.equal(added.filter((f) => f.includes(join("alice@example.com", "Sent", "new"))).length, 1);
    assert.equal(added.length, 2);
    const raw = readFileSync(delivered[0]);
    assert.ok(!raw.includes(Buffer.from(marker)), "no plaintext in the Maildir");
    const signed = execFileSync("openssl", ["cms", "-decrypt", "-in", delivered[0], "-recip", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key")], { maxBuffer: 1 << 28 });
    const content = execFileSync("openssl", ["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], {
      input: signed,
      maxBuffer: 1 << 28,
      stdio: ["pipe", "pipe", "pipe"],
    }).toString("latin1");
    assert.ok(content.includes(marker));
    assert.equal(sha256(attachmentOf(content, "big.bin")), sha256(big), "the whole attachment");
  });
});

/** The bytes of the attachment `name` in a MIME message (base64, as Siegel writes attachments). */
function attachmentOf(mime, name) {
  const at = mime.search(new RegExp(`filename="?${name.replace(/\./g, "\\.")}"?`));
  assert.ok(at >= 0, `no attachment ${name}`);
  const rest = mime.slice(at);
  const blank = /\r?\n\r?\n/.exec(rest);
  const body = rest.slice(blank.index + blank[0].length);
  return Buffer.from(body.slice(0, body.search(/\r?\n--/)).replace(/\s+/g, ""), "base64");
}

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
    await compose(page, mail.base, { to, subject, body: `${subject}: for your eyes only.`, sign: true, encrypt: true });
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
