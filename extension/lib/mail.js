// Writing and reading mail in the service worker: a draft becomes signed and/or encrypted MIME, and an
// S/MIME message becomes a report plus the plaintext, handed only to Siegel's own reader frame
// (lib/reading.js) or editor frame (lib/compose.js), never to a content script or the webmail page.

import * as keyring from "./keyring.js";
import * as certstore from "./certstore.js";
import * as directory from "./directory.js";
import * as revocation from "./revocation.js";
import { engine } from "./engine.js";
import { fromBase64, toBase64 } from "./bytes.js";
import { effectiveSettings } from "./settings.js";
import { verdictOf } from "./verdict.js";
import { chooseCipher, cipherName } from "./negotiate.js";

export class MailError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    Object.assign(this, extra);
  }
}

/** The bare address of "Name <a@b>" or "a@b", as written. */
export function spelledAddress(text) {
  const m = /<([^<>]+)>\s*$/.exec(String(text));
  return (m ? m[1] : String(text)).trim();
}

/** The bare address of "Name <a@b>" or "a@b", in lower case (how Siegel keys certificates). */
export function address(text) {
  return spelledAddress(text).toLowerCase();
}

/** `{ [address]: as written }` for the addresses of `texts` (DNS lookups hash the local part as written). */
function spellings(texts) {
  return Object.fromEntries(texts.map((t) => [address(t), spelledAddress(t)]));
}

/**
 * The certificate Siegel would encrypt to for `email`, or null: a contact's, or one a directory gave
 * that is remembered, which counts only while there are trusted CAs (`trust`) to check it against.
 */
async function usableCertificate(email, trust) {
  const contact = await certstore.contactCertificate(email);
  return contact && (!contact.fromDirectory || trust.length > 0) ? contact : null;
}

const SIGNING = {
  "rsa-sha256": { digest: "sha256", scheme: "rsa-pkcs1v15" },
  "rsa-sha384": { digest: "sha384", scheme: "rsa-pkcs1v15" },
  "rsa-sha512": { digest: "sha512", scheme: "rsa-pkcs1v15" },
  "rsa-pss-sha256": { digest: "sha256", scheme: "rsa-pss" },
  "rsa-pss-sha384": { digest: "sha384", scheme: "rsa-pss" },
  "rsa-pss-sha512": { digest: "sha512", scheme: "rsa-pss" },
};
const CHAIN = { none: "none", withoutRoot: "without-root", withRoot: "with-root" };

/** Whether signing and encryption are on for a draft: the user's toggles, overridden by policy. */
export async function protections(request) {
  const { settings, locked } = await effectiveSettings();
  const sign = locked.includes("alwaysSign") ? settings.alwaysSign || Boolean(request.sign) : Boolean(request.sign);
  const encrypt = locked.includes("alwaysEncrypt") ? settings.alwaysEncrypt || Boolean(request.encrypt) : Boolean(request.encrypt);
  // Required: by policy, or because the message holds what Siegel decrypted (lib/compose.js).
  const encryptRequired = (locked.includes("alwaysEncrypt") && settings.alwaysEncrypt) || Boolean(request.encryptRequired);
  return { sign, encrypt: encrypt || Boolean(request.encryptRequired), encryptRequired, settings };
}

/**
 * The CA collection in force (policy's, else the user's), split as path validation needs it: the
 * self-signed roots are the trust anchors, the other CAs only help to build paths.
 */
export async function collection(trusted) {
  const { certificates, entries } = await trusted();
  const trust = [];
  const intermediates = [];
  certificates.forEach((b64, i) => (entries[i]?.role === "root" ? trust : intermediates).push(fromBase64(b64)));
  return { trust, intermediates };
}

/**
 * Seals a draft `{ from, to, cc, bcc, subject, text, html?, attachments: [{ filename, contentType, data }] }`
 * (attachment data as base64). Fails closed: when encryption is on and a recipient has no usable certificate,
 * nothing is produced and the error names every such recipient.
 */
