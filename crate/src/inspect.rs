//! Describing what a file holds: a PKCS#12 file, certificates, a CMS blob or a mail.

use cms::content_info::CmsVersion;
use cms::enveloped_data::{EncryptedContentInfo, OriginatorInfo, RecipientInfo, RecipientInfos};
use cms::signed_data::SignerIdentifier;
use der::asn1::{AnyRef, OctetString};
use der::{Decode, Sequence, Tag};
use serde::Serialize;
use x509_cert::attr::Attributes;

use crate::envelope;
use crate::identity::Identity;
use crate::smime::{self, Kind};
use crate::{ber, cert, mime, oids, Error, Result};

/// What a file holds.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Inspection {
    /// A PKCS#12 file. Without the password only its shape is known.
    #[serde(rename_all = "camelCase")]
    Pkcs12 {
        /// The key pairs (with the password), newest first.
        key_certificates: Vec<cert::Summary>,
        /// The other certificates (the chain).
        chain: Vec<cert::Summary>,
        /// True when no password was given, so nothing was decrypted.
        password_needed: bool,
    },
    /// One or more certificates.
    Certificates {
        /// Their summaries.
        certificates: Vec<cert::Summary>,
    },
    /// CMS SignedData.
    #[serde(rename_all = "camelCase")]
    SignedData {
        /// True without encapsulated content.
        detached: bool,
        /// eContentType.
        content_type: String,
        /// Signers: identifier, digest and signature algorithm.
        signers: Vec<String>,
        /// Certificates carried.
        certificates: Vec<cert::Summary>,
    },
    /// CMS EnvelopedData or AuthEnvelopedData.
    #[serde(rename_all = "camelCase")]
    EncryptedData {
        /// "envelopedData" or "authEnvelopedData".
        content_type: String,
        /// The content cipher.
        cipher: String,
        /// The recipients, readable.
        recipients: Vec<String>,
    },
    /// A mail or MIME entity.
    #[serde(rename_all = "camelCase")]
    Mail {
        /// Its S/MIME shape.
        smime: Kind,
        /// From, decoded.
        from: Option<String>,
        /// Subject, decoded.
        subject: Option<String>,
        /// The MIME tree, one line per part, indented by depth.
        structure: Vec<String>,
    },
}

/// The PEM labels a CMS object comes under (RFC 7468 section 10 says PKCS7; OpenSSL writes CMS too,
/// and some tools the old "PKCS #7 SIGNED DATA").
const CMS_PEM_LABELS: [&str; 3] = ["PKCS7", "CMS", "PKCS #7 SIGNED DATA"];

/// The DER inside PEM-armoured CMS (`-----BEGIN PKCS7-----` ...), if `data` is that: the first block
/// with one of [`CMS_PEM_LABELS`], its base64 read whatever the line length. `None` for anything else.
fn pem_cms(data: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = core::str::from_utf8(data).ok()?;
    CMS_PEM_LABELS.iter().find_map(|label| {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let start = text.find(&begin)? + begin.len();
        let stop = start + text.get(start..)?.find(&end)?;
        let body: String = text.get(start..stop)?.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(body).ok()
    })
}

