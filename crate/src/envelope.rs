//! CMS EnvelopedData (RFC 5652 section 6) with AES-CBC, and AuthEnvelopedData (RFC 5083) with
//! AES-GCM (RFC 5084); RSA key transport with PKCS#1 v1.5 or OAEP (RFC 8017, RFC 4055), and ECDH
//! key agreement for EC recipients (RFC 5753, [`key_agree`]), mixed freely in one message.
//!
//! Reading also accepts AES-192 and 3DES-CBC, so that years-old mail stays readable. Every failure
//! after a key has been chosen — RSA padding, CBC padding, GCM tag — is one and the same
//! [`Error::DecryptionFailed`], and a bad key transport continues with a stand-in key
//! (RFC 3218 section 2.3.2; `KeyPair::rejection_key`), so that a reader cannot be turned into a
//! decryption oracle.

use core::ops::Range;

use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{
    EncryptedContentInfo, KeyTransRecipientInfo, OriginatorInfo, RecipientIdentifier, RecipientInfo, RecipientInfos,
};
use der::asn1::OctetString;
use der::{Any, Decode, Encode, Sequence};
use serde::{Deserialize, Serialize};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attributes;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::alg::{Cipher, Digest, IdentifierKind, KeyTransport};
use crate::identity::{Identity, KeyPair};
use crate::pubkey::rsa_padding;
use crate::{ber, cert, oids, Error, Result};

pub mod content;
mod framing;
mod key_agree;

pub use content::{ContentCipher, ContentKey, EncryptedContent};
pub use framing::EnvelopeDer;

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
/// EnvelopedData (CBC) or AuthEnvelopedData (GCM), under a fresh random key.
pub fn encrypt(content: &[u8], recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
    let key = ContentKey::generate(options.cipher);
    let encrypted = key.encrypt(content.to_vec())?;
    Ok(seal(&key, encrypted, recipients, options)?.to_vec())
}

