//! CMS EnvelopedData (RFC 5652 section 6) with AES-CBC, and AuthEnvelopedData (RFC 5083) with
//! AES-GCM (RFC 5084); RSA key transport with PKCS#1 v1.5 or OAEP (RFC 8017, RFC 4055).
//!
//! Reading also accepts AES-192 and 3DES-CBC, so that years-old mail stays readable. Every failure
//! after a key has been chosen — RSA padding, CBC padding, GCM tag — is one and the same
//! [`Error::DecryptionFailed`], and a bad PKCS#1 v1.5 key transport continues with a random key
//! (RFC 3218 section 2.3.2), so that a reader cannot be turned into a decryption oracle.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, OriginatorInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use der::asn1::OctetString;
use der::{Any, Decode, Encode, Sequence};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attributes;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::alg::{Cipher, IdentifierKind, KeyTransport};
use crate::identity::{Identity, KeyPair};
use crate::{cert, oids, Error, Result};

/// AuthEnvelopedData (RFC 5083 section 2.1), which the `cms` crate does not model.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct AuthEnvelopedData {
    /// Always 0.
    pub version: CmsVersion,
    /// Originator certificates and CRLs.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    pub originator_info: Option<OriginatorInfo>,
    /// One per recipient.
    pub recip_infos: RecipientInfos,
    /// The encrypted content.
    pub auth_encrypted_content: EncryptedContentInfo,
    /// Authenticated attributes; their DER is the additional authenticated data.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    pub auth_attrs: Option<Attributes>,
    /// The GCM tag.
    pub mac: OctetString,
    /// Unauthenticated attributes.
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", constructed = "true", optional = "true")]
    pub unauth_attrs: Option<Attributes>,
}

/// GCMParameters (RFC 5084 section 3.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct GcmParameters {
    nonce: OctetString,
    #[asn1(default = "default_icv_len")]
    icv_len: u8,
}

fn default_icv_len() -> u8 {
    12
}

/// Most RecipientInfos one EnvelopedData or AuthEnvelopedData may hold (and most recipients
/// [`encrypt`] writes, so that everything Siegel writes it also reads).
pub const MAX_RECIPIENTS: usize = 1024;

/// How to encrypt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EncryptOptions {
    /// Content cipher; AES-256-GCM by default.
    pub cipher: Cipher,
    /// Key transport; PKCS#1 v1.5 by default (read everywhere), OAEP on request.
    pub key_transport: KeyTransport,
    /// How recipients are named.
    pub identifier: IdentifierKind,
}

/// Encrypts `content` to every certificate in `recipients` and returns a DER `ContentInfo` with
/// EnvelopedData (CBC) or AuthEnvelopedData (GCM).
pub fn encrypt(content: &[u8], recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
    if recipients.is_empty() {
        return Err(Error::InvalidArgument("no recipients to encrypt to".into()));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(Error::LimitExceeded(format!(
            "{} recipients (at most {MAX_RECIPIENTS} per message)",
            recipients.len()
        )));
    }
    let mut rng = rand_core::OsRng;
    let mut cek = Zeroizing::new(vec![0u8; options.cipher.key_len()]);
    rng.fill_bytes(&mut cek);

    let mut infos = Vec::with_capacity(recipients.len());
    let mut any_ski = false;
    for r in recipients {
        let (info, ski) = key_trans_info(r, &cek, options)?;
        any_ski |= ski;
        infos.push(info);
    }
    let recip_infos = RecipientInfos(der::asn1::SetOfVec::try_from(infos).map_err(crypto)?);

    let (content_type, body) = if options.cipher.is_authenticated() {
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let mut buf = content.to_vec();
        let tag = gcm_encrypt(&cek, &nonce, &mut buf)?;
        let params = GcmParameters { nonce: OctetString::new(nonce.to_vec()).map_err(crypto)?, icv_len: 16 };
        let aed = AuthEnvelopedData {
            version: CmsVersion::V0,
            originator_info: None,
            recip_infos,
            auth_encrypted_content: encrypted_content_info(
                options.cipher,
                Any::encode_from(&params).map_err(crypto)?,
                buf,
            )?,
            auth_attrs: None,
            mac: OctetString::new(tag).map_err(crypto)?,
            unauth_attrs: None,
        };
        (oids::AUTH_ENVELOPED_DATA, Any::encode_from(&aed).map_err(crypto)?)
    } else {
        let mut iv = [0u8; 16];
        rng.fill_bytes(&mut iv);
        let ct = cbc_encrypt(options.cipher, &cek, &iv, content)?;
        let params = Any::encode_from(&OctetString::new(iv.to_vec()).map_err(crypto)?).map_err(crypto)?;
        let ed = EnvelopedData {
            // RFC 5652 6.1: version 2 when any RecipientInfo is version 2 (subjectKeyIdentifier).
            version: if any_ski { CmsVersion::V2 } else { CmsVersion::V0 },
            originator_info: None,
            recip_infos,
            encrypted_content: encrypted_content_info(options.cipher, params, ct)?,
            unprotected_attrs: None,
        };
        (oids::ENVELOPED_DATA, Any::encode_from(&ed).map_err(crypto)?)
    };
    ContentInfo { content_type, content: body }.to_der().map_err(crypto)
}

