//! CMS SignedData (RFC 5652 section 5) as S/MIME 4.0 writes it (RFC 8551 section 2).
//!
//! One signer, RSA PKCS#1 v1.5, RSASSA-PSS or (EC keys) ECDSA over SHA-2, signed attributes contentType,
//! signingTime, messageDigest, SMIMECapabilities and SMIMEEncryptionKeyPreference, and the signer's
//! certificate with (by default) its chain without the root.

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Encode, Sequence, Tag};
use serde::{Deserialize, Serialize};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::Certificate;

use crate::alg::{Digest, SignatureScheme, SigningDigest};
use crate::identity::{Identity, KeyPair};
use crate::{clock, oids, Error, Result};

/// Which certificates go into the message besides the signer's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainInclusion {
    /// Only the signer's certificate.
    None,
    /// The chain up to, but not including, the self-signed root (the usual choice).
    #[default]
    WithoutRoot,
    /// The whole chain including the root.
    WithRoot,
}

/// How to sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignOptions {
    /// The digest.
    pub digest: SigningDigest,
    /// PKCS#1 v1.5 or PSS.
    pub scheme: SignatureScheme,
    /// Certificates to include.
    pub chain: ChainInclusion,
    /// Whether to include the SMIMECapabilities and SMIMEEncryptionKeyPreference attributes, which
    /// tell peers which ciphers to use and which certificate to encrypt to (default: yes).
    pub include_capabilities: bool,
    /// The signing time in Unix seconds; `None` means now.
    pub signing_time: Option<u64>,
}

impl Default for SignOptions {
    fn default() -> SignOptions {
        SignOptions {
            digest: SigningDigest::default(),
            scheme: SignatureScheme::default(),
            chain: ChainInclusion::default(),
            include_capabilities: true,
            signing_time: None,
        }
    }
}

/// An S/MIME capability (RFC 8551 section 2.5.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SmimeCapability {
    capability_id: const_oid::ObjectIdentifier,
    #[asn1(optional = "true")]
    parameters: Option<Any>,
}

/// Signs `content` and returns a DER `ContentInfo` holding `SignedData`. With `detached`, the
/// content itself is left out (for multipart/signed); otherwise it is encapsulated (opaque signing).
pub fn sign(content: &[u8], identity: &Identity, options: &SignOptions, detached: bool) -> Result<Vec<u8>> {
    let digest: Digest = options.digest.into();
    sign_prehashed(&digest.hash(content), (!detached).then_some(content), identity, options)
}

/// As [`sign`], with the content's digest (by `options.digest`) computed by the caller — by the
/// host's SHA-2, say. `encapsulated` is the content for an opaque signature, `None` for a detached one.
pub fn sign_prehashed(
    content_digest: &[u8],
    encapsulated: Option<&[u8]>,
    identity: &Identity,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let prepared = Prepared::new(content_digest, identity, options)?;
    let signature = prepared.sign_in_rust()?;
    prepared.finish(signature, encapsulated, identity, options)
}

/// A signature on its way: the signed attributes are built and the signer chosen; what is left is
/// the RSA signature over [`Prepared::to_be_signed`] (in Rust with [`Prepared::sign_in_rust`], or by
/// the host with the key [`Prepared::signer`]) and the assembly of the SignedData.
pub struct Prepared<'a> {
    signer: &'a KeyPair,
    attrs: SetOfVec<Attribute>,
    attrs_der: Vec<u8>,
    digest: Digest,
    scheme: SignatureScheme,
}

impl core::fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Prepared").field("signer", self.signer).field("digest", &self.digest).finish_non_exhaustive()
    }
}

