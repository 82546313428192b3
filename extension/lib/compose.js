// Writing protected mail. The webmail page is not trusted (SECURITY.md): it must never get a signature or a
// sealed message the user did not ask for, nor read what the user writes for a protected message. So a
// protected message is written in Siegel's editor frame (editor/), an extension page the webmail can
// neither read nor script, and sealed only when that frame asks, after a trusted click on its Send button
// that it checked to be fully visible. The webmail's part is the envelope (From, recipients, Subject, from
// its own fields, shown in the frame before the click), storage and transport.
//
// A compose session ties one compose view to one tab, the content script's frame in it, and (once it has
// loaded) one editor frame. The content script opens it (`open`) and is only a bridge: the worker asks it
// (`ask`) for the envelope, the webmail's address book, the webmail's own draft, and to hand the page what
// was sealed. Everything the page answers is checked here as hostile input. Sessions live in
// chrome.storage.session (they survive the worker being stopped) and end with their compose view.

import * as autolock from "./autolock.js";
import * as keyring from "./keyring.js";
import * as mail from "./mail.js";
import { decryptionFailed, recentlyRead } from "./reading.js";
import { engine } from "./engine.js";
import { fromBase64, sha256, toBase64 } from "./bytes.js";
import { effectiveSettings } from "./settings.js";
import { sessionMap } from "./serial.js";

const SESSIONS = "composeSessions";
/** Sessions not closed by their view (a crashed tab) end after this. */
const SESSION_TTL = 24 * 3600_000;
/** The most an envelope may name (the webmail is not trusted to keep it small). */
const MAX_ADDRESSES = 100;
const MAX_LINE = 998;

const { MailError } = mail;
// What each session's webmail address book was asked, and raw originals fetched for the editor (memory only).
const askedWebmail = new Map();
const originals = new Map();

const sessions = sessionMap(SESSIONS);

/** Stores (or, with null, removes) session `id`; sessions past SESSION_TTL go on the way. */
function put(id, session) {
  return sessions.change((all) => {
    const now = Date.now();
    for (const [k, v] of Object.entries(all)) if (now - v.at > SESSION_TTL) delete all[k];
    if (session === null) delete all[id];
    else all[id] = session;
  });
}

/** Changes fields of session `id`; nothing when it has ended. */
function update(id, patch) {
  return sessions.change((all) => {
    if (all[id]) all[id] = { ...all[id], ...patch };
  });
}

function gone() {
  return new MailError("compose-gone", "This compose view is no longer open. Nothing was sent.");
}

/** The session `id` as its content script may use it (the same tab and frame that opened it). */
async function forContent(id, sender) {
  const session = (await sessions.all())[String(id)];
  if (!session || session.tabId !== sender.tab?.id || session.frameId !== sender.frameId) throw gone();
  return { id: String(id), ...session };
}

/**
 * The session `id` as its editor frame may use it: a frame of the same tab; the first editor frame to
 * load claims the session, and no other frame may use it afterwards (checked and claimed in one step).
 */
function forEditor(id, sender) {
  return sessions.change((all) => {
    const session = all[String(id)];
    if (!session || session.tabId !== sender.tab?.id) throw gone();
    if (session.editorFrameId === null) session.editorFrameId = sender.frameId;
    else if (session.editorFrameId !== sender.frameId) throw gone();
    return { id: String(id), ...session };
  });
}

/** Asks the session's content script (and through it the page); rejects with the page's error. */
async function ask(session, message) {
  let reply;
  try {
    reply = await chrome.tabs.sendMessage(session.tabId, { siegel: "compose", session: session.id, ...message }, { frameId: session.frameId });
  } catch {
    reply = undefined;
  }
  if (!reply) throw gone();
  if (!reply.ok) throw new MailError(typeof reply.error?.code === "string" ? reply.error.code : "webmail", String(reply.error?.message || "The webmail refused the request."));
  return reply.result;
}

const line = (v, max = MAX_LINE) => (typeof v === "string" ? v.replace(/[\r\n\0]+/g, " ").trim().slice(0, max) : "");
const addresses = (v) => (Array.isArray(v) ? v.slice(0, MAX_ADDRESSES).map((x) => line(x)).filter(Boolean) : []);

