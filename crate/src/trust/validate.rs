//! RFC 5280 section 6 certification path validation, and the report that says why a path is or is not
//! trusted.
//!
//! [`validate`] builds every candidate path ([`super::path`]) and runs the basic path validation
//! algorithm on each: signatures, validity, revocation ([`super::crl`]), name chaining and name constraints
//! ([`super::names`]), certificate policies ([`super::policy`]), basicConstraints and pathLenConstraint,
//! keyUsage, unknown critical extensions, and the end entity's purpose (signing or key encipherment, with
//! emailProtection). The first path that passes is the verdict; otherwise the report holds the failures of
//! the best path tried.

use der::Decode;
use serde::Serialize;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::Certificate;

use super::crl::{self, Crl, RevocationContext, RevocationStatus};
use super::names::{names_equal, NameConstraints};
use super::ocsp::{self, OcspContext};
use super::path::{self, SearchLimits};
use super::policy::{PolicySettings, PolicyState};
use super::sig;
use crate::{cert, clock, oids};

/// What the end-entity certificate is to be used for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// No end-entity checks beyond RFC 5280 (the PKITS setting).
    #[default]
    Any,
    /// Signing mail: keyUsage digitalSignature or nonRepudiation; extKeyUsage emailProtection or any.
    EmailSigning,
    /// Encrypting mail to it: keyUsage keyEncipherment for an RSA key (key transport), keyAgreement for
    /// an EC key (ECDH, RFC 8550 section 4.4.2); extKeyUsage emailProtection or any.
    EmailEncryption,
}

/// What a missing or unusable CRL means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingRevocation {
    /// The verdict is "unknown" (the default).
    #[default]
    Unknown,
    /// The path is not trusted.
    Fail,
}

/// The inputs of path validation besides the certificates.
#[derive(Clone, Debug)]
pub struct ValidationOptions {
    /// The validation time, Unix seconds.
    pub time: u64,
    /// Accept SHA-1 certificate and CRL signatures.
    pub allow_sha1: bool,
    /// The end entity's purpose.
    pub purpose: Purpose,
    /// The initial policy inputs (RFC 5280 6.1.1).
    pub policy: PolicySettings,
    /// Check revocation with the CRLs given to [`validate`].
    pub check_revocation: bool,
    /// What a certificate no CRL covers means, when revocation is checked.
    pub missing_revocation: MissingRevocation,
    /// When revocation is checked: a certificate that names no CRL distribution point and no OCSP
    /// responder, and that no CRL or OCSP response at hand covers, is [`RevocationStatus::Unpublished`]
    /// and passes, instead of unknown. A reader uses it (its CA publishes nothing to check, as with many
    /// in-house CAs); a strict sender check does not.
    pub accept_unpublished: bool,
    /// Bounds on path building.
    pub limits: SearchLimits,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            time: clock::now_unix(),
            allow_sha1: false,
            purpose: Purpose::Any,
            policy: PolicySettings::default(),
            check_revocation: false,
            missing_revocation: MissingRevocation::Unknown,
            accept_unpublished: false,
            limits: SearchLimits::default(),
        }
    }
}

/// The certificates validation may use.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// Trust anchors.
    pub anchors: &'a [&'a Certificate],
    /// Intermediates: the collection's, and those carried in the message.
    pub intermediates: &'a [&'a Certificate],
    /// CRLs (supplied files, carried in the message, fetched).
    pub crls: &'a [Crl],
    /// DER OCSP responses the host fetched; consulted for a certificate no CRL decides.
    pub ocsp_responses: &'a [Vec<u8>],
}

