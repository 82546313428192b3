//! What a certificate says: names, emails, key usage, identifiers, and a readable summary.
//!
//! Thin, typed accessors over `x509_cert::Certificate`. Full RFC 5280 path validation is the job of
//! the `trust` layer; [`crate::verify`] uses these for its basic chain check.

use der::Decode;
use serde::Serialize;
use x509_cert::ext::pkix::{
    name::GeneralName, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use crate::{clock, oids, Error, Result};

/// Finds the extension with `oid` and decodes it as `T`. A malformed extension counts as absent
/// for readers and is reported by path validation.
pub fn extension<'a, T: Decode<'a>>(cert: &'a Certificate, oid: const_oid::ObjectIdentifier) -> Option<(bool, T)> {
    let ext = cert.tbs_certificate.extensions.as_ref()?.iter().find(|e| e.extn_id == oid)?;
    T::from_der(ext.extn_value.as_bytes()).ok().map(|v| (ext.critical, v))
}

/// Email addresses of the certificate: rfc822Name entries of subjectAltName, or else the
/// emailAddress attributes of the subject (RFC 8550 section 3). Lowercased.
pub fn emails(cert: &Certificate) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, san)) = extension::<SubjectAltName>(cert, oids::EXT_SUBJECT_ALT_NAME) {
        for name in san.0 {
            if let GeneralName::Rfc822Name(m) = name {
                out.push(m.as_str().to_ascii_lowercase());
            }
        }
    }
    if out.is_empty() {
        for rdn in cert.tbs_certificate.subject.0.iter() {
            for atv in rdn.0.iter() {
                if atv.oid == oids::EMAIL_ADDRESS {
                    if let Ok(s) = der::asn1::Ia5StringRef::try_from(&atv.value) {
                        out.push(s.as_str().to_ascii_lowercase());
                    } else if let Ok(s) = der::asn1::Utf8StringRef::try_from(&atv.value) {
                        out.push(s.as_str().to_ascii_lowercase());
                    }
                }
            }
        }
    }
    out.dedup();
    out
}

/// True when `email` is one of the certificate's addresses. The local part is compared
/// case-insensitively too, as every mail system does in practice.
pub fn has_email(cert: &Certificate, email: &str) -> bool {
    let email = email.trim().to_ascii_lowercase();
    emails(cert).contains(&email)
}

/// The keyUsage extension, if present.
pub fn key_usage(cert: &Certificate) -> Option<KeyUsage> {
    extension::<KeyUsage>(cert, oids::EXT_KEY_USAGE).map(|(_, ku)| ku)
}

/// True when keyUsage is absent or includes `usage`.
pub fn allows(cert: &Certificate, usage: KeyUsages) -> bool {
    key_usage(cert).is_none_or(|ku| ku.0.contains(usage))
}

/// True when the certificate may sign mail: keyUsage absent, or digitalSignature or nonRepudiation.
pub fn can_sign(cert: &Certificate) -> bool {
    key_usage(cert).is_none_or(|ku| ku.digital_signature() || ku.non_repudiation())
}

/// True when the certificate may be encrypted to: an RSA key with keyUsage absent or
/// keyEncipherment (key transport), an EC key with keyUsage absent or keyAgreement (ECDH,
/// RFC 5753; RFC 8550 section 4.4.2).
pub fn can_encrypt(cert: &Certificate) -> bool {
    match cert.tbs_certificate.subject_public_key_info.algorithm.oid {
        oids::EC_PUBLIC_KEY => allows(cert, KeyUsages::KeyAgreement),
        _ => allows(cert, KeyUsages::KeyEncipherment),
    }
}

/// True when extKeyUsage is absent, or lists emailProtection or anyExtendedKeyUsage.
pub fn email_protection(cert: &Certificate) -> bool {
    extension::<ExtendedKeyUsage>(cert, oids::EXT_EXTENDED_KEY_USAGE).is_none_or(|(_, eku)| {
        eku.0.iter().any(|o| *o == oids::KP_EMAIL_PROTECTION || *o == oids::ANY_EXTENDED_KEY_USAGE)
    })
}

/// The http(s)/ldap URLs of the certificate's CRL distribution points (fullName URIs), in order.
pub fn crl_distribution_urls(cert: &Certificate) -> Vec<String> {
    use x509_cert::ext::pkix::{name::DistributionPointName, CrlDistributionPoints};
    let Some((_, points)) =
        extension::<CrlDistributionPoints>(cert, const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS)
    else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for point in points.0 {
        if let Some(DistributionPointName::FullName(names)) = point.distribution_point {
            for name in names {
                if let GeneralName::UniformResourceIdentifier(uri) = name {
                    urls.push(uri.to_string());
                }
            }
        }
    }
    urls
}

