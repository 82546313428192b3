//! The DER around a (large) encrypted content, written and read without copying the content.
//!
//! Writing: an EnvelopedData or AuthEnvelopedData `ContentInfo` is `header || ciphertext || trailer`;
//! only the small pieces are encoded (with the `der` crate), the lengths of the enclosing
//! SEQUENCEs are computed, and the ciphertext stays where it is. The bytes are the same as the
//! `cms` crate's encoding of the whole structure (a unit test checks).
//!
//! Reading: [`locate`] finds the pieces of a DER `ContentInfo` and the *position* of the encrypted
//! content in it, so that it can be decrypted in place.

use core::ops::Range;

use cms::content_info::CmsVersion;
use cms::enveloped_data::RecipientInfo;
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attributes;

use crate::{ber, oids, Error, Result};

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OCTET_STRING: u8 = 0x04;
const INTEGER: u8 = 0x02;
const CONTEXT_0_CONSTRUCTED: u8 = 0xa0;
const CONTEXT_0_PRIMITIVE: u8 = 0x80;
const CONTEXT_1_CONSTRUCTED: u8 = 0xa1;

/// A DER `ContentInfo` in three pieces: `header || ciphertext || trailer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeDer {
    /// Everything before the encrypted content's bytes.
    pub header: Vec<u8>,
    /// The encrypted content.
    pub ciphertext: Vec<u8>,
    /// Everything after it (the GCM tag for AuthEnvelopedData; empty for EnvelopedData).
    pub trailer: Vec<u8>,
}

impl EnvelopeDer {
    /// The whole DER in one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.header);
        out.extend_from_slice(&self.ciphertext);
        out.extend_from_slice(&self.trailer);
        out
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.header.len() + self.ciphertext.len() + self.trailer.len()
    }

    /// True when there are no bytes at all (never for a built envelope).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Appends a DER tag and definite length.
fn tag_len(tag: u8, len: usize, out: &mut Vec<u8>) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let digits = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | digits.len() as u8);
    out.extend_from_slice(digits);
}

fn tag_len_size(len: usize) -> usize {
    let mut v = Vec::with_capacity(10);
    tag_len(0, len, &mut v);
    v.len()
}

fn der<T: Encode>(value: &T, what: &'static str) -> Result<Vec<u8>> {
    value.to_der().map_err(|e| Error::Crypto(format!("{what}: {e}")))
}

/// The pieces of an envelope, all but the ciphertext already DER.
pub(super) struct Parts<'a> {
    /// AuthEnvelopedData (GCM) with this tag, or EnvelopedData (CBC).
    pub mac: Option<&'a [u8]>,
    pub version: CmsVersion,
    /// The DER of the recipientInfos SET (see [`recipient_infos_der`]).
    pub recip_infos: &'a [u8],
    pub content_enc_alg: &'a AlgorithmIdentifierOwned,
}

/// The DER of a SET OF RecipientInfo: each encoded once, in DER order ([`ber::sort_set_of`]).
pub(super) fn recipient_infos_der(infos: &[RecipientInfo]) -> Result<Vec<u8>> {
    let mut encoded = infos.iter().map(|i| der(i, "recipient info")).collect::<Result<Vec<_>>>()?;
    ber::sort_set_of(&mut encoded);
    if encoded.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::Crypto("two identical recipient infos".into()));
    }
    Ok(ber::constructed(SET, &encoded))
}

/// Builds the DER around `ciphertext`.
pub(super) fn write(parts: &Parts<'_>, ciphertext: Vec<u8>) -> Result<EnvelopeDer> {
    // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, [0] IMPLICIT OCTET STRING }
    let mut eci_head = der(&oids::DATA, "content type")?;
    eci_head.extend(der(parts.content_enc_alg, "content encryption algorithm")?);
    tag_len(CONTEXT_0_PRIMITIVE, ciphertext.len(), &mut eci_head);
    let eci_len = eci_head.len() + ciphertext.len();

    // (Auth)EnvelopedData ::= SEQUENCE { version, recipientInfos, encryptedContentInfo, [mac] }
    let mut body_head = der(&parts.version, "version")?;
    body_head.extend_from_slice(parts.recip_infos);
    let trailer = match parts.mac {
        Some(tag) => {
            let mut t = Vec::with_capacity(tag.len() + 2);
            tag_len(OCTET_STRING, tag.len(), &mut t);
            t.extend_from_slice(tag);
            t
        }
        None => Vec::new(),
    };
    let body_len = body_head.len() + tag_len_size(eci_len) + eci_len + trailer.len();

    // ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content }
    let content_type =
        der(&if parts.mac.is_some() { oids::AUTH_ENVELOPED_DATA } else { oids::ENVELOPED_DATA }, "type")?;
    let explicit_len = tag_len_size(body_len) + body_len;
    let ci_len = content_type.len() + tag_len_size(explicit_len) + explicit_len;

    let mut header = Vec::with_capacity(ci_len - ciphertext.len() - trailer.len() + 16);
    tag_len(SEQUENCE, ci_len, &mut header);
    header.extend_from_slice(&content_type);
    tag_len(CONTEXT_0_CONSTRUCTED, explicit_len, &mut header);
    tag_len(SEQUENCE, body_len, &mut header);
    header.extend_from_slice(&body_head);
    tag_len(SEQUENCE, eci_len, &mut header);
    header.extend_from_slice(&eci_head);
    Ok(EnvelopeDer { header, ciphertext, trailer })
}