/// One failed check, with what a person needs to act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "check", rename_all = "camelCase")]
pub enum Failure {
    /// No chain of issuers leads to a trust anchor.
    NoPathToAnchor {
        /// The issuer that could not be found.
        missing_issuer: String,
    },
    /// A certificate's signature does not verify with its issuer's key.
    Signature {
        /// The certificate.
        subject: String,
        /// Why.
        detail: String,
    },
    /// Outside the validity period at the validation time.
    Validity {
        /// The certificate.
        subject: String,
        /// notBefore, RFC 3339.
        not_before: String,
        /// notAfter, RFC 3339.
        not_after: String,
    },
    /// The issuer name does not match the previous certificate's subject.
    NameChaining {
        /// The certificate.
        subject: String,
    },
    /// A CA certificate in the path is not a CA (basicConstraints).
    NotCa {
        /// The certificate.
        subject: String,
    },
    /// pathLenConstraint exceeded.
    PathLength {
        /// The certificate that exceeded it.
        subject: String,
    },
    /// keyUsage does not allow what is needed.
    KeyUsage {
        /// The certificate.
        subject: String,
        /// What was missing.
        needed: String,
    },
    /// extKeyUsage lacks emailProtection (and anyExtendedKeyUsage).
    ExtendedKeyUsage {
        /// The certificate.
        subject: String,
    },
    /// A name outside the permitted or inside the excluded subtrees.
    NameConstraints {
        /// The certificate.
        subject: String,
        /// Why.
        detail: String,
    },
    /// Certificate policy processing failed.
    Policy {
        /// Why.
        detail: String,
    },
    /// A critical extension Siegel does not process, or a malformed one.
    Extension {
        /// The certificate.
        subject: String,
        /// Which extension, and what is wrong.
        detail: String,
    },
    /// The certificate has been revoked.
    Revoked {
        /// The certificate.
        subject: String,
        /// When, RFC 3339.
        revoked_at: String,
        /// The CRL's reason code, if given.
        reason: Option<crl::Reason>,
    },
    /// No CRL tells whether the certificate is revoked.
    RevocationUnknown {
        /// The certificate.
        subject: String,
        /// What was missing.
        detail: String,
    },
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::NoPathToAnchor { missing_issuer } => {
                write!(f, "no chain to a trusted CA: the issuer {missing_issuer} is not among the trusted or supplied certificates")
            }
            Failure::Signature { subject, detail } => write!(f, "the signature on {subject} is bad: {detail}"),
            Failure::Validity { subject, not_before, not_after } => {
                write!(f, "{subject} is valid only from {not_before} to {not_after}")
            }
            Failure::NameChaining { subject } => write!(f, "the issuer of {subject} does not match the CA above it"),
            Failure::NotCa { subject } => {
                write!(f, "{subject} is not a CA certificate (basicConstraints) but issued one")
            }
            Failure::PathLength { subject } => write!(f, "{subject} is beyond the CA path length allowed above it"),
            Failure::KeyUsage { subject, needed } => write!(f, "the key usage of {subject} does not allow {needed}"),
            Failure::ExtendedKeyUsage { subject } => {
                write!(f, "{subject} is not for email protection (extended key usage)")
            }
            Failure::NameConstraints { subject, detail } => write!(f, "{subject} violates name constraints: {detail}"),
            Failure::Policy { detail } => write!(f, "certificate policies: {detail}"),
            Failure::Extension { subject, detail } => write!(f, "{subject}: {detail}"),
            Failure::Revoked { subject, revoked_at, reason } => match reason {
                Some(r) => write!(f, "{subject} was revoked at {revoked_at} ({r:?})"),
                None => write!(f, "{subject} was revoked at {revoked_at}"),
            },
            Failure::RevocationUnknown { subject, detail } => {
                write!(f, "the revocation status of {subject} is unknown: {detail}")
            }
        }
    }
}

/// The verdict on a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustVerdict {
    /// A path to a trust anchor passed every check.
    Trusted,
    /// Every path failed a check.
    NotTrusted,
    /// A path passed every check but revocation could not be determined.
    Unknown,
}