/// True when basicConstraints says cA.
pub fn is_ca(cert: &Certificate) -> bool {
    extension::<BasicConstraints>(cert, oids::EXT_BASIC_CONSTRAINTS).is_some_and(|(_, bc)| bc.ca)
}

/// The subjectKeyIdentifier, if present.
pub fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    extension::<SubjectKeyIdentifier>(cert, oids::EXT_SUBJECT_KEY_ID).map(|(_, s)| s.0.as_bytes().to_vec())
}

/// notBefore and notAfter as Unix seconds.
pub fn validity(cert: &Certificate) -> (u64, u64) {
    let v = &cert.tbs_certificate.validity;
    (v.not_before.to_unix_duration().as_secs(), v.not_after.to_unix_duration().as_secs())
}

/// True when `at` (Unix seconds) lies within the validity period.
pub fn valid_at(cert: &Certificate, at: u64) -> bool {
    let (nb, na) = validity(cert);
    nb <= at && at <= na
}

/// The RSA public key of the certificate.
pub fn rsa_public_key(cert: &Certificate) -> Result<crate::pubkey::rsa::PublicKey> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != oids::RSA_ENCRYPTION {
        return Err(Error::unsupported("public key algorithm", oids::name(&spki.algorithm.oid)));
    }
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| Error::bad("certificate public key", "unused bits"))?;
    crate::pubkey::rsa::PublicKey::from_pkcs1_der(bits).map_err(Error::malformed("certificate public key"))
}

/// The EC public key of the certificate: its curve (P-256 or P-384) and the SEC 1 point, checked to
/// be on the curve.
pub fn ec_public_key(cert: &Certificate) -> Result<crate::pubkey::ecdsa::PublicKey> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
        return Err(Error::unsupported("public key algorithm", oids::name(&spki.algorithm.oid)));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
        .ok_or_else(|| Error::bad("certificate public key", "an EC key without a named curve"))?;
    let curve = crate::pubkey::ecdsa::Curve::from_oid(&curve)
        .ok_or_else(|| Error::unsupported("EC curve", crate::pubkey::ec::unsupported_curve(&curve)))?;
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| Error::bad("certificate public key", "unused bits"))?;
    crate::pubkey::ecdsa::PublicKey::from_sec1(curve, bits).map_err(Error::malformed("certificate public key"))
}

/// The kind and size of the certificate's key, for people: "RSA-2048", "EC P-256", ...
pub fn key_type(cert: &Certificate) -> String {
    let alg = &cert.tbs_certificate.subject_public_key_info.algorithm;
    match alg.oid {
        oids::RSA_ENCRYPTION | oids::RSASSA_PSS => match rsa_public_key(cert) {
            Ok(k) => format!("RSA-{}", k.bits()),
            Err(_) => "RSA".into(),
        },
        oids::EC_PUBLIC_KEY => {
            let curve = alg.parameters.as_ref().and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok());
            match curve {
                Some(c) => format!("EC {}", oids::name(&c)),
                None => "EC".into(),
            }
        }
        ref other => oids::name(other),
    }
}

/// The SHA-256 fingerprint of the DER certificate, as colon-separated upper-case hex.
pub fn fingerprint_sha256(cert: &Certificate) -> String {
    Summary::of(cert).sha256_fingerprint.clone()
}

/// The summaries of the certificates seen most recently: the same few (a correspondent's, the CAs')
/// are summarised in every report, and re-encoding one to hash it, and reading its names and
/// extensions, takes longer than comparing it with the ones kept. A certificate equal in every
/// field has the same DER, so a hit is exact. At most [`summaries::CAPACITY`], the oldest leaving
/// first.
mod summaries {
    use super::{hex_colon, Certificate, Summary};
    use crate::recent::Recent;
    use der::Encode;
    use sha2::Digest as _;

    pub(super) const CAPACITY: usize = 32;

    static SEEN: Recent<(Certificate, Summary)> = Recent::new(CAPACITY);

    /// The summary of `cert`, whose DER is `der` when the caller has it.
    pub(super) fn get(cert: &Certificate, der: Option<&[u8]>) -> Summary {
        if let Some(s) = SEEN.find_map(|(c, s)| (c == cert).then(|| s.clone())) {
            return s;
        }
        let digest = match der {
            Some(der) => sha2::Sha256::digest(der),
            None => sha2::Sha256::digest(cert.to_der().unwrap_or_default()),
        };
        let summary = Summary::with_fingerprint(cert, hex_colon(&digest));
        SEEN.insert((cert.clone(), summary.clone()));
        summary
    }
}

