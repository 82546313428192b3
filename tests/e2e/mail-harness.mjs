// The demo webmail for end-to-end tests: a siegel-webmail server on a free loopback port with its own Maildir
// tree, mail dropped into Inboxes the way a mail server would, and a Chromium with the extension set up as
// one of its users (identity, trusted CA bundle, contacts).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PKI, ROOT, launchWithExtension } from "./harness.mjs";

export const PASSPHRASE = "correct horse battery staple";

export class Webmail {
  /** Builds and starts the webmail (and the CLI, which tests use to write mail). */
  static async start() {
    execFileSync("cargo", ["build", "-q", "-p", "siegel-webmail", "-p", "siegel-cli"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    const data = mkdtempSync(join(tmpdir(), "siegel-mail-data-"));
    const server = spawn(join(ROOT, "target", "debug", "siegel-webmail"), ["--listen", "127.0.0.1:0", "--data", data], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise((resolve, reject) => {
      createInterface({ input: server.stdout }).once("line", resolve);
      server.once("exit", (code) => reject(new Error(`siegel-webmail exited with ${code}`)));
    });
    return new Webmail(server, data, line.match(/http:\/\/[^/\s]+/)[0]);
  }

  constructor(server, data, base) {
    Object.assign(this, { server, data, base });
  }

  stop() {
    this.server.kill();
    rmSync(this.data, { recursive: true, force: true });
  }

  inbox(user) {
    return join(this.data, user, "INBOX", "new");
  }

  sent(user) {
    return join(this.data, user, "Sent", "new");
  }

  /** Drops a raw message into a user's Inbox the way a mail server would (Maildir tmp → new). */
  deliver(user, raw) {
    const name = `${Date.now()}.${Math.random().toString(36).slice(2)}.e2e`;
    writeFileSync(join(this.data, user, "INBOX", "tmp", name), raw);
    execFileSync("mv", [join(this.data, user, "INBOX", "tmp", name), join(this.inbox(user), name)]);
    return name;
  }

  /** A browser with the extension, set up as `user`'s: identity, trusted root, contacts; signed in. */
  async browserFor(extension, user, { p12, contacts = [] }) {
    const b = await launchWithExtension(extension);
    const options = await b.context.newPage();
    await options.goto(`chrome-extension://${b.extensionId}/options/options.html`);
    await options.locator("body[data-ready]").waitFor();
    await options.setInputFiles("#import-file", join(PKI, p12));
    await options.fill("#import-password", "secret");
    await options.fill("#import-passphrase", PASSPHRASE);
    await options.fill("#import-passphrase2", PASSPHRASE);
    await options.click("#import-button");
    await options.waitForFunction((u) => document.querySelector("#import-message").textContent.includes(`Imported ${u}`), user);
    // The organisation's CA bundle (root and issuing CA), as an admin hands it out.
    await options.setInputFiles("#trust-file", join(PKI, "chain.pem"));
    await options.waitForFunction(() => /added/.test(document.querySelector("#trust-message").textContent));
    for (const c of contacts) {
      await options.setInputFiles("#contact-file", join(PKI, c));
      await options.waitForFunction((name) => document.querySelector("#contact-list").textContent.includes(name), c.replace(".crt", "@example.com"));
    }
    await options.close();
    const page = await b.context.newPage();
    await page.goto(`${this.base}/#/signin`);
    await page.click(`button.user[data-user="${user}"]`);
    await page.locator("#message-list, #empty-folder").first().waitFor();
    return { ...b, page };
  }

  /** Clicks the Inbox message whose subject contains `subject`. */
  async click(page, subject) {
    await page.goto(`${this.base}/#/folder/INBOX`);
    await page.reload(); // the same hash would not re-render the list
    await page.locator("#message-list .message-row", { hasText: subject }).first().click();
  }

  /** Opens the Inbox message whose subject contains `subject`; returns the reader frame. */
  async openMessage(page, subject) {
    await this.click(page, subject);
    await page.locator("iframe[data-siegel-reader]").waitFor({ timeout: 30_000 });
    const reader = page.frameLocator("iframe[data-siegel-reader]");
    await reader.locator("body[data-ready], #banner[data-verdict=error]").first().waitFor({ timeout: 30_000 });
    return reader;
  }
}

export const files = (dir) => readdirSync(dir).map((f) => join(dir, f));
