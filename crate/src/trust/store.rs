//! The admin's trusted-CA collection (a "virtual certificate collection").
//!
//! An administrator hands Siegel the CAs it should trust in whatever shape they have them in:
//! - PEM: one or more `CERTIFICATE` blocks, and `PKCS7` blocks holding a certs-only SignedData;
//! - a DER certificate (.cer/.crt/.der);
//! - a DER or BER PKCS#7 certs-only SignedData (.p7b/.p7c), as a ContentInfo or bare;
//! - a Windows serialized certificate store (.sst): what `CertSaveStore(CERT_STORE_SAVE_AS_STORE)` and
//!   .NET's `X509ContentType.SerializedStore` write (MS-OSHARED 2.3.2.5, "serialized digital certificate
//!   store"). PowerShell's `Export-Certificate -Type SST` files that are PKCS#7 SignedData instead (the
//!   certificates in its `certificates` field, whatever the encapsulated content, e.g. a CTL) are read as
//!   PKCS#7 and reported as [`StoreFormat::Pkcs7`].
//!
//! [`TrustStore::import`] detects the format, and merges certificates already present (same DER).
//! Self-issued certificates (subject equal to issuer) are the trust anchors; the others are only
//! material for path building (see [`TrustStore::anchors`] and [`TrustStore::intermediates`]).
//!
//! Signatures on a PKCS#7 container are not checked: importing a file into the store is the admin's
//! decision, and the container's signer is not what is being trusted.

use std::collections::HashSet;

use der::{Decode, Encode};
use serde::Serialize;
use sha2::Digest as _;
use x509_cert::Certificate;

use crate::cert::{Summary, SummaryFields};
use crate::{ber, oids, Error, Result};

/// Most certificates one import may add, and most elements one .sst file may hold.
pub const MAX_ITEMS: usize = 100_000;

/// The 8-byte header of a serialized store: version 0, then the magic `"CERT"` (0x54524543, LE).
const SST_HEADER: [u8; 8] = [0, 0, 0, 0, b'C', b'E', b'R', b'T'];
/// Element id of an encoded certificate (`CERT_CERT_PROP_ID`), which ends one certificate's context.
const SST_CERTIFICATE: u32 = 0x20;

const WHAT: &str = "certificate collection";
const EXPECTED: &str = "expected PEM, a DER certificate, PKCS#7 (.p7b/.p7c) or a Windows serialized store (.sst)";

/// Trusted roots and intermediates imported from files. Duplicates (same DER) are merged.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    certificates: Vec<Certificate>,
    /// SHA-256 of the DER of every certificate in `certificates`.
    seen: HashSet<[u8; 32]>,
}

/// What one import added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The format detected.
    pub format: StoreFormat,
    /// Certificates new to the store.
    pub added: usize,
    /// Certificates the store already held (or that appeared twice in the file).
    pub duplicates: usize,
}

/// The container formats [`TrustStore::import`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreFormat {
    /// PEM text: `CERTIFICATE` and/or `PKCS7` blocks.
    Pem,
    /// One DER (or BER) certificate.
    Der,
    /// A DER or BER PKCS#7 / CMS SignedData carrying certificates (.p7b, .p7c, PKCS#7-shaped .sst).
    Pkcs7,
    /// A Windows serialized certificate store (.sst).
    Sst,
}

/// Whether a certificate of the collection is a trust anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Self-issued (subject equals issuer): a trust anchor.
    Root,
    /// Issued by another CA: available for path building, not trusted on its own.
    Intermediate,
}

