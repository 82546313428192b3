//! SMIMECapabilities (RFC 8551 section 2.5.2): which content ciphers a correspondent's client says it can
//! decrypt, in its order of preference, read from the signed attribute of their mail or from their
//! certificate's smimeCapabilities extension (RFC 4262: the same syntax under the same OID).
//!
//! ```text
//! SMIMECapabilities ::= SEQUENCE OF SMIMECapability
//! SMIMECapability ::= SEQUENCE { capabilityID OBJECT IDENTIFIER, parameters ANY OPTIONAL }
//! ```
//!
//! Only the content ciphers Siegel knows become typed entries (AES-128/192/256 in GCM and CBC); every
//! other capability (key transport, RC2, 3DES, ...) is kept as its OID. The list is bounded: at most
//! [`MAX_ENTRIES`] are read, so an attribute with thousands of entries costs no more than one with 64.
//! Which cipher to send with is the host's choice (the extension's `lib/negotiate.js`), since only it
//! knows every recipient of a message.

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use serde::{Serialize, Serializer};
use x509_cert::Certificate;

use crate::alg::Cipher;
use crate::signer_info::Attribute;
use crate::{ber, oids, Error, Result};

/// The most entries read from one list; the rest are not looked at (see [`Capabilities::truncated`]).
pub const MAX_ENTRIES: usize = 64;

const WHAT: &str = "SMIMECapabilities";

/// One announced capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capability {
    /// AES-128-GCM (AuthEnvelopedData).
    Aes128Gcm,
    /// AES-192-GCM (AuthEnvelopedData).
    Aes192Gcm,
    /// AES-256-GCM (AuthEnvelopedData).
    Aes256Gcm,
    /// AES-128-CBC (EnvelopedData).
    Aes128Cbc,
    /// AES-192-CBC (EnvelopedData).
    Aes192Cbc,
    /// AES-256-CBC (EnvelopedData).
    Aes256Cbc,
    /// Anything else, by its OID.
    Other(Oid),
}

impl Capability {
    /// The capability an OID names.
    pub fn from_oid(oid: Oid) -> Capability {
        match oid {
            oids::AES128_GCM => Capability::Aes128Gcm,
            oids::AES192_GCM => Capability::Aes192Gcm,
            oids::AES256_GCM => Capability::Aes256Gcm,
            oids::AES128_CBC => Capability::Aes128Cbc,
            oids::AES192_CBC => Capability::Aes192Cbc,
            oids::AES256_CBC => Capability::Aes256Cbc,
            other => Capability::Other(other),
        }
    }

    /// The name hosts see: `aes-256-gcm` and so on (the names of [`Cipher`]), or the dotted OID.
    pub fn name(&self) -> String {
        match self {
            Capability::Aes128Gcm => "aes-128-gcm".into(),
            Capability::Aes192Gcm => "aes-192-gcm".into(),
            Capability::Aes256Gcm => "aes-256-gcm".into(),
            Capability::Aes128Cbc => "aes-128-cbc".into(),
            Capability::Aes192Cbc => "aes-192-cbc".into(),
            Capability::Aes256Cbc => "aes-256-cbc".into(),
            Capability::Other(oid) => oid.to_string(),
        }
    }

    /// The cipher Siegel can write for it, if any (Siegel writes no AES-192).
    pub fn cipher(&self) -> Option<Cipher> {
        match self {
            Capability::Aes128Gcm => Some(Cipher::Aes128Gcm),
            Capability::Aes256Gcm => Some(Cipher::Aes256Gcm),
            Capability::Aes128Cbc => Some(Cipher::Aes128Cbc),
            Capability::Aes256Cbc => Some(Cipher::Aes256Cbc),
            _ => None,
        }
    }
}

impl Serialize for Capability {
    fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

/// An announced list, in the announcer's order of preference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// The first [`MAX_ENTRIES`] entries.
    pub entries: Vec<Capability>,
    /// The list had more entries than were read.
    pub truncated: bool,
}

impl Capabilities {
    /// Reads the DER of an `SMIMECapabilities` SEQUENCE.
    pub fn parse(der: &[u8]) -> Result<Capabilities> {
        if der.first() != Some(&0x30) {
            return Err(Error::bad(WHAT, "expected a SEQUENCE"));
        }
        let mut entries = Vec::new();
        let mut truncated = false;
        for child in ber::children(der)? {
            if entries.len() == MAX_ENTRIES {
                truncated = true;
                break;
            }
            entries.push(capability(child?)?);
        }
        Ok(Capabilities { entries, truncated })
    }

