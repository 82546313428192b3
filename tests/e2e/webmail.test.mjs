// The demo webmail (www/, siegel-webmail) in real Chromium: sign in, compose with an attachment,
// send, read it as the recipient, "Show original"; and the postMessage contract the extension uses.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

describe("demo webmail", () => {
  let server;
  let data;
  let base;
  let browser;
  let page;

  before(async () => {
    execFileSync("cargo", ["build", "-q", "-p", "siegel-webmail"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    data = mkdtempSync(join(tmpdir(), "siegel-webmail-e2e-"));
    // Port 0: the OS picks a free port; the server prints the address it got.
    server = spawn(join(ROOT, "target", "debug", "siegel-webmail"), ["--listen", "127.0.0.1:0", "--data", data], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise((resolve, reject) => {
      const rl = createInterface({ input: server.stdout });
      rl.once("line", resolve);
      server.once("exit", (code) => reject(new Error(`siegel-webmail exited with ${code}`)));
    });
    base = line.match(/http:\/\/[^/\s]+/)[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await (await browser.newContext()).newPage();
    // Record what the webmail posts, as the extension's content script would see it.
    await page.addInitScript(() => {
      window.__webmail = [];
      window.addEventListener("message", (e) => {
        if (e.data && e.data.source === "webmail") window.__webmail.push({ type: e.data.type, ...e.data });
      });
    });
  });

  after(async () => {
    await browser?.close();
    server?.kill();
    if (data) rmSync(data, { recursive: true, force: true });
  });

  async function signInAs(user) {
    await page.goto(`${base}/#/signin`);
    await page.click(`button.user[data-user="${user}"]`);
    await page.locator("#message-list, #empty-folder").first().waitFor();
  }

  const posted = (type) => page.evaluate((t) => window.__webmail.filter((m) => m.type === t), type);
  // postMessage is asynchronous: the element is in the DOM before the message arrives.
  const waitPosted = (type, key, value) =>
    page.waitForFunction(([t, k, v]) => window.__webmail.some((m) => m.type === t && m[k] === v), [type, key, value]);

  // Posts a request as the extension would and waits for the webmail's answer.
  const ask = (request, answerType) =>
    page.evaluate(
      ({ request, answerType }) =>
        new Promise((resolve) => {
          const requestId = Math.random().toString(36).slice(2);
          window.addEventListener("message", function onAnswer(e) {
            const m = e.data;
            if (!m || m.source !== "webmail" || m.type !== answerType || m.requestId !== requestId) return;
            window.removeEventListener("message", onAnswer);
            const bytes = (b) => (b instanceof ArrayBuffer ? Array.from(new Uint8Array(b)) : null);
            if (m.draft) {
              m.draft.attachments = m.draft.attachments.map((a) => ({ ...a, data: bytes(a.data) }));
            }
            resolve({ ...m, raw: m.raw === undefined ? undefined : bytes(m.raw) });
          });
          const req = { source: "siegel", requestId, ...request };
          if (request.rawText !== undefined) {
            req.raw = new TextEncoder().encode(request.rawText).buffer;
            delete req.rawText;
          }
          window.postMessage(req, location.origin);
        }),
      { request, answerType },
    );

  test("alice sends bob a mail with an attachment; bob reads it and its original source", async () => {
    await signInAs("alice@example.com");
    await page.click("#compose-new");
    await page.locator("form#compose[data-webmail-compose]").waitFor();
    await page.fill("#compose-to", "Bob <bob@example.com>");
    await page.fill("#compose-subject", "Quarterly numbers");
    await page.fill("#compose-body", "Hi Bob,\nthe numbers are attached.\nAlice");
    await page.setInputFiles("#compose-attachments", {
      name: "numbers.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("q,revenue\n1,100\n"),
    });
    await page.click("#compose-send");
    await page.waitForURL(/#\/folder\/Sent$/);
    await page.locator("#message-list .subject", { hasText: "Quarterly numbers" }).waitFor();

    await page.click("#signout");
    await signInAs("bob@example.com");
    await page.locator("#message-list .message-row", { hasText: "Quarterly numbers" }).click();
    const article = page.locator("article#message");
    await article.waitFor();
    assert.equal(await article.getAttribute("data-folder"), "INBOX");
    assert.equal(await article.getAttribute("data-smime"), "");
    assert.ok(await article.getAttribute("data-message-id"));
    assert.match(await page.locator("#message-text").textContent(), /the numbers are attached\./);
    assert.equal(await page.locator("#siegel-slot").count(), 1);
    assert.equal(await page.locator("a.attachment").textContent(), "numbers.csv");
    await waitPosted("message-open", "id", await article.getAttribute("data-message-id"));
    const opened = await posted("message-open");
    assert.equal(opened.at(-1).folder, "INBOX");
    assert.equal(opened.at(-1).id, await article.getAttribute("data-message-id"));

    await page.click("#show-original");
    await page.locator("#original:not([hidden])").waitFor();
    const original = await page.locator("#original").textContent();
    assert.match(original, /^Subject: Quarterly numbers\r?$/m);
    assert.match(original, /^From: alice@example\.com\r?$/m);
    assert.match(original, /Content-Disposition: attachment/);
    assert.match(original, /^Message-ID: </m);
  });

  test("postMessage contract: get-draft, send-requested with interception, send-raw, get-raw", async () => {
    await signInAs("alice@example.com");
    await page.goto(`${base}/#/compose`);
    const form = page.locator("form#compose");
    await form.waitFor();
    const composeId = await form.getAttribute("data-compose-id");
    await waitPosted("compose-open", "composeId", composeId);
    assert.deepEqual((await posted("compose-open")).at(-1), { type: "compose-open", source: "webmail", composeId });
    await page.fill("#compose-to", "bob@example.com, \"Doe, Carol\" <carol@example.com>");
    await page.fill("#compose-bcc", "alice@example.com");
    await page.fill("#compose-subject", "Signed later");
    await page.fill("#compose-body", "draft body");
    await page.setInputFiles("#compose-attachments", [
      { name: "a.bin", mimeType: "application/octet-stream", buffer: Buffer.from([0, 1, 2, 255]) },
    ]);

    const answer = await ask({ type: "get-draft", composeId }, "draft");
    assert.deepEqual(answer.draft, {
      from: "alice@example.com",
      to: ["bob@example.com", "\"Doe, Carol\" <carol@example.com>"],
      cc: [],
      bcc: ["alice@example.com"],
      subject: "Signed later",
      text: "draft body",
      attachments: [{ filename: "a.bin", contentType: "application/octet-stream", data: [0, 1, 2, 255] }],
    });
    const wrong = await ask({ type: "get-draft", composeId: "not-this-one" }, "draft");
    assert.equal(wrong.ok, false);

    // With the extension intercepting, the webmail's Send only announces the request.
    await page.evaluate(() => {
      document.documentElement.dataset.siegel = "active";
      document.documentElement.dataset.siegelIntercept = "1";
    });
    await page.click("#compose-send");
    await waitPosted("send-requested", "composeId", composeId);
    assert.equal((await posted("send-requested")).at(-1).composeId, composeId);
    assert.match(page.url(), /#\/compose$/, "the webmail did not send by itself");

    // The extension sends the message it built.
    const raw =
      "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Signed later\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r\n\r\n' +
      "--b\r\nContent-Type: text/plain\r\n\r\ndraft body\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--b--\r\n";
    const sent = await ask({ type: "send-raw", rawText: raw, envelopeTo: ["bob@example.com"] }, "sent");
    assert.equal(sent.ok, true, sent.error);
    await page.waitForURL(/#\/folder\/Sent$/);
    const row = page.locator("#message-list .message-row", { hasText: "Signed later" });
    await row.waitFor();
    assert.equal(await row.getAttribute("data-smime"), "signed");

    const id = await row.getAttribute("data-id");
    const got = await ask({ type: "get-raw", folder: "Sent", id }, "raw");
    assert.equal(Buffer.from(got.raw).toString("utf8"), raw);

    const refused = await ask({ type: "send-raw", rawText: raw, envelopeTo: ["eve@evil.example"] }, "sent");
    assert.equal(refused.ok, false);
    assert.match(refused.error, /unknown recipients/);
  });

  test("HTML mail is shown sandboxed: no scripts, no remote content", async () => {
    // A load blocked by CSP still fires "request" (then "requestfailed" with "csp"); only a response
    // means it reached the network.
    const responses = [];
    const blocked = [];
    page.on("response", (r) => responses.push(r.url()));
    page.on("requestfailed", (r) => blocked.push([r.url(), r.failure()?.errorText]));
    await signInAs("alice@example.com");
    const html =
      `<p id="hello">Hello in HTML</p><img src="${base}/tracker.gif"><script>parent.document.title = "pwned"</script>`;
    const raw =
      "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Rich\r\nMIME-Version: 1.0\r\n" +
      `Content-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;
    const sent = await ask({ type: "send-raw", rawText: raw, envelopeTo: ["bob@example.com"] }, "sent");
    assert.equal(sent.ok, true, sent.error);
    await page.click("#signout");
    await signInAs("bob@example.com");
    await page.locator("#message-list .message-row", { hasText: "Rich" }).click();
    const frame = page.locator("iframe#message-html");
    await frame.waitFor();
    assert.equal(await frame.getAttribute("sandbox"), "");
    await page.frameLocator("iframe#message-html").locator("#hello").waitFor();
    assert.equal(await page.frameLocator("iframe#message-html").locator("#hello").textContent(), "Hello in HTML");
    await page.waitForTimeout(300);
    assert.notEqual(await page.title(), "pwned");
    assert.deepEqual(responses.filter((u) => u.includes("tracker")), []);
    assert.deepEqual(blocked, [[`${base}/tracker.gif`, "csp"]]);
  });
});
