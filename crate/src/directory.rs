//! Recipients' certificates found in a directory: what an LDAP address book (through the webmail's server),
//! an HTTPS directory (`www/DIRECTORY.md`) or DNS (DANE SMIMEA, [`crate::dane`]) answered for one address,
//! and which of those certificates, if any, Siegel may encrypt to.
//!
//! A directory is not trusted: whatever it answers goes through the same checks as a certificate the user
//! imported. A certificate is a candidate only when it names the address looked up and its path validates
//! for email encryption (RFC 5280: a trusted CA, validity, key usage for the key's type, emailProtection;
//! revocation when the options ask for it). Among the candidates the one issued last wins. CA certificates
//! in an answer help path building and are never candidates. Every certificate left out is reported with
//! the reason, so that the user sees why a found certificate is not used.
//!
//! Limits: an answer of more than [`MAX_ANSWER_BYTES`] or with more than [`MAX_CERTIFICATES`] certificates
//! is refused whole with [`Error::LimitExceeded`] (no directory has a reason to send so much for one
//! person, and validating thousands of paths would stall the extension's worker).

use serde::Serialize;
use x509_cert::Certificate;

use crate::trust::validate::{validate, Inputs, Purpose, TrustVerdict, ValidationOptions};
use crate::verify::VerifyOptions;
use crate::{cert, Error, Result};

/// Largest answer read for one address, in bytes.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;
/// Most certificates one answer may hold (leaves and CAs together).
pub const MAX_CERTIFICATES: usize = 64;

/// What one answer gives for one address.
#[derive(Debug)]
pub struct Found {
    /// The certificate to encrypt to, if any passed every check.
    pub certificate: Option<Certificate>,
    /// The CA certificates between [`Found::certificate`] and its trust anchor (issuer first), as the path
    /// was validated: what a sender needs beside the certificate to validate it again at Send.
    pub chain: Vec<Certificate>,
    /// Every leaf certificate left out, and why.
    pub rejected: Vec<Rejected>,
}

/// A certificate of an answer that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// Its subject, as RFC 4514 text.
    pub subject: String,
    /// Its SHA-256 fingerprint (hex).
    pub sha256_fingerprint: String,
    /// Why it is not used ("it is for carol@example.com, not bob@example.com", "it expired on ...").
    pub reason: String,
}

/// Reads the certificates of an answer: DER, PEM (any number of `CERTIFICATE` and `PKCS7` blocks) or a
/// PKCS#7 certs-only SignedData, DER or BER. An empty answer is no certificate (the directory knows no
/// certificate for the address); anything else that is none of these is [`Error::Malformed`].
pub fn parse_answer(answer: &[u8]) -> Result<Vec<Certificate>> {
    if answer.len() > MAX_ANSWER_BYTES {
        return Err(Error::LimitExceeded(format!(
            "a directory answer of {} bytes (at most {MAX_ANSWER_BYTES})",
            answer.len()
        )));
    }
    if answer.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let certificates = crate::trust::store::parse_collection(answer)?.1;
    if certificates.len() > MAX_CERTIFICATES {
        return Err(Error::LimitExceeded(format!(
            "a directory answer with {} certificates (at most {MAX_CERTIFICATES})",
            certificates.len()
        )));
    }
    Ok(certificates)
}