    /// The SMIMECapabilities among a signer's signed attributes. `None` when there is none, and also
    /// when it is not exactly one attribute with one value (RFC 8551 section 2.5.2 allows no more) or
    /// does not parse: a list that cannot be told apart from another is no list.
    pub fn of_signed_attributes(attrs: &[Attribute]) -> Option<Capabilities> {
        let mut found = attrs.iter().filter(|a| a.oid == oids::ATTR_SMIME_CAPABILITIES);
        let (Some(attr), None) = (found.next(), found.next()) else { return None };
        let [value] = attr.values.as_slice() else { return None };
        use der::Encode;
        Capabilities::parse(&value.to_der().ok()?).ok()
    }

    /// The certificate's smimeCapabilities extension (RFC 4262), when it has one that parses.
    pub fn of_certificate(cert: &Certificate) -> Option<Capabilities> {
        let ext =
            cert.tbs_certificate.extensions.as_ref()?.iter().find(|e| e.extn_id == oids::ATTR_SMIME_CAPABILITIES)?;
        Capabilities::parse(ext.extn_value.as_bytes()).ok()
    }

    /// The ciphers Siegel can write among the entries, in the announcer's order.
    pub fn ciphers(&self) -> Vec<Cipher> {
        self.entries.iter().filter_map(Capability::cipher).collect()
    }
}

