// The vault: private material encrypted at rest with a key derived from the user's passphrase
// (PBKDF2-SHA-256, 600 000 iterations, AES-256-GCM). The derived key is a non-extractable CryptoKey that
// lives only in the service worker's memory while unlocked.

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

async function derive(passphrase, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
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
  const key = await derive(passphrase, salt, ITERATIONS);
  const record = { salt: toBase64(salt), iterations: ITERATIONS, kdf: "PBKDF2-SHA-256", check: await seal(key, CHECK, "check") };
  return { key, record };
}

/** Creates the vault; refuses when one exists. Returns the unlocked key. */
export async function create(passphrase) {
  if (await meta()) throw new VaultError("vault-exists", "A passphrase is already set.");
  const { key, record } = await fresh(passphrase);
  await db.write(db.STORES.meta, { put: [{ ...record, createdAt: Date.now() }], key: "vault" });
  return key;
}

/** Derives the key from the passphrase and checks it. */
export async function unlock(passphrase) {
  const m = await meta();
  if (!m) throw new VaultError("no-vault", "No identity has been imported yet.");
  const key = await derive(String(passphrase ?? ""), fromBase64(m.salt), m.iterations);
  try {
    if ((await unseal(key, m.check, "check")) !== CHECK) throw new Error();
  } catch {
    throw new VaultError("wrong-passphrase", "The passphrase is wrong.");
  }
  return key;
}

/** Re-encrypts every identity's secrets under a new passphrase, atomically. Returns the new key. */
export async function changePassphrase(current, next) {
  const oldKey = await unlock(current);
  const { key, record } = await fresh(next);
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
  return key;
}
