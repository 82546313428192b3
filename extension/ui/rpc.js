// Talking to the service worker, and translating what it says.

/**
 * Sends `{ op, ...args }`; resolves with the result or rejects with an Error carrying `code`. The browser may
 * stop the worker while it works on a request: the channel closing before an answer is "worker-stopped".
 */
export async function call(op, args = {}) {
  let reply;
  try {
    reply = await chrome.runtime.sendMessage({ op, ...args });
  } catch {
    // "message channel closed before a response was received", "Extension context invalidated"
    throw Object.assign(new Error("Siegel's background worker stopped before it answered."), { code: "worker-stopped" });
  }
  if (!reply) throw Object.assign(new Error("Siegel's background worker did not answer."), { code: "internal" });
  // The whole error: what a refused Send names (missing, required, reasons, who, allowed) is the caller's to show.
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.result;
}

/** A localised string (chrome.i18n), or `fallback`. */
export function t(key, substitutions, fallback = "") {
  return (key && chrome.i18n.getMessage(key, substitutions)) || fallback;
}

/** A sentence for an error: the localised text for its code when there is one, else its own message. */
export function errorText(e) {
  const code = e && e.code ? String(e.code).replace(/[^A-Za-z0-9]/g, "_") : "";
  return t(code ? `error_${code}` : "", undefined, e && e.message ? e.message : String(e));
}

/** Replaces the text of every `[data-i18n]` element (and `title`) with its translation. */
export function localize(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const text = t(el.dataset.i18n);
    if (text) el.textContent = text;
  }
  document.documentElement.lang = chrome.i18n.getUILanguage();
}

/** Reads a File as base64. */
export async function fileToBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function show(el, text, kind = "error") {
  el.textContent = text;
  el.className = `message ${text ? kind : ""}`;
}
