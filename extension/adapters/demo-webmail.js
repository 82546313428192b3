// The adapter for Siegel's demo webmail (www/; its contract is www/API.md): it finds compose views and
// opened messages through the page contract (siegelContent.pageContract) and the page's DOM hooks, and knows
// where Siegel's frames go and which of the webmail's own elements they stand in for. Everything else is
// webmail-agnostic (content/*.js). A new webmail needs one file like this.
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="siegel-demo-1"]') || !globalThis.siegelContent) return;
  const { pageContract, ownBuffer, messageRef } = globalThis.siegelContent;

  const sendHandlers = new Map();
  const saveHandlers = new Map();
  let hooks = null;
  const ask = pageContract({
    "compose-open": (m) => startCompose(m),
    "send-requested": (m) => sendHandlers.get(m.composeId)?.(),
    "save-requested": (m) => saveHandlers.get(m.composeId)?.(),
    "message-open": (m) => startMessage(m),
  });

  // The webmail's own body editor, attachments and Send, which Siegel's editor stands in for while it holds the
  // message (its Save stays: it asks Siegel to save an encrypted draft).
  const OWN_EDITOR = ['label[for="compose-body"]', "#compose-body", 'label[for="compose-attachments"]', "#compose-attachments", "#compose-send"];

  function startCompose({ composeId, draft, original }) {
    const form = document.querySelector("form[data-webmail-compose]");
    if (!hooks || !form || typeof composeId !== "string" || form.dataset.composeId !== composeId || form.querySelector("iframe[data-siegel-editor]")) return;
    hooks.onCompose({
      composeId,
      draft: messageRef(draft),
      original: messageRef(original),
      // After Subject: the editor takes the place of the message body, across the form's two columns.
      mount: (el) => {
        el.style.gridColumn = "1 / -1";
        form.querySelector('label[for="compose-body"]').before(el);
      },
      getDraft: async () => (await ask("get-draft", { composeId })).draft,
      getRecipients: async () => {
        const { from, to, cc, bcc, subject } = await ask("get-recipients", { composeId });
        return { from, to, cc, bcc, subject };
      },
      getRaw: async (folder, id) => new Uint8Array((await ask("get-raw", { folder, id })).raw),
      sendRaw: async (raw, envelopeTo) => {
        const buffer = ownBuffer(raw);
        await ask("send-raw", { composeId, raw: buffer, envelopeTo }, [buffer]);
      },
      saveDraft: async (raw) => {
        const buffer = ownBuffer(raw);
        const { draftId } = await ask("save-draft", { composeId, raw: buffer }, [buffer]);
        return { draftId: typeof draftId === "string" ? draftId : null };
      },
      setBody: async (text, html) => {
        await ask("set-body", { composeId, text, html });
      },
      setIntercept: (on) => {
        document.documentElement.dataset.siegelIntercept = on ? "1" : "0";
      },
      showWebmailEditor: (visible) => {
        for (const selector of OWN_EDITOR) for (const el of form.querySelectorAll(selector)) visible ? el.style.removeProperty("display") : el.style.setProperty("display", "none", "important");
      },
      onSendRequested: (handler) => sendHandlers.set(composeId, handler),
      onSaveRequested: (handler) => saveHandlers.set(composeId, handler),
    });
  }

  function startMessage({ folder, id, smime }) {
    const article = document.querySelector("article#message");
    const slot = document.querySelector("#siegel-slot");
    if (!hooks || !article || !slot || article.dataset.messageId !== id || slot.firstElementChild) return;
    hooks.onMessage({
      smime: smime === "signed" || smime === "encrypted" ? smime : null,
      mount: (el) => slot.replaceChildren(el),
      getRaw: async () => new Uint8Array((await ask("get-raw", { folder, id })).raw),
      hideOriginal: () => {
        for (const el of article.querySelectorAll("[data-webmail-body]")) el.hidden = true;
      },
    });
  }

  globalThis.siegelContent.register({
    name: "siegel-demo-webmail",
    start(h) {
      hooks = h;
      // A view already open when the script arrived announces itself again.
      window.postMessage({ source: "siegel", type: "hello" }, location.origin);
    },
  });
})();
