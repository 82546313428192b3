//! RFC 5280 names: comparison of distinguished names (section 7.1) and name constraints (sections 4.2.1.10,
//! 6.1.3 (b),(c) and 6.1.4 (g)).
//!
//! [`names_equal`] decides whether an issuer name and a subject name are the same name, which is how a
//! certification path chains. [`NameConstraints`] is the `permitted_subtrees`/`excluded_subtrees` state of
//! path validation: [`NameConstraints::update`] folds in a CA certificate's nameConstraints extension and
//! [`NameConstraints::check`] tests a later certificate's names against everything accumulated so far.
//!
//! Choices and limits, all on the side of rejecting rather than accepting:
//! - String preparation is the useful part of RFC 4518: transcoding, the "map to nothing" characters,
//!   whitespace mapping, Unicode lowercasing (not full case folding) and insignificant-space handling.
//!   NFKC normalisation is not done (it needs Unicode tables the crate does not carry), so names differing
//!   only in normalisation form compare unequal and a chain across them does not build.
//! - IA5String values (emailAddress, domainComponent) compare case-insensitively too, as their
//!   caseIgnoreIA5Match rule says. TeletexString is read as ISO 8859-1, as issuers use it in practice.
//!   UniversalString cannot occur: the `der` crate rejects that tag, so such a certificate does not decode.
//! - A GeneralSubtree with `minimum` other than 0 or with a `maximum` (which RFC 5280 says MUST NOT
//!   happen) makes the whole extension malformed, so the path is rejected.
//! - otherName, x400Address, ediPartyName and registeredID names cannot be checked; such a name is an
//!   [`NameConstraintError::UnsupportedForm`] error only when some CA in the path constrains that form.
//! - An empty subject is not checked as a directoryName (its names are in subjectAltName).
//! - A trailing dot of a dNSName or URI host is ignored on both sides, so "host.example." cannot escape
//!   an exclusion of "example".

use core::fmt;

use der::asn1::Any;
use der::{Decode, Encode, Sequence, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RelativeDistinguishedName};
use x509_cert::Certificate;

use crate::oids;

/// id-ce-subjectAltName
const SUBJECT_ALT_NAME: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
/// id-ce-nameConstraints
const NAME_CONSTRAINTS: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_NAME_CONSTRAINTS;

// ---------------------------------------------------------------------------------------------------------
// Distinguished name comparison (RFC 5280 section 7.1)
// ---------------------------------------------------------------------------------------------------------

/// RFC 5280 section 7.1 comparison of distinguished names (issuer/subject chaining): same RDN sequence,
/// same attribute types; values compared after RFC 4518-style preparation for string types
/// (PrintableString, UTF8String, TeletexString/BMPString/UniversalString where decodable): case-insensitive
/// (Unicode lowercase), leading/trailing whitespace removed, internal whitespace runs collapsed to one space.
/// Values of other types are compared as exact DER. Multi-valued RDNs compared as sets.
///
/// IA5String values (emailAddress, domainComponent) are prepared the same way; see the module
/// documentation for the other limits.
pub fn names_equal(a: &Name, b: &Name) -> bool {
    a.0.len() == b.0.len() && a.0.iter().zip(b.0.iter()).all(|(x, y)| rdns_equal(x, y))
}

/// True when the RDNs of `prefix` are the first RDNs of `name` (directoryName subtree membership).
fn name_has_prefix(name: &Name, prefix: &Name) -> bool {
    prefix.0.len() <= name.0.len() && prefix.0.iter().zip(name.0.iter()).all(|(x, y)| rdns_equal(x, y))
}

/// Two RDNs are equal when their attribute sets are: every attribute of one matches a distinct attribute
/// of the other. Attribute equality is an equivalence relation, so greedy matching is exact.
fn rdns_equal(a: &RelativeDistinguishedName, b: &RelativeDistinguishedName) -> bool {
    if a == b {
        // The same attributes with the same encodings (an issuer name copied from its CA's subject,
        // the usual case): equal after any preparation, without preparing.
        return true;
    }
    let (a, b) = (a.0.as_slice(), b.0.as_slice());
    if a.len() != b.len() {
        return false;
    }
    let b: Vec<(&AttributeTypeAndValue, Prepared)> = b.iter().map(|atv| (atv, prepared(&atv.value))).collect();
    let mut used = vec![false; b.len()];
    'outer: for x in a {
        let px = prepared(&x.value);
        for ((y, py), taken) in b.iter().zip(used.iter_mut()) {
            if !*taken && x.oid == y.oid && px == *py {
                *taken = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// An attribute value ready for comparison.
#[derive(PartialEq, Eq, Debug)]
enum Prepared {
    /// A string value after RFC 4518-style preparation.
    Text(String),
    /// Anything else (or a string that could not be decoded): the tag byte and the value octets.
    Der(Tag, Vec<u8>),
}

fn prepared(value: &Any) -> Prepared {
    match decode_text(value) {
        Some(s) => Prepared::Text(prepare_string(&s)),
        None => Prepared::Der(value.tag(), value.value().to_vec()),
    }
}

/// The characters of a string-typed attribute value, or `None` for other types and undecodable values.
fn decode_text(value: &Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => {
            if bytes.is_ascii() {
                Some(bytes.iter().map(|&b| char::from(b)).collect())
            } else {
                None
            }
        }
        Tag::Utf8String => core::str::from_utf8(bytes).ok().map(str::to_owned),
        // T.61 in theory, ISO 8859-1 in the certificates that exist.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes.chunks_exact(2).map(|c| c.iter().fold(0u16, |acc, &b| (acc << 8) | u16::from(b)));
            char::decode_utf16(units).collect::<Result<String, _>>().ok()
        }
        _ => None,
    }
}

/// RFC 4518 string preparation, without NFKC: drop the "map to nothing" characters, lowercase, and keep
/// exactly one space between words and none at the ends.
fn prepare_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if maps_to_nothing(c) {
            continue;
        }
        if is_space(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// RFC 4518 section 2.2: characters mapped to nothing (soft hyphen, joiners, variation selectors, controls).
fn maps_to_nothing(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{1806}' | '\u{034F}' | '\u{180B}'..='\u{180D}' | '\u{FE00}'..='\u{FE0F}' | '\u{FFFC}'
        | '\u{200B}' | '\u{0000}'..='\u{0008}' | '\u{000E}'..='\u{001F}' | '\u{007F}'..='\u{0084}'
        | '\u{0086}'..='\u{009F}' | '\u{200C}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2063}'
        | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// RFC 4518 section 2.2: characters mapped to SPACE (tab, line breaks, NEL and the Unicode space separators).
fn is_space(c: char) -> bool {
    matches!(c, '\u{0009}'..='\u{000D}' | '\u{0085}' | ' ' | '\u{00A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}'
        | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}')
}

// ---------------------------------------------------------------------------------------------------------
// General names
// ---------------------------------------------------------------------------------------------------------

/// The forms of GeneralName (RFC 5280 section 4.2.1.6), as named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameForm {
    /// rfc822Name: an email address, or in a constraint a host or domain.
    Rfc822,
    /// dNSName.
    Dns,
    /// directoryName: a distinguished name (the subject, or one in subjectAltName).
    Directory,
    /// uniformResourceIdentifier.
    Uri,
    /// iPAddress.
    IpAddress,
    /// otherName (not checkable).
    OtherName,
    /// x400Address (not checkable).
    X400Address,
    /// ediPartyName (not checkable).
    EdiPartyName,
    /// registeredID (not checkable).
    RegisteredId,
}

impl fmt::Display for NameForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameForm::Rfc822 => "email address (rfc822Name)",
            NameForm::Dns => "DNS name",
            NameForm::Directory => "directory name",
            NameForm::Uri => "URI",
            NameForm::IpAddress => "IP address",
            NameForm::OtherName => "otherName",
            NameForm::X400Address => "x400Address",
            NameForm::EdiPartyName => "ediPartyName",
            NameForm::RegisteredId => "registeredID",
        })
    }
}