/// The outcome of path validation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathReport {
    /// The verdict.
    pub verdict: TrustVerdict,
    /// The path chosen (or the best one tried), end entity first, anchor last.
    pub path: Vec<cert::Summary>,
    /// The failed checks of that path; empty when trusted.
    pub failures: Vec<Failure>,
    /// The revocation status of each certificate of the path but the anchor (when checked).
    pub revocation: Vec<RevocationStatus>,
    /// The user-constrained policy set (dotted OIDs), when policy processing finished.
    pub policies: Vec<String>,
    /// How many candidate paths were tried.
    pub paths_tried: usize,
    /// The certificates of [`PathReport::path`], for a host that must fetch revocation data for them.
    #[serde(skip)]
    pub certificates: Vec<Certificate>,
}

impl PathReport {
    /// The first failure as a sentence, or None when trusted.
    pub fn reason(&self) -> Option<String> {
        self.failures.first().map(|f| f.to_string())
    }
}

fn subject(c: &Certificate) -> String {
    crate::dn::to_string(&c.tbs_certificate.subject)
}

/// Extensions this validator processes (others, when critical, fail the certificate).
const KNOWN_EXTENSIONS: &[const_oid::ObjectIdentifier] = &[
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.14"), // subjectKeyIdentifier
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.15"), // keyUsage
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.17"), // subjectAltName
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.18"), // issuerAltName
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.19"), // basicConstraints
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.30"), // nameConstraints
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.31"), // cRLDistributionPoints
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.32"), // certificatePolicies
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.33"), // policyMappings
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.35"), // authorityKeyIdentifier
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.36"), // policyConstraints
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.37"), // extKeyUsage
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.46"), // freshestCRL
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.54"), // inhibitAnyPolicy
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1"), // authorityInfoAccess
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.11"), // subjectInfoAccess
];

fn unknown_critical(c: &Certificate) -> Option<String> {
    let exts = c.tbs_certificate.extensions.as_deref().unwrap_or_default();
    exts.iter()
        .find(|e| e.critical && !KNOWN_EXTENSIONS.contains(&e.extn_id))
        .map(|e| format!("unsupported critical extension {}", oids::name(&e.extn_id)))
}

/// Decodes an extension strictly: Ok(None) when absent, Err when malformed or duplicated.
fn strict<'a, T: Decode<'a>>(c: &'a Certificate, oid: const_oid::ObjectIdentifier) -> Result<Option<T>, String> {
    let exts = c.tbs_certificate.extensions.as_deref().unwrap_or_default();
    let mut found = exts.iter().filter(|e| e.extn_id == oid);
    let Some(e) = found.next() else { return Ok(None) };
    if found.next().is_some() {
        return Err(format!("the {} extension appears twice", oids::name(&oid)));
    }
    T::from_der(e.extn_value.as_bytes())
        .map(Some)
        .map_err(|err| format!("malformed {} extension: {err}", oids::name(&oid)))
}

/// Validates `leaf` against the inputs: tries each candidate path, returns the first that passes or the
/// report of the best failing one.
pub fn validate(leaf: &Certificate, inputs: &Inputs<'_>, options: &ValidationOptions) -> PathReport {
    validate_depth(leaf, inputs, options, 0)
}

/// Clock skew allowed for OCSP thisUpdate/nextUpdate, seconds.
const OCSP_SKEW: u64 = 300;

/// The deepest recursion for validating CRL signers (whose own CRLs may have other signers ...).
const MAX_SIGNER_DEPTH: usize = 3;