impl<'a> Prepared<'a> {
    /// Chooses the signer (the identity's signing key at the signing time) and builds the signed
    /// attributes around the content's digest.
    pub fn new(content_digest: &[u8], identity: &'a Identity, options: &SignOptions) -> Result<Prepared<'a>> {
        let now = options.signing_time.unwrap_or_else(clock::now_unix);
        let signer = identity.signing_pair(now)?;
        let encryption = identity.encryption_pair(now).ok().map(|p| p.certificate());
        let digest: Digest = options.digest.into();
        if content_digest.len() != digest.output_len() {
            return Err(Error::InvalidArgument(format!(
                "a {digest:?} digest is {} bytes, not {}",
                digest.output_len(),
                content_digest.len()
            )));
        }
        let attrs = signed_attributes(content_digest.to_vec(), now, encryption, options.include_capabilities)?;
        let attrs_der = attrs.to_der().map_err(crypto)?;
        Ok(Prepared { signer, attrs, attrs_der, digest, scheme: options.scheme })
    }

    /// The bytes the RSA signature is over (the DER of the signed attributes, RFC 5652 5.4).
    pub fn to_be_signed(&self) -> &[u8] {
        &self.attrs_der
    }

    /// The key pair that signs.
    pub fn signer(&self) -> &KeyPair {
        self.signer
    }

    /// The digest the signature uses.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// PKCS#1 v1.5 or PSS.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The RSA signature over [`Prepared::to_be_signed`], computed in Rust.
    pub fn sign_in_rust(&self) -> Result<Vec<u8>> {
        sign_bytes(self.signer, self.digest, self.scheme, &self.attrs_der)
    }

    /// Builds the SignedData `ContentInfo` (DER) with `signature` (see [`Prepared::sign_in_rust`]).
    pub fn finish(
        self,
        signature: Vec<u8>,
        encapsulated: Option<&[u8]>,
        identity: &Identity,
        options: &SignOptions,
    ) -> Result<Vec<u8>> {
        let Prepared { signer, attrs, digest, scheme, .. } = self;
        let signer_cert = signer.certificate();
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(issuer_and_serial(signer_cert)),
            digest_alg: AlgorithmIdentifierOwned { oid: digest.oid(), parameters: None },
            signed_attrs: Some(attrs),
            signature_algorithm: signature_algorithm(signer, digest, scheme)?,
            signature: OctetString::new(signature).map_err(crypto)?,
            unsigned_attrs: None,
        };

        let mut certs = vec![signer_cert];
        certs.extend(chain_of(signer_cert, identity.chain(), options.chain));

        let econtent = match encapsulated {
            Some(content) => Some(Any::new(Tag::OctetString, content).map_err(crypto)?),
            None => None,
        };
        let signed = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
                oid: digest.oid(),
                parameters: None,
            }])
            .map_err(crypto)?,
            encap_content_info: EncapsulatedContentInfo { econtent_type: oids::DATA, econtent },
            // Written by `with_certificates` below.
            certificates: None,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(crypto)?),
        };
        let signed = with_certificates(&signed.to_der().map_err(crypto)?, &certs)?;
        let ci = ContentInfo { content_type: oids::SIGNED_DATA, content: Any::from_der(&signed).map_err(crypto)? };
        ci.to_der().map_err(crypto)
    }
}

/// The DER of a SignedData (written without certificates) with its `[0] certificates` field after
/// encapContentInfo: each certificate encoded once, in DER order ([`crate::ber::sort_set_of`]).
fn with_certificates(signed_der: &[u8], certs: &[&Certificate]) -> Result<Vec<u8>> {
    use crate::ber;
    let mut encoded = certs.iter().map(|c| c.to_der().map_err(crypto)).collect::<Result<Vec<_>>>()?;
    ber::sort_set_of(&mut encoded);
    encoded.dedup();
    let field = ber::constructed(0xa0, &encoded);
    let children = ber::der_children(signed_der)?;
    let (head, tail) = children.split_at(3.min(children.len()));
    let parts: Vec<&[u8]> = head.iter().copied().chain([field.as_slice()]).chain(tail.iter().copied()).collect();
    Ok(ber::constructed(0x30, &parts))
}

fn crypto<E: core::fmt::Display>(e: E) -> Error {
    Error::Crypto(e.to_string())
}

/// The issuerAndSerialNumber naming `cert`.
pub fn issuer_and_serial(cert: &Certificate) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    }
}

