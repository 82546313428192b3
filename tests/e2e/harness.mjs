// Shared helpers of the end-to-end tests: the built extension, a Chromium with it loaded, the test PKI, the
// demo webmail, and driving the extension in it (key store set-up, compose, Send).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXTENSION = join(ROOT, "extension");
export const PKI = join(ROOT, "crate", "tests", "data", "pki");
export const P12 = join(ROOT, "crate", "tests", "data", "pkcs12");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** The passphrase the tests protect the key store with. */
export const PASSPHRASE = "correct horse battery staple";

/**
 * Builds the unpacked extension with extension/build.sh into a folder of its own, and returns its path.
 * SIEGEL_E2E_SKIP_WASM=1 reuses an existing extension/wasm/ (quicker reruns).
 */
export function buildExtension(out = join(ROOT, "target", "e2e-extension")) {
  const args = ["--out", out];
  if (process.env.SIEGEL_E2E_SKIP_WASM === "1") args.push("--skip-wasm");
  execFileSync(join(EXTENSION, "build.sh"), args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return join(out, "unpacked");
}

/** Launches Chromium with an unpacked extension; returns `{ context, worker, extensionId, close }`. */
export async function launchWithExtension(path, extraArgs = []) {
  const profile = mkdtempSync(join(tmpdir(), "siegel-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      `--disable-extensions-except=${path}`,
      `--load-extension=${path}`,
      ...extraArgs,
    ],
  });
  let [worker] = context.serviceWorkers();
  worker ??= await context.waitForEvent("serviceworker", { timeout: 30_000 });
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    worker,
    extensionId,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The raw bytes of a PEM file's first block. */
export function pemBody(path) {
  const text = readFileSync(path, "utf8");
  const b64 = text.split(/-----[A-Z ]+-----/)[1].replace(/\s+/g, "");
  return Buffer.from(b64, "base64");
}

/**
 * Builds and starts the demo webmail (siegel-webmail) on a free loopback port with its Maildirs in a fresh
 * folder (with `directory`, a certificate directory served at /directory, www/DIRECTORY.md). Returns
 * `{ base, data, users, mail(), stop() }`: `mail()` lists every message any user has, both as
 * the files in every Maildir folder (tmp, new and cur of INBOX and Sent) and as the webmail's API lists them.
 */
export async function startWebmail(users = ["alice@example.com", "bob@example.com", "carol@example.com"], { directory } = {}) {
  execFileSync("cargo", ["build", "-q", "-p", "siegel-webmail"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  const data = mkdtempSync(join(tmpdir(), "siegel-mail-data-"));
  const extra = directory ? ["--directory", directory] : [];
  const server = spawn(join(ROOT, "target", "debug", "siegel-webmail"), ["--listen", "127.0.0.1:0", "--data", data, "--users", users.join(","), ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once("line", resolve);
    server.once("exit", (code) => reject(new Error(`siegel-webmail exited with ${code}`)));
  });
  const base = line.match(/http:\/\/[^/\s]+/)[0];
  async function api(user, path) {
    const session = await fetch(`${base}/api/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user }) });
    const cookie = session.headers.get("set-cookie").split(";")[0];
    const r = await fetch(`${base}${path}`, { headers: { cookie } });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }
  return {
    base,
    data,
    users,
    async mail() {
      const files = [];
      const listed = [];
      for (const user of users) {
        for (const folder of ["INBOX", "Sent"]) {
          for (const sub of ["tmp", "new", "cur"]) {
            const dir = join(data, user, folder, sub);
            if (existsSync(dir)) files.push(...readdirSync(dir).map((f) => join(dir, f)));
          }
          listed.push(...(await api(user, `/api/folders/${folder}`)).map((m) => ({ user, folder, ...m })));
        }
      }
      return { files, listed };
    },
    stop() {
      server.kill();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * The content script's isolated world in `page`'s main frame, through CDP (Playwright only evaluates in the
 * page's own world): `evaluate(fn, arg)` runs `fn(arg)` there and returns its JSON value. Everything the
 * extension's content scripts can reach is reachable from that world's globalThis.
 */
export async function contentScriptWorld(page, extensionId) {
  const cdp = await page.context().newCDPSession(page);
  const contexts = new Map();
  cdp.on("Runtime.executionContextCreated", ({ context }) => contexts.set(context.id, context));
  cdp.on("Runtime.executionContextDestroyed", ({ executionContextId }) => contexts.delete(executionContextId));
  cdp.on("Runtime.executionContextsCleared", () => contexts.clear());
  await cdp.send("Runtime.enable");
  const origin = `chrome-extension://${extensionId}`;
  return {
    cdp,
    async evaluate(fn, arg) {
      const { frameTree } = await cdp.send("Page.getFrameTree");
      const ctx = [...contexts.values()].reverse().find((c) => c.origin === origin && c.auxData?.type === "isolated" && c.auxData.frameId === frameTree.frame.id);
      if (!ctx) throw new Error(`no content-script world of ${origin} in ${page.url()}`);
      const { result, exceptionDetails } = await cdp.send("Runtime.evaluate", {
        expression: `(${fn})(${JSON.stringify(arg ?? null)})`,
        contextId: ctx.id,
        awaitPromise: true,
        returnByValue: true,
      });
      if (exceptionDetails) throw new Error(`in the content-script world: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      return result.value;
    },
  };
}

// ---- the extension with the demo webmail ----

/** Imports `p12` (creating the vault), the trusted CAs and the contacts in the options page, left open. */
export async function setUp(b, { p12, trust = [], contacts = [] }) {
  const options = await b.context.newPage();
  await options.goto(`chrome-extension://${b.extensionId}/options/options.html`);
  await options.locator("body[data-ready]").waitFor();
  await options.setInputFiles("#import-file", p12);
  await options.fill("#import-password", "secret");
  await options.fill("#import-passphrase", PASSPHRASE);
  await options.fill("#import-passphrase2", PASSPHRASE);
  await options.click("#import-button");
  await options.waitForFunction(() => /^Imported /.test(document.querySelector("#import-message").textContent));
  for (const file of trust) {
    const n = await options.locator("#trust-list > li").count();
    await options.setInputFiles("#trust-file", file);
    await options.waitForFunction((k) => document.querySelectorAll("#trust-list > li").length > k, n);
  }
  for (const { file, email } of contacts) {
    await options.setInputFiles("#contact-file", file);
    await options.waitForFunction((e) => document.querySelector("#contact-list").textContent.includes(e), email);
  }
  return options;
}

export async function signIn(b, base, user) {
  const page = await b.context.newPage();
  await page.goto(`${base}/#/signin`);
  await page.click(`button.user[data-user="${user}"]`);
  await page.locator("#message-list, #empty-folder").first().waitFor();
  return page;
}

/** Opens a fresh compose view and fills it; waits for Siegel's toolbar. */
export async function compose(page, base, { to, subject, body, files = [] }) {
  // Through the folder view (rendered before moving on: it would replace a compose view opened too early).
  await page.goto(`${base}/#/folder/INBOX`);
  await page.locator('#folders a.current[data-folder="INBOX"]').waitFor();
  await page.goto(`${base}/#/compose`);
  await page.locator("siegel-compose[data-ready]").waitFor();
  await page.fill("#compose-to", to);
  await page.fill("#compose-subject", subject);
  await page.fill("#compose-body", body);
  if (files.length) await page.setInputFiles("#compose-attachments", files);
}

/**
 * Sets the toolbar's toggles with the keyboard, as a user would (the toolbar is in a closed shadow root):
 * Shift+Tab from To reaches Encrypt, then Sign; a locked (disabled) toggle is skipped by Tab.
 */
export async function setToggles(page, want) {
  const host = page.locator("siegel-compose");
  for (const name of ["encrypt", "sign"]) {
    if ((await host.getAttribute(`data-${name}`)) === String(want[name])) continue;
    assert.notEqual(await host.getAttribute(`data-${name}-locked`), "true", `${name} is locked`);
    const steps = name === "sign" && (await host.getAttribute("data-encrypt-locked")) !== "true" ? 2 : 1;
    await page.focus("#compose-to");
    for (let i = 0; i < steps; i++) await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Space");
    await page.waitForFunction(([n, v]) => document.querySelector("siegel-compose").dataset[n] === String(v), [name, want[name]]);
  }
}

/** What the compose view holds: the fields and each attachment's name, size and SHA-256. */
export function draftOf(page) {
  return page.evaluate(async () => {
    const files = [];
    for (const f of document.querySelector("#compose-attachments").files) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await f.arrayBuffer()));
      files.push({ name: f.name, size: f.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") });
    }
    const v = (id) => document.querySelector(id).value;
    return { to: v("#compose-to"), cc: v("#compose-cc"), subject: v("#compose-subject"), body: v("#compose-body"), files, hash: location.hash };
  });
}

/**
 * Clicks Send and waits for Siegel's verdict on this attempt: `{ status: "error", message }` or
 * `{ status: "sent" }` (the webmail shows its Sent folder).
 */
export async function send(page, timeout = 60_000) {
  // A toolbar still showing an earlier error must not count: watch for the status this attempt sets.
  await page.evaluate(() => {
    const host = document.querySelector("siegel-compose");
    window.__verdict = null;
    const observer = new MutationObserver(() => {
      if (host.dataset.status !== "error") return;
      window.__verdict = { status: "error", message: host.dataset.message };
      observer.disconnect();
    });
    observer.observe(host, { attributeFilter: ["data-status"] });
  });
  await page.click("#compose-send");
  const handle = await page.waitForFunction(() => window.__verdict ?? (location.hash === "#/folder/Sent" ? { status: "sent" } : null), null, { timeout });
  return handle.jsonValue();
}