fn validate_depth(leaf: &Certificate, inputs: &Inputs<'_>, options: &ValidationOptions, depth: usize) -> PathReport {
    let search = path::find_paths(leaf, inputs.anchors, inputs.intermediates, options.limits);
    if search.paths.is_empty() {
        let last = search.longest_partial.last().copied().unwrap_or(leaf);
        return PathReport {
            verdict: TrustVerdict::NotTrusted,
            path: search.longest_partial.iter().map(|c| cert::Summary::of(c)).collect(),
            failures: vec![Failure::NoPathToAnchor {
                missing_issuer: crate::dn::to_string(&last.tbs_certificate.issuer),
            }],
            revocation: Vec::new(),
            policies: Vec::new(),
            paths_tried: 0,
            certificates: search.longest_partial.iter().map(|c| (*c).clone()).collect(),
        };
    }
    let mut best: Option<PathReport> = None;
    let tried = search.paths.len();
    for candidate in &search.paths {
        let mut report = validate_path(candidate, inputs, options, depth);
        report.paths_tried = tried;
        if report.verdict == TrustVerdict::Trusted {
            return report;
        }
        // Prefer "unknown" over "not trusted", then the path with the fewest failures.
        let better = match &best {
            None => true,
            Some(b) => {
                (report.verdict == TrustVerdict::Unknown && b.verdict == TrustVerdict::NotTrusted)
                    || (report.verdict == b.verdict && report.failures.len() < b.failures.len())
            }
        };
        if better {
            best = Some(report);
        }
    }
    best.unwrap_or_else(|| PathReport {
        verdict: TrustVerdict::NotTrusted,
        path: Vec::new(),
        failures: vec![Failure::NoPathToAnchor { missing_issuer: crate::dn::to_string(&leaf.tbs_certificate.issuer) }],
        revocation: Vec::new(),
        policies: Vec::new(),
        paths_tried: tried,
        certificates: Vec::new(),
    })
}

