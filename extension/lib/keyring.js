// The keyring: the user's identities (each a history of PKCS#12 imports, so that old mail stays readable),
// stored with their public certificates in the clear and their private material only inside the vault.
// While unlocked, the merged wasm Identity objects and the vault key live in this service worker's memory;
// the key's bytes also wait in chrome.storage.session (lib/unlocked.js), so that a worker the browser
// stopped while Siegel was unlocked opens the identities again when it wakes (`restore`). Locking (by
// hand, after inactivity, or when Siegel suspects its keys are being probed) drops both, and tells the
// modules that keep anything decrypted (`onLock`).

import * as db from "./db.js";
import * as vault from "./vault.js";
import * as unlocked from "./unlocked.js";
import { engine } from "./engine.js";
import { fromBase64, toBase64, wipe } from "./bytes.js";

export class KeyringError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const state = { key: null, draftKey: null, identities: new Map(), emails: new Map() };
const lockListeners = new Set();
let restoring = Promise.resolve();

export function isUnlocked() {
  return state.key !== null;
}

/** Runs `listener(reason)` whenever Siegel locks (what it holds decrypted must go). */
export function onLock(listener) {
  lockListeners.add(listener);
}

function drop() {
  for (const identity of state.identities.values()) identity.free?.();
  state.identities.clear();
  state.emails.clear();
  state.key = null;
  state.draftKey = null;
}

/**
 * Locks: the identities and the key leave memory and session storage. `reason` ("user", "timeout",
 * "probing", ...) is kept for the user when Siegel locked on its own.
 */
export async function lock(reason = "user") {
  drop();
  await unlocked.clear(reason);
  for (const listener of lockListeners) {
    try {
      await listener(reason);
    } catch (e) {
      console.warn("Siegel: a lock listener failed:", e && e.message);
    }
  }
}

/**
 * A worker that starts while Siegel was unlocked opens the identities again from the key bytes kept in
 * session storage, unless the auto-lock deadline has passed. Operations wait for it (`ready`).
 */
export function restore(now = Date.now()) {
  restoring = (async () => {
    const kept = await unlocked.load();
    if (!kept || state.key) return;
    if (kept.until === null || kept.until <= now) {
      await lock("timeout");
      return;
    }
    const key = await vault.keyFromRaw(kept.raw);
    if (!(await vault.opens(key))) {
      wipe(kept.raw);
      await lock("user");
      return;
    }
    await openAll(key, kept.raw);
    wipe(kept.raw);
  })().catch(async (e) => {
    console.warn("Siegel: could not restore the unlocked state:", e && e.message);
    await lock("user").catch(() => {});
  });
  return restoring;
}

/** `{ unlocked, reason }`: whether Siegel is unlocked, and why it locked itself if it did ("probing", "timeout"). */
export async function lockState() {
  await restoring;
  if (isUnlocked()) return { unlocked: true, reason: null };
  return { unlocked: false, reason: (await unlocked.lockReason())?.reason ?? null };
}

/** Resolves once a restore under way has finished. */
export function ready() {
  return restoring;
}

function requireUnlocked() {
  if (!state.key) throw new KeyringError("locked", "Siegel is locked. Unlock it with your passphrase first.");
}

/** The public view of a stored identity (never any secret). */
export function publicView(record) {
  const { secrets, ...rest } = record;
  return { ...rest, imports: secrets.length };
}

export async function list() {
  return (await db.all(db.STORES.identities)).map(publicView).sort((a, b) => a.label.localeCompare(b.label));
}

async function openIdentity(siegel, record, key) {
  let merged = null;
  for (const box of record.secrets) {
    const { p12, password } = await vault.unseal(key, box, `identity:${record.id}`);
    const bytes = fromBase64(p12);
    const one = siegel.Identity.fromPkcs12(bytes, password);
    wipe(bytes);
    if (merged) {
      merged.merge(one);
      one.free();
    } else {
      merged = one;
    }
  }
  return merged;
}

/** Unlocks with the passphrase: derives the key, opens every identity into memory, and keeps the key's
 * bytes in session storage (armed by lib/autolock.js with its deadline). */
export async function unlock(passphrase) {
  const { key, raw } = await vault.unlock(passphrase);
  await openAll(key, raw);
  await unlocked.save(raw);
  wipe(raw);
}

async function openAll(key, raw) {
  const draftKey = await vault.draftKeyFromRaw(raw);
  const siegel = await engine();
  const opened = new Map();
  const emails = new Map();
  try {
    for (const record of await db.all(db.STORES.identities)) {
      opened.set(record.id, await openIdentity(siegel, record, key));
      emails.set(record.id, record.emails);
    }
  } catch (e) {
    for (const i of opened.values()) i.free?.();
    throw e;
  }
  drop();
  state.key = key;
  state.draftKey = draftKey;
  state.identities = opened;
  state.emails = emails;
}

function certificateRecords(identity) {
  const summaries = identity.keyCertificates();
  const ders = identity.certificatesDer();
  return summaries.map((s, i) => ({ ...s, der: toBase64(ders[i]) }));
}

function expired(summary, now = Date.now()) {
  return Date.parse(summary.not_after) < now;
}