/// Wraps content that is already encrypted under `key` (by [`ContentKey::encrypt`], or by the host
/// with the same key and IV) for every certificate in `recipients`: the key is encrypted to each,
/// and the DER is built around the ciphertext without copying it.
pub fn seal(
    key: &ContentKey,
    content: EncryptedContent,
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<EnvelopeDer> {
    if recipients.is_empty() {
        return Err(Error::InvalidArgument("no recipients to encrypt to".into()));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(Error::LimitExceeded(format!(
            "{} recipients (at most {MAX_RECIPIENTS} per message)",
            recipients.len()
        )));
    }
    let cipher = key.cipher();
    if cipher != options.cipher {
        return Err(Error::InvalidArgument(format!(
            "the content key is for {cipher:?}, the options ask for {:?}",
            options.cipher
        )));
    }
    if content.tag.is_some() != cipher.is_authenticated() {
        return Err(Error::InvalidArgument("a GCM tag goes with GCM content only".into()));
    }
    let mut infos = Vec::with_capacity(recipients.len());
    // Whether any RecipientInfo is not version 0 (a key identifier, or key agreement's version 3).
    let mut any_not_v0 = false;
    for r in recipients {
        let (info, ski) = recipient_info(r, key.key(), options)?;
        any_not_v0 |= ski || matches!(info, RecipientInfo::Kari(_));
        infos.push(info);
    }
    let recip_infos = framing::recipient_infos_der(&infos)?;
    let params = if cipher.is_authenticated() {
        let params = GcmParameters {
            nonce: OctetString::new(key.iv().to_vec()).map_err(crypto)?,
            icv_len: content::GCM_TAG_LEN as u8,
        };
        Any::encode_from(&params).map_err(crypto)?
    } else {
        Any::encode_from(&OctetString::new(key.iv().to_vec()).map_err(crypto)?).map_err(crypto)?
    };
    let parts = framing::Parts {
        mac: content.tag.as_deref(),
        // RFC 5652 6.1: version 2 when any RecipientInfo is not version 0 (a subjectKeyIdentifier,
        // key agreement); AuthEnvelopedData is always version 0 (RFC 5083).
        version: if any_not_v0 && !cipher.is_authenticated() { CmsVersion::V2 } else { CmsVersion::V0 },
        recip_infos: &recip_infos,
        content_enc_alg: &AlgorithmIdentifierOwned { oid: cipher.oid(), parameters: Some(params) },
    };
    framing::write(&parts, content.ciphertext)
}

fn crypto<E: core::fmt::Display>(e: E) -> Error {
    Error::Crypto(e.to_string())
}

fn recipient_name(cert: &Certificate) -> String {
    cert::emails(cert).into_iter().next().unwrap_or_else(|| crate::dn::to_string(&cert.tbs_certificate.subject))
}

/// The RecipientInfo for one certificate: key transport for an RSA key, key agreement for an EC
/// key; the bool tells whether it names the recipient by key identifier.
fn recipient_info(cert: &Certificate, cek: &[u8], options: &EncryptOptions) -> Result<(RecipientInfo, bool)> {
    let unusable = |reason: String| Error::UnusableCertificate { subject: recipient_name(cert), reason };
    if cert.tbs_certificate.subject_public_key_info.algorithm.oid == oids::EC_PUBLIC_KEY {
        return Ok((key_agree::recipient_info(cert, cek, unusable)?, false));
    }
    key_trans_info(cert, cek, options)
}

/// One KeyTransRecipientInfo; the bool tells whether it names the recipient by key identifier.
fn key_trans_info(cert: &Certificate, cek: &[u8], options: &EncryptOptions) -> Result<(RecipientInfo, bool)> {
    let unusable = |reason: String| Error::UnusableCertificate { subject: recipient_name(cert), reason };
    let key = cert::rsa_public_key(cert).map_err(|e| unusable(e.to_string()))?;
    if !cert::can_encrypt(cert) {
        return Err(unusable("its key usage does not allow key encipherment".into()));
    }
    let mut rng = rand_core::OsRng;
    let too_small = || unusable("its RSA key is too small for the content-encryption key".into());
    let (em, key_enc_alg) = match options.key_transport {
        KeyTransport::RsaPkcs1 => (
            rsa_padding::pkcs1v15_encode(&mut rng, cek, key.size()).ok_or_else(too_small)?,
            AlgorithmIdentifierOwned { oid: oids::RSA_ENCRYPTION, parameters: Some(Any::null()) },
        ),
        KeyTransport::RsaOaep => {
            let params = pkcs1::RsaOaepParams::new::<sha2::Sha256>();
            (
                rsa_padding::oaep_encode(&mut rng, cek, key.size(), Digest::Sha256).ok_or_else(too_small)?,
                AlgorithmIdentifierOwned {
                    oid: oids::RSAES_OAEP,
                    parameters: Some(Any::encode_from(&params).map_err(crypto)?),
                },
            )
        }
    };
    let enc_key = key.encrypt_raw(&em).map_err(|e| Error::Crypto(format!("RSA encryption failed: {e:?}")))?;
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

/// Decrypts an EnvelopedData or AuthEnvelopedData `ContentInfo` (DER or BER) with the matching
/// key from the identity's whole history.
pub fn decrypt(data: &[u8], identity: &Identity) -> Result<Decrypted> {
    Opening::new(data.to_vec(), identity)?.decrypt()
}

/// As [`decrypt`], for an already parsed `ContentInfo`.
pub fn decrypt_content_info(ci: &ContentInfo, identity: &Identity) -> Result<Decrypted> {
    let der = ci.to_der().map_err(Error::malformed("CMS ContentInfo"))?;
    Opening::new(der, identity)?.decrypt()
}

/// An encrypted CMS message on its way to being decrypted: the recipient is found and the
/// content-encryption key unwrapped, and the content is still encrypted, in place in the buffer the
/// message came in. Decrypt it with [`Opening::decrypt`] (pure Rust), or let the host decrypt
/// [`Opening::ciphertext`] with [`Opening::key`] and [`Opening::cipher`] and hand the plaintext to
/// [`Opening::finish_with`].
pub struct Opening {
    buf: Vec<u8>,
    ciphertext: Range<usize>,
    cek: Zeroizing<Vec<u8>>,
    cipher: ContentCipher,
    info: EncryptionInfo,
}

impl core::fmt::Debug for Opening {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Opening").field("info", &self.info).finish_non_exhaustive()
    }
}

/// An encrypted CMS message whose recipient is found, before its content-encryption key is
/// unwrapped: [`Unwrapping::unwrap`] unwraps it in Rust. A host with a native RSA-OAEP (WebCrypto)
/// may instead decrypt [`Unwrapping::encrypted_key`] with the key [`Unwrapping::oaep_for_host`]
/// gives and hand the result to [`Unwrapping::with_key`].
pub struct Unwrapping {
    buf: Vec<u8>,
    ciphertext: Range<usize>,
    enc_key: Vec<u8>,
    pair: KeyPair,
    transport: Transport,
    key_len: usize,
    cipher: ContentCipher,
    info: EncryptionInfo,
}

impl core::fmt::Debug for Unwrapping {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unwrapping").field("info", &self.info).finish_non_exhaustive()
    }
}