export async function seal(draft, request, trusted) {
  const siegel = await engine();
  const { sign, encrypt, encryptRequired, settings } = await protections(request);
  const from = address(draft.from);
  const written = [...(draft.to || []), ...(draft.cc || []), ...(draft.bcc || [])];
  const recipients = [...new Set(written.map(address))].filter(Boolean);
  if (recipients.length === 0) throw new MailError("no-recipients", "The message has no recipients.");

  let certificates = [];
  // The CA certificates directories gave with their recipients' certificates, for validating them below.
  const chains = [];
  // The CA collection in force, read once for the lookups and the validation.
  let ca = null;
  let choice = null;
  if (encrypt) {
    // Recipients without a certificate yet are looked up in the directories policy turns on, asked afresh.
    ca = await collection(trusted);
    const lookups = await certificatesFor(written, { webmail: request.webmail, fresh: true }, settings, ca);
    const missing = [];
    const known = [];
    for (const r of recipients) {
      const contact = await usableCertificate(r, ca.trust);
      if (contact) {
        certificates.push(fromBase64(contact.der));
        for (const c of contact.chain || []) chains.push(fromBase64(c));
        known.push({ email: r, capabilities: certstore.capabilitiesOf(contact) });
      } else missing.push(r);
    }
    if (missing.length) {
      // Under a policy that forces encryption, turning it off is no way out; the content script says which,
      // and what each directory said of them.
      const reasons = missing.flatMap((r) => (lookups[r]?.reasons || []).map((x) => ({ email: r, source: x.source, reason: x.reason })));
      const why = reasons.map((x) => `${x.email}: ${x.source}: ${x.reason}`).join("; ");
      throw new MailError(
        "no-certificate",
        `No certificate for ${missing.join(", ")}. The message was not sent; import their certificates${encryptRequired ? "" : " or turn encryption off"}.${why ? ` (${why})` : ""}`,
        { missing, required: encryptRequired, reasons },
      );
    }
    choice = chooseCipher({ allowed: settings.encryptionAlgorithms, negotiate: settings.allowAlgorithmNegotiation, recipients: known });
    if (!choice.cipher) throw cipherError(choice, settings.encryptionAlgorithms);
  }
  const identity = sign || encrypt ? keyring.identityFor(from) : null;
  let validation = {};
  if (encrypt) {
    // To every recipient and to the sender, so that the Sent folder stays readable.
    certificates.push(identity.encryptionCertificate());
    // The CAs that came with the sender's own keys help to validate the sender's certificate, too.
    for (const c of identity.chainDer()) chains.push(c);
    validation = await recipientValidation(siegel, certificates, settings, ca, chains);
  }

  let mail = build(siegel, draft);
  if (sign) {
    const algorithm = SIGNING[settings.signingAlgorithms[0]] || SIGNING["rsa-sha256"];
    // The ...Async entry points do the bulk SHA-2/AES with WebCrypto (same bytes as the Rust path).
    mail = await siegel.signMessageAsync(mail, identity, {
      ...algorithm,
      chain: CHAIN[settings.includeCertificateChain] || "without-root",
      includeCapabilities: settings.includeSMIMECapabilities,
      opaque: !settings.clearSign,
    });
  }
  if (encrypt) {
    try {
      mail = await siegel.encryptMessageAsync(mail, certificates, { cipher: choice.cipher, ...validation.options });
    } catch (e) {
      // A refused recipient: also say which revocation sources could not be fetched (why a status is unknown).
      if (e && e.name === "unusable-certificate" && validation.failed?.length) {
        throw new MailError("unusable-certificate", `${e.message} (could not fetch: ${validation.failed.join(", ")})`);
      }
      throw e;
    }
  }
  return { raw: toBase64(mail), signed: sign, encrypted: encrypt, cipher: choice };
}

/**
 * The MIME message of a draft (`seal`'s shape; attachment data as base64): From, To, Cc, Subject, a Date and a
 * Message-ID in the sender's domain, then with `bcc` the Bcc field (a saved draft keeps it; a sent message
 * never carries it) and `extra` fields; empty fields are left out.
 */
export function build(siegel, draft, { bcc = false, extra = [] } = {}) {
  const list = (v) => (v || []).join(", ");
  const headers = [["From", draft.from], ["To", list(draft.to)], ["Cc", list(draft.cc)]];
  if (bcc) headers.push(["Bcc", list(draft.bcc)]);
  headers.push(["Subject", draft.subject || ""], ["Date", new Date().toUTCString()]);
  headers.push(["Message-ID", `<${crypto.randomUUID()}@${address(draft.from).split("@")[1] || "siegel"}>`], ...extra);
  return siegel.buildMessage({
    headers: headers.filter(([, v]) => v !== ""),
    text: draft.text ?? "",
    html: draft.html || undefined,
    attachments: (draft.attachments || []).map((a) => ({ filename: a.filename, contentType: a.contentType || "application/octet-stream", data: fromBase64(a.data) })),
  });
}