/** The envelope the page gives, reduced to its shape: single-line strings, bounded lists. */
function envelopeOf(answer) {
  const a = answer && typeof answer === "object" ? answer : {};
  return { from: line(a.from), to: addresses(a.to), cc: addresses(a.cc), bcc: addresses(a.bcc), subject: line(a.subject, 4 * MAX_LINE) };
}

/** A digest of an envelope: what the editor showed is what is sealed, or nothing is. */
function versionOf(envelope) {
  return sha256(new TextEncoder().encode(JSON.stringify(envelope)));
}

/** The message the editor frame asks to send or save: the envelope read from the webmail, and its content checked. */
function draftOf(envelope, { text, html, attachments }) {
  return { ...envelope, text: typeof text === "string" ? text : "", html: typeof html === "string" && html ? html : undefined, attachments: attachmentsOf(attachments) };
}

/** Attachments from the editor or the webmail: `[{ filename, contentType, data: base64 }]`, checked. */
function attachmentsOf(list) {
  if (!Array.isArray(list)) return [];
  return list.slice(0, 500).filter((a) => a && typeof a.data === "string").map((a) => ({
    filename: line(a.filename, 255) || "attachment",
    contentType: /^[\w.+-]+\/[\w.+-]+$/.test(a.contentType || "") ? a.contentType : "application/octet-stream",
    data: a.data,
  }));
}

/**
 * What the webmail's address book answered, reduced to its shape: `{ [email]:
 * { certificates: [base64, at most 64] } | { error } }`. Nothing in it is trusted (lib/directory.js checks
 * every certificate against the trusted CAs); this only keeps its size and types in bounds.
 */
function addressBookOf(value) {
  if (!value || typeof value !== "object") return null;
  const out = Object.create(null);
  for (const [email, answer] of Object.entries(value).slice(0, 50)) {
    if (!answer || typeof answer !== "object" || email.length > 254) continue;
    if (typeof answer.error === "string") out[email.toLowerCase()] = { error: answer.error.slice(0, 500) };
    else if (Array.isArray(answer.certificates)) {
      // 90,000 base64 characters: the plugin's 64 KiB of DER per value, encoded.
      const certificates = answer.certificates.filter((c) => typeof c === "string" && c.length > 0 && c.length <= 90_000 && /^[A-Za-z0-9+/=]*$/.test(c)).slice(0, 64);
      out[email.toLowerCase()] = { certificates };
    }
  }
  return out;
}

/**
 * The webmail address book's answers (asked once per recipient, or afresh at Send). It is asked about every
 * recipient, not only those still without a certificate, so that the page cannot learn from the question
 * which recipients Siegel already has certificates for; the answers are used only for those.
 */
async function webmailAnswers(session, emails, fresh, trusted) {
  const lacking = await mail.lacking(emails, trusted);
  const asked = askedWebmail.get(session.id) || new Set();
  askedWebmail.set(session.id, asked);
  const everyone = [...new Set(emails.map(mail.address))].filter(Boolean).slice(0, 50);
  const wanted = lacking.webmail && lacking.emails.length ? everyone.filter((e) => fresh || !asked.has(e)) : [];
  if (!wanted.length) return null;
  wanted.forEach((e) => asked.add(e));
  try {
    return addressBookOf(await ask(session, { op: "lookup", emails: wanted }));
  } catch (e) {
    return Object.fromEntries(wanted.map((a) => [a, { error: e.message }]));
  }
}

// ---- asked by the content script ----

/** A compose view opened: `{ session }`, the id its editor frame is loaded with. */
export async function open({ composeId, draft, original }, sender) {
  const id = crypto.randomUUID();
  let origin = "";
  try {
    origin = new URL(sender.url).origin;
  } catch {
    origin = "";
  }
  await put(id, {
    tabId: sender.tab.id,
    frameId: sender.frameId,
    origin,
    composeId: line(composeId, 200),
    editorFrameId: null,
    draft: Boolean(draft),
    original: original === "reply" || original === "forward" ? original : null,
    at: Date.now(),
  });
  return { session: id };
}

/** The compose view is gone: so is everything Siegel kept for it. */
export async function close({ session }, sender) {
  const s = await forContent(session, sender).catch(() => null);
  if (!s) return false;
  askedWebmail.delete(s.id);
  originals.delete(s.id);
  await put(s.id, null);
  return true;
}

