// Settings: the defaults, the user's choices (chrome.storage.local) and the administrator's managed policy
// (chrome.storage.managed, described by ../schema.json). Policy wins over the user; every key that policy
// sets is locked, and the options page shows it as such.

export const DEFAULTS = Object.freeze({
  alwaysSign: false,
  alwaysEncrypt: false,
  allowUserChoiceOfSigningCertificate: true,
  clearSign: true,
  tripleWrapSignedEncryptedMail: false,
  encryptionAlgorithms: ["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"],
  signingAlgorithms: ["rsa-sha256", "rsa-sha384", "rsa-sha512", "rsa-pss-sha256", "rsa-pss-sha384", "rsa-pss-sha512"],
  allowAlgorithmNegotiation: true,
  includeCertificateChain: "withoutRoot",
  includeSMIMECapabilities: true,
  checkCRLOnSend: false,
  disableCRLCheck: false,
  crlRetrievalTimeout: 10000,
  trustedCertificates: [],
  allowSoftCerts: true,
  senderCertificateAttributesToDisplay: ["subject", "issuer", "emails", "notAfter"],
  // Finding recipients' certificates (lib/directory.js): the HTTPS directory's URL template, the DNS-over-
  // HTTPS resolver for DANE SMIMEA, which sources are on and in which order, and the time each may take.
  directoryUrl: "",
  dohResolver: "",
  certificateSources: ["webmail", "https", "dns"],
  directoryTimeout: 10000,
  // Where Siegel runs: "ORIGIN ADAPTER" entries (lib/webmails.js). The default is the demo webmail on this machine.
  webmails: ["http://127.0.0.1:* siegel-demo", "http://localhost:* siegel-demo"],
  autoLockMinutes: 15,
});

/** Keys a user may change in the options page (the rest are policy-only). */
export const USER_KEYS = Object.freeze([
  "alwaysSign", "alwaysEncrypt", "clearSign", "encryptionAlgorithms", "signingAlgorithms",
  "includeCertificateChain", "checkCRLOnSend", "disableCRLCheck", "autoLockMinutes", "webmails",
  "directoryUrl", "dohResolver",
]);

function validValue(key, value) {
  const def = DEFAULTS[key];
  if (def === undefined) return false;
  if (Array.isArray(def)) return Array.isArray(value) && value.every((v) => typeof v === "string");
  return typeof value === typeof def;
}

/** Keeps only known keys with values of the right type (managed storage and user input are untrusted). */
export function sanitize(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) if (validValue(k, v)) out[k] = v;
  return out;
}

async function managed() {
  try {
    return sanitize(await chrome.storage.managed.get(null));
  } catch {
    return {}; // no policy on this machine, or storage.managed unavailable
  }
}

/** The effective settings and the keys policy locks: `{ settings, locked: string[], policy }`. */
export async function effectiveSettings() {
  const { settings: user = {} } = await chrome.storage.local.get("settings");
  const policy = await managed();
  const settings = { ...DEFAULTS, ...sanitize(user), ...policy };
  return { settings, locked: Object.keys(policy), policy };
}

/** Stores the user's choice for `key`; refused for keys policy locks or users may not set. */
export async function setUserSetting(key, value) {
  if (!USER_KEYS.includes(key)) throw new Error(`"${key}" is not a user setting`);
  if (!validValue(key, value)) throw new Error(`invalid value for "${key}"`);
  const { locked } = await effectiveSettings();
  if (locked.includes(key)) throw new Error(`"${key}" is set by your administrator`);
  const { settings: user = {} } = await chrome.storage.local.get("settings");
  await chrome.storage.local.set({ settings: { ...user, [key]: value } });
}
