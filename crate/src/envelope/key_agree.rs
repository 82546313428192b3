//! ECDH key agreement recipients (KeyAgreeRecipientInfo, RFC 5652 section 6.2.2) as RFC 5753 and
//! RFC 8551 use them: ephemeral-static ECDH on the recipient's curve, the X9.63 KDF (ANSI X9.63,
//! SEC 1 section 3.6.1) over the shared x-coordinate with the ECC-CMS-SharedInfo, and AES key wrap
//! (RFC 3394) of the content-encryption key. Recipients are named by issuer and serial number.
//!
//! Writing: one KeyAgreeRecipientInfo per EC recipient, each with its own ephemeral key; the
//! scheme is dhSinglePass-stdDH-sha256kdf on P-256 and -sha384kdf on P-384 (RFC 5753 section 8,
//! RFC 5008), the key wrap as long as the content key. Reading: the stdDH and cofactorDH schemes
//! (the same on these cofactor-1 curves) with SHA-1/256/384/512, AES-128/192/256 key wrap, and
//! user keying material. Static-static ECDH (an originator named by its certificate) is refused.

use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    KeyAgreeRecipientIdentifier, KeyAgreeRecipientInfo, OriginatorIdentifierOrKey, OriginatorPublicKey,
    RecipientEncryptedKey, RecipientInfo,
};
use der::asn1::{BitString, OctetString};
use der::{Any, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::alg::Digest;
use crate::identity::KeyPair;
use crate::pubkey::ec;
use crate::{cert, oids, Error, Result};

/// ECC-CMS-SharedInfo (RFC 5753 section 7.2): the KDF's other information.
#[derive(Sequence)]
struct SharedInfo {
    key_info: AlgorithmIdentifierOwned,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    entity_u_info: Option<OctetString>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    supp_pub_info: OctetString,
}

/// KeyAgreeRecipientInfo as RFC 5652 section 6.2.2 has it, for reading: the `cms` crate's own type
/// declares rKeyId ([0] IMPLICIT RecipientKeyIdentifier) primitive, so it refuses the constructed
/// encoding that OpenSSL (`-keyid`) and everyone else write. Read with these types, then handed on
/// as the `cms` crate's values.
#[derive(Sequence)]
struct KariDer {
    version: CmsVersion,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    originator: OriginatorIdentifierOrKey,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    ukm: Option<OctetString>,
    key_enc_alg: AlgorithmIdentifierOwned,
    recipient_enc_keys: Vec<RekDer>,
}

#[derive(Sequence)]
struct RekDer {
    rid: RidDer,
    enc_key: OctetString,
}

#[derive(der::Choice)]
enum RidDer {
    IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber),
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true")]
    RKeyId(RKeyIdDer),
}

#[derive(Sequence)]
struct RKeyIdDer {
    subject_key_identifier: OctetString,
    #[asn1(optional = "true")]
    date: Option<der::asn1::GeneralizedTime>,
    /// OtherKeyAttribute: read past, never used.
    #[asn1(optional = "true")]
    other: Option<Any>,
}

/// Decodes a RecipientInfo that is a KeyAgreeRecipientInfo ([1] IMPLICIT SEQUENCE, `tlv` whole).
pub(crate) fn decode(tlv: &[u8]) -> der::Result<RecipientInfo> {
    use der::Decode;
    // [1] constructed and SEQUENCE share the length encoding: read it as the SEQUENCE it is.
    let mut seq = tlv.to_vec();
    if let Some(tag) = seq.first_mut() {
        *tag = 0x30;
    }
    let k = KariDer::from_der(&seq)?;
    let recipient_enc_keys = k
        .recipient_enc_keys
        .into_iter()
        .map(|rek| RecipientEncryptedKey {
            rid: match rek.rid {
                RidDer::IssuerAndSerialNumber(ias) => KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias),
                RidDer::RKeyId(r) => KeyAgreeRecipientIdentifier::RKeyId(cms::enveloped_data::RecipientKeyIdentifier {
                    subject_key_identifier: x509_cert::ext::pkix::SubjectKeyIdentifier(r.subject_key_identifier),
                    date: r.date,
                    other: None,
                }),
            },
            enc_key: rek.enc_key,
        })
        .collect();
    Ok(RecipientInfo::Kari(KeyAgreeRecipientInfo {
        version: k.version,
        originator: k.originator,
        ukm: k.ukm,
        key_enc_alg: k.key_enc_alg,
        recipient_enc_keys,
    }))
}