/// A GeneralName, either a name of a certificate or the base of a subtree. For an IP address a name
/// holds 4 or 16 octets and a subtree base 8 or 32 (address then mask).
#[derive(Clone, Debug)]
enum GenName {
    Rfc822(String),
    Dns(String),
    Directory(Name),
    Uri(String),
    Ip(Vec<u8>),
    /// A form that cannot be checked, with a description for messages.
    Other(NameForm, String),
}

impl GenName {
    fn form(&self) -> NameForm {
        match self {
            GenName::Rfc822(_) => NameForm::Rfc822,
            GenName::Dns(_) => NameForm::Dns,
            GenName::Directory(_) => NameForm::Directory,
            GenName::Uri(_) => NameForm::Uri,
            GenName::Ip(_) => NameForm::IpAddress,
            GenName::Other(form, _) => *form,
        }
    }

    /// Parses one GeneralName from its DER TLV. The forms that cannot be checked (otherName, x400Address,
    /// ediPartyName, registeredID) are classified by their tag alone: `x509-cert` does not model
    /// x400Address and fails on registeredID, and a name that is not checked need not be decoded.
    fn from_any(any: &Any) -> Result<GenName, String> {
        if let Tag::ContextSpecific { number, .. } = any.tag() {
            let other = |form: NameForm, text: String| Ok(GenName::Other(form, text));
            match number.value() {
                0 => {
                    let type_id = der::SliceReader::new(any.value())
                        .and_then(|mut r| der::asn1::ObjectIdentifier::decode(&mut r))
                        .ok();
                    return other(
                        NameForm::OtherName,
                        type_id.map_or("otherName".into(), |o| format!("otherName {o}")),
                    );
                }
                3 => return other(NameForm::X400Address, "x400Address".into()),
                5 => return other(NameForm::EdiPartyName, "ediPartyName".into()),
                8 => {
                    let oid = der::asn1::ObjectIdentifier::from_bytes(any.value()).ok();
                    return other(NameForm::RegisteredId, oid.map_or("registeredID".into(), |o| o.to_string()));
                }
                _ => {}
            }
        }
        let der = any.to_der().map_err(|e| e.to_string())?;
        let name = GeneralName::from_der(&der).map_err(|e| format!("bad GeneralName: {e}"))?;
        Ok(match name {
            GeneralName::Rfc822Name(s) => GenName::Rfc822(s.to_string()),
            GeneralName::DnsName(s) => GenName::Dns(s.to_string()),
            GeneralName::DirectoryName(n) => GenName::Directory(n),
            GeneralName::UniformResourceIdentifier(s) => GenName::Uri(s.to_string()),
            GeneralName::IpAddress(o) => GenName::Ip(o.as_bytes().to_vec()),
            GeneralName::OtherName(o) => GenName::Other(NameForm::OtherName, format!("otherName {}", o.type_id)),
            GeneralName::EdiPartyName(_) => GenName::Other(NameForm::EdiPartyName, "ediPartyName".into()),
            GeneralName::RegisteredId(o) => GenName::Other(NameForm::RegisteredId, o.to_string()),
        })
    }

    /// The name as a person reads it.
    fn describe(&self) -> String {
        match self {
            GenName::Rfc822(s) | GenName::Dns(s) | GenName::Uri(s) | GenName::Other(_, s) => s.clone(),
            GenName::Directory(n) if n.0.is_empty() => "(the empty name)".into(),
            GenName::Directory(n) => crate::dn::to_string(n),
            GenName::Ip(octets) => describe_ip(octets),
        }
    }
}

/// An address ("192.0.2.1"), or an address and mask as in a subtree ("192.0.2.0/255.255.255.0").
fn describe_ip(octets: &[u8]) -> String {
    fn one(bytes: &[u8]) -> String {
        if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
            return ipv4_text(v4);
        }
        if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
            return ipv6_text(v6);
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
    }
    match octets.len() {
        8 | 32 => match octets.split_at_checked(octets.len() / 2) {
            Some((addr, mask)) => format!("{}/{}", one(addr), one(mask)),
            None => one(octets),
        },
        _ => one(octets),
    }
}

/// An IPv4 address as `std::net::Ipv4Addr` writes it.
fn ipv4_text([a, b, c, d]: [u8; 4]) -> String {
    format!("{a}.{b}.{c}.{d}")
}

