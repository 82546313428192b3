// The demo webmail (www/, siegel-webmail) in real Chromium: sign in, compose with an attachment,
// send, read it as the recipient, "Show original"; Reply and Forward of plain and S/MIME mail; and the
// postMessage contract the extension uses (played here by the test through window.postMessage).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  // Puts a message straight into a user's Maildir (the webmail does not look inside); returns its id.
  let stored = 0;
  function storeMail(user, folder, raw) {
    const id = `1731600000.M${++stored}P1Q1.e2e`;
    writeFileSync(join(data, user, folder, "new", id), raw);
    return id;
  }
  const draftFile = (user, id) => join(data, user, "Drafts", "new", id);
  const draftsOf = async () => page.evaluate(async () => (await (await fetch("/api/folders/Drafts")).json()).map((m) => m.id));

  test("postMessage contract: get-draft, get-recipients, save-requested, save-draft, set-body, send-requested with interception, send-raw, get-raw", async () => {
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

    // get-recipients: the envelope, From and Subject included.
    const rcpt = await ask({ type: "get-recipients", composeId }, "recipients");
    assert.deepEqual(
      { from: rcpt.from, to: rcpt.to, cc: rcpt.cc, bcc: rcpt.bcc, subject: rcpt.subject, composeId: rcpt.composeId },
      {
        from: "alice@example.com",
        to: ["bob@example.com", "\"Doe, Carol\" <carol@example.com>"],
        cc: [],
        bcc: ["alice@example.com"],
        subject: "Signed later",
        composeId,
      },
    );
    assert.equal((await ask({ type: "get-recipients", composeId: "not-this-one" }, "recipients")).ok, false);

    // Save draft without interception: announced, then saved by the webmail itself (a plain draft).
    assert.deepEqual(await draftsOf(), []);
    await page.click("#compose-save");
    await waitPosted("save-requested", "composeId", composeId);
    assert.deepEqual((await posted("save-requested")).at(-1), { type: "save-requested", source: "webmail", composeId });
    await page.waitForFunction(() => document.querySelector("form#compose").dataset.draftId);
    const plainDraft = await form.getAttribute("data-draft-id");
    assert.deepEqual(await draftsOf(), [plainDraft]);

    // With the extension intercepting, Save draft and Send only announce the request.
    await page.evaluate(() => {
      document.documentElement.dataset.siegel = "active";
      document.documentElement.dataset.siegelIntercept = "1";
    });
    const saveRequests = (await posted("save-requested")).length;
    await page.click("#compose-save");
    await page.waitForFunction((n) => window.__webmail.filter((m) => m.type === "save-requested").length > n, saveRequests);
    assert.equal((await posted("save-requested")).at(-1).composeId, composeId);
    await page.waitForTimeout(200);
    assert.equal(await form.getAttribute("data-draft-id"), plainDraft, "the webmail did not save by itself");
    assert.deepEqual(await draftsOf(), [plainDraft]);

    // save-draft: the extension's encrypted draft, stored byte for byte, replacing the view's draft.
    const draftRaw = (n) =>
      'From: alice@example.com\r\nTo: bob@example.com, "Doe, Carol" <carol@example.com>\r\nBcc: alice@example.com\r\n' +
      "Subject: Signed later\r\nMIME-Version: 1.0\r\n" +
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n" +
      `Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIxggE=${n}\r\n`;
    const saved = await ask({ type: "save-draft", composeId, rawText: draftRaw("first") }, "draft-saved");
    assert.equal(saved.ok, true, saved.error);
    assert.notEqual(saved.draftId, plainDraft);
    assert.equal(await form.getAttribute("data-draft-id"), saved.draftId);
    assert.deepEqual(await draftsOf(), [saved.draftId], "the plain draft was replaced");
    assert.equal(readFileSync(draftFile("alice@example.com", saved.draftId), "utf8"), draftRaw("first"));
    assert.ok(!existsSync(draftFile("alice@example.com", plainDraft)));
    const viaApi = await ask({ type: "get-raw", folder: "Drafts", id: saved.draftId }, "raw");
    assert.equal(Buffer.from(viaApi.raw).toString("utf8"), draftRaw("first"));
    // A second save replaces the first.
    const again = await ask({ type: "save-draft", composeId, rawText: draftRaw("second") }, "draft-saved");
    assert.equal(again.ok, true, again.error);
    assert.notEqual(again.draftId, saved.draftId);
    assert.deepEqual(await draftsOf(), [again.draftId]);
    assert.ok(!existsSync(draftFile("alice@example.com", saved.draftId)));
    assert.equal(readFileSync(draftFile("alice@example.com", again.draftId), "utf8"), draftRaw("second"));
    assert.equal(await form.getAttribute("data-draft-id"), again.draftId);
    // Refused: another compose view, or no bytes.
    const elsewhere = await ask({ type: "save-draft", composeId: "not-this-one", rawText: draftRaw("x") }, "draft-saved");
    assert.equal(elsewhere.ok, false);
    assert.equal((await ask({ type: "save-draft", composeId, raw: "text" }, "draft-saved")).ok, false);
    assert.deepEqual(await draftsOf(), [again.draftId]);

    // hello repeats compose-open; the view now continues the S/MIME draft just saved.
    const opens = (await posted("compose-open")).length;
    await page.evaluate(() => window.postMessage({ source: "siegel", type: "hello", requestId: "h1" }, location.origin));
    await page.waitForFunction((n) => window.__webmail.filter((m) => m.type === "compose-open").length > n, opens);
    assert.deepEqual((await posted("compose-open")).at(-1), {
      type: "compose-open", source: "webmail", composeId, draft: { folder: "Drafts", id: again.draftId },
    });

    // set-body: the text goes into the body field.
    const set = await ask({ type: "set-body", composeId, text: "[written in Siegel's editor]", html: "<p>x</p>" }, "body-set");
    assert.equal(set.ok, true, set.error);
    assert.equal(await page.inputValue("#compose-body"), "[written in Siegel's editor]");
    assert.equal((await ask({ type: "set-body", composeId: "not-this-one", text: "x" }, "body-set")).ok, false);
    assert.equal((await ask({ type: "set-body", composeId, text: 42 }, "body-set")).ok, false);

    // Opening the S/MIME draft fills the envelope only, and compose-open names the draft.
    await page.goto(`${base}/#/folder/Drafts`);
    const draftRow = page.locator("#message-list .message-row", { hasText: "Signed later" });
    await draftRow.waitFor();
    assert.equal(await draftRow.getAttribute("data-smime"), "encrypted");
    await draftRow.click();
    await page.waitForURL(new RegExp(`#/compose/draft/${again.draftId.replace(/\./g, "\\.")}$`));
    const draftView = page.locator("form#compose");
    await draftView.waitFor();
    const draftComposeId = await draftView.getAttribute("data-compose-id");
    assert.notEqual(draftComposeId, composeId);
    await waitPosted("compose-open", "composeId", draftComposeId);
    assert.deepEqual((await posted("compose-open")).at(-1), {
      type: "compose-open", source: "webmail", composeId: draftComposeId, draft: { folder: "Drafts", id: again.draftId },
    });
    assert.equal(await draftView.getAttribute("data-draft-id"), again.draftId);
    assert.equal(await page.inputValue("#compose-to"), 'bob@example.com, "Doe, Carol" <carol@example.com>');
    assert.equal(await page.inputValue("#compose-bcc"), "alice@example.com");
    assert.equal(await page.inputValue("#compose-subject"), "Signed later");
    assert.equal(await page.inputValue("#compose-body"), "");
    assert.equal(await page.evaluate(() => document.querySelector("#compose-attachments").files.length), 0);

    await page.click("#compose-send");
    await waitPosted("send-requested", "composeId", draftComposeId);
    assert.equal((await posted("send-requested")).at(-1).composeId, draftComposeId);
    assert.match(page.url(), /#\/compose\/draft\//, "the webmail did not send by itself");

    // The extension sends the message it built.
    const raw =
      "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Signed later\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r\n\r\n' +
      "--b\r\nContent-Type: text/plain\r\n\r\ndraft body\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--b--\r\n";
    const sent = await ask({ type: "send-raw", rawText: raw, envelopeTo: ["bob@example.com"] }, "sent");
    assert.equal(sent.ok, true, sent.error);
    await page.waitForURL(/#\/folder\/Sent$/);
    assert.deepEqual(await draftsOf(), [], "the draft the view continued is gone once sent");
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

  test("Reply and Forward: a plain mail is quoted and forwarded; an S/MIME mail gives its envelope only", async () => {
    const plainId = storeMail(
      "bob@example.com",
      "INBOX",
      "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nReply-To: carol@example.com\r\n" +
        "Subject: Lunch plans\r\nDate: Thu, 14 Nov 2024 16:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' +
        "--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLunch at noon?\r\nBring the menu.\r\n" +
        '--m\r\nContent-Type: text/csv; name="menu.csv"\r\nContent-Disposition: attachment; filename="menu.csv"\r\n' +
        "Content-Transfer-Encoding: base64\r\n\r\nZGlzaCxwcmljZQpzb3VwLDQK\r\n--m--\r\n",
    );
    const smimeId = storeMail(
      "bob@example.com",
      "INBOX",
      "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Re: Secret plans\r\n" +
        "Date: Fri, 15 Nov 2024 09:30:00 +0000\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n" +
        "Content-Disposition: attachment; filename=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        "MIAGCSqGSIb3DQEHA6CAMIACAQIxggE=\r\n",
    );
    await signInAs("bob@example.com");
    const field = (id) => page.inputValue(id);
    const files = () =>
      page.evaluate(() => Array.from(document.querySelector("#compose-attachments").files, (f) => [f.name, f.type, f.size]));
    // Opens the message, clicks `button`, and returns the compose view's compose-open.
    async function answer(id, button, mode) {
      await page.goto(`${base}/#/message/INBOX/${id}`);
      await page.locator(`article#message[data-message-id="${id}"]`).waitFor();
      await page.click(button);
      await page.waitForURL(new RegExp(`#/compose/${mode}/INBOX/${id.replace(/\./g, "\\.")}$`));
      const composeId = await page.locator("form#compose").getAttribute("data-compose-id");
      await waitPosted("compose-open", "composeId", composeId);
      const open = (await posted("compose-open")).at(-1);
      assert.deepEqual(open, { type: "compose-open", source: "webmail", composeId, original: { folder: "INBOX", id, mode } });
      return composeId;
    }

    // Reply to a plain mail: to its Reply-To, "Re: ", the text quoted.
    let composeId = await answer(plainId, "#reply", "reply");
    assert.equal(await field("#compose-to"), "carol@example.com");
    assert.equal(await field("#compose-subject"), "Re: Lunch plans");
    assert.equal(
      await field("#compose-body"),
      "On Thu, 14 Nov 2024 16:00:00 +0000, Alice <alice@example.com> wrote:\n> Lunch at noon?\n> Bring the menu.\n\n",
    );
    assert.deepEqual(await files(), []);
    // hello repeats the announcement with its original.
    const opens = (await posted("compose-open")).length;
    await page.evaluate(() => window.postMessage({ source: "siegel", type: "hello", requestId: "h2" }, location.origin));
    await page.waitForFunction((n) => window.__webmail.filter((m) => m.type === "compose-open").length > n, opens);
    assert.deepEqual((await posted("compose-open")).at(-1).original, { folder: "INBOX", id: plainId, mode: "reply" });

    // Forward a plain mail: nobody yet, "Fwd: ", the forwarded-message block, the attachments.
    composeId = await answer(plainId, "#forward", "forward");
    assert.equal(await field("#compose-to"), "");
    assert.equal(await field("#compose-subject"), "Fwd: Lunch plans");
    assert.equal(
      await field("#compose-body"),
      "\n\n---------- Forwarded message ----------\nFrom: Alice <alice@example.com>\n" +
        "Date: Thu, 14 Nov 2024 16:00:00 +0000\nSubject: Lunch plans\nTo: bob@example.com\n\n" +
        "Lunch at noon?\nBring the menu.\n",
    );
    const fwd = await ask({ type: "get-draft", composeId }, "draft");
    assert.deepEqual(fwd.draft.attachments, [
      { filename: "menu.csv", contentType: "text/csv", data: Array.from(Buffer.from("dish,price\nsoup,4\n")) },
    ]);

    // Reply to an S/MIME mail: the envelope only (no "Re: Re:"); the extension quotes it in its own editor.
    composeId = await answer(smimeId, "#reply", "reply");
    assert.equal(await field("#compose-to"), "Alice <alice@example.com>");
    assert.equal(await field("#compose-subject"), "Re: Secret plans");
    assert.equal(await field("#compose-body"), "");
    assert.deepEqual(await files(), []);
    const rcpt = await ask({ type: "get-recipients", composeId }, "recipients");
    assert.deepEqual([rcpt.from, rcpt.to, rcpt.subject], ["bob@example.com", ["Alice <alice@example.com>"], "Re: Secret plans"]);

    // Forward an S/MIME mail: nothing in the body, none of its parts attached.
    composeId = await answer(smimeId, "#forward", "forward");
    assert.equal(await field("#compose-to"), "");
    assert.equal(await field("#compose-subject"), "Fwd: Re: Secret plans");
    assert.equal(await field("#compose-body"), "");
    assert.deepEqual(await files(), []);
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
