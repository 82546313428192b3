//! Verifying CMS SignedData: every signer's signature over the exact content, the signed
//! attributes, the signer's certificate and a basic chain to the supplied trusted roots, and the
//! signer's address against the mail's From. The outcome is a structured [`SignatureReport`], never
//! a bare bool: the reading view shows each check.
//!
//! The chain check here is deliberately basic (signatures, validity at a time, CA flag); full RFC
//! 5280 path validation lives in its own layer.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::revocation::RevocationInfoChoices;
use cms::signed_data::EncapsulatedContentInfo;
use der::{Decode, Encode};
use serde::Serialize;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use crate::alg::Digest;
use crate::cms_common::parse_content_info;
use crate::identity::matches_signer;
use crate::signer_info::SentSignerInfo;
use crate::trust::crl::{Crl, RevocationStatus};
use crate::trust::policy::PolicySettings;
use crate::trust::validate::{self, Inputs, MissingRevocation, PathReport, TrustVerdict, ValidationOptions};
use crate::{ber, cert, clock, mime, oids, Error, Result};

/// What to verify against.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Trust anchors: a chain must end at one of these.
    pub trust: Vec<Certificate>,
    /// Extra intermediates besides those in the message.
    pub intermediates: Vec<Certificate>,
    /// Verification time in Unix seconds; `None` means now.
    pub time: Option<u64>,
    /// The mail's From address, to compare with the signer's certificate.
    pub from: Option<String>,
    /// Accept SHA-1 in message and certificate signatures (old mail); off by default.
    pub allow_sha1: bool,
    /// CRLs to check revocation with (files the admin supplies, fetched ones); those carried in the
    /// message are added to them.
    pub crls: Vec<Crl>,
    /// Check revocation of every certificate of the path (RFC 5280 6.3).
    pub check_revocation: bool,
    /// What a certificate that no CRL covers means when revocation is checked (default: unknown).
    pub missing_revocation: MissingRevocation,
    /// A certificate that names no CRL distribution point or OCSP responder passes the revocation check
    /// (reported as skipped), instead of leaving it unknown; see [`ValidationOptions::accept_unpublished`].
    pub accept_unpublished: bool,
    /// Certificate policy inputs of path validation (default: any policy).
    pub policy: PolicySettings,
    /// DER OCSP responses (fetched by the host for the report's `revocationSources`).
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Fetches revocation data (the host's network access: HTTP on the CLI with `--fetch-crls`);
    /// `None` fetches nothing, and the report's `revocationSources` say what a host could fetch.
    pub fetch: Option<Fetcher>,
}

/// Where revocation data for a certificate of a signer's path can be had: a CRL distribution point
/// (HTTP GET) or an OCSP responder (HTTP POST of `request`, `application/ocsp-request`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationSource {
    /// "crl" or "ocsp".
    pub kind: &'static str,
    /// The URL.
    pub url: String,
    /// The certificate it is about (subject).
    pub certificate: String,
    /// For OCSP: the DER request to POST, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_base64: Option<String>,
    /// For OCSP: the request as bytes.
    #[serde(skip)]
    pub request: Option<Vec<u8>>,
}

/// The function behind a [`Fetcher`]: a source in, the response body out (or `None`).
pub type FetchFn = dyn Fn(&RevocationSource) -> Option<Vec<u8>> + Send + Sync;

impl VerifyOptions {
    /// The path-validation options these verify options stand for (at their time, or now).
    pub fn validation_options(&self) -> ValidationOptions {
        ValidationOptions {
            time: self.time.unwrap_or_else(clock::now_unix),
            allow_sha1: self.allow_sha1,
            check_revocation: self.check_revocation,
            missing_revocation: self.missing_revocation,
            accept_unpublished: self.accept_unpublished,
            policy: self.policy.clone(),
            ..ValidationOptions::default()
        }
    }
}

/// A callback that fetches a CRL or an OCSP response, or returns `None`.
#[derive(Clone)]
pub struct Fetcher(pub std::sync::Arc<FetchFn>);

impl core::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Fetcher")
    }
}

/// The most sources fetched for one signature.
const MAX_FETCHES: usize = 16;

pub use crate::cms_common::{MAX_ATTRIBUTES, MAX_CERTIFICATES, MAX_CRLS, MAX_SIGNERS};

/// The CRL distribution points and OCSP responders for every certificate of a path but the anchor.
pub fn revocation_sources(path: &PathReport) -> Vec<RevocationSource> {
    let mut out = Vec::new();
    for pair in path.certificates.windows(2) {
        let (c, issuer) = (&pair[0], &pair[1]);
        let subject = crate::dn::to_string(&c.tbs_certificate.subject);
        for url in cert::crl_distribution_urls(c) {
            out.push(RevocationSource {
                kind: "crl",
                url,
                certificate: subject.clone(),
                request_base64: None,
                request: None,
            });
        }
        for url in crate::trust::ocsp::responder_urls(c) {
            if let Ok(req) = crate::trust::ocsp::build_request(c, issuer, None) {
                use base64::Engine as _;
                out.push(RevocationSource {
                    kind: "ocsp",
                    url,
                    certificate: subject.clone(),
                    request_base64: Some(base64::engine::general_purpose::STANDARD.encode(&req)),
                    request: Some(req),
                });
            }
        }
    }
    out.dedup();
    out
}

/// The outcome of one check.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Check {
    /// The check passed.
    Passed,
    /// The check failed, and why.
    Failed {
        /// What was wrong, readable.
        reason: String,
    },
    /// The check could not decide (e.g. no CRL tells whether a certificate is revoked).
    Unknown {
        /// What was missing.
        reason: String,
    },
    /// The check was not made, and why (e.g. no From address to compare).
    Skipped {
        /// Why not.
        reason: String,
    },
}

impl Check {
    /// True for [`Check::Passed`].
    pub fn passed(&self) -> bool {
        matches!(self, Check::Passed)
    }

    fn fail(reason: impl Into<String>) -> Check {
        Check::Failed { reason: reason.into() }
    }

    /// The reason, for failed or skipped checks.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Check::Passed => None,
            Check::Failed { reason } | Check::Unknown { reason } | Check::Skipped { reason } => Some(reason),
        }
    }
}

/// One signer's checks.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerReport {
    /// The signer's certificate, when found.
    pub certificate: Option<cert::Summary>,
    /// The signer's certificate, DER (for a host that collects correspondents' certificates).
    #[serde(skip)]
    pub certificate_der: Option<Vec<u8>>,
    /// Digest algorithm name.
    pub digest_algorithm: String,
    /// Signature algorithm name.
    pub signature_algorithm: String,
    /// The signingTime attribute, RFC 3339.
    pub signing_time: Option<String>,
    /// The signingTime is plausible: not in the future (beyond [`CLOCK_SKEW`]) and not before the
    /// certificate was valid. Skipped when the signature has no signingTime.
    pub signing_time_check: Check,
    /// The signature, the messageDigest and contentType attributes.
    pub signature: Check,
    /// A chain from the signer's certificate to a trusted root (RFC 5280 path validation).
    pub chain: Check,
    /// The chain that was found, signer first, as subjects.
    pub chain_path: Vec<String>,
    /// Revocation of the certificates of the chain: skipped unless revocation checking is on.
    pub revocation: Check,
    /// The full path validation report (path, typed failures, revocation per certificate).
    pub path_validation: Option<PathReport>,
    /// When revocation is checked and undecided: where the missing CRLs and OCSP answers can be had. A
    /// host with network access fetches them and verifies again with `crls` and `ocspResponses`.
    pub revocation_sources: Vec<RevocationSource>,
    /// The signer's certificate is valid at the verification time.
    pub validity: Check,
    /// keyUsage allows signing (digitalSignature or nonRepudiation).
    pub key_usage: Check,
    /// extKeyUsage allows emailProtection.
    pub email_protection: Check,
    /// The certificate's address matches the mail's From.
    pub from_address: Check,
    /// The SMIMECapabilities the signer announced (a signed attribute; `None` when there is none or it
    /// is unreadable). Only a [`SignerReport::trusted`] signer's list may be remembered for encrypting to them.
    pub capabilities: Option<crate::capabilities::Capabilities>,
}

