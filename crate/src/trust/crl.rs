//! Revocation checking with certificate revocation lists (RFC 5280 sections 5 and 6.3).
//!
//! [`Crl`] parses and pre-decodes a CRL (its extensions and entries); [`check`] runs the algorithm of
//! RFC 5280 section 6.3.3 for one certificate: it walks the certificate's CRL distribution points (or the
//! issuer as the default one), picks the complete CRLs that cover it and are current, combines them with
//! delta CRLs, verifies the CRL signer, and looks the certificate up. The outcome is
//! [`RevocationStatus::Good`] only when CRLs covering every reason code were found and none lists it.
//!
//! The CRLs are whatever the caller has (message, collection, cache): nothing is fetched here.

use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint, ReasonFlags};
use x509_cert::ext::pkix::crl::{BaseCrlNumber, CrlDistributionPoints, CrlNumber, CrlReason};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, GeneralNames};
use x509_cert::ext::pkix::KeyUsages;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::trust::sig;
use crate::{cert, oids, Error, Result};

/// At most this many entries in one CRL.
const MAX_ENTRIES: usize = 1_000_000;

const EXT_CRL_NUMBER: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_CRL_NUMBER;
const EXT_DELTA_CRL_INDICATOR: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR;
// x509-cert 0.2 gives IssuingDistributionPoint the wrong associated OID, so it is spelled out here.
const EXT_ISSUING_DISTRIBUTION_POINT: const_oid::ObjectIdentifier =
    const_oid::db::rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT;
const EXT_CRL_DISTRIBUTION_POINTS: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS;
const EXT_FRESHEST_CRL: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_FRESHEST_CRL;
const EXT_ISSUER_ALT_NAME: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_ISSUER_ALT_NAME;
const EXT_AUTHORITY_INFO_ACCESS: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS;
const EXT_REASON_CODE: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_CRL_REASONS;
const EXT_INVALIDITY_DATE: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_INVALIDITY_DATE;
const EXT_HOLD_INSTRUCTION: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_HOLD_INSTRUCTION_CODE;
const EXT_CERTIFICATE_ISSUER: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_CERTIFICATE_ISSUER;
const EXT_AUTHORITY_KEY_ID: const_oid::ObjectIdentifier = oids::EXT_AUTHORITY_KEY_ID;

/// Every reason of `ReasonFlags` except `unused` (bit 0): keyCompromise .. aACompromise.
const ALL_REASONS: u16 = 0x01fe;

/// RFC 5280 CRLReason, serialised kebab-case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6): revoked for now, may be released later.
    CertificateHold,
    /// removeFromCRL (8): only in delta CRLs, releases a hold.
    RemoveFromCrl,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl From<CrlReason> for Reason {
    fn from(r: CrlReason) -> Reason {
        match r {
            CrlReason::Unspecified => Reason::Unspecified,
            CrlReason::KeyCompromise => Reason::KeyCompromise,
            CrlReason::CaCompromise => Reason::CaCompromise,
            CrlReason::AffiliationChanged => Reason::AffiliationChanged,
            CrlReason::Superseded => Reason::Superseded,
            CrlReason::CessationOfOperation => Reason::CessationOfOperation,
            CrlReason::CertificateHold => Reason::CertificateHold,
            CrlReason::RemoveFromCRL => Reason::RemoveFromCrl,
            CrlReason::PrivilegeWithdrawn => Reason::PrivilegeWithdrawn,
            CrlReason::AaCompromise => Reason::AaCompromise,
        }
    }
}

/// The outcome for one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RevocationStatus {
    /// CRLs covering every reason were found, and none lists the certificate.
    Good,
    /// A CRL lists the certificate.
    Revoked {
        /// The entry's revocationDate, Unix seconds.
        #[serde(rename = "revokedAt")]
        revoked_at: u64,
        /// The entry's reasonCode, when it has one.
        reason: Option<Reason>,
    },
    /// No usable CRL covers it (or not all reasons are covered): says what was missing or wrong.
    Unknown {
        /// What was missing or wrong, readable.
        reason: String,
    },
    /// The certificate names no CRL distribution point and no OCSP responder, and no CRL or OCSP response
    /// at hand covers it: its CA publishes no status for it. Only when the validation options accept that
    /// ([`ValidationOptions::accept_unpublished`](crate::trust::validate::ValidationOptions)); else it is
    /// `Unknown`.
    Unpublished,
}

/// One revoked-certificate entry, decoded.
#[derive(Clone, Debug)]
struct Entry {
    serial: Vec<u8>,
    revoked_at: u64,
    reason: Option<Reason>,
    /// The certificateIssuer in effect for this entry (indirect CRLs); `None` means the CRL's issuer.
    issuer: Option<GeneralNames>,
}

/// A parsed CRL, from DER or PEM ("X509 CRL").
#[derive(Clone, Debug)]
pub struct Crl {
    list: CertificateList,
    /// The DER of the whole CRL, as given.
    der: Vec<u8>,
    /// The DER of the TBSCertList, as given (what the signature covers).
    tbs: Vec<u8>,
    this_update: u64,
    next_update: Option<u64>,
    /// cRLNumber, big-endian without leading zeros.
    number: Option<Vec<u8>>,
    /// deltaCRLIndicator's BaseCRLNumber: set for delta CRLs.
    base_number: Option<Vec<u8>>,
    idp: Option<IssuingDistributionPoint>,
    /// DER of the issuingDistributionPoint extension value (for scope comparison of deltas).
    idp_der: Option<Vec<u8>>,
    entries: Vec<Entry>,
    /// Why the CRL cannot be used at all (an unrecognised critical extension), if so.
    unusable: Option<String>,
}