/** The refusal of a message no allowed cipher reaches every recipient with (code "no-common-cipher"). */
function cipherError(choice, allowed) {
  if (choice.reason === "no-allowed-cipher") {
    return new MailError("no-allowed-cipher", `None of the encryption algorithms set (${allowed.join(", ")}) is one Siegel writes. The message was not sent.`);
  }
  const who = choice.limiting.map((r) => `${r} (${choice.announced[r].map(cipherName).join(", ") || "none Siegel writes"})`).join(", ");
  const permitted = allowed.filter((c) => c.startsWith("aes-")).map(cipherName).join(", ");
  return new MailError(
    "no-common-cipher",
    `No allowed cipher (${permitted}) is one that every recipient can decrypt: ${who}. The message was not sent.`,
    { recipients: choice.limiting, who, allowed: permitted },
  );
}

/**
 * Where each of `emails` stands: `{ [email]: { status: "contact" } | { status: "found", source, summary }
 * | { status: "none", reasons: [{ source, reason }] } }`, after looking up in the directories those that
 * have no contact certificate (lib/directory.js). `webmail`: the webmail address book's answers, when the
 * content script asked it; `fresh`: ask again for those of whom nothing was found (at Send).
 */
export async function findCertificates(emails, { webmail = null, fresh = false } = {}, trusted) {
  return certificatesFor(emails, { webmail, fresh }, (await effectiveSettings()).settings, await collection(trusted));
}

/** `findCertificates` with the settings and the CA collection (`collection`) already at hand. */
async function certificatesFor(emails, { webmail, fresh }, settings, { trust, intermediates }) {
  const out = {};
  const lacking = [];
  for (const e of [...new Set(emails.map(address))].filter(Boolean)) {
    const contact = await usableCertificate(e, trust);
    if (contact?.fromDirectory) out[e] = { status: "found", source: contact.source, summary: contact.summary };
    else if (contact) out[e] = { status: "contact" };
    else lacking.push(e);
  }
  if (lacking.length) {
    const siegel = await engine();
    const spelling = spellings(emails);
    const found = await directory.lookUp(lacking, { settings, trusted: trust, intermediates, siegel, webmail, fresh, spelling });
    for (const [e, r] of Object.entries(found)) {
      out[e] = r.status === "found" ? { status: "found", source: r.source, summary: r.summary } : { status: "none", reasons: r.reasons };
    }
  }
  return out;
}

/**
 * Which of `emails` have no certificate yet, neither a contact's nor a remembered directory's, and whether
 * the webmail's address book is among the sources: whom the content script asks the webmail about.
 */
export async function lacking(emails, trusted) {
  const { settings } = await effectiveSettings();
  const { trust } = await collection(trusted);
  const out = [];
  for (const e of [...new Set(emails.map(address))].filter(Boolean).slice(0, directory.MAX_LOOKUPS)) {
    if (!(await usableCertificate(e, trust))) out.push(e);
  }
  return { emails: out, webmail: (settings.certificateSources || directory.SOURCES).includes("webmail") };
}

/**
 * The cipher a draft to `to`, `cc` and `bcc` would be encrypted with now (see lib/negotiate.js), for the
 * compose toolbar to show before Send, and `noCertificate`: the recipients without a certificate (to whom
 * nothing can be encrypted yet; sending refuses them).
 */
export async function cipherPreview({ to = [], cc = [], bcc = [] }, trusted) {
  const { settings } = await effectiveSettings();
  const { trust } = await collection(trusted);
  const recipients = [...new Set([...to, ...cc, ...bcc].map(address))].filter(Boolean);
  const known = [];
  const noCertificate = [];
  for (const r of recipients) {
    const contact = await usableCertificate(r, trust);
    if (contact) known.push({ email: r, capabilities: certstore.capabilitiesOf(contact) });
    else noCertificate.push(r);
  }
  const choice = chooseCipher({ allowed: settings.encryptionAlgorithms, negotiate: settings.allowAlgorithmNegotiation, recipients: known });
  return { ...choice, noCertificate };
}

/**
 * How `encryptMessage` validates the recipients (the sender's own certificate among them): against the CA
 * collection in force when there is one. With `checkCRLOnSend` every certificate on every recipient's path
 * must be shown not revoked by a CRL or an OCSP response fetched now from where the certificates say;
 * revoked refuses the message naming the recipient and the reason, and so does a status that stays unknown
 * (no source, unreachable, stale or badly signed data): fail closed, as the policy describes.
 * `ca`: the CA collection in force (`collection`); `chains`: CA certificates directories gave with
 * recipients' certificates and those of the sender's .p12, as extra path-building help.
 * Returns `{ options, failed }`: the validation options, and the sources that could not be fetched.
 */
