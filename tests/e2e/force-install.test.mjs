// Force-install end to end: what an administrator does, on this machine's Chromium.
//
// Packs Siegel with a throwaway publisher key (extension/pack.sh), serves updates.xml and siegel.crx from
// 127.0.0.1, writes a managed Chromium policy (ExtensionInstallForcelist + 3rdparty settings) into
// /etc/chromium/policies/managed/, starts Chromium headless WITHOUT --load-extension, and checks that
// the extension arrives by policy and that chrome.storage.managed returns the policy values, which
// proves the force-install and the mapping through extension/schema.json.
//
// Needs root (it writes /etc/chromium/policies/managed/siegel-test.json and always removes it again),
// /usr/bin/chromium, wasm-pack and openssl. `node --test` in tests/e2e runs it.
// SIEGEL_E2E_SKIP_WASM=1 reuses an existing extension/wasm/ instead of rebuilding it (quicker reruns).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, accessSync, constants } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { CONTENT_SCRIPTS } from "../../extension/lib/webmails.js";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const POLICY_DIR = "/etc/chromium/policies/managed";
const POLICY_FILE = join(POLICY_DIR, "siegel-test.json");
const CHROMIUM = "/usr/bin/chromium";
// The organisation's root CA as the trusted collection (base64 DER), as an admin would push it.
const ROOT_DER = Buffer.from(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "crate", "tests", "data", "pki", "root.crt"), "utf8")
    .split(/-----[A-Z ]+-----/)[1].replace(/\s+/g, ""),
  "base64",
).toString("base64");
// The organisation's webmail: Roundcube at mail.example.com, plus an entry the extension must refuse.
const WEBMAILS = ["https://mail.example.com roundcube", "https://webmail.example.com:8443/rc/ roundcube", "mail.example.com outlook", "https://%2A roundcube"];
const SETTINGS = { alwaysSign: true, encryptionAlgorithms: ["aes-128-gcm"], trustedCertificates: [ROOT_DER], webmails: WEBMAILS };

let tmp, server, port, dist, id, context;

before(async () => {
  // Fail loudly rather than skip: without root there is no managed policy, so nothing here could be shown.
  try {
    mkdirSync(POLICY_DIR, { recursive: true });
    accessSync(POLICY_DIR, constants.W_OK);
  } catch (e) {
    throw new Error(`force-install test needs to write ${POLICY_DIR} (run it as root): ${e.message}`);
  }
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (Debian package "chromium")`);

  tmp = mkdtempSync(join(tmpdir(), "siegel-e2e-"));
  dist = join(tmp, "out", "dist");
  // The update server first: its port goes into updates.xml. Files are read per request, so packing
  // after listen() is fine.
  server = createServer((req, res) => {
    const name = new URL(req.url, "http://x").pathname.replace(/^\/+/, "");
    const types = { "updates.xml": "text/xml", "siegel.crx": "application/x-chrome-extension" };
    if (!types[name]) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[name] }).end(readFileSync(join(dist, name)));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  port = server.address().port;

  const key = join(tmp, "publisher.pem");
  await run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key]);
  const args = ["--out", join(tmp, "out"), "--key", key, "--base-url", `http://127.0.0.1:${port}`];
  if (process.env.SIEGEL_E2E_SKIP_WASM === "1") args.push("--skip-wasm");
  const { stdout } = await run(join(root, "extension", "pack.sh"), args, { maxBuffer: 1 << 24 });
  id = stdout.trim().split("\n").pop();
  assert.match(id, /^[a-p]{32}$/, `pack.sh printed ${JSON.stringify(stdout)}`);
});