fn crypto<E: core::fmt::Display>(e: E) -> Error {
    Error::Crypto(e.to_string())
}

fn encrypted_content_info(cipher: Cipher, params: Any, ct: Vec<u8>) -> Result<EncryptedContentInfo> {
    Ok(EncryptedContentInfo {
        content_type: oids::DATA,
        content_enc_alg: AlgorithmIdentifierOwned { oid: cipher.oid(), parameters: Some(params) },
        encrypted_content: Some(OctetString::new(ct).map_err(crypto)?),
    })
}

fn recipient_name(cert: &Certificate) -> String {
    cert::emails(cert).into_iter().next().unwrap_or_else(|| cert.tbs_certificate.subject.to_string())
}

/// One KeyTransRecipientInfo; the bool tells whether it names the recipient by key identifier.
fn key_trans_info(cert: &Certificate, cek: &[u8], options: &EncryptOptions) -> Result<(RecipientInfo, bool)> {
    let unusable = |reason: String| Error::UnusableCertificate { subject: recipient_name(cert), reason };
    let public = cert::rsa_public_key(cert).map_err(|e| unusable(e.to_string()))?;
    if !cert::can_encrypt(cert) {
        return Err(unusable("its key usage does not allow key encipherment".into()));
    }
    let mut rng = rand_core::OsRng;
    let (enc_key, key_enc_alg) = match options.key_transport {
        KeyTransport::RsaPkcs1 => (
            public.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, cek).map_err(crypto)?,
            AlgorithmIdentifierOwned { oid: oids::RSA_ENCRYPTION, parameters: Some(Any::null()) },
        ),
        KeyTransport::RsaOaep => {
            let params = pkcs1::RsaOaepParams::new::<sha2::Sha256>();
            (
                public.encrypt(&mut rng, rsa::Oaep::new::<sha2::Sha256>(), cek).map_err(crypto)?,
                AlgorithmIdentifierOwned {
                    oid: oids::RSAES_OAEP,
                    parameters: Some(Any::encode_from(&params).map_err(crypto)?),
                },
            )
        }
    };
    let ski = match options.identifier {
        IdentifierKind::SubjectKeyId => cert::subject_key_id(cert),
        IdentifierKind::IssuerAndSerial => None,
    };
    let (version, rid, by_ski) = match ski {
        Some(ski) => (
            CmsVersion::V2,
            RecipientIdentifier::SubjectKeyIdentifier(x509_cert::ext::pkix::SubjectKeyIdentifier(
                OctetString::new(ski).map_err(crypto)?,
            )),
            true,
        ),
        None => {
            (CmsVersion::V0, RecipientIdentifier::IssuerAndSerialNumber(crate::sign::issuer_and_serial(cert)), false)
        }
    };
    let info = KeyTransRecipientInfo { version, rid, key_enc_alg, enc_key: OctetString::new(enc_key).map_err(crypto)? };
    Ok((RecipientInfo::Ktri(info), by_ski))
}

