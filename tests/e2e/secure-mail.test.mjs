// The mission end to end: the extension installed in Chromium, the demo webmail on 127.0.0.1. Alice sends Bob
// a signed and encrypted mail with a 5 MB attachment; Bob reads it decrypted and verified in the extension's
// own frame, which the webmail page cannot read; OpenSSL agrees with what landed in Bob's Maildir. Sending
// fails closed without a recipient certificate; tampered, untrusted, mismatched and OpenSSL-written mail
// read as they should.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PKI, ROOT, buildExtension, compose, draftOf, editorOf, send } from "./harness.mjs";
import { Webmail, files, waitForContact } from "./mail-harness.mjs";

const SECRET_LINE = "The launch code is 0451 — keep it between us.";

let webmail;
let extension;
const work = mkdtempSync(join(tmpdir(), "siegel-secure-mail-"));

const inbox = (user) => webmail.inbox(user);
const sent = (user) => webmail.sent(user);
const deliver = (user, raw) => webmail.deliver(user, raw);
const browserFor = (user, setup) => webmail.browserFor(extension, user, setup);
const openMessage = (page, subject) => webmail.openMessage(page, subject);

function siegelCli(args, input) {
  return execFileSync(join(ROOT, "target", "debug", "siegel"), args, { input, env: { ...process.env, SIEGEL_PW: "secret" } });
}