/// The pieces of a parsed EnvelopedData or AuthEnvelopedData.
#[derive(Debug)]
pub(super) struct Located {
    /// True for AuthEnvelopedData.
    pub authenticated: bool,
    /// In the order sent (decoding a `SetOfVec` would sort them, by re-encoding two of them for
    /// every comparison).
    pub recip_infos: Vec<RecipientInfo>,
    pub content_enc_alg: AlgorithmIdentifierOwned,
    /// Where the encrypted content's bytes are (empty when the content is absent).
    pub ciphertext: Range<usize>,
    /// The GCM tag (AuthEnvelopedData).
    pub mac: Option<Vec<u8>>,
    /// The DER of the authenticated attributes (with the SET OF tag), the GCM additional data.
    pub aad: Option<Vec<u8>>,
}

fn malformed(what: &'static str) -> impl FnOnce(der::Error) -> Error {
    Error::malformed(what)
}

/// Position of `inner` (a sub-slice of `outer`) in `outer`.
fn offset(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn value_of(tlv: &[u8]) -> Result<&[u8]> {
    ber::der_value(tlv)
}

/// Finds the parts of a DER EnvelopedData or AuthEnvelopedData `ContentInfo`. Fails on BER
/// (indefinite lengths, a constructed encrypted content): normalise with [`ber::to_der`] first.
pub(super) fn locate(data: &[u8]) -> Result<Located> {
    let what = "CMS ContentInfo";
    let ci = ber::der_children(data)?;
    let [oid, explicit, ..] = ci.as_slice() else { return Err(Error::bad(what, "too few fields")) };
    let content_type = const_oid::ObjectIdentifier::from_der(oid).map_err(malformed(what))?;
    let authenticated = if content_type == oids::AUTH_ENVELOPED_DATA {
        true
    } else if content_type == oids::ENVELOPED_DATA {
        false
    } else {
        return Err(Error::NotSmime(format!("CMS content {} is not encrypted", oids::name(&content_type))));
    };
    let what = if authenticated { "CMS AuthEnvelopedData" } else { "CMS EnvelopedData" };
    if explicit.first() != Some(&CONTEXT_0_CONSTRUCTED) {
        return Err(Error::bad(what, "content is not [0]"));
    }
    let body = *ber::der_children(explicit)?.first().ok_or_else(|| Error::bad(what, "no content"))?;
    if body.first() != Some(&SEQUENCE) {
        return Err(Error::bad(what, "not a SEQUENCE"));
    }
    // Counts and SET sizes are bounded before the der crate decodes anything of it.
    super::check_limits(body)?;
    let fields = ber::der_children(body)?;
    let mut fields = fields.iter().copied().peekable();
    if fields.next().and_then(|v| v.first()) != Some(&INTEGER) {
        return Err(Error::bad(what, "no version"));
    }
    // originatorInfo [0] is optional.
    fields.next_if(|f| f.first() == Some(&CONTEXT_0_CONSTRUCTED));
    let recip =
        fields.next().filter(|f| f.first() == Some(&SET)).ok_or_else(|| Error::bad(what, "no recipientInfos"))?;
    let recip_infos = ber::der_children(recip)?
        .into_iter()
        .map(|ri| match ri.first() {
            // Key agreement through Siegel's own reading of the rid (see key_agree::decode).
            Some(0xa1) => super::key_agree::decode(ri).map_err(malformed(what)),
            _ => RecipientInfo::from_der(ri).map_err(malformed(what)),
        })
        .collect::<Result<Vec<_>>>()?;
    let eci = fields
        .next()
        .filter(|f| f.first() == Some(&SEQUENCE))
        .ok_or_else(|| Error::bad(what, "no encryptedContentInfo"))?;
    let (mut mac, mut aad) = (None, None);
    if authenticated {
        if let Some(attrs) = fields.next_if(|f| f.first() == Some(&CONTEXT_1_CONSTRUCTED)) {
            let mut set = attrs.to_vec();
            if let Some(t) = set.first_mut() {
                *t = SET;
            }
            let parsed = Attributes::from_der(&set).map_err(malformed(what))?;
            aad = Some(parsed.to_der().map_err(malformed(what))?);
        }
        let tag =
            fields.next().filter(|f| f.first() == Some(&OCTET_STRING)).ok_or_else(|| Error::bad(what, "no mac"))?;
        mac = Some(value_of(tag)?.to_vec());
    }

    let eci_fields = ber::der_children(eci)?;
    let [_, alg, rest @ ..] = eci_fields.as_slice() else { return Err(Error::bad(what, "short encryptedContentInfo")) };
    let content_enc_alg = AlgorithmIdentifierOwned::from_der(alg).map_err(malformed(what))?;
    let ciphertext = match rest.first() {
        Some(ct) if ct.first() == Some(&CONTEXT_0_PRIMITIVE) => {
            let value = value_of(ct)?;
            let start = offset(data, value);
            start..start + value.len()
        }
        Some(_) => return Err(Error::bad(what, "the encrypted content is not a primitive [0]")),
        None => 0..0,
    };
    Ok(Located { authenticated, recip_infos, content_enc_alg, ciphertext, mac, aad })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::Cipher;
    use crate::envelope::{AuthEnvelopedData, ContentKey, EncryptOptions};
    use cms::content_info::ContentInfo;
    use cms::enveloped_data::RecipientInfos;
    use cms::enveloped_data::{EncryptedContentInfo, EnvelopedData};
    use der::asn1::OctetString;
    use der::Any;

    fn bob() -> x509_cert::Certificate {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki/bob.crt")).unwrap();
        crate::cert::parse_certificates(&pem).unwrap().remove(0)
    }

    /// The `cms` crate's encoding of the same structure, the way `encrypt` built it before.
    fn reference(parts: &Parts<'_>, recip_infos: &RecipientInfos, ciphertext: &[u8]) -> Vec<u8> {
        let eci = EncryptedContentInfo {
            content_type: oids::DATA,
            content_enc_alg: parts.content_enc_alg.clone(),
            encrypted_content: Some(OctetString::new(ciphertext.to_vec()).unwrap()),
        };
        let (content_type, content) = match parts.mac {
            Some(tag) => (
                oids::AUTH_ENVELOPED_DATA,
                Any::encode_from(&AuthEnvelopedData {
                    version: parts.version,
                    originator_info: None,
                    recip_infos: recip_infos.clone(),
                    auth_encrypted_content: eci,
                    auth_attrs: None,
                    mac: OctetString::new(tag.to_vec()).unwrap(),
                    unauth_attrs: None,
                })
                .unwrap(),
            ),
            None => (
                oids::ENVELOPED_DATA,
                Any::encode_from(&EnvelopedData {
                    version: parts.version,
                    originator_info: None,
                    recip_infos: recip_infos.clone(),
                    encrypted_content: eci,
                    unprotected_attrs: None,
                })
                .unwrap(),
            ),
        };
        ContentInfo { content_type, content }.to_der().unwrap()
    }

    #[test]
    fn written_in_pieces_as_the_cms_crate_writes_it_whole() {
        for cipher in [Cipher::Aes256Gcm, Cipher::Aes128Cbc] {
            // Lengths around the DER length-encoding steps (127/128, 255/256, 65535/65536).
            for len in [0usize, 1, 100, 127, 128, 200, 255, 256, 1000, 65_535, 65_536, 70_000] {
                let key = ContentKey::generate(cipher);
                let content = vec![7u8; len];
                let encrypted = key.encrypt(content.clone()).unwrap();
                let options = EncryptOptions { cipher, ..EncryptOptions::default() };
                // One recipient, and several (their SET in DER order, which decoding checks).
                let recipients = if len % 2 == 0 { vec![bob()] } else { vec![bob(); 7] };
                let sealed = crate::envelope::seal(&key, encrypted.clone(), &recipients, &options).unwrap();
                let whole = sealed.to_vec();
                // Same recipient infos (the RSA padding is random), encoded by the cms crate.
                let located = locate(&whole).unwrap();
                assert_eq!(located.recip_infos.len(), recipients.len());
                let typed = RecipientInfos(der::asn1::SetOfVec::try_from(located.recip_infos.clone()).unwrap());
                let infos_der = typed.to_der().unwrap();
                let parts = Parts {
                    mac: encrypted.tag.as_deref(),
                    version: CmsVersion::V0,
                    recip_infos: &infos_der,
                    content_enc_alg: &located.content_enc_alg,
                };
                let expected = reference(&parts, &typed, &encrypted.ciphertext);
                if recipients.len() == 1 {
                    assert_eq!(whole, expected, "{cipher:?} {len}");
                } else {
                    // The cms crate orders a SET OF RecipientInfo by comparing the encodings as
                    // SEQUENCE OF INTEGER (`Vec<u8>`'s DerOrd), not as octet strings (X.690 11.6):
                    // ours is in byte order, and is otherwise the same structure.
                    let ours = recipient_infos_der(&located.recip_infos).unwrap();
                    let theirs = infos_der.clone();
                    let at = whole.windows(ours.len()).position(|w| w == ours).expect("our SET in the output");
                    let children = crate::ber::der_children(&ours).unwrap();
                    assert_eq!(children.len(), recipients.len());
                    assert!(children.windows(2).all(|w| w[0] < w[1]), "ascending encodings");
                    let mut replaced = whole.clone();
                    replaced.splice(at..at + ours.len(), theirs);
                    assert_eq!(replaced, expected, "{cipher:?} {len}");
                }
                assert_eq!(whole.get(located.ciphertext.clone()).unwrap(), &encrypted.ciphertext[..]);
                assert_eq!(located.mac, encrypted.tag);
                assert_eq!(located.authenticated, cipher.is_authenticated());
            }
        }
    }
}