impl SignerReport {
    /// The signature is cryptographically valid.
    pub fn valid(&self) -> bool {
        self.signature.passed()
    }

    /// Valid, and the certificate chains to a trusted root and may be used for mail signing.
    pub fn trusted(&self) -> bool {
        self.trusted_but_revocation() && matches!(self.revocation, Check::Passed | Check::Skipped { .. })
    }

    /// Passes every check but revocation.
    fn trusted_but_revocation(&self) -> bool {
        self.valid()
            && self.chain.passed()
            && self.validity.passed()
            && self.key_usage.passed()
            && self.email_protection.passed()
            && !matches!(self.signing_time_check, Check::Failed { .. })
    }

    /// Trusted but for a revocation status that could not be determined.
    pub fn revocation_unknown(&self) -> bool {
        matches!(self.revocation, Check::Unknown { .. })
    }
}

/// The overall verdict, for a banner.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// Every signature is valid and trusted.
    Trusted,
    /// Every signature is valid and chains to a trusted root, but whether a certificate was revoked
    /// could not be determined.
    Unknown,
    /// Every signature is valid, but at least one is not trusted.
    ValidUntrusted,
    /// At least one signature is invalid (or there is none).
    Invalid,
}

/// What verification found.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReport {
    /// Detached (multipart/signed) or encapsulated (opaque).
    pub detached: bool,
    /// The eContentType.
    pub content_type: String,
    /// One per SignerInfo.
    pub signers: Vec<SignerReport>,
    /// Certificates carried in the message.
    pub certificates: Vec<cert::Summary>,
    /// The verdict over all signers.
    pub verdict: Verdict,
    /// The content matched only after converting line endings to CRLF.
    pub canonicalized: bool,
}

impl SignatureReport {
    /// A one-line reason why the message is not trusted, if it isn't.
    pub fn failure(&self) -> Option<String> {
        if self.signers.is_empty() {
            return Some("the message has no signatures".into());
        }
        for (i, s) in self.signers.iter().enumerate() {
            let who = s.certificate.as_ref().map(|c| c.subject.clone()).unwrap_or_else(|| format!("signer {}", i + 1));
            for (name, check) in [
                ("signature", &s.signature),
                ("certificate chain", &s.chain),
                ("certificate validity", &s.validity),
                ("key usage", &s.key_usage),
                ("extended key usage", &s.email_protection),
                ("signing time", &s.signing_time_check),
                ("revocation", &s.revocation),
            ] {
                if let Check::Failed { reason } | Check::Unknown { reason } = check {
                    return Some(format!("{who}: {name}: {reason}"));
                }
            }
        }
        None
    }
}

/// A verified SignedData: the report and the signed content.
#[derive(Clone, Debug)]
pub struct Verified {
    /// What was checked.
    pub report: SignatureReport,
    /// The signed content (for opaque signatures, taken from inside the CMS).
    pub content: Vec<u8>,
}

/// Content digests the caller computed (with the host's SHA-2, say), used instead of hashing the
/// content again. A digest that is not here is computed in Rust.
#[derive(Clone, Debug, Default)]
pub struct ContentDigests(Vec<(Digest, Vec<u8>)>);

impl ContentDigests {
    /// No precomputed digests.
    pub fn new() -> ContentDigests {
        ContentDigests::default()
    }

    /// Adds the digest of the content by `digest`.
    pub fn insert(&mut self, digest: Digest, value: Vec<u8>) {
        self.0.retain(|(d, _)| *d != digest);
        self.0.push((digest, value));
    }

    /// The digest of `content` by `digest`: the precomputed one, or computed now.
    fn of(&self, digest: Digest, content: &[u8]) -> Vec<u8> {
        match self.0.iter().find(|(d, v)| *d == digest && v.len() == digest.output_len()) {
            Some((_, v)) => v.clone(),
            None => digest.hash(content),
        }
    }
}

/// A parsed CMS SignedData, ready to be checked against its content.
#[derive(Debug)]
pub struct Signed {
    /// What was signed: its content type, and for an opaque signature the content.
    encap_content_info: EncapsulatedContentInfo,
    /// The CRLs the message carries (RFC 5652 RevocationInfoChoices), outside the signature.
    crls: Option<RevocationInfoChoices>,
    certificates: SentCertificates,
    /// The signer infos in the order sent, each with its DER as sent: signed attributes are verified
    /// over the bytes the signer sent.
    signers: SentSigners,
}

/// Signer infos in the order sent, each with its DER as sent.
type SentSigners = Vec<SentSignerInfo>;

/// The certificates of a SignedData's `certificates` field (the `Certificate` choices), in the order
/// sent, and the DER of each as sent (`der[i]` is `decoded[i]`'s).
#[derive(Debug, Default)]
struct SentCertificates {
    decoded: Vec<Certificate>,
    der: Vec<Vec<u8>>,
}

impl SentCertificates {
    fn push(&mut self, cert: Certificate, der: &[u8]) {
        self.decoded.push(cert);
        self.der.push(der.to_vec());
    }
}

impl Signed {
    /// Parses a SignedData `ContentInfo` (DER or BER).
    pub fn parse(cms_data: &[u8]) -> Result<Signed> {
        Signed::from_content_info(&parse_content_info(cms_data)?)
    }

    /// Reads the SignedData of a parsed `ContentInfo`.
    pub fn from_content_info(ci: &ContentInfo) -> Result<Signed> {
        if ci.content_type != oids::SIGNED_DATA {
            return Err(Error::NotSmime(format!("CMS content {} is not signed", oids::name(&ci.content_type))));
        }
        let sd_tlv = ci.content.to_der().map_err(Error::malformed("CMS SignedData"))?;
        // The fields split once (their framing is linear to read): limits first, then decoding.
        let fields = ber::der_fields(&sd_tlv, 0x30)?;
        check_limits(&fields)?;
        decode(&fields)
    }

    /// The type of the signed content (id-data for mail).
    pub fn content_type(&self) -> &const_oid::ObjectIdentifier {
        &self.encap_content_info.econtent_type
    }

    /// The signer infos, in the order sent.
    pub fn signer_infos(&self) -> &[SentSignerInfo] {
        &self.signers
    }

