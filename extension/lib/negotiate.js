// Which content cipher one message is encrypted with (RFC 8551 section 2.7.1): the first cipher of the
// policy's ordered allow-list `encryptionAlgorithms` that every recipient announced in its SMIMECapabilities.
// Pure and webmail-agnostic (no chrome.*, no storage): the caller says what is known of each recipient.
//
// - `allowAlgorithmNegotiation` false: always the first configured cipher, whatever recipients announced.
// - A recipient whose capabilities are known limits the choice to what they announced: AES-GCM only when
//   every such recipient announces it, else AES-CBC (in the list's order: AES-256 first by default).
// - A recipient of whom nothing is known limits nothing: RFC 8551 section 2.7.1.3 (unknown capabilities,
//   unknown version) says a sender SHOULD then use AES-256-GCM, which S/MIME 4.0 requires of every reader.
//   Falling back to CBC for everyone unknown would give up integrity protection for all of them on a guess;
//   instead the toolbar names them, and a signed mail from them teaches Siegel what they can read.
// - The sender's own copy is no constraint: Siegel reads every cipher it writes.
// - No allowed cipher that every recipient announced: no cipher (fail closed, nothing is sent), naming the
//   recipients who announced none of the allowed ones (or, when each could be served alone but not all
//   together, every recipient whose list was known).

/** The ciphers Siegel writes, strongest first. */
export const CIPHERS = Object.freeze(["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"]);

const isGcm = (c) => c.endsWith("-gcm");

/**
 * `allowed`: the ordered allow-list (`encryptionAlgorithms`); `negotiate`: `allowAlgorithmNegotiation`;
 * `recipients`: `[{ email, capabilities }]` with `capabilities` the announced entries (names as the core
 * writes them: "aes-256-gcm", ..., other capabilities as dotted OIDs) or `null` when nothing is known.
 *
 * Returns `{ cipher, reason, first, limiting, unknown, announced }`: `cipher` null when there is none;
 * `reason` "configured" (negotiation off), "announced" (the first allowed cipher, every known recipient
 * announces it), "downgraded" (a later one, because of `limiting`), "no-common-cipher" or
 * "no-allowed-cipher"; `first` the first allowed cipher; `limiting` the recipients that ruled out better
 * ciphers (or, when there is no cipher, those to name); `unknown` the recipients of whom nothing is known;
 * `announced` maps each limiting recipient to the ciphers Siegel writes that they announced; and for
 * "downgraded", `missing`: what the limiting recipients lack ("AES-GCM" for a fall from GCM to CBC).
 */
export function chooseCipher({ allowed, negotiate, recipients }) {
  const usable = [...new Set((allowed || []).filter((c) => CIPHERS.includes(c)))];
  const first = usable[0] ?? null;
  const unknown = recipients.filter((r) => !Array.isArray(r.capabilities)).map((r) => r.email);
  const known = recipients.filter((r) => Array.isArray(r.capabilities));
  const base = { first, unknown, limiting: [], announced: {} };
  if (!first) return { ...base, cipher: null, reason: "no-allowed-cipher" };
  if (!negotiate) return { ...base, unknown: [], cipher: first, reason: "configured" };

  const reads = (r, c) => r.capabilities.includes(c);
  const announcedBy = (r) => CIPHERS.filter((c) => reads(r, c));
  const cipher = usable.find((c) => known.every((r) => reads(r, c))) ?? null;
  const describe = (list) => ({ limiting: list.map((r) => r.email), announced: Object.fromEntries(list.map((r) => [r.email, announcedBy(r)])) });
  if (cipher === null) {
    const none = known.filter((r) => !usable.some((c) => reads(r, c)));
    return { ...base, ...describe(none.length ? none : known), cipher: null, reason: "no-common-cipher" };
  }
  if (cipher === first) return { ...base, cipher, reason: "announced" };
  // Who ruled out the better ones: for a fall from GCM to CBC, those who announce no AES-GCM that is allowed.
  const betterGcm = usable.slice(0, usable.indexOf(cipher)).filter(isGcm);
  const noGcm = isGcm(first) && !isGcm(cipher) ? known.filter((r) => !betterGcm.some((c) => reads(r, c))) : [];
  const limiting = noGcm.length ? noGcm : known.filter((r) => !reads(r, first));
  return { ...base, ...describe(limiting), cipher, reason: "downgraded", missing: noGcm.length ? "AES-GCM" : cipherName(first) };
}

/** "aes-256-cbc" → "AES-256-CBC". */
export const cipherName = (c) => String(c).toUpperCase();
