// Siegel's service worker: all cryptography happens here, in the wasm core. Callers are told apart by
// lib/senders.js, and each kind has its own operations below: Siegel's own pages (options, popup) every
// privileged one; the reader and editor frames inside the webmail only their own job; content scripts
// (which relay for the webmail page, and whose input is hostile) only to stage a message for the reader
// and to open and close compose sessions. Replies are `{ ok, result }` or `{ ok: false, error: { code,
// message } }`. Key material never leaves this worker: no operation returns a private key, a PKCS#12 file
// or its password, and no content script ever receives plaintext of protected mail or a sealed message it
// could have asked for. The threat model is SECURITY.md.

import * as keyring from "./lib/keyring.js";
import * as autolock from "./lib/autolock.js";
import * as certstore from "./lib/certstore.js";
import * as compose from "./lib/compose.js";
import * as confirm from "./lib/confirm.js";
import * as reading from "./lib/reading.js";
import * as unlocked from "./lib/unlocked.js";
import * as vault from "./lib/vault.js";
import * as directory from "./lib/directory.js";
import { STORES } from "./lib/db.js";
import { describeError, engine } from "./lib/engine.js";
import { senderKind } from "./lib/senders.js";
import { effectiveSettings, setUserSetting } from "./lib/settings.js";
import * as webmails from "./lib/webmails.js";

unlocked.restrict();
// A worker started while Siegel was unlocked (the browser stops idle workers) opens the keys again.
keyring.restore();

/** Tells Siegel's own pages and frames that the lock state changed (readers drop decrypted content). */
function announce(state) {
  chrome.runtime.sendMessage({ siegel: "lock-state", ...state }).catch(() => {});
}
keyring.onLock((reason) => announce({ unlocked: false, reason }));

/** The trust anchors in force: the administrator's (policy) if set, else the user's collection. */
async function trustedCertificates() {
  const { settings, locked } = await effectiveSettings();
  if (locked.includes("trustedCertificates") && settings.trustedCertificates.length > 0) {
    const out = [];
    const entries = [];
    for (const item of settings.trustedCertificates) {
      try {
        const c = await certstore.readCollection(item);
        out.push(...c.certificates);
        entries.push(...c.entries);
      } catch (e) {
        console.warn("Siegel: a trustedCertificates policy entry is not a certificate collection:", describeError(e).message);
      }
    }
    return { source: "policy", certificates: out, entries };
  }
  return { source: "user", certificates: await certstore.ders(STORES.trust), entries: (await certstore.list(STORES.trust)).map((r) => r.summary) };
}

/**
 * Registers the content scripts for the webmails the settings name (policy's, else the user's, else the
 * demo's). Run at start and whenever policy or the user's settings change; `webmailsReady` is the latest run,
 * which `status` waits for, so that a page opened after the options page has its scripts.
 */
let webmailsReady = Promise.resolve({ accepted: [], refused: [] });
function registerWebmails() {
  webmailsReady = webmailsReady
    .catch(() => {})
    .then(async () => webmails.apply((await effectiveSettings()).settings.webmails))
    .catch((e) => {
      console.error("Siegel: could not register the webmail content scripts:", e && e.message);
      return { accepted: [], refused: [String(e && e.message)] };
    });
  return webmailsReady;
}
registerWebmails();
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "managed" || (area === "local" && changes.settings)) registerWebmails();
  // Policy may have changed the trusted CAs or the directories: what they gave is looked up again.
  if (area === "managed") directory.forget().catch((e) => console.warn("Siegel: could not forget directory results:", e && e.message));
});

/** Operations of Siegel's own pages (options, popup): the only privileged ones. */
const pageOps = {
  async status() {
    const { settings } = await effectiveSettings();
    const { accepted, refused } = await webmailsReady;
    const lock = await keyring.lockState();
    return {
      webmails: accepted.map(({ origin, path, adapter }) => ({ origin, path, adapter })),
      webmailErrors: refused,
      initialized: Boolean(await vault.meta()),
      unlocked: lock.unlocked,
      lockReason: lock.reason,
      identities: await keyring.list(),
      autoLockMinutes: settings.autoLockMinutes,
      version: (await engine()).version(),
    };
  },
  async unlock({ passphrase }) {
    await keyring.unlock(passphrase);
    await autolock.arm();
    announce({ unlocked: true });
    return pageOps.status();
  },
  async lock() {
    await keyring.lock("user");
    return pageOps.status();
  },
  async importIdentity({ p12, password, passphrase }) {
    const { settings } = await effectiveSettings();
    if (!settings.allowSoftCerts) {
      throw Object.assign(new Error("Your administrator does not allow importing certificates from files."), { code: "policy" });
    }
    const wasUnlocked = keyring.isUnlocked();
    const identity = await keyring.importPkcs12({ p12, password, passphrase });
    await autolock.arm();
    if (!wasUnlocked && keyring.isUnlocked()) announce({ unlocked: true });
    return identity;
  },
  async removeIdentity({ id }) {
    await keyring.remove(id);
    return pageOps.status();
  },
  async exportCertificate({ id, fingerprint }) {
    return keyring.exportCertificate(id, fingerprint);
  },
  async changePassphrase({ current, next }) {
    await keyring.changePassphrase(current, next);
    return pageOps.status();
  },
  async settings() {
    return effectiveSettings();
  },
  async setSetting({ key, value }) {
    await setUserSetting(key, value);
    if (key === "webmails") await registerWebmails();
    // Another directory may know what this one did not: what was remembered goes.
    if (key === "directoryUrl" || key === "dohResolver" || key === "certificateSources") await directory.forget();
    return effectiveSettings();
  },
  async trustList() {
    const { source, entries } = await trustedCertificates();
    return { source, entries };
  },
  async trustImport({ data }) {
    const { locked } = await effectiveSettings();
    if (locked.includes("trustedCertificates")) {
      throw Object.assign(new Error("Your administrator manages the trusted certificates."), { code: "policy" });
    }
    const imported = await certstore.importInto(STORES.trust, data);
    // What directories gave was checked against the CAs before: it is looked up (and checked) again.
    await directory.forget();
    return imported;
  },
  async trustRemove({ fingerprint }) {
    await certstore.remove(STORES.trust, fingerprint);
    await directory.forget();
    return pageOps.trustList();
  },
  async contactsList() {
    return certstore.list(STORES.contacts);
  },
  async contactsImport({ data }) {
    return certstore.importInto(STORES.contacts, data);
  },
  async contactsRemove({ fingerprint }) {
    await certstore.remove(STORES.contacts, fingerprint);
    return certstore.list(STORES.contacts);
  },
};

