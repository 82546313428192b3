// The demo webmail for the reading tests: harness.mjs's webmail (startWebmail) with mail dropped into Inboxes
// the way a mail server would, a Chromium with the extension set up as one of its users (identity, trusted CA
// bundle, contacts), and messages opened in Siegel's reader.
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PKI, ROOT, launchWithExtension, setUp, signIn, startWebmail } from "./harness.mjs";

export class Webmail {
  /** Builds and starts the webmail, and builds the CLI, which tests use to write mail. */
  static async start() {
    execFileSync("cargo", ["build", "-q", "-p", "siegel-cli"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    return new Webmail(await startWebmail());
  }

  constructor(webmail) {
    this.webmail = webmail;
    this.base = webmail.base;
    this.data = webmail.data;
  }

  stop() {
    this.webmail.stop();
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

  /** A browser with the extension, set up as `user`'s (identity, the test CA bundle, contacts) and signed in. */
  async browserFor(extension, user, { p12, contacts = [] }) {
    const b = await launchWithExtension(extension);
    const options = await setUp(b, {
      p12: join(PKI, p12),
      trust: [join(PKI, "chain.pem")],
      contacts: contacts.map((c) => ({ file: join(PKI, c), email: c.replace(".crt", "@example.com") })),
    });
    await options.close();
    return { ...b, page: await signIn(b, this.base, user) };
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

/**
 * Waits until `email` is among the contacts Siegel's options page lists in browser `b` (a signer's
 * certificate becomes a contact once its reader frame has been on screen for a moment); returns the list's text.
 */
export async function waitForContact(b, email, timeout = 30_000) {
  const options = await b.context.newPage();
  try {
    let contacts = "";
    for (const until = Date.now() + timeout; ; await options.waitForTimeout(500)) {
      await options.goto(`chrome-extension://${b.extensionId}/options/options.html`);
      await options.locator("body[data-ready]").waitFor();
      contacts = await options.locator("#contact-list").textContent();
      if (contacts.includes(email) || Date.now() > until) break;
    }
    if (!contacts.includes(email)) throw new Error(`${email} is not among the contacts after ${timeout} ms: ${contacts}`);
    return contacts;
  } finally {
    await options.close();
  }
}