impl Unwrapping {
    /// Unwraps the key in Rust (constant time; a bad key transport yields the stand-in key of
    /// `KeyPair::rejection_key`, see [`Error::DecryptionFailed`]).
    pub fn unwrap(self) -> Opening {
        let cek = unwrap_key(&self.pair, &self.transport, &self.enc_key, self.key_len);
        self.into_opening(cek)
    }

    /// When the key transport is RSAES-OAEP as WebCrypto does it (one hash for OAEP and MGF1, no
    /// label): that hash, and the recipient's private key as PKCS#8 for the host to import.
    pub fn oaep_for_host(&self) -> Option<(crate::alg::Digest, Zeroizing<Vec<u8>>)> {
        match &self.transport {
            Transport::Oaep { hash, mgf, label } if hash == mgf && label.is_empty() => {
                Some((*hash, self.pair.private_key_pkcs8().ok()?))
            }
            _ => None,
        }
    }

    /// The encrypted content-encryption key.
    pub fn encrypted_key(&self) -> &[u8] {
        &self.enc_key
    }

    /// Goes on with the key the host unwrapped; `None` when the host's decryption failed. A failure
    /// or a key of the wrong length gives the same stand-in key as [`Unwrapping::unwrap`].
    pub fn with_key(self, key: Option<&[u8]>) -> Opening {
        let cek = match key {
            Some(k) if k.len() == self.key_len => Zeroizing::new(k.to_vec()),
            _ => self.pair.rejection_key(&self.enc_key, self.key_len),
        };
        self.into_opening(cek)
    }

    fn into_opening(self, cek: Zeroizing<Vec<u8>>) -> Opening {
        Opening { buf: self.buf, ciphertext: self.ciphertext, cek, cipher: self.cipher, info: self.info }
    }
}

impl Opening {
    /// Reads the message (DER or BER) and unwraps the content-encryption key with the matching key
    /// of the identity's history. A bad key transport is not an error here (see [`Error::DecryptionFailed`]).
    pub fn new(data: Vec<u8>, identity: &Identity) -> Result<Opening> {
        Ok(Opening::prepare(data, identity)?.unwrap())
    }

