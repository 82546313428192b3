// Finding recipients' certificates without an import: in the webmail's address book (LDAP, asked by the
// webmail's server: the content script passes what the page's plugin answered), in an HTTPS directory
// (`directoryUrl`, a URL template; protocol in www/DIRECTORY.md) and in DNS (DANE SMIMEA, RFC 8162, asked of
// the DNS-over-HTTPS resolver `dohResolver`, RFC 8484). Policy `certificateSources` says which are on and
// in which order; the first source that gives a usable certificate wins.
//
// No source is trusted: every answer goes through the core's `directoryCertificate`, which keeps only a
// certificate that names the address and whose path validates for email encryption against the trusted CAs
// (validity, key usage, emailProtection), and says why each other one was left out. Revocation is checked
// when sending, as for any contact (`checkCRLOnSend`), and every found certificate is validated again at
// Send against the CAs then in force, with the CA certificates the source gave. Without trusted CAs nothing
// found can be used, not even what was remembered.
//
// Results are remembered in the `directory` store: a certificate until it expires or for a day, whichever
// is sooner (DNS: its TTL if shorter, but at least a minute); "none found" for 15 minutes. A source that fails (timeout, HTTP
// error, garbage, too big) is remembered for 15 minutes too, so that typing does not hammer it; a lookup at
// Send always asks again for a recipient that still has nothing.

import * as db from "./db.js";
import { fromBase64, toBase64 } from "./bytes.js";

/** Largest answer read from any source (the core refuses more, too). */
export const MAX_BYTES = 1 << 20;
/** Most recipients looked up at once. */
export const MAX_LOOKUPS = 50;
/** How long a found certificate is remembered at most, and how long "nothing found" is. */
export const FOUND_TTL = 24 * 3600 * 1000;
export const NONE_TTL = 15 * 60 * 1000;
export const SOURCES = Object.freeze(["webmail", "https", "dns"]);
const DEFAULT_TIMEOUT = 10_000;

/** PEM blocks of base64 DER certificates (what the core reads as one answer). */
function pem(ders) {
  return new TextEncoder().encode(
    ders.map((b64) => `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`).join(""),
  );
}

/** Least time a found certificate is remembered, whatever a DNS TTL says: long enough for the Send that asked. */
export const MIN_TTL = 60 * 1000;

/**
 * A source's URL, parsed: HTTPS, or plain HTTP to this machine only (a test server, a local proxy). Who
 * the user writes to is nobody else's business on the way, and a resolver's DNSSEC verdict means nothing
 * over a path anyone can rewrite.
 */
