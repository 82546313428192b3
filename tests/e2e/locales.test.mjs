// Every string a user sees is localised: each key the pages and workers use exists in every locale, with
// the same substitutions, and Chromium started in German, Polish and Chinese shows the translations
// (of the options page, and of an error the service worker reports: a wrong passphrase).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXTENSION, PASSPHRASE, PKI, buildExtension, launchWithExtension } from "./harness.mjs";

const LOCALES = ["en", "de", "pl", "zh_CN"];
const messages = Object.fromEntries(
  LOCALES.map((l) => [l, JSON.parse(readFileSync(join(EXTENSION, "_locales", l, "messages.json"), "utf8"))]),
);

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return ["wasm", "tools", "node_modules"].includes(e.name) ? [] : sources(p);
    return /\.(js|html|json)$/.test(e.name) && !p.includes("_locales") ? [p] : [];
  });
}

test("every key used by the extension exists in every locale, with the same placeholders", () => {
  const used = new Set();
  for (const file of sources(EXTENSION)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/data-i18n="([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/\bt\("([A-Za-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of text.matchAll(/__MSG_([A-Za-z0-9_]+)__/g)) used.add(m[1]);
  }
  assert.ok(used.size > 40, `found only ${used.size} keys`);
  for (const locale of LOCALES) {
    for (const key of used) assert.ok(messages[locale][key]?.message, `${locale} lacks ${key}`);
    assert.deepEqual(Object.keys(messages[locale]).sort(), Object.keys(messages.en).sort(), `${locale} has the English keys`);
    for (const [key, { message }] of Object.entries(messages[locale])) {
      const holes = (m) => [...m.matchAll(/\$\d/g)].map((x) => x[0]).sort().join();
      assert.equal(holes(message), holes(messages.en[key].message), `${locale}/${key} keeps its placeholders`);
    }
  }
});

test("Chromium in German, Polish and Chinese shows the options page translated", { timeout: 120_000 }, async () => {
  const path = buildExtension();
  for (const locale of ["de", "pl", "zh_CN"]) {
    const browser = await launchWithExtension(path, [`--lang=${locale.replace("_", "-")}`]);
    try {
      const page = await browser.context.newPage();
      await page.goto(`chrome-extension://${browser.extensionId}/options/options.html`);
      await page.locator("body[data-ready]").waitFor();
      assert.equal(await page.locator("#identities h2").textContent(), messages[locale].identitiesHeading.message, locale);
      assert.equal(await page.locator("#import-button").textContent(), messages[locale].importButton.message, locale);
      // A wrong passphrase is told in the user's language too.
      await page.setInputFiles("#import-file", join(PKI, "alice.p12"));
      await page.fill("#import-password", "secret");
      await page.fill("#import-passphrase", PASSPHRASE);
      await page.fill("#import-passphrase2", PASSPHRASE);
      await page.click("#import-button");
      await page.locator("#lock-button:not([hidden])").click();
      await page.fill("#unlock-passphrase", "not the passphrase");
      await page.click("#unlock-form button[type=submit]");
      const wrong = messages[locale].error_wrong_passphrase.message;
      await page.waitForFunction((m) => document.querySelector("#unlock-message").textContent === m, wrong);
    } finally {
      await browser.close();
    }
  }
});