    /// Reads the message (DER or BER) and finds the matching key of the identity's history; the key
    /// is unwrapped in the next step ([`Unwrapping`]).
    pub fn prepare(data: Vec<u8>, identity: &Identity) -> Result<Unwrapping> {
        let (buf, located) = match framing::locate(&data) {
            Ok(l) => (data, l),
            Err(e @ Error::NotSmime(_)) => return Err(e),
            Err(_) => {
                let der = ber::to_der(&data)?;
                drop(data);
                let located = framing::locate(&der)?;
                (der, located)
            }
        };
        let framing::Located { authenticated, recip_infos, content_enc_alg, ciphertext, mac, aad } = located;
        let alg = ContentAlg::from_identifier(&content_enc_alg, authenticated)?;
        let (pair, transport, enc_key) = find_recipient(&recip_infos, identity)?;
        let key_len = alg.key_len();
        let info = EncryptionInfo {
            content_type: if authenticated { "authEnvelopedData" } else { "envelopedData" }.into(),
            cipher: alg.name(),
            integrity_protected: authenticated,
            key_transport: transport.name(pair),
            recipient: cert::Summary::of(pair.certificate()),
            recipient_count: recip_infos.len(),
        };
        let cipher = alg.into_cipher(mac, aad)?;
        Ok(Unwrapping { buf, ciphertext, enc_key, pair: pair.clone(), transport, key_len, cipher, info })
    }
}

/// The first RecipientInfo that a key of the identity's history opens (key transport or key
/// agreement), with its key, how its key is protected, and the encrypted key.
fn find_recipient<'a>(infos: &[RecipientInfo], identity: &'a Identity) -> Result<(&'a KeyPair, Transport, Vec<u8>)> {
    for ri in infos {
        match ri {
            RecipientInfo::Ktri(k) => {
                if let Some(pair) = identity.pair_for(&k.rid) {
                    return Ok((pair, Transport::from_identifier(&k.key_enc_alg)?, k.enc_key.as_bytes().to_vec()));
                }
            }
            RecipientInfo::Kari(kari) => {
                let found = kari.recipient_enc_keys.iter().find_map(|rek| {
                    identity
                        .pairs()
                        .iter()
                        .find(|p| p.ec().is_some() && p.matches_key_agree_recipient(&rek.rid))
                        .map(|p| (p, rek))
                });
                if let Some((pair, rek)) = found {
                    let scheme = key_agree::Scheme::from_info(kari)?;
                    return Ok((pair, Transport::KeyAgree(scheme), rek.enc_key.as_bytes().to_vec()));
                }
            }
            _ => {}
        }
    }
    if !infos.iter().any(|ri| matches!(ri, RecipientInfo::Ktri(_) | RecipientInfo::Kari(_))) {
        return Err(Error::unsupported(
            "recipient type",
            "the message uses only KEK or password recipients; Siegel reads RSA key transport and ECDH key agreement",
        ));
    }
    Err(Error::NotForUs { recipients: describe_recipient_infos(infos) })
}

impl Opening {
    /// The unwrapped content-encryption key (the stand-in key when the key transport failed).
    pub fn key(&self) -> &[u8] {
        &self.cek
    }

    /// How the content is encrypted.
    pub fn cipher(&self) -> &ContentCipher {
        &self.cipher
    }

    /// What protected the message.
    pub fn info(&self) -> &EncryptionInfo {
        &self.info
    }

    /// The encrypted content.
    pub fn ciphertext(&self) -> &[u8] {
        self.buf.get(self.ciphertext.clone()).unwrap_or_default()
    }

    /// For GCM: the encrypted content followed by the tag, as WebCrypto's AES-GCM takes it. The
    /// tag is written over the bytes after the content (the rest of the DER, no longer needed).
    pub fn ciphertext_with_tag(&mut self) -> &[u8] {
        let end = self.ciphertext.end;
        if let ContentCipher::Gcm { tag, .. } = &self.cipher {
            let with_tag = end + tag.len();
            if self.buf.len() < with_tag {
                self.buf.resize(with_tag, 0);
            }
            if let Some(room) = self.buf.get_mut(end..with_tag) {
                room.copy_from_slice(tag);
            }
            return self.buf.get(self.ciphertext.start..with_tag).unwrap_or_default();
        }
        self.ciphertext()
    }

    /// Decrypts with the pure-Rust ciphers, in place.
    pub fn decrypt(mut self) -> Result<Decrypted> {
        let range = self.ciphertext.clone();
        let buf = self.buf.get_mut(range).ok_or(Error::DecryptionFailed)?;
        let len = self.cipher.decrypt_in_place(&self.cek, buf)?;
        Ok(self.into_decrypted(len))
    }

