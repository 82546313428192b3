// The reader: an extension page shown in a frame inside the webmail. It fetches the opened message from the
// service worker by the token in its URL, shows who signed it and how it was protected in a banner that mail
// content cannot draw on, and the content below it: text as text, HTML in a sandboxed frame with no scripts
// and no remote content, attachments as downloads. The webmail page cannot read any of it (other origin).
import { call, errorText, localize, t } from "../ui/rpc.js";
import { CHECKS, verdictOf } from "../lib/verdict.js";

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
      if (/^on/i.test(name) || (fetched && !allowed.test(value.trim()))) el.removeAttribute(name);
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

function download(a) {
  const bytes = Uint8Array.from(atob(a.data), (ch) => ch.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: a.contentType || "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = a.filename;
  link.textContent = `${a.filename} (${bytes.length.toLocaleString()} bytes)`;
  return link;
}

async function main() {
  const token = decodeURIComponent(location.hash.slice(1));
  let message;
  try {
    message = await call("readerResult", { token });
  } catch (e) {
    $("banner").dataset.verdict = "error";
    $("banner-text").textContent = errorText(e);
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
    // No scripts (empty sandbox), no remote content (CSP): a decrypted HTML part cannot fetch anything.
    const csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";
    const frame = $("html");
    frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_blank">${inert(message.html)}`;
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
  document.body.dataset.ready = "1";
}

main();