/// How many revokedCertificates a DER CRL lists, counted without decoding it (0 when it does not parse).
fn raw_entry_count(der: &[u8]) -> usize {
    fn children(tlv: &[u8]) -> Vec<&[u8]> {
        crate::ber::der_children(tlv).unwrap_or_default()
    }
    let is_time = |f: &&[u8]| matches!(f.first(), Some(0x17 | 0x18));
    // TBSCertList: version?, signature, issuer, thisUpdate, nextUpdate?, revokedCertificates?, [0] crlExtensions?
    let tbs = children(der).first().map(|t| children(t)).unwrap_or_default();
    let revoked = tbs.iter().skip_while(|f| !is_time(f)).find(|f| !is_time(f)).filter(|f| f.first() == Some(&0x30));
    revoked.map_or(0, |r| children(r).len())
}

impl Crl {
    /// Parses one DER CRL. Malformed input, or a recognised extension that does not decode, is an error.
    pub fn from_der(der: &[u8]) -> Result<Crl> {
        crate::ber::check_sets(der)?;
        let entries = raw_entry_count(der);
        if entries > MAX_ENTRIES {
            return Err(Error::LimitExceeded(format!("CRL with {entries} entries (at most {MAX_ENTRIES})")));
        }
        let list = CertificateList::from_der(der).map_err(Error::malformed("CRL"))?;
        let tbs = sig::signed_part(der).map_err(Error::malformed("CRL"))?.to_vec();
        let this_update = list.tbs_cert_list.this_update.to_unix_duration().as_secs();
        let next_update = list.tbs_cert_list.next_update.map(|n| n.to_unix_duration().as_secs());
        let mut crl = Crl {
            der: der.to_vec(),
            tbs,
            this_update,
            next_update,
            number: None,
            base_number: None,
            idp: None,
            idp_der: None,
            entries: Vec::new(),
            unusable: None,
            list,
        };
        crl.decode_extensions()?;
        crl.decode_entries()?;
        Ok(crl)
    }