/// What a decrypted message was protected with.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionInfo {
    /// "envelopedData" or "authEnvelopedData".
    pub content_type: String,
    /// The content cipher, e.g. "AES-256-GCM".
    pub cipher: String,
    /// True for AuthEnvelopedData: the content is integrity protected. CBC mail is not, and a
    /// reader must treat it with care (EFAIL).
    pub integrity_protected: bool,
    /// "RSA" (PKCS#1 v1.5) or "RSAES-OAEP (SHA-256)".
    pub key_transport: String,
    /// The certificate whose key opened it.
    pub recipient: cert::Summary,
    /// How many recipients the message names.
    pub recipient_count: usize,
}

/// Decrypted content with what protected it.
#[derive(Clone, Debug)]
pub struct Decrypted {
    /// The plaintext (for S/MIME, a MIME entity).
    pub content: Vec<u8>,
    /// What protected it.
    pub info: EncryptionInfo,
}

/// Parses a CMS `ContentInfo` from DER or BER.
pub fn parse_content_info(data: &[u8]) -> Result<ContentInfo> {
    match ContentInfo::from_der(data) {
        Ok(ci) => Ok(ci),
        Err(_) => {
            let der = crate::ber::to_der(data)?;
            ContentInfo::from_der(&der).map_err(Error::malformed("CMS ContentInfo"))
        }
    }
}

/// Decrypts an EnvelopedData or AuthEnvelopedData `ContentInfo` (DER or BER) with the matching
/// key from the identity's whole history.
pub fn decrypt(data: &[u8], identity: &Identity) -> Result<Decrypted> {
    decrypt_content_info(&parse_content_info(data)?, identity)
}

/// As [`decrypt`], for an already parsed `ContentInfo`.
pub fn decrypt_content_info(ci: &ContentInfo, identity: &Identity) -> Result<Decrypted> {
    let (recip_infos, eci, mac, aad) = if ci.content_type == oids::ENVELOPED_DATA {
        check_limits(&ci.content)?;
        let ed: EnvelopedData = ci.content.decode_as().map_err(Error::malformed("CMS EnvelopedData"))?;
        (ed.recip_infos, ed.encrypted_content, None, None)
    } else if ci.content_type == oids::AUTH_ENVELOPED_DATA {
        check_limits(&ci.content)?;
        let aed: AuthEnvelopedData = ci.content.decode_as().map_err(Error::malformed("CMS AuthEnvelopedData"))?;
        let aad = match &aed.auth_attrs {
            Some(a) => Some(a.to_der().map_err(Error::malformed("CMS AuthEnvelopedData"))?),
            None => None,
        };
        (aed.recip_infos, aed.auth_encrypted_content, Some(aed.mac), aad)
    } else {
        return Err(Error::NotSmime(format!("CMS content {} is not encrypted", oids::name(&ci.content_type))));
    };

    let alg = ContentAlg::from_identifier(&eci.content_enc_alg, mac.is_some())?;
    let ktris: Vec<&KeyTransRecipientInfo> = recip_infos
        .0
        .iter()
        .filter_map(|ri| match ri {
            RecipientInfo::Ktri(k) => Some(k),
            _ => None,
        })
        .collect();
    let Some((ktri, pair)) = ktris.iter().find_map(|k| identity.pair_for(&k.rid).map(|p| (*k, p))) else {
        if ktris.is_empty() {
            return Err(Error::unsupported(
                "recipient type",
                "the message uses key agreement, KEK or password recipients; Siegel reads RSA key transport",
            ));
        }
        return Err(Error::NotForUs { recipients: describe_recipients(&ktris) });
    };
    let transport = Transport::from_identifier(&ktri.key_enc_alg)?;
    let cek = unwrap_key(pair, &transport, ktri.enc_key.as_bytes(), alg.key_len());
    let ciphertext = eci.encrypted_content.as_ref().map(|o| o.as_bytes()).unwrap_or_default();
    let content = alg.decrypt(&cek, ciphertext, mac.as_ref().map(|m| m.as_bytes()), aad.as_deref())?;
    Ok(Decrypted {
        content,
        info: EncryptionInfo {
            content_type: if mac.is_some() { "authEnvelopedData" } else { "envelopedData" }.into(),
            cipher: alg.name(),
            integrity_protected: mac.is_some(),
            key_transport: transport.name(),
            recipient: cert::Summary::of(pair.certificate()),
            recipient_count: recip_infos.0.len(),
        },
    })
}

