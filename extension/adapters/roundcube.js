// The adapter for Roundcube 1.6 (Elastic skin) with Siegel's plugin (www/roundcube/siegel/). The plugin's
// page script speaks the page contract of www/API.md for Roundcube (siegelContent.pageContract); this file
// knows where Roundcube's compose view and message view are in the DOM: Siegel's editor frame goes between
// the compose headers and the body editor (which, with the attachment area, it stands in for while it holds
// the message), and the reader frame takes the place of the message body (in the preview frame or the full
// view), whose own content is hidden. Everything else is webmail-agnostic (content/*.js).
(() => {
  "use strict";
  if (!document.querySelector('meta[name="webmail-api"][content="roundcube-siegel-1"]') || !globalThis.siegelContent) return;
  const { pageContract, messageRef, contractCompose } = globalThis.siegelContent;

  const sendHandlers = new Map();
  const saveHandlers = new Map();
  let hooks = null;
  let composing = null;
  let showing = null;
  const ask = pageContract({
    "compose-open": (m) => startCompose(m),
    "send-requested": (m) => sendHandlers.get(m.composeId)?.(),
    "save-requested": (m) => saveHandlers.get(m.composeId)?.(),
    "message-open": (m) => startMessage(m),
  });

  // Roundcube's own body editor, attachment area and Attach and Send buttons, which Siegel's editor stands
  // in for (its Save stays: it asks Siegel to save an encrypted draft).
  const OWN_EDITOR = ["#composebodycontainer", "#compose-attachments", "a.attach", "#compose-content .formbuttons button.send"];

  function startCompose({ composeId, draft, original }) {
    const body = document.querySelector("#composebodycontainer");
    if (!hooks || !body || typeof composeId !== "string" || composing === composeId) return;
    composing = composeId;
    hooks.onCompose({
      ...contractCompose(ask, composeId),
      composeId,
      draft: messageRef(draft),
      original: messageRef(original),
      mount: (el) => body.before(el),
      // Roundcube's LDAP address books, through the plugin (www/roundcube/siegel/lib/siegel_directory.php).
      lookupCertificates: async (emails) => (await ask("lookup-certificates", { emails })).results,
      showWebmailEditor: (visible) => {
        for (const selector of OWN_EDITOR) for (const el of document.querySelectorAll(selector)) visible ? el.style.removeProperty("display") : el.style.setProperty("display", "none", "important");
      },
      onSendRequested: (handler) => sendHandlers.set(composeId, handler),
      onSaveRequested: (handler) => saveHandlers.set(composeId, handler),
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