/// The chain from `leaf` (exclusive) upwards through `pool`, by issuer name, as `inclusion` asks.
pub fn chain_of<'a>(leaf: &Certificate, pool: &'a [Certificate], inclusion: ChainInclusion) -> Vec<&'a Certificate> {
    let mut out: Vec<&Certificate> = Vec::new();
    if inclusion == ChainInclusion::None {
        return out;
    }
    let mut current = leaf;
    while let Some(issuer) = pool
        .iter()
        .find(|c| c.tbs_certificate.subject == current.tbs_certificate.issuer && !out.contains(c) && *c != current)
    {
        let self_signed = issuer.tbs_certificate.subject == issuer.tbs_certificate.issuer;
        if self_signed && inclusion == ChainInclusion::WithoutRoot {
            break;
        }
        out.push(issuer);
        if self_signed || out.len() > 16 {
            break;
        }
        current = issuer;
    }
    out
}

fn attribute(oid: const_oid::ObjectIdentifier, value: AttributeValue) -> Result<Attribute> {
    Ok(Attribute { oid, values: SetOfVec::try_from(vec![value]).map_err(crypto)? })
}

fn signed_attributes(
    message_digest: Vec<u8>,
    now: u64,
    encryption_cert: Option<&Certificate>,
    capabilities: bool,
) -> Result<SetOfVec<Attribute>> {
    let mut attrs = vec![
        attribute(oids::ATTR_CONTENT_TYPE, Any::encode_from(&oids::DATA).map_err(crypto)?)?,
        attribute(oids::ATTR_SIGNING_TIME, Any::encode_from(&signing_time(now)?).map_err(crypto)?)?,
        attribute(oids::ATTR_MESSAGE_DIGEST, Any::new(Tag::OctetString, message_digest).map_err(crypto)?)?,
    ];
    if capabilities {
        attrs.push(attribute(oids::ATTR_SMIME_CAPABILITIES, Any::encode_from(&smime_capabilities()).map_err(crypto)?)?);
    }
    if let Some(cert) = encryption_cert {
        let ias = issuer_and_serial(cert).to_der().map_err(crypto)?;
        // SMIMEEncryptionKeyPreference ::= CHOICE { issuerAndSerialNumber [0] IMPLICIT ... }:
        // the same bytes with the SEQUENCE tag replaced by [0] constructed.
        let mut implicit = ias.clone();
        implicit[0] = 0xa0;
        attrs.push(attribute(oids::ATTR_ENCRYPTION_KEY_PREFERENCE, Any::from_der(&implicit).map_err(crypto)?)?);
        // Outlook's own attribute for the same thing.
        attrs.push(attribute(oids::ATTR_MS_ENCRYPTION_KEY_PREFERENCE, Any::from_der(&ias).map_err(crypto)?)?);
    }
    SetOfVec::try_from(attrs).map_err(crypto)
}

use der::Decode as _;

/// UTCTime through 2049, GeneralizedTime after (RFC 5652 section 11.3).
fn signing_time(now: u64) -> Result<x509_cert::time::Time> {
    let dt = der::DateTime::from_unix_duration(core::time::Duration::from_secs(now)).map_err(crypto)?;
    Ok(if dt.year() < 2050 {
        x509_cert::time::Time::UtcTime(der::asn1::UtcTime::from_date_time(dt).map_err(crypto)?)
    } else {
        x509_cert::time::Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(dt))
    })
}

/// The capabilities Siegel announces, strongest first (RFC 8551 section 2.5.2).
fn smime_capabilities() -> Vec<SmimeCapability> {
    [oids::AES256_GCM, oids::AES128_GCM, oids::AES256_CBC, oids::AES128_CBC, oids::RSAES_OAEP, oids::RSA_ENCRYPTION]
        .into_iter()
        .map(|oid| SmimeCapability { capability_id: oid, parameters: None })
        .collect()
}

