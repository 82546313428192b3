// Siegel's content scripts, part 2 of 5: the page contract of Siegel's client API (www/API.md, section 2),
// for adapters of webmails that speak it (the demo webmail, Roundcube through Siegel's plugin): requests
// to the page over window.postMessage, and the page's own announcements.
//
// The content script cannot tell the webmail's own messages from those of any other script in the page
// (an injected one): every announcement may be forged and every answer may be an attacker's. Nothing here
// is trusted for anything but what the page could do anyway; what must be the user's decision happens in
// Siegel's own frames.
(() => {
  "use strict";
  const P = globalThis.siegelParts;
  if (!P || P.pageContract) return;

  const TIMEOUT = 5 * 60 * 1000;

  /**
   * `on` maps announcements (`compose-open`, `send-requested`, `save-requested`, `message-open`) to
   * handlers; returns `ask(type, payload, transfer)`, which resolves with the page's answer or rejects with
   * its error (`code` "webmail", or the page's own code).
   */
  function pageContract(on) {
    let next = 0;
    const pending = new Map();
    window.addEventListener("message", (ev) => {
      if (ev.source !== window || ev.origin !== location.origin) return;
      const m = ev.data;
      if (!m || m.source !== "webmail" || typeof m.type !== "string") return;
      if (m.requestId && pending.has(m.requestId)) {
        const p = pending.get(m.requestId);
        pending.delete(m.requestId);
        clearTimeout(p.timer);
        if (m.ok === false) p.reject(Object.assign(new Error(String(m.error || "The webmail refused the request.")), { code: typeof m.code === "string" ? m.code : "webmail" }));
        else p.resolve(m);
        return;
      }
      if (Object.hasOwn(on, m.type)) on[m.type](m);
    });
    return function ask(type, payload = {}, transfer = []) {
      const requestId = `siegel-${++next}-${crypto.randomUUID()}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(Object.assign(new Error("The webmail did not answer."), { code: "webmail" }));
        }, TIMEOUT);
        pending.set(requestId, { resolve, reject, timer });
        window.postMessage({ source: "siegel", type, requestId, ...payload }, location.origin, transfer);
      });
    };
  }

  /** A copy of `bytes` as an ArrayBuffer of its own, to transfer to the page. */
  function ownBuffer(bytes) {
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  /** `{ folder, id }` of a page's announcement, or null when it is not one. */
  function messageRef(value) {
    if (!value || typeof value !== "object" || typeof value.folder !== "string" || typeof value.id !== "string") return null;
    return { folder: value.folder.slice(0, 500), id: value.id.slice(0, 500), mode: value.mode === "forward" ? "forward" : "reply" };
  }

  /**
   * What a compose view's context gets from a webmail that speaks the page contract, for `composeId`: the
   * requests `get-draft`, `get-recipients`, `get-raw`, `send-raw`, `save-draft` and `set-body` through
   * `ask`, and the `data-siegel-intercept` flag. An adapter adds where things are in its webmail's DOM.
   */
  function contractCompose(ask, composeId) {
    return {
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
        return { draftId: draftId === undefined || draftId === null ? null : String(draftId) };
      },
      setBody: async (text, html) => {
        await ask("set-body", { composeId, text, html });
      },
      setIntercept: (on) => {
        document.documentElement.dataset.siegelIntercept = on ? "1" : "0";
      },
    };
  }

  Object.assign(P, { pageContract, ownBuffer, messageRef, contractCompose });
})();