    /// The certificates the message carries (the `Certificate` choices), in the order sent.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates.decoded
    }

    /// The encapsulated content of an opaque signature; `None` for a detached one.
    pub fn encapsulated(&self) -> Option<&[u8]> {
        // An OCTET STRING's value is the content; some producers put non-data content (e.g.
        // nested CMS) directly in eContent, whose value is taken as it is.
        self.encap_content_info.econtent.as_ref().map(|any| any.value())
    }

    /// The digest algorithms the signers use (known ones, each once): what to precompute.
    pub fn digests(&self) -> Vec<Digest> {
        let mut out = Vec::new();
        for si in &self.signers {
            if let Ok(d) = Digest::from_oid(&si.digest_alg.oid) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// Verifies every signer over `content` (the detached content, or [`Signed::encapsulated`]).
    /// The report's `canonicalized` says whether the content matched only with CRLF line endings
    /// (for detached signatures); `digests` are of `content` as given.
    pub fn check(
        &self,
        content: &[u8],
        detached: bool,
        digests: &ContentDigests,
        options: &VerifyOptions,
    ) -> Result<SignatureReport> {
        let canonical = mime::canonicalize_crlf(content);
        let alternative = match &canonical {
            std::borrow::Cow::Owned(c) if detached => Some(c.as_slice()),
            _ => None,
        };

        let message_certs = &self.certificates.decoded;
        // The certificates as sent, for their fingerprints (re-encoding them costs more than hashing).
        let message_der: Vec<&[u8]> = self.certificates.der.iter().map(Vec::as_slice).collect();

        // CRLs carried in the message (RFC 5652 RevocationInfoChoices) join the supplied ones.
        let mut crls = options.crls.clone();
        if let Some(set) = &self.crls {
            for choice in set.0.iter() {
                if let cms::revocation::RevocationInfoChoice::Crl(list) = choice {
                    if let Ok(crl) = list.to_der().map_err(Error::malformed("CRL")).and_then(|d| Crl::from_der(&d)) {
                        crls.push(crl);
                    }
                }
            }
        }

        let mut signers = Vec::new();
        let mut canonicalized = false;
        for si in &self.signers {
            let raw_attrs = si.signed_attrs_der();
            let given = Content { bytes: content, digests, alternative };
            let (report, used_alt) = verify_signer(
                si,
                raw_attrs,
                &self.encap_content_info.econtent_type,
                &given,
                (message_certs, &message_der),
                &crls,
                options,
            );
            canonicalized |= used_alt;
            signers.push(report);
        }
        let verdict = if signers.is_empty() || !signers.iter().all(SignerReport::valid) {
            Verdict::Invalid
        } else if signers.iter().all(SignerReport::trusted) {
            Verdict::Trusted
        } else if signers.iter().all(|s| s.trusted() || (s.revocation_unknown() && s.trusted_but_revocation())) {
            Verdict::Unknown
        } else {
            Verdict::ValidUntrusted
        };
        Ok(SignatureReport {
            detached,
            content_type: oids::name(&self.encap_content_info.econtent_type),
            signers,
            certificates: message_certs
                .iter()
                .enumerate()
                .map(|(i, c)| match message_der.get(i) {
                    Some(der) => cert::Summary::of_der(c, der),
                    None => cert::Summary::of(c),
                })
                .collect(),
            verdict,
            canonicalized,
        })
    }
}

/// The content a signature is checked against, with what is known of its digests.
struct Content<'a> {
    bytes: &'a [u8],
    digests: &'a ContentDigests,
    /// The CRLF-canonical form, when it differs (detached signatures only).
    alternative: Option<&'a [u8]>,
}

/// Verifies a SignedData `ContentInfo` (DER or BER). `detached` is the content of a
/// multipart/signed message; `None` for opaque signatures, whose content is inside.
pub fn verify(cms_data: &[u8], detached: Option<&[u8]>, options: &VerifyOptions) -> Result<Verified> {
    let signed = Signed::parse(cms_data)?;
    let content = match (detached, signed.encapsulated()) {
        (Some(d), _) => d,
        (None, Some(c)) => c,
        (None, None) => return Err(Error::bad("S/MIME signature", "detached signature without the signed content")),
    };
    let report = signed.check(content, detached.is_some(), &ContentDigests::new(), options)?;
    let content = if report.canonicalized { mime::canonicalize_crlf(content).into_owned() } else { content.to_vec() };
    Ok(Verified { report, content })
}

/// Counts the SET OFs of a DER SignedData (its `fields`) before it is decoded, against [`MAX_SIGNERS`],
/// [`MAX_CERTIFICATES`], [`MAX_CRLS`] and [`MAX_ATTRIBUTES`], and every other SET against
/// [`ber::MAX_SET_ELEMENTS`]: decoding sorts every SET OF (in time quadratic in its length), and each
/// signer is verified. What does not parse is left to the decoder.
fn check_limits(fields: &[&[u8]]) -> Result<()> {
    fn children(tlv: &[u8]) -> Vec<&[u8]> {
        ber::der_children(tlv).unwrap_or_default()
    }
    let at_most = |n: usize, max: usize, what: &str| {
        if n > max {
            return Err(Error::LimitExceeded(format!("a CMS SignedData with {n} {what} (at most {max})")));
        }
        Ok(())
    };
    // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos.
    for (i, &field) in fields.iter().enumerate() {
        match (i, field.first()) {
            (1, Some(0x31)) => at_most(children(field).len(), MAX_SIGNERS, "digest algorithms")?,
            (3.., Some(0xa0)) => at_most(children(field).len(), MAX_CERTIFICATES, "certificates")?,
            (3.., Some(0xa1)) => at_most(children(field).len(), MAX_CRLS, "CRLs")?,
            (3.., Some(0x31)) => {
                let signers = children(field);
                at_most(signers.len(), MAX_SIGNERS, "signers")?;
                // SignerInfo: ..., [0] signedAttrs, ..., [1] unsignedAttrs; Attribute: type, SET OF values.
                for attrs in
                    signers.iter().flat_map(|si| children(si)).filter(|f| matches!(f.first(), Some(0xa0 | 0xa1)))
                {
                    let attrs = children(attrs);
                    at_most(attrs.len(), MAX_ATTRIBUTES, "attributes in one signer")?;
                    for attr in attrs {
                        let values = children(attr).get(1).map_or(0, |v| children(v).len());
                        at_most(values, MAX_ATTRIBUTES, "values of one attribute")?;
                    }
                }
            }
            _ => {}
        }
    }
    // Every SET inside, except within the certificates field: [`decode`] checks the certificates it
    // has not seen decode before (the count of the field itself is checked above).
    let certificates = certificates_field(fields)?;
    fields.iter().enumerate().filter(|(i, _)| Some(*i) != certificates).try_for_each(|(_, f)| ber::check_sets(f))
}

/// The index of a SignedData's `[0] certificates` field among its fields, if it has one. More than
/// one is malformed (and [`decode`] refuses it), and the SETs of only one are left to `decode`.
fn certificates_field(fields: &[&[u8]]) -> Result<Option<usize>> {
    let mut tagged = fields.iter().enumerate().filter(|(_, f)| f.first() == Some(&0xa0)).map(|(i, _)| i);
    match (tagged.next(), tagged.next()) {
        (Some(_), Some(_)) => Err(Error::bad("CMS SignedData", "more than one certificates field")),
        (at, _) => Ok(at),
    }
}