    /// Takes `len` bytes of plaintext that the host decrypted: `fill` writes them (into the place
    /// of the ciphertext). The plaintext is never longer than the ciphertext; a longer `len` is a
    /// failed decryption.
    pub fn finish_with(mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<Decrypted> {
        if len > self.ciphertext.len() {
            return Err(Error::DecryptionFailed);
        }
        let start = self.ciphertext.start;
        let room = self.buf.get_mut(start..start + len).ok_or(Error::DecryptionFailed)?;
        fill(room);
        Ok(self.into_decrypted(len))
    }

    fn into_decrypted(mut self, len: usize) -> Decrypted {
        let start = self.ciphertext.start;
        self.buf.truncate(start + len);
        self.buf.drain(..start);
        Decrypted { content: core::mem::take(&mut self.buf), info: self.info.clone() }
    }
}

/// Counts the SET OFs of an EnvelopedData or AuthEnvelopedData before it is decoded, which sorts each
/// (in time quadratic in its length): at most [`MAX_RECIPIENTS`] recipients, the verify module's
/// limits for originator certificates and CRLs and for attributes, and [`crate::ber::check_sets`] for
/// every other SET. What does not parse is left to the decoder.
fn check_limits(tlv: &[u8]) -> Result<()> {
    use crate::cms_common::{MAX_ATTRIBUTES, MAX_CERTIFICATES, MAX_CRLS};
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
    for (i, field) in children(tlv).into_iter().enumerate() {
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
    crate::ber::check_sets(tlv)
}

/// The recipients a message names, readable (for "not for us" errors and reports).
pub(crate) fn describe_recipients(ktris: &[&KeyTransRecipientInfo]) -> String {
    ktris
        .iter()
        .map(|k| match &k.rid {
            RecipientIdentifier::IssuerAndSerialNumber(ias) => describe_issuer_serial(ias),
            RecipientIdentifier::SubjectKeyIdentifier(ski) => format!("key id {}", cert::hex(ski.0.as_bytes())),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_issuer_serial(ias: &cms::cert::IssuerAndSerialNumber) -> String {
    format!("serial {} from {}", cert::hex(ias.serial_number.as_bytes()), crate::dn::to_string(&ias.issuer))
}

/// Every key transport and key agreement recipient a message names, readable.
fn describe_recipient_infos(infos: &[RecipientInfo]) -> String {
    use cms::enveloped_data::KeyAgreeRecipientIdentifier as Kid;
    let mut out = Vec::new();
    for ri in infos {
        match ri {
            RecipientInfo::Ktri(k) => out.push(describe_recipients(&[k])),
            RecipientInfo::Kari(kari) => out.extend(kari.recipient_enc_keys.iter().map(|rek| match &rek.rid {
                Kid::IssuerAndSerialNumber(ias) => describe_issuer_serial(ias),
                Kid::RKeyId(r) => format!("key id {}", cert::hex(r.subject_key_identifier.0.as_bytes())),
            })),
            _ => {}
        }
    }
    // A key agreement recipient may list any number of keys: name the first few.
    const SHOWN: usize = 16;
    if out.len() > SHOWN {
        let more = out.len() - SHOWN;
        out.truncate(SHOWN);
        out.push(format!("and {more} more"));
    }
    out.join("; ")
}

/// An OAEP hash: the digests Siegel knows, under the error name OAEP parameters want.
fn oaep_hash(oid: &const_oid::ObjectIdentifier) -> Result<Digest> {
    Digest::from_oid(oid).map_err(|_| Error::unsupported("OAEP hash", oids::name(oid)))
}

enum Transport {
    Pkcs1,
    Oaep {
        hash: Digest,
        mgf: Digest,
        label: Vec<u8>,
    },
    /// ECDH key agreement with AES key wrap.
    KeyAgree(key_agree::Scheme),
}

impl Transport {
    fn from_identifier(alg: &AlgorithmIdentifierOwned) -> Result<Transport> {
        match alg.oid {
            oids::RSA_ENCRYPTION => Ok(Transport::Pkcs1),
            oids::RSAES_OAEP => {
                let Some(p) = &alg.parameters else {
                    return Ok(Transport::Oaep { hash: Digest::Sha1, mgf: Digest::Sha1, label: Vec::new() });
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
                Ok(Transport::Oaep { hash: oaep_hash(&params.hash.oid)?, mgf: oaep_hash(&mgf)?, label })
            }
            ref other => Err(Error::unsupported("key transport algorithm", oids::name(other))),
        }
    }

    fn name(&self, pair: &KeyPair) -> String {
        match self {
            Transport::Pkcs1 => "RSA PKCS#1 v1.5".into(),
            Transport::Oaep { hash, .. } => format!("RSAES-OAEP ({hash:?})").replace("Sha", "SHA-"),
            Transport::KeyAgree(scheme) => scheme.name(pair),
        }
    }
}

/// Unwraps the content-encryption key (RSA key transport, or ECDH and AES key unwrap). Never fails:
/// a bad unwrap yields the pair's rejection key for
/// this encrypted key ([`KeyPair::rejection_key`]), so the failure surfaces as the same
/// [`Error::DecryptionFailed`] as a bad tag or padding.
/// The RSA operation and the padding check run in constant time ([`crate::pubkey::rsa`],
/// [`crate::pubkey::rsa_padding`]).
fn unwrap_key(pair: &KeyPair, transport: &Transport, enc_key: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let fallback = pair.rejection_key(enc_key, key_len);
    if let Transport::KeyAgree(scheme) = transport {
        // Nothing here is an RSA padding oracle: a failed unwrap (AES key wrap's integrity check, a
        // bad originator key) goes on with the stand-in key all the same.
        return scheme.unwrap(pair, enc_key, key_len).unwrap_or(fallback);
    }
    // A number that is not below the modulus: public, as the encrypted key is.
    let Ok(em) = pair.decrypt_raw(enc_key) else { return fallback };
    match transport {
        Transport::Pkcs1 => rsa_padding::pkcs1v15_key(&em, &fallback),
        Transport::Oaep { hash, mgf, label } => rsa_padding::oaep_key(&em, *hash, *mgf, label, &fallback),
        Transport::KeyAgree(_) => fallback,
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

    /// The parameters a decryption needs, with the tag and additional data of AuthEnvelopedData.
    fn into_cipher(self, mac: Option<Vec<u8>>, aad: Option<Vec<u8>>) -> Result<ContentCipher> {
        Ok(match self {
            ContentAlg::Cbc { iv, .. } => ContentCipher::Cbc { iv },
            ContentAlg::Gcm { nonce, tag_len, .. } => {
                let tag = mac.ok_or(Error::DecryptionFailed)?;
                if tag.len() != tag_len as usize {
                    return Err(Error::DecryptionFailed);
                }
                ContentCipher::Gcm { nonce, tag, aad: aad.unwrap_or_default() }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ber::{repeated, tlv, with_content_fields};

    fn data(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
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
            assert_eq!(with_content_fields(&sealed, |f| assert_eq!(f[1][0], 0x31)), sealed);
            for (n, over) in [(MAX_RECIPIENTS, false), (MAX_RECIPIENTS + 1, true)] {
                let edited = with_content_fields(&sealed, |f| f[1] = repeated(0x31, &f[1], n));
                assert_eq!(limited(&edited), over, "{n} recipients");
            }
            // Attributes after the encrypted content: unprotectedAttrs [1] or authAttrs [1].
            let attr = tlv(0x30, &[vec![0x06, 0x01, 0x2a], tlv(0x31, &[0x05, 0x00])].concat());
            for (n, over) in [(crate::cms_common::MAX_ATTRIBUTES, false), (crate::cms_common::MAX_ATTRIBUTES + 1, true)]
            {
                let edited = with_content_fields(&sealed, |f| f.insert(3, tlv(0xa1, &attr.repeat(n))));
                assert_eq!(limited(&edited), over, "{n} attributes");
            }
            // originatorInfo [0] { [0] certificates }.
            let cert = bob_cert.to_der().unwrap();
            for (n, over) in
                [(crate::cms_common::MAX_CERTIFICATES, false), (crate::cms_common::MAX_CERTIFICATES + 1, true)]
            {
                let edited = with_content_fields(&sealed, |f| f.insert(1, tlv(0xa0, &tlv(0xa0, &cert.repeat(n)))));
                assert_eq!(limited(&edited), over, "{n} originator certificates");
            }
        }
        // What Siegel writes it reads: no more recipients than that.
        let many = vec![bob_cert; MAX_RECIPIENTS + 1];
        assert!(matches!(encrypt(b"hi", &many, &EncryptOptions::default()), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn a_bad_key_transport_gives_a_fixed_key_per_ciphertext() {
        let bob = Identity::from_pkcs12(&data("pki/bob.p12"), "secret").unwrap();
        let alice = Identity::from_pkcs12(&data("pki/alice.p12"), "secret").unwrap();
        let bob_cert = bob.pairs()[0].certificate().clone();
        for key_transport in [KeyTransport::RsaPkcs1, KeyTransport::RsaOaep] {
            let options = EncryptOptions { cipher: Cipher::Aes256Gcm, key_transport, ..Default::default() };
            let sealed = encrypt(b"hi", std::slice::from_ref(&bob_cert), &options).unwrap();
            // The 256-byte encrypted key: flip one bit in it.
            let at = sealed.windows(4).position(|w| w == [0x04, 0x82, 0x01, 0x00]).unwrap() + 4 + 100;
            let mut damaged = sealed.clone();
            damaged[at] ^= 1;
            assert!(matches!(decrypt(&damaged, &bob), Err(Error::DecryptionFailed)), "{key_transport:?}");
            let key_of = |der: &[u8]| Opening::new(der.to_vec(), &bob).unwrap().key().to_vec();
            // Implicit rejection: the same bad ciphertext, the same stand-in key, every time, and the
            // same one whether Rust or the host failed the unwrap.
            assert_eq!(key_of(&damaged), key_of(&damaged), "{key_transport:?}");
            let by_host = Opening::prepare(damaged.clone(), &bob).unwrap().with_key(None).key().to_vec();
            assert_eq!(by_host, key_of(&damaged));
            assert_ne!(key_of(&damaged), key_of(&sealed));
            let mut other = sealed.clone();
            other[at + 1] ^= 1;
            assert_ne!(key_of(&other), key_of(&damaged), "another ciphertext, another key");
            // Another private key: another stand-in for the same bytes.
            let enc_key = &damaged[at - 100..at + 156];
            assert_ne!(bob.pairs()[0].rejection_key(enc_key, 32), alice.pairs()[0].rejection_key(enc_key, 32));
            assert_eq!(bob.pairs()[0].rejection_key(enc_key, 16).len(), 16);
        }
    }

    #[test]
    fn ec_recipients_mixed_with_rsa_in_cbc_and_gcm() {
        let bob = Identity::from_pkcs12(&data("pki/bob.p12"), "secret").unwrap();
        let erin = Identity::from_pkcs12(&data("pki/erin.p12"), "secret").unwrap();
        let frank = Identity::from_pkcs12(&data("pki/frank.p12"), "secret").unwrap();
        let alice = Identity::from_pkcs12(&data("pki/alice.p12"), "secret").unwrap();
        let certs: Vec<Certificate> =
            [&bob, &erin, &frank].iter().map(|i| i.pairs()[0].certificate().clone()).collect();
        for cipher in [Cipher::Aes256Gcm, Cipher::Aes128Gcm, Cipher::Aes256Cbc, Cipher::Aes128Cbc] {
            for identifier in [IdentifierKind::IssuerAndSerial, IdentifierKind::SubjectKeyId] {
                let options = EncryptOptions { cipher, identifier, ..Default::default() };
                let sealed = encrypt(b"for all three", &certs, &options).unwrap();
                for (who, id, transport) in [
                    ("bob", &bob, "RSA PKCS#1 v1.5"),
                    ("erin", &erin, "ECDH P-256 (SHA-256 KDF, AES-"),
                    ("frank", &frank, "ECDH P-384 (SHA-384 KDF, AES-"),
                ] {
                    let out = decrypt(&sealed, id).unwrap_or_else(|e| panic!("{who} {cipher:?} {identifier:?}: {e}"));
                    assert_eq!(out.content, b"for all three");
                    assert!(out.info.key_transport.starts_with(transport), "{who}: {}", out.info.key_transport);
                    assert_eq!(out.info.recipient_count, 3);
                }
                // Not for Alice: the error names every recipient, the EC ones too.
                match decrypt(&sealed, &alice) {
                    Err(Error::NotForUs { recipients }) => {
                        assert_eq!(recipients.matches("; ").count(), 2, "{recipients}")
                    }
                    other => panic!("{other:?}"),
                }
                // The EnvelopedData version is 2 (key agreement's RecipientInfo is version 3).
                if !cipher.is_authenticated() {
                    let ci = ContentInfo::from_der(&sealed).unwrap();
                    assert_eq!(ci.content.value()[..3], [0x02, 0x01, 0x02]);
                }
            }
        }
    }

    #[test]
    fn a_damaged_ec_wrapped_key_or_originator_key_fails_as_one_error() {
        let erin = Identity::from_pkcs12(&data("pki/erin.p12"), "secret").unwrap();
        let cert = erin.pairs()[0].certificate().clone();
        let sealed = encrypt(b"hi", std::slice::from_ref(&cert), &EncryptOptions::default()).unwrap();
        // The 40-byte wrapped AES-256 key, and the 65-byte ephemeral point (04 || X || Y).
        let wrapped = sealed.windows(2).position(|w| w == [0x04, 0x28]).unwrap() + 2;
        let point = sealed.windows(4).position(|w| w == [0x03, 0x42, 0x00, 0x04]).unwrap() + 4;
        for at in [wrapped + 3, point + 10, point + 60] {
            let mut damaged = sealed.clone();
            damaged[at] ^= 1;
            assert!(matches!(decrypt(&damaged, &erin), Err(Error::DecryptionFailed)), "byte {at}");
            let key_of = |der: &[u8]| Opening::new(der.to_vec(), &erin).unwrap().key().to_vec();
            assert_eq!(key_of(&damaged), key_of(&damaged));
        }
        assert_eq!(decrypt(&sealed, &erin).unwrap().content, b"hi");
    }

    #[test]
    fn not_for_us_names_a_few_recipients_only() {
        let erin = Identity::from_pkcs12(&data("pki/erin.p12"), "secret").unwrap();
        let frank = Identity::from_pkcs12(&data("pki/frank.p12"), "secret").unwrap();
        let many = vec![frank.pairs()[0].certificate().clone(); 40];
        let sealed = encrypt(b"hi", &many, &EncryptOptions::default()).unwrap();
        match decrypt(&sealed, &erin) {
            Err(Error::NotForUs { recipients }) => {
                assert!(recipients.ends_with("; and 24 more"), "{recipients}");
                assert_eq!(recipients.matches("; ").count(), 16);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_ec_certificate_without_key_agreement_is_refused() {
        // Frank's certificate allows key agreement; Alice's RSA one does not: for EC the bit that
        // counts is keyAgreement, not keyEncipherment.
        let frank = Identity::from_pkcs12(&data("pki/frank.p12"), "secret").unwrap();
        let cert = frank.pairs()[0].certificate();
        assert!(cert::can_encrypt(cert));
        assert!(!cert::allows(cert, x509_cert::ext::pkix::KeyUsages::KeyEncipherment));
    }
}
