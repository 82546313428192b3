// Certificates that are not the user's own: the trusted-CA collection (unless policy fixes it) and
// contacts (recipients' certificates, imported or collected from verified signed mail).

import * as db from "./db.js";
import { engine } from "./engine.js";
import { fromBase64, toBase64 } from "./bytes.js";

/** Reads a .pem/.der/.cer/.p7b/.p7c/.sst file: `{ format, entries, certificates }` (DER as base64). */
export async function readCollection(base64) {
  const siegel = await engine();
  const { format, entries, certificates } = siegel.readTrustCollection(fromBase64(base64));
  return { format, entries, certificates: certificates.map((c) => toBase64(c)) };
}

/** Adds a collection to `store` ("trust" or "contacts"); returns how many were added. */
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
  return { format, added: put.length, duplicates: entries.length - put.length };
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
 * notBefore..notAfter) with the latest notBefore. `null` when there is none.
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
  return candidates[0] ?? null;
}