/// Inspects `data`. A password is needed to see inside a PKCS#12 file.
pub fn inspect(data: &[u8], password: Option<&str>) -> Result<Inspection> {
    if let Some(der) = pem_cms(data) {
        // The same path as DER, with the same limits; what is inside must be CMS.
        if der.first() != Some(&0x30) {
            return Err(Error::bad("PEM CMS object", "not a DER SEQUENCE inside the armour"));
        }
        let der = ber::to_der(&der)?;
        let ci = cms::content_info::ContentInfo::from_der(&der).map_err(Error::malformed("CMS ContentInfo"))?;
        return inspect_cms(&ci);
    }
    let is_pem = data.starts_with(b"-----BEGIN")
        || core::str::from_utf8(data).is_ok_and(|t| t.contains("-----BEGIN CERTIFICATE"));
    if is_pem {
        return Ok(Inspection::Certificates {
            certificates: cert::parse_certificates(data)?.iter().map(cert::Summary::of).collect(),
        });
    }
    if data.first() == Some(&0x30) {
        if let Ok(der) = ber::to_der(data) {
            if let Ok(ci) = cms::content_info::ContentInfo::from_der(&der) {
                return inspect_cms(&ci);
            }
            if pkcs12::pfx::Pfx::from_der(&der).is_ok() {
                return inspect_pkcs12(data, password);
            }
            if let Ok(c) = x509_cert::Certificate::from_der(&der) {
                return Ok(Inspection::Certificates { certificates: vec![cert::Summary::of(&c)] });
            }
        }
    }
    let entity = mime::parse(data)?;
    if entity.headers.0.is_empty() {
        return Err(Error::bad("file", "not a PKCS#12 file, certificate, CMS object or mail"));
    }
    let mut structure = Vec::new();
    describe_tree(&entity, 0, &mut structure);
    Ok(Inspection::Mail {
        smime: smime::kind(&entity),
        from: entity.headers.get_decoded("from"),
        subject: entity.headers.get_decoded("subject"),
        structure,
    })
}

fn describe_tree(e: &mime::Entity<'_>, depth: usize, out: &mut Vec<String>) {
    let mut line = format!("{}{}", "  ".repeat(depth), e.content_type.mime_type);
    if let Some(name) = e.filename() {
        line.push_str(&format!(" \"{name}\""));
    }
    line.push_str(&format!(" ({} bytes)", e.body.len()));
    out.push(line);
    for c in &e.children {
        describe_tree(c, depth + 1, out);
    }
}

fn inspect_pkcs12(data: &[u8], password: Option<&str>) -> Result<Inspection> {
    let Some(password) = password else {
        return Ok(Inspection::Pkcs12 { key_certificates: Vec::new(), chain: Vec::new(), password_needed: true });
    };
    match Identity::from_pkcs12(data, password) {
        Ok(id) => Ok(Inspection::Pkcs12 {
            key_certificates: id.pairs().iter().map(|p| cert::Summary::of(p.certificate())).collect(),
            chain: id.chain().iter().map(cert::Summary::of).collect(),
            password_needed: false,
        }),
        Err(Error::NoPrivateKey) => {
            let p12 = crate::pkcs12::parse(data, password)?;
            Ok(Inspection::Pkcs12 {
                key_certificates: Vec::new(),
                chain: p12.certificates.iter().map(|c| cert::Summary::of(&c.certificate)).collect(),
                password_needed: false,
            })
        }
        Err(e) => Err(e),
    }
}

