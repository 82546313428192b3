// Certificates that are not the user's own: the trusted-CA collection (unless policy fixes it) and
// contacts (recipients' certificates, imported or collected from verified signed mail).

import * as db from "./db.js";
import * as directory from "./directory.js";
import { engine } from "./engine.js";
import { fromBase64, toBase64 } from "./bytes.js";

/** Reads a .pem/.der/.cer/.p7b/.p7c/.sst file: `{ format, entries, certificates }` (DER as base64). */
export async function readCollection(base64) {
  const siegel = await engine();
  const { format, entries, certificates } = siegel.readTrustCollection(fromBase64(base64));
  return { format, entries, certificates: certificates.map((c) => toBase64(c)) };
}

/** Adds a collection to `store` ("trust" or "contacts"); returns how many were added, and every fingerprint. */
export async function importInto(store, base64) {
  const { format, entries, certificates } = await readCollection(base64);
  const existing = new Set((await db.all(store)).map((r) => r.fingerprint));
  const put = [];
  entries.forEach((entry, i) => {
    if (!existing.has(entry.sha256_fingerprint)) {
      put.push({ fingerprint: entry.sha256_fingerprint, der: certificates[i], summary: entry, addedAt: Date.now() });
    }
  });
  if (store === db.STORES.contacts && put.some((r) => r.summary.emails.length === 0)) {
    throw Object.assign(new Error("A certificate in this file names no email address; it cannot be a contact."), { code: "no-email" });
  }
  await db.write(store, { put });
  return { format, added: put.length, duplicates: entries.length - put.length, fingerprints: entries.map((e) => e.sha256_fingerprint) };
}

export async function list(store) {
  return (await db.all(store)).map(({ der, ...rest }) => rest);
}

export async function remove(store, fingerprint) {
  await db.write(store, { remove: [fingerprint] });
}

/** DER (base64) of every certificate in `store`. */
export async function ders(store) {
  return (await db.all(store)).map((r) => r.der);
}

/**
 * The certificate to encrypt to for `email`: among the contacts naming it, the valid one (now within
 * notBefore..notAfter) with the latest notBefore; else one a directory gave and Siegel still remembers
 * (lib/directory.js, marked `fromDirectory`). `null` when there is none.
 */
export async function contactCertificate(email, now = Date.now()) {
  const want = email.toLowerCase();
  const candidates = (await db.all(db.STORES.contacts)).filter(
    (r) =>
      r.summary.emails.some((e) => e.toLowerCase() === want) &&
      Date.parse(r.summary.not_before) <= now &&
      now <= Date.parse(r.summary.not_after),
  );
  candidates.sort((a, b) => Date.parse(b.summary.not_before) - Date.parse(a.summary.not_before));
  return candidates[0] ?? (await directory.remembered(email, now));
}

/**
 * Remembers what a correspondent's client decrypts (RFC 8551 section 2.7.1), from their verified and trusted
 * signed mail: kept on the contact record of the certificate that signed, and only when that certificate is
 * the one Siegel encrypts to for one of its addresses (a mail signed with an older or another certificate
 * teaches nothing about the one in use). A list replaces the stored one only when its mail was signed later
 * (`signingTime`, RFC 3339): an old mail opened again does not undo what a newer one said. Returns whether
 * it was stored.
 */
export async function rememberCapabilities(fingerprint, capabilities, signingTime, now = Date.now()) {
  if (!capabilities || !Array.isArray(capabilities.entries)) return false;
  const record = await db.get(db.STORES.contacts, fingerprint);
  if (!record) return false;
  let current = false;
  for (const email of record.summary.emails) {
    if ((await contactCertificate(email, now))?.fingerprint === fingerprint) current = true;
  }
  if (!current) return false;
  // A signing time in the future counts as now: it must not pin a list against every later, real one.
  const signedAt = signingTime ? Math.min(Date.parse(signingTime), now) : NaN;
  const stored = record.capabilities;
  if (stored && !(Number.isFinite(signedAt) && signedAt > stored.signedAt)) return false;
  const entries = capabilities.entries.filter((e) => typeof e === "string").slice(0, 64);
  const signed = Number.isFinite(signedAt) ? signedAt : 0;
  await db.write(db.STORES.contacts, { put: [{ ...record, capabilities: { entries, signedAt: signed, learnedAt: now } }] });
  return true;
}

/**
 * What is known of what the holder of a contact certificate decrypts: the list from their latest verified
 * signed mail, else the certificate's own smimeCapabilities extension (RFC 4262), else `null`.
 */
export function capabilitiesOf(record) {
  if (Array.isArray(record?.capabilities?.entries)) return record.capabilities.entries;
  if (Array.isArray(record?.summary?.smime_capabilities?.entries)) return record.summary.smime_capabilities.entries;
  return null;
}