/// RFC 5280 validation of the signer's certificate through the message's and the supplied certificates.
fn validate_signer_path(
    signer: &Certificate,
    message_certs: &[Certificate],
    crls: &[Crl],
    ocsp_responses: &[Vec<u8>],
    options: &VerifyOptions,
    now: u64,
) -> PathReport {
    let anchors: Vec<&Certificate> = options.trust.iter().collect();
    let intermediates: Vec<&Certificate> = message_certs.iter().chain(options.intermediates.iter()).collect();
    let inputs = Inputs { anchors: &anchors, intermediates: &intermediates, crls, ocsp_responses };
    validate::validate(signer, &inputs, &ValidationOptions { time: now, ..options.validation_options() })
}

/// Decodes the `fields` of a DER SignedData (their limits checked by [`check_limits`]) one by one.
///
/// The der crate decodes a SET OF as a `SetOfVec`, which it sorts, and the cms crate compares two
/// elements by encoding both: for the certificates and the signer infos that was a large part of a
/// verification, for an order nobody needs. Here each field is split by its DER framing and each
/// element decoded by its typed decoder, in the order sent: the signature covers signed attributes
/// as sent, and fingerprints are of certificates as sent. Every element is still decoded, so a
/// malformed certificate or signer info is an error; the `[0]` and `[1]` fields may each appear
/// once, in that order.
fn decode(fields: &[&[u8]]) -> Result<Signed> {
    const WHAT: &str = "CMS SignedData";
    let (version, digest_algorithms, encap, optional, signer_infos) = match fields {
        [v, d, e, optional @ .., s] => (*v, *d, *e, optional, *s),
        _ => return Err(Error::bad(WHAT, format!("{} fields, at least 4 expected", fields.len()))),
    };
    crate::signer_info::check_version(version, WHAT)?;
    for alg in ber::der_fields(digest_algorithms, 0x31)? {
        AlgorithmIdentifierOwned::from_der(alg).map_err(Error::malformed("CMS SignedData digest algorithm"))?;
    }
    let encap_content_info =
        EncapsulatedContentInfo::from_der(encap).map_err(Error::malformed("CMS SignedData encapContentInfo"))?;
    // [0] certificates and [1] crls, each optional, at most once, in that order.
    let tag = |f: &[u8]| f.first().copied();
    let (certificates_field, crls_field) = match *optional {
        [] => (None, None),
        [c] if tag(c) == Some(0xa0) => (Some(c), None),
        [r] if tag(r) == Some(0xa1) => (None, Some(r)),
        [c, r] if tag(c) == Some(0xa0) && tag(r) == Some(0xa1) => (Some(c), Some(r)),
        _ => {
            let what = "after encapContentInfo, only one [0] certificates and one [1] crls may come, in that order";
            return Err(Error::bad(WHAT, what));
        }
    };
    let mut certificates = SentCertificates::default();
    if let Some(field) = certificates_field {
        for raw in ber::der_fields(field, 0xa0)? {
            if let Some(c) = SENT_CERTIFICATES.get(raw) {
                certificates.push(c, raw);
            } else if let CertificateChoices::Certificate(c) = ber::check_sets(raw).and_then(|()| {
                CertificateChoices::from_der(raw).map_err(Error::malformed("certificate in CMS SignedData"))
            })? {
                SENT_CERTIFICATES.remember(raw, c.clone());
                certificates.push(c, raw);
            }
        }
    }
    let crls = match crls_field {
        // [1] IMPLICIT RevocationInfoChoices: decoded as the SET it stands for.
        Some(field) => {
            let set = [&[0x31][..], field.get(1..).unwrap_or_default()].concat();
            Some(RevocationInfoChoices::from_der(&set).map_err(Error::malformed("CMS SignedData crls"))?)
        }
        None => None,
    };
    let signers =
        ber::der_fields(signer_infos, 0x31)?.into_iter().map(SentSignerInfo::from_der).collect::<Result<Vec<_>>>()?;
    Ok(Signed { encap_content_info, crls, certificates, signers })
}

/// The certificates decoded most recently from SignedData, by their exact bytes: a correspondent's
/// mails carry the same certificate and chain every time. Only certificates that decoded are kept,
/// and a hit is the same bytes, so it decodes to the same value; validity, revocation and the path
/// are still checked for every mail. At most 32.
static SENT_CERTIFICATES: crate::recent::Recent<(Vec<u8>, Certificate)> = crate::recent::Recent::new(32);