/**
 * The webmail's own Send or Save was used while Siegel holds them (`what`: "send" or "save"): the editor
 * frame is told, and does the safe thing (points the user at its Send button; saves an encrypted draft).
 * Nothing is signed or sealed because the page asked.
 */
export async function requested({ session, what }, sender) {
  const s = await forContent(session, sender);
  chrome.runtime.sendMessage({ siegel: "editor", session: s.id, what: what === "save" ? "save" : "send" }).catch(() => {});
  return true;
}

// ---- asked by the editor frame ----

/**
 * The editor frame loaded: the defaults and locks from settings and policy, whether Siegel is unlocked,
 * and what the session starts with. A reopened Siegel draft, and a reply to or forward of an encrypted
 * mail, start protected; that is decided from the mail's shape, before anything is decrypted, so that
 * what the page sees of the frame does not depend on whether it decrypts.
 */
export async function editorOpen({ session }, sender) {
  const s = await forEditor(session, sender);
  const { settings, locked } = await effectiveSettings();
  let start = s.draft ? "draft" : null;
  if (s.original) {
    try {
      const raw = fromBase64(await ask(s, { op: "fetch", which: "original" }));
      // Quoted only if it is an encrypted mail the reader in this tab decrypted: the page cannot pick another
      // secret mail for Siegel to decrypt into the editor.
      if ((await engine()).messageShape(raw).kind === "encrypted" && (await recentlyRead(s.tabId, raw))) {
        originals.set(s.id, raw);
        start = s.original;
      }
    } catch {
      start = null; // not S/MIME, or the page does not give it: the webmail quotes it itself
    }
  }
  return {
    sign: settings.alwaysSign,
    encrypt: settings.alwaysEncrypt || start !== null,
    signLocked: locked.includes("alwaysSign") && settings.alwaysSign,
    encryptLocked: locked.includes("alwaysEncrypt") && settings.alwaysEncrypt,
    start,
  };
}


/**
 * What the editor shows above the text: the envelope from the webmail's fields (and its version), whether
 * there is an identity for From, and with encryption on each recipient's certificate (from the contacts
 * or a directory, or why there is none) and the cipher they would get.
 */
export async function editorEnvelope({ session, encrypt }, sender, trusted) {
  const s = await forEditor(session, sender);
  const envelope = envelopeOf(await ask(s, { op: "envelope" }));
  const out = { envelope, version: await versionOf(envelope), identity: "locked", recipients: null, cipher: null };
  await keyring.ready();
  if (keyring.isUnlocked()) {
    try {
      keyring.identityFor(mail.address(envelope.from));
      out.identity = "ok";
    } catch {
      out.identity = "none";
    }
  }
  if (encrypt) {
    const emails = [...envelope.to, ...envelope.cc, ...envelope.bcc];
    const webmail = await webmailAnswers(s, emails, false, trusted);
    out.recipients = await mail.findCertificates(emails, { webmail }, trusted);
    out.cipher = await mail.cipherPreview(envelope, trusted);
  }
  return out;
}

/** The webmail's own draft (text, HTML, attachments), when protection is turned on for what it holds. */
export async function editorImport({ session }, sender) {
  const s = await forEditor(session, sender);
  const d = (await ask(s, { op: "body" })) || {};
  return { text: typeof d.text === "string" ? d.text : "", html: typeof d.html === "string" ? d.html : null, attachments: attachmentsOf(d.attachments) };
}

/** The value of header `name` among `[[name, value]]`, or "". */
function header(headers, name) {
  const found = (headers || []).find(([n]) => String(n).toLowerCase() === name);
  return found ? String(found[1]) : "";
}

/** The first header line Siegel puts on its own drafts: `X-Siegel-Draft: v1 <MAC of the rest>`. */
const DRAFT_LINE = /^X-Siegel-Draft: v1 ([A-Za-z0-9+/=]{44})\r?\n/;

/** What a draft's MAC covers: its bytes after that line, line ends and trailing space aside. */
function draftCanon(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return new TextEncoder().encode(s.replace(/\r/g, "").replace(/\s+$/, ""));
}

/** `{ body, mac }`: a raw draft split at Siegel's first line, or `{ body: raw, mac: null }`. */
function draftParts(raw) {
  const head = new TextDecoder("latin1").decode(raw.subarray(0, 80));
  const m = DRAFT_LINE.exec(head);
  return m ? { body: raw.subarray(m[0].length), mac: m[1] } : { body: raw, mac: null };
}

