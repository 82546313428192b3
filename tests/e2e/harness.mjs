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

// ---- Siegel's editor frame: a protected message is written, sent and saved there ----

/** Siegel's editor frame in a compose view (another origin: the page cannot read it; a test may). */
export const editorOf = (page) => page.frameLocator("iframe[data-siegel-editor]");

/** Waits until Siegel's editor frame has loaded in the compose view; returns it. */
export async function editorReady(page, timeout = 30_000) {
  await page.locator("iframe[data-siegel-editor]").waitFor({ timeout });
  const editor = editorOf(page);
  await editor.locator("body[data-ready]").waitFor({ timeout });
  return editor;
}

/** Whether Siegel's editor holds the message (Sign or Encrypt on), read in the frame. */
export async function protectedMode(page) {
  return (await editorOf(page).locator("body").getAttribute("data-mode")) === "editor";
}

/** Sets Sign and Encrypt by clicking them in Siegel's frame, as a user would; a locked toggle stays as it is. */
export async function setToggles(page, want) {
  const editor = await editorReady(page);
  for (const name of ["sign", "encrypt"]) {
    if (want[name] === undefined) continue;
    const box = editor.locator(`#${name}`);
    if ((await box.isChecked()) === want[name]) continue;
    assert.equal(await box.isDisabled(), false, `${name} is locked`);
    await box.click();
    await editor.locator(`#${name}${want[name] ? ":checked" : ":not(:checked)"}`).waitFor();
  }
  const mode = want.sign || want.encrypt || (await editor.locator("#sign").isChecked()) || (await editor.locator("#encrypt").isChecked()) ? "editor" : "toolbar";
  await editor.locator(`body[data-mode="${mode}"]`).waitFor();
}

/**
 * Writes in Siegel's editor as a user would: types the text (in the formatted mode with `html: true`) and
 * attaches files through its file picker.
 */
export async function write(page, { body = "", files = [], html = false } = {}) {
  const editor = await editorReady(page);
  if (html) {
    await editor.locator('input[name="format"][value="html"]').check();
    await editor.locator("#html").click();
    await editor.locator("#html").pressSequentially(body);
  } else {
    await editor.locator("#text").fill(body);
  }
  if (files.length) {
    const before = await editor.locator("#attachments li").count();
    await editor.locator("#attach").setInputFiles(files);
    await editor.locator("#attachments li").nth(before + files.length - 1).waitFor();
  }
}

/** The text of Siegel's status line in the editor frame. */
export async function editorStatus(page) {
  return (await editorOf(page).locator("#status").textContent()).trim();
}

/**
 * Clicks Send in Siegel's editor as a user would (scrolled into view and seen for a moment, as
 * ui/visible.js requires), and waits for this attempt's outcome: `{ status: "sent" }` once `sent()` (the
 * webmail finished) holds, or `{ status: "error", message }` from Siegel's status line.
 */
