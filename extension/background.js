// Siegel's service worker: all cryptography happens here, in the wasm core. Extension pages (options,
// popup) talk to it with chrome.runtime messages `{ op, ...args }` and get `{ ok, result }` or
// `{ ok: false, error: { code, message } }`. Key material never leaves this worker: no operation returns
// a private key, a PKCS#12 file or its password, and content scripts (web pages) may not call the
// operations below at all.

import * as keyring from "./lib/keyring.js";
import * as certstore from "./lib/certstore.js";
import * as vault from "./lib/vault.js";
import * as mail from "./lib/mail.js";
import * as directory from "./lib/directory.js";
import { STORES } from "./lib/db.js";
import { describeError, engine } from "./lib/engine.js";
import { effectiveSettings, setUserSetting } from "./lib/settings.js";
import * as webmails from "./lib/webmails.js";

const AUTOLOCK = "siegel-autolock";

/** True for messages from this extension's own pages (not content scripts, not other extensions). */
function fromExtensionPage(sender) {
  return sender.id === chrome.runtime.id && typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));
}

async function touch() {
  if (!keyring.isUnlocked()) return;
  const { settings } = await effectiveSettings();
  await chrome.alarms.create(AUTOLOCK, { delayInMinutes: Math.max(1, settings.autoLockMinutes) });
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === AUTOLOCK) keyring.lock();
});

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

