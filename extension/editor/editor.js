// Siegel's editor: an extension page in a frame of the webmail's compose view (content/compose.js puts it
// there). The webmail page cannot read or script it. A message to be signed or encrypted is written here:
// its text (plain, or formatted with Squire), its attachments, and its Send and Save. The envelope (From,
// recipients, Subject) stays in the webmail's fields and is shown here as it will be sent. Send signs and
// seals only on a trusted click on a Send button the browser confirms the user could see (ui/visible.js),
// or after the user confirmed in a window of Siegel's own (confirm/); drafts are saved encrypted to the
// sender (lib/compose.js). With Sign and Encrypt both off, this frame is only a toolbar, and the message is
// the webmail's.
import { fromBase64, toBase64 } from "../lib/bytes.js";
import { call, errorText as baseErrorText, localize, t } from "../ui/rpc.js";
import { SEEN_FOR, clickGuard, frameVisibility } from "../ui/visible.js";
import { DOMPurify, Squire } from "./vendor.js";

const $ = (id) => document.getElementById(id);
const session = decodeURIComponent(location.hash.slice(1));
localize();
for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle, undefined, el.title);
for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel, undefined, el.getAttribute("aria-label")));

/** How often the envelope is read again from the webmail's fields while the editor is shown. */
const ENVELOPE_EVERY = 2000;
/** Autosave (encrypted) after this long with unsaved changes. */
const AUTOSAVE_EVERY = 60_000;
/** A Send this soon after the envelope shown changed is refused: the user may not have seen the change. */
const SETTLED_FOR = 1500;
/** The most attached in Siegel's editor (what the worker can take in one message). */
const MAX_ATTACHMENTS_BYTES = 40 << 20;

const state = {
  sign: false,
  encrypt: false,
  signLocked: false,
  encryptLocked: false,
  format: "text",
  attachments: [], // { filename, contentType, data: Uint8Array }
  envelope: null,
  version: null,
  recipientsKey: "",
  envelopeChangedAt: -Infinity,
  busy: false,
  confirming: false,
  sent: false,
  changed: false,
  unlocked: false,
};
let squire = null;

const protecting = () => state.sign || state.encrypt;