    fn decode_extensions(&mut self) -> Result<()> {
        let Some(exts) = self.list.tbs_cert_list.crl_extensions.clone() else { return Ok(()) };
        for (i, ext) in exts.iter().enumerate() {
            if exts.iter().skip(i + 1).any(|e| e.extn_id == ext.extn_id) {
                return Err(Error::bad("CRL", format!("extension {} appears twice", oids::name(&ext.extn_id))));
            }
            let value = ext.extn_value.as_bytes();
            match ext.extn_id {
                EXT_CRL_NUMBER => {
                    let n = CrlNumber::from_der(value).map_err(Error::malformed("CRL number"))?;
                    self.number = Some(strip_zeros(n.0.as_bytes()));
                }
                EXT_DELTA_CRL_INDICATOR => {
                    let n = BaseCrlNumber::from_der(value).map_err(Error::malformed("CRL delta indicator"))?;
                    self.base_number = Some(strip_zeros(n.0.as_bytes()));
                }
                EXT_ISSUING_DISTRIBUTION_POINT => {
                    let idp = IssuingDistributionPoint::from_der(value)
                        .map_err(Error::malformed("CRL issuing distribution point"))?;
                    self.idp = Some(idp);
                    self.idp_der = Some(value.to_vec());
                }
                EXT_AUTHORITY_KEY_ID | EXT_FRESHEST_CRL | EXT_ISSUER_ALT_NAME | EXT_AUTHORITY_INFO_ACCESS => {}
                ref other if ext.critical => {
                    self.unusable
                        .get_or_insert_with(|| format!("unrecognised critical CRL extension {}", oids::name(other)));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn decode_entries(&mut self) -> Result<()> {
        let Some(revoked) = self.list.tbs_cert_list.revoked_certificates.as_ref() else { return Ok(()) };
        if revoked.len() > MAX_ENTRIES {
            return Err(Error::LimitExceeded(format!("CRL with {} entries (at most {MAX_ENTRIES})", revoked.len())));
        }
        let indirect = self.idp.as_ref().is_some_and(|i| i.indirect_crl);
        let mut issuer: Option<GeneralNames> = None;
        let mut entries = Vec::with_capacity(revoked.len());
        for r in revoked {
            let mut reason = None;
            for (i, ext) in r.crl_entry_extensions.iter().flatten().enumerate() {
                if r.crl_entry_extensions.iter().flatten().skip(i + 1).any(|e| e.extn_id == ext.extn_id) {
                    return Err(Error::bad("CRL entry", format!("extension {} twice", oids::name(&ext.extn_id))));
                }
                let value = ext.extn_value.as_bytes();
                match ext.extn_id {
                    EXT_REASON_CODE => {
                        let r = CrlReason::from_der(value).map_err(Error::malformed("CRL entry reason code"))?;
                        reason = Some(Reason::from(r));
                    }
                    EXT_CERTIFICATE_ISSUER if indirect => {
                        let names =
                            GeneralNames::from_der(value).map_err(Error::malformed("CRL entry certificate issuer"))?;
                        issuer = Some(names);
                    }
                    EXT_INVALIDITY_DATE | EXT_HOLD_INSTRUCTION => {}
                    // certificateIssuer only has a meaning in an indirect CRL; elsewhere its entries cannot be
                    // attributed with confidence.
                    EXT_CERTIFICATE_ISSUER => {
                        self.unusable
                            .get_or_insert_with(|| "certificateIssuer entry in a CRL that is not indirect".into());
                    }
                    ref other if ext.critical => {
                        self.unusable.get_or_insert_with(|| {
                            format!("unrecognised critical CRL entry extension {}", oids::name(other))
                        });
                    }
                    _ => {}
                }
            }
            entries.push(Entry {
                serial: r.serial_number.as_bytes().to_vec(),
                revoked_at: r.revocation_date.to_unix_duration().as_secs(),
                reason,
                issuer: issuer.clone(),
            });
        }
        self.entries = entries;
        Ok(())
    }

    /// Parses a PEM text with any number of `X509 CRL` blocks, or one DER CRL.
    pub fn parse_all(data: &[u8]) -> Result<Vec<Crl>> {
        let text = core::str::from_utf8(data).ok().filter(|t| t.contains("-----BEGIN"));
        let Some(text) = text else {
            return Ok(vec![Crl::from_der(data)?]);
        };
        let (begin, end_marker) = ("-----BEGIN X509 CRL-----", "-----END X509 CRL-----");
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(begin) {
            let block = rest.get(start..).unwrap_or_default();
            let Some(end) = block.find(end_marker) else {
                return Err(Error::bad("CRL", "PEM block without END line"));
            };
            let pem = block.get(..end + end_marker.len()).unwrap_or_default();
            let (_, der) = der::pem::decode_vec(pem.as_bytes()).map_err(Error::malformed("PEM CRL"))?;
            out.push(Crl::from_der(&der)?);
            rest = block.get(end + end_marker.len()..).unwrap_or_default();
        }
        if out.is_empty() {
            return Err(Error::bad("CRL", "the PEM text holds no X509 CRL block"));
        }
        Ok(out)
    }

    /// The CRL issuer's name.
    pub fn issuer(&self) -> &Name {
        &self.list.tbs_cert_list.issuer
    }

    /// thisUpdate, Unix seconds.
    pub fn this_update(&self) -> u64 {
        self.this_update
    }

    /// nextUpdate, Unix seconds, when present.
    pub fn next_update(&self) -> Option<u64> {
        self.next_update
    }

    /// The DER encoding of the CRL, as parsed.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// True for a delta CRL (it has a deltaCRLIndicator).
    pub fn is_delta(&self) -> bool {
        self.base_number.is_some()
    }

    fn indirect(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.indirect_crl)
    }

    /// The entry listing `serial` of a certificate issued by `cert_issuer`, if any.
    fn find(&self, serial: &[u8], cert_issuer: &Name) -> Option<&Entry> {
        let indirect = self.indirect();
        self.entries.iter().find(|e| {
            e.serial == serial
                && match (&e.issuer, indirect) {
                    (Some(names), true) => {
                        names.iter().any(|n| matches!(n, GeneralName::DirectoryName(d) if same_name(d, cert_issuer)))
                    }
                    _ => same_name(self.issuer(), cert_issuer),
                }
        })
    }
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default().to_vec()
}

/// Compares CRL numbers (big-endian, no leading zeros).
fn number_cmp(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Distinguished-name equality (RFC 5280 section 7.1).
fn same_name(a: &Name, b: &Name) -> bool {
    super::names::names_equal(a, b)
}

fn same_general_name(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::DirectoryName(x), GeneralName::DirectoryName(y)) => same_name(x, y),
        _ => matches!((a.to_der(), b.to_der()), (Ok(x), Ok(y)) if x == y),
    }
}

/// The general names of a distribution point name; `nameRelativeToCRLIssuer` is appended to `base`.
fn dp_names(name: &DistributionPointName, base: &Name) -> Vec<GeneralName> {
    match name {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            let mut full = base.clone();
            full.0.push(rdn.clone());
            vec![GeneralName::DirectoryName(full)]
        }
    }
}

fn reason_bits(flags: &Option<ReasonFlags>) -> u16 {
    flags.map_or(ALL_REASONS, |f| f.bits() & ALL_REASONS)
}

/// What `check` may use.
pub struct RevocationContext<'a> {
    /// The CRLs available (complete and delta).
    pub crls: &'a [Crl],
    /// Validation time, Unix seconds.
    pub time: u64,
    /// Accept CRLs signed with SHA-1.
    pub allow_sha1: bool,
    /// Certificates that may have signed a CRL besides the certificate's issuer (separate CRL-signing keys,
    /// indirect CRLs, key rollover): every certificate the validator knows (message, collection, path).
    pub candidates: &'a [&'a Certificate],
    /// Validates a candidate CRL signer other than the certificate's own issuer: returns Ok when it chains
    /// to a trust anchor (and is itself not revoked). The validator provides it (recursively, depth-limited).
    pub validate_signer: &'a dyn Fn(&Certificate) -> core::result::Result<(), String>,
}

/// A distribution point to process: one of the certificate's, or the issuer as the default one.
struct Point {
    dp: DistributionPoint,
    /// True for the default point made from the certificate's issuer.
    default: bool,
}

