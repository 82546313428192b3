// Who is asking the service worker. Each kind of caller has its own operations (background.js), and none
// of them is the webmail page: pages cannot message the extension at all (no externally_connectable).
//
// - "page": Siegel's own top-level pages, the options page and the toolbar popup. Everything privileged
//   (unlock, import, settings, trusted CAs) is theirs alone.
// - "reader", "editor": Siegel's frames inside the webmail (web-accessible with use_dynamic_url). The page
//   cannot read or script them, but it chooses when they load and may cover them, so each may ask only for
//   its own job, never for a privileged operation.
// - "confirm": the confirmation window of lib/confirm.js, a top-level window of Siegel's own.
// - "content": Siegel's content scripts in the webmail's page, which relay for the page and are treated as
//   carrying hostile input.

const FRAMES = Object.freeze({ "/reader/reader.html": "reader", "/editor/editor.html": "editor" });
const PAGES = new Set(["/options/options.html", "/popup/popup.html"]);
const CONFIRM = "/confirm/confirm.html";

/** "page", "reader", "editor", "confirm", "content", or null for anything else. */
export function senderKind(sender) {
  if (!sender || sender.id !== chrome.runtime.id || typeof sender.url !== "string") return null;
  const base = chrome.runtime.getURL("");
  if (sender.url.startsWith(base)) {
    const path = new URL(sender.url).pathname;
    if (Object.hasOwn(FRAMES, path)) return sender.tab && /^https?:/.test(sender.tab.url || "") ? FRAMES[path] : null;
    // Top-level only: the popup has no tab, the options page is its tab's main frame.
    const topLevel = sender.frameId === undefined || sender.frameId === 0;
    if (PAGES.has(path) && topLevel) return "page";
    if (path === CONFIRM && topLevel && (sender.tab?.url || "").startsWith(base)) return "confirm";
    return null;
  }
  return sender.tab && /^https?:/.test(sender.url) ? "content" : null;
}
