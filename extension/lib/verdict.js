// What an opened mail's signature layers amount to, for the reader's banner and the toolbar badge: one
// verdict over the innermost signature layer and every one of its signers. One signer that is not trusted
// makes the mail not trusted (a second signature must not hide behind the first), and the sender must be an
// address a signer's certificate names (the core fails the From check for misleading display names and for
// several senders too).

/** The checks of a signer that decide trust, in the order their reasons are shown. */
export const CHECKS = ["signature", "chain", "validity", "keyUsage", "emailProtection", "signingTimeCheck", "revocation"];

/** The first reason a signer is not trusted (a failed check, or a revocation status that is unknown). */
function untrustedReason(signers) {
  for (const s of signers) {
    for (const check of CHECKS) {
      const r = s[check];
      if (r && (r.status === "failed" || r.status === "unknown")) return r.reason;
    }
  }
  return "";
}

/**
 * `{ key, signers, reason }` with key one of "unsigned", "invalid", "mismatch", "trusted", "unknown",
 * "untrusted", "wrapped"; `layers` and `attribution` as the core's openMessage returns them. The core's
 * layering rules come first (README, "Attacks and defences"): a signature wrapping another signed message
 * counts for nothing ("wrapped"), and one signature over ciphertext only leaves the content unsigned
 * (`overCiphertext` names who signed the encrypted form).
 */
export function verdictOf(layers, attribution) {
  const signed = layers.filter((l) => l.layer === "signed");
  if (attribution?.rule === "wrapped") {
    return { key: "wrapped", signers: signed.flatMap((l) => l.signers), wrappers: attribution.signers };
  }
  if (attribution?.rule === "overCiphertext") return { key: "unsigned", signers: [], overCiphertext: attribution.signers };
  if (!signed.length) return { key: "unsigned", signers: [] };
  const last = signed[signed.length - 1];
  const signers = last.signers;
  if (last.verdict === "invalid" || !signers.length) return { key: "invalid", signers };
  const from = signers.map((s) => s.fromAddress).filter(Boolean);
  if (from.some((c) => c.status === "failed") && !from.some((c) => c.status === "passed")) {
    return { key: "mismatch", signers, reason: from.find((c) => c.status === "failed").reason };
  }
  if (last.verdict === "trusted") return { key: "trusted", signers };
  if (last.verdict === "unknown") return { key: "unknown", signers };
  return { key: "untrusted", signers, reason: untrustedReason(signers) };
}