/// One certificate of the collection as shown to an admin: the [`Summary`] fields (subject, issuer,
/// serial, validity, SHA-256 fingerprint, ...) plus its [`Role`].
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreEntry {
    /// What the certificate says.
    #[serde(flatten)]
    pub summary: SummaryFields,
    /// Root or intermediate.
    pub role: Role,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Imports every certificate of `data`, detecting its format: PEM (`CERTIFICATE` blocks, and
    /// `PKCS7` blocks holding a certs-only SignedData), a DER certificate, a DER/BER PKCS#7 certs-only
    /// SignedData (.p7b/.p7c, as ContentInfo or bare), or a Windows serialized certificate store (.sst).
    ///
    /// All or nothing: on error the store is unchanged. A file without any certificate is an error.
    pub fn import(&mut self, data: &[u8]) -> Result<ImportSummary> {
        let (format, certificates) = parse_collection(data)?;
        if certificates.is_empty() {
            return Err(Error::bad(WHAT, format!("the {} file holds no certificate", format.name())));
        }
        let mut summary = ImportSummary { format, added: 0, duplicates: 0 };
        for cert in certificates {
            if self.add(cert) {
                summary.added += 1;
            } else {
                summary.duplicates += 1;
            }
        }
        Ok(summary)
    }

    /// Adds one certificate; false when the store already holds the same DER.
    pub fn add(&mut self, cert: Certificate) -> bool {
        // A certificate that was decoded always re-encodes; one that cannot be encoded is keyed by
        // the empty DER, as in `cert::fingerprint_sha256`.
        let key: [u8; 32] = sha2::Sha256::digest(cert.to_der().unwrap_or_default()).into();
        if !self.seen.insert(key) {
            return false;
        }
        self.certificates.push(cert);
        true
    }

    /// All certificates, in import order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Self-issued certificates (subject == issuer DER): the trust anchors.
    pub fn anchors(&self) -> Vec<&Certificate> {
        self.certificates.iter().filter(|c| role(c) == Role::Root).collect()
    }

    /// The others: available for path building, not trusted on their own.
    pub fn intermediates(&self) -> Vec<&Certificate> {
        self.certificates.iter().filter(|c| role(c) == Role::Intermediate).collect()
    }

    /// Every certificate with its summary and role, in import order.
    pub fn entries(&self) -> Vec<StoreEntry> {
        self.certificates
            .iter()
            .map(|c| StoreEntry { summary: Summary::of(c).fields().clone(), role: role(c) })
            .collect()
    }

    /// Number of certificates.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// True when the store holds no certificate.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }
}

impl StoreFormat {
    /// The name used in messages.
    fn name(self) -> &'static str {
        match self {
            StoreFormat::Pem => "PEM",
            StoreFormat::Der => "DER",
            StoreFormat::Pkcs7 => "PKCS#7",
            StoreFormat::Sst => ".sst",
        }
    }
}

/// Root when subject and issuer have the same DER encoding.
fn role(cert: &Certificate) -> Role {
    let tbs = &cert.tbs_certificate;
    let same = match (tbs.subject.to_der(), tbs.issuer.to_der()) {
        (Ok(s), Ok(i)) => s == i,
        _ => tbs.subject == tbs.issuer,
    };
    if same {
        Role::Root
    } else {
        Role::Intermediate
    }
}

fn not_a_collection(detail: Option<String>) -> Error {
    match detail {
        Some(d) => Error::bad(WHAT, format!("{EXPECTED} ({d})")),
        None => Error::bad(WHAT, EXPECTED),
    }
}

pub(crate) fn parse_collection(data: &[u8]) -> Result<(StoreFormat, Vec<Certificate>)> {
    if data.starts_with(&SST_HEADER) {
        return Ok((StoreFormat::Sst, parse_sst(data)?));
    }
    if contains(data, b"-----BEGIN ") {
        return Ok((StoreFormat::Pem, parse_pem(&String::from_utf8_lossy(data))?));
    }
    if data.first() == Some(&0x30) {
        return parse_der(data);
    }
    Err(not_a_collection(None))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// PEM: `CERTIFICATE` / `X509 CERTIFICATE` and `PKCS7` / `PKCS #7 SIGNED DATA` / `CMS` blocks; other
/// blocks (keys, CRLs) are skipped.
fn parse_pem(text: &str) -> Result<Vec<Certificate>> {
    const BEGIN: &str = "-----BEGIN ";
    if text.matches(BEGIN).count() > MAX_ITEMS {
        return Err(Error::LimitExceeded(format!("more than {MAX_ITEMS} PEM blocks in one file")));
    }
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let Some(label_end) = after.find("-----") else {
            return Err(Error::bad("PEM", "a BEGIN line without its closing dashes"));
        };
        let label = after[..label_end].trim();
        let body = &after[label_end + 5..];
        let end_line = format!("-----END {label}-----");
        let Some(end) = body.find(&end_line) else {
            return Err(Error::bad("PEM", format!("the {label} block has no END line")));
        };
        let der = || pem_body(label, &body[..end]);
        match label {
            "CERTIFICATE" | "X509 CERTIFICATE" => {
                let cert_der = ber::to_der(&der()?)?;
                ber::check_sets(&cert_der)?;
                out.push(Certificate::from_der(&cert_der).map_err(Error::malformed("PEM certificate"))?)
            }
            "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => match parse_der(&der()?)? {
                (StoreFormat::Pkcs7, certs) => out.extend(certs),
                _ => return Err(Error::bad("PEM", format!("the {label} block holds no PKCS#7 SignedData"))),
            },
            "TRUSTED CERTIFICATE" => {
                return Err(Error::unsupported(
                    "PEM block",
                    "TRUSTED CERTIFICATE (OpenSSL trust settings would be ignored); \
                     convert it with `openssl x509 -in FILE -out PLAIN.pem` first",
                ))
            }
            _ => {}
        }
        if out.len() > MAX_ITEMS {
            return Err(Error::LimitExceeded(format!("more than {MAX_ITEMS} certificates in one file")));
        }
        rest = &body[end + end_line.len()..];
    }
    if out.is_empty() {
        return Err(Error::bad(WHAT, "the PEM text holds no CERTIFICATE or PKCS7 block"));
    }
    Ok(out)
}