/// Verifies one signer; the bool says whether the CRLF-canonical alternative content matched.
#[allow(clippy::too_many_arguments)]
fn verify_signer(
    si: &SentSignerInfo,
    raw_attrs: Option<&[u8]>,
    econtent_type: &const_oid::ObjectIdentifier,
    content: &Content<'_>,
    (message_certs, message_der): (&[Certificate], &[&[u8]]),
    crls: &[Crl],
    options: &VerifyOptions,
) -> (SignerReport, bool) {
    let now = options.time.unwrap_or_else(clock::now_unix);
    let in_message = message_certs.iter().position(|c| matches_signer(c, &si.sid));
    let signer_cert = match in_message {
        Some(i) => message_certs.get(i),
        None => options.intermediates.iter().chain(options.trust.iter()).find(|c| matches_signer(c, &si.sid)),
    };
    let signer_der: Option<Vec<u8>> = match in_message.and_then(|i| message_der.get(i)) {
        Some(der) => Some(der.to_vec()),
        None => signer_cert.and_then(|c| c.to_der().ok()),
    };
    let signed_at = si
        .attr_value(oids::ATTR_SIGNING_TIME)
        .and_then(|v| x509_cert::time::Time::from_der(&v.to_der().ok()?).ok())
        .map(|t| t.to_unix_duration().as_secs());
    let signing_time = signed_at.map(clock::format_rfc3339);
    let mut report = SignerReport {
        certificate: signer_cert.map(|c| match &signer_der {
            Some(der) => cert::Summary::of_der(c, der),
            None => cert::Summary::of(c),
        }),
        certificate_der: signer_der,
        digest_algorithm: oids::name(&si.digest_alg.oid),
        signature_algorithm: oids::name(&si.signature_algorithm.oid),
        signing_time,
        signing_time_check: Check::Skipped { reason: "the signature has no signingTime".into() },
        signature: Check::fail("not checked"),
        chain: Check::Skipped { reason: "no signer certificate".into() },
        chain_path: Vec::new(),
        revocation: Check::Skipped { reason: "revocation checking is off".into() },
        path_validation: None,
        revocation_sources: Vec::new(),
        validity: Check::Skipped { reason: "no signer certificate".into() },
        key_usage: Check::Skipped { reason: "no signer certificate".into() },
        email_protection: Check::Skipped { reason: "no signer certificate".into() },
        from_address: Check::Skipped { reason: "no From address given".into() },
        capabilities: si.signed_attrs.as_deref().and_then(crate::capabilities::Capabilities::of_signed_attributes),
    };
    let Some(signer_cert) = signer_cert else {
        report.signature = Check::fail("the signer's certificate is neither in the message nor supplied");
        return (report, false);
    };

    let (signature, used_alt) = check_signature(si, raw_attrs, econtent_type, content, signer_cert, options);
    report.signature = signature;

    let mut path = validate_signer_path(signer_cert, message_certs, crls, &options.ocsp_responses, options, now);
    // Only a valid signature whose path passes every other check may send a host (or the fetcher) to the
    // addresses its certificates name: anything else would let any mail make the reader fetch a URL of
    // the sender's choosing (a read receipt), and could not become trusted anyway.
    let only_revocation_undecided = match path.verdict {
        TrustVerdict::Unknown => true,
        TrustVerdict::NotTrusted => {
            !path.failures.is_empty()
                && path.failures.iter().all(|f| matches!(f, validate::Failure::RevocationUnknown { .. }))
        }
        TrustVerdict::Trusted => false,
    };
    let undecided = only_revocation_undecided && report.signature.passed();
    if options.check_revocation && undecided {
        report.revocation_sources = revocation_sources(&path);
        // With network access, fetch what the path names and validate again.
        if let Some(fetch) = &options.fetch {
            let (mut more_crls, mut responses) = (crls.to_vec(), options.ocsp_responses.clone());
            for source in report.revocation_sources.iter().take(MAX_FETCHES) {
                let Some(body) = (fetch.0)(source) else { continue };
                match source.kind {
                    "crl" => more_crls.extend(Crl::parse_all(&body).unwrap_or_default()),
                    _ => responses.push(body),
                }
            }
            path = validate_signer_path(signer_cert, message_certs, &more_crls, &responses, options, now);
        }
    }
    report.chain = match path.verdict {
        TrustVerdict::NotTrusted => {
            let revocation_only = path
                .failures
                .iter()
                .all(|f| matches!(f, validate::Failure::Revoked { .. } | validate::Failure::RevocationUnknown { .. }));
            if revocation_only {
                Check::Passed
            } else if options.trust.is_empty() {
                Check::fail("no trusted root certificates are configured")
            } else {
                Check::fail(path.reason().unwrap_or_else(|| "not trusted".into()))
            }
        }
        TrustVerdict::Trusted | TrustVerdict::Unknown => Check::Passed,
    };
    report.chain_path = path.path.iter().map(|c| c.subject.clone()).collect();
    if options.check_revocation && report.chain.passed() {
        report.revocation = match path.failures.iter().find_map(|f| match f {
            validate::Failure::Revoked { .. } | validate::Failure::RevocationUnknown { .. } => Some(f.to_string()),
            _ => None,
        }) {
            Some(reason) => Check::fail(reason),
            None => match path.revocation.iter().find_map(|s| match s {
                RevocationStatus::Unknown { reason } => Some(reason.clone()),
                _ => None,
            }) {
                Some(reason) => Check::Unknown { reason },
                None if path.revocation.contains(&RevocationStatus::Unpublished) => Check::Skipped {
                    reason: "a certificate of the chain names no CRL distribution point or OCSP responder".into(),
                },
                None => Check::Passed,
            },
        };
    }
    report.path_validation = Some(path);
    report.validity = if cert::valid_at(signer_cert, now) {
        Check::Passed
    } else {
        let s = cert::Summary::of(signer_cert);
        Check::fail(format!(
            "the certificate is valid from {} to {}, not at {}",
            s.not_before,
            s.not_after,
            clock::format_rfc3339(now)
        ))
    };
    if let Some(at) = signed_at {
        report.signing_time_check = signing_time_check(at, now, signer_cert);
    }
    report.key_usage = if cert::can_sign(signer_cert) {
        Check::Passed
    } else {
        Check::fail("the certificate's key usage allows neither digitalSignature nor nonRepudiation")
    };
    report.email_protection = if cert::email_protection(signer_cert) {
        Check::Passed
    } else {
        Check::fail("the certificate's extended key usage does not include emailProtection")
    };
    if let Some(from) = &options.from {
        let emails = cert::emails(signer_cert);
        report.from_address = if cert::has_email(signer_cert, from) {
            Check::Passed
        } else if emails.is_empty() {
            Check::fail(format!("the mail is from {from}, but the certificate names no email address"))
        } else {
            Check::fail(format!("the mail is from {from}, but the certificate is for {}", emails.join(", ")))
        };
    }
    (report, used_alt)
}

/// How far in the future a signingTime may lie (clocks differ) before it is reported.
pub const CLOCK_SKEW: u64 = 5 * 60;

/// A signingTime in the future, or from before the certificate was valid, is a claim the signer's
/// own clock or an attacker made up ("Johnny, you are fired", 2019): the signature is not trusted.
fn signing_time_check(at: u64, now: u64, signer: &Certificate) -> Check {
    if at > now.saturating_add(CLOCK_SKEW) {
        return Check::fail(format!(
            "the signature claims to be made at {}, which is in the future (it is now {})",
            clock::format_rfc3339(at),
            clock::format_rfc3339(now)
        ));
    }
    let not_before = signer.tbs_certificate.validity.not_before.to_unix_duration().as_secs();
    if at < not_before {
        return Check::fail(format!(
            "the signature claims to be made at {}, before its certificate was valid (from {})",
            clock::format_rfc3339(at),
            clock::format_rfc3339(not_before)
        ));
    }
    Check::Passed
}

fn check_signature(
    si: &SentSignerInfo,
    raw_attrs: Option<&[u8]>,
    econtent_type: &const_oid::ObjectIdentifier,
    content: &Content<'_>,
    signer_cert: &Certificate,
    options: &VerifyOptions,
) -> (Check, bool) {
    // S/MIME signs MIME entities, which are id-data (RFC 8551 section 2.4.2). A valid signature over
    // another content type (a time-stamp token, a receipt, ...) must not pass for signed mail.
    if *econtent_type != oids::DATA {
        return (
            Check::fail(format!(
                "the signed content is {}, not mail (id-data): the signature was made for something else",
                oids::name(econtent_type)
            )),
            false,
        );
    }
    let digest = match Digest::from_oid(&si.digest_alg.oid) {
        Ok(d) => d,
        Err(e) => return (Check::fail(e.to_string()), false),
    };
    if digest == Digest::Sha1 && !options.allow_sha1 {
        return (Check::fail("signed with SHA-1, which is no longer accepted"), false);
    }
    let public = match SignerKey::of(signer_cert) {
        Ok(p) => p,
        Err(e) => return (Check::fail(e.to_string()), false),
    };
    let alternative = content.alternative;
    let content_hash = content.digests.of(digest, content.bytes);
    let Some(raw_attrs) = raw_attrs else {
        // No signed attributes: the signature is over the content itself.
        let ok = public.verify(&si.signature_algorithm, digest, &content_hash, si.signature.as_bytes());
        if ok.is_ok() {
            return (Check::Passed, false);
        }
        if let Some(alt) = alternative {
            if public.verify(&si.signature_algorithm, digest, &digest.hash(alt), si.signature.as_bytes()).is_ok() {
                return (Check::Passed, true);
            }
        }
        return (Check::fail(ok.err().unwrap_or_default()), false);
    };

    // contentType must match eContentType (RFC 5652 section 11.1).
    match si.attr_value(oids::ATTR_CONTENT_TYPE).and_then(|v| v.decode_as::<const_oid::ObjectIdentifier>().ok()) {
        Some(ct) if ct == *econtent_type => {}
        Some(ct) => {
            return (
                Check::fail(format!(
                    "contentType attribute {} differs from the content's {}",
                    oids::name(&ct),
                    oids::name(econtent_type)
                )),
                false,
            )
        }
        None => return (Check::fail("the contentType signed attribute is missing"), false),
    }
    let Some(md) = si.attr_value(oids::ATTR_MESSAGE_DIGEST).and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
    else {
        return (Check::fail("the messageDigest signed attribute is missing"), false);
    };
    let used_alt = if md.as_bytes() == content_hash.as_slice() {
        false
    } else if alternative.is_some_and(|alt| md.as_bytes() == digest.hash(alt).as_slice()) {
        true
    } else {
        return (Check::fail("the content was changed after signing (message digest mismatch)"), false);
    };
    // The signature covers the DER of the attributes with the SET OF tag (RFC 5652 section 5.4).
    let mut signed = raw_attrs.to_vec();
    signed[0] = 0x31;
    let attrs_hash = digest.hash(&signed);
    match public.verify(&si.signature_algorithm, digest, &attrs_hash, si.signature.as_bytes()) {
        Ok(()) => (Check::Passed, used_alt),
        Err(reason) => (Check::fail(reason), used_alt),
    }
}

