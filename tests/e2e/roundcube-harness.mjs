// The real webmail for the end-to-end tests: Roundcube with Siegel's plugin, Dovecot and Postfix from Debian,
// started by tests/roundcube/env.sh on free loopback ports in a fresh folder, and driven in Chromium as a user
// would: sign in, compose, attach, send, open a message in the preview frame. Mail from outside arrives by
// SMTP through Postfix, as any other MTA would deliver it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, editorReady, envelopeShown, launchWithExtension, protectedMode, sendInEditor, setToggles, setUp, PKI, write } from "./harness.mjs";

export { setToggles };

const ENV = join(ROOT, "tests", "roundcube", "env.sh");
export const PASSWORD = "secret";

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class Roundcube {
  /** Installs (if needed) and starts the mail system; `origin` is Roundcube's, for the webmails policy. */
  static async start() {
    execFileSync(ENV, ["install"], { stdio: ["ignore", "ignore", "inherit"] });
    const dir = mkdtempSync(join(tmpdir(), "siegel-roundcube-"));
    const ports = {};
    for (const name of ["HTTP", "IMAP", "SMTP", "LMTP", "AUTH", "LDAP"]) ports[`SIEGEL_RC_${name}_PORT`] = String(await freePort());
    execFileSync(ENV, ["start", dir], { env: { ...process.env, ...ports }, stdio: ["ignore", "inherit", "inherit"] });
    return new Roundcube(dir, JSON.parse(readFileSync(join(dir, "env.json"), "utf8")));
  }

  constructor(dir, env) {
    this.dir = dir;
    this.env = env;
    this.url = env.RC_URL.replace(/\/?$/, "/");
    this.origin = new URL(this.url).origin;
  }

  stop() {
    try {
      execFileSync(ENV, ["stop", this.dir], { stdio: ["ignore", "inherit", "inherit"] });
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The files Dovecot stored in a user's folder ("INBOX" or a Maildir++ folder such as "Sent"). */
  stored(user, folder = "INBOX") {
    const base = join(this.env.MAILDIR_ROOT, user, folder === "INBOX" ? "" : `.${folder}`);
    const out = [];
    for (const sub of ["new", "cur"]) {
      const dir = join(base, sub);
      if (existsSync(dir)) out.push(...readdirSync(dir).map((f) => join(dir, f)));
    }
    return out;
  }

  /** Every file in every user's Maildir (all folders, tmp too): what "nothing was delivered" is checked on. */
  everything() {
    const out = [];
    const walk = (dir) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\/(new|cur|tmp)\/[^/]+$/.test(p)) out.push(p);
      }
    };
    walk(this.env.MAILDIR_ROOT);
    return out.sort();
  }

  /** Waits until `user`'s folder holds `count` messages; returns their files. */
  async waitForStored(user, count, folder = "INBOX", timeout = 30_000) {
    for (const until = Date.now() + timeout; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      const files = this.stored(user, folder);
      if (files.length >= count) return files;
    }
    throw new Error(`${user}'s ${folder} did not reach ${count} messages: ${this.stored(user, folder).length}`);
  }

  /**
   * Delivers a raw message by SMTP through Postfix, as a mail server elsewhere would, and waits until Dovecot
   * has stored it (Postfix queues, then delivers over LMTP).
   */
  async deliver(to, raw, from = "sender@outside.test") {
    const before = this.stored(to).length;
    await smtp(Number(this.env.SMTP_PORT), from, [to], raw);
    return this.waitForStored(to, before + 1);
  }

  /**
   * Ends the Roundcube session of a browser on the server side, as its lifetime running out does (Roundcube's
   * garbage collection deletes the row): the browser keeps its cookie, the server no longer knows it.
   */
  async expireSession(context) {
    const cookie = (await context.cookies(this.url)).find((c) => c.name === this.env.RC_SESSION_COOKIE);
    assert.ok(cookie, `a ${this.env.RC_SESSION_COOKIE} cookie`);
    const php = "$db = new PDO('sqlite:' . $argv[1]); $q = $db->prepare('DELETE FROM session WHERE sess_id = ?'); $q->execute([$argv[2]]); exit($q->rowCount() === 1 ? 0 : 1);";
    execFileSync("php", ["-r", php, this.env.RC_DB, cookie.value], { stdio: "inherit" });
  }

  /** A browser with the extension set up as `user`'s, with the webmails policy naming this Roundcube. */
  async browserFor(extension, user, { p12, contacts = [] }) {
    const b = await launchWithExtension(extension);
    const options = await setUp(b, {
      p12: join(PKI, p12),
      trust: [join(PKI, "chain.pem")],
      contacts: contacts.map((c) => ({ file: join(PKI, c), email: c.replace(".crt", "@example.com") })),
    });
    // Siegel runs on Roundcube's origin because its settings say so (lib/webmails.js registers the scripts).
    await this.pointAt(options);
    await options.close();
    const page = await b.context.newPage();
    await this.signIn(page, user);
    return { ...b, page };
  }

  /** Sets the webmails setting in an open options page to this Roundcube, as a user would. */
  async pointAt(options) {
    await options.fill("textarea[name=webmails]", `${this.origin} roundcube`);
    await options.locator("textarea[name=webmails]").dispatchEvent("change");
    await options.waitForFunction(() => document.querySelector("#settings-message").textContent === "Saved.");
  }

  /** Signs in to Roundcube through its login form. */
  async signIn(page, user) {
    await page.goto(this.url);
    await page.fill("#rcmloginuser", user);
    await page.fill("#rcmloginpwd", PASSWORD);
    await Promise.all([page.waitForURL(/_task=mail/), page.click("#rcmloginsubmit")]);
    await page.locator("#messagelist").waitFor({ state: "attached" });
  }

  /**
   * Opens a new compose view and fills it as a user would: recipients through Roundcube's recipient widget
   * and the Subject in Roundcube's fields; then, with `sign` or `encrypt`, Siegel's toggles, the text and
   * the attachments in Siegel's editor; without them, the text and attachments in Roundcube's own editor.
   */
  async compose(page, { to, cc = [], bcc = [], subject, body, files = [], sign = false, encrypt = false, html = false, url }) {
    await page.goto(url || `${this.url}?_task=mail&_action=compose`);
    await editorReady(page);
    const fromTheStart = await protectedMode(page);
    await this.fillRecipients(page, { to, cc, bcc });
    if (subject !== undefined) await page.fill("#compose-subject", subject);
    if (fromTheStart && subject) await envelopeShown(page, subject);
    await setToggles(page, { sign, encrypt });
    if (sign || encrypt || (await protectedMode(page))) {
      await write(page, { body, files, html });
    } else {
      await page.fill("#composebody", body);
      if (files.length) {
        await page.setInputFiles("#uploadformInput", files);
        await page.waitForFunction((n) => document.querySelectorAll("#attachment-list li").length >= n && !document.querySelector("#attachment-list li.uploading, #attachment-list .uploading"), files.length, { timeout: 60_000 });
      }
    }
  }

  /** Types recipients into Roundcube's recipient widgets (Cc and Bcc rows are shown first). */
  async fillRecipients(page, { to = [], cc = [], bcc = [] }) {
    for (const [field, list] of [["to", to], ["cc", cc], ["bcc", bcc]]) {
      if (!list.length) continue;
      // Cc and Bcc rows are hidden until asked for (Elastic's header menu); show the row.
      if (field !== "to") await page.evaluate((f) => document.getElementById(`compose_${f}`).classList.remove("hidden"), field);
      const input = page.locator(`#compose_${field} .recipient-input input`);
      await input.fill(list.join(", ") + ", ");
      await input.blur();
    }
  }

  /**
   * Sends as a user would: Siegel's Send when Siegel's editor holds the message, else Roundcube's. Waits
   * for this attempt's outcome: `{ status: "sent" }` once Roundcube has left the compose view as after its
   * own sending, or `{ status: "error", message }` (Siegel's status line, or Roundcube's error message).
   */
  async send(page, timeout = 120_000) {
    const sent = (t) => page.waitForURL((u) => !/_action=compose/.test(u.search), { timeout: t });
    if (await protectedMode(page)) return sendInEditor(page, sent, timeout);
    await page.locator("button.send").first().click();
    const settle = (p) => p.catch(() => new Promise(() => {}));
    return Promise.race([
      settle(sent(timeout).then(() => ({ status: "sent" }))),
      settle(page.locator("#messagestack .error, #messagestack div.error").first().waitFor({ timeout }).then(async () => ({ status: "error", message: await page.locator("#messagestack").textContent() }))),
    ]);
  }

  /**
   * Sets the plugin's options for the requests from now on (tests/roundcube/env.sh includes this file in
   * Roundcube's configuration, read on every request); `{}` restores the defaults.
   */
  pluginConfig(options) {
    const lines = Object.entries(options).map(([k, v]) => `$config[${JSON.stringify(k)}] = ${JSON.stringify(v)};`);
    writeFileSync(this.env.SIEGEL_LOCAL_CONFIG, `<?php\n${lines.join("\n")}\n`, { mode: 0o644 });
  }

  /**
   * Clicks the message whose subject contains `subject` in the Inbox list; Roundcube shows it in its preview
   * frame. Returns that frame's locator.
   */
  async click(page, subject, folder = "INBOX") {
    await page.goto(`${this.url}?_task=mail&_mbox=${encodeURIComponent(folder)}`);
    const exact = new RegExp(`^\\s*${subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
    const row = page.locator("#messagelist tbody tr").filter({ has: page.locator("span.subject a", { hasText: exact }) }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    return page.frameLocator("#messagecontframe");
  }

  /** Opens the message in the preview frame and returns Siegel's reader frame in it, loaded. */
  async openMessage(page, subject, folder = "INBOX") {
    const preview = await this.click(page, subject, folder);
    await preview.locator("iframe[data-siegel-reader]").waitFor({ timeout: 30_000 });
    const reader = preview.frameLocator("iframe[data-siegel-reader]");
    await reader.locator("body[data-ready], #banner[data-verdict=error]").first().waitFor({ timeout: 30_000 });
    return reader;
  }

  /** The preview frame's Playwright Frame (for evaluating in it). */
  previewFrame(page) {
    return page.frames().find((f) => /_action=preview/.test(f.url()));
  }
}

/** A minimal SMTP client (RFC 5321): EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT. Rejects on any 4xx/5xx. */
export function smtp(port, from, to, raw) {
  const data = Buffer.isBuffer(raw) ? raw.toString("latin1") : String(raw);
  const body = data.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
  const steps = [
    [null, 220],
    ["EHLO outside.test", 250],
    [`MAIL FROM:<${from}>`, 250],
    ...to.map((r) => [`RCPT TO:<${r}>`, 250]),
    ["DATA", 354],
    [`${body}${body.endsWith("\r\n") ? "" : "\r\n"}.`, 250],
    ["QUIT", 221],
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let buffer = "";
    let i = 0;
    const replies = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error("SMTP timed out")));
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      // A reply is complete at a line "NNN text" (not "NNN-text").
      const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
      if (!m) return;
      const code = Number(m[2]);
      replies.push(buffer.trim());
      buffer = "";
      const expected = steps[i][1];
      if (code !== expected) {
        socket.destroy();
        reject(Object.assign(new Error(`SMTP: ${steps[i][0] ?? "greeting"} answered ${replies.at(-1)}`), { code }));
        return;
      }
      i++;
      if (i === steps.length) {
        socket.end();
        resolve(replies);
        return;
      }
      socket.write(`${steps[i][0]}\r\n`, "latin1");
    });
  });
}

/** Asserts a raw file is S/MIME of `kind` and holds none of `secrets`. */
export function assertSealed(file, kind, secrets = []) {
  const raw = readFileSync(file);
  assert.match(raw.toString("latin1"), kind);
  for (const s of secrets) assert.ok(!raw.includes(Buffer.from(s)), `${file} holds "${s}"`);
  return raw;
}