/// Counts the SET OFs of an EnvelopedData or AuthEnvelopedData before it is decoded, which sorts each
/// (in time quadratic in its length): at most [`MAX_RECIPIENTS`] recipients, the verify module's
/// limits for originator certificates and CRLs and for attributes, and [`crate::ber::check_sets`] for
/// every other SET. What does not parse is left to the decoder.
fn check_limits(content: &Any) -> Result<()> {
    use crate::verify::{MAX_ATTRIBUTES, MAX_CERTIFICATES, MAX_CRLS};
    let Ok(tlv) = content.to_der() else { return Ok(()) };
    fn children(tlv: &[u8]) -> Vec<&[u8]> {
        crate::ber::der_children(tlv).unwrap_or_default()
    }
    let at_most = |n: usize, max: usize, what: &str| {
        if n > max {
            return Err(Error::LimitExceeded(format!("an encrypted CMS message with {n} {what} (at most {max})")));
        }
        Ok(())
    };
    // version, [0] originatorInfo, recipientInfos, encryptedContentInfo, [1] attributes, (mac, [2] attributes).
    for (i, field) in children(&tlv).into_iter().enumerate() {
        match (i, field.first()) {
            (_, Some(0x31)) => at_most(children(field).len(), MAX_RECIPIENTS, "recipients")?,
            (1, Some(0xa0)) => {
                for set in children(field) {
                    let (max, what) = if set.first() == Some(&0xa0) {
                        (MAX_CERTIFICATES, "originator certificates")
                    } else {
                        (MAX_CRLS, "originator CRLs")
                    };
                    at_most(children(set).len(), max, what)?;
                }
            }
            (_, Some(0xa1 | 0xa2)) => {
                let attrs = children(field);
                at_most(attrs.len(), MAX_ATTRIBUTES, "attributes")?;
                for attr in attrs {
                    at_most(
                        children(attr).get(1).map_or(0, |v| children(v).len()),
                        MAX_ATTRIBUTES,
                        "values of one attribute",
                    )?;
                }
            }
            _ => {}
        }
    }
    crate::ber::check_sets(&tlv)
}

