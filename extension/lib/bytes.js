// Byte helpers: messages between extension contexts are JSON, so binary data travels as base64.

export function toBase64(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text) {
  if (typeof text !== "string") throw new TypeError("expected base64 text");
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Wipes a buffer that held secret material (best effort: JS strings cannot be wiped). */
export function wipe(u8) {
  if (u8 instanceof Uint8Array) u8.fill(0);
}

/** The SHA-256 of `bytes`, as base64 (a digest to compare or remember, not a secret). */
export async function sha256(bytes) {
  return toBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}
