//! Names in certification paths: RFC 5280 section 7.1 comparison of distinguished names (for issuer and
//! subject chaining) and the name constraints of section 4.2.1.10 (sections 6.1.3 (b), (c) and 6.1.4 (g)).
//!
//! Supported name forms in constraints: rfc822Name, dNSName, directoryName, uniformResourceIdentifier and
//! iPAddress. A constraint of another form cannot be checked; a certificate carrying a name of that form
//! under such a constraint is refused, as the RFC requires.

use der::asn1::{Any, Ia5String};
use der::{Decode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::constraints::name::{GeneralSubtree, NameConstraints as NameConstraintsExt};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::{Name, RelativeDistinguishedName};
use x509_cert::Certificate;

use crate::oids;

/// Decodes a directory string value for comparison: the string types, after RFC 4518-like preparation
/// (case folded, outer whitespace removed, inner runs of whitespace made one space).
fn prepared(value: &Any) -> Option<String> {
    let text = match value.tag() {
        Tag::PrintableString | Tag::Utf8String | Tag::Ia5String | Tag::TeletexString | Tag::VisibleString => {
            String::from_utf8(value.value().to_vec()).ok()?
        }
        Tag::BmpString => {
            let units: Vec<u16> =
                value.value().chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])).collect();
            String::from_utf16(&units).ok()?
        }
        // UniversalString (tag 28), which der has no variant for.
        t if u8::from(t) == 0x1c => value
            .value()
            .chunks(4)
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                char::from_u32(u32::from_be_bytes(b))
            })
            .collect::<Option<String>>()?,
        _ => return None,
    };
    Some(text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
}

fn values_equal(a: &AttributeTypeAndValue, b: &AttributeTypeAndValue) -> bool {
    if a.oid != b.oid {
        return false;
    }
    match (prepared(&a.value), prepared(&b.value)) {
        (Some(x), Some(y)) => x == y,
        _ => a.value == b.value,
    }
}

fn rdns_equal(a: &RelativeDistinguishedName, b: &RelativeDistinguishedName) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().all(|x| b.0.iter().any(|y| values_equal(x, y)))
        && b.0.iter().all(|y| a.0.iter().any(|x| values_equal(x, y)))
}

/// RFC 5280 section 7.1 comparison of distinguished names: the same RDNs in the same order, attribute
/// values of string types compared case-insensitively with whitespace normalised, others as exact DER.
pub fn names_equal(a: &Name, b: &Name) -> bool {
    a.0.len() == b.0.len() && a.0.iter().zip(b.0.iter()).all(|(x, y)| rdns_equal(x, y))
}

/// Whether `prefix`'s RDNs begin `name`'s (directoryName subtrees).
fn dn_within(name: &Name, prefix: &Name) -> bool {
    prefix.0.len() <= name.0.len() && prefix.0.iter().zip(name.0.iter()).all(|(p, n)| rdns_equal(p, n))
}

/// Why a certificate violates the accumulated name constraints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameConstraintError {
    /// The name lies outside every permitted subtree of its form.
    NotPermitted {
        /// The name form (rfc822Name, dNSName, ...).
        kind: &'static str,
        /// The offending name.
        name: String,
    },
    /// The name lies inside an excluded subtree.
    Excluded {
        /// The name form.
        kind: &'static str,
        /// The offending name.
        name: String,
    },
    /// A name of a form that constraints exist for but Siegel cannot check.
    UnsupportedForm(String),
    /// The nameConstraints or subjectAltName extension is malformed.
    Malformed(String),
}

impl core::fmt::Display for NameConstraintError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NameConstraintError::NotPermitted { kind, name } => {
                write!(f, "the {kind} {name} is outside the names a CA above it may certify")
            }
            NameConstraintError::Excluded { kind, name } => {
                write!(f, "the {kind} {name} is among the names a CA above it excludes")
            }
            NameConstraintError::UnsupportedForm(kind) => {
                write!(f, "a {kind} under name constraints of that form cannot be checked")
            }
            NameConstraintError::Malformed(d) => write!(f, "malformed name extension: {d}"),
        }
    }
}

