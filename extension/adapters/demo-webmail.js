// The adapter for Siegel's demo webmail (www/; its contract is www/API.md): it finds compose views and
// opened messages through the page contract (siegelContent.pageContract) and the page's DOM hooks, and knows
// where Siegel's frames go and which of the webmail's own elements they stand in for. Everything else is
// webmail-agnostic (content/*.js). A new webmail needs one file like this.
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="siegel-demo-1"]') || !globalThis.siegelContent) return;
  const { pageContract, messageRef, contractCompose } = globalThis.siegelContent;

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
      ...contractCompose(ask, composeId),
      composeId,
      draft: messageRef(draft),
      original: messageRef(original),
      // After Subject: the editor takes the place of the message body, across the form's two columns.
      mount: (el) => {
        el.style.gridColumn = "1 / -1";
        form.querySelector('label[for="compose-body"]').before(el);
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
