// Revocation data for checking recipients before encrypting (setting/policy `checkCRLOnSend`) and signers
// when reading (unless `disableCRLCheck`): the core says where each path publishes it (CRL distribution
// points, OCSP responders; only for paths that pass every other check); this worker
// fetches them (plain HTTP(S), no cookies, a timeout each) and hands the bytes back to the core, which
// verifies them. Nothing fetched is trusted as such: a CRL or OCSP response counts only when its signature
// and freshness check out in the core. What cannot be fetched leaves the status unknown, and unknown
// refuses the recipient (see mail.js).

import { fromBase64 } from "./bytes.js";

/** Milliseconds per fetch when `crlRetrievalTimeout` is 0 or unusable. */
export const DEFAULT_TIMEOUT = 10_000;
/** The most sources fetched for one message (a path of a few CAs per recipient, several recipients). */
export const MAX_SOURCES = 32;
/** The largest CRL or OCSP response read (big CAs publish CRLs of tens of megabytes). */
export const MAX_BYTES = 64 * 1024 * 1024;

async function fetchOne(source, timeoutMs) {
  const url = new URL(source.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`not an HTTP URL`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const init = { credentials: "omit", cache: "no-cache", redirect: "follow", signal: controller.signal };
    const response =
      source.kind === "ocsp"
        ? await fetch(url, { ...init, method: "POST", headers: { "Content-Type": "application/ocsp-request" }, body: fromBase64(source.requestBase64) })
        : await fetch(url, { ...init, method: "GET" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    if (Number(response.headers.get("content-length") || 0) > MAX_BYTES) throw new Error("too large");
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length === 0 || body.length > MAX_BYTES) throw new Error(body.length ? "too large" : "empty");
    return body;
  } catch (e) {
    throw new Error(controller.signal.aborted ? `no answer within ${timeoutMs} ms` : e.message || String(e));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fetches `sources` (`[{ kind: "crl"|"ocsp", url, requestBase64? }]` from the core's `revocationSources`)
 * in parallel, each within `timeoutMs` (`crlRetrievalTimeout`; 0 means the default). Returns `{ crls, ocspResponses, failed: ["URL (why)"] }`.
 */
export async function fetchAll(sources, timeoutMs) {
  const list = sources.slice(0, MAX_SOURCES);
  const timeout = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT;
  const results = await Promise.allSettled(list.map((s) => fetchOne(s, timeout)));
  const out = { crls: [], ocspResponses: [], failed: [] };
  results.forEach((r, i) => {
    if (r.status === "fulfilled") (list[i].kind === "ocsp" ? out.ocspResponses : out.crls).push(r.value);
    else out.failed.push(`${list[i].url} (${r.reason.message})`);
  });
  for (const s of sources.slice(MAX_SOURCES)) out.failed.push(`${s.url} (not fetched: more than ${MAX_SOURCES} sources)`);
  return out;
}