/// The permitted and excluded subtrees accumulated along a path.
#[derive(Clone, Debug, Default)]
pub struct NameConstraints {
    /// One list per constraining certificate: a name of a form present in a list must match one of its
    /// subtrees of that form (successive lists intersect).
    permitted: Vec<Vec<GeneralName>>,
    /// The union of every excluded subtree.
    excluded: Vec<GeneralName>,
}

/// The most subtrees accumulated, against hostile certificates.
const MAX_SUBTREES: usize = 1024;

/// A name of a certificate, reduced to the forms constraints apply to.
enum Subject<'a> {
    Dn(&'a Name),
    Email(String),
    Dns(String),
    Uri(String),
    Ip(Vec<u8>),
    Other(&'static str),
}

fn kind_of(g: &GeneralName) -> &'static str {
    match g {
        GeneralName::Rfc822Name(_) => "rfc822Name",
        GeneralName::DnsName(_) => "dNSName",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::UniformResourceIdentifier(_) => "URI",
        GeneralName::IpAddress(_) => "iPAddress",
        GeneralName::OtherName(_) => "otherName",
        GeneralName::EdiPartyName(_) => "ediPartyName",
        GeneralName::RegisteredId(_) => "registeredID",
    }
}

impl Subject<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Subject::Dn(_) => "directoryName",
            Subject::Email(_) => "rfc822Name",
            Subject::Dns(_) => "dNSName",
            Subject::Uri(_) => "URI",
            Subject::Ip(_) => "iPAddress",
            Subject::Other(k) => k,
        }
    }

    fn describe(&self) -> String {
        match self {
            Subject::Dn(n) => n.to_string(),
            Subject::Email(s) | Subject::Dns(s) | Subject::Uri(s) => s.clone(),
            Subject::Ip(b) => format!("{b:?}"),
            Subject::Other(k) => (*k).to_string(),
        }
    }

    /// Whether the name lies within the subtree `base`: false for a subtree of another form, None when the
    /// form is one Siegel cannot compare.
    fn within(&self, base: &GeneralName) -> Option<bool> {
        match (self, base) {
            (Subject::Dn(n), GeneralName::DirectoryName(b)) => Some(dn_within(n, b)),
            (Subject::Email(m), GeneralName::Rfc822Name(b)) => Some(email_within(m, b.as_str())),
            (Subject::Dns(d), GeneralName::DnsName(b)) => Some(dns_within(d, b.as_str())),
            (Subject::Uri(u), GeneralName::UniformResourceIdentifier(b)) => Some(uri_within(u, b.as_str())),
            (Subject::Ip(a), GeneralName::IpAddress(b)) => Some(ip_within(a, b.as_bytes())),
            (Subject::Other(k), other) if kind_of(other) == *k => None,
            // Constraints of another form do not apply to this name.
            _ => Some(false),
        }
    }
}

fn host_within(host: &str, constraint: &str) -> bool {
    let (host, constraint) = (host.to_ascii_lowercase(), constraint.to_ascii_lowercase());
    if let Some(domain) = constraint.strip_prefix('.') {
        host.len() > domain.len() && host.ends_with(&constraint) || host.ends_with(&format!(".{domain}"))
    } else {
        host == constraint
    }
}

fn email_within(mailbox: &str, constraint: &str) -> bool {
    let Some((local, host)) = mailbox.rsplit_once('@') else { return false };
    match constraint.rsplit_once('@') {
        Some((c_local, c_host)) => local == c_local && host.eq_ignore_ascii_case(c_host),
        None => host_within(host, constraint),
    }
}

fn dns_within(name: &str, constraint: &str) -> bool {
    let constraint = constraint.trim_start_matches('.').to_ascii_lowercase();
    if constraint.is_empty() {
        return true;
    }
    let name = name.to_ascii_lowercase();
    name == constraint || name.ends_with(&format!(".{constraint}"))
}