/**
 * What the editor starts with, decrypted here and handed only to the editor frame: a reopened draft
 * (`{ kind: "draft", verified, text, html, attachments, sign, encrypt }`), or the encrypted mail being
 * answered or forwarded (`{ kind: "reply" | "forward", headers, text, html, attachments }`), which the
 * webmail, never having had its plaintext, cannot quote. Null when there is nothing of Siegel's to load.
 *
 * A draft is the user's own only if it carries the MAC Siegel gave it (lib/vault.js draftKeyFromRaw):
 * then its protection and formatting come back as saved. Any other "draft" the webmail hands over (it may
 * be forged: any bytes, with any protection header) comes back as plain text only, encrypted, with the
 * user's default for signing. Whatever was decrypted into the editor may leave it only encrypted (the
 * session is marked, `editorSend`), unless it is the user's own draft that was not to be encrypted. A
 * failure to decrypt counts towards locking (lib/reading.js), as in the reader.
 */
export async function editorLoad({ session }, sender, trusted) {
  const s = await forEditor(session, sender);
  if (!s.draft && !s.original) return null;
  let raw = s.draft ? null : originals.get(s.id);
  originals.delete(s.id);
  if (!raw && !s.draft) return null;
  raw ??= fromBase64(await ask(s, { op: "fetch", which: "draft" }));
  await keyring.ready();
  const parts = s.draft ? draftParts(raw) : { body: raw, mac: null };
  const verified = Boolean(parts.mac) && (await keyring.draftMacOk(draftCanon(parts.body), parts.mac));
  let opened;
  try {
    opened = await mail.open(parts.body, trusted);
  } catch (e) {
    throw await decryptionFailed(e);
  }
  const { headers, text, html, attachments } = opened.view;
  if (s.draft) {
    const protection = verified ? header(headers, "x-siegel-protection").toLowerCase() : "";
    const own = verified && opened.summary.encrypted;
    const encrypt = !own || /\bencrypt\b/.test(protection);
    // Content that was decrypted leaves only encrypted, unless it is the user's own draft not meant to be.
    const decrypted = opened.summary.encrypted && (!own || encrypt || /\bquoted\b/.test(protection));
    await update(s.id, { decrypted });
    return {
      kind: "draft",
      verified: own,
      // (Not the user's own: the editor shows it as plain text, its HTML turned into text.)
      text,
      html,
      attachments,
      sign: own ? /\bsign\b/.test(protection) : null,
      encrypt,
      encryptLocked: decrypted,
    };
  }
  if (!opened.summary.encrypted) return null;
  await update(s.id, { decrypted: true });
  const pick = (n) => header(headers, n);
  return {
    kind: s.original,
    headers: { from: pick("from"), date: pick("date"), subject: pick("subject"), to: pick("to"), cc: pick("cc") },
    text,
    html,
    attachments: s.original === "forward" ? attachments : [],
    encryptLocked: true,
  };
}

/** Siegel's editor takes over the webmail's (`protect`), or hands it back: the content script is told. */
export async function editorMode({ session, protect }, sender) {
  const s = await forEditor(session, sender);
  await ask(s, { op: "mode", protect: Boolean(protect) });
  return true;
}

/**
 * Protection turned off after the user confirmed it in the frame: the text goes to the webmail's editor,
 * which can read it from then on.
 */
export async function editorRelease({ session, text, html }, sender) {
  const s = await forEditor(session, sender);
  if (s.decrypted) throw new MailError("decrypted-content", "This message holds what Siegel decrypted (a quoted or reopened encrypted mail), so it stays in Siegel's editor and leaves only encrypted.");
  await autolock.activity();
  await ask(s, { op: "set-body", text: typeof text === "string" ? text : "", html: typeof html === "string" ? html : undefined });
  return true;
}

/**
 * Send, after a trusted click on the editor frame's visible Send button: the envelope is read from the
 * webmail again and must be the one the frame showed (`version`); then the content the frame holds is
 * signed and/or encrypted (lib/mail.js seal: fail closed) and handed to the page to deliver.
 */