/// An IPv6 address as `std::net::Ipv6Addr` writes it (RFC 5952: lower-case hex groups, the first longest
/// run of two or more zero groups as "::", an IPv4-mapped address as `::ffff:a.b.c.d`), without std's
/// address formatter, which was 2 KB of the wasm for these messages.
fn ipv6_text(bytes: [u8; 16]) -> String {
    let groups: [u16; 8] = core::array::from_fn(|i| u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]));
    if let [0, 0, 0, 0, 0, 0xffff, ..] = groups {
        return format!("::ffff:{}", ipv4_text([bytes[12], bytes[13], bytes[14], bytes[15]]));
    }
    let (mut zeros_at, mut zeros_len, mut run_at, mut run_len) = (0, 0, 0, 0);
    for (i, g) in groups.iter().enumerate() {
        if *g != 0 {
            run_len = 0;
            continue;
        }
        if run_len == 0 {
            run_at = i;
        }
        run_len += 1;
        if run_len > zeros_len {
            (zeros_at, zeros_len) = (run_at, run_len);
        }
    }
    let hex = |part: &[u16]| part.iter().map(|g| format!("{g:x}")).collect::<Vec<_>>().join(":");
    if zeros_len > 1 {
        format!("{}::{}", hex(&groups[..zeros_at]), hex(&groups[zeros_at + zeros_len..]))
    } else {
        hex(&groups)
    }
}

/// Whether `name` lies in the subtree `base` (both of the same form). An error when the name cannot be
/// interpreted (a mailbox without "@", a URI without a host, an address of the wrong length).
fn in_subtree(base: &GenName, name: &GenName) -> Result<bool, NameConstraintError> {
    Ok(match (base, name) {
        (GenName::Rfc822(c), GenName::Rfc822(n)) => {
            let Some((local, host)) = n.rsplit_once('@') else {
                return Err(NameConstraintError::Malformed(format!(
                    "the email address \"{n}\" has no \"@\", so it cannot be checked against email name constraints"
                )));
            };
            if let Some((c_local, c_host)) = c.rsplit_once('@') {
                c_local == local && c_host.eq_ignore_ascii_case(host)
            } else if c.starts_with('.') {
                ends_with_ci(host, c)
            } else {
                host.eq_ignore_ascii_case(c)
            }
        }
        (GenName::Dns(c), GenName::Dns(n)) => dns_in_subtree(c, n),
        (GenName::Uri(c), GenName::Uri(n)) => {
            let Some(host) = uri_host(n) else {
                return Err(NameConstraintError::Malformed(format!(
                    "the URI \"{n}\" has no host part, so it cannot be checked against URI name constraints"
                )));
            };
            let (c, host) = (strip_root(c), strip_root(host));
            if c.starts_with('.') {
                ends_with_ci(host, c)
            } else {
                host.eq_ignore_ascii_case(c)
            }
        }
        (GenName::Directory(c), GenName::Directory(n)) => name_has_prefix(n, c),
        (GenName::Ip(c), GenName::Ip(n)) => {
            if n.len() != 4 && n.len() != 16 {
                return Err(NameConstraintError::Malformed(format!(
                    "an iPAddress name of {} octets (not 4 or 16) cannot be checked against IP name constraints",
                    n.len()
                )));
            }
            match c.split_at_checked(n.len()) {
                // A constraint of the other address family has a different length and never matches.
                Some((addr, mask)) if mask.len() == n.len() => {
                    n.iter().zip(addr).zip(mask).all(|((n, a), m)| n & m == a & m)
                }
                _ => false,
            }
        }
        _ => false,
    })
}

/// dNSName subtree membership: "" holds every name; "example.com" holds itself and every name with labels
/// added to the left; ".example.com" (not in RFC 5280, but issued) holds only the names below it.
fn dns_in_subtree(c: &str, n: &str) -> bool {
    let (c, n) = (strip_root(c), strip_root(n));
    if c.is_empty() {
        true
    } else if c.starts_with('.') {
        ends_with_ci(n, c)
    } else {
        n.eq_ignore_ascii_case(c) || ends_with_ci(n, &format!(".{c}"))
    }
}

/// Drops one trailing dot (the DNS root), so that "a.example." and "a.example" are the same host.
fn strip_root(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

/// ASCII case-insensitive `ends_with`.
fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len()
        .checked_sub(suffix.len())
        .and_then(|i| s.as_bytes().get(i..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix.as_bytes()))
}

/// The host of a URI with an authority ("scheme://[userinfo@]host[:port]/..."), without brackets for an
/// IPv6 literal; `None` when there is no authority or the host is empty.
fn uri_host(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    if scheme.is_empty() {
        return None;
    }
    let rest = rest.strip_prefix("//")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(literal) => literal.split_once(']')?.0,
        None => hostport.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

// ---------------------------------------------------------------------------------------------------------
// Name constraints state (RFC 5280 6.1.2 (b),(c); 6.1.3 (b),(c); 6.1.4 (g))
// ---------------------------------------------------------------------------------------------------------

/// The permitted/excluded subtrees accumulated along a path (RFC 5280 6.1.2 (b),(c); 6.1.4 (g)).
///
/// The permitted state is kept as the list of every CA's permittedSubtrees: a name must lie in at least
/// one subtree of its form in each of them, which is exactly the intersection RFC 5280 asks for (a CA
/// that permits nothing of a form leaves that form unconstrained). The excluded state is the union of
/// all excludedSubtrees.
#[derive(Clone, Debug, Default)]
pub struct NameConstraints {
    permitted: Vec<Vec<GenName>>,
    excluded: Vec<GenName>,
}

/// Why a certificate violates the accumulated constraints (Display: a sentence a person can act on,
/// naming the offending name and the constraint).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameConstraintError {
    /// A CA in the path permits names of this form only in some subtrees, and the name is in none of them.
    NotPermitted {
        /// The offending name, as text.
        name: String,
        /// Its form.
        form: NameForm,
        /// The subtrees of that form one CA permits (the name must lie in one of them).
        permitted: Vec<String>,
    },
    /// The name lies in a subtree that a CA in the path excludes.
    Excluded {
        /// The offending name, as text.
        name: String,
        /// Its form.
        form: NameForm,
        /// The excluded subtree it lies in.
        excluded: String,
    },
    /// The certificate has a name of a form that some CA in the path constrains but that cannot be checked.
    UnsupportedForm {
        /// The name, as far as it can be described.
        name: String,
        /// Its form.
        form: NameForm,
    },
    /// A nameConstraints or subjectAltName extension that cannot be read, or a name that cannot be checked.
    Malformed(String),
}

