//! Verifying the signature on a certificate or a CRL with the issuer's public key.
//!
//! Supported: RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-1/256/384/512, ECDSA on P-256 and P-384, and DSA
//! (including DSA parameters inherited from the issuer, RFC 5280 section 6.1.4 (f)). SHA-1 is refused
//! unless the caller opts in: it is broken for collision resistance, and certificates still signed with
//! it are a risk.

use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::alg::Digest;
use crate::oids;

/// Why a signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The signature algorithm is not one Siegel implements.
    UnsupportedAlgorithm(String),
    /// SHA-1 was used and the caller did not allow it.
    Sha1NotAllowed,
    /// The issuer's key cannot be used with the signature's algorithm, or is malformed.
    BadKey(String),
    /// The signature value does not verify.
    Invalid,
}

impl core::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SignatureError::UnsupportedAlgorithm(a) => write!(f, "unsupported signature algorithm {a}"),
            SignatureError::Sha1NotAllowed => f.write_str("signed with SHA-1, which is no longer accepted"),
            SignatureError::BadKey(d) => write!(f, "the issuer's public key cannot check this signature: {d}"),
            SignatureError::Invalid => f.write_str("the signature does not verify"),
        }
    }
}

/// The digest and family of a signature algorithm identifier.
fn scheme(alg: &AlgorithmIdentifierOwned) -> Result<(Family, Digest), SignatureError> {
    let unsupported = || SignatureError::UnsupportedAlgorithm(oids::name(&alg.oid));
    Ok(match alg.oid {
        oids::SHA1_WITH_RSA => (Family::Rsa, Digest::Sha1),
        oids::SHA256_WITH_RSA => (Family::Rsa, Digest::Sha256),
        oids::SHA384_WITH_RSA => (Family::Rsa, Digest::Sha384),
        oids::SHA512_WITH_RSA => (Family::Rsa, Digest::Sha512),
        oids::RSASSA_PSS => {
            let params = alg
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .ok_or_else(|| SignatureError::BadKey("RSASSA-PSS without parameters".into()))?;
            let params = pkcs1::RsaPssParams::from_der(&params)
                .map_err(|e| SignatureError::BadKey(format!("bad RSASSA-PSS parameters: {e}")))?;
            let digest = Digest::from_oid(&params.hash.oid).map_err(|_| unsupported())?;
            (Family::Pss(params.salt_len as usize), digest)
        }
        oids::ECDSA_WITH_SHA1 => (Family::Ecdsa, Digest::Sha1),
        oids::ECDSA_WITH_SHA256 => (Family::Ecdsa, Digest::Sha256),
        oids::ECDSA_WITH_SHA384 => (Family::Ecdsa, Digest::Sha384),
        oids::ECDSA_WITH_SHA512 => (Family::Ecdsa, Digest::Sha512),
        oids::DSA_WITH_SHA1 => (Family::Dsa, Digest::Sha1),
        oids::DSA_WITH_SHA256 => (Family::Dsa, Digest::Sha256),
        _ => return Err(unsupported()),
    })
}

#[derive(Clone, Copy)]
enum Family {
    Rsa,
    Pss(usize),
    Ecdsa,
    Dsa,
}

/// Whether the key is a DSA key whose domain parameters are absent, to be inherited from its issuer
/// (RFC 5280 section 6.1.4 (f)).
pub fn needs_inherited_parameters(spki: &SubjectPublicKeyInfoOwned) -> bool {
    spki.algorithm.oid == oids::DSA && spki.algorithm.parameters.as_ref().is_none_or(|p| p.is_null())
}

/// The domain parameters of a key, when it has any (DSA: `Dss-Parms`).
pub fn parameters(spki: &SubjectPublicKeyInfoOwned) -> Option<der::Any> {
    spki.algorithm.parameters.clone().filter(|p| !p.is_null())
}

