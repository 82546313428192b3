// The reader: an extension page shown in a frame inside the webmail. It asks the service worker to open the
// message staged under the token in its URL (lib/reading.js: only this tab's reader, once), and shows the
// outcome, whatever it is, here and only here: who signed it and how it was protected in a banner that mail
// content cannot draw on, the content below it (text as text, HTML in a sandboxed frame with no scripts and
// no remote content, attachments as downloads), or the error. The webmail page sees the same frame of the
// same size whether the message decrypted or not, and cannot read any of it (other origin).
import { call, errorText, localize, t } from "../ui/rpc.js";
import { CHECKS, verdictOf } from "../lib/verdict.js";
import { SEEN_FOR, frameVisibility } from "../ui/visible.js";

const $ = (id) => document.getElementById(id);
localize();

function describe(layers, unopenedParts, attribution) {
  const encrypted = layers.find((l) => l.layer === "encrypted");
  const { key, signers, reason, wrappers, overCiphertext } = verdictOf(layers, attribution);
  // Every signer is named: a second signature must not hide behind the first.
  const who = signers.map((s) => s.certificate?.emails?.[0] || s.certificate?.subject || "?").join(", ") || "?";
  const parts = [];
  const texts = {
    trusted: () => t("readerTrusted", [who], `Signed by ${who}: valid and trusted.`),
    invalid: () => t("readerInvalid", undefined, "Invalid signature: the message was changed after it was signed, or the signature is damaged."),
    mismatch: () => t("readerMismatch", [who, reason], `Signed by ${who}, but not by the sender: ${reason}`),
    unknown: () => t("readerUnknown", [who], `Signed by ${who}: valid, but its revocation status is unknown.`),
    untrusted: () => t("readerUntrusted", [who, reason], `Signed by ${who}: valid, but not trusted: ${reason}`),
    unsigned: () => t("readerUnsigned", undefined, "Not signed."),
    wrapped: () => {
      const chain = (wrappers || []).join(" \u2192 ");
      return t("readerWrapped", [chain], `Not trusted: this mail wraps a signed message inside another signature (${chain}), so it cannot be attributed to any of them.`);
    },
  };
  parts.push(texts[key]());
  if (overCiphertext?.length) {
    const who = overCiphertext.join(", ");
    parts.push(t("readerOverCiphertext", [who], `${who} signed only the encrypted form, which anyone can sign without reading it.`));
  }
  if (encrypted) {
    const how = `${encrypted.cipher}${encrypted.integrityProtected ? "" : ` — ${t("readerNoIntegrity", undefined, "not integrity-protected")}`}`;
    parts.push(t("readerEncrypted", [how], `Encrypted (${how}).`));
  }
  if (unopenedParts?.length) {
    parts.push(t("readerUnopenedParts", undefined, "This mail contains signed or encrypted parts that are not the whole mail. Siegel neither verified nor decrypted them."));
  }
  return { key, text: parts.join(" ") };
}

/**
 * Mail HTML made inert before it is shown: parsed without running anything (DOMParser), then stripped of
 * what could load, navigate or submit (scripts, meta refresh, link, base, frames, objects, forms) and of
 * event handler attributes. The sandbox and the CSP of the frame block the same things again; this way a
 * single layer failing (EFAIL's meta refresh, a browser bug) does not leak the plaintext.
 */
