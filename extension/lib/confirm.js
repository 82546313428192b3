// Asking the user in a window of Siegel's own. When the browser cannot confirm that Siegel's editor frame
// was fully visible at the click on Send (ui/visible.js: the page made it transparent, covered it, or the
// webmail's layout hides part of it), the editor asks here instead: a popup window of the extension, which
// no web page can cover, frame or script, shows what would be sent and to whom, and only its own Send
// button (enabled after a moment, so that a click meant for something else cannot land on it) says yes.
// Closing the window says no.

const pending = new Map(); // id → { resolve, windowId, summary }

/**
 * Opens the window for `summary` (lib/compose.js confirmSend: the envelope as read from the webmail, and
 * the editor's protection, attachment names and an excerpt, bounded there); resolves with true (send) or
 * false.
 */
export async function ask(summary) {
  const id = crypto.randomUUID();
  const win = await chrome.windows.create({ url: chrome.runtime.getURL(`confirm/confirm.html#${id}`), type: "popup", width: 560, height: 520, focused: true });
  return new Promise((resolve) => pending.set(id, { resolve, windowId: win.id, summary }));
}

/** What the confirmation window shows. */
export function summary({ id }) {
  const entry = pending.get(String(id));
  if (!entry) throw Object.assign(new Error("Nothing is waiting for your confirmation."), { code: "expired" });
  return entry.summary;
}

/** The user's answer; the window closes. */
export async function answer({ id, yes }) {
  const entry = pending.get(String(id));
  if (!entry) return false;
  pending.delete(String(id));
  entry.resolve(Boolean(yes));
  await chrome.windows.remove(entry.windowId).catch(() => {});
  return true;
}

chrome.windows.onRemoved.addListener((windowId) => {
  for (const [id, entry] of pending) {
    if (entry.windowId !== windowId) continue;
    pending.delete(id);
    entry.resolve(false);
  }
});