/// How a key agreement recipient's key is derived and wrapped, as read from a message.
pub(crate) struct Scheme {
    /// The KDF's hash.
    kdf: Digest,
    /// The key wrap algorithm (its OID) and its key length.
    wrap: const_oid::ObjectIdentifier,
    wrap_len: usize,
    /// The originator's ephemeral public key, SEC 1.
    originator: Vec<u8>,
    /// User keying material, if sent.
    ukm: Option<Vec<u8>>,
}

impl Scheme {
    /// Reads the scheme of `kari` (the parts that every recipient of it shares).
    pub(crate) fn from_info(kari: &KeyAgreeRecipientInfo) -> Result<Scheme> {
        let kdf = match kari.key_enc_alg.oid {
            oids::ECDH_STD_SHA1KDF | oids::ECDH_COFACTOR_SHA1KDF => Digest::Sha1,
            oids::ECDH_STD_SHA256KDF | oids::ECDH_COFACTOR_SHA256KDF => Digest::Sha256,
            oids::ECDH_STD_SHA384KDF | oids::ECDH_COFACTOR_SHA384KDF => Digest::Sha384,
            oids::ECDH_STD_SHA512KDF | oids::ECDH_COFACTOR_SHA512KDF => Digest::Sha512,
            ref other => return Err(Error::unsupported("key agreement algorithm", oids::name(other))),
        };
        let wrap: AlgorithmIdentifierOwned = kari
            .key_enc_alg
            .parameters
            .as_ref()
            .ok_or_else(|| Error::bad("CMS key agreement", "no key wrap algorithm"))?
            .decode_as()
            .map_err(Error::malformed("key wrap algorithm"))?;
        let wrap_len = wrap_key_len(&wrap.oid)?;
        let originator = match &kari.originator {
            OriginatorIdentifierOrKey::OriginatorKey(OriginatorPublicKey { algorithm, public_key }) => {
                if algorithm.oid != oids::EC_PUBLIC_KEY {
                    return Err(Error::unsupported("originator key", oids::name(&algorithm.oid)));
                }
                public_key
                    .as_bytes()
                    .ok_or_else(|| Error::bad("CMS key agreement", "originator key with unused bits"))?
                    .to_vec()
            }
            _ => {
                return Err(Error::unsupported(
                    "key agreement",
                    "static-static ECDH (an originator certificate); Siegel reads ephemeral-static ECDH",
                ))
            }
        };
        let ukm = kari.ukm.as_ref().map(|u| u.as_bytes().to_vec());
        Ok(Scheme { kdf, wrap: wrap.oid, wrap_len, originator, ukm })
    }

    /// What it is called in reports: "ECDH P-256 (SHA-256 KDF, AES-256 key wrap)".
    pub(crate) fn name(&self, pair: &KeyPair) -> String {
        let curve = pair.ec().map_or("EC", |k| k.curve().name);
        let kdf = format!("{:?}", self.kdf).replace("Sha", "SHA-");
        format!("ECDH {curve} ({kdf} KDF, AES-{} key wrap)", self.wrap_len * 8)
    }