function inert(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const dangerous = "script, meta, link, base, iframe, frame, frameset, object, embed, applet, form, portal, noscript, template";
  doc.querySelectorAll(dangerous).forEach((e) => e.remove());
  for (const el of doc.querySelectorAll("*")) {
    for (const { name, value } of [...el.attributes]) {
      // Links stay (following one is the user's choice); anything fetched on its own must be inline data.
      const link = /^href$/i.test(name) && /^(a|area)$/i.test(el.localName);
      const fetched = /^(src|srcset|href|action|formaction|background|poster|data|ping|lowsrc|dynsrc|xlink:href)$/i.test(name);
      const allowed = link ? /^(https?:|mailto:|#)/i : /^(data:|cid:)/i;
      // A mail's own target (a named frame, _top, _parent) goes: every link opens in a new tab.
      if (/^on/i.test(name) || /^(target|rel)$/i.test(name) || (fetched && !allowed.test(value.trim()))) el.removeAttribute(name);
    }
    // A new tab that knows neither who opened it (no window.opener) nor from where (no Referer).
    if (/^(a|area)$/i.test(el.localName) && el.hasAttribute("href")) {
      el.setAttribute("target", "_blank");
      el.setAttribute("rel", "noopener noreferrer");
    }
  }
  return doc.documentElement.outerHTML;
}

function details(layers) {
  const dl = document.createElement("dl");
  const add = (k, v) => {
    if (!v) return;
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = Array.isArray(v) ? v.join(", ") : v;
    dl.append(dt, dd);
  };
  for (const layer of layers) {
    if (layer.layer === "encrypted") {
      add(t("readerCipher", undefined, "Encryption"), `${layer.cipher}, ${layer.keyTransport}`);
      continue;
    }
    for (const s of layer.signers) {
      const c = s.certificate || {};
      add(t("fieldSubject", undefined, "Signer"), c.subject);
      add(t("fieldIssuer", undefined, "Issuer"), c.issuer);
      add(t("fieldSerial", undefined, "Serial number"), c.serial);
      add(t("fieldValidTo", undefined, "Valid until"), c.not_after);
      add(t("fieldEmails", undefined, "Email addresses"), c.emails);
      add(t("fieldFingerprint", undefined, "SHA-256 fingerprint"), c.sha256_fingerprint);
      add(t("readerSignedAt", undefined, "Signed at"), s.signingTime);
      add(t("readerAlgorithm", undefined, "Algorithm"), `${s.signatureAlgorithm} / ${s.digestAlgorithm}`);
      for (const check of [...CHECKS, "fromAddress"]) {
        const r = s[check];
        if (r) add(check, `${r.status}${r.reason ? `: ${r.reason}` : ""}`);
      }
      add(t("readerChain", undefined, "Chain"), (s.chainPath || []).join(" → "));
    }
  }
  return dl;
}

/**
 * Attachment types that a browser shows as passive content. Anything else (HTML, SVG, XML, scripts, ...)
 * would run in the extension's origin if opened in a tab from this frame's blob: URL, so it is only ever
 * downloaded: its blob is application/octet-stream.
 */
const PASSIVE = /^(image\/(png|jpeg|gif|webp|bmp|avif)|application\/pdf|text\/plain)$/i;

function download(a) {
  const bytes = Uint8Array.from(atob(a.data), (ch) => ch.charCodeAt(0));
  const type = PASSIVE.test(String(a.contentType || "").trim()) ? a.contentType.trim() : "application/octet-stream";
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = a.filename;
  link.type = type;
  link.rel = "noopener noreferrer";
  link.textContent = `${a.filename} (${bytes.length.toLocaleString()} bytes)`;
  return link;
}

// The reader frame as the user sees it (ui/visible.js): covered, transparent or off screen, it is not seen.
const visibility = frameVisibility();
/** How much of the reader's own height must be in view, unobscured, for it to count as seen. */
const IN_VIEW = 0.5;

/**
 * The message counts as seen while the reader frame is visible to the user (unobscured, in view) for a
 * moment: only then does the toolbar badge show its verdict, and the first time its trusted signers'
 * certificates become contacts. When it stops being visible, the badge clears until it is seen again, so a
 * reader the page hides cannot lend its verdict to what the page shows.
 */
function reportSeen(token) {
  let seen = false;
  const check = () => {
    const now = visibility.visibleFor(IN_VIEW) >= 2 * SEEN_FOR;
    if (now === seen) return;
    seen = now;
    call(now ? "readerSeen" : "readerHidden", { token }).catch(() => {});
  };
  visibility.onChange(check);
  setInterval(check, 250);
}

/** What Siegel shows when it locks: decrypted content leaves the screen with the keys. */
function dropDecrypted() {
  $("text").textContent = "";
  $("text").hidden = true;
  $("html").srcdoc = "";
  $("html").hidden = true;
  $("attachments").replaceChildren();
  $("details").replaceChildren();
  $("banner").dataset.verdict = "error";
  $("banner-text").textContent = t("readerLocked", undefined, "Siegel was locked, so this decrypted message is no longer shown. Unlock Siegel and open the message again.");
}

async function main() {
  const token = decodeURIComponent(location.hash.slice(1));
  let message;
  try {
    message = await call("readerOpen", { token, ancestor: location.ancestorOrigins?.[0] });
  } catch (e) {
    $("banner").dataset.verdict = "error";
    $("banner-text").textContent = errorText(e);
    document.body.dataset.ready = "1";
    return;
  }
  const { key, text } = describe(message.layers, message.unopenedParts, message.attribution);
  const banner = $("banner");
  banner.dataset.verdict = key;
  $("banner-text").textContent = text;
  const more = $("banner-details");
  more.hidden = false;
  $("details").append(details(message.layers));
  more.addEventListener("click", () => { $("details").hidden = !$("details").hidden; });

  if (message.html) {
    // No scripts (the sandbox allows none), no remote content (CSP); a link the user follows opens in a new
    // tab outside the sandbox, with no opener and no referrer.
    const csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";
    const frame = $("html");
    frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer"><base target="_blank">${inert(message.html)}`;
    frame.hidden = false;
  } else if (message.text !== null) {
    $("text").textContent = message.text;
    $("text").hidden = false;
  }
  for (const a of message.attachments) {
    const li = document.createElement("li");
    li.append(download(a));
    $("attachments").append(li);
  }
  reportSeen(token);
  if (message.layers.some((l) => l.layer === "encrypted")) {
    chrome.runtime.onMessage.addListener((m) => {
      if (m?.siegel === "lock-state" && !m.unlocked) dropDecrypted();
    });
  }
  document.body.dataset.ready = "1";
}

// The user's own activity in this frame keeps Siegel unlocked: trusted events, and only while the frame is
// seen (a click the page routes through a transparent reader laid over its own content is not the user
// reading mail).
let lastActivity = 0;
for (const type of ["keydown", "pointerdown", "wheel"]) {
  document.addEventListener(type, (e) => {
    if (!e.isTrusted || visibility.visibleFor(IN_VIEW) < SEEN_FOR || Date.now() - lastActivity < 20_000) return;
    lastActivity = Date.now();
    call("activity").catch(() => {});
  }, { capture: true, passive: true });
}

main();