/// The base64 of a PEM block, leniently: any line length, CRLF, and RFC 1421 header lines skipped.
fn pem_body(label: &str, body: &str) -> Result<Vec<u8>> {
    let b64: String = body.lines().filter(|l| !l.contains(':')).flat_map(|l| l.split_whitespace()).collect();
    crate::mime::decode_base64_strict(b64.as_bytes())
        .map_err(|e| Error::bad("PEM", format!("the {label} block is not valid base64: {e}")))
}

/// DER or BER: a certificate, a ContentInfo holding SignedData, or a bare SignedData.
fn parse_der(data: &[u8]) -> Result<(StoreFormat, Vec<Certificate>)> {
    let der = ber::to_der(data).map_err(|e| not_a_collection(Some(e.to_string())))?;
    let children = ber::der_children(&der).map_err(|e| not_a_collection(Some(e.to_string())))?;
    match children.first().and_then(|c| c.first()) {
        // ContentInfo: contentType OID, [0] EXPLICIT content.
        Some(0x06) => {
            let oid = der::asn1::ObjectIdentifier::from_der(children[0]).map_err(Error::malformed("PKCS#7"))?;
            if oid != oids::SIGNED_DATA {
                return Err(Error::unsupported(
                    "PKCS#7 content",
                    format!("{} (a certificate collection is a SignedData)", oids::name(&oid)),
                ));
            }
            let content = children.get(1).filter(|c| c.first() == Some(&0xA0));
            let content = content.ok_or_else(|| Error::bad("PKCS#7", "ContentInfo without content"))?;
            let inner = ber::der_children(content)?;
            let [signed_data] = inner.as_slice() else {
                return Err(Error::bad("PKCS#7", "the ContentInfo content is not one SignedData"));
            };
            Ok((StoreFormat::Pkcs7, signed_data_certificates(signed_data)?))
        }
        // SignedData: version INTEGER, digestAlgorithms SET, ...
        Some(0x02) if children.get(1).and_then(|c| c.first()) == Some(&0x31) => {
            Ok((StoreFormat::Pkcs7, signed_data_certificates(&der)?))
        }
        // Certificate: tbsCertificate SEQUENCE, ...
        Some(0x30) => {
            ber::check_sets(&der)?;
            let cert =
                Certificate::from_der(&der).map_err(|e| not_a_collection(Some(format!("not a certificate: {e}"))))?;
            Ok((StoreFormat::Der, vec![cert]))
        }
        _ => Err(not_a_collection(None)),
    }
}

/// The `certificates` field (`[0] IMPLICIT CertificateSet`) of a DER SignedData, read element by
/// element so that an unsorted SET OF (common in real files) is accepted. Attribute certificates and
/// other choices are skipped.
fn signed_data_certificates(signed_data: &[u8]) -> Result<Vec<Certificate>> {
    let fields = ber::der_children(signed_data)?;
    if fields.len() < 4 || fields[0].first() != Some(&0x02) || fields[1].first() != Some(&0x31) {
        return Err(Error::bad("PKCS#7 SignedData", "expected version, digestAlgorithms, encapContentInfo, ..."));
    }
    let Some(set) = fields[3..].iter().find(|f| f.first() == Some(&0xA0)) else {
        return Ok(Vec::new());
    };
    let choices = ber::der_children(set)?;
    // Counted before any is decoded.
    if choices.iter().filter(|c| c.first() == Some(&0x30)).count() > MAX_ITEMS {
        return Err(Error::LimitExceeded(format!("more than {MAX_ITEMS} certificates in one file")));
    }
    let mut out = Vec::new();
    for choice in choices {
        if choice.first() != Some(&0x30) {
            continue;
        }
        ber::check_sets(choice)?;
        out.push(Certificate::from_der(choice).map_err(Error::malformed("certificate in PKCS#7"))?);
    }
    Ok(out)
}