/// One `SMIMECapability`: its OID (the parameters only qualify RC2's key size, which Siegel never writes).
fn capability(element: &[u8]) -> Result<Capability> {
    if element.first() != Some(&0x30) {
        return Err(Error::bad(WHAT, "an entry is not a SEQUENCE"));
    }
    let fields = ber::der_fields(element, 0x30)?;
    let id = fields.first().ok_or_else(|| Error::bad(WHAT, "an entry has no capabilityID"))?;
    if fields.len() > 2 {
        return Err(Error::bad(WHAT, "an entry has more than an ID and parameters"));
    }
    Ok(Capability::from_oid(Oid::from_der(id).map_err(Error::malformed(WHAT))?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ber::{constructed, tlv};
    use der::Encode;

    fn entry(oid: Oid, params: Option<&[u8]>) -> Vec<u8> {
        let id = oid.to_der().unwrap();
        match params {
            Some(p) => constructed(0x30, &[id.as_slice(), p]),
            None => constructed(0x30, &[id]),
        }
    }

    /// What `openssl cms -sign` (3.0) announces by default: CBC only, then 3DES, RC2 and DES.
    fn openssl_default() -> Vec<u8> {
        let rc2 = Oid::new_unwrap("1.2.840.113549.3.2");
        constructed(
            0x30,
            &[
                entry(oids::AES256_CBC, None),
                entry(oids::AES192_CBC, None),
                entry(oids::AES128_CBC, None),
                entry(Oid::new_unwrap("1.2.840.113549.3.7"), None),
                entry(rc2, Some(&[0x02, 0x02, 0x00, 0x80])),
                entry(rc2, Some(&[0x02, 0x01, 0x28])),
            ],
        )
    }

    #[test]
    fn known_ciphers_are_typed_and_the_rest_kept_as_oids() {
        let caps = Capabilities::parse(&openssl_default()).unwrap();
        assert!(!caps.truncated);
        assert_eq!(caps.entries.len(), 6);
        assert_eq!(&caps.entries[..3], &[Capability::Aes256Cbc, Capability::Aes192Cbc, Capability::Aes128Cbc]);
        assert_eq!(caps.entries[3], Capability::Other(Oid::new_unwrap("1.2.840.113549.3.7")));
        // Siegel writes no AES-192: not among the usable ciphers.
        assert_eq!(caps.ciphers(), vec![Cipher::Aes256Cbc, Cipher::Aes128Cbc]);
        assert_eq!(
            serde_json::to_value(&caps).unwrap(),
            serde_json::json!({
                "entries": ["aes-256-cbc", "aes-192-cbc", "aes-128-cbc", "1.2.840.113549.3.7",
                            "1.2.840.113549.3.2", "1.2.840.113549.3.2"],
                "truncated": false
            })
        );
        let gcm = constructed(
            0x30,
            &[entry(oids::AES256_GCM, None), entry(oids::AES128_GCM, None), entry(oids::AES192_GCM, None)],
        );
        assert_eq!(Capabilities::parse(&gcm).unwrap().ciphers(), vec![Cipher::Aes256Gcm, Cipher::Aes128Gcm]);
    }

    #[test]
    fn what_siegel_announces_reads_back_strongest_first() {
        let data = |p: &str| std::fs::read(format!("{}/tests/data/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let id = crate::identity::Identity::from_pkcs12(&data("pki/alice.p12"), "secret").unwrap();
        let der = crate::sign::sign(b"Content-Type: text/plain\r\n\r\nhi\r\n", &id, &Default::default(), true).unwrap();
        let signed = crate::verify::Signed::parse(&der).unwrap();
        let attrs = signed.signer_infos()[0].signed_attrs.clone().unwrap();
        let caps = Capabilities::of_signed_attributes(&attrs).unwrap();
        assert_eq!(caps.ciphers(), vec![Cipher::Aes256Gcm, Cipher::Aes128Gcm, Cipher::Aes256Cbc, Cipher::Aes128Cbc]);
        // The verification report says the same.
        let trust = crate::cert::parse_certificates(&data("pki/root.crt")).unwrap();
        let options = crate::verify::VerifyOptions { trust, ..Default::default() };
        let report =
            crate::verify::verify(&der, Some(b"Content-Type: text/plain\r\n\r\nhi\r\n"), &options).unwrap().report;
        assert!(report.signers[0].trusted());
        assert_eq!(report.signers[0].capabilities.as_ref(), Some(&caps));
        // Without the attribute, nothing is known.
        let without: Vec<_> = attrs.into_iter().filter(|a| a.oid != oids::ATTR_SMIME_CAPABILITIES).collect();
        assert_eq!(Capabilities::of_signed_attributes(&without), None);
    }

    #[test]
    fn two_lists_are_no_list() {
        let value = der::Any::from_der(&openssl_default()).unwrap();
        let attr = |values: Vec<der::Any>| Attribute { oid: oids::ATTR_SMIME_CAPABILITIES, values };
        assert!(Capabilities::of_signed_attributes(&[attr(vec![value.clone()])]).is_some());
        let other = der::Any::from_der(&constructed(0x30, &[entry(oids::AES256_GCM, None)])).unwrap();
        assert_eq!(Capabilities::of_signed_attributes(&[attr(vec![value.clone(), other])]), None);
        assert_eq!(Capabilities::of_signed_attributes(&[attr(vec![value.clone()]), attr(vec![value])]), None);
    }

    #[test]
    fn a_list_of_thousands_is_read_only_as_far_as_the_bound() {
        let one = entry(oids::AES128_CBC, None);
        let mut entries = vec![one; 200_000];
        entries.push(entry(oids::AES256_GCM, None));
        let huge = constructed(0x30, &entries);
        let started = std::time::Instant::now();
        let caps = Capabilities::parse(&huge).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_millis(50), "{:?}", started.elapsed());
        assert!(caps.truncated);
        assert_eq!(caps.entries.len(), MAX_ENTRIES);
        assert_eq!(caps.ciphers(), vec![Cipher::Aes128Cbc; MAX_ENTRIES]);
        // Exactly the bound is not truncated.
        let exact = constructed(0x30, &vec![entry(oids::AES128_CBC, None); MAX_ENTRIES]);
        assert!(!Capabilities::parse(&exact).unwrap().truncated);
    }

    #[test]
    fn a_certificate_may_announce_them_in_an_extension() {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki/carol.crt")).unwrap();
        let mut cert = crate::cert::parse_certificates(&pem).unwrap().remove(0);
        assert_eq!(Capabilities::of_certificate(&cert), None);
        cert.tbs_certificate.extensions.get_or_insert_with(Vec::new).push(x509_cert::ext::Extension {
            extn_id: oids::ATTR_SMIME_CAPABILITIES,
            critical: false,
            extn_value: der::asn1::OctetString::new(openssl_default()).unwrap(),
        });
        assert_eq!(Capabilities::of_certificate(&cert).unwrap().ciphers(), vec![Cipher::Aes256Cbc, Cipher::Aes128Cbc]);
        // The summary hosts keep with a contact carries it too.
        let summary = crate::cert::Summary::of(&cert);
        assert_eq!(summary.smime_capabilities.as_ref().unwrap().entries[0], Capability::Aes256Cbc);
        assert_eq!(serde_json::to_value(&summary).unwrap()["smime_capabilities"]["entries"][0], "aes-256-cbc");
    }

    #[test]
    fn malformed_lists_are_errors_not_panics() {
        let oid = oids::AES128_CBC.to_der().unwrap();
        for bad in [
            vec![],
            vec![0x31, 0x00],                                            // a SET
            tlv(0x30, &oid),                                             // an OID where an entry belongs
            constructed(0x30, &[constructed(0x30, &[] as &[&[u8]])]),    // an entry without an ID
            constructed(0x30, &[constructed(0x30, &[tlv(0x04, b"x")])]), // an ID that is no OID
            constructed(0x30, &[constructed(0x30, &[oid.clone(), vec![5, 0], vec![5, 0]])]),
            vec![0x30, 0x05, 0x30, 0x03, 0x06, 0x01], // truncated
        ] {
            assert!(Capabilities::parse(&bad).is_err(), "{bad:02x?}");
        }
        assert_eq!(Capabilities::parse(&[0x30, 0x00]).unwrap().entries, vec![]);
    }
}