/**
 * What content scripts may ask, each carrying the page's hostile input: stage a message the webmail shows
 * (no key is used; lib/reading.js), say it left the screen, and open, close and poke compose sessions
 * (lib/compose.js). None returns plaintext, a signature or a sealed message, and none counts as the user's
 * activity for auto-lock.
 */
const contentOps = {
  readStage: (m, sender) => reading.stage({ raw: m.raw, hint: m.hint }, sender),
  readGone: (m, sender) => reading.gone({ token: m.token }, sender),
  composeOpen: (m, sender) => compose.open({ composeId: m.composeId, draft: m.draft, original: m.original }, sender),
  composeClose: (m, sender) => compose.close({ session: m.session }, sender),
  composeRequested: (m, sender) => compose.requested({ session: m.session, what: m.what }, sender),
};

/** The user did something in Siegel's own UI (a frame's trusted event): auto-lock starts over. */
async function activity() {
  await autolock.activity();
  return true;
}

/** What Siegel's reader frame may ask: open its message, say it has been seen, and user activity. */
const readerOps = {
  readerOpen: (m, sender) => reading.open({ token: m.token, ancestor: m.ancestor }, sender, trustedCertificates),
  readerSeen: (m, sender) => reading.seen({ token: m.token }, sender),
  readerHidden: (m, sender) => reading.hidden({ token: m.token }, sender),
  activity,
};

/** What Siegel's editor frame may ask: its compose session's operations, and user activity. */
const editorOps = {
  editorOpen: (m, sender) => compose.editorOpen({ session: m.session }, sender),
  editorEnvelope: (m, sender) => compose.editorEnvelope({ session: m.session, encrypt: Boolean(m.encrypt) }, sender, trustedCertificates),
  editorImport: (m, sender) => compose.editorImport({ session: m.session }, sender),
  editorLoad: (m, sender) => compose.editorLoad({ session: m.session }, sender, trustedCertificates),
  editorMode: (m, sender) => compose.editorMode({ session: m.session, protect: m.protect }, sender),
  editorRelease: (m, sender) => compose.editorRelease({ session: m.session, text: m.text, html: m.html }, sender),
  editorSend: (m, sender) => compose.editorSend(m, sender, trustedCertificates),
  editorSave: (m, sender) => compose.editorSave(m, sender),
  editorConfirm: (m, sender) => compose.confirmSend({ session: m.session, summary: m.summary }, sender, (shown) => confirm.ask(shown)),
  lockState: () => keyring.lockState(),
  activity,
};

/** What the confirmation window may ask: what it shows, and the user's answer. */
const confirmOps = {
  confirmSummary: (m) => confirm.summary({ id: m.id }),
  confirmAnswer: (m) => confirm.answer({ id: m.id, yes: m.yes }),
};

const OPS = { page: pageOps, content: contentOps, reader: readerOps, editor: editorOps, confirm: confirmOps };

/** An error as the caller gets it: code and message, and what a refused Send names. */
function errorReply(e) {
  return {
    ...describeError(e),
    ...(e && e.missing ? { missing: e.missing, required: Boolean(e.required), reasons: Array.isArray(e.reasons) ? e.reasons : [] } : {}),
    ...(e && e.code === "no-common-cipher" ? { who: String(e.who), allowed: String(e.allowed) } : {}),
  };
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const name = message && typeof message.op === "string" ? message.op : "";
  if (!name) return false; // not a request to the worker (a broadcast between Siegel's pages)
  const kind = senderKind(sender);
  const table = kind ? OPS[kind] : null;
  if (!table || !Object.hasOwn(table, name)) {
    sendResponse({ ok: false, error: { code: "forbidden", message: "Not allowed from this context." } });
    return false;
  }
  keyring
    .ready()
    // Using Siegel's own pages is the user's activity: auto-lock starts over (never for content scripts).
    .then(() => (kind === "page" ? autolock.activity() : undefined))
    .then(() => table[name](message, sender))
    .then((result) => sendResponse({ ok: true, result }))
    .catch((e) => sendResponse({ ok: false, error: errorReply(e) }));
  return true; // the response is sent asynchronously
});

// Load the core early, so that the first operation does not wait for it.
engine().catch((e) => console.error("Siegel: the wasm core failed to load:", describeError(e).message));