impl fmt::Display for NameConstraintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameConstraintError::NotPermitted { name, form, permitted } => write!(
                f,
                "the {form} \"{name}\" is outside what a CA in the path permits ({}): the certificate was \
                 issued outside its CA's name constraints and cannot be trusted",
                permitted.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
            ),
            NameConstraintError::Excluded { name, form, excluded } => write!(
                f,
                "the {form} \"{name}\" lies in the subtree \"{excluded}\" that a CA in the path excludes: the \
                 certificate was issued against its CA's name constraints and cannot be trusted"
            ),
            NameConstraintError::UnsupportedForm { name, form } => write!(
                f,
                "the certificate has the {form} name \"{name}\" and a CA in the path constrains names of that \
                 form, which Siegel cannot check, so the certificate cannot be trusted"
            ),
            NameConstraintError::Malformed(detail) => write!(f, "malformed name constraints: {detail}"),
        }
    }
}

impl std::error::Error for NameConstraintError {}

/// nameConstraints as on the wire, with the subtree bases left raw so that x400Address (which
/// `x509-cert` does not model) does not fail the whole extension.
#[derive(Sequence)]
struct RawNameConstraints {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "IMPLICIT")]
    permitted: Option<Vec<RawSubtree>>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "IMPLICIT")]
    excluded: Option<Vec<RawSubtree>>,
}

/// GeneralSubtree with a raw base.
#[derive(Sequence)]
struct RawSubtree {
    base: Any,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", default = "Default::default")]
    minimum: u32,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    maximum: Option<u32>,
}

/// The value of the only extension `oid` of `cert`; an error when it occurs twice (RFC 5280 4.2).
fn single_extension(cert: &Certificate, oid: const_oid::ObjectIdentifier) -> Result<Option<&[u8]>, String> {
    let mut found = cert.tbs_certificate.extensions.iter().flatten().filter(|e| e.extn_id == oid);
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("the certificate has two {} extensions", oids::name(&oid)));
    }
    Ok(first.map(|e| e.extn_value.as_bytes()))
}

/// A short reference to a certificate for messages.
fn who(cert: &Certificate) -> String {
    let subject = &cert.tbs_certificate.subject;
    if subject.0.is_empty() {
        format!("the certificate with serial number {}", cert.tbs_certificate.serial_number)
    } else {
        format!("the certificate of \"{}\"", crate::dn::to_string(subject))
    }
}

fn parse_subtrees(raw: Vec<RawSubtree>, which: &str, cert: &Certificate) -> Result<Vec<GenName>, NameConstraintError> {
    let bad = |detail: String| NameConstraintError::Malformed(format!("{} has {detail}", who(cert)));
    if raw.is_empty() {
        return Err(bad(format!("an empty list of {which} subtrees in its nameConstraints")));
    }
    raw.into_iter()
        .map(|s| {
            if s.minimum != 0 || s.maximum.is_some() {
                return Err(bad(format!(
                    "a {which} subtree with a minimum or maximum in its nameConstraints, which RFC 5280 forbids"
                )));
            }
            let base = GenName::from_any(&s.base).map_err(|e| bad(format!("a bad {which} subtree ({e})")))?;
            if let GenName::Ip(octets) = &base {
                if octets.len() != 8 && octets.len() != 32 {
                    return Err(bad(format!(
                        "a {which} iPAddress subtree of {} octets (not 8 or 32: address and mask)",
                        octets.len()
                    )));
                }
            }
            Ok(base)
        })
        .collect()
}

impl NameConstraints {
    /// The initial state: everything permitted, nothing excluded.
    pub fn new() -> Self {
        Self::default()
    }

    /// RFC 5280 6.1.3 (b),(c): checks the certificate's subject DN (directoryName; and every emailAddress
    /// attribute (1.2.840.113549.1.9.1) in the subject as an rfc822Name when the cert has no SAN rfc822Name)
    /// and every subjectAltName entry against the state. The caller skips this for self-issued
    /// intermediate certificates, as the RFC says.
    ///
    /// A malformed subjectAltName is an error, as is a name that cannot be interpreted when there are
    /// constraints of its form.
    pub fn check(&self, cert: &Certificate) -> Result<(), NameConstraintError> {
        let mut names = Vec::new();
        let subject = &cert.tbs_certificate.subject;
        if !subject.0.is_empty() {
            names.push(GenName::Directory(subject.clone()));
        }
        let san = single_extension(cert, SUBJECT_ALT_NAME).map_err(NameConstraintError::Malformed)?;
        if let Some(value) = san {
            let entries = Vec::<Any>::from_der(value).map_err(|e| {
                NameConstraintError::Malformed(format!("{} has an unreadable subjectAltName: {e}", who(cert)))
            })?;
            for entry in &entries {
                let name = GenName::from_any(entry).map_err(|e| {
                    NameConstraintError::Malformed(format!("{} has a bad subjectAltName entry: {e}", who(cert)))
                })?;
                names.push(name);
            }
        }
        if !names.iter().any(|n| matches!(n, GenName::Rfc822(_))) {
            for atv in subject.0.iter().flat_map(|rdn| rdn.0.iter()) {
                if atv.oid != oids::EMAIL_ADDRESS {
                    continue;
                }
                match decode_text(&atv.value) {
                    Some(email) => names.push(GenName::Rfc822(email)),
                    None if self.constrains(NameForm::Rfc822) => {
                        return Err(NameConstraintError::Malformed(format!(
                            "{} has an emailAddress attribute that is not a string, so it cannot be checked \
                             against email name constraints",
                            who(cert)
                        )))
                    }
                    None => {}
                }
            }
        }
        names.iter().try_for_each(|name| self.check_name(name))
    }

    /// RFC 5280 6.1.4 (g): intersects permitted subtrees and unions excluded subtrees with the
    /// certificate's nameConstraints extension (2.5.29.30), if present. A malformed extension is an error.
    ///
    /// On error the state is left unchanged.
    pub fn update(&mut self, cert: &Certificate) -> Result<(), NameConstraintError> {
        let Some(value) = single_extension(cert, NAME_CONSTRAINTS).map_err(NameConstraintError::Malformed)? else {
            return Ok(());
        };
        let raw = RawNameConstraints::from_der(value).map_err(|e| {
            NameConstraintError::Malformed(format!("{} has an unreadable nameConstraints extension: {e}", who(cert)))
        })?;
        if raw.permitted.is_none() && raw.excluded.is_none() {
            return Err(NameConstraintError::Malformed(format!(
                "{} has a nameConstraints extension with neither permitted nor excluded subtrees",
                who(cert)
            )));
        }
        let permitted = raw.permitted.map(|p| parse_subtrees(p, "permitted", cert)).transpose()?;
        let excluded = raw.excluded.map(|x| parse_subtrees(x, "excluded", cert)).transpose()?;
        self.permitted.extend(permitted);
        self.excluded.extend(excluded.into_iter().flatten());
        Ok(())
    }

