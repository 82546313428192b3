//! The algorithms Siegel speaks, as closed enums: a value of these types is always something the
//! engine can actually do. Parsing a message maps OIDs onto them and refuses the rest with
//! [`Error::Unsupported`](crate::Error::Unsupported).

use const_oid::ObjectIdentifier as Oid;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::{oids, Error, Result};

/// Message digests. SHA-1 appears only when reading old mail; it can't be chosen for signing
/// (see [`SigningDigest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Digest {
    /// SHA-1 (legacy, read only).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Digest {
    /// Maps a digest algorithm OID.
    pub fn from_oid(oid: &Oid) -> Result<Self> {
        Ok(match *oid {
            oids::SHA1 => Digest::Sha1,
            oids::SHA256 => Digest::Sha256,
            oids::SHA384 => Digest::Sha384,
            oids::SHA512 => Digest::Sha512,
            _ => return Err(Error::unsupported("digest algorithm", oids::name(oid))),
        })
    }

    /// The algorithm's OID.
    pub fn oid(self) -> Oid {
        match self {
            Digest::Sha1 => oids::SHA1,
            Digest::Sha256 => oids::SHA256,
            Digest::Sha384 => oids::SHA384,
            Digest::Sha512 => oids::SHA512,
        }
    }

    /// The name used in `micalg` (RFC 8551 section 3.5.3).
    pub fn micalg(self) -> &'static str {
        match self {
            Digest::Sha1 => "sha-1",
            Digest::Sha256 => "sha-256",
            Digest::Sha384 => "sha-384",
            Digest::Sha512 => "sha-512",
        }
    }

    /// The digest's length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Digest::Sha1 => 20,
            Digest::Sha256 => 32,
            Digest::Sha384 => 48,
            Digest::Sha512 => 64,
        }
    }

    /// The name WebCrypto knows the digest by ("SHA-256", ...).
    pub fn webcrypto_name(self) -> &'static str {
        match self {
            Digest::Sha1 => "SHA-1",
            Digest::Sha256 => "SHA-256",
            Digest::Sha384 => "SHA-384",
            Digest::Sha512 => "SHA-512",
        }
    }

    /// Hashes `data`.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Digest::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Digest::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Digest::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// Digests that may be used to sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigningDigest {
    /// SHA-256, the default.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl From<SigningDigest> for Digest {
    fn from(d: SigningDigest) -> Digest {
        match d {
            SigningDigest::Sha256 => Digest::Sha256,
            SigningDigest::Sha384 => Digest::Sha384,
            SigningDigest::Sha512 => Digest::Sha512,
        }
    }
}

impl core::str::FromStr for SigningDigest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(SigningDigest::Sha256),
            "sha384" => Ok(SigningDigest::Sha384),
            "sha512" => Ok(SigningDigest::Sha512),
            _ => Err(Error::InvalidArgument(format!("unknown digest {s:?}; use sha256, sha384 or sha512"))),
        }
    }
}

/// How an RSA signature is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 (what every S/MIME client reads).
    #[default]
    RsaPkcs1v15,
    /// RSASSA-PSS with MGF1 over the same digest and a salt as long as the digest.
    RsaPss,
}

/// Content encryption algorithms Siegel writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cipher {
    /// AES-128-CBC in EnvelopedData.
    Aes128Cbc,
    /// AES-256-CBC in EnvelopedData (interop with older clients).
    Aes256Cbc,
    /// AES-128-GCM in AuthEnvelopedData.
    Aes128Gcm,
    /// AES-256-GCM in AuthEnvelopedData, the default (RFC 8551 MUST).
    #[default]
    Aes256Gcm,
}

impl Cipher {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Cbc | Cipher::Aes128Gcm => 16,
            Cipher::Aes256Cbc | Cipher::Aes256Gcm => 32,
        }
    }

    /// True for the authenticated (AuthEnvelopedData) ciphers.
    pub fn is_authenticated(self) -> bool {
        matches!(self, Cipher::Aes128Gcm | Cipher::Aes256Gcm)
    }

    /// The algorithm's OID.
    pub fn oid(self) -> Oid {
        match self {
            Cipher::Aes128Cbc => oids::AES128_CBC,
            Cipher::Aes256Cbc => oids::AES256_CBC,
            Cipher::Aes128Gcm => oids::AES128_GCM,
            Cipher::Aes256Gcm => oids::AES256_GCM,
        }
    }
}

impl core::str::FromStr for Cipher {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "aes-128-cbc" => Ok(Cipher::Aes128Cbc),
            "aes-256-cbc" => Ok(Cipher::Aes256Cbc),
            "aes-128-gcm" => Ok(Cipher::Aes128Gcm),
            "aes-256-gcm" => Ok(Cipher::Aes256Gcm),
            _ => Err(Error::InvalidArgument(format!(
                "unknown cipher {s:?}; use aes-256-gcm, aes-128-gcm, aes-256-cbc or aes-128-cbc"
            ))),
        }
    }
}

/// How the content-encryption key reaches each recipient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyTransport {
    /// RSAES-PKCS1-v1_5, read by every client.
    #[default]
    RsaPkcs1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    RsaOaep,
}

impl core::str::FromStr for KeyTransport {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "rsa-pkcs1" => Ok(KeyTransport::RsaPkcs1),
            "rsa-oaep" => Ok(KeyTransport::RsaOaep),
            _ => Err(Error::InvalidArgument(format!("unknown key transport {s:?}; use rsa-pkcs1 or rsa-oaep"))),
        }
    }
}

/// How recipients (and signers) are named in CMS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierKind {
    /// issuerAndSerialNumber, understood everywhere.
    #[default]
    IssuerAndSerial,
    /// subjectKeyIdentifier (falls back to issuerAndSerialNumber if the certificate has none).
    SubjectKeyId,
}