    /// The content-encryption key of `key_len` bytes, unwrapped from `wrapped` with the pair's EC
    /// key; `None` when anything fails (a bad originator key, a failed unwrap, a wrong length).
    pub(crate) fn unwrap(&self, pair: &KeyPair, wrapped: &[u8], key_len: usize) -> Option<Zeroizing<Vec<u8>>> {
        let key = pair.ec()?;
        let z = key.diffie_hellman(&self.originator).ok()?;
        let kek = kek(self.kdf, &z, &self.wrap, self.wrap_len, self.ukm.as_deref()).ok()?;
        let cek = Zeroizing::new(aes_unwrap(&kek, wrapped)?);
        (cek.len() == key_len).then_some(cek)
    }
}

/// The key length of an AES key wrap algorithm.
fn wrap_key_len(oid: &const_oid::ObjectIdentifier) -> Result<usize> {
    match *oid {
        oids::AES128_WRAP => Ok(16),
        oids::AES192_WRAP => Ok(24),
        oids::AES256_WRAP => Ok(32),
        ref other => Err(Error::unsupported("key wrap algorithm", oids::name(other))),
    }
}

/// The key-encryption key: the X9.63 KDF over the shared secret with the ECC-CMS-SharedInfo.
fn kek(
    kdf: Digest,
    z: &[u8],
    wrap: &const_oid::ObjectIdentifier,
    wrap_len: usize,
    ukm: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>> {
    let crypto = |e: der::Error| Error::Crypto(e.to_string());
    let info = SharedInfo {
        key_info: AlgorithmIdentifierOwned { oid: *wrap, parameters: None },
        entity_u_info: ukm.map(|u| OctetString::new(u.to_vec())).transpose().map_err(crypto)?,
        supp_pub_info: OctetString::new(((wrap_len * 8) as u32).to_be_bytes().to_vec()).map_err(crypto)?,
    }
    .to_der()
    .map_err(crypto)?;
    Ok(x963_kdf(kdf, z, &info, wrap_len))
}

/// ANSI X9.63 KDF (SEC 1 section 3.6.1): Hash(Z || counter || info) for counter = 1, 2, ...,
/// concatenated and cut to `len` bytes.
pub(crate) fn x963_kdf(digest: Digest, z: &[u8], info: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 64));
    let mut counter = 1u32;
    while out.len() < len {
        let mut input = Zeroizing::new(Vec::with_capacity(z.len() + 4 + info.len()));
        input.extend_from_slice(z);
        input.extend_from_slice(&counter.to_be_bytes());
        input.extend_from_slice(info);
        out.extend_from_slice(&Zeroizing::new(digest.hash(&input)));
        counter += 1;
    }
    out.truncate(len);
    out
}

fn aes_wrap(kek: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    match kek.len() {
        16 => aes_kw::KekAes128::try_from(kek).ok()?.wrap_vec(key).ok(),
        24 => aes_kw::KekAes192::try_from(kek).ok()?.wrap_vec(key).ok(),
        32 => aes_kw::KekAes256::try_from(kek).ok()?.wrap_vec(key).ok(),
        _ => None,
    }
}

fn aes_unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Vec<u8>> {
    match kek.len() {
        16 => aes_kw::KekAes128::try_from(kek).ok()?.unwrap_vec(wrapped).ok(),
        24 => aes_kw::KekAes192::try_from(kek).ok()?.unwrap_vec(wrapped).ok(),
        32 => aes_kw::KekAes256::try_from(kek).ok()?.unwrap_vec(wrapped).ok(),
        _ => None,
    }
}