/// Hex with colons: `AB:CD:..`.
pub fn hex_colon(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Plain lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|&b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]).map(char::from).collect()
}

/// Parses one or more certificates from PEM (any number of `CERTIFICATE` blocks) or DER.
pub fn parse_certificates(data: &[u8]) -> Result<Vec<Certificate>> {
    if let Some(certs) = parsed::find(data) {
        return Ok(certs);
    }
    let certs = parse_certificates_uncached(data)?;
    parsed::insert(data, &certs);
    Ok(certs)
}

/// The certificate files read most recently, by their exact bytes: the admin's trusted CAs are handed
/// over with every verification. At most [`parsed::CAPACITY`] files of up to [`parsed::MAX_LEN`]
/// bytes, the oldest leaving first.
mod parsed {
    use super::Certificate;
    use crate::recent::Recent;

    pub(super) const CAPACITY: usize = 16;
    pub(super) const MAX_LEN: usize = 64 * 1024;

    static FILES: Recent<(Vec<u8>, Vec<Certificate>)> = Recent::new(CAPACITY);

    pub(super) fn find(data: &[u8]) -> Option<Vec<Certificate>> {
        FILES.get(data)
    }

    pub(super) fn insert(data: &[u8], certs: &[Certificate]) {
        if data.len() <= MAX_LEN {
            FILES.remember(data, certs.to_vec());
        }
    }
}

fn parse_certificates_uncached(data: &[u8]) -> Result<Vec<Certificate>> {
    let text = core::str::from_utf8(data).ok().filter(|t| t.contains("-----BEGIN"));
    let Some(text) = text else {
        let der = crate::ber::to_der(data).map_err(|_| Error::bad("certificate", "neither PEM nor DER"))?;
        crate::ber::check_sets(&der)?;
        return Ok(vec![Certificate::from_der(&der).map_err(Error::malformed("certificate"))?]);
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let block = &rest[start..];
        let end_marker = "-----END CERTIFICATE-----";
        let Some(end) = block.find(end_marker) else {
            return Err(Error::bad("certificate", "PEM block without END line"));
        };
        let pem = &block[..end + end_marker.len()];
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(Error::malformed("PEM certificate"))?;
        crate::ber::check_sets(&der)?;
        out.push(Certificate::from_der(&der).map_err(Error::malformed("certificate"))?);
        rest = &block[end + end_marker.len()..];
    }
    if out.is_empty() {
        return Err(Error::bad("certificate", "the PEM text holds no CERTIFICATE block"));
    }
    Ok(out)
}

/// A readable summary of a certificate, as shown in reports and the extension's UI: its
/// [`SummaryFields`], read through `Deref`.
///
/// Immutable and shared: a summary is made once per certificate (and remembered, see `summaries`),
/// a report holds several (the signer's, the path's, the message's certificates), and cloning one
/// counts a reference. It serializes as the JSON rendered when it was made, through serde_json's
/// `RawValue`: byte for byte what serializing the fields gives with serde_json's compact output
/// (the wasm API and the CLI, which re-indents it), without escaping the same strings for every
/// report. Other serializers would see a string.
#[derive(Clone, Debug)]
pub struct Summary(std::sync::Arc<Rendered>);

#[derive(Debug)]
struct Rendered {
    fields: SummaryFields,
    /// `fields` as JSON; `None` only if rendering failed, which plain strings and lists cannot.
    json: Option<Box<serde_json::value::RawValue>>,
}

impl core::ops::Deref for Summary {
    type Target = SummaryFields;

    fn deref(&self) -> &SummaryFields {
        &self.0.fields
    }
}

impl PartialEq for Summary {
    fn eq(&self, other: &Summary) -> bool {
        self.0.fields == other.0.fields
    }
}

impl Eq for Summary {}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        match &self.0.json {
            Some(json) => json.serialize(serializer),
            None => self.0.fields.serialize(serializer),
        }
    }
}