/// The recipients a message names, readable (for "not for us" errors and reports).
pub(crate) fn describe_recipients(ktris: &[&KeyTransRecipientInfo]) -> String {
    ktris
        .iter()
        .map(|k| match &k.rid {
            RecipientIdentifier::IssuerAndSerialNumber(ias) => {
                format!("serial {} from {}", cert::hex(ias.serial_number.as_bytes()), ias.issuer)
            }
            RecipientIdentifier::SubjectKeyIdentifier(ski) => format!("key id {}", cert::hex(ski.0.as_bytes())),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(oid: &const_oid::ObjectIdentifier) -> Result<HashAlg> {
        Ok(match *oid {
            oids::SHA1 => HashAlg::Sha1,
            oids::SHA256 => HashAlg::Sha256,
            oids::SHA384 => HashAlg::Sha384,
            oids::SHA512 => HashAlg::Sha512,
            _ => return Err(Error::unsupported("OAEP hash", oids::name(oid))),
        })
    }
}

enum Transport {
    Pkcs1,
    Oaep { hash: HashAlg, mgf: HashAlg, label: Vec<u8> },
}

impl Transport {
    fn from_identifier(alg: &AlgorithmIdentifierOwned) -> Result<Transport> {
        match alg.oid {
            oids::RSA_ENCRYPTION => Ok(Transport::Pkcs1),
            oids::RSAES_OAEP => {
                let Some(p) = &alg.parameters else {
                    return Ok(Transport::Oaep { hash: HashAlg::Sha1, mgf: HashAlg::Sha1, label: Vec::new() });
                };
                let der = p.to_der().map_err(Error::malformed("OAEP parameters"))?;
                let params = pkcs1::RsaOaepParams::from_der(&der).map_err(Error::malformed("OAEP parameters"))?;
                if params.mask_gen.oid != oids::MGF1 {
                    return Err(Error::unsupported("OAEP mask generation", oids::name(&params.mask_gen.oid)));
                }
                let mgf = params.mask_gen.parameters.map(|a| a.oid).unwrap_or(oids::SHA1);
                let label = match params.p_source.parameters {
                    Some(any) => der::asn1::OctetStringRef::try_from(any)
                        .map_err(Error::malformed("OAEP label"))?
                        .as_bytes()
                        .to_vec(),
                    None => Vec::new(),
                };
                Ok(Transport::Oaep { hash: HashAlg::from_oid(&params.hash.oid)?, mgf: HashAlg::from_oid(&mgf)?, label })
            }
            ref other => Err(Error::unsupported("key transport algorithm", oids::name(other))),
        }
    }

    fn name(&self) -> String {
        match self {
            Transport::Pkcs1 => "RSA PKCS#1 v1.5".into(),
            Transport::Oaep { hash, .. } => format!("RSAES-OAEP ({hash:?})").replace("Sha", "SHA-"),
        }
    }
}

/// Unwraps the content-encryption key. Never fails: a bad unwrap yields a random key of the right
/// length, so the failure surfaces as the same [`Error::DecryptionFailed`] as a bad tag or padding.
fn unwrap_key(pair: &KeyPair, transport: &Transport, enc_key: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let result = match transport {
        Transport::Pkcs1 => pair.key.decrypt(rsa::Pkcs1v15Encrypt, enc_key),
        Transport::Oaep { hash, mgf, label } => {
            let label = String::from_utf8(label.clone()).ok();
            macro_rules! oaep {
                ($h:ty, $m:ty) => {{
                    let mut p = rsa::Oaep::new_with_mgf_hash::<$h, $m>();
                    p.label = label.clone().filter(|l| !l.is_empty());
                    pair.key.decrypt(p, enc_key)
                }};
            }
            macro_rules! by_mgf {
                ($h:ty) => {
                    match mgf {
                        HashAlg::Sha1 => oaep!($h, sha1::Sha1),
                        HashAlg::Sha256 => oaep!($h, sha2::Sha256),
                        HashAlg::Sha384 => oaep!($h, sha2::Sha384),
                        HashAlg::Sha512 => oaep!($h, sha2::Sha512),
                    }
                };
            }
            match hash {
                HashAlg::Sha1 => by_mgf!(sha1::Sha1),
                HashAlg::Sha256 => by_mgf!(sha2::Sha256),
                HashAlg::Sha384 => by_mgf!(sha2::Sha384),
                HashAlg::Sha512 => by_mgf!(sha2::Sha512),
            }
        }
    };
    match result {
        Ok(k) if k.len() == key_len => Zeroizing::new(k),
        _ => {
            let mut k = Zeroizing::new(vec![0u8; key_len]);
            rand_core::OsRng.fill_bytes(&mut k);
            k
        }
    }
}

/// A content-encryption algorithm as read from a message.
enum ContentAlg {
    Cbc { name: &'static str, key_len: usize, iv: Vec<u8> },
    Gcm { name: &'static str, key_len: usize, nonce: Vec<u8>, tag_len: u8 },
}

impl ContentAlg {
    fn from_identifier(alg: &AlgorithmIdentifierOwned, authenticated: bool) -> Result<ContentAlg> {
        let params =
            || alg.parameters.as_ref().ok_or_else(|| Error::bad("CMS content encryption", "parameters missing"));
        let cbc = |name, key_len, iv_len: usize| -> Result<ContentAlg> {
            let iv: OctetString = params()?.decode_as().map_err(Error::malformed("CBC IV"))?;
            if iv.as_bytes().len() != iv_len {
                return Err(Error::bad("CMS content encryption", "IV of the wrong length"));
            }
            Ok(ContentAlg::Cbc { name, key_len, iv: iv.as_bytes().to_vec() })
        };
        let gcm = |name, key_len| -> Result<ContentAlg> {
            let p: GcmParameters = params()?.decode_as().map_err(Error::malformed("GCM parameters"))?;
            if p.nonce.as_bytes().len() != 12 {
                return Err(Error::unsupported("GCM nonce length", p.nonce.as_bytes().len().to_string()));
            }
            if !(12..=16).contains(&p.icv_len) {
                return Err(Error::unsupported("GCM tag length", p.icv_len.to_string()));
            }
            Ok(ContentAlg::Gcm { name, key_len, nonce: p.nonce.as_bytes().to_vec(), tag_len: p.icv_len })
        };
        let alg = match alg.oid {
            oids::AES128_CBC => cbc("AES-128-CBC", 16, 16)?,
            oids::AES192_CBC => cbc("AES-192-CBC", 24, 16)?,
            oids::AES256_CBC => cbc("AES-256-CBC", 32, 16)?,
            oids::DES_EDE3_CBC => cbc("3DES-CBC", 24, 8)?,
            oids::AES128_GCM => gcm("AES-128-GCM", 16)?,
            oids::AES192_GCM => gcm("AES-192-GCM", 24)?,
            oids::AES256_GCM => gcm("AES-256-GCM", 32)?,
            ref other => return Err(Error::unsupported("content encryption algorithm", oids::name(other))),
        };
        match (&alg, authenticated) {
            (ContentAlg::Cbc { .. }, true) => {
                Err(Error::bad("CMS AuthEnvelopedData", "a CBC cipher cannot provide authenticated encryption"))
            }
            (ContentAlg::Gcm { .. }, false) => Err(Error::bad("CMS EnvelopedData", "GCM belongs in AuthEnvelopedData")),
            _ => Ok(alg),
        }
    }

    fn key_len(&self) -> usize {
        match self {
            ContentAlg::Cbc { key_len, .. } | ContentAlg::Gcm { key_len, .. } => *key_len,
        }
    }

    fn name(&self) -> String {
        match self {
            ContentAlg::Cbc { name, .. } | ContentAlg::Gcm { name, .. } => (*name).into(),
        }
    }

    fn decrypt(&self, key: &[u8], ciphertext: &[u8], mac: Option<&[u8]>, aad: Option<&[u8]>) -> Result<Vec<u8>> {
        match self {
            ContentAlg::Cbc { iv, .. } => {
                macro_rules! cbc {
                    ($c:ty) => {
                        cbc::Decryptor::<$c>::new_from_slices(key, iv)
                            .map_err(|_| Error::DecryptionFailed)?
                            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                            .map_err(|_| Error::DecryptionFailed)
                    };
                }
                match key.len() {
                    16 => cbc!(aes::Aes128),
                    24 if iv.len() == 8 => cbc!(des::TdesEde3),
                    24 => cbc!(aes::Aes192),
                    32 => cbc!(aes::Aes256),
                    _ => Err(Error::DecryptionFailed),
                }
            }
            ContentAlg::Gcm { nonce, tag_len, .. } => {
                let tag = mac.ok_or(Error::DecryptionFailed)?;
                if tag.len() != *tag_len as usize {
                    return Err(Error::DecryptionFailed);
                }
                let mut buf = ciphertext.to_vec();
                gcm_decrypt(key, nonce, aad.unwrap_or_default(), &mut buf, tag)?;
                Ok(buf)
            }
        }
    }
}

fn cbc_encrypt(cipher: Cipher, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    Ok(match cipher {
        Cipher::Aes128Cbc => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(crypto)?
            .encrypt_padded_vec_mut::<Pkcs7>(data),
        Cipher::Aes256Cbc => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(crypto)?
            .encrypt_padded_vec_mut::<Pkcs7>(data),
        other => return Err(Error::InvalidArgument(format!("{other:?} is not a CBC cipher"))),
    })
}

/// AES-GCM with a 16-byte tag, in place; returns the tag.
fn gcm_encrypt(key: &[u8], nonce: &[u8; 12], buf: &mut [u8]) -> Result<Vec<u8>> {
    let nonce = aes_gcm::Nonce::from_slice(nonce);
    let tag = match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).map_err(crypto)?.encrypt_in_place_detached(nonce, b"", buf),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key).map_err(crypto)?.encrypt_in_place_detached(nonce, b"", buf),
        _ => return Err(Error::InvalidArgument("GCM key must be 16 or 32 bytes".into())),
    }
    .map_err(crypto)?;
    Ok(tag.to_vec())
}

fn gcm_decrypt(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<()> {
    use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
    use aes_gcm::AesGcm;
    let nonce = aes_gcm::Nonce::from_slice(nonce);
    macro_rules! run {
        ($aes:ty, $t:ty) => {
            AesGcm::<$aes, U12, $t>::new_from_slice(key)
                .map_err(|_| Error::DecryptionFailed)?
                .decrypt_in_place_detached(nonce, aad, buf, aes_gcm::aead::generic_array::GenericArray::from_slice(tag))
                .map_err(|_| Error::DecryptionFailed)
        };
    }
    macro_rules! by_tag {
        ($aes:ty) => {
            match tag.len() {
                12 => run!($aes, U12),
                13 => run!($aes, U13),
                14 => run!($aes, U14),
                15 => run!($aes, U15),
                16 => run!($aes, U16),
                _ => Err(Error::DecryptionFailed),
            }
        };
    }
    match key.len() {
        16 => by_tag!(aes::Aes128),
        24 => by_tag!(aes::Aes192),
        32 => by_tag!(aes::Aes256),
        _ => Err(Error::DecryptionFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ber::{self, tlv};

    fn data(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    /// `message` (a DER ContentInfo with (Auth)EnvelopedData) with its fields changed by `edit`.
    fn with_fields(message: &[u8], edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        let ci = ber::der_children(message).unwrap();
        let inner = ber::der_children(ci[1]).unwrap()[0];
        let mut fields: Vec<Vec<u8>> = ber::der_children(inner).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        edit(&mut fields);
        tlv(0x30, &[ci[0].to_vec(), tlv(0xa0, &tlv(0x30, &fields.concat()))].concat())
    }

    /// The first element of a constructed element, `n` times, under `tag`.
    fn repeated(tag: u8, of: &[u8], n: usize) -> Vec<u8> {
        tlv(tag, &ber::der_children(of).unwrap()[0].repeat(n))
    }

    #[test]
    fn recipient_and_attribute_counts_are_limited() {
        let bob = Identity::from_pkcs12(&data("pki/bob.p12"), "secret").unwrap();
        let bob_cert = bob.pairs()[0].certificate().clone();
        let limited = |der: &[u8]| matches!(decrypt(der, &bob), Err(Error::LimitExceeded(_)));
        for cipher in [Cipher::Aes256Gcm, Cipher::Aes256Cbc] {
            let options = EncryptOptions { cipher, ..Default::default() };
            let sealed = encrypt(b"hi", std::slice::from_ref(&bob_cert), &options).unwrap();
            assert_eq!(decrypt(&sealed, &bob).unwrap().content, b"hi");
            // version, recipientInfos, encryptedContentInfo, (mac).
            assert_eq!(with_fields(&sealed, |f| assert_eq!(f[1][0], 0x31)), sealed);
            for (n, over) in [(MAX_RECIPIENTS, false), (MAX_RECIPIENTS + 1, true)] {
                let edited = with_fields(&sealed, |f| f[1] = repeated(0x31, &f[1], n));
                assert_eq!(limited(&edited), over, "{n} recipients");
            }
            // Attributes after the encrypted content: unprotectedAttrs [1] or authAttrs [1].
            let attr = tlv(0x30, &[vec![0x06, 0x01, 0x2a], tlv(0x31, &[0x05, 0x00])].concat());
            for (n, over) in [(crate::verify::MAX_ATTRIBUTES, false), (crate::verify::MAX_ATTRIBUTES + 1, true)] {
                let edited = with_fields(&sealed, |f| f.insert(3, tlv(0xa1, &attr.repeat(n))));
                assert_eq!(limited(&edited), over, "{n} attributes");
            }
            // originatorInfo [0] { [0] certificates }.
            let cert = bob_cert.to_der().unwrap();
            for (n, over) in [(crate::verify::MAX_CERTIFICATES, false), (crate::verify::MAX_CERTIFICATES + 1, true)] {
                let edited = with_fields(&sealed, |f| f.insert(1, tlv(0xa0, &tlv(0xa0, &cert.repeat(n)))));
                assert_eq!(limited(&edited), over, "{n} originator certificates");
            }
        }
        // What Siegel writes it reads: no more recipients than that.
        let many = vec![bob_cert; MAX_RECIPIENTS + 1];
        assert!(matches!(encrypt(b"hi", &many, &EncryptOptions::default()), Err(Error::LimitExceeded(_))));
    }
}
