// Cipher negotiation (RFC 8551 section 2.7.1). First unit tests of the extension's choice
// (extension/lib/negotiate.js, pure: no browser needed; here because `node --test` in tests/e2e is how the
// extension's JavaScript is tested). Then end to end in the demo webmail: Carol writes from OpenSSL, whose
// signed mail announces AES-CBC only; once Alice has read it, Siegel's editor says AES-256-CBC for Carol before
// Send, the mail Carol receives is EnvelopedData with AES-256-CBC that OpenSSL opens with Carol's key, and
// Alice's Sent copy says so in its details; Bob, of whom only a certificate file is known, still gets
// AES-256-GCM, and Bob and Carol together get AES-256-CBC.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chooseCipher } from "../../extension/lib/negotiate.js";
import { PKI, buildExtension, compose, editorOf, send } from "./harness.mjs";
import { Webmail, files, waitForContact } from "./mail-harness.mjs";

const ALL = ["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"];
const SIEGEL = ["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc", "1.2.840.113549.1.1.7", "1.2.840.113549.1.1.1"];
// What `openssl cms -sign` announces (and, like it, NSS without AuthEnvelopedData): CBC only.
const CBC_ONLY = ["aes-256-cbc", "aes-192-cbc", "aes-128-cbc", "1.2.840.113549.3.7", "1.2.840.113549.3.2"];

test("every recipient announces AES-GCM: AES-256-GCM", () => {
  const c = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "bob@example.com", capabilities: SIEGEL }, { email: "dave@example.com", capabilities: ["aes-256-gcm"] }] });
  assert.equal(c.cipher, "aes-256-gcm");
  assert.equal(c.reason, "announced");
  assert.deepEqual(c.limiting, []);
});

test("one recipient announces only AES-CBC: AES-256-CBC for all, naming them", () => {
  const c = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "bob@example.com", capabilities: SIEGEL }, { email: "carol@example.com", capabilities: CBC_ONLY }] });
  assert.equal(c.cipher, "aes-256-cbc");
  assert.equal(c.reason, "downgraded");
  assert.deepEqual(c.limiting, ["carol@example.com"]);
  assert.equal(c.missing, "AES-GCM");
  assert.deepEqual(c.announced, { "carol@example.com": ["aes-256-cbc", "aes-128-cbc"] });
});

test("AES-128-CBC only when that is all a recipient reads; AES-128-GCM before any CBC", () => {
  assert.equal(chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "x@example.com", capabilities: ["aes-128-cbc"] }] }).cipher, "aes-128-cbc");
  const c = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "x@example.com", capabilities: ["aes-128-gcm", "aes-256-cbc"] }] });
  assert.equal(c.cipher, "aes-128-gcm");
  assert.equal(c.missing, "AES-256-GCM");
});

test("policy forbids CBC and a recipient reads only CBC: no cipher, naming the recipient", () => {
  const c = chooseCipher({ allowed: ["aes-256-gcm", "aes-128-gcm"], negotiate: true, recipients: [{ email: "bob@example.com", capabilities: SIEGEL }, { email: "carol@example.com", capabilities: CBC_ONLY }] });
  assert.equal(c.cipher, null);
  assert.equal(c.reason, "no-common-cipher");
  assert.deepEqual(c.limiting, ["carol@example.com"]);
});

test("recipients that can each be served but not together: no cipher, naming both", () => {
  const c = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "a@example.com", capabilities: ["aes-256-gcm"] }, { email: "b@example.com", capabilities: ["aes-128-cbc"] }] });
  assert.equal(c.cipher, null);
  assert.deepEqual(c.limiting, ["a@example.com", "b@example.com"]);
});

test("negotiation disabled: the configured cipher, whatever recipients announce", () => {
  const c = chooseCipher({ allowed: ["aes-128-gcm", "aes-256-cbc"], negotiate: false, recipients: [{ email: "carol@example.com", capabilities: CBC_ONLY }] });
  assert.equal(c.cipher, "aes-128-gcm");
  assert.equal(c.reason, "configured");
});

test("nothing known of a recipient: the first allowed cipher (RFC 8551 2.7.1.3), naming them as unknown", () => {
  const c = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "new@example.com", capabilities: null }, { email: "bob@example.com", capabilities: SIEGEL }] });
  assert.equal(c.cipher, "aes-256-gcm");
  assert.equal(c.reason, "announced");
  assert.deepEqual(c.unknown, ["new@example.com"]);
  // A known CBC-only recipient still limits the message; the unknown one does not.
  const d = chooseCipher({ allowed: ALL, negotiate: true, recipients: [{ email: "new@example.com", capabilities: null }, { email: "carol@example.com", capabilities: CBC_ONLY }] });
  assert.equal(d.cipher, "aes-256-cbc");
  assert.deepEqual(d.limiting, ["carol@example.com"]);
});

test("the allow-list's order is the preference, and unknown names in it are ignored", () => {
  const c = chooseCipher({ allowed: ["aes-192-gcm", "aes-256-cbc", "aes-256-gcm"], negotiate: true, recipients: [{ email: "bob@example.com", capabilities: SIEGEL }] });
  assert.equal(c.cipher, "aes-256-cbc");
  assert.equal(chooseCipher({ allowed: ["des-cbc"], negotiate: true, recipients: [] }).reason, "no-allowed-cipher");
});