/// The public key of a signer's certificate: RSA or EC.
enum SignerKey {
    Rsa(crate::pubkey::rsa::PublicKey),
    Ec(crate::pubkey::ecdsa::PublicKey),
}

impl SignerKey {
    fn of(cert: &Certificate) -> Result<SignerKey> {
        match cert.tbs_certificate.subject_public_key_info.algorithm.oid {
            oids::EC_PUBLIC_KEY => cert::ec_public_key(cert).map(SignerKey::Ec),
            _ => cert::rsa_public_key(cert).map(SignerKey::Rsa),
        }
    }

    /// Verifies a SignerInfo's signature over a precomputed hash.
    fn verify(
        &self,
        alg: &AlgorithmIdentifierOwned,
        digest: Digest,
        hash: &[u8],
        signature: &[u8],
    ) -> core::result::Result<(), String> {
        match self {
            SignerKey::Rsa(public) => verify_rsa(public, alg, digest, hash, signature),
            SignerKey::Ec(public) => verify_ecdsa(public, alg, digest, hash, signature),
        }
    }
}

/// Verifies an ECDSA signature over a precomputed hash (RFC 5753 section 2.1.1): the signature
/// algorithm is ecdsa-with-SHA* naming the digest algorithm's hash (or, as some older writers put
/// it, id-ecPublicKey).
fn verify_ecdsa(
    public: &crate::pubkey::ecdsa::PublicKey,
    alg: &AlgorithmIdentifierOwned,
    digest: Digest,
    hash: &[u8],
    signature: &[u8],
) -> core::result::Result<(), String> {
    let named = match alg.oid {
        oids::ECDSA_WITH_SHA1 => Some(Digest::Sha1),
        oids::ECDSA_WITH_SHA256 => Some(Digest::Sha256),
        oids::ECDSA_WITH_SHA384 => Some(Digest::Sha384),
        oids::ECDSA_WITH_SHA512 => Some(Digest::Sha512),
        oids::EC_PUBLIC_KEY => None,
        ref other => return Err(format!("an EC key cannot check {}", oids::name(other))),
    };
    if named.is_some_and(|d| d != digest) {
        return Err("the ECDSA signature algorithm's hash differs from the digest algorithm".into());
    }
    public.verify_prehash(hash, signature).map_err(|_| "the signature does not verify".to_string())
}

/// Verifies an RSA signature over a precomputed hash.
fn verify_rsa(
    public: &crate::pubkey::rsa::PublicKey,
    alg: &AlgorithmIdentifierOwned,
    digest: Digest,
    hash: &[u8],
    signature: &[u8],
) -> core::result::Result<(), String> {
    let bad = || "the signature does not verify".to_string();
    match alg.oid {
        oids::RSA_ENCRYPTION
        | oids::SHA1_WITH_RSA
        | oids::SHA256_WITH_RSA
        | oids::SHA384_WITH_RSA
        | oids::SHA512_WITH_RSA => match crate::pubkey::rsa::verify_pkcs1v15(public, digest, hash, signature) {
            true => Ok(()),
            false => Err(bad()),
        },
        oids::RSASSA_PSS => {
            let params = alg
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .ok_or_else(|| "RSASSA-PSS without parameters".to_string())?;
            let params =
                pkcs1::RsaPssParams::from_der(&params).map_err(|e| format!("bad RSASSA-PSS parameters: {e}"))?;
            let pss_digest = Digest::from_oid(&params.hash.oid).map_err(|e| e.to_string())?;
            if pss_digest != digest {
                return Err("the RSASSA-PSS hash differs from the digest algorithm".into());
            }
            match crate::pubkey::rsa::verify_pss(public, digest, hash, params.salt_len as usize, signature) {
                true => Ok(()),
                false => Err(bad()),
            }
        }
        ref other => Err(format!("unsupported signature algorithm {}", oids::name(other))),
    }
}

