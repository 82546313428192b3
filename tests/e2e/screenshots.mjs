// The README's screenshots of Siegel in Roundcube, made again (not a test): Alice writes a signed and
// encrypted mail in Siegel's editor (www/roundcube/screenshots/compose.png), and Bob reads it in Siegel's
// reader (read.png). Needs root, as the Roundcube tests do.
//
//   cd tests/e2e && node screenshots.mjs
import { join } from "node:path";
import { ROOT, buildExtension, editorOf } from "./harness.mjs";
import { Roundcube } from "./roundcube-harness.mjs";

const OUT = join(ROOT, "www", "roundcube", "screenshots");
const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const CAROL = "carol@example.com";

const extension = buildExtension();
process.env.SIEGEL_RC_USERS = [ALICE, BOB, CAROL].join(",");
const rc = await Roundcube.start();
let alice;
let bob;
try {
  alice = await rc.browserFor(extension, ALICE, { p12: "alice.p12", contacts: ["bob.crt", "carol.crt"] });
  await alice.page.setViewportSize({ width: 1280, height: 900 });
  await rc.compose(alice.page, {
    to: [`Bob <${BOB}>`, `Carol <${CAROL}>`],
    subject: "Board minutes, March",
    body: "Hi Bob, hi Carol,\n\nthe minutes of Tuesday's board meeting are attached. Please keep them to yourselves until Friday.\n\nAlice",
    files: [{ name: "minutes.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% minutes\n") }],
    sign: true,
    encrypt: true,
  });
  // Wait until the editor shows each recipient's certificate and the cipher.
  await editorOf(alice.page).locator("#recipients li").nth(1).waitFor();
  await editorOf(alice.page).locator("#cipher:not([hidden])").waitFor();
  await alice.page.locator("iframe[data-siegel-editor]").scrollIntoViewIfNeeded();
  await alice.page.waitForTimeout(500);
  await alice.page.screenshot({ path: join(OUT, "compose.png") });
  await rc.send(alice.page);

  bob = await rc.browserFor(extension, BOB, { p12: "bob.p12" });
  await bob.page.setViewportSize({ width: 1280, height: 900 });
  await rc.openMessage(bob.page, "Board minutes, March");
  await bob.page.waitForTimeout(500);
  await bob.page.screenshot({ path: join(OUT, "read.png") });
  console.log(`written: ${join(OUT, "compose.png")}, ${join(OUT, "read.png")}`);
} finally {
  await alice?.close();
  await bob?.close();
  rc.stop();
}
