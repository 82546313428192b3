// Siegel's content scripts, part 3 of 5: a message the webmail shows. The bytes go to the worker, which
// reads only their shape (no key is used: lib/reading.js `stage`). S/MIME mail, and plain mail holding
// S/MIME parts, get Siegel's reader frame in place of the webmail's rendering; the reader frame opens the
// message itself, so whether it decrypts, verifies, fails or is refused shows only inside that frame (and
// on the toolbar badge). What the page sees is the same for all of them: the same frame, of the same size,
// inserted at the same point, and nothing more. Other mail stays the webmail's, with a "Not signed" note.
(() => {
  "use strict";
  const P = globalThis.siegelParts;
  if (!P || P.attachMessage) return;
  const { t, call, errorText, toBase64, whenRemoved, siegelFrame, note } = P;

  /** The reader frame's one size, whatever it shows. */
  const READER_HEIGHT = "32rem";

  async function attachMessage(ctx) {
    const pending = note();
    ctx.mount(pending.host);
    pending.say(t("readerOpening", undefined, "Opening…"));
    try {
      const raw = await ctx.getRaw();
      const staged = await call("readStage", { raw: toBase64(raw), hint: ctx.smime });
      if (staged.show !== "reader") {
        pending.say(staged.note === "openpgp"
          ? t("readerOpenPgp", undefined, "An OpenPGP (PGP/MIME) message: Siegel reads S/MIME only, so it neither verified nor decrypted it. Open it with an OpenPGP program.")
          : t("readerUnsigned", undefined, "Not signed."));
        return;
      }
      const frame = siegelFrame(`reader/reader.html#${encodeURIComponent(staged.token)}`, "data-siegel-reader", READER_HEIGHT);
      pending.host.replaceWith(frame);
      ctx.hideOriginal();
      // The badge belongs to the message on screen: when its frame goes, so does its verdict.
      whenRemoved(frame, () => call("readGone", { token: staged.token }).catch(() => {}));
    } catch (e) {
      // Nothing secret has happened yet (no key is used before the reader frame): the webmail's own
      // failures, a message too large, a stopped worker.
      pending.say(errorText(e), "error");
    }
  }

  P.attachMessage = attachMessage;
})();