after(async () => {
  // Always: the policy file would force-install a dead extension into every Chromium on this machine.
  rmSync(POLICY_FILE, { force: true });
  await context?.close().catch(() => {});
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Reads a protobuf message into { field: [values] } (varints as numbers, length-delimited as Buffers). */
function protobuf(buf) {
  const fields = {};
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n, b;
    do { b = buf[i++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    return v;
  };
  while (i < buf.length) {
    const tag = varint();
    const field = Number(tag >> 3n), wire = Number(tag & 7n);
    let value;
    if (wire === 0) value = Number(varint());
    else if (wire === 2) { const n = Number(varint()); value = buf.subarray(i, i + n); i += n; }
    else throw new Error(`unexpected protobuf wire type ${wire}`);
    (fields[field] ??= []).push(value);
  }
  return fields;
}
const idOf = (bytes) => [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")
  .replace(/[0-9a-f]/g, (c) => "abcdefghijklmnop"[parseInt(c, 16)]);

test("pack.sh writes a CRX3 signed by the publisher key, whose ID it printed", () => {
  const crx = readFileSync(join(dist, "siegel.crx"));
  assert.equal(crx.subarray(0, 4).toString("latin1"), "Cr24");
  assert.equal(crx.readUInt32LE(4), 3, "CRX format version");
  const headerLen = crx.readUInt32LE(8);
  const header = protobuf(crx.subarray(12, 12 + headerLen));
  const archive = crx.subarray(12 + headerLen);
  assert.equal(archive.subarray(0, 4).toString("latin1"), "PK\x03\x04", "a zip follows the header");

  const signedHeaderData = header[10000][0];
  const crxId = protobuf(signedHeaderData)[1][0];
  assert.equal(idOf(crxId), id, "signed_header_data.crx_id is the printed ID");
  const proof = protobuf(header[2][0]); // sha256_with_rsa: { 1: public_key (SPKI DER), 2: signature }
  const spki = proof[1][0];
  assert.equal(idOf(createHash("sha256").update(spki).digest()), id, "the ID is SHA-256 of the signing key");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(signedHeaderData.length);
  const signed = Buffer.concat([Buffer.from("CRX3 SignedData\x00", "latin1"), len, signedHeaderData, archive]);
  assert.ok(verify("sha256", signed, createPublicKey({ key: spki, format: "der", type: "spki" }), proof[2][0]),
    "the CRX3 signature verifies");

  const updates = readFileSync(join(dist, "updates.xml"), "utf8");
  assert.match(updates, new RegExp(`appid='${id}'`));
  assert.match(updates, new RegExp(`codebase='http://127\\.0\\.0\\.1:${port}/siegel\\.crx'`));
  const { version } = JSON.parse(readFileSync(join(root, "extension", "manifest.json"), "utf8"));
  assert.match(updates, new RegExp(`version='${version.replace(/\./g, "\\.")}'`));

  const linux = JSON.parse(readFileSync(join(dist, "policies", "linux", "chromium", "siegel.json"), "utf8"));
  assert.deepEqual(linux.ExtensionInstallForcelist, [`${id};http://127.0.0.1:${port}/updates.xml`]);
  assert.ok(linux["3rdparty"].extensions[id], "the Linux template sets Siegel's settings");
});

test("Chromium force-installs Siegel from the policy and hands it the policy settings", { timeout: 180_000 }, async () => {
  writeFileSync(POLICY_FILE, JSON.stringify({
    ExtensionInstallForcelist: [`${id};http://127.0.0.1:${port}/updates.xml`],
    // DevTools (and so CDP, and so Playwright) may not attach to policy-installed extensions by default
    // (DeveloperToolsAvailability unset = 0: "disallowed on extensions installed by enterprise policy"):
    // the worker would run but never be reported. 1 allows it; deployments need not set it.
    DeveloperToolsAvailability: 1,
    "3rdparty": { extensions: { [id]: SETTINGS } },
  }, null, 2));

  const profile = join(tmp, "profile");
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    // Playwright's defaults would disable extensions, the update check that downloads the CRX, and the
    // component updater; force-install needs all three.
    ignoreDefaultArgs: ["--disable-extensions", "--disable-background-networking", "--disable-component-update"],
  });

  const url = `chrome-extension://${id}/background.js`;
  const deadline = Date.now() + 60_000;
  let worker;
  while (!(worker = context.serviceWorkers().find((w) => w.url() === url))) {
    const left = deadline - Date.now();
    assert.ok(left > 0, `no service worker ${url} after 60 s; workers: ${context.serviceWorkers().map((w) => w.url()).join(", ") || "none"}`);
    await context.waitForEvent("serviceworker", { timeout: Math.min(left, 2_000) }).catch(() => {});
  }

  // Policy may reach the extension a moment after it starts: poll, bounded.
  let managed;
  for (const until = Date.now() + 30_000; ;) {
    managed = await worker.evaluate(() => chrome.storage.managed.get(null));
    if (Object.keys(managed).length || Date.now() > until) break;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  assert.deepEqual(managed, SETTINGS, "chrome.storage.managed returns the 3rdparty policy for Siegel");

  // The webmails policy: the content scripts (the webmail-agnostic ones, content/bridge.js to
  // content/siegel-content.js, then the adapter) are registered for the organisation's Roundcube (frames too,
  // for its preview), and for nothing else: not the demo webmail's default origins.
  let scripts;
  for (const until = Date.now() + 30_000; ;) {
    scripts = await worker.evaluate(() => chrome.scripting.getRegisteredContentScripts());
    if (scripts.some((s) => s.id.includes("roundcube")) || Date.now() > until) break;
    await new Promise((ok) => setTimeout(ok, 500));
  }
  assert.deepEqual(
    scripts.map(({ id, matches, js, allFrames }) => ({ id, matches, js, allFrames })),
    [{
      id: "siegel-webmail-roundcube",
      matches: ["https://mail.example.com:443/*", "https://webmail.example.com:8443/rc/*"],
      js: [...CONTENT_SCRIPTS, "adapters/roundcube.js"],
      allFrames: true,
    }],
  );
  // Each of them is in the package Chromium installed.
  const packaged = await worker.evaluate((files) => Promise.all(files.map(async (f) => [f, (await fetch(chrome.runtime.getURL(f))).ok])), scripts[0].js);
  assert.deepEqual(packaged.filter(([, ok]) => !ok), [], "every registered script is in the CRX");

  // The options page applies the policy and shows those settings as locked.
  const page = await context.newPage();
  await page.goto(`chrome-extension://${id}/options/options.html`);
  await page.locator("body[data-ready]").waitFor();
  const sign = page.locator("#settings-form label[data-key=alwaysSign]");
  assert.equal(await sign.locator("input").isChecked(), true, "alwaysSign from policy");
  assert.equal(await sign.locator("input").isDisabled(), true, "alwaysSign locked");
  assert.ok(await sign.getAttribute("data-locked"), "alwaysSign shown as set by the administrator");
  const cipher = page.locator("#settings-form label[data-key=encryptionAlgorithms]");
  assert.equal(await cipher.locator("select").inputValue(), "aes-128-gcm");
  assert.equal(await cipher.locator("select").isDisabled(), true);
  const encrypt = page.locator("#settings-form label[data-key=alwaysEncrypt] input");
  assert.equal(await encrypt.isDisabled(), false, "what policy does not set stays the user's");
  // The webmails too, with the entry that was refused and why.
  const webmails = page.locator("#settings-form label[data-key=webmails] textarea");
  assert.equal(await webmails.inputValue(), WEBMAILS.join("\n"));
  assert.equal(await webmails.isDisabled(), true);
  assert.match(await page.locator("#webmail-errors").textContent(), /"mail\.example\.com outlook": unknown adapter "outlook"/);
  assert.match(await page.locator("#webmail-errors").textContent(), /"https:\/\/%2A roundcube": give the webmail's address alone, without wildcards/);
  // The trusted CAs come from policy: listed, marked, and not editable.
  await page.waitForFunction(() => !document.querySelector("#trust-policy").hidden);
  assert.match(await page.locator("#trust-list").textContent(), /Siegel Test Root CA/);
  assert.equal(await page.locator("#trust-file").isDisabled(), true);
  // The service worker refuses a change to a locked setting too, not just the page.
  const reply = await page.evaluate(() => chrome.runtime.sendMessage({ op: "setSetting", key: "alwaysSign", value: false }));
  assert.equal(reply.ok, false);
  assert.match(reply.error.message, /administrator/);
  await page.close();

  // And Chromium recorded it as installed by policy (Manifest location EXTERNAL_POLICY_DOWNLOAD = 7).
  await context.close();
  context = undefined;
  const prefs = ["Secure Preferences", "Preferences"].map((f) => join(profile, "Default", f)).filter(existsSync)
    .map((f) => JSON.parse(readFileSync(f, "utf8")).extensions?.settings?.[id]).find(Boolean);
  assert.ok(prefs, "the profile has the extension's settings");
  assert.equal(prefs.location, 7, "installed from the policy's update URL (EXTERNAL_POLICY_DOWNLOAD)");
});