/// The fields of a [`Summary`].
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SummaryFields {
    /// Subject distinguished name (RFC 4514).
    pub subject: String,
    /// Issuer distinguished name (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Email addresses.
    pub emails: Vec<String>,
    /// keyUsage bits by name; empty when the extension is absent.
    pub key_usage: Vec<String>,
    /// extKeyUsage by name; empty when the extension is absent.
    pub extended_key_usage: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// The key's kind and size: "RSA-2048", "EC P-256", ...
    pub key_type: String,
    /// SHA-256 fingerprint.
    pub sha256_fingerprint: String,
    /// The URLs of its CRL distribution points: what a host with network access fetches and passes back
    /// as CRLs when revocation is to be checked.
    pub crl_urls: Vec<String>,
    /// The certificate's smimeCapabilities extension (RFC 4262): what its subject's client decrypts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smime_capabilities: Option<crate::capabilities::Capabilities>,
}

impl Summary {
    /// A summary of `fields`, rendered once.
    pub fn new(fields: SummaryFields) -> Summary {
        // to_raw_value renders without parsing the result again (from_string would bring in the
        // JSON parser, 19 KB of the gzipped wasm).
        let json = serde_json::value::to_raw_value(&fields).ok();
        Summary(std::sync::Arc::new(Rendered { fields, json }))
    }

    /// The fields.
    pub fn fields(&self) -> &SummaryFields {
        &self.0.fields
    }

    /// Summarises `cert`.
    pub fn of(cert: &Certificate) -> Summary {
        summaries::get(cert, None)
    }

    /// [`Summary::of`] for a certificate whose DER is at hand (`der`, exactly as decoded).
    pub fn of_der(cert: &Certificate, der: &[u8]) -> Summary {
        summaries::get(cert, Some(der))
    }

    fn with_fingerprint(cert: &Certificate, sha256_fingerprint: String) -> Summary {
        let tbs = &cert.tbs_certificate;
        let (nb, na) = validity(cert);
        let key_usage = key_usage(cert)
            .map(|ku| ku.0.into_iter().map(|u| format!("{u:?}")).map(lower_first).collect())
            .unwrap_or_default();
        let extended_key_usage = extension::<ExtendedKeyUsage>(cert, oids::EXT_EXTENDED_KEY_USAGE)
            .map(|(_, e)| e.0.iter().map(oids::name).collect())
            .unwrap_or_default();
        Summary::new(SummaryFields {
            subject: crate::dn::to_string(&tbs.subject),
            issuer: crate::dn::to_string(&tbs.issuer),
            serial: hex(tbs.serial_number.as_bytes()),
            not_before: clock::format_rfc3339(nb),
            not_after: clock::format_rfc3339(na),
            emails: emails(cert),
            key_usage,
            extended_key_usage,
            is_ca: is_ca(cert),
            key_type: key_type(cert),
            sha256_fingerprint,
            crl_urls: crl_distribution_urls(cert),
            smime_capabilities: crate::capabilities::Capabilities::of_certificate(cert),
        })
    }
}

fn lower_first(s: String) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;
    use sha2::Digest as _;

    #[test]
    fn a_summary_serializes_as_its_fields() {
        for name in ["pki/root.crt", "pki/alice.crt", "pki/intermediate.crt"] {
            let pem = std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            let cert = parse_certificates(&pem).unwrap().remove(0);
            let summary = Summary::of(&cert);
            let json = serde_json::to_string(&summary).unwrap();
            assert_eq!(json, serde_json::to_string(summary.fields()).unwrap(), "{name}");
            // Inside a larger value too, and the same again from the cache.
            let list = serde_json::to_string(&[&summary, &Summary::of(&cert)]).unwrap();
            assert_eq!(list, format!("[{json},{json}]"));
            assert_eq!(Summary::of(&cert), summary);
        }
    }

    #[test]
    fn hex_forms() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex_colon(&[0x00, 0x0f, 0xa5, 0xff]), "00:0F:A5:FF");
        assert_eq!(hex_colon(&[]), "");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn fingerprints_are_those_of_the_der_remembered_or_not() {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki/chain.pem")).unwrap();
        let certs = parse_certificates(&pem).unwrap();
        for _ in 0..2 {
            for c in &certs {
                let direct = hex_colon(&sha2::Sha256::digest(c.to_der().unwrap()));
                assert_eq!(fingerprint_sha256(c), direct);
            }
        }
        // A certificate that differs in one field is another.
        let mut other = certs[0].clone();
        other.tbs_certificate.serial_number = x509_cert::serial_number::SerialNumber::new(&[7]).unwrap();
        assert_ne!(fingerprint_sha256(&other), fingerprint_sha256(&certs[0]));
        assert_eq!(fingerprint_sha256(&other), hex_colon(&sha2::Sha256::digest(other.to_der().unwrap())));
    }
}