/// RFC 5280 6.1 on one path (end entity first, anchor last).
fn validate_path(path: &[&Certificate], inputs: &Inputs<'_>, options: &ValidationOptions, depth: usize) -> PathReport {
    let mut failures = Vec::new();
    let mut revocation = Vec::new();
    let mut policies = Vec::new();
    let summaries = path.iter().map(|c| cert::Summary::of(c)).collect();
    let Some((&anchor, rest)) = path.split_last() else {
        return PathReport {
            verdict: TrustVerdict::NotTrusted,
            path: summaries,
            failures: vec![Failure::Policy { detail: "empty path".into() }],
            revocation,
            policies,
            paths_tried: 1,
            certificates: Vec::new(),
        };
    };
    // Certificates from the one after the anchor down to the end entity: i = 1..=n.
    let chain: Vec<&Certificate> = rest.iter().rev().copied().collect();
    let n = chain.len();

    // 6.1.2 initialisation from the trust anchor.
    let mut working_key = &anchor.tbs_certificate.subject_public_key_info;
    let mut working_params = sig::parameters(working_key);
    let mut working_issuer = &anchor.tbs_certificate.subject;
    let mut max_path_length = n;
    let mut constraints = NameConstraints::new();
    let mut policy = PolicyState::new(&options.policy, n);
    let mut issuer_cert = anchor;
    let all_certs: Vec<&Certificate> = inputs.anchors.iter().chain(inputs.intermediates.iter()).copied().collect();

    for (idx, &c) in chain.iter().enumerate() {
        let i = idx + 1;
        let name = subject(c);
        let self_issued = names_equal(&c.tbs_certificate.subject, &c.tbs_certificate.issuer);
        // (a)(1) signature.
        let inherited = if sig::needs_inherited_parameters(working_key) { working_params.as_ref() } else { None };
        if let Err(e) = sig::verify_certificate(c, working_key, inherited, options.allow_sha1) {
            failures.push(Failure::Signature { subject: name.clone(), detail: e.to_string() });
        }
        // (a)(2) validity.
        if !cert::valid_at(c, options.time) {
            let s = cert::Summary::of(c);
            failures.push(Failure::Validity {
                subject: name.clone(),
                not_before: s.not_before.clone(),
                not_after: s.not_after.clone(),
            });
        }
        // (a)(4) name chaining.
        if !names_equal(&c.tbs_certificate.issuer, working_issuer) {
            failures.push(Failure::NameChaining { subject: name.clone() });
        }
        // (a)(3) revocation, once the signature chain is known to be sound.
        if options.check_revocation && failures.is_empty() {
            let validate_signer = |signer: &Certificate| -> Result<(), String> {
                if depth >= MAX_SIGNER_DEPTH {
                    return Err("CRL signer chain too deep".into());
                }
                let report = validate_depth(signer, inputs, options, depth + 1);
                match report.verdict {
                    TrustVerdict::Trusted => Ok(()),
                    _ => Err(report.reason().unwrap_or_else(|| "CRL signer not trusted".into())),
                }
            };
            let ctx = RevocationContext {
                crls: inputs.crls,
                time: options.time,
                allow_sha1: options.allow_sha1,
                candidates: &all_certs,
                validate_signer: &validate_signer,
            };
            let mut status = crl::check(c, issuer_cert, inherited, &ctx);
            if let RevocationStatus::Unknown { reason: crl_reason } = &status {
                let ocsp_ctx = OcspContext {
                    responses: inputs.ocsp_responses,
                    time: options.time,
                    allow_sha1: options.allow_sha1,
                    nonce: None,
                    skew: OCSP_SKEW,
                };
                status = match ocsp::check(c, issuer_cert, &ocsp_ctx) {
                    Some(RevocationStatus::Unknown { reason }) => {
                        RevocationStatus::Unknown { reason: format!("{crl_reason}; OCSP: {reason}") }
                    }
                    Some(decided) => decided,
                    None => status,
                };
            }
            if options.accept_unpublished
                && matches!(status, RevocationStatus::Unknown { .. })
                && !publishes_revocation(c)
            {
                status = RevocationStatus::Unpublished;
            }
            match &status {
                RevocationStatus::Good | RevocationStatus::Unpublished => {}
                RevocationStatus::Revoked { revoked_at, reason } => failures.push(Failure::Revoked {
                    subject: name.clone(),
                    revoked_at: clock::format_rfc3339(*revoked_at),
                    reason: *reason,
                }),
                RevocationStatus::Unknown { reason } => {
                    if options.missing_revocation == MissingRevocation::Fail {
                        failures.push(Failure::RevocationUnknown { subject: name.clone(), detail: reason.clone() });
                    }
                }
            }
            revocation.push(status);
        }
        // (b), (c) name constraints, except for self-issued intermediates.
        if !(self_issued && i < n) {
            if let Err(e) = constraints.check(c) {
                failures.push(Failure::NameConstraints { subject: name.clone(), detail: e.to_string() });
            }
        }
        // (d)-(f) policies.
        if let Err(e) = policy.process(c, i, self_issued) {
            failures.push(Failure::Policy { detail: e.to_string() });
        }
        if i == n {
            // 6.1.5 wrap-up.
            if let Some(detail) = unknown_critical(c) {
                failures.push(Failure::Extension { subject: name.clone(), detail });
            }
            end_entity_checks(c, options.purpose, &name, &mut failures);
            let policy_state = core::mem::replace(&mut policy, PolicyState::new(&options.policy, 0));
            match policy_state.finish(c, self_issued) {
                Ok(outcome) => policies = outcome.user_constrained_policies.iter().map(|o| o.to_string()).collect(),
                Err(e) => failures.push(Failure::Policy { detail: e.to_string() }),
            }
            break;
        }
        // 6.1.4 preparation for certificate i + 1.
        if let Err(e) = policy.prepare_next(c, i, self_issued) {
            failures.push(Failure::Policy { detail: e.to_string() });
        }
        working_issuer = &c.tbs_certificate.subject;
        let key = &c.tbs_certificate.subject_public_key_info;
        // (d)-(f): the working key; DSA keys without parameters keep the previous ones.
        if let Some(p) = sig::parameters(key) {
            working_params = Some(p);
        } else if key.algorithm.oid != working_key.algorithm.oid {
            working_params = None;
        }
        working_key = key;
        // (g) name constraints.
        if let Err(e) = constraints.update(c) {
            failures.push(Failure::NameConstraints { subject: name.clone(), detail: e.to_string() });
        }
        // (k) basicConstraints: v3 CAs must say cA; v1/v2 certificates cannot be shown to be CAs.
        match strict::<BasicConstraints>(c, oids::EXT_BASIC_CONSTRAINTS) {
            Ok(Some(bc)) if bc.ca => {
                // (l) path length, (m) pathLenConstraint.
                if !self_issued {
                    if max_path_length == 0 {
                        failures.push(Failure::PathLength { subject: name.clone() });
                    }
                    max_path_length = max_path_length.saturating_sub(1);
                }
                if let Some(len) = bc.path_len_constraint {
                    max_path_length = max_path_length.min(usize::from(len));
                }
            }
            Ok(_) => failures.push(Failure::NotCa { subject: name.clone() }),
            Err(detail) => failures.push(Failure::Extension { subject: name.clone(), detail }),
        }
        // (n) keyUsage must allow keyCertSign.
        match strict::<KeyUsage>(c, oids::EXT_KEY_USAGE) {
            Ok(Some(ku)) if !ku.0.contains(KeyUsages::KeyCertSign) => {
                failures.push(Failure::KeyUsage { subject: name.clone(), needed: "certificate signing".into() })
            }
            Ok(_) => {}
            Err(detail) => failures.push(Failure::Extension { subject: name.clone(), detail }),
        }
        // (o) unknown critical extensions.
        if let Some(detail) = unknown_critical(c) {
            failures.push(Failure::Extension { subject: name.clone(), detail });
        }
        issuer_cert = c;
    }
    if n == 0 {
        // The end entity is itself a trust anchor: only its own validity and purpose are left.
        let name = subject(anchor);
        if !cert::valid_at(anchor, options.time) {
            let s = cert::Summary::of(anchor);
            failures.push(Failure::Validity {
                subject: name.clone(),
                not_before: s.not_before.clone(),
                not_after: s.not_after.clone(),
            });
        }
        end_entity_checks(anchor, options.purpose, &name, &mut failures);
    }

    let unknown = revocation.iter().any(|s| matches!(s, RevocationStatus::Unknown { .. }));
    let verdict = if !failures.is_empty() {
        TrustVerdict::NotTrusted
    } else if unknown {
        TrustVerdict::Unknown
    } else {
        TrustVerdict::Trusted
    };
    let certificates = path.iter().map(|c| (*c).clone()).collect();
    PathReport { verdict, path: summaries, failures, revocation, policies, paths_tried: 1, certificates }
}

