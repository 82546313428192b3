// Reading mail without giving the webmail an oracle. The webmail page hands Siegel a message's bytes; what
// it can observe afterwards must be the same whatever the private key says (decrypted, tampered, wrong
// key, malformed), or a script in the page could use Siegel as a CBC padding oracle on mail it cannot read.
// So reading happens in two steps:
//
// 1. `stage` (asked by the content script): no key is used. The mail's shape is read from its MIME
//    structure alone (core `messageShape`), the tab's badge is cleared, and for S/MIME the bytes wait under
//    a random token. What the content script shows then (Siegel's reader frame, or a "Not signed" note) and
//    when it shows it follow from the bytes the page already has.
// 2. `open` (asked by the reader frame, an extension page the webmail cannot read): decryption and
//    verification, whose outcome, error or not, goes to that frame only, and to the toolbar badge.
//
// Beside that, opens are rate-limited per tab, and a burst of decryption failures (how a padding-oracle or
// Bleichenbacher attack looks) locks Siegel and says why. A signer's certificate becomes a contact only
// once the reader has been seen (`seen`), not because a page made Siegel open a mail.

import * as badge from "./badge.js";
import * as keyring from "./keyring.js";
import { MailError, importSigners, open as openMail } from "./mail.js";
import { engine } from "./engine.js";
import { fromBase64, sha256 } from "./bytes.js";
import { queue } from "./serial.js";

export const LIMITS = Object.freeze({
  /** Messages a tab may have opened (decrypted or verified) within a minute. */
  opensPerMinute: 30,
  /** Decryption failures within `failureWindow` that lock Siegel. */
  failuresToLock: 5,
  failureWindow: 10 * 60_000,
  /** How long staged bytes wait for their reader frame, and how many a tab may have waiting. */
  stagedTtl: 10 * 60_000,
  stagedPerTab: 8,
  /** The largest message Siegel reads, as base64 text (64 MiB of mail). */
  maxBase64: Math.ceil((64 << 20) / 3) * 4,
});

const FAILURES = "readFailures";
const serially = queue();
const staged = new Map(); // token → { tabId, origin, raw, at }
const seenable = new Map(); // token → { tabId, signers, at }
const opens = new Map(); // tabId → [times]

function originOf(sender) {
  try {
    return new URL(sender.url).origin;
  } catch {
    return "";
  }
}

function prune(now = Date.now()) {
  for (const [token, entry] of staged) if (now - entry.at > LIMITS.stagedTtl) staged.delete(token);
  for (const [token, entry] of seenable) if (now - entry.at > LIMITS.stagedTtl) seenable.delete(token);
}

/**
 * A message the webmail shows: `{ show: "reader", token }` (S/MIME, or a plain mail holding S/MIME
 * parts: Siegel's reader frame shows it) or `{ show: "note", note: "unsigned" | "openpgp" }`. `hint` is the
 * webmail's own guess ("signed", "encrypted" or null); it can only make Siegel show its reader.
 */
export async function stage({ raw, hint }, sender, now = Date.now()) {
  if (typeof raw !== "string" || raw.length > LIMITS.maxBase64) {
    throw new MailError("too-large", "This message is too large for Siegel to read (over 64 MiB).");
  }
  const bytes = fromBase64(raw);
  const tabId = sender.tab.id;
  let shape = null;
  try {
    shape = (await engine()).messageShape(bytes);
  } catch {
    shape = null; // the reader says what is wrong with it
  }
  const token = crypto.randomUUID();
  await badge.claim(tabId, token);
  if (shape?.openpgp) return { show: "note", note: "openpgp" };
  const smimeHint = hint === "signed" || hint === "encrypted";
  if (shape && shape.kind === "plain" && shape.unopenedParts === 0 && !smimeHint) return { show: "note", note: "unsigned" };
  prune(now);
  const mine = [...staged].filter(([, e]) => e.tabId === tabId);
  for (const [old] of mine.slice(0, Math.max(0, mine.length - LIMITS.stagedPerTab + 1))) staged.delete(old);
  staged.set(token, { tabId, origin: originOf(sender), raw: bytes, at: now });
  return { show: "reader", token };
}

/** Throws when the tab has opened too many messages within the last minute. */
function limitRate(tabId, now) {
  const recent = (opens.get(tabId) || []).filter((t) => now - t < 60_000);
  if (recent.length >= LIMITS.opensPerMinute) {
    opens.set(tabId, recent);
    throw new MailError("too-many-opens", "This tab opened many messages within a minute, so Siegel waits before it opens more. Open the message again in a minute.");
  }
  recent.push(now);
  opens.set(tabId, recent);
}

/**
 * A decryption failure: a burst of them locks Siegel. A correspondent's broken mail is rare; many in a few
 * minutes is what a script probing the key looks like (each probe a tampered copy of real mail).
 */