/**
 * Imports a .p12/.pfx. A new vault is created with `passphrase` when none exists; otherwise the keyring
 * must be unlocked. A file whose emails match an existing identity joins its history. A file whose
 * certificates have all expired is accepted only into an existing identity's history (old mail), never as
 * a new identity. Nothing is stored unless every check passes.
 */
export async function importPkcs12({ p12, password, passphrase }) {
  const siegel = await engine();
  const bytes = fromBase64(p12);
  let parsed;
  try {
    parsed = siegel.Identity.fromPkcs12(bytes, String(password ?? ""));
  } finally {
    wipe(bytes);
  }
  try {
    const certificates = certificateRecords(parsed);
    const emails = parsed.emails().map((e) => e.toLowerCase());
    if (emails.length === 0) {
      throw new KeyringError("no-email", "The certificate in this file names no email address, so it cannot sign or encrypt mail.");
    }
    const records = await db.all(db.STORES.identities);
    const existing = records.find((r) => r.emails.some((e) => emails.includes(e)));
    if (!existing && certificates.every((c) => expired(c))) {
      const last = certificates.map((c) => c.not_after).sort().pop();
      throw new KeyringError(
        "expired",
        `The certificate in this file expired on ${last}. An expired certificate can only be added to an existing identity's history, to read old mail.`,
      );
    }
    if (existing && existing.certificates.some((c) => certificates.some((n) => n.sha256_fingerprint === c.sha256_fingerprint))
        && certificates.every((n) => existing.certificates.some((c) => c.sha256_fingerprint === n.sha256_fingerprint))) {
      throw new KeyringError("duplicate", `This file is already part of ${existing.label}.`);
    }

    let key = state.key;
    if (!(await vault.meta())) {
      const created = await vault.create(passphrase);
      key = created.key;
      state.key = key;
      state.draftKey = await vault.draftKeyFromRaw(created.raw);
      await unlocked.save(created.raw);
      wipe(created.raw);
    }
    if (!key) requireUnlocked();

    const id = existing ? existing.id : crypto.randomUUID();
    const secret = await vault.seal(key, { p12, password: String(password ?? "") }, `identity:${id}`);
    const record = existing
      ? {
          ...existing,
          emails: [...new Set([...existing.emails, ...emails])],
          certificates: [...existing.certificates, ...certificates.filter((n) => !existing.certificates.some((c) => c.sha256_fingerprint === n.sha256_fingerprint))],
          secrets: [...existing.secrets, secret],
          updatedAt: Date.now(),
        }
      : { id, label: emails[0], emails, certificates, secrets: [secret], createdAt: Date.now() };
    await db.write(db.STORES.identities, { put: [record] });
    state.emails.set(id, record.emails);

    const held = state.identities.get(id);
    if (held) {
      held.merge(parsed);
      parsed.free();
    } else {
      state.identities.set(id, parsed);
    }
    parsed = null;
    return publicView(record);
  } finally {
    parsed?.free();
  }
}

export async function remove(id) {
  const record = await db.get(db.STORES.identities, id);
  if (!record) throw new KeyringError("not-found", "No such identity.");
  await db.write(db.STORES.identities, { remove: [id] });
  state.identities.get(id)?.free();
  state.identities.delete(id);
  state.emails.delete(id);
}

/** The public certificate (DER, base64) of an identity: the newest by notBefore, or the one given. */
export async function exportCertificate(id, fingerprint) {
  const record = await db.get(db.STORES.identities, id);
  if (!record) throw new KeyringError("not-found", "No such identity.");
  const certs = [...record.certificates].sort((a, b) => Date.parse(b.not_before) - Date.parse(a.not_before));
  const cert = fingerprint ? certs.find((c) => c.sha256_fingerprint === fingerprint) : certs[0];
  if (!cert) throw new KeyringError("not-found", "No such certificate.");
  return { der: cert.der, filename: `${record.label}.cer` };
}

export async function changePassphrase(current, next) {
  const { key, raw } = await vault.changePassphrase(current, next);
  if (state.key) {
    state.key = key;
    state.draftKey = await vault.draftKeyFromRaw(raw);
    const kept = await unlocked.load();
    await unlocked.save(raw, kept?.until ?? null);
  }
  wipe(raw);
}

/** The unlocked identity whose certificates name `email`; throws when locked or when there is none. */
export function identityFor(email) {
  requireUnlocked();
  const want = String(email).toLowerCase();
  for (const [id, emails] of state.emails) {
    if (emails.includes(want)) return state.identities.get(id);
  }
  throw new KeyringError("no-identity", `No identity for ${email}. Import its .p12 file in Siegel's options.`);
}

/** The MAC (base64) of a draft Siegel saves (lib/vault.js draftKeyFromRaw); throws when locked. */
export async function draftMac(bytes) {
  requireUnlocked();
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", state.draftKey, bytes)));
}

/** Whether `mac` (base64) is this vault's MAC of `bytes` (compared in constant time by WebCrypto). */
export async function draftMacOk(bytes, mac) {
  requireUnlocked();
  try {
    return await crypto.subtle.verify("HMAC", state.draftKey, fromBase64(mac), bytes);
  } catch {
    return false;
  }
}

/** Every unlocked identity (to try for decryption); throws when locked. */
export function unlockedIdentities() {
  requireUnlocked();
  return [...state.identities.values()];
}
