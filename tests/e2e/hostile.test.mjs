// The hostile webmail (SECURITY.md): a script injected into the webmail's page, as an XSS would be, attacks
// Siegel through everything a page has (window.postMessage, the DOM, the webmail's own API and session)
// and must get nothing: no plaintext of protected mail, no signature the user did not ask for, no oracle.
// Every attack runs against the demo webmail and against the real Roundcube (with Dovecot and Postfix).
// The page's observations are made in the page's own world (Playwright's evaluate in the page is exactly
// the page's JavaScript world); what Siegel shows is read in Siegel's frames, which a test may read and the
// page may not.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { cbcParts, probe, smime } from "./cms-tamper.mjs";
import * as harness from "./harness.mjs";
import { CHROMIUM, PASSPHRASE, PKI, buildExtension, editorOf, editorReady, editorStatus, write } from "./harness.mjs";
import { Webmail } from "./mail-harness.mjs";
import { PASSWORD, Roundcube } from "./roundcube-harness.mjs";

const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const CAROL = "carol@example.com";
const SECRET = "The launch code is 0451-7781.";
const work = mkdtempSync(join(tmpdir(), "siegel-hostile-"));
let extension;

function openssl(args, input) {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** A CBC mail to Bob as Outlook or Thunderbird sends it (OpenSSL, AES-256-CBC), and its DER. */
function cbcMailToBob(subject) {
  const entity = join(work, `${subject.replace(/\W/g, "")}.txt`);
  writeFileSync(entity, `Content-Type: text/plain\r\n\r\n${SECRET}\r\n`);
  const der = openssl(["cms", "-encrypt", "-aes-256-cbc", "-in", entity, "-outform", "DER", join(PKI, "bob.crt")]);
  return { der, raw: smime(der, { from: ALICE, to: BOB, subject }) };
}

/** Every file under `dir` (recursively), for "nothing was delivered or stored anywhere". */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)])).sort();
}

// ---- what the page does: run in the page's own world ----

/**
 * The padding-oracle attacker in the page: for each variant (base64 of a whole mail), announce a message of
 * a new id, answer Siegel's get-raw for it with the variant before the webmail can, and record everything
 * the page can observe (elements added, their attributes and sizes, the page's own attributes) until
 * `settle` ms have passed. Returns one observation per variant.
 */
async function pageProbe({ variants, folder, demo, settle }) {
  const answers = (window.__probeAnswers ??= new Map());
  if (!window.__probeListening) {
    window.__probeListening = true;
    window.addEventListener("message", (ev) => {
      const m = ev.data;
      if (!m || m.source !== "siegel" || m.type !== "get-raw" || !answers.has(m.id)) return;
      const raw = answers.get(m.id).slice().buffer;
      window.postMessage({ source: "webmail", type: "raw", requestId: m.requestId, raw }, location.origin, [raw]);
    }, true);
  }
  const describe = (n) => `${n.tagName}[${[...n.attributes].map((a) => `${a.name}=${a.name === "src" ? a.value.replace(/#.*/, "#TOKEN") : a.value}`).join(",")}]`;
  const out = [];
  for (const [i, b64] of variants.entries()) {
    const id = `probe-${Date.now()}-${i}`;
    answers.set(id, Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const added = [];
    const seen = [];
    const observer = new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === "attributes") seen.push(`@${m.target.tagName}.${m.attributeName}`);
        for (const n of m.addedNodes) {
          if (n.nodeType !== 1) continue;
          added.push(n);
          seen.push(describe(n));
        }
      }
    });
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true });
    if (demo) {
      document.querySelector("article#message").dataset.messageId = id;
      document.querySelector("#siegel-slot").replaceChildren();
    }
    window.postMessage({ source: "webmail", type: "message-open", folder, id, smime: "encrypted" }, location.origin);
    await new Promise((r) => setTimeout(r, settle));
    observer.disconnect();
    const sizes = added.filter((n) => n.isConnected && (n.matches("iframe, siegel-note") || n.querySelector("iframe, siegel-note")))
      .map((n) => {
        const r = n.getBoundingClientRect();
        return `${n.tagName} ${Math.round(r.width)}x${Math.round(r.height)}`;
      });
    out.push({ seen: seen.filter((s) => !s.startsWith("@ARTICLE.data-message-id")), sizes, root: [...document.documentElement.attributes].map((a) => `${a.name}=${a.value}`).sort() });
  }
  return out;
}

/**
 * The signing-oracle attacker in the page: answers every request Siegel's content script makes with a
 * forged draft (from the victim, to `to`, "I owe Mallory 1000 EUR"), announces the compose view and asks for
 * Send (and Save) again and again, and records every request Siegel makes of the page, with the bytes of any
 * sealed message or draft it hands over.
 */
async function pageSigningOracle({ from, to, composeId, rounds }) {
  const requests = [];
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (!m || m.source !== "siegel") return;
    const record = { type: m.type };
    if (m.raw instanceof ArrayBuffer) record.raw = btoa(String.fromCharCode(...new Uint8Array(m.raw)));
    requests.push(record);
    const forged = { from, to: [to], cc: [], bcc: [], subject: "Payment", text: "I owe Mallory 1000 EUR.", attachments: [] };
    if (m.type === "get-draft") window.postMessage({ source: "webmail", type: "draft", requestId: m.requestId, composeId, draft: forged }, location.origin);
    if (m.type === "get-recipients") window.postMessage({ source: "webmail", type: "recipients", requestId: m.requestId, composeId, ...forged }, location.origin);
  }, true);
  // The webmail's own refusal to send what it did not write is taken away, as any script in the page can.
  const post = (message) => window.postMessage({ source: "webmail", ...message }, location.origin);
  for (let i = 0; i < rounds; i++) {
    post({ type: "compose-open", composeId });
    post({ type: "send-requested", composeId });
    post({ type: "save-requested", composeId });
    await new Promise((r) => setTimeout(r, 700));
  }
  return requests;
}