/// Verifies `signature` over `message` with `alg` and the issuer's key `spki`. `inherited` supplies DSA
/// domain parameters when the key itself has none. SHA-1 only when `allow_sha1`.
pub fn verify(
    message: &[u8],
    alg: &AlgorithmIdentifierOwned,
    signature: &[u8],
    spki: &SubjectPublicKeyInfoOwned,
    inherited: Option<&der::Any>,
    allow_sha1: bool,
) -> Result<(), SignatureError> {
    let (family, digest) = scheme(alg)?;
    if digest == Digest::Sha1 && !allow_sha1 {
        return Err(SignatureError::Sha1NotAllowed);
    }
    let hash = digest.hash(message);
    let memo = verified::key(&hash, alg, signature, spki, inherited);
    if memo.as_ref().is_some_and(verified::contains) {
        return Ok(());
    }
    let result = check(family, digest, &hash, alg, signature, spki, inherited);
    if let (Ok(()), Some(memo)) = (&result, memo) {
        verified::insert(memo);
    }
    result
}

/// The signature check itself, on the hash of the message.
fn check(
    family: Family,
    digest: Digest,
    hash: &[u8],
    alg: &AlgorithmIdentifierOwned,
    signature: &[u8],
    spki: &SubjectPublicKeyInfoOwned,
    inherited: Option<&der::Any>,
) -> Result<(), SignatureError> {
    let key_bits = spki.subject_public_key.as_bytes().ok_or_else(|| SignatureError::BadKey("unused bits".into()))?;
    let wrong_key = || {
        SignatureError::BadKey(format!(
            "a {} key cannot check {}",
            oids::name(&spki.algorithm.oid),
            oids::name(&alg.oid)
        ))
    };
    match family {
        Family::Rsa | Family::Pss(_) => {
            if spki.algorithm.oid != oids::RSA_ENCRYPTION && spki.algorithm.oid != oids::RSASSA_PSS {
                return Err(wrong_key());
            }
            let key = crate::pubkey::rsa::PublicKey::from_pkcs1_der(key_bits)
                .map_err(|e| SignatureError::BadKey(e.to_string()))?;
            let valid = match family {
                Family::Pss(salt) => crate::pubkey::rsa::verify_pss(&key, digest, hash, salt, signature),
                _ => crate::pubkey::rsa::verify_pkcs1v15(&key, digest, hash, signature),
            };
            match valid {
                true => Ok(()),
                false => Err(SignatureError::Invalid),
            }
        }
        Family::Ecdsa => {
            if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
                return Err(wrong_key());
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
                .ok_or_else(|| SignatureError::BadKey("EC key without a named curve".into()))?;
            let curve = match curve {
                oids::SECP256R1 => &crate::pubkey::ecdsa::P256,
                oids::SECP384R1 => &crate::pubkey::ecdsa::P384,
                other => return Err(SignatureError::UnsupportedAlgorithm(format!("ECDSA on {}", oids::name(&other)))),
            };
            let key = crate::pubkey::ecdsa::PublicKey::from_sec1(curve, key_bits)
                .map_err(|e| SignatureError::BadKey(e.to_string()))?;
            key.verify_prehash(hash, signature).map_err(|_| SignatureError::Invalid)
        }
        Family::Dsa => {
            if spki.algorithm.oid != oids::DSA {
                return Err(wrong_key());
            }
            let params = parameters(spki)
                .or_else(|| inherited.cloned())
                .ok_or_else(|| SignatureError::BadKey("DSA key without domain parameters".into()))?;
            let params = params.to_der().map_err(|e| SignatureError::BadKey(e.to_string()))?;
            let key = crate::pubkey::dsa::PublicKey::from_der(&params, key_bits)
                .map_err(|e| SignatureError::BadKey(e.to_string()))?;
            key.verify_prehash(hash, signature).map_err(|_| SignatureError::Invalid)
        }
    }
}

/// The raw bytes of the signed part (the first element: TBSCertList, tbsResponseData, ...) of a
/// `SEQUENCE { toBeSigned, algorithm, signature, ... }`, exactly as sent: what the signature covers.
/// The caller has checked the rest with a typed decode.
pub fn signed_part(der: &[u8]) -> der::Result<&[u8]> {
    use der::Reader;
    let mut reader = der::SliceReader::new(der)?;
    let tbs = reader.sequence(|r| {
        let tbs = r.tlv_bytes()?;
        let rest = r.remaining_len();
        r.read_slice(rest)?;
        Ok(tbs)
    })?;
    reader.finish(tbs)
}