/// The host of a URI with an authority (`scheme://[userinfo@]host[:port]...`).
fn uri_host(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host =
        if host.starts_with('[') { host.split(']').next()?.trim_start_matches('[') } else { host.split(':').next()? };
    (!host.is_empty()).then(|| host.to_string())
}

fn uri_within(uri: &str, constraint: &str) -> bool {
    uri_host(uri).is_some_and(|h| host_within(&h, constraint))
}

fn ip_within(addr: &[u8], constraint: &[u8]) -> bool {
    let n = addr.len();
    if constraint.len() != 2 * n {
        return false;
    }
    let (base, mask) = constraint.split_at(n);
    addr.iter().zip(base).zip(mask).all(|((a, b), m)| a & m == b & m)
}

fn subjects(cert: &Certificate) -> Result<Vec<Subject<'_>>, NameConstraintError> {
    let mut out = Vec::new();
    let subject = &cert.tbs_certificate.subject;
    if !subject.0.is_empty() {
        out.push(Subject::Dn(subject));
    }
    // Legacy emailAddress attributes in the subject are rfc822Names too.
    for atv in subject.0.iter().flat_map(|rdn| rdn.0.iter()) {
        if atv.oid == oids::EMAIL_ADDRESS {
            let email = atv
                .value
                .decode_as::<Ia5String>()
                .map(|s| s.to_string())
                .map_err(|e| NameConstraintError::Malformed(format!("emailAddress: {e}")))?;
            out.push(Subject::Email(email));
        }
    }
    let exts = cert.tbs_certificate.extensions.as_deref().unwrap_or_default();
    for ext in exts.iter().filter(|e| e.extn_id == oids::EXT_SUBJECT_ALT_NAME) {
        let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
            .map_err(|e| NameConstraintError::Malformed(format!("subjectAltName: {e}")))?;
        for name in san.0 {
            out.push(match name {
                GeneralName::Rfc822Name(s) => Subject::Email(s.to_string()),
                GeneralName::DnsName(s) => Subject::Dns(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => Subject::Uri(s.to_string()),
                GeneralName::IpAddress(o) => Subject::Ip(o.as_bytes().to_vec()),
                GeneralName::DirectoryName(_) => Subject::Other("directoryName in subjectAltName"),
                other => Subject::Other(kind_of(&other)),
            });
        }
    }
    Ok(out)
}

impl NameConstraints {
    /// The initial state: everything permitted, nothing excluded.
    pub fn new() -> Self {
        NameConstraints::default()
    }