export async function editorSend({ session, version, sign, encrypt, text, html, attachments }, sender, trusted) {
  const s = await forEditor(session, sender);
  await autolock.activity();
  const envelope = envelopeOf(await ask(s, { op: "envelope" }));
  if ((await versionOf(envelope)) !== version) {
    throw new MailError("envelope-changed", "From, the recipients or the Subject changed in the webmail just now. Nothing was sent: check them above and press Send again.");
  }
  const { sign: signing, encrypt: encrypting } = await mail.protections({ sign, encrypt });
  if (!signing && !encrypting) throw new MailError("not-protected", "Neither signing nor encryption is on, so Siegel has nothing to do: send it with the webmail's Send.");
  if (s.decrypted && !encrypting) {
    throw new MailError("decrypted-content", "This message quotes or reopens an encrypted mail, so Siegel sends it only encrypted. Nothing was sent: turn encryption on.");
  }
  const emails = [...envelope.to, ...envelope.cc, ...envelope.bcc];
  const webmail = encrypting ? await webmailAnswers(s, emails, true, trusted) : null;
  const draft = draftOf(envelope, { text, html, attachments });
  const sealed = await mail.seal(draft, { sign, encrypt, webmail, encryptRequired: Boolean(s.decrypted) }, trusted);
  await ask(s, { op: "deliver", raw: sealed.raw, envelopeTo: emails });
  return { signed: sealed.signed, encrypted: sealed.encrypted, cipher: sealed.cipher };
}

/**
 * Asks in Siegel's confirmation window (lib/confirm.js) whether to send, for an editor frame that could not
 * vouch that its Send button was seen. The envelope shown there is read here, from the webmail, at that
 * moment; the answer is `{ approved, version }`, and the editor then sends with exactly that `version`, so a
 * change of recipients while the window is open refuses the send (`editorSend`).
 */
export async function confirmSend({ session, summary }, sender, askUser) {
  const s = await forEditor(session, sender);
  const envelope = envelopeOf(await ask(s, { op: "envelope" }));
  const version = await versionOf(envelope);
  const shown = {
    from: envelope.from,
    to: [...envelope.to, ...envelope.cc, ...envelope.bcc],
    subject: envelope.subject,
    sign: Boolean(summary?.sign),
    encrypt: Boolean(summary?.encrypt),
    attachments: Array.isArray(summary?.attachments) ? summary.attachments.slice(0, 100).map((x) => line(x, 255)) : [],
    excerpt: typeof summary?.excerpt === "string" ? summary.excerpt.slice(0, 600) : "",
  };
  const approved = Boolean(await askUser(shown));
  return { approved, version };
}

/**
 * Saves the draft encrypted to the sender's own certificate (never as plaintext), through the page into
 * the webmail's Drafts folder. The protection it is written with travels inside, so that it reopens as it
 * was. Needs Siegel unlocked (the sender's identity gives the certificate).
 */
export async function editorSave({ session, sign, encrypt, text, html, attachments }, sender) {
  const s = await forEditor(session, sender);
  const envelope = envelopeOf(await ask(s, { op: "envelope" }));
  await keyring.ready();
  const identity = keyring.identityFor(mail.address(envelope.from));
  const siegel = await engine();
  const protection = [sign ? "sign" : "", encrypt || s.decrypted ? "encrypt" : "", s.decrypted ? "quoted" : ""].filter(Boolean).join(", ") || "none";
  const draft = draftOf(envelope, { text, html, attachments });
  const built = mail.build(siegel, draft, { bcc: true, extra: [["X-Siegel-Protection", protection]] });
  const sealed = await siegel.encryptMessageAsync(built, [identity.encryptionCertificate()], { cipher: "aes-256-gcm" });
  // Siegel's own: a first line with the MAC of the rest, which only this vault can make (editorLoad).
  const line = new TextEncoder().encode(`X-Siegel-Draft: v1 ${await keyring.draftMac(draftCanon(sealed))}\r\n`);
  const raw = new Uint8Array(line.length + sealed.length);
  raw.set(line, 0);
  raw.set(sealed, line.length);
  const saved = await ask(s, { op: "save", raw: toBase64(raw) });
  return { draftId: typeof saved?.draftId === "string" ? saved.draftId : null };
}

// A closed tab ends its compose sessions.
chrome.tabs.onRemoved.addListener((tabId) => {
  sessions
    .all()
    .then(async (all) => {
      for (const [id, s] of Object.entries(all)) {
        if (s.tabId !== tabId) continue;
        askedWebmail.delete(id);
        originals.delete(id);
        await put(id, null);
      }
    })
    .catch(() => {});
});