fn inspect_cms(ci: &cms::content_info::ContentInfo) -> Result<Inspection> {
    let malformed = Error::malformed;
    match ci.content_type {
        oids::SIGNED_DATA => {
            let signed = crate::verify::Signed::from_content_info(ci)?;
            let signers = signed
                .signer_infos()
                .iter()
                .map(|si| {
                    let sid = match &si.sid {
                        SignerIdentifier::IssuerAndSerialNumber(i) => {
                            format!(
                                "serial {} from {}",
                                cert::hex(i.serial_number.as_bytes()),
                                crate::dn::to_string(&i.issuer)
                            )
                        }
                        SignerIdentifier::SubjectKeyIdentifier(k) => format!("key id {}", cert::hex(k.0.as_bytes())),
                    };
                    format!(
                        "{sid}, {} with {}",
                        oids::name(&si.digest_alg.oid),
                        oids::name(&si.signature_algorithm.oid)
                    )
                })
                .collect();
            Ok(Inspection::SignedData {
                detached: signed.encapsulated().is_none(),
                content_type: oids::name(signed.content_type()),
                signers,
                certificates: signed.certificates().iter().map(cert::Summary::of).collect(),
            })
        }
        oids::ENVELOPED_DATA | oids::AUTH_ENVELOPED_DATA => {
            let (originator_info, infos, alg) = if ci.content_type == oids::ENVELOPED_DATA {
                let ed: Enveloped<'_> = ci.content.decode_as().map_err(malformed("CMS EnvelopedData"))?;
                (ed.originator_info, ed.recip_infos, ed.encrypted_content.content_enc_alg.oid)
            } else {
                let aed: AuthEnveloped<'_> = ci.content.decode_as().map_err(malformed("CMS AuthEnvelopedData"))?;
                (aed.originator_info, aed.recip_infos, aed.auth_encrypted_content.content_enc_alg.oid)
            };
            if let Some(info) = originator_info {
                let what =
                    if ci.content_type == oids::ENVELOPED_DATA { "CMS EnvelopedData" } else { "CMS AuthEnvelopedData" };
                AnyRef::new(Tag::Sequence, info.value())
                    .and_then(|a| a.decode_as::<OriginatorInfo>())
                    .map_err(malformed(what))?;
            }
            let recipients = infos
                .0
                .iter()
                .map(|ri| match ri {
                    RecipientInfo::Ktri(k) => {
                        format!("{} ({})", envelope::describe_recipients(&[k]), oids::name(&k.key_enc_alg.oid))
                    }
                    RecipientInfo::Kari(_) => "key agreement recipient".into(),
                    RecipientInfo::Kekri(_) => "KEK recipient".into(),
                    RecipientInfo::Pwri(_) => "password recipient".into(),
                    RecipientInfo::Ori(_) => "other recipient".into(),
                })
                .collect();
            Ok(Inspection::EncryptedData {
                content_type: oids::name(&ci.content_type),
                cipher: oids::name(&alg),
                recipients,
            })
        }
        ref other => Err(Error::unsupported("CMS content type", oids::name(other))),
    }
}

/// EnvelopedData (RFC 5652 section 6.1) as cms's `EnvelopedData` decodes it, but with originatorInfo
/// decoded on its own (`decode_as` above) rather than inside: der instantiates each decoder once per
/// reader nesting depth, and certificates and CRLs decoded two levels down inside originatorInfo were a
/// copy of the certificate and CRL decoders of their own in the WebAssembly binary. On its own,
/// originatorInfo shares the decoders of SignedData's certificates and CRLs.
#[derive(Sequence)]
#[allow(dead_code)] // every field is decoded (and so checked); not all are read
struct Enveloped<'a> {
    version: CmsVersion,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    originator_info: Option<AnyRef<'a>>,
    recip_infos: RecipientInfos,
    encrypted_content: EncryptedContentInfo,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    unprotected_attrs: Option<Attributes>,
}