    /// RFC 5280 6.1.3 (b), (c): checks the certificate's subject (and its emailAddress attributes) and every
    /// subjectAltName entry against the accumulated subtrees. The caller skips self-issued intermediates.
    pub fn check(&self, cert: &Certificate) -> Result<(), NameConstraintError> {
        if self.permitted.is_empty() && self.excluded.is_empty() {
            return Ok(());
        }
        // directoryNames in the subjectAltName are checked like the subject.
        let exts = cert.tbs_certificate.extensions.as_deref().unwrap_or_default();
        let mut san_dns: Vec<Name> = Vec::new();
        for ext in exts.iter().filter(|e| e.extn_id == oids::EXT_SUBJECT_ALT_NAME) {
            if let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes()) {
                san_dns.extend(san.0.into_iter().filter_map(|g| match g {
                    GeneralName::DirectoryName(n) => Some(n),
                    _ => None,
                }));
            }
        }
        let mut names = subjects(cert)?;
        names.retain(|s| !matches!(s, Subject::Other("directoryName in subjectAltName")));
        names.extend(san_dns.iter().map(Subject::Dn));
        for name in &names {
            self.check_one(name)?;
        }
        Ok(())
    }

    fn check_one(&self, name: &Subject<'_>) -> Result<(), NameConstraintError> {
        let kind = name.kind();
        for ex in &self.excluded {
            match name.within(ex) {
                Some(true) => return Err(NameConstraintError::Excluded { kind, name: name.describe() }),
                None => return Err(NameConstraintError::UnsupportedForm(kind.into())),
                Some(false) => {}
            }
        }
        for list in &self.permitted {
            let of_kind: Vec<&GeneralName> = list.iter().filter(|g| kind_of(g) == kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            if let Subject::Other(_) = name {
                return Err(NameConstraintError::UnsupportedForm(kind.into()));
            }
            if !of_kind.iter().any(|g| name.within(g) == Some(true)) {
                return Err(NameConstraintError::NotPermitted { kind, name: name.describe() });
            }
        }
        Ok(())
    }

    /// RFC 5280 6.1.4 (g): adds the certificate's nameConstraints (permitted: intersected; excluded:
    /// united). A malformed extension, or subtrees with a minimum or maximum, are errors.
    pub fn update(&mut self, cert: &Certificate) -> Result<(), NameConstraintError> {
        let exts = cert.tbs_certificate.extensions.as_deref().unwrap_or_default();
        let Some(ext) = exts.iter().find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_NAME_CONSTRAINTS) else {
            return Ok(());
        };
        let nc = NameConstraintsExt::from_der(ext.extn_value.as_bytes())
            .map_err(|e| NameConstraintError::Malformed(format!("nameConstraints: {e}")))?;
        let bases = |trees: Option<Vec<GeneralSubtree>>| -> Result<Vec<GeneralName>, NameConstraintError> {
            trees
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    if t.minimum != 0 || t.maximum.is_some() {
                        Err(NameConstraintError::Malformed("subtree with a minimum or maximum".into()))
                    } else {
                        Ok(t.base)
                    }
                })
                .collect()
        };
        let permitted = bases(nc.permitted_subtrees)?;
        let excluded = bases(nc.excluded_subtrees)?;
        if self.permitted.iter().map(Vec::len).sum::<usize>() + self.excluded.len() + permitted.len() + excluded.len()
            > MAX_SUBTREES
        {
            return Err(NameConstraintError::Malformed("too many name constraint subtrees".into()));
        }
        if !permitted.is_empty() {
            self.permitted.push(permitted);
        }
        self.excluded.extend(excluded);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn names_compare_case_and_whitespace_insensitively() {
        let a = Name::from_str("CN=Good CA,O=Test Certificates 2011,C=US").unwrap();
        let b = Name::from_str("CN=good   ca,O=Test Certificates 2011,C=US").unwrap();
        let c = Name::from_str("CN=Good CA,O=Other,C=US").unwrap();
        assert!(names_equal(&a, &b));
        assert!(!names_equal(&a, &c));
        assert!(dn_within(&a, &Name::from_str("O=Test Certificates 2011,C=US").unwrap()));
    }

    #[test]
    fn host_forms() {
        assert!(email_within("alice@example.com", "example.com"));
        assert!(!email_within("alice@mail.example.com", "example.com"));
        assert!(email_within("alice@mail.example.com", ".example.com"));
        assert!(email_within("alice@example.com", "alice@EXAMPLE.com"));
        assert!(!email_within("bob@example.com", "alice@example.com"));
        assert!(dns_within("www.example.com", "example.com"));
        assert!(!dns_within("wwwexample.com", "example.com"));
        assert!(uri_within("http://host.example.com:8080/x", ".example.com"));
        assert!(!uri_within("http://example.com/x", ".example.com"));
        assert!(uri_within("http://user@example.com/x", "example.com"));
        assert!(!uri_within("urn:example.com", "example.com"));
        assert!(ip_within(&[192, 168, 1, 7], &[192, 168, 0, 0, 255, 255, 0, 0]));
        assert!(!ip_within(&[10, 0, 0, 1], &[192, 168, 0, 0, 255, 255, 0, 0]));
    }
}