/// The signatureAlgorithm of a SignerInfo for the signer's key, `digest` and (RSA keys) `scheme`:
/// an EC key signs ECDSA with the digest (RFC 5753 section 2.1.1, RFC 8551 section 2.2), its
/// parameters absent (RFC 5758 section 3.2).
fn signature_algorithm(signer: &KeyPair, digest: Digest, scheme: SignatureScheme) -> Result<AlgorithmIdentifierOwned> {
    if signer.ec().is_some() {
        let oid = match digest {
            Digest::Sha1 => return Err(Error::InvalidArgument("SHA-1 is not allowed for signing".into())),
            Digest::Sha256 => oids::ECDSA_WITH_SHA256,
            Digest::Sha384 => oids::ECDSA_WITH_SHA384,
            Digest::Sha512 => oids::ECDSA_WITH_SHA512,
        };
        return Ok(AlgorithmIdentifierOwned { oid, parameters: None });
    }
    macro_rules! pss {
        ($d:ty) => {{
            let salt = <$d as sha2::digest::OutputSizeUser>::output_size();
            let params = pkcs1::RsaPssParams::new::<$d>(salt as u8);
            AlgorithmIdentifierOwned {
                oid: oids::RSASSA_PSS,
                parameters: Some(Any::encode_from(&params).map_err(crypto)?),
            }
        }};
    }
    Ok(match (scheme, digest) {
        (_, Digest::Sha1) => return Err(Error::InvalidArgument("SHA-1 is not allowed for signing".into())),
        (SignatureScheme::RsaPkcs1v15, _) => {
            AlgorithmIdentifierOwned { oid: oids::RSA_ENCRYPTION, parameters: Some(Any::null()) }
        }
        (SignatureScheme::RsaPss, Digest::Sha256) => pss!(sha2::Sha256),
        (SignatureScheme::RsaPss, Digest::Sha384) => pss!(sha2::Sha384),
        (SignatureScheme::RsaPss, Digest::Sha512) => pss!(sha2::Sha512),
    })
}

/// Signs `data` (the DER signed attributes) with the pair's key: PKCS#1 v1.5, or PSS with a salt as
/// long as the digest (what the SignerInfo's parameters say), both on [`crate::pubkey::rsa`]; ECDSA for
/// an EC key ([`crate::pubkey::ec`]), whatever the scheme.
fn sign_bytes(pair: &KeyPair, digest: Digest, scheme: SignatureScheme, data: &[u8]) -> Result<Vec<u8>> {
    if digest == Digest::Sha1 {
        return Err(Error::InvalidArgument("SHA-1 is not allowed for signing".into()));
    }
    let hash = digest.hash(data);
    if pair.ec().is_some() {
        return pair.sign_ecdsa(digest, &hash);
    }
    match scheme {
        SignatureScheme::RsaPkcs1v15 => pair.sign_pkcs1v15(digest, &hash),
        SignatureScheme::RsaPss => pair.sign_pss(digest, &hash, digest.output_len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    #[test]
    fn certificates_go_out_once_each_in_x690_order() {
        let data = |p: &str| std::fs::read(format!("{}/tests/data/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let id = Identity::from_pkcs12(&data("pki/alice.p12"), "secret").unwrap();
        let content = b"Content-Type: text/plain\r\n\r\nhi\r\n";
        // alice.p12 carries the issuing CA, not the root: WithRoot has nothing more to add.
        for (chain, count) in [(ChainInclusion::None, 1), (ChainInclusion::default(), 2), (ChainInclusion::WithRoot, 2)]
        {
            let options = SignOptions { chain, ..Default::default() };
            let der = sign(content, &id, &options, false).unwrap();
            let ci = ContentInfo::from_der(&der).unwrap();
            let sd_der = ci.content.to_der().unwrap();
            let field = *crate::ber::der_children(&sd_der).unwrap().iter().find(|c| c[0] == 0xa0).unwrap();
            let certs = crate::ber::der_children(field).unwrap();
            assert_eq!(certs.len(), count, "{chain:?}");
            assert!(certs.windows(2).all(|w| w[0] < w[1]), "ascending encodings");
            assert!(certs.contains(&&id.pairs()[0].certificate().to_der().unwrap()[..]), "the signer's");
            // The cms crate reads it whole, and it verifies.
            let sd = SignedData::from_der(&sd_der).unwrap();
            assert_eq!(sd.certificates.unwrap().0.len(), count);
            let options = crate::verify::VerifyOptions {
                trust: crate::cert::parse_certificates(&data("pki/root.crt")).unwrap(),
                ..Default::default()
            };
            let report = crate::verify::verify(&der, None, &options).unwrap().report;
            assert!(report.signers[0].valid(), "{chain:?}");
        }
    }
}