/// RFC 5280 6.3.3: is `cert` (issued by `issuer`, whose key may need the inherited DSA parameters
/// `issuer_inherited_params`) revoked at `ctx.time`?
///
/// Call it for each certificate of a path after its signature has been checked. CRLs are tried newest first,
/// for each of the certificate's distribution points and then for the issuer as the default one, until every
/// reason code is covered ([`RevocationStatus::Good`]) or an entry lists the certificate. A CRL signer other than
/// `issuer` must be among `ctx.candidates` and pass `ctx.validate_signer`, unless it is `cert` itself (a CRL
/// issuer covered by its own indirect CRL).
pub fn check(
    cert: &Certificate,
    issuer: &Certificate,
    issuer_inherited_params: Option<&der::Any>,
    ctx: &RevocationContext<'_>,
) -> RevocationStatus {
    let tbs = &cert.tbs_certificate;
    let default =
        Point { dp: DistributionPoint { distribution_point: None, reasons: None, crl_issuer: None }, default: true };
    let mut points = Vec::new();
    let dp_ext = tbs.extensions.iter().flatten().find(|e| e.extn_id == EXT_CRL_DISTRIBUTION_POINTS);
    if let Some(ext) = dp_ext {
        match CrlDistributionPoints::from_der(ext.extn_value.as_bytes()) {
            Ok(dps) => points.extend(dps.0.into_iter().map(|dp| Point { dp, default: false })),
            Err(e) => return RevocationStatus::Unknown { reason: format!("malformed cRLDistributionPoints: {e}") },
        }
    }
    // With distribution points, CRLs not named by any but issued by the certificate's issuer are tried last.
    points.push(default);

    let signer = Signers { cert, issuer, issuer_params: issuer_inherited_params, ctx };
    let mut reasons_mask = 0u16;
    let mut problems: Vec<String> = Vec::new();
    // Newest first, so that an older CRL that is still current does not hide a newer revocation.
    let mut complete: Vec<&Crl> = ctx.crls.iter().filter(|c| !c.is_delta()).collect();
    crate::sort::by_key(&mut complete, |c| u64::MAX - c.this_update);
    for point in &points {
        if reasons_mask == ALL_REASONS {
            break;
        }
        for crl in complete.iter().copied() {
            if reasons_mask == ALL_REASONS {
                break;
            }
            match process(cert, point, crl, &signer, reasons_mask) {
                Ok(Outcome::Covered { interim, entry }) => {
                    if let Some(e) = entry {
                        return RevocationStatus::Revoked { revoked_at: e.revoked_at, reason: e.reason };
                    }
                    reasons_mask |= interim;
                }
                Ok(Outcome::NotApplicable) => {}
                Err(p) => {
                    let p = format!(
                        "CRL of {} (thisUpdate {}): {p}",
                        crate::dn::to_string(crl.issuer()),
                        crate::clock::format_rfc3339(crl.this_update)
                    );
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
    }
    if reasons_mask == ALL_REASONS {
        return RevocationStatus::Good;
    }
    let mut reason = if reasons_mask == 0 {
        format!("no usable CRL from {} covers this certificate", crate::dn::to_string(&tbs.issuer))
    } else {
        "the available CRLs do not cover every revocation reason".to_string()
    };
    if !problems.is_empty() {
        reason.push_str("; ");
        reason.push_str(&problems.join("; "));
    }
    RevocationStatus::Unknown { reason }
}

enum Outcome {
    /// The CRL (with its delta, if any) applies: the reasons it covers, and the entry listing the certificate
    /// (already combined with the delta CRL; never removeFromCRL).
    Covered { interim: u16, entry: Option<Entry> },
    /// The CRL is not for this certificate or this distribution point, or adds no reasons.
    NotApplicable,
}

/// Steps (a) to (j) of RFC 5280 6.3.3 for one distribution point and one complete CRL.
fn process(
    cert: &Certificate,
    point: &Point,
    crl: &Crl,
    signer: &Signers<'_>,
    reasons_mask: u16,
) -> core::result::Result<Outcome, String> {
    let ctx = signer.ctx;
    let tbs = &cert.tbs_certificate;
    let dp = &point.dp;
    // Only CRLs issued by then.
    if crl.this_update > ctx.time {
        return Ok(Outcome::NotApplicable);
    }
    // (b)(1): the CRL issuer.
    if let Some(crl_issuer) = &dp.crl_issuer {
        let named = crl_issuer.iter().any(|n| matches!(n, GeneralName::DirectoryName(d) if same_name(d, crl.issuer())));
        if !named {
            return Ok(Outcome::NotApplicable);
        }
        if !crl.indirect() && !same_name(crl.issuer(), &tbs.issuer) {
            return Err("issued by the distribution point's cRLIssuer but not marked as an indirect CRL".into());
        }
    } else if !same_name(crl.issuer(), &tbs.issuer) {
        return Ok(Outcome::NotApplicable);
    }
    // (b)(2): the issuing distribution point.
    if let Some(idp) = &crl.idp {
        if let Some(idp_name) = &idp.distribution_point {
            let idp_names = dp_names(idp_name, crl.issuer());
            let dp_names_: Vec<GeneralName> = match (&dp.distribution_point, &dp.crl_issuer) {
                (Some(name), issuer_names) => {
                    // nameRelativeToCRLIssuer in a certificate is relative to its cRLIssuer, else its issuer.
                    let base = issuer_names
                        .iter()
                        .flatten()
                        .find_map(|n| match n {
                            GeneralName::DirectoryName(d) => Some(d),
                            _ => None,
                        })
                        .unwrap_or(&tbs.issuer);
                    dp_names(name, base)
                }
                (None, Some(issuer_names)) => issuer_names.clone(),
                (None, None) if point.default => vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                (None, None) => Vec::new(),
            };
            if !idp_names.iter().any(|a| dp_names_.iter().any(|b| same_general_name(a, b))) {
                return Ok(Outcome::NotApplicable);
            }
        }
        let is_ca = cert::is_ca(cert);
        if idp.only_contains_user_certs && is_ca {
            return Ok(Outcome::NotApplicable);
        }
        if idp.only_contains_ca_certs && !is_ca {
            return Ok(Outcome::NotApplicable);
        }
        if idp.only_contains_attribute_certs {
            return Ok(Outcome::NotApplicable);
        }
    }
    // (c), (d): the reasons this CRL may add.
    let idp_reasons = crl.idp.as_ref().map_or(ALL_REASONS, |i| reason_bits(&i.only_some_reasons));
    let interim = idp_reasons & reason_bits(&dp.reasons);
    if interim & !reasons_mask == 0 {
        return Ok(Outcome::NotApplicable);
    }
    // (a)(1): the CRL must be current.
    if crl.next_update.is_some_and(|n| n < ctx.time) {
        return Err(format!(
            "out of date (nextUpdate {})",
            crl.next_update.map(crate::clock::format_rfc3339).unwrap_or_default()
        ));
    }
    if let Some(why) = &crl.unusable {
        return Err(why.clone());
    }
    // (f), (g): the CRL signer and the signature.
    let key = signer.find(crl)?;
    // (a)(2), (h): the newest current delta CRL of the same issuer and scope, signed with the same key.
    let delta = crl.number.as_ref().and_then(|number| {
        ctx.crls
            .iter()
            .filter(|d| {
                d.base_number.as_ref().is_some_and(|b| number_cmp(b, number).is_le())
                    && d.number.as_ref().is_some_and(|n| number_cmp(n, number).is_gt())
                    && same_name(d.issuer(), crl.issuer())
                    && d.idp_der == crl.idp_der
                    && d.this_update <= ctx.time
                    && d.next_update.is_none_or(|n| n >= ctx.time)
                    && d.unusable.is_none()
                    && key.verifies(d, ctx.allow_sha1)
            })
            .max_by(|a, b| number_cmp(a.number.as_deref().unwrap_or_default(), b.number.as_deref().unwrap_or_default()))
    });
    // (i), (j), (k): look the certificate up, the delta first.
    let serial = tbs.serial_number.as_bytes();
    let entry = match delta.and_then(|d| d.find(serial, &tbs.issuer)) {
        Some(e) if e.reason == Some(Reason::RemoveFromCrl) => None,
        Some(e) => Some(e.clone()),
        None => crl.find(serial, &tbs.issuer).filter(|e| e.reason != Some(Reason::RemoveFromCrl)).cloned(),
    };
    Ok(Outcome::Covered { interim, entry })
}

/// A key that verified a CRL: the CRL signer's public key.
struct Key<'k> {
    spki: &'k spki::SubjectPublicKeyInfoOwned,
    params: Option<&'k der::Any>,
}

impl Key<'_> {
    fn verifies(&self, crl: &Crl, allow_sha1: bool) -> bool {
        verify_crl(crl, self.spki, self.params, allow_sha1).is_ok()
    }
}

fn verify_crl(
    crl: &Crl,
    spki: &spki::SubjectPublicKeyInfoOwned,
    params: Option<&der::Any>,
    allow_sha1: bool,
) -> core::result::Result<(), sig::SignatureError> {
    if crl.list.signature_algorithm != crl.list.tbs_cert_list.signature {
        return Err(sig::SignatureError::UnsupportedAlgorithm(
            "signature algorithm differs from the one in the TBS".into(),
        ));
    }
    let signature = crl.list.signature.as_bytes().ok_or(sig::SignatureError::Invalid)?;
    sig::verify(&crl.tbs, &crl.list.signature_algorithm, signature, spki, params, allow_sha1)
}

/// Finds and checks the signer of a CRL (RFC 5280 6.3.3 (f), (g)).
struct Signers<'a> {
    /// The certificate whose status is sought.
    cert: &'a Certificate,
    issuer: &'a Certificate,
    issuer_params: Option<&'a der::Any>,
    ctx: &'a RevocationContext<'a>,
}