/// keyUsage and extKeyUsage of the end entity for its purpose.
fn end_entity_checks(c: &Certificate, purpose: Purpose, name: &str, failures: &mut Vec<Failure>) {
    let ec = c.tbs_certificate.subject_public_key_info.algorithm.oid == oids::EC_PUBLIC_KEY;
    let (needed, ok): (&str, fn(&KeyUsage) -> bool) = match purpose {
        Purpose::Any => return,
        Purpose::EmailSigning => {
            ("signing (digitalSignature or nonRepudiation)", |ku| ku.digital_signature() || ku.non_repudiation())
        }
        Purpose::EmailEncryption if ec => ("key agreement", |ku| ku.key_agreement()),
        Purpose::EmailEncryption => ("key encipherment", |ku| ku.key_encipherment()),
    };
    match strict::<KeyUsage>(c, oids::EXT_KEY_USAGE) {
        Ok(Some(ku)) if !ok(&ku) => failures.push(Failure::KeyUsage { subject: name.into(), needed: needed.into() }),
        Ok(_) => {}
        Err(detail) => failures.push(Failure::Extension { subject: name.into(), detail }),
    }
    match strict::<ExtendedKeyUsage>(c, oids::EXT_EXTENDED_KEY_USAGE) {
        Ok(Some(eku))
            if !eku.0.iter().any(|o| *o == oids::KP_EMAIL_PROTECTION || *o == oids::ANY_EXTENDED_KEY_USAGE) =>
        {
            failures.push(Failure::ExtendedKeyUsage { subject: name.into() })
        }
        Ok(_) => {}
        Err(detail) => failures.push(Failure::Extension { subject: name.into(), detail }),
    }
}

/// Whether a certificate says where its revocation status is published: a CRL distribution point (any
/// kind, not only http) or an OCSP responder.
fn publishes_revocation(c: &Certificate) -> bool {
    let cdp = const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS;
    c.tbs_certificate.extensions.iter().flatten().any(|e| e.extn_id == cdp) || !ocsp::responder_urls(c).is_empty()
}
