// The adapter for Roundcube 1.6 (Elastic skin) with Siegel's plugin (www/roundcube/siegel/). The plugin's
// page script speaks the page contract of www/API.md for Roundcube (siegelContent.pageContract); this file
// knows where Roundcube's compose view and message view are in the DOM: the toolbar goes above the compose
// headers, and the reader frame takes the place of the message body (in the preview frame or the full
// view), whose own content is hidden. Everything else is webmail-agnostic (content/siegel-content.js).
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="roundcube-siegel-1"]') || !globalThis.siegelContent) return;

  const composeHandlers = new Map();
  let hooks = null;
  let composing = null;
  let showing = null;
  const ask = globalThis.siegelContent.pageContract({
    "compose-open": (m) => startCompose(m.composeId),
    "send-requested": (m) => composeHandlers.get(m.composeId)?.(),
    "message-open": (m) => startMessage(m),
  });

  function startCompose(composeId) {
    const headers = document.querySelector("#compose-headers");
    if (!hooks || !headers || typeof composeId !== "string" || composing === composeId) return;
    composing = composeId;
    hooks.onCompose({
      mount: (el) => headers.before(el),
      getDraft: async () => (await ask("get-draft", { composeId })).draft,
      // Roundcube's LDAP address books, through the plugin (www/roundcube/siegel/lib/siegel_directory.php).
      lookupCertificates: async (emails) => (await ask("lookup-certificates", { emails })).results,
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

  // What Roundcube shows of a message: its body (with "Digital Signature" or "encrypted message" text),
  // the attachment list and the notices above the body.
  const ORIGINAL = ["#messagebody", "#attachment-list", "#message-objects"];

  function startMessage({ folder, id, smime }) {
    const body = document.querySelector("#messagebody");
    const key = `${folder}\n${id}`;
    if (!hooks || !body || typeof folder !== "string" || typeof id !== "string" || showing === key) return;
    showing = key;
    const slot = document.createElement("div");
    slot.setAttribute("data-siegel-slot", "");
    body.before(slot);
    hooks.onMessage({
      smime: smime === "signed" || smime === "encrypted" ? smime : null,
      mount: (el) => slot.replaceChildren(el),
      getRaw: async () => new Uint8Array((await ask("get-raw", { folder, id })).raw),
      hideOriginal: () => {
        for (const selector of ORIGINAL) for (const el of document.querySelectorAll(selector)) el.hidden = true;
      },
    });
  }

  globalThis.siegelContent.register({
    name: "roundcube",
    start(h) {
      hooks = h;
      // The page announced its view before this script arrived (document_idle): ask again.
      window.postMessage({ source: "siegel", type: "hello" }, location.origin);
    },
  });
})();