function failed(now = Date.now()) {
  // Failures that happen together must all count: one update at a time.
  return serially(() => countFailure(now));
}

async function countFailure(now) {
  const { [FAILURES]: list = [] } = await chrome.storage.session.get(FAILURES);
  const recent = [...list.filter((t) => typeof t === "number" && now - t < LIMITS.failureWindow), now];
  if (recent.length >= LIMITS.failuresToLock) {
    await chrome.storage.session.remove(FAILURES);
    await keyring.lock("probing");
    return true;
  }
  await chrome.storage.session.set({ [FAILURES]: recent });
  return false;
}

/** The error a failed decryption shows, and whether it locked Siegel. */
export async function decryptionFailed(error) {
  // The core's errors carry their code as `name` (lib/engine.js describeError), Siegel's own as `code`.
  const code = error && (typeof error.code === "string" ? error.code : error.name);
  if (code !== "decryption-failed") return error;
  if (await failed()) {
    return new MailError(
      "probing",
      "Siegel locked itself: several messages failed to decrypt within minutes, which is how an attack on your key through the webmail looks. Unlock it again from Siegel's toolbar button. If you were not opening damaged mail, tell your administrator.",
    );
  }
  return error;
}

/**
 * Opens a staged message for its reader frame: the token must be this tab's, the frame's parent the page
 * that staged it, and each token opens once. Returns what the reader shows; any error is the reader's to
 * show. `ancestor`: the reader's parent origin (location.ancestorOrigins[0]).
 */
export async function open({ token, ancestor }, sender, trusted, now = Date.now()) {
  prune(now);
  const entry = staged.get(String(token));
  if (!entry || entry.tabId !== sender.tab.id || (typeof ancestor === "string" && ancestor !== entry.origin)) {
    throw new MailError("expired-message", "This message is no longer open; open it again in your webmail.");
  }
  staged.delete(String(token));
  limitRate(entry.tabId, now);
  await keyring.ready();
  let opened;
  try {
    opened = await openMail(entry.raw, trusted);
  } catch (e) {
    throw await decryptionFailed(e);
  }
  seenable.set(String(token), { tabId: entry.tabId, signers: opened.trustedSigners, verdict: opened.summary.shown, imported: false, at: now });
  if (opened.summary.encrypted) await remember(entry.tabId, entry.raw, now);
  return opened.view;
}

/**
 * The reader of `token` is seen (fully visible for a moment, ui/visible.js): the badge shows its verdict,
 * and the first time its trusted signers' certificates become contacts.
 */
export async function seen({ token }, sender) {
  const entry = seenable.get(String(token));
  if (!entry || entry.tabId !== sender.tab.id) return false;
  await badge.show(entry.tabId, String(token), entry.verdict);
  if (!entry.imported) {
    entry.imported = true;
    await importSigners(entry.signers);
  }
  return true;
}

/** The reader of `token` is no longer seen: its verdict leaves the badge until it is seen again. */
export async function hidden({ token }, sender) {
  const entry = seenable.get(String(token));
  if (!entry || entry.tabId !== sender.tab.id) return false;
  await badge.hide(entry.tabId, String(token));
  return true;
}

// ---- which encrypted mail the user read, so that a reply quotes only that ----

const READ = "readDigests";
const READ_TTL = 30 * 60_000;

/** Remembers that the reader in `tabId` decrypted `bytes` (their digest, for half an hour). */
function remember(tabId, bytes, now) {
  return serially(async () => {
    const digest = await sha256(bytes);
    const { [READ]: list = [] } = await chrome.storage.session.get(READ);
    const kept = list.filter((r) => now - r.at < READ_TTL && !(r.tabId === tabId && r.digest === digest)).slice(-49);
    await chrome.storage.session.set({ [READ]: [...kept, { tabId, digest, at: now }] });
  });
}

/**
 * Whether the reader in `tabId` decrypted exactly `bytes` within the last half hour: a reply or forward
 * quotes an encrypted mail only then, so that the page cannot pick which secret mail Siegel decrypts into
 * the editor.
 */
export async function recentlyRead(tabId, bytes, now = Date.now()) {
  const digest = await sha256(bytes);
  const { [READ]: list = [] } = await chrome.storage.session.get(READ);
  return list.some((r) => r.tabId === tabId && r.digest === digest && now - r.at < READ_TTL);
}

/** The message of `token` left the screen (its frame is gone): its badge goes. */
export async function gone({ token }, sender) {
  staged.delete(String(token));
  seenable.delete(String(token));
  await badge.release(sender.tab.id, String(token));
}

// Locking drops every message waiting for its reader, every signer waiting to be seen, and what was read.
keyring.onLock(async () => {
  staged.clear();
  seenable.clear();
  await chrome.storage.session.remove(READ);
});
