// The adapter for Siegel's demo webmail (www/; its contract is www/API.md): it finds compose views and
// opened messages through the page's window.postMessage API and DOM hooks. Everything else is
// webmail-agnostic (content/siegel-content.js). A new webmail needs one file like this.
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="siegel-demo-1"]') || !globalThis.siegelContent) return;

  let next = 0;
  const pending = new Map();

  function ask(type, payload, transfer = []) {
    const requestId = `siegel-${++next}-${Math.random().toString(36).slice(2)}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(Object.assign(new Error("The webmail did not answer."), { code: "webmail" }));
      }, 60_000);
      pending.set(requestId, { resolve, reject, timer });
      window.postMessage({ source: "siegel", type, requestId, ...payload }, location.origin, transfer);
    });
  }

  const composeHandlers = new Map();

  window.addEventListener("message", (ev) => {
    if (ev.source !== window || ev.origin !== location.origin) return;
    const m = ev.data;
    if (!m || m.source !== "webmail") return;
    if (m.requestId && pending.has(m.requestId)) {
      const p = pending.get(m.requestId);
      pending.delete(m.requestId);
      clearTimeout(p.timer);
      if (m.type === "sent" && !m.ok) p.reject(Object.assign(new Error(m.error || "The webmail refused the message."), { code: "webmail" }));
      else p.resolve(m);
      return;
    }
    if (m.type === "compose-open") startCompose(m.composeId);
    else if (m.type === "send-requested") composeHandlers.get(m.composeId)?.();
    else if (m.type === "message-open") startMessage(m);
  });

  let hooks = null;

  function startCompose(composeId) {
    const form = document.querySelector("form[data-webmail-compose]");
    if (!form || form.querySelector("siegel-compose")) return;
    hooks.onCompose({
      mount: (el) => form.prepend(el),
      getDraft: async () => (await ask("get-draft", { composeId })).draft,
      sendRaw: async (raw, envelopeTo) => {
        const buffer = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
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
    if (!article || !slot || article.dataset.messageId !== id) return;
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