impl<'a> Signers<'a> {
    fn find(&self, crl: &Crl) -> core::result::Result<Key<'a>, String> {
        let issuer = self.issuer;
        let ctx = self.ctx;
        let mut why: Option<String> = None;
        let candidates = core::iter::once(issuer).chain(ctx.candidates.iter().copied());
        for (i, c) in candidates.enumerate() {
            let subject = &c.tbs_certificate.subject;
            if !same_name(subject, crl.issuer()) {
                continue;
            }
            let is_issuer = i == 0
                || (same_name(subject, &issuer.tbs_certificate.subject)
                    && c.tbs_certificate.subject_public_key_info == issuer.tbs_certificate.subject_public_key_info);
            let spki = &c.tbs_certificate.subject_public_key_info;
            let params = if is_issuer { self.issuer_params } else { None };
            if let Err(e) = verify_crl(crl, spki, params, ctx.allow_sha1) {
                if i == 0 || why.is_none() {
                    why = Some(format!("signature: {e}"));
                }
                continue;
            }
            if !cert::allows(c, KeyUsages::CRLSign) {
                why = Some("its signer's key usage does not include cRLSign".into());
                continue;
            }
            // A CRL issuer's certificate may be covered by the (indirect) CRL it signs itself (PKITS 4.14.30):
            // the caller is validating that very certificate's path, so it is not validated again here.
            if !is_issuer && c != self.cert {
                if let Err(e) = (ctx.validate_signer)(c) {
                    why = Some(format!("its signer {} is not valid: {e}", crate::dn::to_string(subject)));
                    continue;
                }
            }
            return Ok(Key { spki, params });
        }
        Err(why.unwrap_or_else(|| "no certificate of its issuer was found to check its signature".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pkits/");
    /// 2020-06-15T00:00:00Z
    const TIME: u64 = 1_592_179_200;

    struct Pkits {
        certs: Vec<Certificate>,
        crls: Vec<Crl>,
        anchor: Certificate,
    }

    fn pkits() -> Option<Pkits> {
        let read_dir = |d: &str| {
            let mut files: Vec<_> =
                std::fs::read_dir(format!("{PKITS}{d}")).ok()?.map(|e| e.unwrap().path()).collect::<Vec<_>>();
            files.sort();
            Some(files)
        };
        let Some(cert_files) = read_dir("certs") else {
            eprintln!("PKITS data not found at {PKITS}; skipping");
            return None;
        };
        // A few PKITS certificates are deliberately malformed (x509-cert refuses them); they are not needed here.
        let certs = cert_files.iter().filter_map(|f| Certificate::from_der(&std::fs::read(f).unwrap()).ok()).collect();
        let crls =
            read_dir("crls").unwrap().iter().map(|f| Crl::from_der(&std::fs::read(f).unwrap()).unwrap()).collect();
        let anchor = load_cert("TrustAnchorRootCertificate.crt");
        Some(Pkits { certs, crls, anchor })
    }

    fn load_cert(name: &str) -> Certificate {
        Certificate::from_der(&std::fs::read(format!("{PKITS}certs/{name}")).unwrap()).unwrap()
    }

    fn der(c: &Certificate) -> Vec<u8> {
        c.to_der().unwrap()
    }

    /// Extends `path` (target first) up to the anchor, trying every issuer whose key verifies.
    fn extend(p: &Pkits, path: &mut Vec<Certificate>) -> bool {
        let last = path.last().unwrap().clone();
        if der(&last) == der(&p.anchor) {
            return true;
        }
        if path.len() > 12 {
            return false;
        }
        for c in &p.certs {
            if c.tbs_certificate.subject.to_der().unwrap() != last.tbs_certificate.issuer.to_der().unwrap()
                || path.iter().any(|x| der(x) == der(c))
                || sig::verify_certificate(&last, &c.tbs_certificate.subject_public_key_info, None, true).is_err()
            {
                continue;
            }
            path.push(c.clone());
            if extend(p, path) {
                return true;
            }
            path.pop();
        }
        false
    }

    fn path_of(p: &Pkits, target: &Certificate) -> Option<Vec<Certificate>> {
        let mut path = vec![target.clone()];
        extend(p, &mut path).then_some(path)
    }

    /// The status of every certificate of the path but the anchor, target first.
    fn check_path(p: &Pkits, path: &[Certificate], depth: usize) -> Vec<RevocationStatus> {
        let validate = |c: &Certificate| validate_signer(p, c, depth + 1);
        let candidates: Vec<&Certificate> = p.certs.iter().collect();
        let ctx = RevocationContext {
            crls: &p.crls,
            time: TIME,
            allow_sha1: true,
            candidates: &candidates,
            validate_signer: &validate,
        };
        path.windows(2).map(|w| check(&w[0], &w[1], None, &ctx)).collect()
    }

    fn validate_signer(p: &Pkits, c: &Certificate, depth: usize) -> core::result::Result<(), String> {
        if depth > 4 {
            return Err("CRL signer chain too deep".into());
        }
        let path = path_of(p, c).ok_or("no path to the anchor")?;
        for s in check_path(p, &path, depth) {
            if s != RevocationStatus::Good {
                return Err(format!("{s:?}"));
            }
        }
        Ok(())
    }

    /// Tests that fail for reasons other than revocation (the path validator's job).
    const NOT_REVOCATION: &[&str] = &[
        "InvalidBasicSelfIssuedCRLSigningKeyTest8",
        "InvalidkeyUsageCriticalkeyCertSignFalseTest1",
        "InvalidkeyUsageNotCriticalkeyCertSignFalseTest2",
    ];

    /// PKITS 4.4, 4.5, 4.7, 4.14 and 4.15, by end-entity file name prefix.
    const TESTS: &[&str] = &[
        // 4.4
        "InvalidMissingCRLTest1",
        "InvalidRevokedCATest2",
        "InvalidRevokedEETest3",
        "InvalidBadCRLSignatureTest4",
        "InvalidBadCRLIssuerNameTest5",
        "InvalidWrongCRLTest6",
        "ValidTwoCRLsTest7",
        "InvalidUnknownCRLEntryExtensionTest8",
        "InvalidUnknownCRLExtensionTest9",
        "InvalidUnknownCRLExtensionTest10",
        "InvalidOldCRLnextUpdateTest11",
        "Invalidpre2000CRLnextUpdateTest12",
        "ValidGeneralizedTimeCRLnextUpdateTest13",
        "ValidNegativeSerialNumberTest14",
        "InvalidNegativeSerialNumberTest15",
        "ValidLongSerialNumberTest16",
        "ValidLongSerialNumberTest17",
        "InvalidLongSerialNumberTest18",
        "ValidSeparateCertificateandCRLKeysTest19",
        "InvalidSeparateCertificateandCRLKeysTest20",
        "InvalidSeparateCertificateandCRLKeysTest21",
        // 4.5
        "ValidBasicSelfIssuedOldWithNewTest1",
        "InvalidBasicSelfIssuedOldWithNewTest2",
        "ValidBasicSelfIssuedNewWithOldTest3",
        "ValidBasicSelfIssuedNewWithOldTest4",
        "InvalidBasicSelfIssuedNewWithOldTest5",
        "ValidBasicSelfIssuedCRLSigningKeyTest6",
        "InvalidBasicSelfIssuedCRLSigningKeyTest7",
        "InvalidBasicSelfIssuedCRLSigningKeyTest8",
        // 4.7
        "InvalidkeyUsageCriticalkeyCertSignFalseTest1",
        "InvalidkeyUsageNotCriticalkeyCertSignFalseTest2",
        "ValidkeyUsageNotCriticalTest3",
        "InvalidkeyUsageCriticalcRLSignFalseTest4",
        "InvalidkeyUsageNotCriticalcRLSignFalseTest5",
        // 4.14
        "ValiddistributionPointTest1",
        "InvaliddistributionPointTest2",
        "InvaliddistributionPointTest3",
        "ValiddistributionPointTest4",
        "ValiddistributionPointTest5",
        "InvaliddistributionPointTest6",
        "ValiddistributionPointTest7",
        "InvaliddistributionPointTest8",
        "InvaliddistributionPointTest9",
        "ValidNoissuingDistributionPointTest10",
        "InvalidonlyContainsUserCertsTest11",
        "InvalidonlyContainsCACertsTest12",
        "ValidonlyContainsCACertsTest13",
        "InvalidonlyContainsAttributeCertsTest14",
        "InvalidonlySomeReasonsTest15",
        "InvalidonlySomeReasonsTest16",
        "InvalidonlySomeReasonsTest17",
        "ValidonlySomeReasonsTest18",
        "ValidonlySomeReasonsTest19",
        "InvalidonlySomeReasonsTest20",
        "InvalidonlySomeReasonsTest21",
        "ValidIDPwithindirectCRLTest22",
        "InvalidIDPwithindirectCRLTest23",
        "ValidIDPwithindirectCRLTest24",
        "ValidIDPwithindirectCRLTest25",
        "InvalidIDPwithindirectCRLTest26",
        "InvalidcRLIssuerTest27",
        "ValidcRLIssuerTest28",
        "ValidcRLIssuerTest29",
        "ValidcRLIssuerTest30",
        "InvalidcRLIssuerTest31",
        "InvalidcRLIssuerTest32",
        "ValidcRLIssuerTest33",
        "InvalidcRLIssuerTest34",
        "InvalidcRLIssuerTest35",
        // 4.15
        "InvaliddeltaCRLIndicatorNoBaseTest1",
        "ValiddeltaCRLTest2",
        "InvaliddeltaCRLTest3",
        "InvaliddeltaCRLTest4",
        "ValiddeltaCRLTest5",
        "InvaliddeltaCRLTest6",
        "ValiddeltaCRLTest7",
        "ValiddeltaCRLTest8",
        "InvaliddeltaCRLTest9",
        "InvaliddeltaCRLTest10",
    ];

    #[test]
    fn pkits_revocation_sections() {
        let Some(p) = pkits() else { return };
        let mut failures = Vec::new();
        for test in TESTS {
            let ee = load_cert(&format!("{test}EE.crt"));
            let Some(path) = path_of(&p, &ee) else {
                failures.push(format!("{test}: no path"));
                continue;
            };
            let statuses = check_path(&p, &path, 0);
            let all_good = statuses.iter().all(|s| *s == RevocationStatus::Good);
            let ok = if test.starts_with("Valid") || NOT_REVOCATION.contains(test) { all_good } else { !all_good };
            let summary: Vec<String> = statuses
                .iter()
                .map(|s| match s {
                    RevocationStatus::Good => "good".to_string(),
                    RevocationStatus::Revoked { reason, .. } => format!("revoked({reason:?})"),
                    RevocationStatus::Unknown { reason } => format!("unknown({reason})"),
                    RevocationStatus::Unpublished => "unpublished".to_string(),
                })
                .collect();
            println!("{} {test}: [{}]", if ok { "PASS" } else { "FAIL" }, summary.join(", "));
            if !ok {
                failures.push(format!("{test}: {summary:?}"));
            }
        }
        assert!(failures.is_empty(), "PKITS failures:\n{}", failures.join("\n"));
    }

    #[test]
    fn parses_der_and_pem_and_refuses_garbage() {
        let Ok(der) = std::fs::read(format!("{PKITS}crls/GoodCACRL.crl")) else { return };
        let crl = Crl::from_der(&der).unwrap();
        assert_eq!(crate::dn::to_string(crl.issuer()), "CN=Good CA,O=Test Certificates 2011,C=US");
        assert_eq!(crl.this_update(), 1_262_334_600); // 2010-01-01T08:30:00Z
        assert_eq!(crl.next_update(), Some(1_924_936_200)); // 2030-12-31T08:30:00Z
        assert!(!crl.is_delta());
        assert_eq!(crl.der(), &der[..]);
        assert_eq!(Crl::parse_all(&der).unwrap().len(), 1);

        let delta = std::fs::read(format!("{PKITS}crls/deltaCRLCA1deltaCRL.crl")).unwrap();
        let pem = format!(
            "junk before\n{}\n{}",
            der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &der).unwrap(),
            der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &delta).unwrap()
        );
        let both = Crl::parse_all(pem.as_bytes()).unwrap();
        assert_eq!(both.len(), 2);
        assert!(both[1].is_delta());

        // Truncations, trailing data, garbage and wrong PEM never panic and give a typed error.
        for n in 0..der.len() {
            assert!(Crl::from_der(&der[..n]).is_err());
        }
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(Crl::from_der(&trailing).is_err());
        assert!(Crl::parse_all(b"\x30\x03\x02\x01\x01").is_err());
        let cert_pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert_eq!(Crl::parse_all(cert_pem.as_bytes()).unwrap_err().code(), "malformed");
        let open = "-----BEGIN X509 CRL-----\nMAA=\n";
        assert!(Crl::parse_all(open.as_bytes()).is_err());
        // Every single-byte change either fails to parse or parses: no panic.
        for i in 0..der.len() {
            let mut bad = der.clone();
            bad[i] ^= 0xff;
            let _ = Crl::from_der(&bad);
        }
    }

