// Siegel's content scripts, part 5 of 5: what the adapters (adapters/*.js, loaded after this file) get. An
// adapter registers how to find its webmail's compose views and messages; everything else is
// webmail-agnostic: content/reading.js (a message: Siegel's reader frame or a note), content/compose.js (a
// compose view: Siegel's editor frame and its bridge to the page), content/contract.js (the page contract),
// content/bridge.js (the worker). This code never sees a key, never puts decrypted content into the page,
// and never asks for a signature or a sealed message: those happen in Siegel's own frames.
(() => {
  "use strict";
  const P = globalThis.siegelParts;
  if (globalThis.siegelContent || !P) return;

  globalThis.siegelContent = Object.freeze({
    pageContract: P.pageContract,
    ownBuffer: P.ownBuffer,
    messageRef: P.messageRef,
    contractCompose: P.contractCompose,
    /**
     * Called by an adapter: `{ name, start({ onCompose(ctx), onMessage(ctx) }) }`. A compose `ctx` has
     * `composeId`, `draft` and `original` (`{ folder, id }` or null), `mount(el)`, `getDraft()`,
     * `getRecipients()` (`{ from, to, cc, bcc, subject }`), `getRaw(folder, id)`, `sendRaw(bytes,
     * envelopeTo)`, `saveDraft(bytes)`, `setBody(text, html)`, `setIntercept(on)`,
     * `showWebmailEditor(visible)`, `onSendRequested(fn)`, `onSaveRequested(fn)` and optionally
     * `lookupCertificates(emails)`; a message `ctx` has `smime`, `mount(el)`, `getRaw()`, `hideOriginal()`.
     */
    register(adapter) {
      document.documentElement.dataset.siegel = "active";
      adapter.start({ onCompose: (ctx) => P.attachCompose(ctx), onMessage: (ctx) => P.attachMessage(ctx) });
    },
  });
})();
