// EFAIL (2018) and the signature spoofing of "Johnny, you are fired" (2019), against the extension's reading
// view in the demo webmail. The crafted mails are crate/tests/data/attacks/*.eml (make-attacks.py; the crate's
// tests/attacks.rs checks the core's side of each). Bob reads them; a listener on 127.0.0.1:8599, where their
// remote content points, must never be asked for anything; the plaintext never reaches the page; the banner
// (extension-owned, outside the mail's frame) and the toolbar badge (browser chrome) tell the truth.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXTENSION, ROOT, buildExtension, noteTexts, waitForNote } from "./harness.mjs";
import { Webmail } from "./mail-harness.mjs";

const ATTACKS = join(ROOT, "crate", "tests", "data", "attacks");
const EN = JSON.parse(readFileSync(join(EXTENSION, "_locales", "en", "messages.json"), "utf8"));
const SECRET = "The launch code is 0451-7781.";
const BOB = "bob@example.com";

let webmail;
let bob;
let leaks = [];
let listener;
/** What the page saw of Siegel's reader frame for a mail that decrypted (the CBC flip). */
let decrypting = null;

const banner = async (reader) => ({
  verdict: await reader.locator("#banner").getAttribute("data-verdict"),
  text: await reader.locator("#banner-text").textContent(),
});

/** Everything the webmail page's own DOM holds (the reader frame is another origin: not included). */
const pageText = (page) => page.evaluate(() => document.documentElement.outerHTML);

/**
 * Siegel's reader frame as the webmail page sees it: its attributes (the token in its address left out),
 * its size, and where it sits; plus whether the webmail's own rendering of the mail was hidden.
 */