/// One KeyAgreeRecipientInfo for an EC certificate: a fresh ephemeral key on its curve, the
/// content key `cek` wrapped under the agreed key; the recipient named by issuer and serial number.
pub(crate) fn recipient_info(
    cert: &Certificate,
    cek: &[u8],
    unusable: impl Fn(String) -> Error,
) -> Result<RecipientInfo> {
    let crypto = |e: der::Error| Error::Crypto(e.to_string());
    let public = cert::ec_public_key(cert).map_err(|e| unusable(e.to_string()))?;
    if !cert::can_encrypt(cert) {
        return Err(unusable("its key usage does not allow key agreement".into()));
    }
    let (curve, _, _, _) = public.affine();
    let (kdf, scheme) = if curve.element_len() == 32 {
        (Digest::Sha256, oids::ECDH_STD_SHA256KDF)
    } else {
        (Digest::Sha384, oids::ECDH_STD_SHA384KDF)
    };
    let (wrap, wrap_len) = match cek.len() {
        16 => (oids::AES128_WRAP, 16),
        24 => (oids::AES192_WRAP, 24),
        _ => (oids::AES256_WRAP, 32),
    };
    let ephemeral = ec::PrivateKey::generate(curve, &mut rand_core::OsRng).map_err(|e| Error::Crypto(e.to_string()))?;
    let recipient_point = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unusable("its public key has unused bits".into()))?;
    let z = ephemeral.diffie_hellman(recipient_point).map_err(|e| unusable(e.to_string()))?;
    let kek = kek(kdf, &z, &wrap, wrap_len, None)?;
    let wrapped = aes_wrap(&kek, cek).ok_or_else(|| Error::Crypto("AES key wrap failed".into()))?;
    // Always issuerAndSerialNumber: the `cms` crate encodes rKeyId ([0] IMPLICIT SEQUENCE) with a
    // primitive tag, which no reader would take (cms 0.2.3; reading has its own types, above).
    let rid = KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(crate::sign::issuer_and_serial(cert));
    let wrap_alg = AlgorithmIdentifierOwned { oid: wrap, parameters: None };
    let info = KeyAgreeRecipientInfo {
        version: CmsVersion::V3,
        // RFC 5753 section 3.1.1: id-ecPublicKey, parameters absent (the recipient's curve).
        originator: OriginatorIdentifierOrKey::OriginatorKey(OriginatorPublicKey {
            algorithm: AlgorithmIdentifierOwned { oid: oids::EC_PUBLIC_KEY, parameters: None },
            public_key: BitString::from_bytes(ephemeral.public_sec1()).map_err(crypto)?,
        }),
        ukm: None,
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: scheme,
            parameters: Some(Any::encode_from(&wrap_alg).map_err(crypto)?),
        },
        recipient_enc_keys: vec![RecipientEncryptedKey { rid, enc_key: OctetString::new(wrapped).map_err(crypto)? }],
    };
    Ok(RecipientInfo::Kari(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn aes_key_wrap_rfc3394_vectors() {
        // RFC 3394 sections 4.1 (128-bit KEK, 128-bit key) and 4.6 (256-bit KEK, 256-bit key).
        let key128 = hex("00112233445566778899AABBCCDDEEFF");
        let kek128 = hex("000102030405060708090A0B0C0D0E0F");
        let wrapped = aes_wrap(&kek128, &key128).unwrap();
        assert_eq!(wrapped, hex("1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"));
        assert_eq!(aes_unwrap(&kek128, &wrapped).unwrap(), key128);
        let key256 = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        let kek256 = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        let wrapped = aes_wrap(&kek256, &key256).unwrap();
        assert_eq!(
            wrapped,
            hex("28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21")
        );
        let mut damaged = wrapped.clone();
        damaged[5] ^= 1;
        assert!(aes_unwrap(&kek256, &damaged).is_none());
    }

    #[test]
    fn x963_kdf_vectors() {
        // NIST CAVP, ANSI X9.63 KDF (SP 800-135), SHA-256 with shared info, the first case:
        // Z = 96c0..., SharedInfo = 5753..., key data 128 bits.
        let z = hex("96c05619d56c328ab95fe84b18264b08725b85e33fd34f08");
        let info = hex("");
        let out = x963_kdf(Digest::Sha256, &z, &info, 16);
        assert_eq!(out.as_slice(), hex("443024c3dae66b95e6f5670601558f71"));
        let z = hex("22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d");
        let info = hex("75eef81aa3041e33b80971203d2c0c52");
        let out = x963_kdf(Digest::Sha256, &z, &info, 128);
        assert_eq!(&out[..32], hex("c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e").as_slice());
    }
}