    /// Whether any constraint (permitted or excluded) concerns names of `form`.
    fn constrains(&self, form: NameForm) -> bool {
        self.excluded.iter().chain(self.permitted.iter().flatten()).any(|s| s.form() == form)
    }

    fn check_name(&self, name: &GenName) -> Result<(), NameConstraintError> {
        let form = name.form();
        if let GenName::Other(..) = name {
            if self.constrains(form) {
                return Err(NameConstraintError::UnsupportedForm { name: name.describe(), form });
            }
            return Ok(());
        }
        for subtree in self.excluded.iter().filter(|s| s.form() == form) {
            if in_subtree(subtree, name)? {
                return Err(NameConstraintError::Excluded {
                    name: name.describe(),
                    form,
                    excluded: subtree.describe(),
                });
            }
        }
        for level in &self.permitted {
            let mut of_form = level.iter().filter(|s| s.form() == form).peekable();
            if of_form.peek().is_none() {
                continue;
            }
            let mut inside = false;
            for subtree in of_form {
                if in_subtree(subtree, name)? {
                    inside = true;
                    break;
                }
            }
            if !inside {
                return Err(NameConstraintError::NotPermitted {
                    name: name.describe(),
                    form,
                    permitted: level.iter().filter(|s| s.form() == form).map(GenName::describe).collect(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use const_oid::db::rfc5280::{ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_SUBJECT_KEY_IDENTIFIER};
    use der::asn1::{Ia5String, OctetString};
    use std::str::FromStr;
    use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

    const PKITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pkits/certs/");

    fn dn(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    fn load(file: &str) -> Certificate {
        Certificate::from_der(&std::fs::read(format!("{PKITS}{file}")).unwrap()).unwrap()
    }

    /// Every PKITS certificate that decodes, by file name.
    fn all_certs() -> Vec<(String, Certificate)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(PKITS).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "crt") {
                if let Ok(cert) = Certificate::from_der(&std::fs::read(&path).unwrap()) {
                    out.push((path.file_name().unwrap().to_string_lossy().into_owned(), cert));
                }
            }
        }
        out
    }

    fn key_ids(cert: &Certificate) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let aki = crate::cert::extension::<AuthorityKeyIdentifier>(cert, ID_CE_AUTHORITY_KEY_IDENTIFIER)
            .and_then(|(_, a)| a.key_identifier)
            .map(|k| k.as_bytes().to_vec());
        let ski = crate::cert::extension::<SubjectKeyIdentifier>(cert, ID_CE_SUBJECT_KEY_IDENTIFIER)
            .map(|(_, s)| s.0.as_bytes().to_vec());
        (aki, ski)
    }

    /// The path from the PKITS trust anchor to `ee`, anchor first: issuers found by subject with
    /// `names_equal`, disambiguated by authorityKeyIdentifier.
    fn build_path<'a>(certs: &'a [(String, Certificate)], ee: &str) -> Vec<(&'a str, &'a Certificate)> {
        let (name, cert) = certs.iter().find(|(n, _)| n == ee).unwrap();
        let mut path = vec![(name.as_str(), cert)];
        while path.last().unwrap().0 != "TrustAnchorRootCertificate.crt" {
            assert!(path.len() < 10, "no path for {ee}");
            let child = path.last().unwrap().1;
            let (aki, _) = key_ids(child);
            let issuer = certs
                .iter()
                .filter(|(n, c)| {
                    !path.iter().any(|(p, _)| p == n)
                        && names_equal(&c.tbs_certificate.subject, &child.tbs_certificate.issuer)
                })
                .find(|(_, c)| aki.is_none() || key_ids(c).1 == aki)
                .unwrap_or_else(|| panic!("no issuer for {} in the path of {ee}", path.last().unwrap().0));
            path.push((issuer.0.as_str(), &issuer.1));
        }
        path.reverse();
        path
    }

    fn self_issued(cert: &Certificate) -> bool {
        names_equal(&cert.tbs_certificate.subject, &cert.tbs_certificate.issuer)
    }

    /// Runs name-constraint processing along a path as RFC 5280 6.1 does.
    fn process(path: &[(&str, &Certificate)]) -> Result<(), NameConstraintError> {
        let mut state = NameConstraints::new();
        for (i, (_, cert)) in path.iter().enumerate().skip(1) {
            let last = i + 1 == path.len();
            if last || !self_issued(cert) {
                state.check(cert)?;
            }
            if !last {
                state.update(cert)?;
            }
        }
        Ok(())
    }

    #[test]
    fn pkits_4_13_name_constraints() {
        let certs = all_certs();
        let mut tests: Vec<&str> = certs
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| (n.starts_with("Valid") || n.starts_with("Invalid")) && n.contains("nameConstraintsTest"))
            .collect();
        tests.sort();
        assert_eq!(tests.len(), 38, "PKITS 4.13 has 38 tests: {tests:?}");
        let mut failures = Vec::new();
        for ee in tests {
            let path = build_path(&certs, ee);
            let outcome = process(&path);
            let expect_valid = ee.starts_with("Valid");
            if outcome.is_ok() != expect_valid {
                let names: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                failures.push(format!("{ee}: {outcome:?} along {names:?}"));
            }
            if let Err(e) = &outcome {
                // The message names the offending name.
                assert!(e.to_string().contains('"'), "{e}");
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn pkits_4_13_paths_and_messages() {
        let certs = all_certs();
        let path = build_path(&certs, "ValidDNnameConstraintsTest19EE.crt");
        let names: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "TrustAnchorRootCertificate.crt",
                "nameConstraintsDN1CACert.crt",
                "nameConstraintsDN1SelfIssuedCACert.crt",
                "ValidDNnameConstraintsTest19EE.crt"
            ]
        );
        let err = process(&build_path(&certs, "InvalidDNSnameConstraintsTest38EE.crt")).unwrap_err();
        assert_eq!(
            err,
            NameConstraintError::NotPermitted {
                name: "mytestcertificates.gov".into(),
                form: NameForm::Dns,
                permitted: vec!["testcertificates.gov".into()]
            }
        );
        let err = process(&build_path(&certs, "InvalidURInameConstraintsTest37EE.crt")).unwrap_err();
        assert!(matches!(err, NameConstraintError::Excluded { form: NameForm::Uri, .. }), "{err}");
        let err = process(&build_path(&certs, "InvalidDNandRFC822nameConstraintsTest29EE.crt")).unwrap_err();
        assert!(err.to_string().contains("Test29EE@invalidcertificates.gov"), "{err}");
        let err = process(&build_path(&certs, "InvalidDNnameConstraintsTest9EE.crt")).unwrap_err();
        assert!(err.to_string().contains("OU=excludedSubtree2"), "{err}");
    }

    #[test]
    fn pkits_4_3_name_chaining() {
        let equal = [
            ("ValidNameChainingWhitespaceTest3EE.crt", "GoodCACert.crt"),
            ("ValidNameChainingWhitespaceTest4EE.crt", "GoodCACert.crt"),
            ("ValidNameChainingCapitalizationTest5EE.crt", "GoodCACert.crt"),
            ("ValidNameUIDsTest6EE.crt", "UIDCACert.crt"),
            ("ValidRFC3280MandatoryAttributeTypesTest7EE.crt", "RFC3280MandatoryAttributeTypesCACert.crt"),
            ("ValidRFC3280OptionalAttributeTypesTest8EE.crt", "RFC3280OptionalAttributeTypesCACert.crt"),
            ("ValidUTF8StringEncodedNamesTest9EE.crt", "UTF8StringEncodedNamesCACert.crt"),
            (
                "ValidRolloverfromPrintableStringtoUTF8StringTest10EE.crt",
                "RolloverfromPrintableStringtoUTF8StringCACert.crt",
            ),
            ("ValidUTF8StringCaseInsensitiveMatchTest11EE.crt", "UTF8StringCaseInsensitiveMatchCACert.crt"),
        ];
        for (ee, ca) in equal {
            let (ee_cert, ca_cert) = (load(ee), load(ca));
            assert!(names_equal(&ee_cert.tbs_certificate.issuer, &ca_cert.tbs_certificate.subject), "{ee} -> {ca}");
        }
        let certs = all_certs();
        for (ee, similar) in [
            ("InvalidNameChainingTest1EE.crt", "GoodCACert.crt"),
            ("InvalidNameChainingOrderTest2EE.crt", "NameOrderingCACert.crt"),
        ] {
            let issuer = &load(ee).tbs_certificate.issuer;
            assert!(!names_equal(issuer, &load(similar).tbs_certificate.subject), "{ee} must not chain to {similar}");
            let chains: Vec<&str> = certs
                .iter()
                .filter(|(_, c)| names_equal(issuer, &c.tbs_certificate.subject))
                .map(|(n, _)| n.as_str())
                .collect();
            assert!(chains.is_empty(), "{ee} chains to {chains:?}");
        }
    }

    #[test]
    fn dn_comparison_rules() {
        assert!(names_equal(&dn("CN=Good  CA,O=Test"), &dn("CN=good ca,O=TEST")));
        assert!(names_equal(&dn("CN=  Good CA ,O=Test"), &dn("CN=Good CA,O=Test")));
        assert!(!names_equal(&dn("CN=Good CA,O=Test"), &dn("CN=GoodCA,O=Test")));
        assert!(!names_equal(&dn("CN=Good CA,O=Test"), &dn("O=Test,CN=Good CA")));
        assert!(!names_equal(&dn("CN=Good CA,O=Test"), &dn("CN=Good CA,O=Test,C=US")));
        assert!(!names_equal(&dn("CN=Good CA"), &dn("O=Good CA")));
        // Multi-valued RDNs are sets.
        assert!(names_equal(&dn("CN=a+O=b,C=US"), &dn("O=B+CN=A,C=US")));
        assert!(!names_equal(&dn("CN=a+O=b,C=US"), &dn("CN=a,O=b,C=US")));
        assert!(names_equal(&Name::default(), &Name::default()));
        assert!(!names_equal(&Name::default(), &dn("C=US")));
    }

    #[test]
    fn string_preparation_and_types() {
        assert_eq!(prepare_string("\t Ünïcode\u{00AD}  Straße \n"), "ünïcode straße");
        let printable = Any::new(Tag::PrintableString, b"Good CA".to_vec()).unwrap();
        let utf8 = Any::new(Tag::Utf8String, "GOOD  ca".as_bytes().to_vec()).unwrap();
        let bmp =
            Any::new(Tag::BmpString, vec![0, b'g', 0, b'o', 0, b'o', 0, b'd', 0, b' ', 0, b'C', 0, b'A']).unwrap();
        let teletex = Any::new(Tag::TeletexString, b"good ca".to_vec()).unwrap();
        let octets = Any::new(Tag::OctetString, b"good ca".to_vec()).unwrap();
        assert_eq!(prepared(&printable), prepared(&utf8));
        assert_eq!(prepared(&printable), prepared(&bmp));
        assert_eq!(prepared(&printable), prepared(&teletex));
        assert_ne!(prepared(&printable), prepared(&octets));
        // An odd-length BMPString is compared as raw DER, and does not panic.
        let odd = Any::new(Tag::BmpString, vec![0, b'g', 0]).unwrap();
        assert!(matches!(prepared(&odd), Prepared::Der(..)));
    }

    fn ia5(s: &str) -> Ia5String {
        Ia5String::new(s).unwrap()
    }

    fn subtree(base: GeneralName) -> GenName {
        GenName::from_any(&Any::from_der(&base.to_der().unwrap()).unwrap()).unwrap()
    }

    fn state(permitted: Vec<Vec<GeneralName>>, excluded: Vec<GeneralName>) -> NameConstraints {
        NameConstraints {
            permitted: permitted.into_iter().map(|level| level.into_iter().map(subtree).collect()).collect(),
            excluded: excluded.into_iter().map(subtree).collect(),
        }
    }

    #[test]
    fn rfc822_forms() {
        let c = |s: &str| GenName::Rfc822(s.into());
        let n = |s: &str| GenName::Rfc822(s.into());
        assert!(in_subtree(&c("example.com"), &n("joe@Example.COM")).unwrap());
        assert!(!in_subtree(&c("example.com"), &n("joe@mail.example.com")).unwrap());
        assert!(in_subtree(&c(".example.com"), &n("joe@mail.example.com")).unwrap());
        assert!(!in_subtree(&c(".example.com"), &n("joe@example.com")).unwrap());
        assert!(in_subtree(&c("joe@example.com"), &n("joe@EXAMPLE.com")).unwrap());
        assert!(!in_subtree(&c("joe@example.com"), &n("jim@example.com")).unwrap());
        assert!(!in_subtree(&c("example.com"), &n("joe@badexample.com")).unwrap());
        assert!(in_subtree(&c("example.com"), &n("no-at-sign")).is_err());
    }

    #[test]
    fn dns_and_uri_forms() {
        assert!(dns_in_subtree("", "anything.example"));
        assert!(dns_in_subtree("example.com", "example.com"));
        assert!(dns_in_subtree("example.com", "WWW.Example.Com"));
        assert!(dns_in_subtree("example.com", "www.example.com."));
        assert!(!dns_in_subtree("example.com", "badexample.com"));
        assert!(!dns_in_subtree("www.example.com", "example.com"));
        assert!(dns_in_subtree(".example.com", "www.example.com"));
        assert!(!dns_in_subtree(".example.com", "example.com"));

        assert_eq!(uri_host("http://host.example:8080/path"), Some("host.example"));
        assert_eq!(uri_host("ftp://user:pw@Host.Example/x"), Some("Host.Example"));
        assert_eq!(uri_host("https://[2001:db8::1]:443/"), Some("2001:db8::1"));
        assert_eq!(uri_host("https://host.example?q#f"), Some("host.example"));
        assert_eq!(uri_host("mailto:joe@example.com"), None);
        assert_eq!(uri_host("http:///path"), None);
        assert_eq!(uri_host(":no-scheme"), None);

        let c = |s: &str| GenName::Uri(s.into());
        let n = |s: &str| GenName::Uri(s.into());
        assert!(in_subtree(&c("host.example"), &n("http://HOST.example/")).unwrap());
        assert!(!in_subtree(&c("host.example"), &n("http://www.host.example/")).unwrap());
        assert!(in_subtree(&c(".host.example"), &n("http://www.host.example/")).unwrap());
        assert!(!in_subtree(&c(".host.example"), &n("http://host.example/")).unwrap());
        assert!(in_subtree(&c("host.example"), &n("urn:isbn:123")).is_err());
    }

    #[test]
    fn ip_forms() {
        let c = |v: &[u8]| GenName::Ip(v.to_vec());
        let v4net = c(&[192, 0, 2, 0, 255, 255, 255, 0]);
        assert!(in_subtree(&v4net, &c(&[192, 0, 2, 77])).unwrap());
        assert!(!in_subtree(&v4net, &c(&[192, 0, 3, 77])).unwrap());
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 12]);
        let mut v6net = v6.clone();
        v6net.extend([0xff; 4]);
        v6net.extend([0; 12]);
        assert!(in_subtree(&c(&v6net), &c(&v6)).unwrap());
        assert!(!in_subtree(&v4net, &c(&v6)).unwrap());
        assert!(!in_subtree(&c(&v6net), &c(&[192, 0, 2, 77])).unwrap());
        assert!(in_subtree(&v4net, &c(&[1, 2, 3])).is_err());
        assert_eq!(describe_ip(&[192, 0, 2, 0, 255, 255, 255, 0]), "192.0.2.0/255.255.255.0");
    }

