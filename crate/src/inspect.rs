//! Describing what a file holds: a PKCS#12 file, certificates, a CMS blob or a mail.

use cms::cert::CertificateChoices;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use cms::signed_data::{SignedData, SignerIdentifier};
use der::Decode;
use serde::Serialize;

use crate::envelope::{self, AuthEnvelopedData};
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

/// Inspects `data`. A password is needed to see inside a PKCS#12 file.
pub fn inspect(data: &[u8], password: Option<&str>) -> Result<Inspection> {
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
            let sd: SignedData = ci.content.decode_as().map_err(malformed("CMS SignedData"))?;
            let signers = sd
                .signer_infos
                .0
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
            let certificates = sd
                .certificates
                .iter()
                .flat_map(|s| s.0.iter())
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(cert::Summary::of(c)),
                    _ => None,
                })
                .collect();
            Ok(Inspection::SignedData {
                detached: sd.encap_content_info.econtent.is_none(),
                content_type: oids::name(&sd.encap_content_info.econtent_type),
                signers,
                certificates,
            })
        }
        oids::ENVELOPED_DATA | oids::AUTH_ENVELOPED_DATA => {
            let (infos, alg) = if ci.content_type == oids::ENVELOPED_DATA {
                let ed: EnvelopedData = ci.content.decode_as().map_err(malformed("CMS EnvelopedData"))?;
                (ed.recip_infos, ed.encrypted_content.content_enc_alg.oid)
            } else {
                let aed: AuthEnvelopedData = ci.content.decode_as().map_err(malformed("CMS AuthEnvelopedData"))?;
                (aed.recip_infos, aed.auth_encrypted_content.content_enc_alg.oid)
            };
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
