// Siegel's content scripts, part 4 of 5: a compose view. Siegel's editor frame (editor/, an extension page
// the webmail can neither read nor script) goes into the compose view; a protected message (signed and/or
// encrypted) is written, sent and saved there, and only there. This script is the frame's bridge to the
// page, and only that: the worker asks it (chrome.tabs.sendMessage, which page scripts cannot use) for the
// envelope in the webmail's fields, the webmail's address book, the webmail's own draft, and to hand the
// page what the user sealed or saved in the frame; it shows or hides the webmail's own editor as the frame
// says. It never asks the worker to sign or seal anything: the page's "send-requested" only tells the frame.
(() => {
  "use strict";
  const P = globalThis.siegelParts;
  if (!P || P.attachCompose) return;
  const { call, errorText, toBase64, fromBase64, whenRemoved, siegelFrame, note } = P;

  /** The editor frame's two sizes: Siegel's toolbar alone (the webmail's editor below it), or the editor. */
  const HEIGHT = { toolbar: "3.4rem", editor: "40rem" };
  const sessions = new Map(); // session id → { ctx, frame }

  async function attachCompose(ctx) {
    // Until Siegel's editor has said whether it holds the message, the webmail's Send and Save stay with
    // Siegel (fail closed): a policy that forces encryption must not be bypassed by a slow frame.
    ctx.setIntercept(true);
    let session;
    try {
      ({ session } = await call("composeOpen", { composeId: ctx.composeId, draft: Boolean(ctx.draft), original: ctx.original?.mode ?? null }));
    } catch (e) {
      const failed = note();
      failed.say(errorText(e), "error");
      ctx.mount(failed.host);
      return;
    }
    const frame = siegelFrame(`editor/editor.html#${session}`, "data-siegel-editor", HEIGHT.toolbar);
    ctx.mount(frame);
    sessions.set(session, { ctx, frame });
    ctx.onSendRequested(() => call("composeRequested", { session, what: "send" }).catch(() => {}));
    ctx.onSaveRequested?.(() => call("composeRequested", { session, what: "save" }).catch(() => {}));
    // No compose state outlives its view.
    whenRemoved(frame, () => {
      sessions.delete(session);
      call("composeClose", { session }).catch(() => {});
    });
  }

  /** The worker's requests for one compose session (see lib/compose.js `ask`). */
  const handlers = {
    async envelope({ ctx }) {
      return ctx.getRecipients();
    },
    async lookup({ ctx }, m) {
      return typeof ctx.lookupCertificates === "function" ? ctx.lookupCertificates(Array.isArray(m.emails) ? m.emails.map(String) : []) : null;
    },
    async body({ ctx }) {
      const d = await ctx.getDraft();
      const attachments = (d.attachments || []).map((a) => ({ filename: a.filename, contentType: a.contentType, data: toBase64(a.data) }));
      return { text: d.text ?? "", html: d.html ?? null, attachments };
    },
    async fetch({ ctx }, m) {
      const ref = m.which === "draft" ? ctx.draft : ctx.original;
      if (!ref) throw Object.assign(new Error("The webmail named no such message."), { code: "webmail" });
      return toBase64(await ctx.getRaw(ref.folder, ref.id));
    },
    async mode({ ctx, frame }, m) {
      const protect = Boolean(m.protect);
      frame.style.height = protect ? HEIGHT.editor : HEIGHT.toolbar;
      ctx.showWebmailEditor(!protect);
      ctx.setIntercept(protect);
      return true;
    },
    async deliver({ ctx }, m) {
      await ctx.sendRaw(fromBase64(m.raw), Array.isArray(m.envelopeTo) ? m.envelopeTo.map(String) : []);
      return true;
    },
    async save({ ctx }, m) {
      return ctx.saveDraft(fromBase64(m.raw));
    },
    async "set-body"({ ctx }, m) {
      await ctx.setBody(String(m.text ?? ""), typeof m.html === "string" ? m.html : undefined);
      return true;
    },
  };

  chrome.runtime.onMessage.addListener((m, sender, reply) => {
    // Only Siegel's own worker and pages can reach a content script this way; web pages cannot.
    if (sender.id !== chrome.runtime.id || !m || m.siegel !== "compose") return false;
    const entry = sessions.get(m.session);
    const handler = Object.hasOwn(handlers, m.op) ? handlers[m.op] : null;
    if (!entry || !handler) {
      reply({ ok: false, error: { code: "compose-gone", message: "This compose view is no longer open." } });
      return false;
    }
    handler(entry, m)
      .then((result) => reply({ ok: true, result: result ?? null }))
      .catch((e) => reply({ ok: false, error: { code: typeof e?.code === "string" ? e.code : "webmail", message: String(e?.message || e) } }));
    return true;
  });

  P.attachCompose = attachCompose;
})();