    #[test]
    fn permitted_sets_intersect_and_excluded_sets_unite() {
        let dns = |s: &str| GeneralName::DnsName(ia5(s));
        let name = |s: &str| GenName::Dns(s.into());
        // One CA permits example.com and example.org, a later one only example.org.
        let st = state(vec![vec![dns("example.com"), dns("example.org")], vec![dns("example.org")]], vec![]);
        assert!(st.check_name(&name("a.example.org")).is_ok());
        let err = st.check_name(&name("a.example.com")).unwrap_err();
        assert_eq!(
            err,
            NameConstraintError::NotPermitted {
                name: "a.example.com".into(),
                form: NameForm::Dns,
                permitted: vec!["example.org".into()]
            }
        );
        assert!(err.to_string().contains("\"a.example.com\""), "{err}");
        // Disjoint permitted sets permit nothing of that form.
        let st = state(vec![vec![dns("example.com")], vec![dns("example.org")]], vec![]);
        assert!(st.check_name(&name("example.com")).is_err());
        assert!(st.check_name(&name("example.org")).is_err());
        // A level without subtrees of a form leaves that form alone.
        let st = state(vec![vec![GeneralName::Rfc822Name(ia5("example.com"))]], vec![]);
        assert!(st.check_name(&name("anything.example")).is_ok());
        // Excluded wins over permitted.
        let st = state(vec![vec![dns("example.com")]], vec![dns("bad.example.com")]);
        assert!(st.check_name(&name("good.example.com")).is_ok());
        let err = st.check_name(&name("x.bad.example.com")).unwrap_err();
        assert!(matches!(&err, NameConstraintError::Excluded { excluded, .. } if excluded == "bad.example.com"));
        assert!(err.to_string().contains("bad.example.com"));
    }