export async function sendInEditor(page, sent, timeout = 120_000) {
  const editor = editorOf(page);
  const frame = page.frames().find((f) => f.url().includes("/editor/editor.html"));
  // A status still showing an earlier error must not count.
  await frame.evaluate(() => {
    document.getElementById("status").className = "";
  });
  const button = editor.locator("#send");
  await button.scrollIntoViewIfNeeded();
  await page.waitForTimeout(800);
  await button.click();
  const settle = (p) => p.catch(() => new Promise(() => {}));
  let timer;
  try {
    return await Promise.race([
      settle(sent(timeout).then(() => ({ status: "sent" }))),
      settle(editor.locator("#status.error").waitFor({ timeout }).then(async () => ({ status: "error", message: await editorStatus(page) }))),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no outcome of Send")), timeout + 1000))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * When Siegel's editor held the message before the webmail's fields were filled (policy), waits until it
 * shows what was filled (it reads the fields every 2 s) and then as long as Siegel wants a changed envelope
 * to have been on screen before a Send counts (editor.js SETTLED_FOR), as a user reading it would.
 */
export async function envelopeShown(page, subject) {
  await editorOf(page).locator("#env-subject", { hasText: subject }).waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1600);
}

/**
 * Opens a fresh compose view of the demo webmail and fills it as a user would: To, Cc, Bcc and Subject in
 * the webmail's fields; then, with `sign` or `encrypt`, Siegel's toggles, the text and the attachments in
 * Siegel's editor; without them, the text and attachments in the webmail's own editor.
 */
export async function compose(page, base, { to, cc = "", bcc = "", subject, body, files = [], sign = false, encrypt = false, html = false }) {
  // Through the folder view (rendered before moving on: it would replace a compose view opened too early).
  await page.goto(`${base}/#/folder/INBOX`);
  await page.locator('#folders a.current[data-folder="INBOX"]').waitFor();
  await page.goto(`${base}/#/compose`);
  await editorReady(page);
  const fromTheStart = await protectedMode(page);
  await page.fill("#compose-to", to);
  if (cc) await page.fill("#compose-cc", cc);
  if (bcc) await page.fill("#compose-bcc", bcc);
  await page.fill("#compose-subject", subject);
  if (fromTheStart) await envelopeShown(page, subject);
  await setToggles(page, { sign, encrypt });
  if (sign || encrypt || (await protectedMode(page))) {
    await write(page, { body, files, html });
  } else {
    await page.fill("#compose-body", body);
    if (files.length) await page.setInputFiles("#compose-attachments", files);
  }
}

/**
 * What the compose view holds: the webmail's fields, and the text and attachments of whichever editor holds
 * the message (Siegel's, read in its frame; or the webmail's, with each attachment's SHA-256).
 */
export async function draftOf(page) {
  const fields = await page.evaluate(() => {
    const v = (id) => document.querySelector(id).value;
    return { to: v("#compose-to"), cc: v("#compose-cc"), subject: v("#compose-subject"), hash: location.hash };
  });
  if (await protectedMode(page)) {
    const editor = editorOf(page);
    const body = (await editor.locator("#text").isVisible()) ? await editor.locator("#text").inputValue() : await editor.locator("#html").innerText();
    const files = await editor.locator("#attachments li span").allTextContents();
    return { ...fields, editor: "siegel", body, files };
  }
  const own = await page.evaluate(async () => {
    const files = [];
    for (const f of document.querySelector("#compose-attachments").files) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await f.arrayBuffer()));
      files.push({ name: f.name, size: f.size, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") });
    }
    return { body: document.querySelector("#compose-body").value, files };
  });
  return { ...fields, editor: "webmail", ...own };
}

/**
 * Sends the open compose view as a user would: Siegel's Send when Siegel's editor holds the message, else
 * the webmail's. `{ status: "sent" }` once the webmail shows its Sent folder, or `{ status: "error", message }`.
 */
export async function send(page, timeout = 60_000) {
  const sent = (t) => page.waitForFunction(() => location.hash === "#/folder/Sent", null, { timeout: t });
  if (await protectedMode(page)) return sendInEditor(page, sent, timeout);
  await page.click("#compose-send");
  await sent(timeout);
  return { status: "sent" };
}

/**
 * The texts of Siegel's notes in the page and its frames (`siegel-note`: a closed shadow root, which page
 * scripts cannot read; DevTools' DOM, which a test may use, sees through it).
 */
export async function noteTexts(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
    const texts = [];
    const textOf = (node) => (node.nodeType === 3 ? node.nodeValue : (node.children || []).map(textOf).join(""));
    const walk = (node, inNote) => {
      if (node.nodeName === "SIEGEL-NOTE") {
        const status = [];
        const find = (n) => {
          if ((n.attributes || []).join("\u0000").includes("class\u0000status")) status.push(textOf(n));
          for (const c of [...(n.children || []), ...(n.shadowRoots || [])]) find(c);
        };
        find(node);
        texts.push(status.join(" ").trim());
        return;
      }
      for (const c of [...(node.children || []), ...(node.shadowRoots || []), ...(node.contentDocument ? [node.contentDocument] : [])]) walk(c, inNote);
    };
    walk(root, false);
    return texts;
  } finally {
    await cdp.detach();
  }
}

/** Waits until a Siegel note in the page says something matching `pattern`; returns its text. */
export async function waitForNote(page, pattern, timeout = 30_000) {
  for (const until = Date.now() + timeout; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    const found = (await noteTexts(page)).find((t) => pattern.test(t));
    if (found) return found;
  }
  throw new Error(`no Siegel note matching ${pattern}: ${JSON.stringify(await noteTexts(page))}`);
}