/// A serialized store: the header, then elements `(u32 id, u32 encoding type, u32 length, bytes)`, all
/// little-endian, up to the end marker (id 0). Id 0x20 holds a DER certificate; CRLs (0x21), CTLs
/// (0x22) and properties (friendly name, hashes, key provider info, ...) are skipped.
fn parse_sst(data: &[u8]) -> Result<Vec<Certificate>> {
    const TRUNCATED: &str = "the .sst file is truncated (it ends inside an element or before the end-of-store marker)";
    let u32_at = |pos: usize| -> Option<u32> {
        data.get(pos..pos.checked_add(4)?).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
    };
    let mut pos = SST_HEADER.len();
    let mut out = Vec::new();
    let mut elements = 0usize;
    loop {
        let (Some(id), Some(_encoding), Some(len)) = (u32_at(pos), u32_at(pos + 4), u32_at(pos + 8)) else {
            return Err(Error::bad(".sst file", TRUNCATED));
        };
        pos += 12;
        if id == 0 {
            return Ok(out);
        }
        elements += 1;
        if elements > MAX_ITEMS {
            return Err(Error::LimitExceeded(format!("more than {MAX_ITEMS} elements in the .sst file")));
        }
        let len = usize::try_from(len).map_err(|_| Error::bad(".sst file", TRUNCATED))?;
        let Some(value) = pos.checked_add(len).and_then(|end| data.get(pos..end)) else {
            return Err(Error::bad(".sst file", TRUNCATED));
        };
        pos += len;
        if id == SST_CERTIFICATE {
            let der = ber::to_der(value)?;
            ber::check_sets(&der)?;
            let cert = Certificate::from_der(&der)
                .map_err(|e| Error::bad(".sst file", format!("element {elements} is not a certificate: {e}")))?;
            out.push(cert);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::{OctetString, SetOfVec};
    use std::path::{Path, PathBuf};

    fn data(path: &str) -> Vec<u8> {
        let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn der_of(path: &str) -> Vec<u8> {
        crate::cert::parse_certificates(&data(path)).unwrap()[0].to_der().unwrap()
    }

    /// A serialized store as CertSaveStore(CERT_STORE_SAVE_AS_STORE) writes it: per certificate a
    /// friendly-name property (id 11, UTF-16LE, NUL-terminated) and then the certificate element.
    pub(crate) fn serialized_store(certs: &[&[u8]]) -> Vec<u8> {
        fn element(out: &mut Vec<u8>, id: u32, value: &[u8]) {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&(value.len() as u32).to_le_bytes());
            out.extend_from_slice(value);
        }
        let mut out = SST_HEADER.to_vec();
        for (i, cert) in certs.iter().enumerate() {
            let name: Vec<u8> = format!("CA {i}\0").encode_utf16().flat_map(u16::to_le_bytes).collect();
            element(&mut out, 11, &name);
            element(&mut out, SST_CERTIFICATE, cert);
        }
        out.extend_from_slice(&[0; 12]);
        out
    }

    fn subjects(store: &TrustStore) -> Vec<String> {
        store.certificates().iter().map(|c| crate::dn::to_string(&c.tbs_certificate.subject)).collect()
    }

    #[test]
    fn pem_bundle_with_duplicates_is_merged() {
        let mut pem = data("pki/chain.pem");
        pem.extend_from_slice(&data("pki/root.crt"));
        let mut store = TrustStore::new();
        let summary = store.import(&pem).unwrap();
        assert_eq!(summary, ImportSummary { format: StoreFormat::Pem, added: 2, duplicates: 1 });
        // Importing again adds nothing.
        let again = store.import(&data("pki/chain.pem")).unwrap();
        assert_eq!((again.added, again.duplicates), (0, 2));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn der_certificate() {
        let mut store = TrustStore::new();
        let summary = store.import(&der_of("pki/root.crt")).unwrap();
        assert_eq!(summary, ImportSummary { format: StoreFormat::Der, added: 1, duplicates: 0 });
        assert_eq!(store.anchors().len(), 1);
    }

    #[test]
    fn pkcs7_der_pem_and_ber() {
        let p7b = data("trust/chain.p7b");
        for (input, format) in [(p7b.clone(), StoreFormat::Pkcs7), (data("trust/chain.p7b.pem"), StoreFormat::Pem)] {
            let mut store = TrustStore::new();
            assert_eq!(store.import(&input).unwrap(), ImportSummary { format, added: 2, duplicates: 0 });
            assert_eq!(store.certificates(), crate::cert::parse_certificates(&data("pki/chain.pem")).unwrap());
        }
        // BER: the outer ContentInfo with an indefinite length, as streaming encoders write it.
        let header = 4; // 30 82 LL LL
        let mut ber = vec![0x30, 0x80];
        ber.extend_from_slice(&p7b[header..]);
        ber.extend_from_slice(&[0, 0]);
        assert_eq!(TrustStore::new().import(&ber).unwrap().added, 2);
        // Bare SignedData, without the ContentInfo around it.
        let inner = ber::der_children(ber::der_children(&p7b).unwrap()[1]).unwrap()[0].to_vec();
        assert_eq!(TrustStore::new().import(&inner).unwrap().format, StoreFormat::Pkcs7);
    }

    #[test]
    fn pkcs7_with_a_ctl_as_content() {
        // The PowerShell shape of .sst: SignedData whose content is a CTL, the certificates beside it.
        use cms::cert::CertificateChoices;
        use cms::content_info::ContentInfo;
        use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
        let certs = crate::cert::parse_certificates(&data("pki/chain.pem")).unwrap();
        let mut set = SetOfVec::new();
        for c in &certs {
            set.insert(CertificateChoices::Certificate(c.clone())).unwrap();
        }
        let ctl = OctetString::new(vec![0x30, 0x00]).unwrap();
        let sd = SignedData {
            version: cms::content_info::CmsVersion::V1,
            digest_algorithms: SetOfVec::new(),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.1"),
                econtent: Some(der::Any::encode_from(&ctl).unwrap()),
            },
            certificates: Some(CertificateSet(set)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::new()),
        };
        let ci = ContentInfo { content_type: oids::SIGNED_DATA, content: der::Any::encode_from(&sd).unwrap() };
        let mut store = TrustStore::new();
        let summary = store.import(&ci.to_der().unwrap()).unwrap();
        assert_eq!(summary, ImportSummary { format: StoreFormat::Pkcs7, added: 2, duplicates: 0 });
    }

    #[test]
    fn serialized_store_with_properties() {
        let root = der_of("pki/root.crt");
        let intermediate = der_of("pki/intermediate.crt");
        let sst = serialized_store(&[&intermediate, &root, &root]);
        let mut store = TrustStore::new();
        let summary = store.import(&sst).unwrap();
        assert_eq!(summary, ImportSummary { format: StoreFormat::Sst, added: 2, duplicates: 1 });
        assert_eq!(
            subjects(&store),
            ["CN=Siegel Test Issuing CA,O=Siegel Test", "CN=Siegel Test Root CA,O=Siegel Test"]
        );
        // CRL and CTL elements are skipped; an empty store is an error.
        let mut other = SST_HEADER.to_vec();
        other.extend_from_slice(&[0x21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x30, 0x00]);
        other.extend_from_slice(&[0; 12]);
        let err = TrustStore::new().import(&other).unwrap_err();
        assert!(err.to_string().contains("holds no certificate"), "{err}");
    }

    #[test]
    fn truncated_serialized_store_is_an_error() {
        let sst = serialized_store(&[&der_of("pki/root.crt")]);
        let mut store = TrustStore::new();
        for cut in [8, 12, 30, sst.len() - 20, sst.len() - 12, sst.len() - 1] {
            let err = store.import(&sst[..cut]).unwrap_err();
            assert!(err.to_string().contains("truncated"), "cut at {cut}: {err}");
        }
        // A length far beyond the data, and one that overflows on 32-bit targets.
        let mut huge = SST_HEADER.to_vec();
        huge.extend_from_slice(&[0x20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x30]);
        assert!(store.import(&huge).unwrap_err().to_string().contains("truncated"));
        // A certificate element that is not a certificate.
        let bad = serialized_store(&[b"\x30\x03\x02\x01\x01"]);
        assert!(store.import(&bad).is_err());
        assert!(store.is_empty(), "failed imports change nothing");
    }

    #[test]
    fn too_many_elements_is_a_limit() {
        let mut sst = SST_HEADER.to_vec();
        for _ in 0..=MAX_ITEMS {
            sst.extend_from_slice(&[3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        }
        sst.extend_from_slice(&[0; 12]);
        assert!(matches!(TrustStore::new().import(&sst), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn too_many_certificates_or_pem_blocks_is_a_limit() {
        use crate::ber::tlv;
        // A bare SignedData (version, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos)
        // whose certificates are counted before any is decoded.
        let p7b = |n: usize| {
            let certificates = tlv(0xa0, &[0x30, 0x00].repeat(n));
            tlv(0x30, &[&[0x02, 0x01, 0x01][..], &[0x31, 0x00], &[0x30, 0x00], &certificates, &[0x31, 0x00]].concat())
        };
        let result = TrustStore::new().import(&p7b(MAX_ITEMS + 1));
        assert!(matches!(result, Err(Error::LimitExceeded(_))), "{result:?}");
        assert!(matches!(TrustStore::new().import(&p7b(2)), Err(Error::Malformed { .. })));
        let pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".repeat(MAX_ITEMS + 1);
        assert!(matches!(TrustStore::new().import(pem.as_bytes()), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn huge_sets_inside_certificates_are_refused_before_decoding() {
        use crate::ber::{tlv, MAX_SET_ELEMENTS};
        // SEQUENCE { SEQUENCE { ... SET { AttributeTypeAndValue x 1025 } ... } }: an RDN too big to sort.
        let atv = tlv(0x30, &[0x06, 0x01, 0x2a, 0x05, 0x00]);
        let cert = tlv(0x30, &tlv(0x30, &tlv(0x30, &tlv(0x31, &atv.repeat(MAX_SET_ELEMENTS + 1)))));
        assert!(matches!(TrustStore::new().import(&cert), Err(Error::LimitExceeded(_))));
        assert!(matches!(crate::cert::parse_certificates(&cert), Err(Error::LimitExceeded(_))));
        let sst = serialized_store(&[&cert]);
        assert!(matches!(TrustStore::new().import(&sst), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut store = TrustStore::new();
        let inputs: [&[u8]; 9] = [
            b"",
            b"hello world",
            b"\x30",
            b"\x30\x03\x02\x01\x01",
            b"\x30\x05\x06\x03\x2a\x03\x04",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n",
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            b"\0\0\0\0CERT",
        ];
        for input in inputs {
            assert!(store.import(input).is_err(), "{:?}", String::from_utf8_lossy(input));
        }
        let err = store.import(b"hello world").unwrap_err();
        assert!(err.to_string().contains("expected PEM"), "{err}");
        // Every prefix of a real .p7b fails cleanly or succeeds.
        let p7b = data("trust/chain.p7b");
        for cut in 0..p7b.len() {
            let _ = TrustStore::new().import(&p7b[..cut]);
        }
        assert!(store.is_empty());
    }

    #[test]
    fn anchors_and_intermediates_split() {
        let mut store = TrustStore::new();
        store.import(&data("pki/chain.pem")).unwrap();
        store.import(&data("pki/other-root.crt")).unwrap();
        let names = |v: Vec<&Certificate>| {
            v.iter().map(|c| crate::dn::to_string(&c.tbs_certificate.subject)).collect::<Vec<_>>()
        };
        assert_eq!(names(store.anchors()), ["CN=Siegel Test Root CA,O=Siegel Test", "CN=Untrusted Root,O=Elsewhere"]);
        assert_eq!(names(store.intermediates()), ["CN=Siegel Test Issuing CA,O=Siegel Test"]);
        let entries = store.entries();
        assert_eq!(entries.iter().map(|e| e.role).collect::<Vec<_>>(), [Role::Intermediate, Role::Root, Role::Root]);
        let json = serde_json::to_value(&entries[1]).unwrap();
        assert_eq!(json["role"], "root");
        assert_eq!(json["subject"], "CN=Siegel Test Root CA,O=Siegel Test");
        assert_eq!(json["sha256_fingerprint"], crate::cert::fingerprint_sha256(store.anchors()[0]));
        let summary = serde_json::to_value(store.import(&data("pki/root.crt")).unwrap()).unwrap();
        assert_eq!(summary, serde_json::json!({"format": "pem", "added": 0, "duplicates": 1}));
    }
}