function say(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

// ---- errors and notes ----

const SOURCE_KEYS = { webmail: "sourceWebmail", https: "sourceHttps", dns: "sourceDns" };
const SOURCE_NAMES = { webmail: "the webmail's address book", https: "the directory", dns: "DNS (DANE)" };
const sourceName = (s) => t(SOURCE_KEYS[s] || "sourceHttps", undefined, SOURCE_NAMES[s] || String(s));

function errorText(e) {
  // Messages that name recipients or addresses are more useful than a generic translation.
  if (e && e.code === "no-certificate" && Array.isArray(e.missing)) {
    const why = Array.isArray(e.reasons) && e.reasons.length ? ` (${e.reasons.map((x) => `${x.email}, ${sourceName(x.source)}: ${x.reason}`).join("; ")})` : "";
    const who = e.missing.join(", ") + why;
    return e.required ? t("composeNoCertificateRequired", [who], e.message) : t("composeNoCertificate", [who], e.message);
  }
  if (e && (e.code === "no-certificate" || e.code === "no-identity")) return e.message;
  if (e && e.code === "no-common-cipher" && e.who) return t("composeNoCommonCipher", [e.who, e.allowed], e.message);
  if (e && e.code === "unusable-certificate") return t("composeRefused", [e.message], `Not sent: ${e.message}`);
  return baseErrorText(e);
}

const cipherName = (c) => String(c).toUpperCase();

/** What the editor says of a cipher choice (lib/negotiate.js's result). */
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

/** What the editor says of one recipient's certificate (lib/mail.js findCertificates). */
function recipientText(email, r) {
  if (r.status === "contact") return t("composeRecipientContact", [email], `${email}: certificate from your contacts`);
  if (r.status === "found") return t("composeRecipientFound", [email, sourceName(r.source)], `${email}: certificate found in ${sourceName(r.source)}`);
  const reasons = (r.reasons || []).map((x) => `${sourceName(x.source)}: ${x.reason}`).join("; ");
  if (!reasons) return t("composeRecipientNoSource", [email], `${email}: no certificate, and no directory to look in`);
  return t("composeRecipientNone", [email, reasons], `${email}: no certificate (${reasons})`);
}

// ---- the text ----

/**
 * HTML that enters the formatted editor: the user's own drafts and what the user pastes. The user signs what
 * they see, so only what shows as it is stays: an allow-list of plain structure and emphasis, links, and
 * inline data images; no style, class, colour, size or font (white text, a zero size), nothing collapsible,
 * nothing that loads, no scripts. What the webmail hands over (its own draft, a draft Siegel did not save)
 * never gets here: it enters as plain text.
 */
function sanitize(html) {
  return DOMPurify.sanitize(String(html), {
    ALLOWED_TAGS: ["div", "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "blockquote", "pre", "code",
      "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "table", "thead", "tbody", "tr", "td", "th", "img", "hr"],
    ALLOWED_ATTR: ["href", "src", "alt"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|data:image\/(?:png|gif|jpeg|webp);|#)/i,
  });
}

/** A DocumentFragment of sanitised HTML, for Squire (which must be handed one). */
function sanitizeToDOMFragment(html) {
  const template = document.createElement("template");
  template.innerHTML = sanitize(html);
  // Images may be shown only from inline data: a remote one would be fetched by this frame.
  for (const img of template.content.querySelectorAll("img")) if (!/^data:/i.test(img.getAttribute("src") || "")) img.remove();
  for (const a of template.content.querySelectorAll("a")) a.setAttribute("rel", "noopener noreferrer");
  return document.importNode(template.content, true);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

/** Plain text of HTML, as a mail reader without HTML shows it (block ends become line ends). */
function htmlToText(html) {
  const doc = new DOMParser().parseFromString(sanitize(html), "text/html");
  for (const br of doc.querySelectorAll("br")) br.replaceWith("\n");
  for (const block of doc.querySelectorAll("p, div, li, tr, h1, h2, h3, h4, h5, h6, blockquote, pre")) block.append("\n");
  return (doc.body.textContent || "").replace(/\n{3,}/g, "\n\n").trim();
}

function textToHtml(text) {
  return String(text).split(/\r?\n/).map((line) => `<div>${line ? escapeHtml(line) : "<br>"}</div>`).join("");
}

function editorRoot() {
  squire ??= new Squire($("html"), { sanitizeToDOMFragment, blockTag: "DIV" });
  return squire;
}

/** The message as it will be sealed: `{ text, html }` (html only in the formatted mode). */
function body() {
  if (state.format === "html") {
    const html = editorRoot().getHTML();
    return { text: htmlToText(html), html };
  }
  return { text: $("text").value, html: null };
}

function isEmpty() {
  const { text } = body();
  return !text.trim() && state.attachments.length === 0;
}

function setFormat(format) {
  if (format === state.format) return;
  const current = body();
  state.format = format;
  for (const radio of document.querySelectorAll('input[name="format"]')) radio.checked = radio.value === format;
  $("text").hidden = format !== "text";
  $("html").hidden = format !== "html";
  $("tools").hidden = format !== "html";
  if (format === "html") editorRoot().setHTML(current.text ? textToHtml(current.text) : "");
  else $("text").value = current.text;
}

function setContent({ text, html }) {
  if (html) {
    setFormat("html");
    editorRoot().setHTML(html);
  } else {
    setFormat("text");
    $("text").value = text || "";
  }
}

// ---- attachments ----

function renderAttachments() {
  $("attachments").replaceChildren(...state.attachments.map((a, i) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${a.filename} (${a.data.length.toLocaleString()} bytes)`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = t("editorRemove", undefined, "Remove");
    remove.addEventListener("click", () => {
      state.attachments.splice(i, 1);
      state.changed = true;
      renderAttachments();
    });
    li.append(name, remove);
    return li;
  }));
}

function addAttachments(list) {
  for (const a of list) {
    if (state.attachments.some((b) => b.filename === a.filename && b.data.length === a.data.length)) continue;
    state.attachments.push(a);
  }
  state.changed = true;
  renderAttachments();
}

async function attachFiles(files) {
  const total = state.attachments.reduce((n, a) => n + a.data.length, 0) + [...files].reduce((n, f) => n + f.size, 0);
  if (total > MAX_ATTACHMENTS_BYTES) {
    say(t("editorTooLarge", undefined, "The attachments are too large for Siegel (40 MB in all)."), "error");
    return;
  }
  const added = [];
  for (const file of files) added.push({ filename: file.name, contentType: file.type || "application/octet-stream", data: new Uint8Array(await file.arrayBuffer()) });
  addAttachments(added);
}

const wireAttachments = (list) => list.map((a) => ({ filename: a.filename, contentType: a.contentType, data: toBase64(a.data) }));

// ---- the envelope ----

/** The bar beside Send says to whom and how: it is seen with Send (ui/visible.js), or Send does nothing. */
function renderSummary() {
  const env = state.envelope;
  if (!env) return;
  const to = [...env.to, ...env.cc, ...env.bcc].join(", ") || t("editorNoRecipients", undefined, "(no recipients)");
  const how = [state.sign ? t("composeSigned", undefined, "signed") : "", state.encrypt ? t("composeEncrypted", undefined, "encrypted") : ""].filter(Boolean).join(", ");
  $("summary").textContent = t("editorSummary", [to, how], `To ${to} · ${how}`);
}

function renderEnvelope(r) {
  const env = r.envelope;
  if (state.version && r.version !== state.version) state.envelopeChangedAt = performance.now();
  $("env-from").textContent = env.from || t("editorNoSender", undefined, "(no sender)");
  $("env-to").textContent = env.to.join(", ") || t("editorNoRecipients", undefined, "(no recipients)");
  for (const [field, list] of [["cc", env.cc], ["bcc", env.bcc]]) {
    $(`env-${field}`).textContent = list.join(", ");
    $(`env-${field}`).hidden = list.length === 0;
    $(`env-${field}`).previousElementSibling.hidden = list.length === 0;
  }
  $("env-subject").textContent = env.subject || t("editorNoSubject", undefined, "(no subject)");
  const identity = $("identity");
  identity.hidden = r.identity === "ok";
  identity.textContent = r.identity === "locked"
    ? t("composeLocked", undefined, "Siegel is locked: unlock it (toolbar button) to sign or encrypt.")
    : t("composeNoIdentity", [env.from], `No identity for ${env.from}.`);
  if (r.recipients) {
    const entries = Object.entries(r.recipients);
    $("recipients").replaceChildren(...entries.map(([email, found]) => {
      const li = document.createElement("li");
      li.textContent = recipientText(email, found);
      li.className = found.status;
      return li;
    }));
    $("recipients").hidden = !state.encrypt || entries.length === 0;
  } else if (!state.encrypt) {
    $("recipients").hidden = true;
  }
  if (r.cipher !== null || !state.encrypt) {
    const text = state.encrypt ? cipherText(r.cipher) : "";
    $("cipher").textContent = text;
    $("cipher").hidden = !text;
  }
}

/** A reading of the envelope under way (a directory may take seconds): the timer's next one waits for it. */
let refreshing = null;

/** Reads the envelope from the webmail again; certificates and the cipher only when recipients or toggles changed. */
async function refreshEnvelope(force = false) {
  if (!protecting() || state.sent) return;
  if (refreshing && !force) return;
  const run = readEnvelope(force);
  refreshing = run;
  try {
    await run;
  } finally {
    if (refreshing === run) refreshing = null;
  }
}

async function readEnvelope(force) {
  let r = await call("editorEnvelope", { session, encrypt: false });
  const key = JSON.stringify([r.envelope.to, r.envelope.cc, r.envelope.bcc, state.encrypt]);
  if (state.encrypt && (force || key !== state.recipientsKey)) {
    r = await call("editorEnvelope", { session, encrypt: true });
    state.recipientsKey = key;
  }
  if (state.confirming) return; // the confirmation window shows (and sends) the envelope read for it
  renderEnvelope(r);
  state.envelope = r.envelope;
  state.version = r.version;
  renderSummary();
}

// ---- modes ----

function showMode() {
  const on = protecting();
  document.body.dataset.mode = on ? "editor" : "toolbar";
  $("editor").hidden = !on;
  $("actions").hidden = !on;
}

async function setMode(on) {
  await call("editorMode", { session, protect: on });
  showMode();
  if (on) await refreshEnvelope(true).catch((e) => say(errorText(e), "error"));
}

/**
 * The webmail's own draft comes into Siegel's editor when protection is turned on for it, as plain text:
 * the page wrote its HTML, and could hide text in it that the user would sign without seeing.
 */
async function importWebmail() {
  if (!isEmpty()) return;
  const d = await call("editorImport", { session });
  const text = d.text || (d.html ? htmlToText(d.html) : "");
  if (text) setContent({ text });
  addAttachments(d.attachments.map((a) => ({ ...a, data: fromBase64(a.data) })));
  state.changed = false;
}

function showToggles() {
  $("sign").checked = state.sign;
  $("encrypt").checked = state.encrypt;
  $("sign").disabled = state.signLocked;
  $("encrypt").disabled = state.encryptLocked;
  renderSummary();
}

let pendingOff = null;

async function toggled() {
  const wanted = { sign: $("sign").checked, encrypt: $("encrypt").checked };
  if (protecting() && !wanted.sign && !wanted.encrypt && !isEmpty()) {
    // Off with something written here: the text would go to the webmail. Ask first (a visible click).
    pendingOff = wanted;
    showToggles();
    $("confirm").hidden = false;
    return;
  }
  const was = protecting();
  Object.assign(state, wanted);
  if (protecting() !== was) {
    await setMode(protecting());
    if (protecting()) await importWebmail();
  } else {
    await refreshEnvelope(true).catch((e) => say(errorText(e), "error"));
  }
}

// ---- loading what Siegel holds for this view ----

function quote(loaded) {
  const h = loaded.headers;
  const text = loaded.text ?? (loaded.html ? htmlToText(loaded.html) : "");
  if (loaded.kind === "forward") {
    const head = [
      t("quoteForwarded", undefined, "---------- Forwarded message ----------"),
      `${t("fieldFrom", undefined, "From")}: ${h.from}`,
      `${t("fieldDate", undefined, "Date")}: ${h.date}`,
      `${t("fieldSubjectLine", undefined, "Subject")}: ${h.subject}`,
      `${t("fieldTo", undefined, "To")}: ${h.to}`,
    ];
    return `\n\n${head.join("\n")}\n\n${text}`;
  }
  const intro = t("quoteReply", [h.date, h.from], `On ${h.date}, ${h.from} wrote:`);
  return `\n\n${intro}\n${text.split(/\r?\n/).map((l) => `> ${l}`).join("\n")}`;
}

async function load() {
  let loaded;
  try {
    loaded = await call("editorLoad", { session });
  } catch (e) {
    say(errorText(e), "error");
    return;
  }
  if (!loaded) return;
  if (loaded.kind === "draft") {
    // The user's own draft (Siegel's MAC on it) comes back as saved; anything else as plain text.
    if (loaded.verified) setContent(loaded);
    else setContent({ text: loaded.text ?? (loaded.html ? htmlToText(loaded.html) : "") });
    if (loaded.sign !== null) state.sign = state.signLocked || loaded.sign;
    state.encrypt = state.encryptLocked || loaded.encrypt || !state.sign;
    if (!loaded.verified) say(t("editorForeignDraft", undefined, "This draft was not saved by Siegel in this browser (or before a passphrase change): its text is shown as plain text, and it will be encrypted."));
  } else {
    setContent({ text: quote(loaded) });
  }
  // What Siegel decrypted into the editor leaves it only encrypted.
  if (loaded.encryptLocked) {
    state.encrypt = true;
    state.encryptLocked = true;
  }
  showToggles();
  addAttachments((loaded.attachments || []).map((a) => ({ ...a, data: fromBase64(a.data) })));
  state.changed = false;
}

// ---- send and save ----

// Send counts only with the whole bar around it seen (what is sent, and to whom); moving the text to the
// webmail only with the whole question seen.
const sendGuard = clickGuard($("send"), $("actions"));
const moveGuard = clickGuard($("confirm-move"), $("confirm"));
const visibility = frameVisibility();

/**
 * The confirmation in a window of Siegel's own, when the browser could not confirm the bar with Send was
 * seen. The worker reads the envelope it shows there itself; Send then uses exactly that one (its
 * `version`), and the envelope is not read again meanwhile.
 */
async function confirmElsewhere() {
  say(t("editorCovered", undefined, "Siegel's editor is covered or not fully visible here, so Siegel asks in a window of its own."), "error");
  return call("editorConfirm", {
    session,
    summary: {
      sign: state.sign,
      encrypt: state.encrypt,
      attachments: state.attachments.map((a) => a.filename),
      excerpt: body().text.slice(0, 600),
    },
  });
}

async function send(event) {
  if (state.busy || state.sent) return;
  if (!state.version) {
    await refreshEnvelope(true).catch(() => {});
    say(t("editorCheckEnvelope", undefined, "Check From and the recipients above, then press Send again."), "error");
    return;
  }
  let version = state.version;
  if (!sendGuard.allows(event)) {
    state.busy = true;
    state.confirming = true;
    try {
      const answer = await confirmElsewhere();
      if (!answer.approved) {
        say(t("editorNotConfirmed", undefined, "Not sent: the send was not confirmed."), "error");
        return;
      }
      version = answer.version;
    } catch (e) {
      say(errorText(e), "error");
      return;
    } finally {
      state.busy = false;
      state.confirming = false;
    }
  } else if (performance.now() - state.envelopeChangedAt < SETTLED_FOR) {
    // The page changed the recipients just now: the user may not have seen it.
    say(t("editorCheckEnvelope", undefined, "Check From and the recipients above, then press Send again."), "error");
    return;
  }
  state.busy = true;
  $("send").disabled = true;
  const size = state.attachments.reduce((n, a) => n + a.data.length, body().text.length);
  const mb = (size / (1024 * 1024)).toFixed(1);
  say(t("composeSealing", [mb], `Signing and encrypting (${mb} MB)…`));
  try {
    const result = await call("editorSend", {
      session,
      version,
      sign: state.sign,
      encrypt: state.encrypt,
      ...body(),
      attachments: wireAttachments(state.attachments),
    });
    state.sent = true;
    const encryptedWith = result.cipher?.cipher
      ? t("composeEncryptedWith", [cipherName(result.cipher.cipher)], `encrypted with ${cipherName(result.cipher.cipher)}`)
      : t("composeEncrypted", undefined, "encrypted");
    const how = [result.signed ? t("composeSigned", undefined, "signed") : "", result.encrypted ? encryptedWith : ""].filter(Boolean).join(", ");
    say(t("composeSent", [how], `Sent (${how}).`), "ok");
  } catch (e) {
    // Fail closed: nothing was sent, and everything written is still here.
    say(errorText(e), "error");
    if (e.code === "envelope-changed") await refreshEnvelope(true).catch(() => {});
  } finally {
    state.busy = false;
    $("send").disabled = state.sent;
  }
}

let lastSave = 0;
async function save(why) {
  if (!protecting() || state.busy || state.sent) return;
  if (why !== "user" && (!state.changed || Date.now() - lastSave < 5000)) return;
  if (!state.unlocked) {
    if (why === "user") say(t("editorSaveLocked", undefined, "Siegel is locked: unlock it to save the draft (it is saved encrypted)."), "error");
    return;
  }
  lastSave = Date.now();
  try {
    await call("editorSave", { session, sign: state.sign, encrypt: state.encrypt, ...body(), attachments: wireAttachments(state.attachments) });
    state.changed = false;
    $("saved").textContent = t("editorSaved", [new Date().toLocaleTimeString()], `Draft saved encrypted at ${new Date().toLocaleTimeString()}.`);
  } catch (e) {
    $("saved").textContent = errorText(e);
  }
}

async function refreshLock() {
  const { unlocked, reason } = await call("lockState");
  state.unlocked = unlocked;
  if (!unlocked && reason === "probing") say(t("error_probing", undefined, "Siegel locked itself because several messages failed to decrypt within minutes."), "error");
  else if (!unlocked) say(t("composeLocked", undefined, "Siegel is locked: unlock it (toolbar button) to sign or encrypt."));
  else if ($("status").className !== "error" || /locked/i.test($("status").textContent)) say("");
}

// ---- wiring ----

$("sign").addEventListener("change", () => toggled().catch((e) => say(errorText(e), "error")));
$("encrypt").addEventListener("change", () => toggled().catch((e) => say(errorText(e), "error")));
for (const radio of document.querySelectorAll('input[name="format"]')) radio.addEventListener("change", () => radio.checked && setFormat(radio.value));
for (const button of document.querySelectorAll("#tools button")) {
  button.addEventListener("click", () => {
    const root = editorRoot();
    root[button.dataset.command]?.();
    root.focus();
  });
}
$("attach").addEventListener("change", async () => {
  await attachFiles($("attach").files);
  $("attach").value = "";
});
document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  if (!e.dataTransfer?.files?.length) return;
  e.preventDefault();
  attachFiles(e.dataTransfer.files);
});
$("text").addEventListener("input", () => (state.changed = true));
$("send").addEventListener("click", (e) => send(e));
$("save").addEventListener("click", () => save("user"));
$("confirm-keep").addEventListener("click", () => {
  pendingOff = null;
  $("confirm").hidden = true;
});
$("confirm-move").addEventListener("click", async (e) => {
  if (!pendingOff || !moveGuard.allows(e)) return;
  const { text, html } = body();
  await call("editorRelease", { session, text, html });
  $("text").value = "";
  if (squire) squire.setHTML("");
  $("confirm").hidden = true;
  Object.assign(state, pendingOff);
  pendingOff = null;
  showToggles();
  await setMode(false);
});

// The user's own activity in this frame keeps Siegel unlocked; the webmail's cannot reach here.
let lastActivity = 0;
for (const type of ["keydown", "pointerdown", "input"]) {
  document.addEventListener(type, (e) => {
    // Only while this frame is seen: a click the page routes through it, made invisible, is not the user's.
    if (!e.isTrusted || visibility.visibleFor(0) < SEEN_FOR || Date.now() - lastActivity < 20_000) return;
    lastActivity = Date.now();
    call("activity").catch(() => {});
  }, true);
}

chrome.runtime.onMessage.addListener((m) => {
  if (m?.siegel === "lock-state") refreshLock().catch(() => {});
  if (m?.siegel !== "editor" || m.session !== session) return;
  if (m.what === "save") save("webmail");
  else if (protecting() && !state.sent) say(t("editorUseSend", undefined, "This message is Siegel's to send: press Send below, in Siegel's editor."), "error");
});

async function start() {
  const open = await call("editorOpen", { session });
  Object.assign(state, { sign: open.sign, encrypt: open.encrypt, signLocked: open.signLocked, encryptLocked: open.encryptLocked });
  showToggles();
  await refreshLock();
  await setMode(protecting());
  if (open.start) await load();
  else if (protecting()) await importWebmail().catch((e) => say(errorText(e), "error"));
  setInterval(() => {
    if (document.visibilityState === "visible") refreshEnvelope().catch(() => {});
  }, ENVELOPE_EVERY);
  setInterval(() => save("auto"), AUTOSAVE_EVERY);
  document.body.dataset.ready = "1";
}

start().catch((e) => say(errorText(e), "error"));