/// Verifies the signature on a certificate with its issuer's key.
pub fn verify_certificate(
    cert: &x509_cert::Certificate,
    issuer_key: &SubjectPublicKeyInfoOwned,
    inherited: Option<&der::Any>,
    allow_sha1: bool,
) -> Result<(), SignatureError> {
    // The outer and inner signature algorithms must agree (RFC 5280 section 4.1.1.2).
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(SignatureError::UnsupportedAlgorithm("signature algorithm differs from the one in the TBS".into()));
    }
    let (_, digest) = scheme(&cert.signature_algorithm)?;
    if digest == Digest::Sha1 && !allow_sha1 {
        return Err(SignatureError::Sha1NotAllowed);
    }
    // The same certificate under the same key verified before: no need to re-encode it to hash it.
    if verified::certificate_seen(cert, issuer_key, inherited) {
        return Ok(());
    }
    let tbs = cert.tbs_certificate.to_der().map_err(|_| SignatureError::Invalid)?;
    let sig = cert.signature.as_bytes().ok_or(SignatureError::Invalid)?;
    verify(&tbs, &cert.signature_algorithm, sig, issuer_key, inherited, allow_sha1)?;
    verified::certificate_verified(cert, issuer_key, inherited);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> x509_cert::Certificate {
        let data = std::fs::read(format!("{}/tests/data/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        crate::cert::parse_certificates(&data).unwrap().remove(0)
    }

    #[test]
    fn rsa_chain_signatures_verify_and_a_changed_byte_does_not() {
        let root = load("root.crt");
        let inter = load("intermediate.crt");
        let key = &root.tbs_certificate.subject_public_key_info;
        assert_eq!(verify_certificate(&inter, key, None, false), Ok(()));
        assert_eq!(verify_certificate(&root, key, None, false), Ok(()));
        let mut bad = inter.clone();
        bad.tbs_certificate.serial_number = x509_cert::serial_number::SerialNumber::new(&[9, 9]).unwrap();
        assert_eq!(verify_certificate(&bad, key, None, false), Err(SignatureError::Invalid));
        // The wrong issuer's key does not verify either.
        let alice = load("alice.crt");
        assert_eq!(verify_certificate(&alice, key, None, false), Err(SignatureError::Invalid));
    }

    #[test]
    fn verified_signatures_are_remembered_and_failures_are_not() {
        let root = load("root.crt");
        let inter = load("intermediate.crt");
        let key = &root.tbs_certificate.subject_public_key_info;
        let tbs = inter.tbs_certificate.to_der().unwrap();
        let sig = inter.signature.raw_bytes();
        let memo = |tbs: &[u8], sig: &[u8]| {
            let hash = Digest::Sha256.hash(tbs);
            verified::key(&hash, &inter.signature_algorithm, sig, key, None).unwrap()
        };
        assert_eq!(verify_certificate(&inter, key, None, false), Ok(()));
        assert!(verified::contains(&memo(&tbs, sig)));
        // A changed signature or content is another key: checked, refused, not remembered.
        let mut bad_sig = sig.to_vec();
        bad_sig[7] ^= 1;
        assert_eq!(verify(&tbs, &inter.signature_algorithm, &bad_sig, key, None, false), Err(SignatureError::Invalid));
        assert!(!verified::contains(&memo(&tbs, &bad_sig)));
        let mut bad_tbs = tbs.clone();
        *bad_tbs.last_mut().unwrap() ^= 1;
        assert_eq!(verify(&bad_tbs, &inter.signature_algorithm, sig, key, None, false), Err(SignatureError::Invalid));
        // Another key for the same bytes is checked too.
        let alice_key = &load("alice.crt").tbs_certificate.subject_public_key_info;
        assert_eq!(verify(&tbs, &inter.signature_algorithm, sig, alice_key, None, false), Err(SignatureError::Invalid));
        // A certificate verified once is found again without its hash; a changed one is not.
        assert!(verified::certificate_seen(&inter, key, None));
        let mut changed = inter.clone();
        changed.tbs_certificate.serial_number = x509_cert::serial_number::SerialNumber::new(&[9, 9]).unwrap();
        assert!(!verified::certificate_seen(&changed, key, None));
        assert_eq!(verify_certificate(&changed, key, None, false), Err(SignatureError::Invalid));
        assert!(!verified::certificate_seen(&inter, alice_key, None), "not under another key");
        // SHA-1 is refused before the memo is looked at.
        let sha1 = AlgorithmIdentifierOwned { oid: oids::SHA1_WITH_RSA, parameters: None };
        assert_eq!(verify(&tbs, &sha1, sig, key, None, false), Err(SignatureError::Sha1NotAllowed));
    }

    #[test]
    fn ecdsa_on_p256_and_p384_through_the_subject_public_key_info() {
        use der::asn1::BitString;
        use signature::hazmat::PrehashSigner;
        let spki = |curve: const_oid::ObjectIdentifier, point: &[u8]| SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oids::EC_PUBLIC_KEY,
                parameters: Some(der::Any::encode_from(&curve).unwrap()),
            },
            subject_public_key: BitString::from_bytes(point).unwrap(),
        };
        let alg = |oid| AlgorithmIdentifierOwned { oid, parameters: None };
        let message = b"tbsCertificate";
        let p256_key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let p256_point = p256_key.verifying_key().to_encoded_point(false);
        let sig: p256::ecdsa::Signature = p256_key.sign_prehash(&Digest::Sha256.hash(message)).unwrap();
        let key = spki(oids::SECP256R1, p256_point.as_bytes());
        let sig = sig.to_der();
        assert_eq!(verify(message, &alg(oids::ECDSA_WITH_SHA256), sig.as_bytes(), &key, None, false), Ok(()));
        assert_eq!(
            verify(b"tbsCertificatf", &alg(oids::ECDSA_WITH_SHA256), sig.as_bytes(), &key, None, false),
            Err(SignatureError::Invalid)
        );
        // The digest is the algorithm's: the same signature under ecdsa-with-SHA384 does not verify.
        assert_eq!(
            verify(message, &alg(oids::ECDSA_WITH_SHA384), sig.as_bytes(), &key, None, false),
            Err(SignatureError::Invalid)
        );
        let p384_key = p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap();
        let p384_point = p384_key.verifying_key().to_encoded_point(true);
        let sig: p384::ecdsa::Signature = p384_key.sign_prehash(&Digest::Sha384.hash(message)).unwrap();
        let key384 = spki(oids::SECP384R1, p384_point.as_bytes());
        assert_eq!(
            verify(message, &alg(oids::ECDSA_WITH_SHA384), sig.to_der().as_bytes(), &key384, None, false),
            Ok(())
        );
        // A P-256 point named as P-384, an unsupported curve, an RSA algorithm on an EC key.
        assert!(matches!(
            verify(
                message,
                &alg(oids::ECDSA_WITH_SHA256),
                sig.to_der().as_bytes(),
                &spki(oids::SECP384R1, p256_point.as_bytes()),
                None,
                false
            ),
            Err(SignatureError::BadKey(_))
        ));
        let secp521r1 = const_oid::ObjectIdentifier::new_unwrap("1.3.132.0.35");
        assert!(matches!(
            verify(
                message,
                &alg(oids::ECDSA_WITH_SHA256),
                sig.to_der().as_bytes(),
                &spki(secp521r1, p256_point.as_bytes()),
                None,
                false
            ),
            Err(SignatureError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            verify(message, &alg(oids::SHA256_WITH_RSA), sig.to_der().as_bytes(), &key, None, false),
            Err(SignatureError::BadKey(_))
        ));
    }

    #[test]
    fn pkits_dsa_signatures_with_inherited_parameters() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pkits/certs/");
        let Ok(read) = std::fs::read(format!("{dir}DSACACert.crt")) else {
            eprintln!("PKITS data not found at {dir}; skipping");
            return;
        };
        let cert = |n: &str| x509_cert::Certificate::from_der(&std::fs::read(format!("{dir}{n}")).unwrap()).unwrap();
        let ca = x509_cert::Certificate::from_der(&read).unwrap();
        let ee = cert("ValidDSASignaturesTest4EE.crt");
        let ca_key = &ca.tbs_certificate.subject_public_key_info;
        assert_eq!(verify_certificate(&ee, ca_key, None, true), Ok(()));
        assert_eq!(verify_certificate(&ee, ca_key, None, false), Err(SignatureError::Sha1NotAllowed));
        let bad = cert("InvalidDSASignatureTest6EE.crt");
        assert_eq!(verify_certificate(&bad, ca_key, None, true), Err(SignatureError::Invalid));
        // A CA whose key has no parameters inherits them from DSACACert.
        let inherit_ca = cert("DSAParametersInheritedCACert.crt");
        let ee5 = cert("ValidDSAParameterInheritanceTest5EE.crt");
        let key5 = &inherit_ca.tbs_certificate.subject_public_key_info;
        assert!(needs_inherited_parameters(key5));
        let params = parameters(ca_key).unwrap();
        assert_eq!(verify_certificate(&ee5, key5, Some(&params), true), Ok(()));
        assert!(matches!(verify_certificate(&ee5, key5, None, true), Err(SignatureError::BadKey(_))));
    }
}

