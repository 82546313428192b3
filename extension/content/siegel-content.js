// Siegel's webmail-agnostic content script. A webmail adapter (adapters/*.js, loaded after this file)
// registers how to find compose views and messages; everything else is here: the Sign/Encrypt toolbar,
// sending through the service worker (fail closed), and showing S/MIME mail in the extension's own reader
// frame. This script never sees a key, and never puts decrypted content into the page.
(() => {
  "use strict";
  if (globalThis.siegelContent) return;

  const t = (key, subs, fallback) => chrome.i18n.getMessage(key, subs) || fallback;

  // The longest an operation may take before it counts as lost (sealing 50 MB takes seconds, not minutes).
  const CALL_TIMEOUT = 5 * 60 * 1000;

  /**
   * Asks the service worker. The browser may stop the worker at any time (idle, memory, update, or
   * DevTools); a call it never answers (the channel closed, the extension reloaded, or no answer in
   * CALL_TIMEOUT) is the error "worker-stopped", never a hang and never a result.
   */
  async function call(op, args = {}) {
    let timer;
    let reply;
    try {
      reply = await Promise.race([
        chrome.runtime.sendMessage({ op, ...args }),
        new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), CALL_TIMEOUT))),
      ]);
    } catch {
      reply = undefined; // "message channel closed", "Receiving end does not exist", "context invalidated"
    } finally {
      clearTimeout(timer);
    }
    if (!reply) throw Object.assign(new Error("Siegel's background worker stopped before it answered."), { code: "worker-stopped" });
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result;
  }

  function errorText(e) {
    const code = e && e.code ? String(e.code).replace(/[^A-Za-z0-9]/g, "_") : "";
    // Messages that name recipients or addresses are more useful than a generic translation.
    if (e && e.code === "no-certificate" && Array.isArray(e.missing)) {
      const why = Array.isArray(e.reasons) && e.reasons.length
        ? ` (${e.reasons.map((x) => `${x.email}, ${sourceName(x.source)}: ${x.reason}`).join("; ")})`
        : "";
      const who = e.missing.join(", ") + why;
      return e.required
        ? t("composeNoCertificateRequired", [who], e.message)
        : t("composeNoCertificate", [who], e.message);
    }
    if (e && (e.code === "no-certificate" || e.code === "no-identity")) return e.message;
    // No allowed cipher every recipient decrypts: name them and what they announced.
    if (e && e.code === "no-common-cipher" && e.who) return t("composeNoCommonCipher", [e.who, e.allowed], e.message);
    // A recipient refused by certificate validation (revoked, revocation unknown, not trusted): the core's
    // reason names the recipient and why, in a localised frame.
    if (e && e.code === "unusable-certificate") return t("composeRefused", [e.message], `Not sent: ${e.message}`);
    return (code && chrome.i18n.getMessage(`error_${code}`)) || (e && e.message) || String(e);
  }

  function toBase64(buffer) {
    const u8 = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    let s = "";
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function fromBase64(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  const cipherName = (c) => String(c).toUpperCase();

  /** What the toolbar says of a cipher choice (lib/negotiate.js's result). */
  function cipherText(choice) {
    if (!choice) return "";
    const who = (list) => list.join(", ");
    if (choice.noCertificate?.length) {
      return t("composeCipherNoCertificate", [who(choice.noCertificate)], `No certificate for ${who(choice.noCertificate)} yet: encrypting to them is not possible.`);
    }
    if (!choice.cipher) {
      if (choice.reason !== "no-common-cipher") return "";
      return t("composeCipherNone", [who(choice.limiting)], `No allowed cipher is one every recipient can decrypt (${who(choice.limiting)}).`);
    }
    const name = cipherName(choice.cipher);
    if (choice.reason === "configured") return t("composeCipherConfigured", [name], `${name} (as configured).`);
    if (choice.reason === "downgraded") {
      const key = choice.limiting.length > 1 ? "composeCipherDowngradedMany" : "composeCipherDowngraded";
      return t(key, [name, who(choice.limiting), choice.missing], `${name}: ${who(choice.limiting)} announces no ${choice.missing}.`);
    }
    if (choice.unknown.length) return t("composeCipherUnknown", [name, who(choice.unknown)], `${name} (not yet known what ${who(choice.unknown)} can decrypt).`);
    return t("composeCipherAnnounced", [name], `${name}: every recipient announces it.`);
  }

  const SOURCE_KEYS = { webmail: "sourceWebmail", https: "sourceHttps", dns: "sourceDns" };
  const SOURCE_NAMES = { webmail: "the webmail's address book", https: "the directory", dns: "DNS (DANE)" };
  const sourceName = (s) => t(SOURCE_KEYS[s] || "sourceHttps", undefined, SOURCE_NAMES[s] || String(s));

  /** What the toolbar says of one recipient's certificate (lib/mail.js findCertificates). */
  function recipientText(email, r) {
    if (r.status === "contact") return t("composeRecipientContact", [email], `${email}: certificate from your contacts`);
    if (r.status === "found") return t("composeRecipientFound", [email, sourceName(r.source)], `${email}: certificate found in ${sourceName(r.source)}`);
    const reasons = (r.reasons || []).map((x) => `${sourceName(x.source)}: ${x.reason}`).join("; ");
    if (!reasons) return t("composeRecipientNoSource", [email], `${email}: no certificate, and no directory to look in`);
    return t("composeRecipientNone", [email, reasons], `${email}: no certificate (${reasons})`);
  }

  const TOOLBAR_CSS = `
    :host { all: initial; display: block; font: 13px/1.4 system-ui, sans-serif; margin: .4rem 0; }
    .bar { display: flex; flex-wrap: wrap; gap: .9rem; align-items: center; padding: .35rem .6rem;
           border: 1px solid #2f5f8f66; border-radius: .4rem; background: #2f5f8f10; color: #1b2b3a; }
    .brand { font-weight: 700; }
    .status { flex: 1 1 12rem; }
    .status.error { color: #b3261e; font-weight: 600; }
    .status.ok { color: #1e7b34; }
    .cipher { color: #38506a; }
    .recipients { flex-basis: 100%; margin: 0; padding: 0 0 0 1.1rem; color: #38506a; }
    .recipients .none { color: #b3261e; }
    label { display: inline-flex; gap: .3rem; align-items: center; }
  `;

  /** Mounts the Sign/Encrypt toolbar for one compose view of the adapter. */
  async function attachCompose(ctx) {
    const host = document.createElement("siegel-compose");
    const root = host.attachShadow({ mode: "closed" });
    root.innerHTML = `<style>${TOOLBAR_CSS}</style>
      <div class="bar">
        <span class="brand">Siegel</span>
        <label><input type="checkbox" name="sign"> <span></span></label>
        <label><input type="checkbox" name="encrypt"> <span></span></label>
        <span class="cipher" hidden></span>
        <span class="status" role="status"></span>
        <progress hidden max="3" value="0"></progress>
        <ul class="recipients" hidden></ul>
      </div>`;
    const progress = root.querySelector("progress");
    const step = (n) => {
      progress.hidden = n === null;
      if (n !== null) progress.value = n;
      host.dataset.step = n === null ? "" : String(n);
    };
    const sign = root.querySelector("input[name=sign]");
    const encrypt = root.querySelector("input[name=encrypt]");
    const status = root.querySelector(".status");
    sign.nextElementSibling.textContent = t("composeSign", undefined, "Sign");
    encrypt.nextElementSibling.textContent = t("composeEncrypt", undefined, "Encrypt");
    const say = (text, kind = "") => {
      status.textContent = text;
      status.className = `status ${kind}`;
      host.dataset.status = kind;
      host.dataset.message = text; // not secret: the page may show or log it
    };
    ctx.mount(host);

    // Which cipher encryption would use for the recipients now (lib/negotiate.js), shown before Send.
    const cipher = root.querySelector(".cipher");
    const showCipher = (choice) => {
      const text = encrypt.checked ? cipherText(choice) : "";
      cipher.textContent = text;
      cipher.hidden = !text;
      host.dataset.cipher = encrypt.checked && choice?.cipher && !choice.noCertificate?.length ? choice.cipher : "";
      host.dataset.cipherNote = text;
    };
    // Per recipient, where their certificate comes from (a contact, a directory) or why there is none.
    const list = root.querySelector(".recipients");
    const showRecipients = (found) => {
      const entries = encrypt.checked && found ? Object.entries(found) : [];
      list.replaceChildren(
        ...entries.map(([email, r]) => {
          const li = document.createElement("li");
          li.textContent = recipientText(email, r);
          li.className = r.status;
          return li;
        }),
      );
      list.hidden = entries.length === 0;
      host.dataset.recipients = JSON.stringify(Object.fromEntries(entries.map(([e, r]) => [e, r.status === "found" ? `found:${r.source}` : r.status])));
      host.dataset.recipientNotes = entries.map(([e, r]) => recipientText(e, r)).join("\n");
    };
    // The webmail's address book (an adapter that has one: Roundcube's LDAP through Siegel's plugin) is
    // asked only about recipients without a certificate, once per compose view unless `fresh` (Send).
    const askedWebmail = new Set();
    const webmailAnswers = async (emails, fresh) => {
      if (typeof ctx.lookupCertificates !== "function") return null;
      const lacking = await call("lackingCertificates", { emails });
      const ask = lacking.webmail ? lacking.emails.filter((e) => fresh || !askedWebmail.has(e)) : [];
      if (!ask.length) return null;
      ask.forEach((e) => askedWebmail.add(e));
      try {
        return await ctx.lookupCertificates(ask);
      } catch (e) {
        return Object.fromEntries(ask.map((a) => [a, { error: e.message || String(e) }]));
      }
    };
    let previewTimer;
    let previewRun = 0;
    const previewCipher = () => {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(async () => {
        if (!host.isConnected) return document.removeEventListener("change", previewCipher, true);
        const run = ++previewRun;
        if (!encrypt.checked) {
          showRecipients(null);
          return showCipher(null);
        }
        try {
          const d = await ctx.getRecipients();
          const emails = [...(d.to || []), ...(d.cc || []), ...(d.bcc || [])];
          const found = await call("findCertificates", { emails, webmail: await webmailAnswers(emails, false) });
          const choice = await call("cipherPreview", { to: d.to || [], cc: d.cc || [], bcc: d.bcc || [] });
          if (run !== previewRun) return; // a newer preview is under way
          showRecipients(found);
          showCipher(choice);
        } catch {
          showCipher(null); // a preview only: Send says what is wrong
        }
      }, 300);
    };

    // Until the worker has said what policy requires, Send stays with Siegel (fail closed): a policy that
    // forces encryption must not be bypassed because the settings could not be read.
    let known = false;
    const update = () => {
      const on = sign.checked || encrypt.checked || !known;
      ctx.setIntercept(on);
      host.dataset.sign = String(sign.checked);
      host.dataset.encrypt = String(encrypt.checked);
      host.dataset.signLocked = String(sign.disabled);
      host.dataset.encryptLocked = String(encrypt.disabled);
    };
    update();
    try {
      const draft = await ctx.getDraft();
      const state = await call("composeState", { from: draft.from });
      sign.checked = state.sign;
      encrypt.checked = state.encrypt;
      sign.disabled = state.signLocked;
      encrypt.disabled = state.encryptLocked;
      known = true;
      if (!state.unlocked) say(t("composeLocked", undefined, "Siegel is locked: unlock it (toolbar button) to sign or encrypt."));
      else if (!state.hasIdentity) say(t("composeNoIdentity", [draft.from], `No identity for ${draft.from}.`));
    } catch (e) {
      say(errorText(e), "error");
    }
    sign.addEventListener("change", update);
    encrypt.addEventListener("change", update);
    encrypt.addEventListener("change", previewCipher);
    // Recipients edited in the webmail's fields (whatever they are) change the choice: asked again when an
    // edit is committed ("change", not every keystroke), and only the address lists are read.
    document.addEventListener("change", previewCipher, true);
    update();
    previewCipher();
    host.dataset.ready = "1";

    let busy = false;
    ctx.onSendRequested(async () => {
      if (busy) return;
      if (!known) {
        // Siegel has Send but does not know the policy: send nothing, and say so.
        say(t("composeUnknownState", undefined, "Siegel could not read its settings, so nothing was sent. Reload the page and send again."), "error");
        return;
      }
      if (!(sign.checked || encrypt.checked)) return;
      busy = true;
      try {
        // Progress in three steps: reading the draft, sealing it in the service worker, handing it over.
        step(0);
        say(t("composeReading", undefined, "Reading the message…"));
        const draft = await ctx.getDraft();
        const size = (draft.attachments || []).reduce((n, a) => n + a.data.byteLength, (draft.text || "").length);
        const mb = (size / (1024 * 1024)).toFixed(1);
        step(1);
        say(t("composeSealing", [mb], `Signing and encrypting (${mb} MB)…`));
        const attachments = (draft.attachments || []).map((a) => ({ filename: a.filename, contentType: a.contentType, data: toBase64(a.data) }));
        const all = [...(draft.to || []), ...(draft.cc || []), ...(draft.bcc || [])];
        const webmail = encrypt.checked ? await webmailAnswers(all, true) : null;
        const sealed = await call("seal", { draft: { ...draft, attachments }, sign: sign.checked, encrypt: encrypt.checked, webmail });
        step(2);
        say(t("composeSending", undefined, "Sending…"));
        const envelopeTo = [...(draft.to || []), ...(draft.cc || []), ...(draft.bcc || [])];
        await ctx.sendRaw(fromBase64(sealed.raw), envelopeTo);
        step(3);
        if (sealed.cipher) showCipher(sealed.cipher);
        const encryptedWith = sealed.cipher?.cipher
          ? t("composeEncryptedWith", [cipherName(sealed.cipher.cipher)], `encrypted with ${cipherName(sealed.cipher.cipher)}`)
          : t("composeEncrypted", undefined, "encrypted");
        const how = [sealed.signed ? t("composeSigned", undefined, "signed") : "", sealed.encrypted ? encryptedWith : ""].filter(Boolean).join(", ");
        say(t("composeSent", [how], `Sent (${how}).`), "ok");
      } catch (e) {
        // Fail closed: nothing was sent, and the draft in the webmail is untouched.
        say(errorText(e), "error");
        step(null);
      } finally {
        busy = false;
      }
    });
  }

  /**
   * Opens a message of the adapter. S/MIME mail is shown in the extension's reader frame. Plain mail is left
   * to the webmail, with a "Not signed" note, unless it holds signed or encrypted parts that are not the
   * whole mail (a partly signed mail, EFAIL's encrypted part between attacker HTML): then the reader shows
   * it, saying those parts were neither verified nor decrypted, with no remote content.
   */
  async function attachMessage(ctx) {
    const note = document.createElement("siegel-note");
    const root = note.attachShadow({ mode: "closed" });
    root.innerHTML = `<style>${TOOLBAR_CSS}</style><div class="bar"><span class="brand">Siegel</span><span class="status" role="status"></span></div>`;
    const status = root.querySelector(".status");
    ctx.mount(note);
    status.textContent = t("readerOpening", undefined, "Opening…");
    try {
      const raw = await ctx.getRaw();
      const { token, summary } = await call("open", { raw: toBase64(raw) });
      if (summary.openpgp) {
        status.textContent = t("readerOpenPgp", undefined, "An OpenPGP (PGP/MIME) message: Siegel reads S/MIME only, so it neither verified nor decrypted it. Open it with an OpenPGP program.");
        note.dataset.status = "openpgp";
        return;
      }
      if (!ctx.smime && !summary.unopenedParts) {
        status.textContent = t("readerUnsigned", undefined, "Not signed.");
        note.dataset.status = "unsigned";
        return;
      }
      const frame = document.createElement("iframe");
      frame.src = chrome.runtime.getURL(`reader/reader.html#${encodeURIComponent(token)}`);
      frame.title = "Siegel";
      frame.setAttribute("data-siegel-reader", "");
      frame.style.cssText = "width:100%;min-height:28rem;border:1px solid #8884;border-radius:.4rem;background:#fff";
      note.replaceWith(frame);
      ctx.hideOriginal();
    } catch (e) {
      status.textContent = errorText(e);
      status.className = "status error";
      note.dataset.status = "error";
    }
  }

  /**
   * The page contract of Siegel's client API (www/API.md, section 2), for adapters of webmails that speak
   * it (the demo webmail itself, Roundcube through Siegel's plugin): requests to the page over
   * window.postMessage, and the page's own announcements. `on` maps the announcements (`compose-open`,
   * `send-requested`, `message-open`) to handlers; returns `ask(type, payload, transfer)`, which resolves
   * with the page's answer or rejects with its error (`code` "webmail", or the page's own code).
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
        if (m.ok === false) p.reject(Object.assign(new Error(m.error || "The webmail refused the request."), { code: typeof m.code === "string" ? m.code : "webmail" }));
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
        }, CALL_TIMEOUT);
        pending.set(requestId, { resolve, reject, timer });
        window.postMessage({ source: "siegel", type, requestId, ...payload }, location.origin, transfer);
      });
    };
  }

  /** A copy of `bytes` as an ArrayBuffer of its own, to transfer to the page. */
  function ownBuffer(bytes) {
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  globalThis.siegelContent = Object.freeze({
    pageContract,
    ownBuffer,
    /** Called by an adapter: `{ name, start({ onCompose(ctx), onMessage(ctx) }) }`. */
    register(adapter) {
      document.documentElement.dataset.siegel = "active";
      adapter.start({ onCompose: (ctx) => attachCompose(ctx), onMessage: (ctx) => attachMessage(ctx) });
    },
  });
})();
