// The vault: private material encrypted at rest with a key derived from the user's passphrase
// (PBKDF2-SHA-256, 600 000 iterations, AES-256-GCM). The derived key is used as a non-extractable
// CryptoKey; its raw bytes are handed out once, when it is derived, so that the unlocked state can outlive
// the service worker being stopped (lib/unlocked.js keeps them in chrome.storage.session).

import * as db from "./db.js";
import { fromBase64, toBase64 } from "./bytes.js";

export const ITERATIONS = 600_000;
export const MIN_PASSPHRASE = 8;
const CHECK = "siegel-vault-v1";
const enc = new TextEncoder();
const dec = new TextDecoder();

export class VaultError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The 32 key bytes PBKDF2-SHA-256 derives (the same bytes deriveKey to AES-256-GCM gives). */
async function deriveRaw(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, 256));
}

/** The vault key for its raw bytes: a non-extractable AES-256-GCM key. */
export function keyFromRaw(raw) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/**
 * The key that authenticates Siegel's own drafts (HMAC-SHA-256), derived from the vault key's bytes with
 * HKDF: a draft Siegel saved carries its MAC, so that a draft the webmail forges (any bytes it hands over
 * as "the draft") is never taken for the user's own (lib/compose.js). A passphrase change makes a new one;
 * drafts saved before then reopen as not Siegel's (their text, with the default protection).
 */
export async function draftKeyFromRaw(raw) {
  const material = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: enc.encode("siegel-draft-mac-v1") },
    material,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

/** `{ key, raw }`: the derived key, and its bytes for lib/unlocked.js. */
async function derive(passphrase, salt, iterations) {
  const raw = await deriveRaw(passphrase, salt, iterations);
  return { key: await keyFromRaw(raw), raw };
}

/** Encrypts a JSON value; `context` is bound as additional data so that boxes cannot be swapped. */
export async function seal(key, value, context) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: enc.encode(context) },
    key,
    enc.encode(JSON.stringify(value)),
  );
  return { iv: toBase64(iv), data: toBase64(new Uint8Array(data)) };
}

export async function unseal(key, box, context) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(box.iv), additionalData: enc.encode(context) },
    key,
    fromBase64(box.data),
  );
  return JSON.parse(dec.decode(plain));
}

export async function meta() {
  return db.get(db.STORES.meta, "vault");
}

function checkPassphrase(passphrase) {
  if (typeof passphrase !== "string" || [...passphrase].length < MIN_PASSPHRASE) {
    throw new VaultError("weak-passphrase", `The passphrase must have at least ${MIN_PASSPHRASE} characters.`);
  }
}

async function fresh(passphrase) {
  checkPassphrase(passphrase);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const { key, raw } = await derive(passphrase, salt, ITERATIONS);
  const record = { salt: toBase64(salt), iterations: ITERATIONS, kdf: "PBKDF2-SHA-256", check: await seal(key, CHECK, "check") };
  return { key, raw, record };
}

/** Creates the vault; refuses when one exists. Returns the unlocked `{ key, raw }`. */
export async function create(passphrase) {
  if (await meta()) throw new VaultError("vault-exists", "A passphrase is already set.");
  const { key, raw, record } = await fresh(passphrase);
  await db.write(db.STORES.meta, { put: [{ ...record, createdAt: Date.now() }], key: "vault" });
  return { key, raw };
}

/** Whether `key` opens this vault (its check value decrypts). */
export async function opens(key) {
  const m = await meta();
  if (!m) return false;
  try {
    return (await unseal(key, m.check, "check")) === CHECK;
  } catch {
    return false;
  }
}

/** Derives the key from the passphrase and checks it. Returns `{ key, raw }`. */
export async function unlock(passphrase) {
  const m = await meta();
  if (!m) throw new VaultError("no-vault", "No identity has been imported yet.");
  const derived = await derive(String(passphrase ?? ""), fromBase64(m.salt), m.iterations);
  if (!(await opens(derived.key))) throw new VaultError("wrong-passphrase", "The passphrase is wrong.");
  return derived;
}

/** Re-encrypts every identity's secrets under a new passphrase, atomically. Returns the new `{ key, raw }`. */
export async function changePassphrase(current, next) {
  const { key: oldKey } = await unlock(current);
  const { key, raw, record } = await fresh(next);
  const identities = await db.all(db.STORES.identities);
  const resealed = [];
  for (const id of identities) {
    const secrets = [];
    for (const box of id.secrets) secrets.push(await seal(key, await unseal(oldKey, box, `identity:${id.id}`), `identity:${id.id}`));
    resealed.push({ ...id, secrets });
  }
  const old = await meta();
  await db.writeAll([
    { store: db.STORES.meta, put: [{ ...record, createdAt: old.createdAt, changedAt: Date.now() }], key: "vault" },
    { store: db.STORES.identities, put: resealed },
  ]);
  return { key, raw };
}