/// Signatures on certificates, CRLs and OCSP responses that verified before, so that the chain of a
/// correspondent is not checked again with every mail (CryptoAPI and NSS keep such caches too).
/// Only successes are kept, keyed by SHA-256 over the issuer's key, the algorithm, the hash of what
/// was signed and the signature: a hit is the same mathematical fact, so nothing ever needs to be
/// invalidated; validity periods, revocation and policy are checked on every path as before.
/// Message signatures never come here. At most [`verified::CAPACITY`] entries, the oldest leaving
/// first.
pub mod verified {
    use der::Encode;
    use sha2::Digest as _;
    use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

    use crate::recent::Recent;

    /// The number of signatures remembered.
    pub const CAPACITY: usize = 512;

    static SEEN: Recent<[u8; 32]> = Recent::new(CAPACITY);

    /// The memo key of a check; `None` if a part cannot be encoded (then nothing is remembered).
    pub(super) fn key(
        hash: &[u8],
        alg: &AlgorithmIdentifierOwned,
        signature: &[u8],
        spki: &SubjectPublicKeyInfoOwned,
        inherited: Option<&der::Any>,
    ) -> Option<[u8; 32]> {
        let mut h = sha2::Sha256::new();
        for part in [
            spki.to_der().ok()?,
            alg.to_der().ok()?,
            inherited.map(|p| p.to_der()).transpose().ok()?.unwrap_or_default(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(&part);
        }
        for part in [hash, signature] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        Some(h.finalize().into())
    }

    pub(super) fn contains(key: &[u8; 32]) -> bool {
        SEEN.any(|k| k == key)
    }

    pub(super) fn insert(key: [u8; 32]) {
        if !contains(&key) {
            SEEN.insert(key);
        }
    }

    /// Certificates whose signature verified, with the key (and inherited DSA parameters) that
    /// verified it: a certificate equal in every field to one of them has the same DER, so it need
    /// not be re-encoded to look it up by hash.
    type Verified = (x509_cert::Certificate, SubjectPublicKeyInfoOwned, Option<der::Any>);
    /// The number of certificates remembered so.
    pub const CERTIFICATE_CAPACITY: usize = 64;
    static CERTIFICATES: Recent<Verified> = Recent::new(CERTIFICATE_CAPACITY);

    pub(super) fn certificate_seen(
        cert: &x509_cert::Certificate,
        key: &SubjectPublicKeyInfoOwned,
        inherited: Option<&der::Any>,
    ) -> bool {
        CERTIFICATES.any(|(c, k, i)| k == key && i.as_ref() == inherited && c == cert)
    }

    pub(super) fn certificate_verified(
        cert: &x509_cert::Certificate,
        key: &SubjectPublicKeyInfoOwned,
        inherited: Option<&der::Any>,
    ) {
        CERTIFICATES.insert((cert.clone(), key.clone(), inherited.cloned()));
    }

    /// Forgets every remembered signature (for tests and benchmarks of the full work).
    pub fn clear() {
        SEEN.clear();
        CERTIFICATES.clear();
    }
}