describe("negotiation in the demo webmail: a recipient who announces only AES-CBC", () => {
  const ALICE = "alice@example.com";
  const CAROL = "carol@example.com";
  const work = mkdtempSync(join(tmpdir(), "siegel-negotiate-"));
  let webmail;
  let alice;
  const openssl = (args, input) => execFileSync("openssl", args, { input, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });

  before(async () => {
    const extension = buildExtension();
    webmail = await Webmail.start();
    alice = await webmail.browserFor(extension, ALICE, { p12: "alice.p12", contacts: ["bob.crt"] });
  });

  after(async () => {
    await alice?.close();
    webmail?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /**
   * Fills a compose view to `to` with encryption on; returns, once shown, Siegel's note on the cipher (in its
   * editor frame) and the cipher it names first ("aes-256-cbc"; "" when it names none).
   */
  async function cipherFor(to, subject) {
    await compose(alice.page, webmail.base, { to, subject, body: "Which cipher?", sign: true, encrypt: true });
    const shown = editorOf(alice.page).locator("#cipher:not([hidden])");
    await shown.waitFor({ timeout: 15_000 });
    const note = await shown.textContent();
    return { cipher: /^(AES-\d+-(?:GCM|CBC))\b/.exec(note)?.[1].toLowerCase() ?? "", note };
  }

  test("Carol's OpenSSL mail teaches Alice that Carol reads AES-CBC only; Alice's mail to her is AES-256-CBC", { timeout: 240_000 }, async () => {
    // Carol's signed mail, written by OpenSSL: its SMIMECapabilities name AES-CBC (and older ciphers), no GCM.
    const body = "Content-Type: text/plain\r\n\r\nI read CBC only, like NSS 3.87.\r\n";
    const signed = openssl(["cms", "-sign", "-signer", join(PKI, "carol.crt"), "-inkey", join(PKI, "carol.key"), "-from", CAROL, "-to", ALICE, "-subject", "From OpenSSL"], body);
    const printed = openssl(["cms", "-cmsout", "-print", "-inform", "SMIME"], signed).toString();
    assert.match(printed, /aes-256-cbc/);
    assert.doesNotMatch(printed, /gcm/i);

    // Before Alice has read it, Carol is not even a contact: Siegel's editor says so, and names no cipher.
    const early = await cipherFor(CAROL, "Too early");
    assert.equal(early.cipher, "");
    assert.match(early.note, /No certificate for carol@example\.com yet/);
    assert.doesNotMatch(early.note, /AES/);

    webmail.deliver(ALICE, signed);
    const reader = await webmail.openMessage(alice.page, "From OpenSSL");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "trusted");
    // Once the reader has been on screen for a moment, Carol's certificate is Alice's contact.
    await waitForContact(alice, CAROL);

    // Now Siegel's editor says, before Send, that Carol gets AES-256-CBC and why.
    const toCarol = await cipherFor(CAROL, "To a CBC reader");
    assert.equal(toCarol.cipher, "aes-256-cbc");
    assert.match(toCarol.note, /AES-256-CBC/);
    assert.match(toCarol.note, /carol@example\.com/);
    assert.match(toCarol.note, /AES-GCM/);
    assert.deepEqual(await send(alice.page), { status: "sent" });

    // What Carol received: EnvelopedData (not AuthEnvelopedData) with AES-256-CBC, which OpenSSL opens with
    // her key, and Alice's signature inside.
    const mine = files(webmail.inbox(CAROL)).map((f) => readFileSync(f)).filter((m) => m.includes(Buffer.from("To a CBC reader")));
    assert.equal(mine.length, 1);
    const mail = mine[0];
    assert.match(mail.toString("latin1"), /smime-type=enveloped-data/);
    const file = join(work, "to-carol.eml");
    writeFileSync(file, mail);
    assert.match(openssl(["cms", "-cmsout", "-print", "-inform", "SMIME", "-in", file]).toString(), /contentEncryptionAlgorithm:\s+algorithm: aes-256-cbc/);
    const inner = openssl(["cms", "-decrypt", "-in", file, "-recip", join(PKI, "carol.crt"), "-inkey", join(PKI, "carol.key")]);
    const verified = openssl(["cms", "-verify", "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"], inner);
    assert.match(verified.toString(), /Which cipher\?/);

    // Alice's Sent copy says which cipher it went with, in the reader's banner and details.
    await alice.page.goto(`${webmail.base}/#/folder/Sent`);
    await alice.page.reload();
    await alice.page.locator("#message-list .message-row", { hasText: "To a CBC reader" }).first().click();
    await alice.page.locator("iframe[data-siegel-reader]").waitFor({ timeout: 30_000 });
    const sent = alice.page.frameLocator("iframe[data-siegel-reader]");
    await sent.locator("body[data-ready]").waitFor({ timeout: 30_000 });
    assert.match(await sent.locator("#banner-text").textContent(), /Encrypted \(AES-256-CBC — not integrity-protected\)/);
    assert.match(await sent.locator("body").textContent(), /AES-256-CBC/);
  });

  test("Bob, known only by his certificate file, gets AES-256-GCM; Bob and Carol together get AES-256-CBC", { timeout: 180_000 }, async () => {
    const toBob = await cipherFor("bob@example.com", "To Bob");
    assert.equal(toBob.cipher, "aes-256-gcm");
    assert.match(toBob.note, /bob@example\.com/, "the editor names whom nothing is known of");
    const both = await cipherFor(`bob@example.com, ${CAROL}`, "To both");
    assert.equal(both.cipher, "aes-256-cbc");
    assert.match(both.note, /carol@example\.com/);
    assert.deepEqual(await send(alice.page), { status: "sent" });
    const [toBoth] = files(webmail.inbox("bob@example.com")).map((f) => readFileSync(f)).filter((m) => m.includes(Buffer.from("To both")));
    assert.match(toBoth.toString("latin1"), /smime-type=enveloped-data/);
  });
});
