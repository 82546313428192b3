// Which webmail runs where: the `webmails` setting (policy, else the user's, else the defaults) maps origins to
// adapters, and the content scripts are registered for exactly those origins at run time
// (chrome.scripting.registerContentScripts), so an administrator points Siegel at the organisation's
// webmail without rebuilding it. Each entry is "ORIGIN ADAPTER", e.g. "https://mail.example.com roundcube";
// an origin may carry a port and a path prefix ("https://example.com:8443/webmail/"); without a port it is the
// scheme's default, and "host:*" means any port (the demo webmail's default entries).

/** The adapters Siegel has: their file, and whether they run in frames too (Roundcube shows mail in one). */
export const ADAPTERS = Object.freeze({
  "siegel-demo": { file: "adapters/demo-webmail.js", allFrames: false },
  roundcube: { file: "adapters/roundcube.js", allFrames: true },
});

const PREFIX = "siegel-webmail-";
/** The webmail-agnostic content scripts, in the order they build on each other (content/siegel-content.js). */
export const CONTENT_SCRIPTS = Object.freeze(["content/bridge.js", "content/contract.js", "content/reading.js", "content/compose.js", "content/siegel-content.js"]);

/**
 * Reads one entry: `{ origin, adapter, pattern }`, or `{ error }` saying what is wrong with it. The pattern is
 * the match pattern for the content script: scheme, host and port exactly (the default port written out),
 * and the path prefix.
 */
export function parseEntry(entry) {
  const parts = String(entry).trim().split(/\s+/);
  if (parts.length !== 2) return { error: `"${entry}": expected an origin and an adapter, e.g. "https://mail.example.com roundcube"` };
  const [given, adapter] = parts;
  // "host:*" (any port) is the one wildcard there is, for a webmail on a developer's machine.
  const anyPort = /^https?:\/\/[^/:]+:\*(\/|$)/.test(given);
  const origin = anyPort ? given.replace(":*", "") : given;
  if (!Object.hasOwn(ADAPTERS, adapter)) return { error: `"${entry}": unknown adapter "${adapter}" (known: ${Object.keys(ADAPTERS).join(", ")})` };
  let url;
  try {
    url = new URL(origin);
  } catch {
    return { error: `"${entry}": "${origin}" is not a URL` };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { error: `"${entry}": only http and https webmails are supported` };
  if (url.username || url.password || url.search || url.hash || /[*%]/.test(origin)) {
    return { error: `"${entry}": give the webmail's address alone, without wildcards, escapes, credentials, query or fragment` };
  }
  // One host exactly: DNS labels or an IPv4 address, or a bracketed IPv6 address; never a wildcard.
  const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  if (!new RegExp(`^(?:${label})(?:\\.${label})*$`).test(url.hostname) && !/^\[[0-9a-f:.]+\]$/.test(url.hostname)) {
    return { error: `"${entry}": "${url.hostname}" is not a host name` };
  }
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  // The port always explicit: a Chrome match pattern without one matches every port.
  const port = anyPort ? "*" : url.port || (url.protocol === "https:" ? "443" : "80");
  const pattern = `${url.protocol}//${url.hostname}:${port}${path}*`;
  if (pattern.replace(":*/", ":/").indexOf("*") !== pattern.length - (anyPort ? 2 : 1)) return { error: `"${entry}": wildcards are not allowed` };
  return { origin: anyPort ? `${url.origin}:*` : url.origin, adapter, path, pattern };
}

/** The registrations the entries call for, one per adapter, and the entries that were refused. */
export function plan(entries) {
  const byAdapter = new Map();
  const refused = [];
  const accepted = [];
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed.error) {
      refused.push(parsed.error);
      continue;
    }
    accepted.push(parsed);
    if (!byAdapter.has(parsed.adapter)) byAdapter.set(parsed.adapter, new Set());
    byAdapter.get(parsed.adapter).add(parsed.pattern);
  }
  const scripts = [...byAdapter].map(([adapter, patterns]) => ({
    id: `${PREFIX}${adapter}`,
    matches: [...patterns].sort(),
    js: [...CONTENT_SCRIPTS, ADAPTERS[adapter].file],
    runAt: "document_idle",
    allFrames: ADAPTERS[adapter].allFrames,
    persistAcrossSessions: true,
  }));
  return { scripts, accepted, refused };
}

/** The fields of a registration that matter, in a form that compares. */
function shape(s) {
  return JSON.stringify([s.id, [...(s.matches || [])].sort(), s.js || [], Boolean(s.allFrames), s.runAt || "document_idle"]);
}

/**
 * Makes the registered content scripts those of `entries`. Registrations that are already right stay as they
 * are (the worker runs this at every start, and a page loading meanwhile must not miss its script); the
 * others are removed or registered anew. Returns the plan (with what was refused).
 */
export async function apply(entries) {
  const wanted = plan(entries);
  const existing = (await chrome.scripting.getRegisteredContentScripts()).filter((s) => s.id.startsWith(PREFIX));
  const have = new Map(existing.map((s) => [s.id, shape(s)]));
  const stale = existing.filter((s) => !wanted.scripts.some((w) => shape(w) === shape(s))).map((s) => s.id);
  const fresh = wanted.scripts.filter((w) => have.get(w.id) !== shape(w));
  if (stale.length) await chrome.scripting.unregisterContentScripts({ ids: stale });
  if (fresh.length) await chrome.scripting.registerContentScripts(fresh);
  for (const error of wanted.refused) console.warn(`Siegel: webmails: ${error}`);
  return wanted;
}