/// Verifies that `issuer` signed `cert` (RSA, RSASSA-PSS, ECDSA or DSA; see [`crate::trust::sig`]).
pub fn verify_certificate_signature(
    cert: &Certificate,
    issuer: &Certificate,
    allow_sha1: bool,
) -> core::result::Result<(), String> {
    let key = &issuer.tbs_certificate.subject_public_key_info;
    crate::trust::sig::verify_certificate(cert, key, None, allow_sha1).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    fn data(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn options(crls: &[&str]) -> VerifyOptions {
        VerifyOptions {
            trust: cert::parse_certificates(&data("pki/root.crt")).unwrap(),
            crls: crls.iter().flat_map(|c| Crl::parse_all(&data(c)).unwrap()).collect(),
            check_revocation: true,
            ..VerifyOptions::default()
        }
    }

    #[test]
    fn signing_time_must_be_neither_in_the_future_nor_before_the_certificate() {
        let id = Identity::from_pkcs12(&data("pki/carol.p12"), "secret").unwrap();
        let content = b"Content-Type: text/plain\r\n\r\nhi\r\n";
        let at = |t: &str| crate::sign::SignOptions {
            signing_time: Some(clock::parse_rfc3339(t).unwrap()),
            ..Default::default()
        };
        let now = clock::parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
        let options = VerifyOptions { time: Some(now), ..options(&[]) };
        let check = |t: &str| {
            let der = crate::sign::sign(content, &id, &at(t), false).unwrap();
            verify(&der, None, &options).unwrap().report.signers.remove(0)
        };
        let s = check("2029-12-31T00:00:00Z");
        assert_eq!(s.signing_time_check, Check::Passed);
        assert_eq!(check("2030-01-01T00:04:00Z").signing_time_check, Check::Passed, "within the clock skew");
        let future = check("2030-01-01T00:06:00Z");
        assert!(future.signing_time_check.reason().unwrap().contains("in the future"));
        assert!(!future.trusted() && future.valid());
        // Siegel refuses to sign so; a made-up signingTime from before the certificate is caught.
        let carol = cert::parse_certificates(&data("pki/carol.crt")).unwrap().remove(0);
        let early = signing_time_check(clock::parse_rfc3339("2001-01-01").unwrap(), now, &carol);
        assert!(early.reason().unwrap().contains("before its certificate was valid"));
    }

    #[test]
    fn fingerprints_and_der_of_the_certificates_as_sent() {
        let id = Identity::from_pkcs12(&data("pki/carol.p12"), "secret").unwrap();
        let der =
            crate::sign::sign(b"Content-Type: text/plain\r\n\r\nhi\r\n", &id, &Default::default(), false).unwrap();
        let report = verify(&der, None, &options(&[])).unwrap().report;
        let sent = Signed::parse(&der).unwrap();
        let sd_tlv = parse_content_info(&der).unwrap().content.to_der().unwrap();
        let certs: Vec<Certificate> = sent.certificates.decoded.clone();
        assert_eq!(certs.len(), sent.certificates.der.len());
        for (c, raw) in certs.iter().zip(&sent.certificates.der) {
            assert_eq!(&c.to_der().unwrap(), raw, "the DER as sent");
        }
        // The same certificates the cms crate decodes (in its order).
        let whole = cms::signed_data::SignedData::from_der(&sd_tlv).unwrap();
        let mut theirs: Vec<Vec<u8>> =
            whole.certificates.as_ref().unwrap().0.iter().map(|c| c.to_der().unwrap()).collect();
        let mut ours: Vec<Vec<u8>> = sent.certificates.der.clone();
        theirs.sort();
        ours.sort();
        assert_eq!(ours, theirs);
        // The signer infos too, and the rest as the cms crate decodes it.
        assert_eq!(sent.signers.len(), whole.signer_infos.0.len());
        for (ours, theirs) in sent.signers.iter().zip(whole.signer_infos.0.iter()) {
            crate::signer_info::tests::assert_agrees(ours, theirs);
        }
        assert_eq!(sent.encap_content_info, whole.encap_content_info);
        assert_eq!(sent.crls, whole.crls);
        assert!(certs.len() >= 2, "Carol's certificate and the issuing CA");
        let fingerprints: Vec<String> = report.certificates.iter().map(|s| s.sha256_fingerprint.clone()).collect();
        assert_eq!(fingerprints, certs.iter().map(cert::fingerprint_sha256).collect::<Vec<_>>());
        let signer = &report.signers[0];
        assert_eq!(signer.certificate_der.as_deref(), Some(&id.pairs()[0].certificate().to_der().unwrap()[..]));
        assert_eq!(
            signer.certificate.as_ref().unwrap().sha256_fingerprint,
            cert::fingerprint_sha256(id.pairs()[0].certificate())
        );
    }

    #[test]
    fn unpublished_revocation_passes_only_when_accepted() {
        // Carol's certificate names no CRL distribution point or OCSP responder; the root's CRL covers
        // the issuing CA.
        let der = signed_with_crl("carol", None);
        let unknown = verify(&der, None, &options(&["crl/root.crl"])).unwrap().report;
        assert_eq!(unknown.verdict, Verdict::Unknown);
        let accepting = VerifyOptions { accept_unpublished: true, ..options(&["crl/root.crl"]) };
        let report = verify(&der, None, &accepting).unwrap().report;
        assert_eq!(report.verdict, Verdict::Trusted);
        assert!(matches!(report.signers[0].revocation, Check::Skipped { .. }));
        assert!(report.signers[0]
            .path_validation
            .as_ref()
            .unwrap()
            .revocation
            .contains(&RevocationStatus::Unpublished));
        // A CRL that covers the certificate still decides: Alice is revoked on the issuing CA's CRL.
        let alice = signed_with_crl("alice", None);
        let both = VerifyOptions { accept_unpublished: true, ..options(&["crl/root.crl", "crl/intermediate.crl"]) };
        assert_eq!(verify(&alice, None, &both).unwrap().report.verdict, Verdict::ValidUntrusted);
    }

    /// An opaque SignedData by `who`, with `crl` put into its `crls` field (outside the signature).
    fn signed_with_crl(who: &str, crl: Option<&str>) -> Vec<u8> {
        let id = Identity::from_pkcs12(&data(&format!("pki/{who}.p12")), "secret").unwrap();
        let der =
            crate::sign::sign(b"Content-Type: text/plain\r\n\r\nhi\r\n", &id, &Default::default(), false).unwrap();
        let Some(crl) = crl else { return der };
        let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
        let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
        let list = x509_cert::crl::CertificateList::from_der(Crl::parse_all(&data(crl)).unwrap()[0].der()).unwrap();
        let choices = vec![cms::revocation::RevocationInfoChoice::Crl(list)];
        sd.crls = Some(cms::revocation::RevocationInfoChoices(der::asn1::SetOfVec::try_from(choices).unwrap()));
        let ci = cms::content_info::ContentInfo {
            content_type: ci.content_type,
            content: der::Any::encode_from(&sd).unwrap(),
        };
        ci.to_der().unwrap()
    }

    #[test]
    fn a_revoked_signer_is_caught_from_supplied_or_carried_crls() {
        // Supplied: Alice is on the issuing CA's CRL.
        let signed = signed_with_crl("alice", None);
        let v = verify(&signed, None, &options(&["crl/root.crl", "crl/intermediate.crl"])).unwrap();
        assert_eq!(v.report.verdict, Verdict::ValidUntrusted);
        assert!(v.report.failure().unwrap().contains("revoked"), "{:?}", v.report.failure());
        // Bob is not: trusted, and every certificate of the path is good.
        let signed = signed_with_crl("bob", None);
        let v = verify(&signed, None, &options(&["crl/root.crl", "crl/intermediate.crl"])).unwrap();
        assert_eq!(v.report.verdict, Verdict::Trusted, "{:?}", v.report.failure());
        let path = v.report.signers[0].path_validation.as_ref().unwrap();
        assert_eq!(path.revocation, vec![RevocationStatus::Good, RevocationStatus::Good]);
        // Carried in the message: the issuing CA's CRL travels in SignedData.crls.
        let signed = signed_with_crl("alice", Some("crl/intermediate.crl"));
        let v = verify(&signed, None, &options(&["crl/root.crl"])).unwrap();
        assert_eq!(v.report.verdict, Verdict::ValidUntrusted, "{:?}", v.report.failure());
        // Revocation checking off: the CRLs are not consulted.
        let mut off = options(&["crl/root.crl", "crl/intermediate.crl"]);
        off.check_revocation = false;
        let v = verify(&signed_with_crl("alice", None), None, &off).unwrap();
        assert_eq!(v.report.verdict, Verdict::Trusted);
    }

    #[test]
    fn a_missing_crl_is_unknown_by_default_and_a_failure_when_asked() {
        let signed = signed_with_crl("bob", None);
        let v = verify(&signed, None, &options(&["crl/intermediate.crl"])).unwrap();
        assert_eq!(v.report.verdict, Verdict::Unknown);
        assert!(matches!(v.report.signers[0].revocation, Check::Unknown { .. }));
        let mut strict = options(&["crl/intermediate.crl"]);
        strict.missing_revocation = MissingRevocation::Fail;
        let v = verify(&signed, None, &strict).unwrap();
        assert_eq!(v.report.verdict, Verdict::ValidUntrusted);
    }

    #[test]
    fn ocsp_responses_decide_what_no_crl_covers() {
        let mut o = options(&["crl/root.crl"]);
        o.missing_revocation = MissingRevocation::Fail;
        o.ocsp_responses = vec![data("crl/bob-good.ocsp"), data("crl/alice-revoked.ocsp")];
        let v = verify(&signed_with_crl("bob", None), None, &o).unwrap();
        assert_eq!(v.report.verdict, Verdict::Trusted, "{:?}", v.report.failure());
        let v = verify(&signed_with_crl("alice", None), None, &o).unwrap();
        assert_eq!(v.report.verdict, Verdict::ValidUntrusted);
        assert!(v.report.failure().unwrap().contains("KeyCompromise"), "{:?}", v.report.failure());
    }

    #[test]
    fn certificates_decoded_before_are_the_same_bytes_only() {
        use crate::ber::with_content_fields;
        let signed = signed_with_crl("bob", None);
        let first = Signed::parse(&signed).unwrap();
        let again = Signed::parse(&signed).unwrap();
        assert_eq!(first.certificates.decoded, again.certificates.decoded, "from the cache, the same");
        assert_eq!(first.certificates.der, again.certificates.der);
        // Trusted but for revocation (this signer's CRL is not given).
        assert_eq!(verify(&signed, None, &options(&[])).unwrap().report.verdict, Verdict::Unknown);
        // One byte of the last certificate's signature changed: decoded anew, not served from the cache.
        let edited = with_content_fields(&signed, |f| {
            let last = f[3].len() - 1;
            f[3][last] ^= 1;
        });
        let changed = Signed::parse(&edited).unwrap();
        let n = changed.certificates.der.len();
        assert_ne!(changed.certificates.der[n - 1], first.certificates.der[n - 1]);
        for (cert, der) in changed.certificates.decoded.iter().zip(&changed.certificates.der) {
            assert_eq!(&cert.to_der().unwrap(), der, "every certificate is its own bytes");
        }
        // The changed certificate no longer verifies under its issuer: no path.
        let verdict = verify(&edited, None, &options(&[])).unwrap().report.verdict;
        assert!(matches!(verdict, Verdict::ValidUntrusted | Verdict::Invalid), "{verdict:?}");
    }

    #[test]
    fn signed_data_counts_are_limited() {
        use crate::ber::{repeated, tlv, with_content_fields};
        let signed = signed_with_crl("bob", None);
        let limited = |der: &[u8]| matches!(verify(der, None, &options(&[])), Err(Error::LimitExceeded(_)));
        assert!(!limited(&signed));
        // version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos.
        assert_eq!(with_content_fields(&signed, |f| assert_eq!(f.len(), 5)), signed);
        let field = |i: usize, max: usize, tag: u8| {
            for (n, over) in [(max, false), (max + 1, true)] {
                let edited = with_content_fields(&signed, |f| f[i] = repeated(tag, &f[i], n));
                assert_eq!(limited(&edited), over, "field {i} with {n} elements");
            }
        };
        field(1, MAX_SIGNERS, 0x31);
        field(3, MAX_CERTIFICATES, 0xa0);
        field(4, MAX_SIGNERS, 0x31);
        // CRLs go before the signerInfos.
        let crl = Crl::parse_all(&data("crl/root.crl")).unwrap()[0].der().to_vec();
        for (n, over) in [(MAX_CRLS, false), (MAX_CRLS + 1, true)] {
            let edited = with_content_fields(&signed, |f| f.insert(4, tlv(0xa1, &crl.repeat(n))));
            assert_eq!(limited(&edited), over, "{n} CRLs");
        }
        // A signer's signed attributes, and the values of one.
        let signer = |edit: &dyn Fn(&[u8]) -> Vec<u8>| {
            with_content_fields(&signed, |f| {
                let si = ber::der_children(&f[4]).unwrap()[0];
                let si: Vec<Vec<u8>> = ber::der_children(si)
                    .unwrap()
                    .into_iter()
                    .map(|x| if x[0] == 0xa0 { edit(x) } else { x.to_vec() })
                    .collect();
                f[4] = tlv(0x31, &tlv(0x30, &si.concat()));
            })
        };
        assert!(!limited(&signer(&|attrs| repeated(0xa0, attrs, MAX_ATTRIBUTES))));
        assert!(limited(&signer(&|attrs| repeated(0xa0, attrs, MAX_ATTRIBUTES + 1))));
        let values = |n: usize| {
            signer(&|attrs| {
                let first = ber::der_children(attrs).unwrap()[0];
                let [oid, values] = ber::der_children(first).unwrap()[..] else { panic!("an attribute") };
                tlv(0xa0, &tlv(0x30, &[oid.to_vec(), repeated(0x31, values, n)].concat()))
            })
        };
        assert!(!limited(&values(MAX_ATTRIBUTES)));
        assert!(limited(&values(MAX_ATTRIBUTES + 1)));
        // Any other SET, e.g. deep inside a certificate.
        let big_rdn = tlv(0x30, &tlv(0x31, &tlv(0x30, &[0x06, 0x01, 0x2a, 0x05, 0x00]).repeat(1025)));
        assert!(limited(&with_content_fields(&signed, |f| f[3] = tlv(0xa0, &tlv(0x30, &big_rdn)))));
        // A second certificates field (where the big SET would escape the check) is refused, after
        // the real one or before it, and a certificates field out of place is checked too.
        let second = tlv(0xa0, &tlv(0x30, &big_rdn));
        for at in [4, 3, 2] {
            let two = with_content_fields(&signed, |f| f.insert(at, second.clone()));
            assert!(matches!(Signed::parse(&two), Err(Error::Malformed { .. })), "at {at}");
        }
        let moved = with_content_fields(&signed, |f| {
            f.remove(3);
            f.insert(2, second.clone());
        });
        assert!(Signed::parse(&moved).is_err());
    }

    #[test]
    fn certificates_and_crls_appear_at_most_once_and_in_order() {
        use crate::ber::{tlv, with_content_fields};
        let signed = signed_with_crl("bob", None);
        let crl = |name: &str| tlv(0xa1, Crl::parse_all(&data(name)).unwrap()[0].der());
        let (root, inter) = (crl("crl/root.crl"), crl("crl/intermediate.crl"));
        // version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos.
        let with = |edit: &dyn Fn(&mut Vec<Vec<u8>>)| with_content_fields(&signed, |f| edit(f));
        let crls_of = |der: &[u8]| Signed::parse(der).map(|s| s.crls.map(|c| c.0.len()));
        assert_eq!(crls_of(&signed).unwrap(), None);
        assert_eq!(crls_of(&with(&|f| f.insert(4, root.clone()))).unwrap(), Some(1));
        let no_certificates = with(&|f| {
            f.remove(3);
            f.insert(3, inter.clone());
        });
        assert_eq!(crls_of(&no_certificates).unwrap(), Some(1));
        // Two [1] fields: the second would silently replace the first.
        let twice = with(&|f| {
            f.insert(4, root.clone());
            f.insert(5, inter.clone());
        });
        assert!(matches!(crls_of(&twice), Err(Error::Malformed { .. })), "[0] [1] [1]");
        // [1] before [0], and [0] twice.
        let swapped = with(&|f| f.insert(3, root.clone()));
        assert!(matches!(crls_of(&swapped), Err(Error::Malformed { .. })), "[1] [0]");
        let certificates = with(&|_| {});
        let doubled = with(&|f| {
            let c = f[3].clone();
            f.insert(4, c);
        });
        assert!(crls_of(&certificates).is_ok());
        assert!(matches!(crls_of(&doubled), Err(Error::Malformed { .. })), "[0] [0]");
    }

    #[test]
    fn without_a_distribution_point_nothing_is_fetched() {
        // The test PKI names no distribution point, so the callback is never asked.
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = asked.clone();
        let mut o = options(&[]);
        o.fetch = Some(Fetcher(std::sync::Arc::new(move |_source: &RevocationSource| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            None
        })));
        let v = verify(&signed_with_crl("bob", None), None, &o).unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(v.report.verdict, Verdict::Unknown);
    }
}