    #[test]
    fn directory_prefix() {
        let st = state(vec![vec![GeneralName::DirectoryName(dn("O=Test,C=US"))]], vec![]);
        assert!(st.check_name(&GenName::Directory(dn("CN=Joe,OU=x,O=test,C=us"))).is_ok());
        assert!(st.check_name(&GenName::Directory(dn("CN=Joe,O=Other,C=US"))).is_err());
        assert!(st.check_name(&GenName::Directory(dn("C=US"))).is_err());
    }

    #[test]
    fn unsupported_forms_fail_only_when_constrained() {
        let other = GenName::Other(NameForm::RegisteredId, "1.3.6.1.4.1.97".into());
        assert!(NameConstraints::new().check_name(&other).is_ok());
        let st =
            state(vec![], vec![GeneralName::RegisteredId(der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.98"))]);
        assert!(matches!(st.check_name(&other), Err(NameConstraintError::UnsupportedForm { .. })));
        // x400Address ([3]) is kept as an uncheckable form instead of failing to parse.
        let x400 =
            Any::new(Tag::ContextSpecific { constructed: true, number: der::TagNumber::N3 }, vec![0x30, 0x00]).unwrap();
        assert_eq!(GenName::from_any(&x400).unwrap().form(), NameForm::X400Address);
        // registeredID and otherName are described by their OIDs.
        let reg = GeneralName::RegisteredId(der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99"));
        assert_eq!(subtree(reg).describe(), "1.3.6.1.4.1.99");
        let upn = GeneralName::OtherName(x509_cert::ext::pkix::name::OtherName {
            type_id: der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3"),
            value: Any::from_der(&[0x0c, 0x01, b'x']).unwrap(),
        });
        assert_eq!(subtree(upn).describe(), "otherName 1.3.6.1.4.1.311.20.2.3");
    }

    #[test]
    fn raw_extension_parsing() {
        let subtree = |base: GeneralName, minimum: u32, maximum: Option<u32>| {
            x509_cert::ext::pkix::constraints::name::GeneralSubtree { base, minimum, maximum }
        };
        let encode = |permitted: Option<Vec<_>>, excluded: Option<Vec<_>>| {
            x509_cert::ext::pkix::NameConstraints { permitted_subtrees: permitted, excluded_subtrees: excluded }
                .to_der()
                .unwrap()
        };
        let good = encode(
            Some(vec![subtree(
                GeneralName::IpAddress(OctetString::new(vec![10, 0, 0, 0, 255, 0, 0, 0]).unwrap()),
                0,
                None,
            )]),
            Some(vec![subtree(GeneralName::DnsName(ia5("bad.example")), 0, None)]),
        );
        let raw = RawNameConstraints::from_der(&good).unwrap();
        assert_eq!(raw.permitted.as_ref().map(Vec::len), Some(1));
        assert_eq!(raw.excluded.as_ref().map(Vec::len), Some(1));

        let cert = load("nameConstraintsDNS1CACert.crt");
        let with_max = encode(Some(vec![subtree(GeneralName::DnsName(ia5("x.example")), 0, Some(3))]), None);
        let raw = RawNameConstraints::from_der(&with_max).unwrap();
        let err = parse_subtrees(raw.permitted.unwrap(), "permitted", &cert).unwrap_err();
        assert!(err.to_string().contains("minimum or maximum"), "{err}");
        let bad_ip = encode(
            Some(vec![subtree(GeneralName::IpAddress(OctetString::new(vec![10, 0, 0, 0]).unwrap()), 0, None)]),
            None,
        );
        let raw = RawNameConstraints::from_der(&bad_ip).unwrap();
        assert!(parse_subtrees(raw.permitted.unwrap(), "permitted", &cert).is_err());
        assert!(RawNameConstraints::from_der(&[0x30, 0x03, 0xa0, 0x01]).is_err());
    }

    #[test]
    fn update_leaves_state_unchanged_without_extension() {
        let mut st = NameConstraints::new();
        st.update(&load("TrustAnchorRootCertificate.crt")).unwrap();
        assert!(st.permitted.is_empty() && st.excluded.is_empty());
        st.update(&load("nameConstraintsDN5CACert.crt")).unwrap();
        assert_eq!((st.permitted.len(), st.excluded.len()), (1, 1));
    }

    #[test]
    fn malformed_extensions_fail_closed() {
        let set_ext = |cert: &mut Certificate, oid, value: &[u8]| {
            let exts = cert.tbs_certificate.extensions.as_mut().unwrap();
            exts.iter_mut().find(|e| e.extn_id == oid).unwrap().extn_value = OctetString::new(value.to_vec()).unwrap();
        };
        let mut ee = load("ValidDNSnameConstraintsTest30EE.crt");
        set_ext(&mut ee, SUBJECT_ALT_NAME, &[0x30, 0x03, 0x82]);
        assert!(matches!(NameConstraints::new().check(&ee), Err(NameConstraintError::Malformed(_))));
        let mut ee = load("ValidDNSnameConstraintsTest30EE.crt");
        let san =
            ee.tbs_certificate.extensions.as_ref().unwrap().iter().find(|e| e.extn_id == SUBJECT_ALT_NAME).cloned();
        ee.tbs_certificate.extensions.as_mut().unwrap().push(san.unwrap());
        assert!(matches!(NameConstraints::new().check(&ee), Err(NameConstraintError::Malformed(_))));

        let mut st = NameConstraints::new();
        let mut ca = load("nameConstraintsDNS1CACert.crt");
        set_ext(&mut ca, NAME_CONSTRAINTS, &[0x30, 0x00]);
        let err = st.update(&ca).unwrap_err();
        assert!(err.to_string().contains("neither permitted nor excluded"), "{err}");
        set_ext(&mut ca, NAME_CONSTRAINTS, &[0x30, 0x02, 0xa0, 0x00]);
        assert!(st.update(&ca).is_err());
        assert!(st.permitted.is_empty() && st.excluded.is_empty());
    }

    #[test]
    fn ip_addresses_read_as_std_writes_them() {
        // Every pattern of zero and non-zero groups, with small and large group values.
        for pattern in 0u32..256 {
            for value in [1u16, 0xab, 0xffff, 0x1000] {
                let mut bytes = [0u8; 16];
                for g in 0..8 {
                    if pattern & (1 << g) != 0 {
                        bytes[2 * g..2 * g + 2].copy_from_slice(&value.wrapping_add(g as u16).max(1).to_be_bytes());
                    }
                }
                assert_eq!(ipv6_text(bytes), std::net::Ipv6Addr::from(bytes).to_string(), "{bytes:?}");
            }
        }
        let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1];
        assert_eq!(ipv6_text(mapped), "::ffff:192.0.2.1");
        assert_eq!(ipv6_text(mapped), std::net::Ipv6Addr::from(mapped).to_string());
        let compatible = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1];
        assert_eq!(ipv6_text(compatible), std::net::Ipv6Addr::from(compatible).to_string());
        for v4 in [[0, 0, 0, 0], [10, 0, 0, 1], [255, 255, 255, 255], [192, 168, 100, 7]] {
            assert_eq!(ipv4_text(v4), std::net::Ipv4Addr::from(v4).to_string());
        }
        assert_eq!(describe_ip(&[10, 0, 0, 0, 255, 0, 0, 0]), "10.0.0.0/255.0.0.0");
    }
}
