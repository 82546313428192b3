// Finding recipients' certificates without an import (issue 20), in the demo webmail:
// 1. the HTTPS directory (setting directoryUrl; www/DIRECTORY.md) served by the demo webmail itself: Alice has
//    no contacts and no earlier mail, yet Siegel's editor finds Bob's certificate there (of a current and an
//    expired one, the current), and what she sends OpenSSL opens with Bob's key;
// 2. a hostile directory on 127.0.0.1: one that never answers, answers garbage, a huge body, too many or
//    thousands of certificates, a certificate for another address, one from a CA nobody trusts, an HTTP
//    error. Each recipient gets its reason in Siegel's editor, and Send sends nothing, to anyone, keeping the draft;
// 3. DANE (RFC 8162) through a DNS-over-HTTPS resolver (setting dohResolver; a small RFC 8484 server here):
//    Carol's SMIMEA record, DNSSEC-validated (AD), gives her certificate; Bob's, not validated, gives nothing;
//    an address written in capitals is asked as written, then in lower case;
// 4. a directory that brings the issuing CA with Bob's certificate: Alice, who trusts only the root, sends
//    to him (the CA, which nothing else of Alice's holds, goes along to Send's validation); with no trusted CAs left, nothing found is used.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PKI, buildExtension, compose, draftOf, editorOf, launchWithExtension, send, setUp, signIn, startWebmail } from "./harness.mjs";

