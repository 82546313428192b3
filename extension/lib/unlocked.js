// What the unlocked state needs to survive the browser stopping Siegel's service worker, which it does
// about 30 seconds after the last event (the keys in wasm memory go with it): the vault key's raw bytes
// and when the unlocked state ends (`until`, the auto-lock deadline), in chrome.storage.session.
//
// Why there, and the trade-off (also in SECURITY.md): chrome.storage.session lives in the browser's
// memory, is never written to disk, and is emptied when the browser closes; at its default access
// level (TRUSTED_CONTEXTS, set again below) only the extension's own pages and worker can read it, never
// a content script or a web page. It holds JSON, not a CryptoKey, so the key's bytes sit there while
// Siegel is unlocked: an attacker who can read the browser's memory could take them (such an attacker
// can read the opened keys in the worker's wasm memory as well). A worker that wakes imports them again
// as a non-extractable key and reopens the identities; past `until`, or after locking, they are gone.

import { fromBase64, toBase64 } from "./bytes.js";

const KEY = "unlocked";
const REASON = "lockReason";

function area() {
  return chrome.storage.session;
}

/** Keeps Siegel's own contexts the only readers of session storage (the default, made explicit). */
export async function restrict() {
  try {
    await area().setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" });
  } catch {
    // Only the worker may set it; other extension pages read what it set.
  }
}

/** Remembers the vault key's bytes until `until` (ms since the epoch; null: not yet armed). */
export async function save(raw, until = null) {
  await area().set({ [KEY]: { key: toBase64(raw), until } });
  await area().remove(REASON);
}

/** Moves the deadline of a remembered unlocked state; nothing when Siegel is locked. */
export async function extend(until) {
  const { [KEY]: value } = await area().get(KEY);
  if (value) await area().set({ [KEY]: { ...value, until } });
}

/** The remembered state `{ raw, until }`, or null. */
export async function load() {
  const { [KEY]: value } = await area().get(KEY);
  if (!value || typeof value.key !== "string") return null;
  return { raw: fromBase64(value.key), until: typeof value.until === "number" ? value.until : null };
}

/** Forgets the key, and says why Siegel locked (shown in the popup, the options and the editor). */
export async function clear(reason) {
  await area().remove(KEY);
  if (reason && reason !== "user") await area().set({ [REASON]: { reason, at: Date.now() } });
  else await area().remove(REASON);
}

/** Why Siegel last locked itself (`{ reason, at }`), if it did so on its own. */
export async function lockReason() {
  const { [REASON]: value } = await area().get(REASON);
  return value || null;
}