/** What a page script can reach of the compose view and its frames (the frame is another origin). */
function pageHarvest() {
  const frames = [...document.querySelectorAll("iframe")].map((f) => {
    try {
      return f.contentDocument ? f.contentDocument.documentElement.outerHTML : "(no document)";
    } catch (e) {
      return `(blocked: ${e.name})`;
    }
  });
  let editorWindow = "";
  try {
    editorWindow = document.querySelector("iframe[data-siegel-editor]").contentWindow.document.body.innerHTML;
  } catch (e) {
    editorWindow = `(blocked: ${e.name})`;
  }
  return { dom: document.documentElement.outerHTML, frames, editorWindow, storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) };
}

// ---- the two webmails, driven alike ----

const webmails = {
  demo: {
    name: "the demo webmail",
    folder: "INBOX",
    async start() {
      this.mail = await Webmail.start();
    },
    stop() {
      this.mail?.stop();
    },
    browser(user, p12, contacts = []) {
      return this.mail.browserFor(extension, user, { p12, contacts });
    },
    async deliver(user, raw) {
      this.mail.deliver(user, raw);
    },
    open(page, subject) {
      return this.mail.openMessage(page, subject);
    },
    /** The frame where Siegel's content script reads mail (the page itself here). */
    messageFrame(page) {
      return page.mainFrame();
    },
    compose(page, { to, ...rest }) {
      return harness.compose(page, this.mail.base, { to: to.join(", "), ...rest });
    },
    send: (page) => harness.send(page),
    composeId: (page) => page.locator("form#compose").getAttribute("data-compose-id"),
    /** The webmail's own Save draft, as its button does it. */
    pageSave: (page) => page.click("#compose-save"),
    /** Reply (or forward) to the open message with the webmail's own button. */
    answer: (page, mode) => page.click(mode === "forward" ? "#forward" : "#reply"),
    everything() {
      return filesUnder(this.mail.data);
    },
    drafts(user) {
      return ["new", "cur"].flatMap((d) => filesUnder(join(this.mail.data, user, "Drafts", d)));
    },
    async openDraft(page, subject) {
      await page.goto(`${this.mail.base}/#/folder/Drafts`);
      await page.reload();
      await page.locator("#message-list .message-row", { hasText: subject }).first().click();
      return editorReady(page);
    },
  },
  roundcube: {
    name: "Roundcube",
    folder: "INBOX",
    async start() {
      process.env.SIEGEL_RC_USERS = [ALICE, BOB, CAROL].join(",");
      this.rc = await Roundcube.start();
    },
    stop() {
      this.rc?.stop();
    },
    browser(user, p12, contacts = []) {
      return this.rc.browserFor(extension, user, { p12, contacts });
    },
    async deliver(user, raw) {
      await this.rc.deliver(user, raw, ALICE);
    },
    open(page, subject) {
      return this.rc.openMessage(page, subject);
    },
    messageFrame(page) {
      return this.rc.previewFrame(page);
    },
    compose(page, opts) {
      return this.rc.compose(page, opts);
    },
    send(page) {
      return this.rc.send(page);
    },
    composeId: (page) => page.evaluate(() => rcmail.env.compose_id),
    /** Roundcube's own Save, as its button, its shortcut and its autosave timer all do it. */
    pageSave: (page) => page.evaluate(() => rcmail.command("savedraft")),
    async answer(page, mode) {
      // The toolbar's own buttons (menu entries such as "Reply all" share the classes).
      await page.locator(mode === "forward" ? "a.forward:not(.inline):not(.attachment):visible" : "a.reply:not(.all):not(.list):visible").first().click();
    },
    everything() {
      return this.rc.everything();
    },
    drafts(user) {
      return this.rc.stored(user, "Drafts");
    },
    async openDraft(page, subject) {
      await page.goto(`${this.rc.url}?_task=mail&_mbox=Drafts`);
      const row = page.locator("#messagelist tbody tr", { hasText: subject }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.dblclick();
      await page.waitForURL(/_action=compose/);
      return editorReady(page);
    },
  },
};

/** Asks Siegel's worker `message` from Siegel's own options page (where the privileged operations are); its reply. */
async function fromOptions(b, message) {
  const options = await b.context.newPage();
  try {
    await options.goto(`chrome-extension://${b.extensionId}/options/options.html`);
    await options.locator("body[data-ready]").waitFor();
    return await options.evaluate((m) => chrome.runtime.sendMessage(m), message);
  } finally {
    await options.close();
  }
}

/** Siegel's lock state as its worker knows it: `{ unlocked, reason }`. */
async function lockState(b) {
  const status = await fromOptions(b, { op: "status" });
  return { unlocked: status.result.unlocked, reason: status.result.lockReason };
}

/** Unlocks Siegel in its options page, as the user would. */
async function unlock(b) {
  const options = await b.context.newPage();
  await options.goto(`chrome-extension://${b.extensionId}/options/options.html`);
  await options.locator("body[data-ready]").waitFor();
  await options.fill("#unlock-passphrase", PASSPHRASE);
  await options.click("#unlock-form button[type=submit]");
  await options.waitForFunction(() => document.querySelector("#lock-state").dataset.state === "unlocked");
  await options.close();
}

/** The extension's service worker as it runs now (a stopped and woken worker is a new one). */
async function workerOf(b) {
  for (const w of [...b.context.serviceWorkers()].reverse()) {
    if (await w.evaluate(() => true).catch(() => false)) return w;
  }
  return b.context.waitForEvent("serviceworker", { timeout: 30_000 });
}

/** The time the auto-lock alarm is set for, read in the worker (null when none). */
async function autoLockAt(b) {
  return (await workerOf(b)).evaluate(async () => (await chrome.alarms.get("siegel-autolock"))?.scheduledTime ?? null);
}

before(() => {
  extension = buildExtension();
  writeFileSync(join(work, "never.txt"), "Content-Type: text/plain\r\n\r\nNever opened: the vault code is 0451.\r\n");
});
after(() => rmSync(work, { recursive: true, force: true }));

for (const [key, W] of Object.entries(webmails)) {
  describe(`hostile webmail: ${W.name}`, () => {
    let alice;
    let bob;

    before(async () => {
      await W.start();
      alice = await W.browser(ALICE, "alice.p12", ["bob.crt"]);
      bob = await W.browser(BOB, "bob.p12");
    });
    after(async () => {
      await alice?.close();
      await bob?.close();
      W.stop();
    });

    test("padding oracle: a valid and a tampered CBC mail look the same to the page, no byte is recovered, and a burst of failures locks Siegel", { timeout: 180_000 }, async () => {
      const subject = `Launch (${key})`;
      const { der, raw } = cbcMailToBob(subject);
      await W.deliver(BOB, raw);
      const reader = await W.open(bob.page, subject);
      assert.match(await reader.locator("#text").textContent(), /launch code is 0451/, "the real CBC mail reads");

      // The attacker's copies: the mail itself, an IV flip (CBC decrypts it: a valid mail), and one probe per
      // guess of the first block's last byte; the right guess ("e" of "Content-Type: te") is among them.
      const parts = cbcParts(der);
      const wrap = (d) => smime(d, { from: ALICE, to: BOB, subject: "Probe" }).toString("base64");
      const flipped = Buffer.from(parts.iv);
      flipped[0] ^= 1;
      const guesses = [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a];
      const variants = [wrap(der), wrap(parts.with(flipped, parts.ciphertext)), ...guesses.map((g) => wrap(probe(parts, g)))];
      const seen = await W.messageFrame(bob.page).evaluate(pageProbe, { variants, folder: W.folder, demo: key === "demo", settle: 1500 });

      // What the page could observe is the same for every copy: the same elements, attributes and sizes.
      assert.equal(seen.length, variants.length);
      assert.ok(seen[0].seen.some((s) => s.startsWith("IFRAME[")), `Siegel's reader frame was inserted: ${JSON.stringify(seen[0])}`);
      for (const [i, o] of seen.entries()) assert.deepEqual(o, seen[0], `observation ${i} differs from the first`);
      // So the attack's oracle (an observation unlike the others) picks no guess: no byte is recovered.
      const told = guesses.filter((_, i) => JSON.stringify(seen[i + 2]) !== JSON.stringify(seen[3]));
      assert.deepEqual(told, [], "no guess is distinguished");

      // The probes' decryption failures locked Siegel, and the user is told why.
      const state = await lockState(bob);
      assert.deepEqual(state, { unlocked: false, reason: "probing" });
      const popup = await bob.context.newPage();
      await popup.goto(`chrome-extension://${bob.extensionId}/popup/popup.html`);
      await popup.locator("#lock-reason:not([hidden])").waitFor();
      assert.match(await popup.locator("#lock-reason").textContent(), /failed to decrypt within minutes/);
      await popup.close();

      // CBC mail keeps working once the user unlocks again.
      await unlock(bob);
      const again = await W.open(bob.page, subject);
      assert.match(await again.locator("#text").textContent(), /launch code is 0451/);
    });

    for (const alwaysSign of [false, true]) {
      test(`signing oracle${alwaysSign ? " under alwaysSign" : ""}: no signature or sealed message comes back without a trusted click in Siegel's frame`, { timeout: 180_000 }, async () => {
        const { page } = alice;
        await fromOptions(alice, { op: "setSetting", key: "alwaysSign", value: alwaysSign });
        if (!alwaysSign) {
          // The user signs and sends one mail in this page first: the old compose view's handler answered a
          // replayed send-requested afterwards.
          await W.compose(page, { to: [BOB], subject: `Signed by Alice (${key})`, body: "Really from me.", sign: true });
          assert.deepEqual(await W.send(page), { status: "sent" });
        }
        await W.compose(page, { to: [BOB], subject: "An honest draft", body: "", sign: alwaysSign });
        const stored = W.everything();
        const composeId = await W.composeId(page);
        const requests = await page.evaluate(pageSigningOracle, { from: ALICE, to: BOB, composeId, rounds: 5 });
        // With Sign on, Siegel's editor reads the envelope from the page (so the channel was live) ...
        if (alwaysSign) assert.ok(requests.some((r) => r.type === "get-recipients"), "Siegel's content script was talking to the page");
        // ... but never hands it anything to send.
        assert.deepEqual(requests.filter((r) => r.type === "send-raw"), [], "Siegel handed the page nothing to send");
        // A draft the page made Siegel save is encrypted to Alice alone and signed by nobody.
        for (const r of requests.filter((x) => x.type === "save-draft")) {
          const inside = openssl(["cms", "-decrypt", "-recip", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key")], Buffer.from(r.raw, "base64")).toString("latin1");
          assert.doesNotMatch(inside, /pkcs7-signature|signed-data|I owe Mallory/);
        }
        // Nothing reached any mailbox; Siegel's editor tells the user that Send is its own.
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(W.everything().filter((f) => !stored.includes(f) && !/Drafts/.test(f)), [], "nothing was delivered");
        if (alwaysSign) assert.match(await editorStatus(page), /press Send below, in Siegel's editor/);
        // The setting back as the user had it, for the tests after this one.
        await fromOptions(alice, { op: "setSetting", key: "alwaysSign", value: false });
      });
    }

    test("the secure editor's text and attachments are unreadable from the page, and drafts reach the server only encrypted", { timeout: 180_000 }, async () => {
      const { page } = alice;
      await page.addInitScript(() => {
        window.__traffic = [];
        window.addEventListener("message", (e) => window.__traffic.push(JSON.stringify(e.data, (k, v) => (v instanceof ArrayBuffer ? btoa(String.fromCharCode(...new Uint8Array(v))) : v))));
      });
      const subject = `Draft of a secret (${key})`;
      await W.compose(page, { to: [BOB], subject, body: `Hi Bob,\n${SECRET}`, files: [{ name: "secret.txt", mimeType: "text/plain", buffer: Buffer.from(`attached: ${SECRET}`) }], sign: true, encrypt: true });
      const harvest = await page.evaluate(pageHarvest);
      assert.match(harvest.editorWindow, /^\(blocked/, "the page cannot script Siegel's editor frame");
      assert.ok(harvest.frames.some((f) => /^\(blocked|no document/.test(f)));
      const all = JSON.stringify(harvest) + JSON.stringify(await page.evaluate(() => window.__traffic || []));
      for (const s of ["launch code", Buffer.from(`attached: ${SECRET}`).toString("base64").slice(0, 24)]) assert.ok(!all.includes(s), `the page holds "${s}"`);

      // Save in Siegel's editor: the server's Drafts gets only an encrypted draft, which Alice's key opens.
      const before = W.drafts(ALICE).length;
      await editorOf(page).locator("#save").click();
      await editorOf(page).locator("#saved", { hasText: /saved encrypted/ }).waitFor({ timeout: 30_000 });
      const drafts = W.drafts(ALICE);
      assert.equal(drafts.length, before + 1);
      const draft = readFileSync(drafts.find((f) => readFileSync(f, "latin1").includes(subject)));
      assert.match(draft.toString("latin1"), /application\/pkcs7-mime; smime-type=authEnveloped-data/);
      assert.ok(!draft.includes(Buffer.from("launch code")), "no plaintext on the server");
      const inside = openssl(["cms", "-decrypt", "-recip", join(PKI, "alice.crt"), "-inkey", join(PKI, "alice.key")], draft).toString("latin1");
      assert.match(inside, /launch code is 0451/);
      assert.match(inside, /filename="?secret\.txt"?/);
      assert.ok(!JSON.stringify(await page.evaluate(pageHarvest)).includes("launch code"));

      // The webmail's own Save (Roundcube's autosave runs the same command) stores no plaintext draft while
      // Siegel holds the message.
      await W.pageSave(page);
      await new Promise((r) => setTimeout(r, 3000));
      for (const f of W.drafts(ALICE)) assert.ok(!readFileSync(f).includes(Buffer.from("launch code")), `no plaintext draft: ${f}`);

      // The draft reopens into Siegel's editor, whole; the page still has no plaintext.
      const editor = await W.openDraft(page, subject);
      await editor.locator("#text").waitFor();
      await page.waitForFunction(() => true);
      for (const until = Date.now() + 20_000; !(await editor.locator("#text").inputValue()).includes("launch code") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      assert.match(await editor.locator("#text").inputValue(), /launch code is 0451/);
      assert.match(await editor.locator("#attachments").textContent(), /secret\.txt/);
      assert.equal(await editor.locator("#encrypt").isChecked(), true);
      assert.ok(!JSON.stringify(await page.evaluate(pageHarvest)).includes("launch code"));
    });

    test("reply and forward of an encrypted mail quote its plaintext inside Siegel's editor only", { timeout: 180_000 }, async () => {
      const subject = `Quote me (${key})`;
      await W.deliver(BOB, cbcMailToBob(subject).raw);
      for (const mode of ["reply", "forward"]) {
        const reader = await W.open(bob.page, subject);
        assert.match(await reader.locator("#text").textContent(), /launch code/);
        await W.answer(bob.page, mode);
        const editor = await editorReady(bob.page);
        // Protected from the start (the original was encrypted), with the quote in Siegel's editor.
        await editor.locator('body[data-mode="editor"]').waitFor();
        assert.equal(await editor.locator("#encrypt").isChecked(), true);
        for (const until = Date.now() + 20_000; !(await editor.locator("#text").inputValue()).includes("launch code") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
        const text = await editor.locator("#text").inputValue();
        assert.match(text, mode === "reply" ? /wrote:\n> The launch code is 0451-7781\./ : /Forwarded message[\s\S]*The launch code is 0451-7781\./);
        // The webmail, which never had the plaintext, has none now either.
        assert.ok(!JSON.stringify(await bob.page.evaluate(pageHarvest)).includes("launch code"), `${mode}: the page holds no plaintext`);
      }
    });

    test("a forged draft (any bytes the page calls a draft) opens as plain text, encrypted, and is named as not Siegel's", { timeout: 120_000 }, async () => {
      const { page } = alice;
      await W.compose(page, { to: [BOB], subject: `Forged draft (${key})`, body: "" });
      const forged = `X-Siegel-Protection: sign\r\nFrom: ${ALICE}\r\nTo: ${BOB}\r\nSubject: Draft\r\nContent-Type: text/html\r\n\r\n<p>Hi Bob,</p><p><font color="#ffffff">I, Alice, owe Mallory 1000 EUR.</font></p>\r\n`;
      await page.evaluate(({ raw, demo }) => {
        window.addEventListener("message", (ev) => {
          const m = ev.data;
          if (m?.source === "siegel" && m.type === "get-raw" && m.id === "forged-1") {
            window.postMessage({ source: "webmail", type: "raw", requestId: m.requestId, raw: new TextEncoder().encode(raw).buffer }, location.origin);
          }
        }, true);
        document.querySelector("iframe[data-siegel-editor]").remove();
        if (demo) document.querySelector("form#compose").dataset.composeId = "forged-compose";
        window.postMessage({ source: "webmail", type: "compose-open", composeId: "forged-compose", draft: { folder: "Drafts", id: "forged-1" } }, location.origin);
      }, { raw: forged, demo: key === "demo" });
      const editor = await editorReady(page);
      for (const until = Date.now() + 20_000; !(await editor.locator("#text").inputValue()).includes("Mallory") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      // Its text, all of it visible, as plain text; Encrypt on, Sign as the user's default, not as the forgery said.
      assert.match(await editor.locator("#text").inputValue(), /I, Alice, owe Mallory 1000 EUR\./);
      assert.equal(await editor.locator('input[name="format"][value="text"]').isChecked(), true);
      assert.equal(await editor.locator("#encrypt").isChecked(), true);
      assert.equal(await editor.locator("#sign").isChecked(), false);
      assert.match(await editorStatus(page), /not saved by Siegel/);
    });

    test("the webmail's own draft comes into Siegel's editor as plain text: text it hid in its HTML shows", { timeout: 120_000 }, async () => {
      const { page } = alice;
      await W.compose(page, { to: [BOB], subject: `Hidden text (${key})`, body: "" });
      await page.evaluate((composeIdOf) => {
        // The attacker silences the webmail's own answer (wrapping postMessage, as any script in the page can)
        // and gives its own.
        const post = window.postMessage.bind(window);
        window.postMessage = (m, ...rest) => (m?.source === "webmail" && m.type === "draft" && !m.forged ? undefined : post(m, ...rest));
        window.addEventListener("message", (ev) => {
          const m = ev.data;
          if (m?.source !== "siegel" || m.type !== "get-draft") return;
          const draft = { from: "alice@example.com", to: ["bob@example.com"], cc: [], bcc: [], subject: "Hi", text: "", attachments: [],
            html: '<div>Hi Bob,</div><div><font color="#ffffff">I, Alice, owe Mallory 1000 EUR.</font></div>' };
          window.postMessage({ source: "webmail", type: "draft", requestId: m.requestId, composeId: composeIdOf, draft, forged: true }, location.origin);
        });
      }, await W.composeId(page));
      await harness.setToggles(page, { sign: true });
      const editor = editorOf(page);
      for (const until = Date.now() + 20_000; !(await editor.locator("#text").inputValue()).includes("Mallory") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await editor.locator('input[name="format"][value="text"]').isChecked(), true);
      assert.match(await editor.locator("#text").inputValue(), /^Hi Bob,\s+I, Alice, owe Mallory 1000 EUR\.$/);
    });

    test("recipients changed while Siegel's confirmation window is open: the confirmed envelope is the one sent, or nothing is", { timeout: 120_000 }, async () => {
      const { page } = alice;
      const subject = `For Bob only (${key})`;
      await W.compose(page, { to: [BOB], subject, body: "Only for Bob.", sign: true, encrypt: true });
      await page.evaluate(() => (document.querySelector("iframe[data-siegel-editor]").style.opacity = "0.05"));
      const stored = W.everything();
      const opened = alice.context.waitForEvent("page", { predicate: (p) => p.url().includes("/confirm/confirm.html"), timeout: 30_000 });
      const editor = editorOf(page);
      await editor.locator("#send").scrollIntoViewIfNeeded();
      await page.waitForTimeout(800);
      await editor.locator("#send").click({ force: true });
      const confirmation = await opened;
      await confirmation.locator("body[data-ready]").waitFor();
      assert.match(await confirmation.locator("#to").textContent(), /^bob@example\.com$/);
      // While the user reads the window, the page puts Carol in To (the field its get-recipients reads).
      await page.evaluate((demo) => {
        const field = document.querySelector(demo ? "#compose-to" : "#_to");
        field.value = "carol@example.com";
      }, key === "demo");
      await page.waitForTimeout(3000);
      await confirmation.locator("#send:not([disabled])").click();
      await editor.locator("#status.error", { hasText: /changed/ }).waitFor({ timeout: 30_000 });
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(W.everything().filter((f) => !stored.includes(f) && !/Drafts/.test(f)), [], "nothing was sent, to Carol or anyone");
    });

    test("the Send bar must be seen whole: a frame moved so that Send shows but what it sends is covered does not send", { timeout: 120_000 }, async () => {
      const { page } = alice;
      await W.compose(page, { to: [BOB], subject: `Strip (${key})`, body: "Careful.", sign: true, encrypt: true });
      const stored = W.everything();
      await page.evaluate(() => {
        const frame = document.querySelector("iframe[data-siegel-editor]");
        const rect = frame.getBoundingClientRect();
        // Only the bottom strip of the frame (Siegel's Send bar) stays on screen, and a decoy covers its summary.
        frame.style.cssText += `;position:fixed;left:20px;top:${-(rect.height - 60)}px;width:${rect.width}px;z-index:10`;
        const decoy = document.createElement("div");
        decoy.id = "decoy";
        decoy.textContent = "To: bob@example.com · Sign it, it is only a receipt";
        decoy.style.cssText = `position:fixed;left:150px;top:0;width:${rect.width - 260}px;height:60px;background:#fff;pointer-events:none;z-index:11`;
        document.body.append(decoy);
      });
      const opened = alice.context.waitForEvent("page", { predicate: (p) => p.url().includes("/confirm/confirm.html"), timeout: 30_000 });
      await page.waitForTimeout(800);
      await editorOf(page).locator("#send").click({ force: true });
      const confirmation = await opened;
      await confirmation.locator("#cancel").click();
      await editorOf(page).locator("#status.error", { hasText: /not confirmed/ }).waitFor({ timeout: 30_000 });
      await page.evaluate(() => document.getElementById("decoy")?.remove());
      assert.deepEqual(W.everything().filter((f) => !stored.includes(f) && !/Drafts/.test(f)), [], "nothing was sent");
    });

    test("a reply quotes only the encrypted mail this tab's reader decrypted, never one the page slips in; what was quoted leaves only encrypted", { timeout: 180_000 }, async () => {
      const opened = `Opened (${key})`;
      const other = `Never opened (${key})`;
      await W.deliver(BOB, cbcMailToBob(opened).raw);
      const slipped = smime(openssl(["cms", "-encrypt", "-aes-256-cbc", "-in", join(work, "never.txt"), "-outform", "DER", join(PKI, "bob.crt")], undefined), { from: ALICE, to: BOB, subject: other });
      const page = await bob.context.newPage();
      // The page answers Siegel's request for the original with another encrypted mail of Bob's, which he never opened.
      await page.addInitScript((b64) => {
        const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        window.addEventListener("message", (ev) => {
          const m = ev.data;
          if (m?.source !== "siegel" || m.type !== "get-raw" || !/compose/.test(location.href)) return;
          ev.stopImmediatePropagation();
          window.postMessage({ source: "webmail", type: "raw", requestId: m.requestId, raw: raw.slice().buffer }, location.origin);
        }, true);
      }, slipped.toString("base64"));
      try {
        if (key === "demo") await page.goto(`${W.mail.base}/#/folder/INBOX`);
        else await page.goto(`${W.rc.url}?_task=mail`);
        await W.open(page, opened);
        await W.answer(page, "reply");
        const editor = await editorReady(page);
        await page.waitForTimeout(3000);
        assert.doesNotMatch(await editor.locator("#text").inputValue(), /Never opened|0451/, "nothing of the slipped-in mail is quoted");
        assert.equal(await editor.locator("body").getAttribute("data-mode"), "toolbar", "and the reply does not start as Siegel's");
      } finally {
        await page.close();
      }
      // The real reply of the mail Bob read quotes it, with Encrypt on and locked.
      await W.open(bob.page, opened);
      await W.answer(bob.page, "reply");
      const editor = await editorReady(bob.page);
      for (const until = Date.now() + 20_000; !(await editor.locator("#text").inputValue()).includes("launch code") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await editor.locator("#encrypt").isChecked(), true);
      assert.equal(await editor.locator("#encrypt").isDisabled(), true, "what Siegel decrypted leaves only encrypted");
    });

    test("the webmail's address book is asked about every recipient, so the page cannot tell which ones Siegel has certificates for", { skip: key !== "roundcube", timeout: 120_000 }, async () => {
      const page = await alice.context.newPage();
      await page.addInitScript(() => {
        window.__lookups = [];
        window.addEventListener("message", (ev) => {
          if (ev.data?.source === "siegel" && ev.data.type === "lookup-certificates") window.__lookups.push(ev.data.emails);
        });
      });
      try {
        await W.compose(page, { to: [BOB, "dave@example.com"], subject: "Who has a certificate?", body: "", sign: true, encrypt: true });
        await editorOf(page).locator("#recipients li").nth(1).waitFor({ timeout: 60_000 });
        const asked = await page.evaluate(() => window.__lookups.flat());
        assert.ok(asked.includes(BOB) && asked.includes("dave@example.com"), `asked about ${JSON.stringify(asked)}: Bob, whose certificate Siegel has, too`);
      } finally {
        await page.close();
      }
    });

    test("pokes from the page do not keep Siegel unlocked; activity in Siegel's own frames does", { timeout: 120_000 }, async () => {
      const { page } = bob;
      const subject = `Poke (${key})`;
      await W.deliver(BOB, cbcMailToBob(subject).raw);
      await W.open(page, subject);
      const deadline = await autoLockAt(bob);
      assert.ok(deadline > Date.now(), "Siegel is unlocked, with an auto-lock deadline");
      // The page opens messages and announces views for 20 s: the deadline stays where it was.
      await W.messageFrame(page).evaluate(async ({ folder }) => {
        for (let i = 0; i < 10; i++) {
          window.postMessage({ source: "webmail", type: "message-open", folder, id: `poke-${i}`, smime: "encrypted" }, location.origin);
          window.postMessage({ source: "webmail", type: "compose-open", composeId: `poke-${i}` }, location.origin);
          await new Promise((r) => setTimeout(r, 2000));
        }
      }, { folder: W.folder });
      assert.equal(await autoLockAt(bob), deadline, "the page's pokes did not move the deadline");
      const reader = await W.open(page, subject);
      // Clicks the page routes through the reader frame made nearly transparent are not the user reading mail.
      const frameOf = () => W.messageFrame(page);
      await frameOf().evaluate(() => (document.querySelector("iframe[data-siegel-reader]").style.opacity = "0.02"));
      await page.waitForTimeout(1200);
      await reader.locator("#banner").click({ force: true });
      await page.waitForTimeout(1000);
      assert.equal(await autoLockAt(bob), deadline, "a click through an invisible reader did not move the deadline");
      // A key pressed in Siegel's reader frame, seen, is the user's activity: the deadline moves.
      await frameOf().evaluate(() => (document.querySelector("iframe[data-siegel-reader]").style.opacity = ""));
      await page.waitForTimeout(1200);
      await reader.locator("#banner").click();
      await page.keyboard.press("ArrowDown");
      for (const until = Date.now() + 10_000; (await autoLockAt(bob)) === deadline && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
      assert.ok((await autoLockAt(bob)) > deadline, "Siegel's own UI moved the deadline");
    });

    test("Siegel's Send frame made transparent or covered does not send; Siegel asks in its own window instead", { timeout: 180_000 }, async () => {
      const { page } = alice;
      for (const trick of ["transparent", "covered"]) {
        const subject = `Clickjacked ${trick} (${key})`;
        await W.compose(page, { to: [BOB], subject, body: "Only if I mean it.", sign: true, encrypt: true });
        await page.evaluate((t) => {
          const frame = document.querySelector("iframe[data-siegel-editor]");
          if (t === "transparent") frame.style.opacity = "0.05";
          else {
            // A decoy over the frame that lets the click through to it.
            const decoy = document.createElement("div");
            decoy.textContent = "Click here to win";
            decoy.style.cssText = "position:fixed;inset:0;background:rgba(255,255,255,.9);pointer-events:none;z-index:2147483647";
            document.body.append(decoy);
          }
        }, trick);
        const stored = W.everything();
        const window = alice.context.waitForEvent("page", { predicate: (p) => p.url().includes("/confirm/confirm.html"), timeout: 30_000 });
        const editor = editorOf(page);
        await editor.locator("#send").scrollIntoViewIfNeeded();
        await page.waitForTimeout(800);
        await editor.locator("#send").click({ force: true });
        const confirmation = await window;
        await confirmation.locator("body[data-ready]").waitFor();
        assert.match(await confirmation.locator("#to").textContent(), /bob@example\.com/);
        await confirmation.locator("#cancel").click();
        await editor.locator("#status.error", { hasText: /not confirmed/ }).waitFor({ timeout: 30_000 });
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(W.everything().filter((f) => !stored.includes(f) && !/Drafts/.test(f)), [], `${trick}: nothing was sent`);
        await page.evaluate(() => document.querySelectorAll("body > div[style*='pointer-events']").forEach((d) => d.remove()));
      }
    });
  });
}

describe("hostile webmail: the demo webmail, what only a browser session shows", () => {
  const W = webmails.demo;
  let bob;
  let elsewhere;

  before(async () => {
    await W.start();
    bob = await W.browser(BOB, "bob.p12");
    elsewhere = createServer((req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><title>another site</title><body>another site</body>");
    });
    await new Promise((r) => elsewhere.listen(0, "127.0.0.1", r));
  });
  after(async () => {
    await bob?.close();
    W.stop();
    elsewhere?.close();
  });

  test("another site cannot load reader.html, and a leaked reader URL reads nothing and may do nothing privileged", { timeout: 90_000 }, async () => {
    const subject = "Leaked reader";
    await W.deliver(BOB, cbcMailToBob(subject).raw);
    await W.open(bob.page, subject);
    const leaked = await bob.page.locator("iframe[data-siegel-reader]").getAttribute("src");
    const page = await bob.context.newPage();
    await page.goto(`http://localhost:${elsewhere.address().port}/`);
    // The extension's own URL of the page (not the per-session one) is closed to every site.
    const fixed = `chrome-extension://${bob.extensionId}/reader/reader.html`;
    const fetched = await page.evaluate((u) => fetch(u).then(() => "loaded", (e) => `refused: ${e.name}`), fixed);
    assert.match(fetched, /^refused/);
    await page.evaluate((u) => {
      const f = document.createElement("iframe");
      f.src = u;
      document.body.append(f);
    }, fixed);
    await page.waitForTimeout(1500);
    assert.equal(page.frames().filter((f) => f.url().startsWith(`chrome-extension://${bob.extensionId}`) && f.url().includes("reader")).length, 0, "the fixed URL does not load");
    // The per-session URL, leaked by the webmail to another site, opens a reader that reads nothing ...
    await page.evaluate((u) => {
      const f = document.createElement("iframe");
      f.src = u;
      document.body.append(f);
    }, leaked);
    const reader = page.frameLocator("iframe >> nth=1");
    await reader.locator("body[data-ready]").waitFor({ timeout: 30_000 });
    assert.match(await reader.locator("#banner-text").textContent(), /no longer open/);
    // ... and Siegel refuses it every privileged operation.
    const frame = page.frames().find((f) => f.url().includes("/reader/reader.html"));
    for (const op of [{ op: "unlock", passphrase: PASSPHRASE }, { op: "setSetting", key: "alwaysSign", value: false }, { op: "status" }, { op: "lock" }]) {
      const reply = await frame.evaluate((m) => chrome.runtime.sendMessage(m), op);
      assert.deepEqual(reply, { ok: false, error: { code: "forbidden", message: "Not allowed from this context." } }, op.op);
    }
    await page.close();
  });

  test("unlocked lasts across the worker being stopped, woken by the next mail", { timeout: 120_000 }, async () => {
    const subject = "After the worker stopped";
    await W.deliver(BOB, cbcMailToBob(subject).raw);
    const cdp = await bob.context.newCDPSession(bob.page);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    await new Promise((r) => setTimeout(r, 1500));
    const reader = await W.open(bob.page, subject);
    assert.match(await reader.locator("#text").textContent(), /launch code is 0451/, "the woken worker decrypts: Siegel stayed unlocked");
    await cdp.detach();
  });

  test("the badge belongs to the message on screen; the page reads no Siegel state from the DOM; a signer becomes a contact only once the reader was seen", { timeout: 120_000 }, async () => {
    const page = bob.page;
    const badge = async () => (await workerOf(bob)).evaluate(async () => {
      const tabs = await chrome.tabs.query({ url: "http://127.0.0.1/*" });
      return Promise.all(tabs.map((t) => chrome.action.getBadgeText({ tabId: t.id })));
    });
    const contacts = async () => {
      const options = await bob.context.newPage();
      await options.goto(`chrome-extension://${bob.extensionId}/options/options.html`);
      await options.locator("body[data-ready]").waitFor();
      const text = await options.locator("#contact-list").textContent();
      await options.close();
      return text;
    };
    const signed = execFileSync(join(harness.ROOT, "target", "debug", "siegel"), ["sign", "--identity", join(PKI, "alice.p12"), "--password-env", "PW"], {
      input: `From: Alice <${ALICE}>\r\nTo: ${BOB}\r\nSubject: Signed by Alice\r\n\r\nHello Bob.\r\n`,
      env: { ...process.env, PW: "secret" },
    });
    W.deliver(BOB, signed);
    // The page opens Alice's signed mail where the user cannot see it (off screen): no contact is learned.
    await W.open(page, "Leaked reader");
    await page.evaluate((b64) => {
      const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      window.addEventListener("message", (ev) => {
        if (ev.data?.source === "siegel" && ev.data.type === "get-raw" && ev.data.id === "hidden-1") {
          window.postMessage({ source: "webmail", type: "raw", requestId: ev.data.requestId, raw: raw.slice().buffer }, location.origin);
        }
      }, true);
      document.querySelector("#siegel-slot").style.cssText = "position:fixed;left:-10000px;top:0";
      document.querySelector("article#message").dataset.messageId = "hidden-1";
      document.querySelector("#siegel-slot").replaceChildren();
      window.postMessage({ source: "webmail", type: "message-open", folder: "INBOX", id: "hidden-1", smime: "signed" }, location.origin);
    }, signed.toString("base64"));
    await page.locator("iframe[data-siegel-reader]").waitFor();
    await page.frameLocator("iframe[data-siegel-reader]").locator("body[data-ready]").waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 3000));
    assert.doesNotMatch(await contacts(), /alice@example\.com/, "not learned from a reader the user never saw");
    assert.deepEqual((await badge()).filter(Boolean), [], "a reader the user cannot see lends no verdict to the badge");
    // Opened by the user, visibly: once seen, the badge shows its verdict, and Alice becomes a contact.
    await W.open(page, "Signed by Alice");
    for (const until = Date.now() + 10_000; !(await badge()).includes("\u2713") && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual((await badge()).filter(Boolean), ["\u2713"]);
    for (const until = Date.now() + 15_000; !/alice@example\.com/.test(await contacts()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 500));
    assert.match(await contacts(), /alice@example\.com/);
    // The next message fails: the badge does not keep the ✓ of the one before.
    W.deliver(BOB, readFileSync(join(harness.ROOT, "crate", "tests", "data", "attacks", "gcm-flipped.eml")));
    const broken = await W.open(page, "GCM flipped");
    assert.equal(await broken.locator("#banner").getAttribute("data-verdict"), "error");
    assert.deepEqual((await badge()).filter(Boolean), [], "the badge cleared for the message that failed");
    // Leaving the message clears it too.
    await W.open(page, "Signed by Alice");
    await page.click("#back");
    for (const until = Date.now() + 10_000; (await badge()).some(Boolean) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual((await badge()).filter(Boolean), []);
    // No attribute in the page says anything but that Siegel is there and holds Send.
    const attrs = await page.evaluate(() => [...document.querySelectorAll("*")].flatMap((e) => e.getAttributeNames().filter((n) => /siegel/i.test(n)).map((n) => `${n}=${e.getAttribute(n)}`)));
    for (const a of attrs) assert.match(a, /^(data-siegel=active|data-siegel-intercept=[01]|data-siegel-reader=|data-siegel-editor=)$/, a);
  });

  test("reader: links open in a new tab with no opener and no referrer; active attachments are only downloaded", { timeout: 90_000 }, async () => {
    const landing = [];
    const server = createServer((req, res) => {
      landing.push({ url: req.url, referer: req.headers.referer ?? null });
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><title>landing</title><body>landed</body>");
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${server.address().port}/landing`;
      const b64 = (s) => Buffer.from(s).toString("base64");
      const entity = [
        "Content-Type: multipart/mixed; boundary=m", "", "--m", "Content-Type: text/html; charset=utf-8", "",
        `<p>Read <a id="go" href="${url}" target="_top">this</a>.</p>`, "--m",
        "Content-Type: text/html; name=page.html", "Content-Disposition: attachment; filename=page.html", "Content-Transfer-Encoding: base64", "", b64("<script>alert(1)</script>"), "--m",
        "Content-Type: image/svg+xml; name=pic.svg", "Content-Disposition: attachment; filename=pic.svg", "Content-Transfer-Encoding: base64", "", b64("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), "--m",
        "Content-Type: image/png; name=dot.png", "Content-Disposition: attachment; filename=dot.png", "Content-Transfer-Encoding: base64", "", "iVBORw0KGgo=", "--m--", "",
      ].join("\r\n");
      writeFileSync(join(work, "links.txt"), entity);
      const der = openssl(["cms", "-encrypt", "-aes-256-gcm", "-in", join(work, "links.txt"), "-outform", "DER", join(PKI, "bob.crt")]);
      const raw = Buffer.from(smime(der, { from: ALICE, to: BOB, subject: "Links and files" }).toString("latin1").replace("smime-type=enveloped-data", "smime-type=authEnveloped-data"), "latin1");
      W.deliver(BOB, raw);
      const reader = await W.open(bob.page, "Links and files");
      const link = reader.frameLocator("#html").locator("#go");
      await link.waitFor();
      assert.equal(await link.getAttribute("target"), "_blank");
      assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
      const opened = bob.context.waitForEvent("page");
      await link.click();
      const tab = await opened;
      await tab.waitForLoadState();
      assert.equal(await tab.evaluate(() => window.opener), null, "no opener");
      assert.equal(await tab.evaluate(() => document.referrer), "", "no referrer");
      // (The landing page's own favicon request names the landing page; the link's request names nothing.)
      assert.deepEqual(landing.filter((l) => l.url === "/landing").map((l) => l.referer), [null], "the landing page's server got no Referer");
      await tab.close();
      // Each download's blob has the type its link names (the reader's CSP keeps even the reader from fetching it).
      const types = Object.fromEntries(await reader.locator("#attachments a").evaluateAll((links) => links.map((a) => [a.download, a.type])));
      assert.deepEqual(types, { "page.html": "application/octet-stream", "pic.svg": "application/octet-stream", "dot.png": "image/png" });
    } finally {
      server.close();
    }
  });

  test("with autoLockMinutes 1, a page that pokes Siegel every few seconds does not keep it unlocked", { timeout: 150_000 }, async () => {
    await fromOptions(bob, { op: "setSetting", key: "autoLockMinutes", value: 1 });
    await unlock(bob); // arms the one-minute deadline
    const started = Date.now();
    await W.open(bob.page, "Leaked reader");
    await bob.page.evaluate(async () => {
      for (let i = 0; i < 40; i++) {
        window.postMessage({ source: "webmail", type: "message-open", folder: "INBOX", id: `poke-${i}`, smime: "encrypted" }, location.origin);
        await new Promise((r) => setTimeout(r, 2000));
      }
    });
    assert.ok(Date.now() - started > 70_000);
    assert.deepEqual(await lockState(bob), { unlocked: false, reason: "timeout" }, "locked after a minute, pokes or not");
  });
});

describe("hostile webmail: Roundcube's server enforces the organisation's rule", () => {
  const W = webmails.roundcube;
  let browser;

  before(async () => {
    await W.start();
    W.rc.pluginConfig({ siegel_require_signed: true, siegel_require_encrypted: true });
  });
  after(async () => {
    await browser?.close();
    W.rc?.pluginConfig({});
    W.stop();
  });

  test("with the extension absent, Roundcube's own Send of a plain mail is refused and nothing reaches Dovecot; a page script posting plain bytes to the plugin is refused too", { timeout: 120_000 }, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    const page = await (await browser.newContext()).newPage();
    await W.rc.signIn(page, ALICE);
    await page.goto(`${W.rc.url}?_task=mail&_action=compose`);
    await page.locator("#composebody").waitFor();
    await W.rc.fillRecipients(page, { to: [BOB] });
    await page.fill("#compose-subject", "In the clear");
    await page.fill("#composebody", SECRET);
    const stored = W.everything();
    await page.locator("button.send").first().click();
    await page.locator("#messagestack", { hasText: /requires|Siegel/ }).waitFor({ timeout: 30_000 });
    assert.match(await page.locator("#messagestack").textContent(), /Siegel/);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(W.everything(), stored, "nothing was delivered or stored");
    // A script in the page posts a plain message straight to the plugin's send action: refused too.
    const answer = await page.evaluate(async ({ from, to }) => {
      const body = `From: ${from}\r\nTo: ${to}\r\nSubject: Plain\r\nContent-Type: text/plain\r\n\r\nHello.\r\n`;
      const r = await fetch(rcmail.url("mail/plugin.siegel-send"), { method: "POST", headers: { "Content-Type": "message/rfc822", "X-Roundcube-Request": rcmail.env.request_token }, body });
      return { status: r.status, body: await r.json() };
    }, { from: ALICE, to: BOB });
    assert.equal(answer.status, 403, JSON.stringify(answer));
    assert.deepEqual(W.everything(), stored, "nothing was delivered or stored");
  });
});
