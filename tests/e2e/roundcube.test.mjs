// Siegel in a real webmail: Roundcube 1.6 (Debian's, Elastic skin) with Siegel's plugin, in front of Dovecot
// (IMAP, LMTP) and Postfix, all started by tests/roundcube/env.sh on 127.0.0.1. Alice signs, encrypts, and signs
// and encrypts mail with an attachment to Bob in Roundcube; OpenSSL checks the bytes Dovecot stored; Bob reads
// each in Roundcube's preview with Siegel's reader; OpenSSL's mail delivered by Postfix reads as it should;
// sending fails closed (no certificate, an expired session); the plaintext and Alice's key stay out of
// Roundcube's page; the EFAIL and spoofing mails give the demo webmail's verdicts; the plugin refuses what is
// not the user's own message.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PASSPHRASE, PKI, ROOT, buildExtension, editorOf, waitForNote } from "./harness.mjs";
import { PASSWORD, Roundcube } from "./roundcube-harness.mjs";

const SECRET = "The launch code is 0451 — keep it between us.";
const ATTACHMENT = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff));
const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const CAROL = "carol@example.com";
const DAVE = "dave@example.com";
const ATTACKS = join(ROOT, "crate", "tests", "data", "attacks");

let rc;
let extension;
let alice;
let bob;
const work = mkdtempSync(join(tmpdir(), "siegel-roundcube-e2e-"));