const work = mkdtempSync(join(tmpdir(), "siegel-directory-"));
const openssl = (args, input) => execFileSync("openssl", args, { cwd: work, input, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
const pem = (name) => readFileSync(join(PKI, name));
const der = (name) => openssl(["x509", "-in", join(PKI, name), "-outform", "DER"]);

/** A certificate for untrusted@example.com from a CA nobody trusts (the test PKI's other root). */
function untrustedCertificate() {
  writeFileSync(join(work, "u.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:untrusted@example.com\n");
  openssl(["req", "-new", "-key", join(PKI, "bob.key"), "-subj", "/CN=Untrusted", "-out", "u.csr"]);
  openssl(["x509", "-req", "-in", "u.csr", "-CA", join(PKI, "other-root.crt"), "-CAkey", join(PKI, "other-root.key"), "-set_serial", "0x77", "-extfile", "u.ext", "-days", "30", "-out", "u.crt"]);
  return readFileSync(join(work, "u.crt"));
}

/**
 * Bob's certificate from a second issuing CA under the test root ("Siegel Test Directory CA"), which neither
 * Alice's trusted CAs nor her own .p12 hold: only a directory that sends it along makes the path. PEM of
 * both, the CA last.
 */
function bobByDirectoryCa() {
  writeFileSync(join(work, "dca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  writeFileSync(join(work, "b2.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:bob@example.com\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "dca.key"]);
  openssl(["req", "-new", "-key", "dca.key", "-subj", "/O=Siegel Test/CN=Siegel Test Directory CA", "-out", "dca.csr"]);
  openssl(["x509", "-req", "-in", "dca.csr", "-CA", join(PKI, "root.crt"), "-CAkey", join(PKI, "root.key"), "-set_serial", "0x78", "-extfile", "dca.ext", "-days", "30", "-out", "dca.crt"]);
  openssl(["req", "-new", "-key", join(PKI, "bob.key"), "-subj", "/O=Siegel Test/CN=Bob", "-out", "b2.csr"]);
  openssl(["x509", "-req", "-in", "b2.csr", "-CA", "dca.crt", "-CAkey", "dca.key", "-set_serial", "0x79", "-extfile", "b2.ext", "-days", "30", "-out", "b2.crt"]);
  return Buffer.concat([readFileSync(join(work, "b2.crt")), readFileSync(join(work, "dca.crt"))]);
}

/** An RFC 8484 answer to `query` (a DNS message) with one SMIMEA record holding `cert` (DER), AD as given. */
function dnsAnswer(query, cert, ad) {
  const out = Buffer.from(query);
  out.writeUInt16BE(0x8180 | (ad ? 0x0020 : 0), 2); // QR, RD, RA (and AD)
  out.writeUInt16BE(cert ? 1 : 0, 6);
  if (!cert) return out;
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(53, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(3600, 6);
  rr.writeUInt16BE(cert.length + 3, 10);
  return Buffer.concat([out, rr, Buffer.from([3, 0, 0]), cert]);
}

/** The owner name a DNS query asks about (first label only: the hashed local part). */
const askedLabel = (query) => query.subarray(13, 13 + query[12]).toString();
const hashedLocal = (local) => execFileSync("sha256sum", { input: local }).toString().slice(0, 56);

describe("recipients' certificates from directories", () => {
  let webmail;
  let b;
  let page;
  let options;
  let hostile;
  let doh;
  const asked = [];

  before(async () => {
    const directory = join(work, "directory");
    mkdirSync(directory);
    // Bob's entry holds his whole history: the expired 2019 certificate and the current one.
    writeFileSync(join(directory, "bob@example.com"), Buffer.concat([pem("bob-old.crt"), pem("bob.crt")]));
    webmail = await startWebmail(["alice@example.com", "bob@example.com", "carol@example.com"], { directory });

    const untrusted = untrustedCertificate();
    const chained = bobByDirectoryCa();
    const answers = {
      "garbage@example.com": (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Internal error</body></html>"),
      "huge@example.com": (res) => res.writeHead(200).end(Buffer.alloc(2 << 20, 0x41)),
      "crowded@example.com": (res) => res.writeHead(200).end(Buffer.concat(Array(65).fill(pem("carol.crt")))),
      "thousands@example.com": (res) => res.writeHead(200).end(Buffer.concat(Array(3000).fill(der("carol.crt")))),
      "other@example.com": (res) => res.writeHead(200).end(pem("carol.crt")),
      "untrusted@example.com": (res) => res.writeHead(200).end(untrusted),
      "down@example.com": (res) => res.writeHead(500).end("down"),
      "bob@example.com": (res) => res.writeHead(200).end(pem("bob.crt")),
      "slow@example.com": () => {}, // never answers
    };
    hostile = createServer((req, res) => {
      const path = new URL(req.url, "http://x").pathname;
      // /chain/: Bob's certificate with the CA that issued it, as a directory of the organisation's answers.
      if (path === "/chain/bob%40example.com") return res.writeHead(200).end(chained);
      const email = decodeURIComponent(path.replace(/^\/cert\//, ""));
      (answers[email] ?? ((r) => r.writeHead(404).end()))(res);
    });
    doh = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const query = Buffer.concat(chunks);
        if (req.method !== "POST" || req.headers["content-type"] !== "application/dns-message") return res.writeHead(415).end();
        const label = askedLabel(query);
        asked.push(label);
        const answer = label === hashedLocal("carol") ? dnsAnswer(query, der("carol.crt"), true) : label === hashedLocal("bob") ? dnsAnswer(query, der("bob.crt"), false) : dnsAnswer(query, null, true);
        res.writeHead(200, { "content-type": "application/dns-message" }).end(answer);
      });
    });
    await Promise.all([hostile, doh].map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok))));

    b = await launchWithExtension(buildExtension());
    // Alice: her identity and the organisation's CAs, and nobody else's certificate.
    options = await setUp(b, { p12: join(PKI, "alice.p12"), trust: [join(PKI, "chain.pem")] });
    page = await signIn(b, webmail.base, "alice@example.com");
  });

  after(async () => {
    await b?.close();
    webmail?.stop();
    hostile?.closeAllConnections();
    hostile?.close();
    doh?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Sets a text setting in the options page, as a user would. */
  async function setting(name, value) {
    await options.bringToFront();
    await options.fill(`#settings-form input[name=${name}]`, value);
    await options.press(`#settings-form input[name=${name}]`, "Tab");
    await options.waitForFunction(() => /Saved/.test(document.querySelector("#settings-message").textContent));
    await page.bringToFront();
  }

  /**
   * Composes to `to` with encryption on; returns, once all `count` are in, what Siegel's frame says of each
   * recipient's certificate: `verdicts` ({ email: "contact" | "found:https" | "found:dns" | "found:webmail" |
   * "none" }, from each line's class and where it says the certificate was found) and the lines' `notes`.
   */
  async function lookups(to, subject, count) {
    await compose(page, webmail.base, { to, subject, body: "Found in the directory?", sign: true, encrypt: true });
    const items = editorOf(page).locator("#recipients li");
    await items.nth(count - 1).waitFor({ timeout: 60_000 });
    const lines = await items.evaluateAll((lis) => lis.map((li) => ({ status: li.className, text: li.textContent })));
    assert.equal(lines.length, count, JSON.stringify(lines));
    const sources = [[/found in the directory$/, "https"], [/found in DNS \(DANE\)$/, "dns"], [/found in the webmail's address book$/, "webmail"]];
    const verdicts = {};
    for (const { status, text } of lines) {
      const source = status === "found" ? sources.find(([re]) => re.test(text))?.[1] ?? "?" : null;
      verdicts[text.slice(0, text.indexOf(":"))] = source ? `found:${source}` : status;
    }
    return { verdicts, notes: lines.map((l) => l.text) };
  }

  test("with only the HTTPS directory, Alice encrypts to Bob; OpenSSL opens it with Bob's key", { timeout: 180_000 }, async () => {
    // Without a directory, Bob has no certificate, and Siegel's editor says there is nowhere to look.
    let { verdicts, notes } = await lookups("bob@example.com", "Before", 1);
    assert.deepEqual(verdicts, { "bob@example.com": "none" });
    assert.match(notes[0], /no directory to look in/);

    await setting("directoryUrl", `${webmail.base}/directory?email={email}`);
    ({ verdicts, notes } = await lookups("bob@example.com", "From the directory", 1));
    assert.deepEqual(verdicts, { "bob@example.com": "found:https" });
    assert.match(notes[0], /^bob@example\.com: certificate found in the directory$/);
    assert.deepEqual(await send(page), { status: "sent" });

    const delivered = readFileSync(join(webmail.data, "bob@example.com", "INBOX", "new", execFileSync("ls", [join(webmail.data, "bob@example.com", "INBOX", "new")]).toString().trim().split("\n")[0]));
    writeFileSync(join(work, "to-bob.eml"), delivered);
    const inner = openssl(["cms", "-decrypt", "-in", "to-bob.eml", "-recip", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key")]);
    const content = openssl(["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], inner);
    assert.match(content.toString(), /Found in the directory\?/);
  });

  test("a hostile directory: a reason per recipient, and nothing sent to anyone", { timeout: 240_000 }, async () => {
    await setting("directoryUrl", `http://127.0.0.1:${hostile.address().port}/cert/{email}`);
    const to = ["slow", "garbage", "huge", "crowded", "thousands", "other", "untrusted", "down", "bob"].map((n) => `${n}@example.com`);
    const { verdicts, notes } = await lookups(to.join(", "), "Hostile", to.length);
    const note = (who) => notes.find((n) => n.startsWith(`${who}@example.com:`));
    assert.equal(verdicts["bob@example.com"], "found:https");
    for (const who of to.filter((t) => t !== "bob@example.com")) assert.equal(verdicts[who], "none", who);
    assert.match(note("slow"), /no answer within 10000 ms/);
    assert.match(note("garbage"), /malformed certificate collection/);
    assert.match(note("huge"), /more than the 1048576 bytes allowed/);
    assert.match(note("crowded"), /65 certificates \(at most 64\)/);
    assert.match(note("thousands"), /more than the 1048576 bytes allowed/);
    assert.match(note("other"), /it is for carol@example\.com, not other@example\.com/);
    assert.match(note("untrusted"), /trusted/);
    assert.match(note("down"), /HTTP 500/);

    // Send: looked up again, still nothing for eight of them, so nothing goes to anyone (Bob included).
    const before = await draftOf(page);
    const verdict = await send(page, 120_000);
    assert.equal(verdict.status, "error");
    assert.match(verdict.message, /^No certificate for slow@example\.com, garbage@example\.com/);
    assert.doesNotMatch(verdict.message.split("(")[0], /bob@example\.com/);
    assert.deepEqual(await draftOf(page), before, "the draft is kept as it was");
    const { files } = await webmail.mail();
    assert.ok(!files.some((f) => readFileSync(f).includes(Buffer.from("Hostile"))), "nothing was sent");
  });

  test("DANE: a DNSSEC-validated SMIMEA record gives Carol's certificate; an unvalidated one gives nothing", { timeout: 180_000 }, async () => {
    await setting("directoryUrl", "");
    await setting("dohResolver", `http://127.0.0.1:${doh.address().port}/dns-query`);
    const { verdicts, notes } = await lookups("carol@example.com, bob@example.com", "By DNS", 2);
    assert.equal(verdicts["carol@example.com"], "found:dns");
    assert.equal(verdicts["bob@example.com"], "none");
    assert.match(notes.find((n) => n.startsWith("bob@")), /DNS \(DANE\): the DNS answer is not DNSSEC-validated/);
    // Carol alone: sent, and hers to open.
    const only = await lookups("carol@example.com", "By DNS to Carol", 1);
    assert.deepEqual(only.verdicts, { "carol@example.com": "found:dns" });
    assert.deepEqual(await send(page), { status: "sent" });
    const dir = join(webmail.data, "carol@example.com", "INBOX", "new");
    const name = execFileSync("ls", [dir]).toString().trim().split("\n")[0];
    writeFileSync(join(work, "to-carol.eml"), readFileSync(join(dir, name)));
    const inner = openssl(["cms", "-decrypt", "-in", "to-carol.eml", "-recip", join(PKI, "carol.crt"), "-inkey", join(PKI, "carol.key")]);
    assert.match(openssl(["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], inner).toString(), /Found in the directory\?/);
  });

  test("DANE: an address written in capitals is asked as written (RFC 8162 hashes it so), then in lower case", { timeout: 120_000 }, async () => {
    // Another resolver URL: what was remembered of Carol goes.
    await setting("dohResolver", `http://127.0.0.1:${doh.address().port}/dns-query?again`);
    asked.length = 0;
    const { verdicts } = await lookups("CAROL@example.com", "Carol in capitals", 1);
    assert.deepEqual(verdicts, { "carol@example.com": "found:dns" });
    const upper = asked.indexOf(hashedLocal("CAROL"));
    assert.ok(upper >= 0, "asked as written");
    assert.ok(asked.indexOf(hashedLocal("carol"), upper) > upper, "then in lower case");
  });

  test("the issuing CA a directory gives goes along to Send; with no trusted CAs, nothing found is used", { timeout: 180_000 }, async () => {
    await setting("dohResolver", "");
    await setting("directoryUrl", `http://127.0.0.1:${hostile.address().port}/chain/{email}`);
    // Alice now trusts only the root (her own issuing CA is in her .p12); this Bob certificate's path needs
    // the Directory CA, which only the directory has.
    const removeTrusted = async (name) => {
      await options.bringToFront();
      const n = await options.locator("#trust-list > li").count();
      await options.locator("#trust-list > li", { hasText: name }).getByRole("button").click();
      await options.waitForFunction((k) => document.querySelectorAll("#trust-list > li").length < k, n);
      await page.bringToFront();
    };
    await removeTrusted("Siegel Test Issuing CA");
    let { verdicts } = await lookups("bob@example.com", "With the chain", 1);
    assert.deepEqual(verdicts, { "bob@example.com": "found:https" });
    assert.deepEqual(await send(page), { status: "sent" });
    const dir = join(webmail.data, "bob@example.com", "INBOX", "new");
    const files = execFileSync("ls", ["-t", dir]).toString().trim().split("\n");
    writeFileSync(join(work, "chained.eml"), readFileSync(join(dir, files[0])));
    const inner = openssl(["cms", "-decrypt", "-in", "chained.eml", "-recip", join(work, "b2.crt"), "-inkey", join(PKI, "bob.key")]);
    assert.match(openssl(["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], inner).toString(), /Found in the directory\?/);

    // No trusted CAs at all: what was found for Bob cannot be checked, so it is not used, and nothing is sent.
    await removeTrusted("Siegel Test Root CA");
    const notes = (await lookups("bob@example.com", "No CAs", 1)).notes;
    assert.match(notes[0], /no trusted CAs are set up/);
    const verdict = await send(page, 60_000);
    assert.equal(verdict.status, "error");
    assert.match(verdict.message, /^No certificate for bob@example\.com/);
  });
});