    #[test]
    fn entries_are_counted_before_decoding() {
        use crate::ber::tlv;
        // tbsCertList { signature, issuer, thisUpdate, revokedCertificates }, signatureAlgorithm, signature.
        let crl = |entries: usize| {
            let alg = tlv(0x30, &[0x06, 0x01, 0x2a]);
            let time = tlv(0x17, b"250101000000Z");
            let tbs =
                tlv(0x30, &[alg.clone(), tlv(0x30, &[]), time, tlv(0x30, &[0x30, 0x00].repeat(entries))].concat());
            tlv(0x30, &[tbs, alg, vec![0x03, 0x01, 0x00]].concat())
        };
        assert_eq!(raw_entry_count(&crl(3)), 3);
        assert!(matches!(Crl::from_der(&crl(3)), Err(Error::Malformed { .. })));
        let result = Crl::from_der(&crl(MAX_ENTRIES + 1));
        assert!(matches!(result, Err(Error::LimitExceeded(_))), "{result:?}");
    }

    #[test]
    fn statuses_serialise_for_the_ui() {
        let revoked = RevocationStatus::Revoked { revoked_at: 5, reason: Some(Reason::RemoveFromCrl) };
        assert_eq!(
            serde_json::to_string(&revoked).unwrap(),
            r#"{"status":"revoked","revokedAt":5,"reason":"remove-from-crl"}"#
        );
        assert_eq!(serde_json::to_string(&RevocationStatus::Good).unwrap(), r#"{"status":"good"}"#);
        let unknown = RevocationStatus::Unknown { reason: "no CRL".into() };
        assert_eq!(serde_json::to_string(&unknown).unwrap(), r#"{"status":"unknown","reason":"no CRL"}"#);
        assert_eq!(serde_json::to_string(&Reason::AaCompromise).unwrap(), r#""aa-compromise""#);
    }

    #[test]
    fn time_sha1_and_signer_candidates_matter() {
        let Some(p) = pkits() else { return };
        let never = |_: &Certificate| -> core::result::Result<(), String> { Err("not trusted".into()) };
        let ok = |_: &Certificate| -> core::result::Result<(), String> { Ok(()) };
        let ctx = |time, allow_sha1, candidates, validate_signer| RevocationContext {
            crls: &p.crls,
            time,
            allow_sha1,
            candidates,
            validate_signer,
        };
        let ee = load_cert("InvalidRevokedEETest3EE.crt");
        let ca = load_cert("GoodCACert.crt");
        let revoked = check(&ee, &ca, None, &ctx(TIME, true, &[], &never));
        assert!(matches!(revoked, RevocationStatus::Revoked { reason: Some(Reason::KeyCompromise), .. }));
        // Before the CRL was issued there is none to go by.
        assert!(matches!(
            check(&ee, &ca, None, &ctx(1_000_000_000, true, &[], &never)),
            RevocationStatus::Unknown { .. }
        ));
        // PKITS signs with SHA-256, except its DSA CA, whose CRL is signed with dsaWithSHA1.
        let dsa_ee = load_cert("ValidDSASignaturesTest4EE.crt");
        let dsa_ca = load_cert("DSACACert.crt");
        assert_eq!(check(&dsa_ee, &dsa_ca, None, &ctx(TIME, true, &[], &never)), RevocationStatus::Good);
        let RevocationStatus::Unknown { reason } = check(&dsa_ee, &dsa_ca, None, &ctx(TIME, false, &[], &never)) else {
            panic!("SHA-1 CRL accepted")
        };
        assert!(reason.contains("SHA-1"), "{reason}");

        // A separate CRL-signing key must be among the candidates and validate.
        let ee = load_cert("ValidSeparateCertificateandCRLKeysTest19EE.crt");
        let ca = load_cert("SeparateCertificateandCRLKeysCertificateSigningCACert.crt");
        let signing_cert = load_cert("SeparateCertificateandCRLKeysCRLSigningCert.crt");
        let signer = [&signing_cert];
        assert_eq!(check(&ee, &ca, None, &ctx(TIME, true, &signer, &ok)), RevocationStatus::Good);
        assert!(matches!(check(&ee, &ca, None, &ctx(TIME, true, &signer, &never)), RevocationStatus::Unknown { .. }));
        assert!(matches!(check(&ee, &ca, None, &ctx(TIME, true, &[], &ok)), RevocationStatus::Unknown { .. }));
    }
}