/// AuthEnvelopedData (RFC 5083) as [`envelope::AuthEnvelopedData`], originatorInfo as in [`Enveloped`].
#[derive(Sequence)]
#[allow(dead_code)]
struct AuthEnveloped<'a> {
    version: CmsVersion,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    originator_info: Option<AnyRef<'a>>,
    recip_infos: RecipientInfos,
    auth_encrypted_content: EncryptedContentInfo,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    auth_attrs: Option<Attributes>,
    mac: OctetString,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    unauth_attrs: Option<Attributes>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::Cipher;
    use crate::envelope::EncryptOptions;
    use cms::content_info::ContentInfo;
    use der::asn1::Any;
    use der::{Encode, TagNumber};

    /// PEM-armoured CMS, under each label tools write and at any line length, reads as the DER
    /// does; armour around something that is not CMS is an error, not a guess.
    #[test]
    fn pem_armoured_cms_is_described() {
        use base64::Engine as _;
        let dir = format!("{}/tests/data/pki", env!("CARGO_MANIFEST_DIR"));
        let id = Identity::from_pkcs12(&std::fs::read(format!("{dir}/alice.p12")).unwrap(), "secret").unwrap();
        let signed = crate::sign::sign(b"hi", &id, &Default::default(), true).unwrap();
        let sealed = crate::envelope::encrypt(b"hi", &[alice()], &EncryptOptions::default()).unwrap();
        for (der, signed_data) in [(&signed, true), (&sealed, false)] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            for label in CMS_PEM_LABELS {
                for width in [64, 76] {
                    let lines: Vec<&str> =
                        b64.as_bytes().chunks(width).map(|c| core::str::from_utf8(c).unwrap()).collect();
                    let pem = format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"));
                    let got = inspect(pem.as_bytes(), None).unwrap_or_else(|e| panic!("{label} {width}: {e}"));
                    assert_eq!(matches!(got, Inspection::SignedData { .. }), signed_data, "{label} {width}");
                    assert_eq!(matches!(got, Inspection::EncryptedData { .. }), !signed_data, "{label} {width}");
                }
            }
        }
        let not_cms = "-----BEGIN PKCS7-----\naGVsbG8=\n-----END PKCS7-----\n";
        assert!(inspect(not_cms.as_bytes(), None).is_err());
        // A whole .p12 with an EC key is described, not refused.
        let frank = std::fs::read(format!("{dir}/frank.p12")).unwrap();
        match inspect(&frank, Some("secret")).unwrap() {
            Inspection::Pkcs12 { key_certificates, .. } => assert_eq!(key_certificates[0].key_type, "EC P-384"),
            other => panic!("{other:?}"),
        }
    }

    fn alice() -> x509_cert::Certificate {
        let pem = std::fs::read(format!("{}/tests/data/pki/alice.crt", env!("CARGO_MANIFEST_DIR"))).unwrap();
        cert::parse_certificates(&pem).unwrap().remove(0)
    }

    /// Puts `originator` (the DER of a `[0]` originatorInfo) into an encrypted `ContentInfo`.
    fn with_originator_info(der: &[u8], originator: &[u8]) -> Vec<u8> {
        let mut ci = ContentInfo::from_der(der).unwrap();
        let value = AnyRef::from_der(originator).unwrap();
        ci.content = if ci.content_type == oids::ENVELOPED_DATA {
            let mut ed: Enveloped<'_> = ci.content.decode_as().unwrap();
            ed.originator_info = Some(value);
            Any::encode_from(&ed).unwrap()
        } else {
            let mut aed: AuthEnveloped<'_> = ci.content.decode_as().unwrap();
            aed.originator_info = Some(value);
            Any::encode_from(&aed).unwrap()
        };
        ci.to_der().unwrap()
    }

    #[test]
    fn encrypted_data_with_and_without_originator_info() {
        let alice = alice();
        let tag = Tag::ContextSpecific { constructed: true, number: TagNumber::N0 };
        // originatorInfo { certs [0] { alice } }, and one whose certificate set holds an OCTET STRING.
        let certs = AnyRef::new(tag, &alice.to_der().unwrap()).unwrap().to_der().unwrap();
        let good = AnyRef::new(tag, &certs).unwrap().to_der().unwrap();
        let bad = AnyRef::new(tag, &[0xa0, 0x02, 0x04, 0x00]).unwrap().to_der().unwrap();
        for cipher in [Cipher::Aes256Cbc, Cipher::Aes256Gcm] {
            let options = EncryptOptions { cipher, ..Default::default() };
            let der = envelope::encrypt(b"hello", std::slice::from_ref(&alice), &options).unwrap();
            for data in [der.clone(), with_originator_info(&der, &good)] {
                let Ok(Inspection::EncryptedData { recipients, cipher: name, .. }) = inspect(&data, None) else {
                    panic!("{cipher:?}: not inspected as encrypted data");
                };
                assert_eq!((recipients.len(), name), (1, oids::name(&cipher.oid())), "{cipher:?}");
            }
            let err = inspect(&with_originator_info(&der, &bad), None).unwrap_err();
            assert!(matches!(err, Error::Malformed { .. }), "{cipher:?}: {err:?}");
        }
    }
}