describe("signed and encrypted mail through the webmail", () => {
  let alice;
  let bob;
  const attachment = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0, x = 7; i < attachment.length; i++) attachment[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;

  before(async () => {
    extension = buildExtension();
    webmail = await Webmail.start();
  });

  after(async () => {
    await alice?.close();
    await bob?.close();
    webmail?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("Alice sends Bob a signed and encrypted mail with a 5 MB attachment", { timeout: 180_000 }, async () => {
    alice = await browserFor("alice@example.com", { p12: "alice.p12", contacts: ["bob.crt"] });
    const { page } = alice;
    // The envelope in the webmail's fields; the text and the attachment in Siegel's editor.
    await compose(page, webmail.base, {
      to: "Bob <bob@example.com>",
      subject: "Launch plan",
      body: `Hi Bob,\n${SECRET_LINE}\nAlice`,
      files: [{ name: "plan.bin", mimeType: "application/octet-stream", buffer: attachment }],
      sign: true,
      encrypt: true,
    });
    // Siegel's frame shows what it will send: the envelope, Bob's certificate (a contact), the attachment.
    const editor = editorOf(page);
    assert.equal(await editor.locator("#env-to").textContent(), "Bob <bob@example.com>");
    assert.equal(await editor.locator("#env-subject").textContent(), "Launch plan");
    await editor.locator("#recipients li.contact").waitFor();
    assert.equal(await editor.locator("#recipients li").textContent(), "bob@example.com: certificate from your contacts");
    assert.match(await editor.locator("#attachments").textContent(), /plan\.bin \(5,242,880 bytes\)/);
    // The webmail's page never had the text: its own editor is empty.
    assert.equal(await page.inputValue("#compose-body"), "");
    assert.ok(!(await page.content()).includes("launch code"), "the text is not in the webmail's DOM");

    // Siegel's status line says it is sealing while it does; the webmail shows its Sent folder once the
    // extension hands it the sealed message.
    const sealing = editor.locator("#status", { hasText: /^Signing and encrypting/ }).waitFor({ timeout: 60_000 }).then(() => true, () => false);
    const outcome = await send(page, 120_000);
    assert.deepEqual(outcome, { status: "sent" });
    assert.ok(await sealing, "Siegel's status line said it was signing and encrypting");

    // Exactly one message in Bob's Inbox and one in Alice's Sent: S/MIME, not plaintext.
    const [delivered] = files(inbox("bob@example.com"));
    assert.equal(files(sent("alice@example.com")).length, 1);
    const raw = readFileSync(delivered);
    assert.match(raw.toString("latin1"), /Content-Type: application\/pkcs7-mime; smime-type=authEnveloped-data/);
    assert.ok(!raw.includes(Buffer.from("launch code")), "no plaintext in the Maildir");

    // OpenSSL decrypts it with Bob's key and verifies Alice's signature against the root.
    const signedFile = join(work, "signed.eml");
    const contentFile = join(work, "content.eml");
    execFileSync("openssl", ["cms", "-decrypt", "-in", delivered, "-recip", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key"), "-out", signedFile]);
    execFileSync("openssl", ["cms", "-verify", "-in", signedFile, "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign", "-out", contentFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const content = readFileSync(contentFile).toString("latin1");
    assert.match(content, /launch code is 0451/);
    assert.match(content, /filename="?plan\.bin"?/);
  });

  test("Bob reads it decrypted and verified, in a frame the webmail cannot read", { timeout: 120_000 }, async () => {
    bob = await browserFor("bob@example.com", { p12: "bob.p12" });
    const reader = await openMessage(bob.page, "Launch plan");
    const banner = await reader.locator("#banner-text").textContent();
    assert.match(banner, /Signed by alice@example\.com: valid and trusted\./);
    assert.match(banner, /Encrypted \(AES-256-GCM\)/);
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "trusted");
    assert.match(await reader.locator("#text").textContent(), /launch code is 0451/);
    assert.match(await reader.locator("#attachments").textContent(), /plan\.bin \(5,242,880 bytes\)/);

    // The page's own scripts see neither the decrypted text nor inside the frame.
    const seen = await bob.page.evaluate(() => {
      const frame = document.querySelector("iframe[data-siegel-reader]");
      let inside = "blocked";
      try {
        inside = frame.contentDocument ? frame.contentDocument.body.innerText : "blocked";
      } catch {
        inside = "blocked";
      }
      return { inside, page: document.documentElement.outerHTML };
    });
    assert.equal(seen.inside, "blocked");
    assert.ok(!seen.page.includes("launch code"), "the decrypted text is not in the webmail's DOM");

    // Alice's certificate came with her verified signature, once the reader had been on screen for a
    // moment: Bob can now encrypt to her.
    assert.match(await waitForContact(bob, "alice@example.com"), /alice@example\.com/);
  });

  test("encrypting to a recipient without a certificate sends nothing and keeps the draft", { timeout: 60_000 }, async () => {
    const { page } = alice;
    const before = { carol: files(inbox("carol@example.com")).length, sent: files(sent("alice@example.com")).length };
    await compose(page, webmail.base, { to: "bob@example.com, carol@example.com", subject: "For both of you", body: "Secret for two.", sign: true, encrypt: true });
    // Before Send, Siegel's frame says Carol has no certificate.
    const editor = editorOf(page);
    await editor.locator("#recipients li.none").waitFor();
    assert.match(await editor.locator("#recipients li.none").textContent(), /^carol@example\.com: no certificate/);
    const result = await send(page);
    assert.equal(result.status, "error");
    assert.match(result.message, /^No certificate for carol@example\.com\. .*or turn encryption off\.$/);
    assert.equal(await editor.locator("#status").getAttribute("class"), "error");
    // The draft is intact, nothing reached any Maildir.
    const draft = await draftOf(page);
    assert.equal(draft.to, "bob@example.com, carol@example.com");
    assert.equal(draft.editor, "siegel");
    assert.equal(draft.body, "Secret for two.");
    assert.equal(files(inbox("carol@example.com")).length, before.carol);
    assert.equal(files(inbox("bob@example.com")).length, 1);
    assert.equal(files(sent("alice@example.com")).length, before.sent);
    assert.match(page.url(), /#\/compose/);
  });

  test("a changed byte shows an invalid signature", { timeout: 60_000 }, async () => {
    const mail = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Tampered\r\n\r\nPay 100 EUR to Bob.\r\n";
    const signed = siegelCli(["sign", "--identity", join(PKI, "alice.p12"), "--password-env", "SIEGEL_PW"], mail).toString("latin1");
    deliver("bob@example.com", Buffer.from(signed.replace("Pay 100 EUR", "Pay 900 EUR"), "latin1"));
    const reader = await openMessage(bob.page, "Tampered");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "invalid");
    assert.match(await reader.locator("#banner-text").textContent(), /Invalid signature/);
  });

  test("mail signed under an untrusted CA shows not trusted", { timeout: 60_000 }, async () => {
    const mail = "From: Mallory <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Untrusted\r\n\r\nTrust me.\r\n";
    deliver("bob@example.com", siegelCli(["sign", "--identity", join(PKI, "mallory.p12"), "--password-env", "SIEGEL_PW"], mail));
    const reader = await openMessage(bob.page, "Untrusted");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "untrusted");
    assert.match(await reader.locator("#banner-text").textContent(), /not trusted/);
  });

  test("a From that differs from the certificate's address shows the mismatch", { timeout: 60_000 }, async () => {
    const mail = "From: Carol <carol@example.com>\r\nTo: bob@example.com\r\nSubject: Mismatch\r\n\r\nIt is me, Carol.\r\n";
    deliver("bob@example.com", siegelCli(["sign", "--identity", join(PKI, "alice.p12"), "--password-env", "SIEGEL_PW"], mail));
    const reader = await openMessage(bob.page, "Mismatch");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "mismatch");
    assert.match(await reader.locator("#banner-text").textContent(), /but not by the sender: the mail is from carol@example\.com, but the certificate is for alice@example\.com/);
  });

  test("mail written by openssl cms (signed, then encrypted for Bob) reads correctly", { timeout: 60_000 }, async () => {
    const entity = join(work, "entity.txt");
    writeFileSync(entity, "Content-Type: text/plain; charset=utf-8\r\n\r\nHallo Bob, von OpenSSL.\r\n");
    const signed = execFileSync("openssl", ["cms", "-sign", "-in", entity, "-signer", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key"),
      "-certfile", join(PKI, "intermediate.crt")]);
    const signedFile = join(work, "openssl-signed.eml");
    writeFileSync(signedFile, signed);
    const encrypted = execFileSync("openssl", ["cms", "-encrypt", "-aes-256-cbc", "-in", signedFile, join(PKI, "bob.crt")]);
    const headers = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: From OpenSSL\r\n";
    deliver("bob@example.com", Buffer.concat([Buffer.from(headers), encrypted]));
    const reader = await openMessage(bob.page, "From OpenSSL");
    const banner = await reader.locator("#banner-text").textContent();
    assert.match(banner, /Signed by alice@example\.com: valid and trusted\./);
    assert.match(banner, /AES-256-CBC/);
    assert.match(banner, /not integrity-protected/);
    assert.match(await reader.locator("#text").textContent(), /Hallo Bob, von OpenSSL\./);
  });
});
