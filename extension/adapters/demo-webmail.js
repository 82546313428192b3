// The adapter for Siegel's demo webmail (www/; its contract is www/API.md): it finds compose views and
// opened messages through the page contract (siegelContent.pageContract) and the page's DOM hooks. Everything
// else is webmail-agnostic (content/siegel-content.js). A new webmail needs one file like this.
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="siegel-demo-1"]') || !globalThis.siegelContent) return;

  const composeHandlers = new Map();
  let hooks = null;
  const ask = globalThis.siegelContent.pageContract({
    "compose-open": (m) => startCompose(m.composeId),
    "send-requested": (m) => composeHandlers.get(m.composeId)?.(),
    "message-open": (m) => startMessage(m),
  });

  function startCompose(composeId) {
    const form = document.querySelector("form[data-webmail-compose]");
    if (!hooks || !form || form.querySelector("siegel-compose")) return;
    hooks.onCompose({
      mount: (el) => form.prepend(el),
      getDraft: async () => (await ask("get-draft", { composeId })).draft,
      getRecipients: async () => {
        const { to, cc, bcc } = await ask("get-recipients", { composeId });
        return { to, cc, bcc };
      },
      sendRaw: async (raw, envelopeTo) => {
        const buffer = globalThis.siegelContent.ownBuffer(raw);
        await ask("send-raw", { composeId, raw: buffer, envelopeTo }, [buffer]);
      },
      setIntercept: (on) => {
        document.documentElement.dataset.siegelIntercept = on ? "1" : "0";
      },
      onSendRequested: (handler) => composeHandlers.set(composeId, handler),
    });
  }

  function startMessage({ folder, id, smime }) {
    const article = document.querySelector("article#message");
    const slot = document.querySelector("#siegel-slot");
    if (!hooks || !article || !slot || article.dataset.messageId !== id) return;
    hooks.onMessage({
      smime,
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
      // A view already open when the script arrived.
      const form = document.querySelector("form[data-webmail-compose]");
      if (form?.dataset.composeId) startCompose(form.dataset.composeId);
      const article = document.querySelector("article#message[data-message-id]");
      if (article) startMessage({ folder: article.dataset.folder, id: article.dataset.messageId, smime: article.dataset.smime || null });
    },
  });
})();