function openssl(args, input) {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** Decrypts a stored file with Bob's key (OpenSSL), returning the content. */
function opensslDecrypt(file) {
  return openssl(["cms", "-decrypt", "-in", file, "-recip", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key")]);
}

/** Verifies S/MIME signed bytes against the test root (OpenSSL), returning the signed content. */
function opensslVerify(bytes) {
  const file = join(work, `verify-${Math.random().toString(36).slice(2)}.eml`);
  writeFileSync(file, bytes);
  return openssl(["cms", "-verify", "-in", file, "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"]);
}

/** Everything Roundcube's page holds: the DOM of the page and of each of its frames, and its storage. */
async function roundcubeState(page) {
  const out = [];
  for (const frame of page.frames()) {
    if (!/^https?:/.test(frame.url())) continue; // the extension's own frames are not Roundcube's
    out.push(await frame.evaluate(() => document.documentElement.outerHTML + JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).catch(() => ""));
  }
  return out.join("\n");
}

const banner = async (reader) => ({
  verdict: await reader.locator("#banner").getAttribute("data-verdict"),
  text: await reader.locator("#banner-text").textContent(),
});

describe("Siegel in Roundcube with Dovecot and Postfix", () => {
  before(async () => {
    extension = buildExtension();
    process.env.SIEGEL_RC_USERS = [ALICE, BOB, CAROL, DAVE].join(",");
    rc = await Roundcube.start();
  });

  after(async () => {
    await alice?.close();
    await bob?.close();
    rc?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const sends = [
    { subject: "Signed plan", sign: true, encrypt: false, kind: /Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"/ },
    { subject: "Encrypted plan", sign: false, encrypt: true, kind: /Content-Type: application\/pkcs7-mime; smime-type=authEnveloped-data/ },
    { subject: "Signed and encrypted plan", sign: true, encrypt: true, kind: /Content-Type: application\/pkcs7-mime; smime-type=authEnveloped-data/ },
  ];

  for (const [i, m] of sends.entries()) {
    test(`Alice sends Bob a ${m.subject.toLowerCase()} with an attachment in Roundcube`, { timeout: 180_000 }, async () => {
      alice ??= await rc.browserFor(extension, ALICE, { p12: "alice.p12", contacts: ["bob.crt", "carol.crt"] });
      const { page } = alice;
      // Written in Siegel's editor (text and attachment), sent with Siegel's Send.
      await rc.compose(page, { to: [`Bob <${BOB}>`], subject: m.subject, body: `Hi Bob,\n${SECRET}\nAlice`, files: [{ name: "plan.bin", mimeType: "application/octet-stream", buffer: ATTACHMENT }], sign: m.sign, encrypt: m.encrypt });
      assert.deepEqual(await rc.send(page), { status: "sent" });

      // Bob's Inbox and Alice's Sent folder each got it: S/MIME, the plaintext nowhere in the stored bytes.
      const stored = (await rc.waitForStored(BOB, i + 1)).map((f) => readFileSync(f));
      const delivered = stored.find((raw) => raw.includes(Buffer.from(`Subject: ${m.subject}\r\n`)));
      assert.ok(delivered, `a message "${m.subject}" in Bob's Inbox`);
      assert.match(delivered.toString("latin1"), m.kind);
      assert.ok(delivered.includes(Buffer.from("\r\n\r\n")), "Dovecot stored CRLF line ends");
      const sentCopies = (await rc.waitForStored(ALICE, i + 1, "Sent")).map((f) => readFileSync(f));
      assert.ok(sentCopies.some((raw) => raw.includes(Buffer.from(`Subject: ${m.subject}\r\n`))), "the Sent folder has a copy");

      const file = join(work, `${i}.eml`);
      writeFileSync(file, delivered);
      let content;
      if (m.encrypt) {
        assert.ok(!delivered.includes(Buffer.from("launch code")), "no plaintext in Bob's Maildir");
        content = opensslDecrypt(file);
        if (m.sign) content = opensslVerify(content);
        else assert.doesNotMatch(content.toString("latin1"), /pkcs7-signature|signed-data/);
      } else {
        content = opensslVerify(delivered);
      }
      const text = content.toString("latin1");
      assert.match(text, /launch code is 0451/);
      assert.match(text, /filename="?plan\.bin"?/);
      // The attachment's bytes survived: base64 of its first 3 KB appears in the content, line-wrapped.
      const b64 = ATTACHMENT.subarray(0, 3000).toString("base64");
      assert.ok(text.replace(/\r?\n/g, "").includes(b64), "the attachment is inside, byte for byte");
    });
  }

  test("Bob reads each in Roundcube's preview, with Siegel's banner, in a frame Roundcube cannot read", { timeout: 180_000 }, async () => {
    bob = await rc.browserFor(extension, BOB, { p12: "bob.p12" });
    const expected = {
      "Signed plan": { verdict: "trusted", badge: "\u2713", text: /^Signed by alice@example\.com: valid and trusted\.$/ },
      "Encrypted plan": { verdict: "unsigned", badge: "", text: /^Not signed\. Encrypted \(AES-256-GCM\)\.$/ },
      "Signed and encrypted plan": { verdict: "trusted", badge: "\u2713", text: /^Signed by alice@example\.com: valid and trusted\. Encrypted \(AES-256-GCM\)\.$/ },
    };
    // The toolbar badge of Roundcube's tab (browser chrome, which neither Roundcube nor the mail can draw).
    const badge = () => bob.worker.evaluate(async () => {
      const [tab] = await chrome.tabs.query({ url: "http://127.0.0.1/*" });
      return chrome.action.getBadgeText({ tabId: tab.id });
    });
    for (const [subject, want] of Object.entries(expected)) {
      const reader = await rc.openMessage(bob.page, subject);
      const b = await banner(reader);
      assert.equal(b.verdict, want.verdict, `${subject}: ${b.text}`);
      assert.match(b.text, want.text);
      // The badge shows the verdict once the reader has been seen (a second in view).
      for (const until = Date.now() + 10_000; (await badge()) !== want.badge && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await badge(), want.badge, `${subject}: the toolbar badge`);
      assert.match(await reader.locator("#text").textContent(), /launch code is 0451/);
      assert.match(await reader.locator("#attachments").textContent(), /plan\.bin \(70,000 bytes\)/);
      const preview = rc.previewFrame(bob.page);
      // Roundcube's own rendering of the mail ("Digital Signature", "encrypted message") is hidden.
      assert.equal(await preview.locator("#messagebody").isHidden(), true);
      assert.equal(await preview.locator("iframe[data-siegel-reader]").count(), 1);
      const blocked = await preview.evaluate(() => {
        try {
          return document.querySelector("iframe[data-siegel-reader]").contentDocument === null;
        } catch {
          return true;
        }
      });
      assert.ok(blocked, "Roundcube's page cannot read inside the reader");
      if (subject !== "Signed plan") {
        // Encrypted: Roundcube never had the plaintext (a clear-signed mail's text is Roundcube's to show).
        const state = await roundcubeState(bob.page);
        assert.ok(!state.includes("launch code"), `${subject}: the decrypted text is not in Roundcube's page`);
      }
    }
  });

  test("Alice's key and the .p12 never reach Roundcube's page", { timeout: 60_000 }, async () => {
    const state = await roundcubeState(alice.page);
    const keyBody = readFileSync(join(PKI, "alice.key"), "utf8").split(/-----[A-Z ]+-----/)[1].replace(/\s+/g, "");
    const p12 = readFileSync(join(PKI, "alice.p12")).toString("base64");
    for (let at = 0; at + 64 <= keyBody.length; at += 64) assert.ok(!state.includes(keyBody.slice(at, at + 64)), "no piece of Alice's private key");
    assert.ok(!state.includes(p12.slice(100, 164)), "no piece of her .p12");
    assert.ok(!state.includes(PASSPHRASE), "no passphrase");
  });

  test("Bcc: Carol gets the mail, and no copy that is delivered names her", { timeout: 120_000 }, async () => {
    const { page } = alice;
    const before = rc.stored(CAROL).length;
    await rc.compose(page, { to: [BOB], bcc: [CAROL], subject: "Quietly copied", body: "Carol is in Bcc.", sign: true });
    assert.deepEqual(await rc.send(page), { status: "sent" });
    const [carolCopy] = (await rc.waitForStored(CAROL, before + 1)).map((f) => readFileSync(f).toString("latin1"));
    const bobCopy = rc.stored(BOB).map((f) => readFileSync(f).toString("latin1")).find((t) => t.includes("Subject: Quietly copied"));
    for (const copy of [carolCopy, bobCopy]) {
      assert.ok(copy, "delivered");
      const head = copy.split("\r\n\r\n")[0];
      assert.doesNotMatch(head, /^Bcc\s*:/im, "no Bcc field in what was delivered");
      assert.doesNotMatch(head.replace(/\r\n[ \t]/g, " "), /^(To|Cc)\s*:.*carol@example\.com/im, "Carol is not among the visible recipients");
      opensslVerify(Buffer.from(copy, "latin1")); // the signature survived the Bcc handling
    }
    const sentCopy = rc.stored(ALICE, "Sent").map((f) => readFileSync(f).toString("latin1")).find((t) => t.includes("Subject: Quietly copied"));
    assert.match(sentCopy, /^Bcc: carol@example\.com/m, "Alice's Sent copy remembers the Bcc, as Roundcube's own does");
  });

  test("HTML written in Siegel's editor arrives as HTML; its draft is saved encrypted, and gone once sent", { timeout: 120_000 }, async () => {
    const { page } = alice;
    await rc.compose(page, { to: [BOB], subject: "Formatted note", body: "", sign: true, encrypt: true });
    // Siegel's formatted mode (Squire); the text is typed into it, bold with the keyboard.
    const editor = editorOf(page);
    await editor.locator('input[name="format"][value="html"]').check();
    await editor.locator("#html").click();
    await page.keyboard.type("Plain words and ");
    await page.keyboard.press("Control+B");
    await page.keyboard.type("bold words");
    // Saved as a draft first (Siegel's Save: encrypted to Alice, never plaintext), then sent: the draft must
    // not stay behind.
    await editor.locator("#save").click();
    const [draftFile] = await rc.waitForStored(ALICE, 1, "Drafts");
    const draft = readFileSync(draftFile);
    assert.match(draft.toString("latin1"), /Content-Type: application\/pkcs7-mime; smime-type=authEnveloped-data/);
    assert.ok(!draft.includes(Buffer.from("bold words")), "no plaintext in Dovecot's Drafts");
    const inside = openssl(["cms", "-decrypt", "-recip", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key")], draft).toString("latin1");
    assert.match(inside, /<b>bold words<\/b>|<strong>bold words<\/strong>/, "Alice's key opens her draft");
    assert.doesNotMatch(inside, /pkcs7-signature|signed-data/, "a draft carries no signature");
    assert.deepEqual(await rc.send(page), { status: "sent" });
    for (const until = Date.now() + 10_000; rc.stored(ALICE, "Drafts").length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(rc.stored(ALICE, "Drafts"), [], "the saved draft was deleted after sending");

    const reader = await rc.openMessage(bob.page, "Formatted note");
    assert.equal((await banner(reader)).verdict, "trusted");
    const html = reader.frameLocator("#html");
    await html.locator("strong, b").first().waitFor();
    assert.equal(await html.locator("strong, b").first().textContent(), "bold words");
    assert.match(await html.locator("body").textContent(), /Plain\s+words\s+and\s+bold\s+words/);
  });

  test("fail closed: encrypting to a recipient without a certificate sends nothing to anyone and keeps the draft", { timeout: 120_000 }, async () => {
    const { page } = alice;
    const stored = rc.everything();
    await rc.compose(page, { to: [BOB, DAVE], subject: "Not for Dave", body: SECRET, files: [{ name: "keep.txt", mimeType: "text/plain", buffer: Buffer.from("kept") }], sign: true, encrypt: true });
    const verdict = await rc.send(page);
    assert.equal(verdict.status, "error");
    assert.match(verdict.message, /No certificate for dave@example\.com/);
    await new Promise((r) => setTimeout(r, 1500)); // anything in flight would have landed by now
    assert.deepEqual(rc.everything(), stored, "no Maildir received anything");
    assert.match(page.url(), /_action=compose/, "the compose view stays open");
    assert.equal(await page.inputValue("#compose-subject"), "Not for Dave");
    // What Alice wrote is still in Siegel's editor, attachment included.
    assert.equal(await editorOf(page).locator("#text").inputValue(), SECRET);
    assert.match(await editorOf(page).locator("#attachments").textContent(), /keep\.txt/);
  });

  test("with only the organisation's LDAP directory (slapd, through the plugin), Alice encrypts to Bob and Carol", { timeout: 180_000 }, async () => {
    // A second browser of Alice's with no contacts at all: Bob's and Carol's certificates can only come from
    // Roundcube's LDAP address book (Bob's entry: an expired and a current certificate; Carol's: a PKCS#7).
    // Bob's entry also holds a value that is no certificate (address books collect such things): it is left
    // out, and does not hide his good ones.
    const base = rc.env.LDAP_BASE.replace(/^ou=people,/, "");
    execFileSync("ldapmodify", ["-x", "-H", `ldap://127.0.0.1:${rc.env.LDAP_PORT}/`, "-D", `cn=admin,${base}`, "-w", PASSWORD], {
      input: `dn: uid=bob,${rc.env.LDAP_BASE}\nchangetype: modify\nadd: userSMIMECertificate\nuserSMIMECertificate:: ${Buffer.from("not a certificate").toString("base64")}\n`,
      stdio: ["pipe", "ignore", "inherit"],
    });
    const fresh = await rc.browserFor(extension, ALICE, { p12: "alice.p12" });
    try {
      const { page } = fresh;
      await rc.compose(page, { to: [BOB, CAROL], subject: "From the directory", body: "Found in LDAP.", sign: true, encrypt: true });
      // Siegel's editor says, per recipient, where the certificate came from.
      const found = editorOf(page).locator("#recipients li.found");
      await found.nth(1).waitFor({ timeout: 60_000 });
      assert.deepEqual((await found.allTextContents()).sort(), [
        "bob@example.com: certificate found in the webmail's address book",
        "carol@example.com: certificate found in the webmail's address book",
      ]);
      const before = { bob: rc.stored(BOB).length, carol: rc.stored(CAROL).length };
      assert.deepEqual(await rc.send(page), { status: "sent" });
      for (const [who, user] of [["bob", BOB], ["carol", CAROL]]) {
        const files = await rc.waitForStored(user, before[who] + 1);
        const newest = files.map((f) => ({ f, t: readFileSync(f) })).find((m) => m.t.includes(Buffer.from("From the directory")));
        assert.ok(newest, `${who} received it`);
        const inner = openssl(["cms", "-decrypt", "-recip", join(PKI, `${who}.crt`), "-inkey", join(PKI, `${who}.key`)], newest.t);
        assert.match(opensslVerify(inner).toString(), /Found in LDAP\./, who);
      }
    } finally {
      await fresh.close();
    }
  });

  test("an expired Roundcube session: a clear error, nothing sent, the draft kept", { timeout: 120_000 }, async () => {
    const { page } = alice;
    await rc.compose(page, { to: [BOB], subject: "After the session", body: "Hello again.", sign: true, encrypt: true });
    const stored = rc.everything();
    await rc.expireSession(alice.context);
    const verdict = await rc.send(page);
    assert.equal(verdict.status, "error");
    assert.match(verdict.message, /session has expired/i);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(rc.everything(), stored, "nothing was delivered or stored");
    assert.equal(await page.inputValue("#compose-subject"), "After the session");
    await rc.signIn(page, ALICE); // for the tests after this one
  });

  test("a mail OpenSSL signs and encrypts, delivered by Postfix, reads as signed by Alice and encrypted", { timeout: 120_000 }, async () => {
    const content = join(work, "openssl-content.eml");
    writeFileSync(content, "Content-Type: text/plain; charset=utf-8\r\n\r\nWritten by OpenSSL, read by Siegel in Roundcube.\r\n");
    const signed = openssl(["cms", "-sign", "-in", content, "-signer", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key"), "-certfile", join(PKI, "intermediate.crt")]);
    const signedFile = join(work, "openssl-signed.eml");
    writeFileSync(signedFile, signed);
    const sealed = openssl(["cms", "-encrypt", "-in", signedFile, "-aes-256-cbc", "-from", ALICE, "-to", BOB, "-subject", "From OpenSSL", join(PKI, "bob.crt")]);
    await rc.deliver(BOB, sealed, ALICE);
    const reader = await rc.openMessage(bob.page, "From OpenSSL");
    const b = await banner(reader);
    assert.equal(b.verdict, "trusted", b.text);
    assert.match(b.text, /Signed by alice@example\.com: valid and trusted\. Encrypted \(AES-256-CBC — not integrity-protected\)\./);
    assert.match(await reader.locator("#text").textContent(), /Written by OpenSSL, read by Siegel in Roundcube\./);
  });

  describe("EFAIL and spoofing mails, delivered by SMTP and read through Roundcube", () => {
    let listener;
    let leaks = [];
    before(async () => {
      listener = createServer((req, res) => {
        leaks.push(req.url);
        res.end();
      });
      await new Promise((resolve, reject) => listener.once("error", reject).listen(8599, "127.0.0.1", resolve));
    });
    after(() => listener?.close());

    const read = async (subject, file) => {
      await rc.deliver(BOB, readFileSync(join(ATTACKS, file)));
      return rc.openMessage(bob.page, subject);
    };

    test("EFAIL direct exfiltration: not decrypted, nothing leaks, no plaintext", { timeout: 60_000 }, async () => {
      leaks = [];
      const reader = await read("EFAIL direct", "efail-direct.eml");
      const b = await banner(reader);
      assert.equal(b.verdict, "unsigned");
      assert.match(b.text, /neither verified nor decrypted/);
      assert.ok(!(await reader.locator("body").evaluate((body) => body.outerHTML)).includes("launch code"));
      assert.ok(!(await roundcubeState(bob.page)).includes("launch code"));
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(leaks, [], "nothing may be fetched from the attacker's server");
    });

    test("CBC remote content: not integrity-protected, remote content blocked", { timeout: 60_000 }, async () => {
      leaks = [];
      const reader = await read("CBC remote content", "cbc-remote.eml");
      assert.match((await banner(reader)).text, /AES-256-CBC — not integrity-protected/);
      await reader.frameLocator("#html").locator("p").waitFor();
      assert.ok(!(await roundcubeState(bob.page)).includes("launch code"));
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(leaks, [], "nothing may be fetched from the attacker's server");
    });

    for (const [subject, file, verdict, reason] of [
      ["Two signers", "two-signers-untrusted.eml", "untrusted", /^Signed by alice@example\.com, alice@example\.com: valid, but not trusted: .*Untrusted Root/],
      ["One bad signature", "two-signers-one-invalid.eml", "invalid", /Invalid signature/],
      ["Not data", "econtent-type.eml", "invalid", /Invalid signature/],
      ["Partly signed", "partial-signed.eml", "unsigned", /^Not signed\. This mail contains signed or encrypted parts/],
      ["Display name", "display-name.eml", "mismatch", /not by the sender: the sender's name shows alice@example\.com, but the mail is from carol@example\.com/],
      ["Encoded display name", "display-name-encoded.eml", "mismatch", /the sender's name shows alice@example\.com/],
      ["Two senders", "two-from.eml", "mismatch", /names 2 senders/],
      ["Wrong sender", "from-mismatch.eml", "mismatch", /the mail is from alice@example\.com, but the certificate is for carol@example\.com/],
      ["No email in certificate", "no-email-signer.eml", "mismatch", /the certificate names no email address/],
      ["From the future", "future-signing-time.eml", "untrusted", /2099-01-01T00:00:00Z, which is in the future/],
    ]) {
      test(`${subject}: ${verdict}, as in the demo webmail`, { timeout: 60_000 }, async () => {
        const b = await banner(await read(subject, file));
        assert.equal(b.verdict, verdict, b.text);
        assert.match(b.text, reason);
      });
    }

    test("AES-GCM with a flipped bit: the error shows in the reader frame, which looks to Roundcube as any other", { timeout: 60_000 }, async () => {
      await rc.deliver(BOB, readFileSync(join(ATTACKS, "gcm-flipped.eml")));
      const reader = await rc.openMessage(bob.page, "GCM flipped");
      const b = await banner(reader);
      assert.equal(b.verdict, "error");
      assert.match(b.text, /decrypt|changed|damaged/i);
      // What Roundcube's page sees: the same frame, with the same attributes and size, as for a mail that decrypts.
      const seen = await rc.previewFrame(bob.page).evaluate(() => {
        const f = document.querySelector("iframe[data-siegel-reader]");
        return { attributes: f.getAttributeNames().sort(), style: f.getAttribute("style"), height: f.getBoundingClientRect().height };
      });
      await rc.openMessage(bob.page, "From OpenSSL");
      const good = await rc.previewFrame(bob.page).evaluate(() => {
        const f = document.querySelector("iframe[data-siegel-reader]");
        return { attributes: f.getAttributeNames().sort(), style: f.getAttribute("style"), height: f.getBoundingClientRect().height };
      });
      assert.deepEqual(seen, good);
    });

    test("unsigned HTML imitating Siegel's banner: a 'Not signed' note, no reader", { timeout: 60_000 }, async () => {
      await rc.deliver(BOB, readFileSync(join(ATTACKS, "fake-banner.eml")));
      await rc.click(bob.page, "Fake banner");
      await waitForNote(bob.page, /^Not signed\.$/);
      assert.equal(await rc.previewFrame(bob.page).locator("iframe[data-siegel-reader]").count(), 0);
    });
  });

  describe("the plugin refuses what is not the signed-in user's own message", () => {
    /** A Roundcube session over HTTP: the login form, then the request token from the mail page. */
    async function session(user) {
      let cookies = new Map();
      const keep = (r) => {
        for (const c of r.headers.getSetCookie()) {
          const [pair] = c.split(";");
          const [k, v] = pair.split("=");
          if (v === "-del-" || v === "") cookies.delete(k);
          else cookies.set(k, v);
        }
      };
      const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      let r = await fetch(rc.url, { redirect: "manual" });
      keep(r);
      const token = /name="_token" value="([^"]+)"/.exec(await r.text())[1];
      r = await fetch(`${rc.url}?_task=login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookie() },
        body: new URLSearchParams({ _task: "login", _action: "login", _token: token, _user: user, _pass: PASSWORD, _timezone: "UTC" }),
      });
      keep(r);
      assert.equal(r.status, 302, "signed in");
      r = await fetch(`${rc.url}?_task=mail`, { headers: { cookie: cookie() } });
      keep(r);
      const requestToken = /"request_token":"([^"]+)"/.exec(await r.text())[1];
      return { cookie, requestToken };
    }

    const message = (from, to) =>
      `From: ${from}\r\nTo: ${to}\r\nSubject: Plugin check\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello.\r\n`;

    async function post(s, body, headers = {}) {
      const r = await fetch(`${rc.url}?_task=mail&_action=plugin.siegel-send`, {
        method: "POST",
        headers: { "content-type": "message/rfc822", cookie: s.cookie(), "x-roundcube-request": s.requestToken, ...headers },
        body,
      });
      return { status: r.status, body: await r.json() };
    }

    test("without the request token, with another user's From, or to an unknown recipient: refused, nothing delivered", { timeout: 60_000 }, async () => {
      const s = await session(ALICE);
      const stored = rc.everything();
      let r = await post(s, message(ALICE, BOB), { "x-roundcube-request": "wrong" });
      assert.equal(r.status, 403);
      assert.match(r.body.error, /security token/);
      r = await post(s, message(`Bob <${BOB}>`, CAROL));
      assert.equal(r.status, 403);
      assert.match(r.body.error, /bob@example\.com is not one of your identities/);
      // From tricks on the user's own address: a display name that is an address, two mailboxes, a group.
      for (const from of [`"ceo@bank.example" <${ALICE}>`, `<ceo@bank.example> <${ALICE}>`, `friends: ${ALICE};`, `${ALICE}, ${BOB}`]) {
        r = await post(s, message(from, CAROL));
        assert.equal(r.status, 400, from);
        assert.match(r.body.error, /exactly one From address/);
      }
      r = await post(s, message(ALICE, "nobody@example.com"));
      assert.equal(r.status, 502);
      assert.match(r.body.error, /did not accept/);
      r = await post(s, "not a message at all");
      assert.equal(r.status, 400);
      // SMTP smuggling: a bare CR or LF that the SMTP library would turn into CRLF after dot-stuffing.
      for (const eol of ["\r", "\n"]) {
        const smuggled = `${message(ALICE, BOB)}${eol}.${eol}MAIL FROM:<ceo@example.com>${eol}RCPT TO:<${CAROL}>${eol}DATA${eol}From: ceo@example.com${eol}${eol}Pay now.${eol}.${eol}`;
        r = await post(s, smuggled);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.match(r.body.error, /CRLF line ends only/);
      }
      assert.deepEqual(rc.everything(), stored, "nothing was delivered or stored");
      // And the same request done right is delivered, byte for byte after Postfix's and Dovecot's headers.
      const before = rc.stored(CAROL).length;
      const good = message(ALICE, CAROL);
      r = await post(s, good);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.recipients, [CAROL]);
      const [file] = (await rc.waitForStored(CAROL, before + 1)).filter((f) => readFileSync(f, "latin1").includes(good.split("\r\n")[3]));
      assert.ok(readFileSync(file, "latin1").endsWith(good), "the bytes arrived unchanged");
    });

    test("siegel-raw serves the stored bytes only with the token", { timeout: 60_000 }, async () => {
      const s = await session(CAROL);
      const list = await fetch(`${rc.url}?_task=mail&_action=plugin.siegel-raw&_uid=1&_mbox=INBOX`, { headers: { cookie: s.cookie() } });
      assert.equal(list.status, 403);
      const r = await fetch(`${rc.url}?_task=mail&_action=plugin.siegel-raw&_uid=1&_mbox=INBOX`, { headers: { cookie: s.cookie(), "x-roundcube-request": s.requestToken } });
      assert.equal(r.status, 200);
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.ok(rc.stored(CAROL).some((f) => readFileSync(f).equals(bytes)), "the same bytes as Dovecot stored");
    });
  });
});