/// Chooses among the certificates of an answer for `email` (compared without regard to case): see the
/// module documentation. `options` are the usual verification options (trusted CAs, intermediates,
/// revocation, time); the answer's CA certificates are added to the intermediates.
pub fn choose(certificates: &[Certificate], email: &str, options: &VerifyOptions) -> Found {
    let (cas, leaves): (Vec<&Certificate>, Vec<&Certificate>) = certificates.iter().partition(|c| cert::is_ca(c));
    let anchors: Vec<&Certificate> = options.trust.iter().collect();
    let intermediates: Vec<&Certificate> = options.intermediates.iter().chain(cas).collect();
    let inputs = Inputs {
        anchors: &anchors,
        intermediates: &intermediates,
        crls: &options.crls,
        ocsp_responses: &options.ocsp_responses,
    };
    let validation = ValidationOptions { purpose: Purpose::EmailEncryption, ..options.validation_options() };
    let wanted = email.trim().to_ascii_lowercase();
    let mut rejected = Vec::new();
    let mut best: Option<(&Certificate, Vec<Certificate>)> = None;
    for leaf in leaves {
        let reject = |reason: String| {
            let s = cert::Summary::of(leaf);
            Rejected { subject: s.subject.clone(), sha256_fingerprint: s.sha256_fingerprint.clone(), reason }
        };
        let emails = cert::emails(leaf);
        if !emails.iter().any(|e| e.to_ascii_lowercase() == wanted) {
            let names = if emails.is_empty() { "no email address".to_string() } else { emails.join(", ") };
            rejected.push(reject(format!("it is for {names}, not {email}")));
            continue;
        }
        let report = validate(leaf, &inputs, &validation);
        if report.verdict != TrustVerdict::Trusted {
            rejected.push(reject(report.reason().unwrap_or_else(|| "its revocation status is unknown".into())));
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| cert::validity(leaf).0 > cert::validity(b).0) {
            // The path's CAs, not its anchor (the sender has it) nor the leaf.
            let chain = report.certificates.iter().skip(1).filter(|c| !options.trust.contains(c)).cloned().collect();
            best = Some((leaf, chain));
        }
    }
    match best {
        Some((leaf, chain)) => Found { certificate: Some(leaf.clone()), chain, rejected },
        None => Found { certificate: None, chain: Vec::new(), rejected },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pki(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn options() -> VerifyOptions {
        VerifyOptions { trust: cert::parse_certificates(&pki("root.crt")).unwrap(), ..Default::default() }
    }

    #[test]
    fn the_certificate_for_the_address_is_chosen_with_the_chain_the_answer_brings() {
        // Bob's certificate and the intermediate, as a directory would send them (PEM, one after the other).
        let answer = [pki("bob.crt"), pki("intermediate.crt")].concat();
        let certs = parse_answer(&answer).unwrap();
        let found = choose(&certs, "Bob@Example.com", &options());
        let chosen = found.certificate.expect("bob's certificate");
        assert_eq!(cert::emails(&chosen), ["bob@example.com"]);
        // The intermediate the answer brought is kept for Send; the anchor, which the sender has, is not.
        assert_eq!(found.chain, cert::parse_certificates(&pki("intermediate.crt")).unwrap());
        assert!(found.rejected.is_empty(), "{:?}", found.rejected);
    }

    #[test]
    fn certificates_for_another_address_or_from_an_untrusted_ca_or_expired_are_rejected_with_reasons() {
        let answer = [pki("carol.crt"), pki("expired.crt"), pki("mallory.crt"), pki("intermediate.crt")].concat();
        let certs = parse_answer(&answer).unwrap();
        let found = choose(&certs, "bob@example.com", &options());
        assert!(found.certificate.is_none());
        assert_eq!(found.rejected.len(), 3);
        assert_eq!(found.rejected[0].reason, "it is for carol@example.com, not bob@example.com");
        // For its own address, the expired certificate is refused by path validation, with its reason.
        let found = choose(&certs, "expired@example.com", &options());
        assert!(found.certificate.is_none());
        let own = found.rejected.iter().find(|r| !r.reason.starts_with("it is for")).unwrap();
        assert!(own.reason.contains("is valid only from 2001"), "{}", own.reason);
        // Mallory's certificate names alice@example.com but chains to a root nobody trusts.
        let found = choose(&certs, "alice@example.com", &options());
        assert!(found.certificate.is_none());
        let own = found.rejected.iter().find(|r| !r.reason.starts_with("it is for")).unwrap();
        assert!(own.subject.contains("Mallory") || own.reason.contains("trusted"), "{own:?}");
    }

    #[test]
    fn of_a_current_and_an_expired_certificate_the_current_one_is_chosen() {
        let answer = [pki("bob-old.crt"), pki("bob.crt"), pki("intermediate.crt")].concat();
        let certs = parse_answer(&answer).unwrap();
        let found = choose(&certs, "bob@example.com", &options());
        assert_eq!(found.certificate.unwrap(), cert::parse_certificates(&pki("bob.crt")).unwrap().remove(0));
        assert_eq!(found.rejected.len(), 1);
        assert!(found.rejected[0].reason.contains("is valid only from 2019"), "{}", found.rejected[0].reason);
    }

    #[test]
    fn empty_garbage_huge_and_crowded_answers() {
        assert!(parse_answer(b"").unwrap().is_empty());
        assert!(parse_answer(b" \r\n").unwrap().is_empty());
        assert!(matches!(parse_answer(b"<html>Internal Server Error</html>"), Err(Error::Malformed { .. })));
        assert!(matches!(parse_answer(&vec![0x30; MAX_ANSWER_BYTES + 1]), Err(Error::LimitExceeded(_))));
        let one = pki("bob.crt");
        assert_eq!(parse_answer(&one.repeat(MAX_CERTIFICATES)).unwrap().len(), MAX_CERTIFICATES);
        let crowded = one.repeat(MAX_CERTIFICATES + 1);
        assert!(crowded.len() <= MAX_ANSWER_BYTES);
        assert!(matches!(parse_answer(&crowded), Err(Error::LimitExceeded(_))));
        // Pseudo-random bytes never panic.
        let mut bytes = crate::test_rng::bytes(0x5eed_d1ec);
        for len in 0..500 {
            let _ = parse_answer(&bytes(len));
        }
    }
}