const ops = {
  async status() {
    const { settings } = await effectiveSettings();
    const { accepted, refused } = await webmailsReady;
    return {
      webmails: accepted.map(({ origin, path, adapter }) => ({ origin, path, adapter })),
      webmailErrors: refused,
      initialized: Boolean(await vault.meta()),
      unlocked: keyring.isUnlocked(),
      identities: await keyring.list(),
      autoLockMinutes: settings.autoLockMinutes,
      version: (await engine()).version(),
    };
  },
  async unlock({ passphrase }) {
    await keyring.unlock(passphrase);
    await touch();
    return ops.status();
  },
  async lock() {
    keyring.lock();
    await chrome.alarms.clear(AUTOLOCK);
    return ops.status();
  },
  async importIdentity({ p12, password, passphrase }) {
    const { settings } = await effectiveSettings();
    if (!settings.allowSoftCerts) {
      throw Object.assign(new Error("Your administrator does not allow importing certificates from files."), { code: "policy" });
    }
    const identity = await keyring.importPkcs12({ p12, password, passphrase });
    await touch();
    return identity;
  },
  async removeIdentity({ id }) {
    await keyring.remove(id);
    return ops.status();
  },
  async exportCertificate({ id, fingerprint }) {
    return keyring.exportCertificate(id, fingerprint);
  },
  async changePassphrase({ current, next }) {
    await keyring.changePassphrase(current, next);
    return ops.status();
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
    return ops.trustList();
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
  /** The reader page (an extension page, in a frame inside the webmail) fetches an opened message. */
  async readerResult({ token }) {
    return mail.take(String(token));
  },
};

/**
 * What content scripts (webmail adapters) may ask: the compose defaults, sealing a draft into S/MIME, and
 * opening a raw message into a token that only the extension's reader page can redeem. None returns a key;
 * `open` returns no plaintext.
 */
/**
 * What a content script passes on from the webmail's address book, reduced to its shape: `{ [email]:
 * { certificates: [base64, at most 64] } | { error } }`. Nothing in it is trusted (lib/directory.js checks
 * every certificate against the trusted CAs); this only keeps its size and types in bounds.
 */
function webmailAnswers(value) {
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

const contentOps = {
  async composeState({ from }) {
    const { settings, locked } = await effectiveSettings();
    let hasIdentity = false;
    if (keyring.isUnlocked()) {
      try {
        keyring.identityFor(mail.address(from));
        hasIdentity = true;
      } catch {
        hasIdentity = false;
      }
    }
    return {
      unlocked: keyring.isUnlocked(),
      hasIdentity,
      sign: settings.alwaysSign,
      encrypt: settings.alwaysEncrypt,
      signLocked: locked.includes("alwaysSign") && settings.alwaysSign,
      encryptLocked: locked.includes("alwaysEncrypt") && settings.alwaysEncrypt,
    };
  },
  /** The cipher a draft to these recipients would be encrypted with (lib/negotiate.js), for the toolbar. */
  async cipherPreview({ to, cc, bcc }) {
    const list = (v) => (Array.isArray(v) ? v.map(String) : []);
    return mail.cipherPreview({ to: list(to), cc: list(cc), bcc: list(bcc) }, trustedCertificates);
  },
  /** Recipients with no certificate yet (lib/mail.js `lacking`): whom to ask the webmail's address book about. */
  async lackingCertificates({ emails }) {
    return mail.lacking(Array.isArray(emails) ? emails.map(String) : [], trustedCertificates);
  },
  /** Where each recipient's certificate comes from, after looking up those without one (lib/directory.js). */
  async findCertificates({ emails, webmail }) {
    return mail.findCertificates(Array.isArray(emails) ? emails.map(String) : [], { webmail: webmailAnswers(webmail) }, trustedCertificates);
  },
  async seal({ draft, sign, encrypt, webmail }) {
    const sealed = await mail.seal(draft, { sign, encrypt, webmail: webmailAnswers(webmail) }, trustedCertificates);
    await touch();
    return sealed;
  },
  async open({ raw }, sender) {
    const opened = await mail.open(raw, trustedCertificates);
    await touch();
    await showVerdict(sender.tab?.id, opened.summary);
    return opened;
  },
};

const BADGES = {
  trusted: ["\u2713", "#1e7b34"],
  invalid: ["\u2717", "#b3261e"],
  mismatch: ["!", "#b3261e"],
  wrapped: ["!", "#b3261e"],
  untrusted: ["?", "#8a5a00"],
  unknown: ["?", "#8a5a00"],
  unsigned: ["", "#777777"],
};

/**
 * The toolbar badge of the tab says what the mail open in it amounts to. The badge is browser chrome:
 * neither the webmail nor mail content can draw it, so unsigned HTML imitating Siegel's banner cannot
 * imitate the badge too.
 */
async function showVerdict(tabId, summary) {
  if (tabId === undefined) return;
  const [text, color] = BADGES[summary.shown] || BADGES.unsigned;
  await chrome.action.setBadgeText({ tabId, text });
  await chrome.action.setBadgeBackgroundColor({ tabId, color });
}

/** True for a content script of this extension running in a web page's tab. */
function fromContentScript(sender) {
  return sender.id === chrome.runtime.id && Boolean(sender.tab) && typeof sender.url === "string" && /^https?:/.test(sender.url);
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const name = message && typeof message.op === "string" ? message.op : "";
  if (Object.hasOwn(contentOps, name) && fromContentScript(sender)) {
    contentOps[name](message, sender)
      .then((result) => sendResponse({ ok: true, result }))
      .catch((e) => sendResponse({ ok: false, error: { ...describeError(e), ...(e && e.missing ? { missing: e.missing, required: Boolean(e.required), reasons: Array.isArray(e.reasons) ? e.reasons : [] } : {}), ...(e && e.code === "no-common-cipher" ? { who: String(e.who), allowed: String(e.allowed) } : {}) } }));
    return true;
  }
  const op = Object.hasOwn(ops, name) ? ops[name] : undefined;
  if (!op) return false;
  if (!fromExtensionPage(sender)) {
    sendResponse({ ok: false, error: { code: "forbidden", message: "Not allowed from this context." } });
    return false;
  }
  op(message)
    .then((result) => sendResponse({ ok: true, result }))
    .catch((e) => sendResponse({ ok: false, error: describeError(e) }));
  return true; // the response is sent asynchronously
});

// Load the core early, so that the first operation does not wait for it.
engine().catch((e) => console.error("Siegel: the wasm core failed to load:", describeError(e).message));