export function sourceUrl(text, what) {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${what} ${text} is not a URL`);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === "https:" || (url.protocol === "http:" && loopback)) return url;
  throw new Error(`${what} ${text} is not HTTPS`);
}

/** Reads a response body, at most MAX_BYTES; more is an error (a directory has no reason to send so much). */
async function readCapped(response) {
  const declared = Number(response.headers.get("content-length") || 0);
  if (declared > MAX_BYTES) throw new Error(`the answer is ${declared} bytes, more than the ${MAX_BYTES} bytes allowed`);
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BYTES) {
      reader.cancel().catch(() => {});
      throw new Error(`the answer is more than the ${MAX_BYTES} bytes allowed`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `fetch` with a timeout, no cookies, no cache; the error says which. */
async function fetchWithin(url, init, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...init, credentials: "omit", cache: "no-store", redirect: "follow", signal: controller.signal });
    return { response, body: response.ok ? await readCapped(response) : new Uint8Array() };
  } catch (e) {
    throw new Error(controller.signal.aborted ? `no answer within ${timeoutMs} ms` : e.message || String(e));
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of `template` for `email`, or an error saying what is wrong with the template. */
export function directoryUrlFor(template, email) {
  if (!template.includes("{email}")) throw new Error(`the directory URL ${template} has no {email} in it`);
  return sourceUrl(template.replaceAll("{email}", encodeURIComponent(email)), "the directory URL");
}

/**
 * One source's answer for `email`: `{ answer: Uint8Array, ttl?, dropped? }` (empty answer: nothing
 * published; `dropped`: how many of the webmail's values were no certificates and were left out, so that
 * one bad value in an address book does not hide the good ones). `spelled`: the address as the user wrote
 * it, for DNS, where the local part's case counts (RFC 8162 section 3 hashes it as it is).
 */
async function ask(source, email, settings, siegel, webmail, spelled) {
  const timeout = Number.isFinite(settings.directoryTimeout) && settings.directoryTimeout > 0 ? settings.directoryTimeout : DEFAULT_TIMEOUT;
  if (source === "webmail") {
    const found = webmail?.[email];
    if (!found) return null; // this webmail has no address book lookup, or was not asked
    if (found.error) throw new Error(String(found.error));
    const ders = [];
    let dropped = 0;
    for (const value of Array.isArray(found.certificates) ? found.certificates : []) {
      try {
        // A certificate, or a PKCS#7 certs-only (LDAP's userSMIMECertificate): each value read on its own.
        ders.push(...siegel.readTrustCollection(fromBase64(String(value))).certificates.map((c) => toBase64(c)));
      } catch {
        dropped++;
      }
    }
    return { answer: pem(ders), dropped };
  }
  if (source === "https") {
    if (!settings.directoryUrl) return null;
    const { response, body } = await fetchWithin(directoryUrlFor(settings.directoryUrl, email), { method: "GET" }, timeout);
    if (response.status === 404) return { answer: new Uint8Array() };
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { answer: body };
  }
  if (source === "dns") {
    if (!settings.dohResolver) return null;
    const url = sourceUrl(settings.dohResolver, "the DNS-over-HTTPS resolver");
    // The local part as written first (its hash is the owner name), then in lower case, which is how most
    // domains publish it; the first name with records answers.
    let dns = null;
    for (const name of [...new Set([spelled || email, email])]) {
      const query = siegel.smimeaQuery(name);
      const { response, body } = await fetchWithin(url, { method: "POST", headers: { "Content-Type": "application/dns-message", Accept: "application/dns-message" }, body: query }, timeout);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      dns = siegel.smimeaAnswer(body, name);
      if (dns.certificates.length || dns.others) break;
    }
    if (dns.certificates.length && !dns.authenticated) throw new Error("the DNS answer is not DNSSEC-validated (RFC 8162 requires it)");
    return { answer: pem(dns.certificates.map((c) => toBase64(c))), ttl: dns.ttl === null ? undefined : dns.ttl * 1000 };
  }
  return null;
}

/**
 * Looks up `emails` (no contact certificate for them; the caller checks) in the sources policy turns on,
 * in its order. `webmail`: what the webmail's address book answered (`{ [email]: { certificates: [base64] }
 * | { error } }`), if it was asked. `fresh`: ignore remembered "none found" results (at Send). `spelling`:
 * each address as the user wrote it (`{ [lower case]: as written }`), for DNS.
 * Returns `{ [email]: { status: "found", source, summary, der, chain } | { status: "none", reasons: [...] } }`
 * (`chain`: base64 DER of the CAs between the certificate and its anchor, which Send needs to validate it).
 */
export async function lookUp(emails, { settings, trusted, intermediates = [], siegel, webmail = null, fresh = false, spelling = {}, now = Date.now() }) {
  const sources = (settings.certificateSources || SOURCES).filter((s) => SOURCES.includes(s));
  const one = async (email) => {
    const kept = await db.get(db.STORES.directory, email);
    // What was found counts only while there are CAs to check it against (a change of them forgets it).
    if (kept && kept.expiresAt > now && (kept.status === "found" ? trusted.length > 0 : !fresh)) return kept;
    const reasons = [];
    let result = null;
    for (const source of sources) {
      let got;
      try {
        got = await ask(source, email, settings, siegel, webmail, spelling[email]);
      } catch (e) {
        reasons.push({ source, reason: e.message || String(e) });
        continue;
      }
      if (!got) continue;
      if (!trusted.length) {
        reasons.push({ source, reason: "no trusted CAs are set up, so no certificate found can be checked" });
        continue;
      }
      let chosen;
      try {
        chosen = siegel.directoryCertificate(got.answer, email, { trust: trusted, intermediates });
      } catch (e) {
        reasons.push({ source, reason: e.message || String(e) });
        continue;
      }
      if (chosen.certificate) {
        const notAfter = Date.parse(chosen.summary.not_after);
        const ttl = got.ttl === undefined ? FOUND_TTL : Math.max(got.ttl, MIN_TTL);
        const expiresAt = Math.min(notAfter, now + FOUND_TTL, now + ttl);
        const chain = (chosen.chain || []).map((c) => toBase64(c));
        result = { email, status: "found", source, der: toBase64(chosen.certificate), chain, summary: chosen.summary, checkedAt: now, expiresAt };
        break;
      }
      if (got.dropped) reasons.push({ source, reason: `${got.dropped} of the values it gave ${got.dropped === 1 ? "is" : "are"} no certificate` });
      if (chosen.rejected.length === 0 && !got.dropped) reasons.push({ source, reason: "no certificate published" });
      for (const r of chosen.rejected.slice(0, 4)) reasons.push({ source, reason: r.reason });
    }
    result ??= { email, status: "none", reasons, checkedAt: now, expiresAt: now + NONE_TTL };
    await db.write(db.STORES.directory, { put: [result] });
    return result;
  };
  // Recipients in parallel (one slow directory answer does not hold up the others); sources in order.
  const list = [...new Set(emails.map((e) => e.toLowerCase()))].slice(0, MAX_LOOKUPS);
  const results = await Promise.all(list.map(one));
  return Object.fromEntries(list.map((e, i) => [e, results[i]]));
}

/** The remembered, unexpired directory certificate for `email`, as a contact record, or null. */
export async function remembered(email, now = Date.now()) {
  const kept = await db.get(db.STORES.directory, email.toLowerCase());
  if (!kept || kept.status !== "found" || kept.expiresAt <= now) return null;
  return { fingerprint: kept.summary.sha256_fingerprint, der: kept.der, chain: kept.chain || [], summary: kept.summary, source: kept.source, fromDirectory: true };
}

/**
 * Forgets every remembered result: on a change of the directory settings or sources, and of the trusted
 * CAs (what was found was checked against the old ones).
 */
export async function forget() {
  const all = await db.all(db.STORES.directory);
  await db.write(db.STORES.directory, { remove: all.map((r) => r.email) });
}