const frameAsSeen = (page) =>
  page.evaluate(() => {
    const frame = document.querySelector("iframe[data-siegel-reader]");
    const attributes = Object.fromEntries([...frame.attributes].map((a) => [a.name, a.name === "src" ? a.value.replace(/#.*/, "#TOKEN") : a.value]));
    const { width, height } = frame.getBoundingClientRect();
    const hidden = [...document.querySelectorAll("article#message [data-webmail-body]")].map((el) => el.hidden);
    return { attributes, width, height, parent: frame.parentElement.id, siblings: frame.parentElement.children.length, hidden };
  });

/** The toolbar badge texts of every tab, read in the extension's worker. */
async function badges() {
  return bob.worker.evaluate(async () => {
    const tabs = await chrome.tabs.query({});
    return Promise.all(tabs.map((t) => chrome.action.getBadgeText({ tabId: t.id })));
  });
}

/**
 * The badge texts once `wanted(texts)` holds, or after 10 s as they are then. A reader's verdict may reach
 * the badge a moment after the frame is ready (once its reader has been seen).
 */
async function badgesWhen(wanted) {
  let texts = await badges();
  for (const until = Date.now() + 10_000; !wanted(texts) && Date.now() < until; texts = await badges()) await new Promise((r) => setTimeout(r, 200));
  return texts;
}

/**
 * Delivers `file` to Bob and opens it. Each S/MIME mail opened in Siegel's reader counts towards its limit per
 * tab and minute (extension/lib/reading.js LIMITS.opensPerMinute; past it the reader says "too-many-opens"):
 * this suite opens 20 in its first half minute or so, so a test that adds more must stay under the limit.
 */
async function read(subject, file) {
  webmail.deliver(BOB, readFileSync(join(ATTACKS, file)));
  return webmail.openMessage(bob.page, subject);
}

/** Waits a moment for any request the mail could still make, then asserts none reached the listener. */
async function assertNoLeak() {
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(leaks, [], "nothing may be fetched from the attacker's server");
}

describe("EFAIL and signature spoofing in the reading view", () => {
  before(async () => {
    listener = createServer((req, res) => {
      leaks.push(req.url);
      res.end();
    });
    await new Promise((resolve, reject) => listener.once("error", reject).listen(8599, "127.0.0.1", resolve));
    const extension = buildExtension();
    webmail = await Webmail.start();
    bob = await webmail.browserFor(extension, BOB, { p12: "bob.p12" });
  });

  after(async () => {
    await bob?.close();
    webmail?.stop();
    listener?.close();
  });

  test("EFAIL direct exfiltration: the encrypted part between attacker HTML is not decrypted, nothing leaks", { timeout: 60_000 }, async () => {
    leaks = [];
    const reader = await read("EFAIL direct", "efail-direct.eml");
    const b = await banner(reader);
    assert.equal(b.verdict, "unsigned");
    assert.match(b.text, /neither verified nor decrypted/);
    const frameText = await reader.locator("body").evaluate((body) => body.outerHTML);
    assert.ok(!frameText.includes("launch code"), `the reader shows no plaintext: ${frameText}`);
    assert.ok(!(await pageText(bob.page)).includes("launch code"), "the page holds no plaintext");
    await assertNoLeak();
  });

  test("CBC mail is marked not integrity-protected and its remote content stays blocked", { timeout: 60_000 }, async () => {
    leaks = [];
    const reader = await read("CBC remote content", "cbc-remote.eml");
    const b = await banner(reader);
    assert.match(b.text, /AES-256-CBC — not integrity-protected/);
    // The plaintext is in the reader's sandboxed frame, which the webmail page cannot read.
    const html = reader.frameLocator("#html");
    await html.locator("p").waitFor();
    assert.equal(await html.locator("p").textContent(), SECRET);
    assert.equal(await html.locator("meta[http-equiv=refresh], link, img[src^='http']").count(), 0, "nothing that fetches survives");
    assert.ok(!(await pageText(bob.page)).includes("launch code"), "the page holds no plaintext");
    await assertNoLeak();
  });

  test("CBC malleability: an IV flip still decrypts, and the mail is marked not integrity-protected", { timeout: 60_000 }, async () => {
    const reader = await read("CBC flipped", "cbc-flipped.eml");
    assert.match((await banner(reader)).text, /not integrity-protected/);
    // "Content-Type" became "Xontent-Type": the HTML arrives as plain text, shown as text.
    assert.match(await reader.locator("#text").textContent(), /<p>The launch code/);
    decrypting = await frameAsSeen(bob.page);
  });

  test("AES-GCM detects the same flip: an error in the reader, nothing shown, and the page sees the same frame", { timeout: 60_000 }, async () => {
    const reader = await read("GCM flipped", "gcm-flipped.eml");
    const b = await banner(reader);
    assert.equal(b.verdict, "error");
    assert.equal(b.text, EN.error_decryption_failed.message);
    // Nothing of the mail is shown.
    assert.equal(await reader.locator("#text").isHidden(), true);
    assert.equal(await reader.locator("#html").isHidden(), true);
    assert.equal(await reader.locator("#attachments li").count(), 0);
    assert.ok(!(await pageText(bob.page)).includes("launch code"), "the page holds no plaintext");
    // What the page sees is the same frame, of the same size, in the same place, as for the CBC mail above,
    // which decrypted.
    assert.ok(decrypting, "the CBC mail was read first");
    assert.deepEqual(await frameAsSeen(bob.page), decrypting);
    assert.deepEqual(await noteTexts(bob.page), [], "and no note beside it");
  });

  test("several signers: one untrusted signer makes the mail not trusted, and every signer is named", { timeout: 60_000 }, async () => {
    const b = await banner(await read("Two signers", "two-signers-untrusted.eml"));
    assert.equal(b.verdict, "untrusted");
    assert.match(b.text, /^Signed by alice@example\.com, alice@example\.com: valid, but not trusted: .*Untrusted Root/);
  });

  test("several signers, one signature broken: invalid", { timeout: 60_000 }, async () => {
    assert.equal((await banner(await read("One bad signature", "two-signers-one-invalid.eml"))).verdict, "invalid");
  });

  test("eContentType confusion: a genuine signature over non-mail content is invalid", { timeout: 60_000 }, async () => {
    const reader = await read("Not data", "econtent-type.eml");
    assert.equal((await banner(reader)).verdict, "invalid");
  });

  test("partial signing: a signed part inside an unsigned mail is not a signed mail", { timeout: 60_000 }, async () => {
    const b = await banner(await read("Partly signed", "partial-signed.eml"));
    assert.equal(b.verdict, "unsigned");
    assert.match(b.text, /^Not signed\. This mail contains signed or encrypted parts/);
  });

  test("signed mail forwarded inside unsigned mail: not signed, and the badge clears", { timeout: 60_000 }, async () => {
    // First a signed mail: the badge shows its verdict ...
    await webmail.openMessage(bob.page, "Two signers");
    const shown = await badgesWhen((b) => b.includes("?"));
    assert.ok(shown.includes("?"), `badges: ${shown}`);
    // ... which an unsigned mail clears.
    webmail.deliver(BOB, readFileSync(join(ATTACKS, "forwarded-signed.eml")));
    await webmail.click(bob.page, "Forwarded");
    await waitForNote(bob.page, /^Not signed\.$/);
    assert.equal(await bob.page.locator("iframe[data-siegel-reader]").count(), 0);
    assert.deepEqual([...new Set(await badges())], [""]);
  });

  for (const [subject, file, reason] of [
    ["Display name", "display-name.eml", /not by the sender: the sender's name shows alice@example\.com, but the mail is from carol@example\.com/],
    ["Encoded display name", "display-name-encoded.eml", /the sender's name shows alice@example\.com/],
    ["Two senders", "two-from.eml", /names 2 senders/],
    ["Wrong sender", "from-mismatch.eml", /the mail is from alice@example\.com, but the certificate is for carol@example\.com/],
    ["No email in certificate", "no-email-signer.eml", /the certificate names no email address/],
  ]) {
    test(`From tricks: ${subject}`, { timeout: 60_000 }, async () => {
      const b = await banner(await read(subject, file));
      assert.equal(b.verdict, "mismatch");
      assert.match(b.text, reason);
      const only = (b) => [...new Set(b)].filter(Boolean).join();
      assert.equal(only(await badgesWhen((b) => only(b) === "!")), "!");
    });
  }

  test("a signing time in the future is not trusted", { timeout: 60_000 }, async () => {
    const b = await banner(await read("From the future", "future-signing-time.eml"));
    assert.equal(b.verdict, "untrusted");
    assert.match(b.text, /2099-01-01T00:00:00Z, which is in the future/);
  });

  // The layering rules (README, "Attacks and defences"; crate/tests/attacks.rs "Wrapping").
  test("wrapping: Carol's signature around Alice's signed mail is not trusted, and the banner says why", { timeout: 60_000 }, async () => {
    const b = await banner(await read("Wrapped signature", "wrapped-signed.eml"));
    assert.equal(b.verdict, "wrapped");
    assert.match(b.text, /^Not trusted: this mail wraps a signed message inside another signature \(carol@example\.com \u2192 alice@example\.com\)/);
    assert.ok((await badgesWhen((b) => b.includes("!"))).includes("!"));
  });

  test("wrapping: a signature around a mail encrypted to Bob that holds Alice's signature is not trusted", { timeout: 60_000 }, async () => {
    const b = await banner(await read("Wrapped encrypted signed", "wrapped-encrypted-signed.eml"));
    assert.equal(b.verdict, "wrapped");
    assert.match(b.text, /carol@example\.com \u2192 alice@example\.com/);
  });

  test("wrapping: an encrypted part below two signatures is not decrypted, and no plaintext exists", { timeout: 60_000 }, async () => {
    const reader = await read("Encrypted under two signatures", "wrapped-twice-encrypted.eml");
    const b = await banner(reader);
    assert.equal(b.verdict, "error");
    assert.equal(b.text, EN.error_refused.message);
    assert.equal(await reader.locator("#text").isHidden(), true);
    assert.equal(await reader.locator("#html").isHidden(), true);
    assert.ok(!(await reader.locator("body").evaluate((body) => body.outerHTML)).includes("0451"), "the reader shows no plaintext");
    assert.ok(!(await pageText(bob.page)).includes("0451"));
  });

  test("wrapping: one signature over ciphertext leaves the content unsigned, and says who signed what", { timeout: 60_000 }, async () => {
    const reader = await read("Signed ciphertext", "signed-ciphertext.eml");
    const b = await banner(reader);
    assert.equal(b.verdict, "unsigned");
    assert.match(b.text, /^Not signed\. carol@example\.com signed only the encrypted form, which anyone can sign without reading it\. Encrypted \(AES-256-GCM\)\.$/);
  });

  test("PGP/MIME is named as OpenPGP, not shown as a broken S/MIME mail", { timeout: 60_000 }, async () => {
    webmail.deliver(BOB, readFileSync(join(ROOT, "crate", "tests", "data", "foreign", "pgp-mime-signed.eml")));
    await webmail.click(bob.page, "PGP signed");
    await waitForNote(bob.page, /OpenPGP/);
    assert.equal(await bob.page.locator("iframe[data-siegel-reader]").count(), 0);
    assert.deepEqual(await noteTexts(bob.page), [EN.readerOpenPgp.message], "that note alone, no error");
  });

  test("unsigned HTML imitating Siegel's banner gets no reader, a 'Not signed' note and no badge", { timeout: 60_000 }, async () => {
    await webmail.openMessage(bob.page, "Wrong sender");
    assert.ok((await badgesWhen((b) => b.includes("!"))).includes("!"));
    webmail.deliver(BOB, readFileSync(join(ATTACKS, "fake-banner.eml")));
    await webmail.click(bob.page, "Fake banner");
    await waitForNote(bob.page, /^Not signed\.$/);
    assert.equal(await bob.page.locator("iframe[data-siegel-reader]").count(), 0);
    assert.deepEqual([...new Set(await badges())], [""]);
    // The imitation is drawn by the webmail inside its own sandboxed mail frame, never in Siegel's place.
    const frame = bob.page.frameLocator("#message-html");
    assert.match(await frame.locator("#banner").textContent(), /valid and trusted/);
    assert.equal(await bob.page.locator("#banner").count(), 0);
  });
});