async function recipientValidation(siegel, certificates, settings, ca, chains) {
  const trust = ca.trust;
  const intermediates = [...ca.intermediates, ...chains];
  if (!settings.checkCRLOnSend) return { options: trust.length ? { trust, intermediates } : {}, failed: [] };
  if (trust.length === 0) {
    throw new MailError(
      "revocation-no-trust",
      "Checking revocation before sending needs the trusted certificate authorities, and none are set. The message was not sent.",
    );
  }
  const sources = siegel.revocationSources(certificates, { trust, intermediates });
  const { crls, ocspResponses, failed } = await revocation.fetchAll(sources, settings.crlRetrievalTimeout);
  return { options: { trust, intermediates, crls, ocspResponses, checkRevocation: true, missingRevocation: "fail" }, failed };
}

function summarise(layers, unopenedParts, openpgp = false, attribution = undefined) {
  const encrypted = layers.find((l) => l.layer === "encrypted");
  const signed = layers.filter((l) => l.layer === "signed");
  return {
    encrypted: Boolean(encrypted),
    signed: signed.length > 0,
    verdict: signed.length ? signed[signed.length - 1].verdict : null,
    // The reader's verdict (see lib/verdict.js): what the toolbar badge shows.
    shown: verdictOf(layers, attribution).key,
    unopenedParts: unopenedParts.length,
    // PGP/MIME, which Siegel does not read.
    openpgp: Boolean(openpgp),
  };
}

/** Decrypts (with any unlocked identity, when the core asks for one) and verifies every layer of `raw`. */
async function openWith(siegel, raw, options) {
  try {
    return await siegel.openMessageAsync(raw, options);
  } catch (e) {
    // Encrypted: the core asks for an identity. Try each unlocked one (the key history is inside each).
    if (!e || e.name !== "invalid-argument") throw e;
    let lastError = null;
    for (const identity of keyring.unlockedIdentities()) {
      try {
        return await identity.openMessageAsync(raw, options);
      } catch (err) {
        lastError = err;
        if (!err || err.name !== "not-for-us") break;
      }
    }
    throw lastError || new MailError("not-for-us", "This message was not encrypted to any of your keys.");
  }
}

/** The revocation sources the signers' paths leave undecided (the core lists them only for otherwise trusted paths). */
function undecidedSources(layers) {
  const out = new Map();
  for (const layer of layers) {
    if (layer.layer !== "signed") continue;
    for (const s of layer.signers) for (const src of s.revocationSources || []) out.set(`${src.kind} ${src.url}`, src);
  }
  return [...out.values()];
}

/**
 * Opens a raw S/MIME message (bytes): decrypts with any unlocked identity, verifies, and returns `{ view,
 * summary, trustedSigners }`: what the reader shows (headers, text, html, attachments as base64, the
 * layers), the verdict for the toolbar badge, and the signers whose signature is valid and trusted (their
 * certificates become contacts only once the reader has been shown, lib/reading.js). Unless
 * `disableCRLCheck` is set, revocation is checked: CRLs and OCSP answers the message carries count, a
 * certificate whose CA publishes no status passes (`acceptUnpublished`), and what the signers'
 * certificates publish but nothing at hand decides is fetched (lib/revocation.js) and the message verified
 * again. What cannot be fetched leaves the verdict "revocation status unknown".
 */
export async function open(raw, trusted) {
  const siegel = await engine();
  const { settings } = await effectiveSettings();
  const checkRevocation = !settings.disableCRLCheck;
  const options = { ...(await collection(trusted)), checkRevocation, acceptUnpublished: true };
  let result = await openWith(siegel, raw, options);
  const sources = checkRevocation ? undecidedSources(result.layers) : [];
  if (sources.length) {
    const { crls, ocspResponses } = await revocation.fetchAll(sources, settings.crlRetrievalTimeout);
    if (crls.length || ocspResponses.length) result = await openWith(siegel, raw, { ...options, crls, ocspResponses });
  }
  const parsed = siegel.parseMessage(result.message);
  const unopenedParts = result.unopenedParts || [];
  return {
    view: {
      layers: result.layers,
      unopenedParts,
      attribution: result.attribution,
      headers: parsed.headers,
      text: parsed.text ?? null,
      html: parsed.html ?? null,
      attachments: parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, data: toBase64(a.data) })),
    },
    summary: summarise(result.layers, unopenedParts, result.openpgp, result.attribution),
    trustedSigners: result.trustedSigners || [],
  };
}

/**
 * Correspondents' certificates are collected from mail whose signature is valid and trusted, and with them
 * what the signer announced they can decrypt (kept only for the certificate Siegel encrypts to).
 */
export async function importSigners(signers) {
  for (const signer of signers) {
    try {
      const { fingerprints } = await certstore.importInto("contacts", toBase64(signer.certificate));
      await certstore.rememberCapabilities(fingerprints[0], signer.capabilities, signer.signingTime);
    } catch {
      // A signer certificate without an email address cannot be a contact; nothing to collect.
    }
  }
}
