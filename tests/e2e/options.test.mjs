// The unpacked extension's options page in real Chromium: importing a .p12 through the real file input,
// the identity's details, lock and unlock, a wrong passphrase, bad files, and the key store at rest; the
// toolbar popup, which unlocks too and says why Siegel locked itself.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXTENSION, P12, PASSPHRASE, PKI, buildExtension, launchWithExtension, pemBody } from "./harness.mjs";

const EN = JSON.parse(readFileSync(join(EXTENSION, "_locales", "en", "messages.json"), "utf8"));

describe("options page", () => {
  let browser;
  let page;

  before(async () => {
    browser = await launchWithExtension(buildExtension());
    page = await browser.context.newPage();
    await page.goto(`chrome-extension://${browser.extensionId}/options/options.html`);
    await page.locator("body[data-ready]").waitFor();
  });
  after(async () => browser?.close());

  async function importFile(path, password, passphrase) {
    await page.setInputFiles("#import-file", path);
    await page.fill("#import-password", password);
    if (passphrase !== undefined && (await page.locator("#new-passphrase").isVisible())) {
      await page.fill("#import-passphrase", passphrase);
      await page.fill("#import-passphrase2", passphrase);
    }
    await page.click("#import-button");
    await page.waitForFunction(() => {
      const text = document.querySelector("#import-message").textContent;
      return !document.querySelector("#import-form").dataset.busy && text && !text.endsWith("…");
    });
    return page.locator("#import-message").textContent();
  }

  const identities = () => page.locator("#identity-list > li").count();

  test("a corrupt .p12 is refused with a clear message, and nothing is stored", async () => {
    const message = await importFile(join(PKI, "alice.crt"), "secret", PASSPHRASE);
    assert.match(message, /not a valid \.p12|damaged/i);
    assert.equal(await identities(), 0);
    assert.equal(await page.locator("#new-passphrase").isVisible(), true, "no vault was created");
  });

  test("a .p12 without a private key is refused", async () => {
    const message = await importFile(join(P12, "certsonly.p12"), "secret", PASSPHRASE);
    assert.match(message, /no private key/i);
    assert.equal(await identities(), 0);
  });

  test("a wrong .p12 password is refused", async () => {
    const message = await importFile(join(PKI, "alice.p12"), "wrong", PASSPHRASE);
    assert.match(message, /password .* wrong/i);
    assert.equal(await identities(), 0);
  });

  test("a .p12 whose only certificate has expired cannot start an identity", async () => {
    const message = await importFile(join(PKI, "expired.p12"), "secret", PASSPHRASE);
    assert.match(message, /expired/i);
    assert.equal(await identities(), 0);
  });

  test("importing Alice's .p12 lists her identity with its details", async () => {
    const message = await importFile(join(PKI, "alice.p12"), "secret", PASSPHRASE);
    assert.match(message, /Imported alice@example\.com/);
    assert.equal(await identities(), 1);
    const card = page.locator("#identity-list > li").first();
    const text = await card.textContent();
    for (const expected of ["alice@example.com", "CN=Alice", "Siegel Test Issuing CA", "SHA-256 fingerprint", "Valid until"]) {
      assert.ok(text.includes(expected), `${expected} in ${text}`);
    }
    const serial = execFileSync("openssl", ["x509", "-in", join(PKI, "alice.crt"), "-noout", "-serial"], { encoding: "utf8" });
    assert.ok(text.toLowerCase().includes(serial.trim().split("=")[1].toLowerCase()), `the serial number in ${text}`);
    assert.equal(await page.locator("#lock-state").textContent(), "Unlocked");
  });

  test("the key store holds no plaintext key, no .p12 and no password", async () => {
    const records = await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const req = indexedDB.open("siegel");
          req.onsuccess = () => {
            const get = req.result.transaction("identities").objectStore("identities").getAll();
            get.onsuccess = () => resolve(JSON.stringify(get.result));
            get.onerror = () => reject(get.error);
          };
          req.onerror = () => reject(req.error);
        }),
    );
    const key = pemBody(join(PKI, "alice.key"));
    const p12 = readFileSync(join(PKI, "alice.p12"));
    assert.ok(records.includes('"secrets"'), "the secret is stored, encrypted");
    for (const [name, needle] of [
      ["the PKCS#8 key (base64)", key.toString("base64").slice(0, 64)],
      ["the PKCS#8 key (hex)", key.toString("hex").slice(0, 64)],
      ["the .p12 (base64)", p12.toString("base64").slice(0, 64)],
      ["the .p12 password", '"secret"'],
      ["the passphrase", PASSPHRASE],
    ]) {
      assert.ok(!records.includes(needle), `${name} must not be in IndexedDB`);
    }
    // Nor in chrome.storage.
    const storage = await page.evaluate(async () => JSON.stringify(await chrome.storage.local.get(null)));
    assert.ok(!storage.includes(key.toString("base64").slice(0, 64)) && !storage.includes(PASSPHRASE));
  });

  test("lock, a wrong passphrase, then unlock", async () => {
    await page.click("#lock-button");
    await page.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "locked");
    await page.fill("#unlock-passphrase", "not the passphrase");
    await page.click("#unlock-form button[type=submit]");
    await page.waitForFunction(() => /wrong/i.test(document.querySelector("#unlock-message").textContent));
    // A clear sentence from the locale (locales.test.mjs checks it translated), not an exception or a stack.
    assert.equal(await page.locator("#unlock-message").textContent(), EN.error_wrong_passphrase.message);
    assert.equal(await page.locator("#lock-state").getAttribute("data-state"), "locked");
    assert.equal(await page.inputValue("#unlock-passphrase"), "", "the wrong passphrase is not left in the field");
    // Nothing was unlocked: the service worker itself says so.
    const status = await page.evaluate(() => chrome.runtime.sendMessage({ op: "status" }));
    assert.equal(status.result.unlocked, false);
    // While locked, importing more is refused before anything is stored.
    const message = await importFile(join(PKI, "bob.p12"), "secret");
    assert.match(message, /locked/i);
    assert.equal(await identities(), 1);
    await page.fill("#unlock-passphrase", PASSPHRASE);
    await page.click("#unlock-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
  });

  test("an older .p12 of the same person joins the identity's encryption history", async () => {
    const message = await importFile(join(PKI, "bob.p12"), "secret");
    assert.match(message, /Imported bob@example\.com/);
    const older = await importFile(join(PKI, "bob-old.p12"), "secret");
    assert.match(older, /Imported bob@example\.com/);
    assert.equal(await identities(), 2);
    const bob = page.locator("#identity-list > li", { hasText: "bob@example.com" });
    assert.equal(await bob.locator(".cert").count(), 2);
    assert.match(await bob.textContent(), /encryption history/);
  });

  test("the public certificate can be exported", async () => {
    const alice = page.locator("#identity-list > li", { hasText: "alice@example.com" });
    const [download] = await Promise.all([page.waitForEvent("download"), alice.getByRole("button", { name: "Export certificate" }).click()]);
    assert.equal(download.suggestedFilename(), "alice@example.com.cer");
    const der = readFileSync(await download.path());
    assert.deepEqual(der, pemBody(join(PKI, "alice.crt")));
  });

  test("trusted CAs and contacts import from .pem and .p7b", async () => {
    await page.setInputFiles("#trust-file", join(PKI, "root.crt"));
    await page.waitForFunction(() => /1 added/.test(document.querySelector("#trust-message").textContent));
    // The message comes first; the list is rendered after it, by another call to the worker.
    await page.waitForFunction(() => /Siegel Test Root CA/.test(document.querySelector("#trust-list").textContent));
    assert.match(await page.locator("#trust-list").textContent(), /Siegel Test Root CA/);
    await page.setInputFiles("#contact-file", join(PKI, "carol.crt"));
    await page.waitForFunction(() => /1 added/.test(document.querySelector("#contact-message").textContent));
    await page.waitForFunction(() => /carol@example\.com/.test(document.querySelector("#contact-list").textContent));
    assert.match(await page.locator("#contact-list").textContent(), /carol@example\.com/);
  });

  test("a file dropped on the drop zone is imported", async () => {
    const p12 = readFileSync(join(PKI, "carol.p12")).toString("base64");
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "carol.p12", { type: "application/x-pkcs12" }));
      document.querySelector("#drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, p12);
    assert.equal(await page.locator("#import-file-name").textContent(), "carol.p12");
    await page.fill("#import-password", "secret");
    await page.click("#import-button");
    await page.waitForFunction(() => /Imported carol@example\.com/.test(document.querySelector("#import-message").textContent));
    // The message comes first; the list is rendered after it, while the form is still busy.
    await page.waitForFunction(() => !document.querySelector("#import-form").dataset.busy);
    assert.equal(await identities(), 3);
  });

  test("the popup shows the lock state and the active identity", async () => {
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.extensionId}/popup/popup.html`);
    await popup.waitForFunction(() => document.querySelector("#identity").textContent !== "");
    assert.equal(await popup.locator("#lock-state").textContent(), "Unlocked");
    assert.match(await popup.locator("#identity").textContent(), /Active identity: .+@example\.com/);
    await popup.click("#lock");
    await popup.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "locked");
    await popup.close();
    await page.reload();
    await page.locator("body[data-ready]").waitFor();
    assert.equal(await page.locator("#lock-state").getAttribute("data-state"), "locked");
  });

  test("the popup unlocks with the passphrase, and says why Siegel locked itself", async () => {
    const popup = await browser.context.newPage();
    const open = async () => {
      await popup.goto(`chrome-extension://${browser.extensionId}/popup/popup.html`);
      await popup.waitForFunction(() => document.querySelector("#identity").textContent !== "");
    };
    const submit = async (passphrase) => {
      await popup.fill("#passphrase", passphrase);
      await popup.click("#unlock-form button[type=submit]");
    };
    await open();
    // Locked by the user (the test above): the popup asks for the passphrase, and gives no reason.
    assert.equal(await popup.locator("#lock-state").getAttribute("data-state"), "locked");
    assert.equal(await popup.locator("#unlock-form").isVisible(), true);
    assert.equal(await popup.locator("#lock-reason").isHidden(), true);
    // A wrong passphrase: a clear sentence, and still locked.
    await submit("not the passphrase");
    await popup.waitForFunction(() => /wrong/i.test(document.querySelector("#unlock-message").textContent));
    assert.equal(await popup.locator("#unlock-message").textContent(), EN.error_wrong_passphrase.message);
    assert.equal(await popup.locator("#lock-state").getAttribute("data-state"), "locked");
    // The passphrase unlocks; the field is emptied.
    await submit(PASSPHRASE);
    await popup.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
    assert.equal(await popup.locator("#lock-state").textContent(), "Unlocked");
    assert.equal(await popup.inputValue("#passphrase"), "");
    assert.equal(await popup.locator("#unlock-form").isHidden(), true);
    assert.equal(await popup.locator("#unlock-message").textContent(), "");
    assert.equal((await popup.evaluate(() => chrome.runtime.sendMessage({ op: "status" }))).result.unlocked, true, "the worker says so");

    // Unlocking armed auto-lock. Its deadline arrives (the test brings the alarm forward instead of waiting
    // autoLockMinutes): Siegel locks itself, and the popup says why.
    const armed = await popup.evaluate(() => chrome.alarms.get("siegel-autolock"));
    assert.ok(armed && armed.scheduledTime > Date.now(), "auto-lock is armed");
    await popup.evaluate(() => chrome.alarms.create("siegel-autolock", { when: Date.now() + 200 }));
    for (const until = Date.now() + 30_000; Date.now() < until; await popup.waitForTimeout(250)) {
      if (!(await popup.evaluate(() => chrome.runtime.sendMessage({ op: "status" }))).result.unlocked) break;
    }
    await open();
    assert.equal(await popup.locator("#lock-state").getAttribute("data-state"), "locked");
    assert.equal(await popup.locator("#lock-reason").isVisible(), true);
    assert.equal(await popup.locator("#lock-reason").textContent(), EN.lockedTimeout.message);
    // Unlocking again ends the reason.
    await submit(PASSPHRASE);
    await popup.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
    assert.equal(await popup.locator("#lock-reason").isHidden(), true);
    await open();
    assert.equal(await popup.locator("#lock-reason").isHidden(), true, "the reason is gone for good");
    // Locked by hand again, as the next test expects: no reason to give.
    await popup.click("#lock");
    await popup.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "locked");
    assert.equal(await popup.locator("#lock-reason").isHidden(), true);
    await popup.close();
    await page.reload();
    await page.locator("body[data-ready]").waitFor();
    assert.equal(await page.locator("#lock-state").getAttribute("data-state"), "locked");
  });

  test("the passphrase can be changed; the old one then no longer unlocks", async () => {
    const next = "a different long passphrase";
    await page.fill("#pp-current", "wrong passphrase!");
    await page.fill("#pp-new", next);
    await page.fill("#pp-new2", next);
    await page.click("#passphrase-form button[type=submit]");
    await page.waitForFunction(() => /wrong/i.test(document.querySelector("#passphrase-message").textContent));
    await page.fill("#pp-current", PASSPHRASE);
    await page.fill("#pp-new", next);
    await page.fill("#pp-new2", next);
    await page.click("#passphrase-form button[type=submit]");
    await page.waitForFunction(() => /changed/i.test(document.querySelector("#passphrase-message").textContent));
    await page.fill("#unlock-passphrase", PASSPHRASE);
    await page.click("#unlock-form button[type=submit]");
    await page.waitForFunction(() => /wrong/i.test(document.querySelector("#unlock-message").textContent));
    await page.fill("#unlock-passphrase", next);
    await page.click("#unlock-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
    // Every identity (three, one with a history of two keys) opened under the new passphrase.
    assert.equal(await identities(), 3);
  });

  test("settings are saved", async () => {
    await page.check("#settings-form input[name=alwaysSign]");
    await page.waitForFunction(() => /Saved/.test(document.querySelector("#settings-message").textContent));
    const stored = await page.evaluate(async () => (await chrome.storage.local.get("settings")).settings);
    assert.equal(stored.alwaysSign, true);
  });
});
