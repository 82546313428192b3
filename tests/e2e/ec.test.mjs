// EC identities in the extension: Erin (P-256) imports her .p12 and sees its key type, signs and encrypts a
// mail to Frank (P-384) and Bob (RSA) together in the demo webmail; OpenSSL opens what landed with each key;
// Frank and Bob read it in Siegel's reader, signed and trusted. Then Frank (P-384, ECDSA) answers Erin.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PKI, buildExtension, compose, launchWithExtension, send, setUp, signIn, startWebmail } from "./harness.mjs";

const LINE = "Curves are fine for mail: 0451.";
const work = mkdtempSync(join(tmpdir(), "siegel-ec-"));
let webmail;
let extension;
const browsers = [];

const files = (dir) => readdirSync(dir).map((f) => join(dir, f));
const inbox = (user) => files(join(webmail.data, user, "INBOX", "new"));

async function browserFor(user, p12, contacts) {
  const b = await launchWithExtension(extension);
  const options = await setUp(b, {
    p12: join(PKI, p12),
    trust: [join(PKI, "chain.pem")],
    contacts: contacts.map((c) => ({ file: join(PKI, c), email: c.replace(".crt", "@example.com") })),
  });
  const one = { ...b, options, page: await signIn(b, webmail.base, user) };
  browsers.push(one);
  return one;
}

async function openMessage(page, subject) {
  await page.goto(`${webmail.base}/#/folder/INBOX`);
  await page.reload();
  await page.locator("#message-list .message-row", { hasText: subject }).first().click();
  await page.locator("iframe[data-siegel-reader]").waitFor({ timeout: 30_000 });
  const reader = page.frameLocator("iframe[data-siegel-reader]");
  await reader.locator("body[data-ready], #banner[data-verdict=error]").first().waitFor({ timeout: 30_000 });
  return reader;
}

function openssl(args) {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
}

describe("EC identities (P-256, P-384) through the extension", () => {
  before(async () => {
    extension = buildExtension();
    webmail = await startWebmail(["erin@example.com", "frank@example.com", "bob@example.com"]);
  });

  after(async () => {
    for (const b of browsers) await b.close();
    webmail?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("Erin (P-256) signs and encrypts to Frank (P-384) and Bob (RSA); OpenSSL and both readers agree", { timeout: 240_000 }, async () => {
    const erin = await browserFor("erin@example.com", "erin.p12", ["frank.crt", "bob.crt"]);
    // The options page names the key type of her identity.
    assert.match(await erin.options.locator("body").textContent(), /EC P-256/);
    await compose(erin.page, webmail.base, { to: "Frank <frank@example.com>, bob@example.com", subject: "Curves", body: `Hi,\n${LINE}\nErin`, sign: true, encrypt: true });
    assert.deepEqual(await send(erin.page), { status: "sent" });

    // What landed for Frank: AuthEnvelopedData with an ECDH recipient for each EC key, opened by OpenSSL with
    // Frank's P-384 key and with Bob's RSA key; inside, Erin's ECDSA signature verifies.
    const [raw] = inbox("frank@example.com");
    const mail = readFileSync(raw);
    assert.match(mail.toString("latin1"), /smime-type=authEnveloped-data/);
    assert.ok(!mail.includes(Buffer.from("0451")), "no plaintext stored");
    const file = join(work, "curves.eml");
    writeFileSync(file, mail);
    for (const who of ["frank", "bob"]) {
      const inner = openssl(["cms", "-decrypt", "-in", file, "-recip", join(PKI, `${who}.crt`), "-inkey", join(PKI, `${who}.key`)]);
      const innerFile = join(work, `inner-${who}.eml`);
      writeFileSync(innerFile, inner);
      const content = openssl(["cms", "-verify", "-in", innerFile, "-CAfile", join(PKI, "root.crt"), "-purpose", "smimesign"]);
      assert.match(content.toString(), /Curves are fine for mail/, who);
    }
    const printed = openssl(["cms", "-cmsout", "-print", "-inform", "SMIME", "-in", file]).toString();
    assert.match(printed, /dhSinglePass-stdDH-sha384kdf-scheme/, "an ECDH recipient for Frank's P-384 key");

    for (const [who, p12] of [["frank", "frank.p12"], ["bob", "bob.p12"]]) {
      const reader = await openMessage((await browserFor(`${who}@example.com`, p12, ["erin.crt"])).page, "Curves");
      assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "trusted", who);
      assert.match(await reader.locator("#banner-text").textContent(), /^Signed by erin@example\.com: valid and trusted\. Encrypted \(AES-256-GCM\)\.$/);
      assert.match(await reader.locator("#text").textContent(), /Curves are fine for mail: 0451\./);
    }
  });

  test("Frank (P-384) answers Erin signed and encrypted; Erin (P-256) reads it", { timeout: 180_000 }, async () => {
    const frank = browsers[1];
    const page = await signIn(frank, webmail.base, "frank@example.com");
    await compose(page, webmail.base, { to: "erin@example.com", subject: "Re: Curves", body: "Agreed, on P-384.", sign: true, encrypt: true });
    assert.deepEqual(await send(page), { status: "sent" });
    const reader = await openMessage(browsers[0].page, "Re: Curves");
    assert.equal(await reader.locator("#banner").getAttribute("data-verdict"), "trusted");
    assert.match(await reader.locator("#banner-text").textContent(), /^Signed by frank@example\.com: valid and trusted\. Encrypted/);
    assert.match(await reader.locator("#text").textContent(), /Agreed, on P-384\./);
  });
});
