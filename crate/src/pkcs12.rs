//! Reading PKCS#12 files (.p12/.pfx, RFC 7292): the private keys and certificates a user exports
//! from Windows, macOS, Firefox/NSS, Java or OpenSSL.
//!
//! Supported:
//! - password integrity: HMAC with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 keyed by the PKCS#12
//!   KDF (RFC 7292 Appendix B), and PBMAC1 with PBKDF2 (RFC 9579). A failing MAC is
//!   [`Error::WrongPassword`]. Files without a MAC are accepted; a wrong password then shows when a
//!   decryption yields bad padding or garbage, also [`Error::WrongPassword`].
//! - privacy: plain `data` and password-encrypted `encryptedData` contents. Public-key privacy
//!   (`envelopedData`) and public-key integrity (`signedData`) are [`Error::Unsupported`].
//! - encryption: PBES2 (RFC 8018) with PBKDF2 (HMAC-SHA-1/224/256/384/512) and AES-128/192/256-CBC or
//!   DES-EDE3-CBC, the OpenSSL 3 and NSS default; and the PKCS#12 PBEs pbeWithSHAAnd3-KeyTripleDES-CBC,
//!   pbeWithSHAAnd2-KeyTripleDES-CBC, pbeWithSHAAnd128BitRC2-CBC and pbeWithSHAAnd40BitRC2-CBC
//!   (Windows, `openssl pkcs12 -legacy`). RC4 and scrypt are [`Error::Unsupported`].
//! - bags: keyBag, pkcs8ShroudedKeyBag, certBag (X.509) and safeContentsBag (nested); CRL and
//!   secret bags, SDSI certificates and unknown bag types are skipped. The attributes friendlyName
//!   and localKeyId are kept.
//! - BER input (indefinite lengths, chunked OCTET STRINGs), as Windows and NSS write it, at every
//!   level: the file, the authenticated safe inside it, and each decrypted SafeContents.
//!
//! Passwords: the PKCS#12 KDF takes the password as a BMPString (UTF-16BE) with two terminating zero
//! bytes; PBES2 and PBMAC1 take its UTF-8 bytes (as OpenSSL does). An empty password is tried both as
//! the empty BMPString (`00 00`) and as no bytes at all, since exporters disagree.
//!
//! Safety limits: at most [`MAX_ITERATIONS`] iterations per key derivation, [`MAX_TOTAL_ITERATIONS`]
//! per file, [`MAX_BAGS`] bags and [`MAX_NESTING`] levels of nested safeContentsBags; beyond them
//! [`Error::LimitExceeded`]. Derived keys and decrypted buffers are wiped when dropped.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use ::pkcs12::kdf::Pkcs12KeyType;
use cipher::block_padding::Pkcs7;
use cipher::{BlockCipher, BlockDecryptMut, InnerIvInit, KeyInit, KeyIvInit};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{AnyRef, OctetStringRef};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use hmac::{Hmac, Mac};
use sha2::digest::core_api::BlockSizeUser;
use sha2::digest::{Digest, FixedOutputReset};
use spki::{AlgorithmIdentifierOwned, AlgorithmIdentifierRef};
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::{ber, oids, Error, Result};

const WHAT: &str = "PKCS#12 file";

/// Most iterations accepted for one key derivation. Real exporters use 2000 (Windows), 2048
/// (OpenSSL), 10 000 (Java) or 600 000 (NSS); more only makes the caller spin.
pub const MAX_ITERATIONS: u64 = 10_000_000;
/// Most iterations accepted for all key derivations of one file together (MAC and every decryption,
/// each output block counted), so that many bags cannot multiply [`MAX_ITERATIONS`].
pub const MAX_TOTAL_ITERATIONS: u64 = 50_000_000;
/// Most bags accepted in one file, all levels together.
pub const MAX_BAGS: usize = 1024;
/// Deepest nesting of safeContentsBags accepted.
pub const MAX_NESTING: usize = 8;

mod oid {
    use super::Oid;
    pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    pub const ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
    pub const ENCRYPTED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.6");

    pub const KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.1");
    pub const SHROUDED_KEY_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.2");
    pub const CERT_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.3");
    pub const SAFE_CONTENTS_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.6");
    pub const X509_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.22.1");

    pub const FRIENDLY_NAME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.20");
    pub const LOCAL_KEY_ID: Oid = Oid::new_unwrap("1.2.840.113549.1.9.21");

    pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
    pub const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const HMAC_SHA1: Oid = Oid::new_unwrap("1.2.840.113549.2.7");
    pub const HMAC_SHA224: Oid = Oid::new_unwrap("1.2.840.113549.2.8");
    pub const HMAC_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.2.9");
    pub const HMAC_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.2.10");
    pub const HMAC_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.2.11");

    pub const PBKDF2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.12");
    pub const PBES2: Oid = Oid::new_unwrap("1.2.840.113549.1.5.13");
    pub const PBMAC1: Oid = Oid::new_unwrap("1.2.840.113549.1.5.14");
    pub const SCRYPT: Oid = Oid::new_unwrap("1.3.6.1.4.1.11591.4.11");
    pub const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
    pub const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
    pub const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");
    pub const DES_EDE3_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.7");

    pub const PBE_SHA1_RC4_128: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.1");
    pub const PBE_SHA1_RC4_40: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.2");
    pub const PBE_SHA1_3DES: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.3");
    pub const PBE_SHA1_2DES: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.4");
    pub const PBE_SHA1_RC2_128: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.5");
    pub const PBE_SHA1_RC2_40: Oid = Oid::new_unwrap("1.2.840.113549.1.12.1.6");
}

/// What a PKCS#12 file holds.
#[derive(Debug, Default)]
pub struct Pkcs12 {
    /// The private keys, in file order.
    pub keys: Vec<KeyEntry>,
    /// The certificates, in file order (the user's own and the chain).
    pub certificates: Vec<CertEntry>,
}

/// A private key from a keyBag or pkcs8ShroudedKeyBag.
pub struct KeyEntry {
    /// The key as a DER PrivateKeyInfo (PKCS#8, RFC 5208/5958), decrypted; wiped when dropped.
    pub pkcs8_der: Zeroizing<Vec<u8>>,
    /// The localKeyId attribute, which pairs the key with its certificate.
    pub local_key_id: Option<Vec<u8>>,
    /// The friendlyName attribute.
    pub friendly_name: Option<String>,
}

impl core::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("pkcs8_der", &format_args!("<{} bytes of private key>", self.pkcs8_der.len()))
            .field("local_key_id", &self.local_key_id.as_deref().map(hex))
            .field("friendly_name", &self.friendly_name)
            .finish()
    }
}

/// An X.509 certificate from a certBag.
#[derive(Clone, Debug)]
pub struct CertEntry {
    /// The certificate.
    pub certificate: Certificate,
    /// The localKeyId attribute; equal to a key's when the certificate belongs to that key.
    pub local_key_id: Option<Vec<u8>>,
    /// The friendlyName attribute.
    pub friendly_name: Option<String>,
}

/// True when `data` (DER or BER) has the shape of a PFX; says nothing about the password.
pub fn looks_like_pkcs12(data: &[u8]) -> bool {
    ber::to_der(data).is_ok_and(|der| ::pkcs12::pfx::Pfx::from_der(&der).is_ok())
}

/// Reads a PKCS#12 file (DER or BER) with its password: verifies the MAC, decrypts, and returns
/// every key and X.509 certificate.
///
/// Errors: [`Error::WrongPassword`] when the MAC fails or (without a MAC) a decryption does;
/// [`Error::Malformed`] for damaged input; [`Error::Unsupported`] for algorithms and modes outside the
/// list in the [module documentation](self); [`Error::LimitExceeded`] for absurd iteration counts,
/// bag counts or nesting.
pub fn parse(data: &[u8], password: &str) -> Result<Pkcs12> {
    let der = Zeroizing::new(ber::to_der(data)?);
    let pfx = ::pkcs12::pfx::Pfx::from_der(&der).map_err(Error::malformed(WHAT))?;
    match pfx.auth_safe.content_type {
        oid::DATA => {}
        oid::SIGNED_DATA => {
            return Err(Error::unsupported(
                "PKCS#12 integrity mode",
                "public-key integrity (signedData); export the file with a password instead",
            ))
        }
        other => return Err(Error::unsupported("PKCS#12 authenticated safe", oids::name(&other))),
    }
    let auth_safe = pfx.auth_safe.content.decode_as::<OctetStringRef<'_>>().map_err(Error::malformed(WHAT))?;
    let auth_safe = auth_safe.as_bytes();

    let mut reader = Reading {
        passwords: Password::candidates(password),
        mac_verified: false,
        budget: MAX_TOTAL_ITERATIONS,
        bags: 0,
        out: Pkcs12::default(),
    };
    if let Some(mac) = &pfx.mac_data {
        let index = reader.verify_mac(mac, auth_safe)?;
        // Decrypt with the password the MAC accepted first; the other encoding stays as a fallback.
        reader.passwords.swap(0, index);
        reader.mac_verified = true;
    }
    let auth_safe = Zeroizing::new(ber::to_der(auth_safe)?);
    reader.authenticated_safe(&auth_safe)?;
    Ok(reader.out)
}

/// A password in the two encodings PKCS#12 uses.
struct Password {
    /// UTF-16BE with two zero bytes (or nothing at all), for the PKCS#12 KDF.
    bmp: Zeroizing<Vec<u8>>,
    /// UTF-8, for PBKDF2.
    utf8: Zeroizing<Vec<u8>>,
}

impl Password {
    fn candidates(password: &str) -> Vec<Password> {
        let mut bmp = Zeroizing::new(Vec::with_capacity(2 * password.len() + 2));
        // Characters outside the BMP become surrogate pairs, as in OpenSSL's OPENSSL_utf82uni.
        for unit in password.encode_utf16() {
            bmp.extend_from_slice(&unit.to_be_bytes());
        }
        bmp.extend_from_slice(&[0, 0]);
        let utf8 = Zeroizing::new(password.as_bytes().to_vec());
        let mut out = vec![Password { bmp, utf8 }];
        if password.is_empty() {
            out.push(Password { bmp: Zeroizing::new(Vec::new()), utf8: Zeroizing::new(Vec::new()) });
        }
        out
    }
}

/// The state of one [`parse`].
struct Reading {
    /// Password encodings to try, the MAC-verified one first.
    passwords: Vec<Password>,
    /// Whether a MAC proved the password; then undecodable plaintext means damage, not a wrong password.
    mac_verified: bool,
    /// Iterations left for key derivations.
    budget: u64,
    /// Bags seen so far.
    bags: usize,
    out: Pkcs12,
}

// ASN.1 structures read by reference (RFC 7292, RFC 8018, RFC 9579).

/// `ContentInfo` of the AuthenticatedSafe.
#[derive(Sequence)]
struct ContentInfoRef<'a> {
    content_type: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    content: AnyRef<'a>,
}

/// `SafeBag`.
#[derive(Sequence)]
struct SafeBagRef<'a> {
    bag_id: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: AnyRef<'a>,
    /// `SET OF PKCS12Attribute`, read leniently by [`attributes`].
    bag_attributes: Option<AnyRef<'a>>,
}

/// `CertBag`.
#[derive(Sequence)]
struct CertBagRef<'a> {
    cert_id: Oid,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: AnyRef<'a>,
}

/// `EncryptedPrivateKeyInfo`.
#[derive(Sequence)]
struct EncryptedPrivateKeyInfoRef<'a> {
    encryption_algorithm: AlgorithmIdentifierRef<'a>,
    encrypted_data: OctetStringRef<'a>,
}

/// `pkcs-12PbeParams`.
#[derive(Sequence)]
struct PbeParamsRef<'a> {
    salt: OctetStringRef<'a>,
    iterations: u64,
}

/// `PBES2-params`.
#[derive(Sequence)]
struct Pbes2ParamsRef<'a> {
    key_derivation_func: AlgorithmIdentifierRef<'a>,
    encryption_scheme: AlgorithmIdentifierRef<'a>,
}

/// `PBMAC1-params`.
#[derive(Sequence)]
struct Pbmac1ParamsRef<'a> {
    key_derivation_func: AlgorithmIdentifierRef<'a>,
    message_auth_scheme: AlgorithmIdentifierRef<'a>,
}

/// `PBKDF2-params`. The salt is a CHOICE whose `otherSource` alternative nobody uses; it is read as
/// any element and rejected unless an OCTET STRING.
#[derive(Sequence)]
struct Pbkdf2ParamsRef<'a> {
    salt: AnyRef<'a>,
    iteration_count: u64,
    key_length: Option<u64>,
    prf: Option<AlgorithmIdentifierRef<'a>>,
}

/// `Attribute` of a SafeBag.
#[derive(Sequence)]
struct AttributeRef<'a> {
    oid: Oid,
    values: AnyRef<'a>,
}

/// The hash functions of the MAC and the PRFs of PBKDF2.
#[derive(Clone, Copy)]
enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// From a digest OID (the MacData algorithm).
    fn from_digest(oid: &Oid) -> Option<Hash> {
        Some(match *oid {
            oid::SHA1 => Hash::Sha1,
            oid::SHA224 => Hash::Sha224,
            oid::SHA256 => Hash::Sha256,
            oid::SHA384 => Hash::Sha384,
            oid::SHA512 => Hash::Sha512,
            _ => return None,
        })
    }

    /// From an HMAC OID (a PBKDF2 PRF or the PBMAC1 message authentication scheme).
    fn from_hmac(oid: &Oid) -> Option<Hash> {
        Some(match *oid {
            oid::HMAC_SHA1 => Hash::Sha1,
            oid::HMAC_SHA224 => Hash::Sha224,
            oid::HMAC_SHA256 => Hash::Sha256,
            oid::HMAC_SHA384 => Hash::Sha384,
            oid::HMAC_SHA512 => Hash::Sha512,
            _ => return None,
        })
    }

    fn output_len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha224 => 28,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// The PKCS#12 KDF (RFC 7292 Appendix B.2).
    fn pkcs12_kdf(
        self,
        password: &[u8],
        salt: &[u8],
        id: Pkcs12KeyType,
        rounds: i32,
        len: usize,
    ) -> Zeroizing<Vec<u8>> {
        fn kdf<D: Digest + FixedOutputReset + BlockSizeUser>(
            p: &[u8],
            s: &[u8],
            id: Pkcs12KeyType,
            r: i32,
            n: usize,
        ) -> Zeroizing<Vec<u8>> {
            Zeroizing::new(::pkcs12::kdf::derive_key::<D>(p, s, id, r, n))
        }
        match self {
            Hash::Sha1 => kdf::<sha1::Sha1>(password, salt, id, rounds, len),
            Hash::Sha224 => kdf::<sha2::Sha224>(password, salt, id, rounds, len),
            Hash::Sha256 => kdf::<sha2::Sha256>(password, salt, id, rounds, len),
            Hash::Sha384 => kdf::<sha2::Sha384>(password, salt, id, rounds, len),
            Hash::Sha512 => kdf::<sha2::Sha512>(password, salt, id, rounds, len),
        }
    }

    /// PBKDF2 with HMAC of this hash (RFC 8018 section 5.2).
    fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Zeroizing<Vec<u8>> {
        let mut key = Zeroizing::new(vec![0; len]);
        match self {
            Hash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, rounds, &mut key),
            Hash::Sha224 => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(password, salt, rounds, &mut key),
            Hash::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, rounds, &mut key),
            Hash::Sha384 => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(password, salt, rounds, &mut key),
            Hash::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, rounds, &mut key),
        }
        key
    }

    /// Whether HMAC(key, data) equals `expected`, compared in constant time.
    fn hmac_matches(self, key: &[u8], data: &[u8], expected: &[u8]) -> Result<bool> {
        fn check<M: Mac + KeyInit>(key: &[u8], data: &[u8], expected: &[u8]) -> Result<bool> {
            let mut mac = <M as Mac>::new_from_slice(key).map_err(|e| Error::Crypto(e.to_string()))?;
            mac.update(data);
            Ok(mac.verify_slice(expected).is_ok())
        }
        match self {
            Hash::Sha1 => check::<Hmac<sha1::Sha1>>(key, data, expected),
            Hash::Sha224 => check::<Hmac<sha2::Sha224>>(key, data, expected),
            Hash::Sha256 => check::<Hmac<sha2::Sha256>>(key, data, expected),
            Hash::Sha384 => check::<Hmac<sha2::Sha384>>(key, data, expected),
            Hash::Sha512 => check::<Hmac<sha2::Sha512>>(key, data, expected),
        }
    }
}

/// PBKDF2 parameters, checked.
struct Pbkdf2 {
    salt: Vec<u8>,
    rounds: u32,
    key_length: Option<u64>,
    prf: Hash,
}

impl Pbkdf2 {
    fn from_alg(kdf: &AlgorithmIdentifierRef<'_>) -> Result<Pbkdf2> {
        match kdf.oid {
            oid::PBKDF2 => {}
            oid::SCRYPT => return Err(Error::unsupported("PKCS#12 key derivation", "scrypt")),
            other => return Err(Error::unsupported("PKCS#12 key derivation", oids::name(&other))),
        }
        let params = kdf
            .parameters
            .ok_or_else(|| Error::bad(WHAT, "PBKDF2 without parameters"))?
            .decode_as::<Pbkdf2ParamsRef<'_>>()
            .map_err(Error::malformed(WHAT))?;
        if params.salt.tag() != Tag::OctetString {
            return Err(Error::unsupported("PKCS#12 key derivation", "PBKDF2 with a salt from another source"));
        }
        let prf = match params.prf {
            None => Hash::Sha1,
            Some(prf) => Hash::from_hmac(&prf.oid)
                .ok_or_else(|| Error::unsupported("PBKDF2 pseudo-random function", oids::name(&prf.oid)))?,
        };
        let rounds = u32::try_from(check_iterations(params.iteration_count)?)
            .map_err(|_| Error::LimitExceeded(format!("PKCS#12 iteration count {}", params.iteration_count)))?;
        Ok(Pbkdf2 { salt: params.salt.value().to_vec(), rounds, key_length: params.key_length, prf })
    }
}

/// Charges `cost` iterations against the file's budget.
fn spend(budget: &mut u64, cost: u64) -> Result<()> {
    *budget = budget.checked_sub(cost).ok_or_else(|| {
        Error::LimitExceeded(format!("PKCS#12 key derivations need more than {MAX_TOTAL_ITERATIONS} iterations in all"))
    })?;
    Ok(())
}

fn check_iterations(n: u64) -> Result<u64> {
    if n == 0 {
        return Err(Error::bad(WHAT, "iteration count 0"));
    }
    if n > MAX_ITERATIONS {
        return Err(Error::LimitExceeded(format!("PKCS#12 iteration count {n} (at most {MAX_ITERATIONS})")));
    }
    Ok(n)
}

/// Blocks of `hash_len` needed for `len` output bytes (each costs the full iteration count).
fn blocks(len: usize, hash_len: usize) -> u64 {
    u64::try_from(len.div_ceil(hash_len.max(1))).unwrap_or(u64::MAX)
}

impl Reading {
    /// Checks the MAC with each password candidate; returns the index of the one that matches.
    fn verify_mac(&mut self, mac: &::pkcs12::mac_data::MacData, auth_safe: &[u8]) -> Result<usize> {
        let alg = &mac.mac.algorithm;
        let expected = mac.mac.digest.as_bytes();
        if alg.oid == oid::PBMAC1 {
            return self.verify_pbmac1(alg, auth_safe, expected);
        }
        let hash = Hash::from_digest(&alg.oid)
            .ok_or_else(|| Error::unsupported("PKCS#12 MAC algorithm", oids::name(&alg.oid)))?;
        if alg.parameters.as_ref().is_some_and(|p| p.tag() != Tag::Null || !p.value().is_empty()) {
            return Err(Error::bad(WHAT, "MAC digest algorithm with parameters"));
        }
        if expected.len() != hash.output_len() {
            return Err(Error::bad(
                WHAT,
                format!("a MAC of {} bytes for a {}-byte hash", expected.len(), hash.output_len()),
            ));
        }
        let rounds = u64::try_from(mac.iterations).map_err(|_| Error::bad(WHAT, "negative MAC iteration count"))?;
        let rounds = check_iterations(rounds)?;
        let salt = mac.mac_salt.as_bytes();
        for (index, password) in self.passwords.iter().enumerate() {
            spend(&mut self.budget, rounds)?;
            let key = hash.pkcs12_kdf(&password.bmp, salt, Pkcs12KeyType::Mac, mac.iterations, hash.output_len());
            if hash.hmac_matches(&key, auth_safe, expected)? {
                return Ok(index);
            }
        }
        Err(Error::WrongPassword)
    }

    /// PBMAC1 (RFC 9579): HMAC keyed by PBKDF2 over the UTF-8 password; MacData's own salt and
    /// iteration count are ignored.
    fn verify_pbmac1(&mut self, alg: &AlgorithmIdentifierOwned, auth_safe: &[u8], expected: &[u8]) -> Result<usize> {
        let params = alg
            .parameters
            .as_ref()
            .ok_or_else(|| Error::bad(WHAT, "PBMAC1 without parameters"))?
            .decode_as::<Pbmac1ParamsRef<'_>>()
            .map_err(Error::malformed(WHAT))?;
        let scheme = &params.message_auth_scheme.oid;
        let hash =
            Hash::from_hmac(scheme).ok_or_else(|| Error::unsupported("PBMAC1 MAC algorithm", oids::name(scheme)))?;
        let kdf = Pbkdf2::from_alg(&params.key_derivation_func)?;
        let key_len = kdf.key_length.ok_or_else(|| Error::bad(WHAT, "PBMAC1 without a PBKDF2 key length"))?;
        let key_len = usize::try_from(key_len)
            .ok()
            .filter(|n| (1..=128).contains(n))
            .ok_or_else(|| Error::bad(WHAT, format!("PBMAC1 key length {key_len}")))?;
        if expected.len() != hash.output_len() {
            return Err(Error::bad(
                WHAT,
                format!("a MAC of {} bytes for a {}-byte hash", expected.len(), hash.output_len()),
            ));
        }
        let mut tried: Vec<&[u8]> = Vec::new();
        for (index, password) in self.passwords.iter().enumerate() {
            if tried.contains(&password.utf8.as_slice()) {
                continue;
            }
            tried.push(&password.utf8);
            spend(&mut self.budget, u64::from(kdf.rounds).saturating_mul(blocks(key_len, kdf.prf.output_len())))?;
            let key = kdf.prf.pbkdf2(&password.utf8, &kdf.salt, kdf.rounds, key_len);
            if hash.hmac_matches(&key, auth_safe, expected)? {
                return Ok(index);
            }
        }
        Err(Error::WrongPassword)
    }

    /// Reads the AuthenticatedSafe (DER): a sequence of ContentInfo, each plain or encrypted.
    fn authenticated_safe(&mut self, der: &[u8]) -> Result<()> {
        let infos = Vec::<ContentInfoRef<'_>>::from_der(der).map_err(Error::malformed(WHAT))?;
        for info in infos {
            match info.content_type {
                oid::DATA => {
                    let octets = info.content.decode_as::<OctetStringRef<'_>>().map_err(Error::malformed(WHAT))?;
                    let contents = Zeroizing::new(ber::to_der(octets.as_bytes())?);
                    self.safe_contents(&contents, 0)?;
                }
                oid::ENCRYPTED_DATA => {
                    let ed = info
                        .content
                        .decode_as::<cms::encrypted_data::EncryptedData>()
                        .map_err(Error::malformed(WHAT))?;
                    let eci = ed.enc_content_info;
                    let ciphertext =
                        eci.encrypted_content.ok_or_else(|| Error::bad(WHAT, "encryptedData without content"))?;
                    let contents = self.decrypt(
                        &eci.content_enc_alg.oid,
                        eci.content_enc_alg.parameters.as_ref().map(Into::into),
                        ciphertext.as_bytes(),
                        |plain| {
                            let der = Zeroizing::new(ber::to_der(&plain).ok()?);
                            Vec::<SafeBagRef<'_>>::from_der(&der).ok()?;
                            Some(der)
                        },
                    )?;
                    self.safe_contents(&contents, 0)?;
                }
                oid::ENVELOPED_DATA => {
                    return Err(Error::unsupported(
                        "PKCS#12 privacy mode",
                        "public-key encryption (envelopedData); export the file with a password instead",
                    ))
                }
                other => return Err(Error::unsupported("PKCS#12 content type", oids::name(&other))),
            }
        }
        Ok(())
    }

    /// Reads a SafeContents (DER), recursing into safeContentsBags.
    fn safe_contents(&mut self, der: &[u8], depth: usize) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(Error::LimitExceeded(format!("PKCS#12 bags nested more than {MAX_NESTING} deep")));
        }
        let bags = Vec::<SafeBagRef<'_>>::from_der(der).map_err(Error::malformed(WHAT))?;
        for bag in bags {
            self.bags += 1;
            if self.bags > MAX_BAGS {
                return Err(Error::LimitExceeded(format!("more than {MAX_BAGS} bags in a PKCS#12 file")));
            }
            let (local_key_id, friendly_name) = attributes(bag.bag_attributes);
            match bag.bag_id {
                oid::KEY_BAG => {
                    let pkcs8_der = Zeroizing::new(bag.bag_value.to_der().map_err(Error::malformed(WHAT))?);
                    let pkcs8_der = normalise_private_key(pkcs8_der)
                        .ok_or_else(|| Error::bad(WHAT, "a keyBag that is not a PrivateKeyInfo"))?;
                    self.out.keys.push(KeyEntry { pkcs8_der, local_key_id, friendly_name });
                }
                oid::SHROUDED_KEY_BAG => {
                    let epki =
                        bag.bag_value.decode_as::<EncryptedPrivateKeyInfoRef<'_>>().map_err(Error::malformed(WHAT))?;
                    let alg = epki.encryption_algorithm;
                    let pkcs8_der =
                        self.decrypt(&alg.oid, alg.parameters, epki.encrypted_data.as_bytes(), normalise_private_key)?;
                    self.out.keys.push(KeyEntry { pkcs8_der, local_key_id, friendly_name });
                }
                oid::CERT_BAG => {
                    let cert_bag = bag.bag_value.decode_as::<CertBagRef<'_>>().map_err(Error::malformed(WHAT))?;
                    if cert_bag.cert_id != oid::X509_CERTIFICATE {
                        continue; // SDSI certificates: nothing S/MIME can use.
                    }
                    let octets =
                        cert_bag.cert_value.decode_as::<OctetStringRef<'_>>().map_err(Error::malformed(WHAT))?;
                    let certificate = match Certificate::from_der(octets.as_bytes()) {
                        Ok(c) => c,
                        Err(e) => ber::to_der(octets.as_bytes())
                            .ok()
                            .and_then(|der| Certificate::from_der(&der).ok())
                            .ok_or_else(|| Error::bad("certificate in a PKCS#12 file", e.to_string()))?,
                    };
                    self.out.certificates.push(CertEntry { certificate, local_key_id, friendly_name });
                }
                oid::SAFE_CONTENTS_BAG => {
                    let nested = Zeroizing::new(bag.bag_value.to_der().map_err(Error::malformed(WHAT))?);
                    self.safe_contents(&nested, depth + 1)?;
                }
                // crlBag, secretBag and bag types from the future: not needed for S/MIME.
                _ => continue,
            }
        }
        Ok(())
    }

    /// Decrypts with each password candidate until `accept` takes the plaintext (it returns `None`
    /// for plaintext that cannot be what was encrypted, e.g. after a wrong password).
    fn decrypt<T>(
        &mut self,
        alg: &Oid,
        params: Option<AnyRef<'_>>,
        ciphertext: &[u8],
        accept: impl Fn(Zeroizing<Vec<u8>>) -> Option<T>,
    ) -> Result<T> {
        let scheme = Scheme::new(alg, params)?;
        let mut padding_ok = false;
        let mut tried: Vec<&[u8]> = Vec::new();
        for password in &self.passwords {
            let secret: &[u8] = if matches!(scheme, Scheme::Pbes2 { .. }) { &password.utf8 } else { &password.bmp };
            if tried.contains(&secret) {
                continue;
            }
            tried.push(secret);
            spend(&mut self.budget, scheme.cost())?;
            match scheme.decrypt(secret, ciphertext) {
                Ok(plain) => {
                    padding_ok = true;
                    if let Some(accepted) = accept(plain) {
                        return Ok(accepted);
                    }
                }
                Err(Error::WrongPassword) => {}
                Err(e) => return Err(e),
            }
        }
        if padding_ok && self.mac_verified {
            // The password is right (the MAC says so), so the plaintext itself is damaged.
            return Err(Error::bad(WHAT, "decrypted contents are not what they should be"));
        }
        Err(Error::WrongPassword)
    }
}

/// Returns the key as DER PrivateKeyInfo, re-encoding BER; `None` if it is none.
fn normalise_private_key(plain: Zeroizing<Vec<u8>>) -> Option<Zeroizing<Vec<u8>>> {
    if pkcs8::PrivateKeyInfo::from_der(&plain).is_ok() {
        return Some(plain);
    }
    let der = Zeroizing::new(ber::to_der(&plain).ok()?);
    pkcs8::PrivateKeyInfo::from_der(&der).ok()?;
    Some(der)
}

/// A password-based encryption scheme with its parameters, checked.
enum Scheme {
    /// A PKCS#12 PBE (RFC 7292 Appendix C), keyed with the SHA-1 PKCS#12 KDF.
    Pkcs12 { cipher: LegacyCipher, salt: Vec<u8>, rounds: i32 },
    /// PBES2 with PBKDF2.
    Pbes2 { kdf: Pbkdf2, cipher: Pbes2Cipher, iv: Vec<u8> },
}

#[derive(Clone, Copy)]
enum LegacyCipher {
    TripleDes3Key,
    TripleDes2Key,
    Rc2_128,
    Rc2_40,
}

#[derive(Clone, Copy)]
enum Pbes2Cipher {
    Aes128,
    Aes192,
    Aes256,
    DesEde3,
}

impl LegacyCipher {
    fn key_len(self) -> usize {
        match self {
            LegacyCipher::TripleDes3Key => 24,
            LegacyCipher::TripleDes2Key | LegacyCipher::Rc2_128 => 16,
            LegacyCipher::Rc2_40 => 5,
        }
    }
}

impl Pbes2Cipher {
    fn key_len(self) -> usize {
        match self {
            Pbes2Cipher::Aes128 => 16,
            Pbes2Cipher::Aes192 | Pbes2Cipher::DesEde3 => 24,
            Pbes2Cipher::Aes256 => 32,
        }
    }

    fn block_len(self) -> usize {
        match self {
            Pbes2Cipher::DesEde3 => 8,
            _ => 16,
        }
    }
}

impl Scheme {
    fn new(alg: &Oid, params: Option<AnyRef<'_>>) -> Result<Scheme> {
        let legacy =
            match *alg {
                oid::PBES2 => return Scheme::pbes2(params),
                oid::PBE_SHA1_3DES => LegacyCipher::TripleDes3Key,
                oid::PBE_SHA1_2DES => LegacyCipher::TripleDes2Key,
                oid::PBE_SHA1_RC2_128 => LegacyCipher::Rc2_128,
                oid::PBE_SHA1_RC2_40 => LegacyCipher::Rc2_40,
                oid::PBE_SHA1_RC4_128 | oid::PBE_SHA1_RC4_40 => return Err(Error::unsupported(
                    "PKCS#12 encryption",
                    "RC4 (pbeWithSHAAnd128BitRC4/40BitRC4); export the file again with AES, or 3DES for old systems",
                )),
                ref other => return Err(Error::unsupported("PKCS#12 encryption", oids::name(other))),
            };
        let params = params
            .ok_or_else(|| Error::bad(WHAT, "PKCS#12 PBE without parameters"))?
            .decode_as::<PbeParamsRef<'_>>()
            .map_err(Error::malformed(WHAT))?;
        let rounds = i32::try_from(check_iterations(params.iterations)?)
            .map_err(|_| Error::LimitExceeded(format!("PKCS#12 iteration count {}", params.iterations)))?;
        Ok(Scheme::Pkcs12 { cipher: legacy, salt: params.salt.as_bytes().to_vec(), rounds })
    }

    fn pbes2(params: Option<AnyRef<'_>>) -> Result<Scheme> {
        let params = params
            .ok_or_else(|| Error::bad(WHAT, "PBES2 without parameters"))?
            .decode_as::<Pbes2ParamsRef<'_>>()
            .map_err(Error::malformed(WHAT))?;
        let enc = &params.encryption_scheme;
        let cipher = match enc.oid {
            oid::AES128_CBC => Pbes2Cipher::Aes128,
            oid::AES192_CBC => Pbes2Cipher::Aes192,
            oid::AES256_CBC => Pbes2Cipher::Aes256,
            oid::DES_EDE3_CBC => Pbes2Cipher::DesEde3,
            ref other => return Err(Error::unsupported("PBES2 encryption scheme", oids::name(other))),
        };
        let kdf = Pbkdf2::from_alg(&params.key_derivation_func)?;
        if let Some(len) = kdf.key_length {
            if usize::try_from(len).ok() != Some(cipher.key_len()) {
                return Err(Error::bad(WHAT, format!("PBKDF2 key length {len} for a {}-byte key", cipher.key_len())));
            }
        }
        let iv = enc
            .parameters
            .ok_or_else(|| Error::bad(WHAT, "PBES2 cipher without an IV"))?
            .decode_as::<OctetStringRef<'_>>()
            .map_err(Error::malformed(WHAT))?;
        if iv.as_bytes().len() != cipher.block_len() {
            return Err(Error::bad(WHAT, format!("PBES2 IV of {} bytes", iv.as_bytes().len())));
        }
        Ok(Scheme::Pbes2 { kdf, cipher, iv: iv.as_bytes().to_vec() })
    }

    /// Iterations one decryption costs.
    fn cost(&self) -> u64 {
        match self {
            // Key and IV, each in blocks of SHA-1 output.
            Scheme::Pkcs12 { cipher, rounds, .. } => u64::try_from(*rounds)
                .unwrap_or(u64::MAX)
                .saturating_mul(blocks(cipher.key_len(), 20).saturating_add(1)),
            Scheme::Pbes2 { kdf, cipher, .. } => {
                u64::from(kdf.rounds).saturating_mul(blocks(cipher.key_len(), kdf.prf.output_len()))
            }
        }
    }

    /// Decrypts with one password encoding. Bad padding is [`Error::WrongPassword`].
    fn decrypt(&self, password: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let block = match self {
            Scheme::Pkcs12 { .. } => 8,
            Scheme::Pbes2 { cipher, .. } => cipher.block_len(),
        };
        if ciphertext.is_empty() || !ciphertext.chunks_exact(block).remainder().is_empty() {
            return Err(Error::bad(WHAT, format!("{} bytes of ciphertext for {block}-byte blocks", ciphertext.len())));
        }
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let len = match self {
            Scheme::Pkcs12 { cipher, salt, rounds } => {
                let key =
                    Hash::Sha1.pkcs12_kdf(password, salt, Pkcs12KeyType::EncryptionKey, *rounds, cipher.key_len());
                let iv = Hash::Sha1.pkcs12_kdf(password, salt, Pkcs12KeyType::Iv, *rounds, 8);
                match cipher {
                    LegacyCipher::TripleDes3Key => cbc_decrypt::<des::TdesEde3>(&key, &iv, &mut buf)?,
                    LegacyCipher::TripleDes2Key => cbc_decrypt::<des::TdesEde2>(&key, &iv, &mut buf)?,
                    LegacyCipher::Rc2_128 => rc2_decrypt(&key, 128, &iv, &mut buf)?,
                    LegacyCipher::Rc2_40 => rc2_decrypt(&key, 40, &iv, &mut buf)?,
                }
            }
            Scheme::Pbes2 { kdf, cipher, iv } => {
                let key = kdf.prf.pbkdf2(password, &kdf.salt, kdf.rounds, cipher.key_len());
                match cipher {
                    Pbes2Cipher::Aes128 => cbc_decrypt::<aes::Aes128>(&key, iv, &mut buf)?,
                    Pbes2Cipher::Aes192 => cbc_decrypt::<aes::Aes192>(&key, iv, &mut buf)?,
                    Pbes2Cipher::Aes256 => cbc_decrypt::<aes::Aes256>(&key, iv, &mut buf)?,
                    Pbes2Cipher::DesEde3 => cbc_decrypt::<des::TdesEde3>(&key, iv, &mut buf)?,
                }
            }
        };
        buf.truncate(len);
        Ok(buf)
    }
}

/// CBC decryption in place with PKCS#7 padding; returns the plaintext length.
fn cbc_decrypt<C: BlockCipher + BlockDecryptMut + KeyInit>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<usize> {
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(decryptor.decrypt_padded_mut::<Pkcs7>(buf).map_err(|_| Error::WrongPassword)?.len())
}

/// RC2-CBC with the given effective key bits (RFC 2268), which PKCS#12 sets to the key size.
fn rc2_decrypt(key: &[u8], effective_bits: usize, iv: &[u8], buf: &mut [u8]) -> Result<usize> {
    let cipher = rc2::Rc2::new_with_eff_key_len(key, effective_bits);
    let decryptor =
        cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(cipher, iv).map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(decryptor.decrypt_padded_mut::<Pkcs7>(buf).map_err(|_| Error::WrongPassword)?.len())
}

/// The localKeyId and friendlyName of a bag. Attributes that do not decode are ignored: they are
/// labels, and a file should not be refused over one.
fn attributes(set: Option<AnyRef<'_>>) -> (Option<Vec<u8>>, Option<String>) {
    let (mut id, mut name) = (None, None);
    let Some(set) = set.filter(|s| s.tag() == Tag::Set) else { return (id, name) };
    let Ok(mut reader) = SliceReader::new(set.value()) else { return (id, name) };
    while !reader.is_finished() {
        let Ok(attr) = reader.decode::<AttributeRef<'_>>() else { break };
        if attr.values.tag() != Tag::Set {
            continue;
        }
        // Only the first value counts; both attributes are single-valued.
        let Ok(value) = first_element(attr.values.value()) else { continue };
        match attr.oid {
            oid::LOCAL_KEY_ID if id.is_none() && value.tag() == Tag::OctetString => id = Some(value.value().to_vec()),
            oid::FRIENDLY_NAME if name.is_none() => name = text(value),
            _ => {}
        }
    }
    (id, name)
}

/// The first element of a SET's contents.
fn first_element(contents: &[u8]) -> der::Result<AnyRef<'_>> {
    SliceReader::new(contents)?.decode()
}

/// A BMPString (or, from sloppy exporters, a UTF8String) as text, without a trailing NUL.
fn text(value: AnyRef<'_>) -> Option<String> {
    let s = match value.tag() {
        Tag::BmpString => {
            let units = value.value().chunks_exact(2).map(|c| c.iter().fold(0u16, |acc, &b| (acc << 8) | u16::from(b)));
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect::<String>()
        }
        Tag::Utf8String => String::from_utf8_lossy(value.value()).into_owned(),
        _ => return None,
    };
    Some(s.trim_end_matches('\0').to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::asn1::OctetString;
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pkcs12/", $name)).as_slice()
        };
    }

    // --- DER building blocks for hand-made files -------------------------------------------------

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }
    fn oid_der(o: Oid) -> Vec<u8> {
        o.to_der().unwrap()
    }
    fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, b)
    }
    fn explicit0(b: &[u8]) -> Vec<u8> {
        tlv(0xA0, b)
    }
    /// A ContentInfo of type data.
    fn data_ci(inner: &[u8]) -> Vec<u8> {
        seq(&[&oid_der(oid::DATA), &explicit0(&octets(inner))])
    }
    /// A SafeBag.
    fn bag(id: Oid, value: &[u8], attrs: Option<&[u8]>) -> Vec<u8> {
        let attrs = attrs.map(|a| tlv(0x31, a)).unwrap_or_default();
        seq(&[&oid_der(id), &explicit0(value), &attrs])
    }
    fn attr(id: Oid, value: &[u8]) -> Vec<u8> {
        seq(&[&oid_der(id), &tlv(0x31, value)])
    }
    fn bmp(s: &str) -> Vec<u8> {
        tlv(0x1E, &s.encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<_>>())
    }
    /// A PFX around an AuthenticatedSafe, with an optional DER MacData.
    fn pfx(auth_safe: &[u8], mac: Option<&[u8]>) -> Vec<u8> {
        seq(&[&[2, 1, 3], &data_ci(auth_safe), mac.unwrap_or_default()])
    }
    fn decode_pfx(data: &[u8]) -> ::pkcs12::pfx::Pfx {
        ::pkcs12::pfx::Pfx::from_der(&ber::to_der(data).unwrap()).unwrap()
    }
    fn auth_safe_of(data: &[u8]) -> Vec<u8> {
        decode_pfx(data).auth_safe.content.decode_as::<OctetString>().unwrap().as_bytes().to_vec()
    }

    // --- checks ------------------------------------------------------------------------------------

    /// Every key is an RSA key whose public half is in one of the certificates.
    fn keys_match_certs(p: &Pkcs12) -> bool {
        p.keys.iter().all(|k| {
            let public = rsa::RsaPrivateKey::from_pkcs8_der(&k.pkcs8_der).unwrap().to_public_key();
            p.certificates.iter().any(|c| {
                let spki = c.certificate.tbs_certificate.subject_public_key_info.to_der().unwrap();
                rsa::RsaPublicKey::from_public_key_der(&spki).unwrap() == public
            })
        })
    }

    /// Parses a fixture and checks the counts, that the key belongs to a certificate, and that
    /// localKeyId and friendlyName pair them.
    fn check_fixture(name: &str, data: &[u8], password: &str, keys: usize, certs: usize) {
        let p = parse(data, password).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((p.keys.len(), p.certificates.len()), (keys, certs), "{name}");
        if keys > 0 && certs > 0 {
            assert!(keys_match_certs(&p), "{name}: key does not match a certificate");
            let key = &p.keys[0];
            assert_eq!(key.friendly_name.as_deref(), Some("test key"), "{name}");
            assert!(key.local_key_id.as_ref().is_some_and(|id| !id.is_empty()), "{name}");
            let own: Vec<_> = p.certificates.iter().filter(|c| c.local_key_id == key.local_key_id).collect();
            assert_eq!(own.len(), 1, "{name}: exactly one certificate pairs with the key");
            assert_eq!(own[0].friendly_name.as_deref(), Some("test key"), "{name}");
        }
        for k in &p.keys {
            pkcs8::PrivateKeyInfo::from_der(&k.pkcs8_der).unwrap();
        }
    }

    /// Firefox/Thunderbird exports (NSS `pk12util`): BER throughout, 600 000 iterations (slow in
    /// debug builds, hence tests of their own that run in parallel).
    #[test]
    fn reads_nss_export() {
        check_fixture("nss", fixture!("nss.p12"), "secret", 1, 1);
    }

    #[test]
    fn reads_nss_legacy_export() {
        check_fixture("nss-legacy", fixture!("nss-legacy.p12"), "secret", 1, 1);
    }

    #[test]
    fn reads_every_openssl_flavour() {
        for (name, data, password, keys, certs) in [
            ("default", fixture!("default.p12"), "secret", 1, 1),
            ("legacy", fixture!("legacy.p12"), "secret", 1, 1),
            ("3des", fixture!("3des.p12"), "secret", 1, 1),
            ("rc2-128-2des", fixture!("rc2-128-2des.p12"), "secret", 1, 1),
            ("aes128-sha512", fixture!("aes128-sha512.p12"), "secret", 1, 1),
            ("aes192-sha384", fixture!("aes192-sha384.p12"), "secret", 1, 1),
            ("nomac", fixture!("nomac.p12"), "secret", 1, 1),
            ("plain", fixture!("plain.p12"), "secret", 1, 1),
            ("keyonly", fixture!("keyonly.p12"), "secret", 1, 0),
            ("certsonly", fixture!("certsonly.p12"), "secret", 0, 1),
            ("chain", fixture!("chain.p12"), "secret", 1, 2),
            ("emptypass", fixture!("emptypass.p12"), "", 1, 1),
            ("unicode", fixture!("unicode.p12"), "pässwörd", 1, 1),
        ] {
            check_fixture(name, data, password, keys, certs);
        }
        // The chain's CA certificate is not paired with the key.
        let chain = parse(fixture!("chain.p12"), "secret").unwrap();
        let ca: Vec<_> = chain.certificates.iter().filter(|c| c.local_key_id.is_none()).collect();
        assert_eq!(ca.len(), 1);
        assert!(crate::dn::to_string(&ca[0].certificate.tbs_certificate.subject).contains("PKCS12 Test CA"));
        // The key-only file's key keeps its attributes too.
        let key_only = parse(fixture!("keyonly.p12"), "secret").unwrap();
        assert_eq!(key_only.keys[0].friendly_name.as_deref(), Some("test key"));
    }

    /// The fixtures really exercise the algorithms their names promise (the OIDs are in the files).
    #[test]
    fn fixtures_use_the_algorithms_they_are_named_for() {
        let has = |data: &[u8], o: Oid| {
            let der = oid_der(o);
            data.windows(der.len()).any(|w| w == der)
        };
        let cases: &[(&[u8], &[Oid])] = &[
            (fixture!("default.p12"), &[oid::PBES2, oid::AES256_CBC, oid::HMAC_SHA256, oid::SHA256]),
            (fixture!("legacy.p12"), &[oid::PBE_SHA1_RC2_40, oid::PBE_SHA1_3DES, oid::SHA1]),
            (fixture!("3des.p12"), &[oid::PBE_SHA1_3DES, oid::SHA1]),
            (fixture!("rc2-128-2des.p12"), &[oid::PBE_SHA1_RC2_128, oid::PBE_SHA1_2DES]),
            (fixture!("aes128-sha512.p12"), &[oid::AES128_CBC, oid::SHA512]),
            (fixture!("aes192-sha384.p12"), &[oid::AES192_CBC, oid::DES_EDE3_CBC, oid::SHA384]),
            (fixture!("nss.p12"), &[oid::PBES2, oid::AES256_CBC]),
            (fixture!("nss-legacy.p12"), &[oid::PBE_SHA1_RC2_40, oid::PBE_SHA1_3DES]),
        ];
        for (i, (data, algs)) in cases.iter().enumerate() {
            for a in *algs {
                assert!(has(data, *a), "case {i} lacks {a}");
            }
        }
        assert!(decode_pfx(fixture!("nomac.p12")).mac_data.is_none());
        // NSS writes BER: indefinite lengths outside and inside the authenticated safe.
        for data in [fixture!("nss.p12"), fixture!("nss-legacy.p12")] {
            assert_eq!(&data[..2], &[0x30, 0x80]);
            assert_eq!(&auth_safe_of(data)[..2], &[0x30, 0x80]);
        }
    }

    #[test]
    fn wrong_passwords_are_reported_as_such() {
        for (name, data) in [
            ("default", fixture!("default.p12")),
            ("legacy", fixture!("legacy.p12")),
            ("3des", fixture!("3des.p12")),
            ("aes128-sha512", fixture!("aes128-sha512.p12")),
            ("nomac", fixture!("nomac.p12")),
            ("keyonly", fixture!("keyonly.p12")),
        ] {
            for wrong in ["Secret", "", "secret ", "x"] {
                assert_eq!(parse(data, wrong).unwrap_err(), Error::WrongPassword, "{name} with {wrong:?}");
            }
        }
        assert_eq!(parse(fixture!("emptypass.p12"), "secret").unwrap_err(), Error::WrongPassword);
        assert_eq!(parse(fixture!("unicode.p12"), "passwort").unwrap_err(), Error::WrongPassword);
        assert_eq!(parse(fixture!("unicode.p12"), "pässwörd ").unwrap_err(), Error::WrongPassword);
    }

    #[test]
    fn password_encodings() {
        let p = Password::candidates("pä😀");
        assert_eq!(*p[0].bmp, [0, b'p', 0, 0xE4, 0xD8, 0x3D, 0xDE, 0x00, 0, 0]);
        assert_eq!(*p[0].utf8, "pä😀".as_bytes());
        assert_eq!(p.len(), 1);
        let empty = Password::candidates("");
        assert_eq!((empty[0].bmp.as_slice(), empty[1].bmp.as_slice()), (&[0u8, 0][..], &[][..]));
    }

    /// OpenSSL MACs an empty password as `00 00`; other exporters use no bytes at all. Both read.
    #[test]
    fn empty_password_in_both_encodings() {
        let data = fixture!("emptypass.p12");
        let mut pfx = decode_pfx(data);
        let auth_safe = auth_safe_of(data);
        let (salt, iterations) = {
            let mac = pfx.mac_data.as_ref().unwrap();
            assert_eq!(mac.mac.algorithm.oid, oid::SHA256);
            (mac.mac_salt.as_bytes().to_vec(), mac.iterations)
        };
        for password in [&[][..], &[0, 0][..]] {
            let key = Hash::Sha256.pkcs12_kdf(password, &salt, Pkcs12KeyType::Mac, iterations, 32);
            let mut h = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
            h.update(&auth_safe);
            pfx.mac_data.as_mut().unwrap().mac.digest = OctetString::new(h.finalize().into_bytes().to_vec()).unwrap();
            let file = pfx.to_der().unwrap();
            let p = parse(&file, "").unwrap();
            assert_eq!((p.keys.len(), p.certificates.len()), (1, 1));
            assert_eq!(parse(&file, "secret").unwrap_err(), Error::WrongPassword);
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let p = parse(fixture!("default.p12"), "secret").unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("bytes of private key>"), "{shown}");
        let key_hex = hex(&p.keys[0].pkcs8_der);
        for window in key_hex.as_bytes().chunks(16) {
            assert!(!shown.contains(core::str::from_utf8(window).unwrap()) || window.len() < 16);
        }
        assert!(shown.contains(&hex(p.keys[0].local_key_id.as_ref().unwrap())));
    }

    /// BER as Windows writes it: indefinite lengths and the authenticated safe in chunks.
    #[test]
    fn ber_input_is_read() {
        let data = fixture!("default.p12");
        let pfx = decode_pfx(data);
        let auth_safe = auth_safe_of(data);
        let mut chunks = Vec::new();
        for c in auth_safe.chunks(1000) {
            chunks.extend(octets(c));
        }
        let mut ber = vec![0x30, 0x80, 2, 1, 3];
        ber.extend([0x30, 0x80]);
        ber.extend(oid_der(oid::DATA));
        ber.extend([0xA0, 0x80, 0x24, 0x80]);
        ber.extend(chunks);
        ber.extend([0, 0, 0, 0, 0, 0]);
        ber.extend(pfx.mac_data.unwrap().to_der().unwrap());
        ber.extend([0, 0]);
        let p = parse(&ber, "secret").unwrap();
        assert_eq!((p.keys.len(), p.certificates.len()), (1, 1));
        assert!(looks_like_pkcs12(&ber));
        assert_eq!(parse(&ber, "wrong").unwrap_err(), Error::WrongPassword);
    }

    /// A plain keyBag inside a nested safeContentsBag, with attributes in odd shapes.
    #[test]
    fn plain_key_bag_nested_bags_and_attributes() {
        let reference = parse(fixture!("default.p12"), "secret").unwrap();
        let key = reference.keys[0].pkcs8_der.clone();
        let attrs = [
            attr(Oid::new_unwrap("1.3.6.1.4.1.311.17.1"), &bmp("Microsoft Enhanced Cryptographic Provider v1.0")),
            attr(oid::LOCAL_KEY_ID, &octets(&[1, 0, 0, 0])),
            attr(oid::FRIENDLY_NAME, &bmp("Schlüssel 🔑\0")),
        ]
        .concat();
        let key_bag = bag(oid::KEY_BAG, &key, Some(&attrs));
        let secret_bag = bag(Oid::new_unwrap("1.2.840.113549.1.12.10.1.5"), &seq(&[]), None);
        let inner = seq(&[&key_bag, &secret_bag]);
        let nested = bag(oid::SAFE_CONTENTS_BAG, &inner, None);
        let file = pfx(&seq(&[&data_ci(&seq(&[&nested]))]), None);
        let p = parse(&file, "anything").unwrap();
        assert_eq!((p.keys.len(), p.certificates.len()), (1, 0));
        assert_eq!(*p.keys[0].pkcs8_der, *key);
        assert_eq!(p.keys[0].local_key_id.as_deref(), Some(&[1, 0, 0, 0][..]));
        assert_eq!(p.keys[0].friendly_name.as_deref(), Some("Schlüssel 🔑"));

        // A keyBag that is not a key is an error, not a silent skip.
        let file = pfx(&seq(&[&data_ci(&seq(&[&bag(oid::KEY_BAG, &seq(&[]), None)]))]), None);
        assert!(matches!(parse(&file, "x"), Err(Error::Malformed { .. })));
    }

    #[test]
    fn pbmac1_is_verified() {
        let data = fixture!("default.p12");
        let auth_safe = auth_safe_of(data);
        let build = |password: &[u8], key_length: Option<u8>| {
            let salt = [7u8; 16];
            let mut key = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, 1000, &mut key);
            let mut h = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
            h.update(&auth_safe);
            let digest = h.finalize().into_bytes();
            let hmac_sha256 = seq(&[&oid_der(oid::HMAC_SHA256), &[5, 0]]);
            let len = key_length.map(|l| vec![2, 1, l]).unwrap_or_default();
            let pbkdf2_params = seq(&[&octets(&salt), &[2, 2, 0x03, 0xE8], &len, &hmac_sha256]);
            let kdf = seq(&[&oid_der(oid::PBKDF2), &pbkdf2_params]);
            let alg = seq(&[&oid_der(oid::PBMAC1), &seq(&[&kdf, &hmac_sha256])]);
            let mac_data = seq(&[&seq(&[&alg, &octets(&digest)]), &octets(b"NOT USED"), &[2, 1, 1]]);
            pfx(&auth_safe, Some(&mac_data))
        };
        let file = build(b"secret", Some(32));
        let p = parse(&file, "secret").unwrap();
        assert_eq!((p.keys.len(), p.certificates.len()), (1, 1));
        assert_eq!(parse(&file, "Secret").unwrap_err(), Error::WrongPassword);
        // PBMAC1 keys PBKDF2 with the UTF-8 password, not the BMPString.
        let bmp_keyed = build(&[0, b's', 0, b'e', 0, b'c', 0, b'r', 0, b'e', 0, b't', 0, 0], Some(32));
        assert_eq!(parse(&bmp_keyed, "secret").unwrap_err(), Error::WrongPassword);
        // RFC 9579 requires the key length.
        assert!(matches!(parse(&build(b"secret", None), "secret"), Err(Error::Malformed { .. })));
    }

    #[test]
    fn limits_hold() {
        // An absurd MAC iteration count is refused before any work.
        let mut pfx_value = decode_pfx(fixture!("default.p12"));
        pfx_value.mac_data.as_mut().unwrap().iterations = 2_000_000_000;
        let file = pfx_value.to_der().unwrap();
        assert!(matches!(parse(&file, "secret"), Err(Error::LimitExceeded(_))));

        // The per-file budget.
        let pfx_value = decode_pfx(fixture!("default.p12"));
        let mut reading = Reading {
            passwords: Password::candidates("secret"),
            mac_verified: false,
            budget: 3000,
            bags: 0,
            out: Pkcs12::default(),
        };
        let auth_safe = auth_safe_of(fixture!("default.p12"));
        let mac = pfx_value.mac_data.as_ref().unwrap();
        assert_eq!(reading.verify_mac(mac, &auth_safe).unwrap(), 0);
        assert!(matches!(reading.verify_mac(mac, &auth_safe), Err(Error::LimitExceeded(_))));

        // Too many bags.
        let secret_bag = bag(Oid::new_unwrap("1.2.840.113549.1.12.10.1.5"), &seq(&[]), None);
        let many = seq(&vec![secret_bag.as_slice(); MAX_BAGS + 1]);
        let file = pfx(&seq(&[&data_ci(&many)]), None);
        assert!(matches!(parse(&file, "x"), Err(Error::LimitExceeded(_))));
        let fine = seq(&vec![secret_bag.as_slice(); MAX_BAGS]);
        assert!(parse(&pfx(&seq(&[&data_ci(&fine)]), None), "x").is_ok());

        // Too deep.
        let mut contents = seq(&[&secret_bag]);
        for _ in 0..=MAX_NESTING {
            contents = seq(&[&bag(oid::SAFE_CONTENTS_BAG, &contents, None)]);
        }
        assert!(matches!(parse(&pfx(&seq(&[&data_ci(&contents)]), None), "x"), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn unsupported_modes_and_algorithms_say_so() {
        let unsupported = |file: &[u8]| matches!(parse(file, "secret"), Err(Error::Unsupported { .. }));
        // envelopedData in the authenticated safe.
        let enveloped = seq(&[&oid_der(oid::ENVELOPED_DATA), &explicit0(&seq(&[&[2, 1, 0]]))]);
        assert!(unsupported(&pfx(&seq(&[&enveloped]), None)));
        // Public-key integrity (signedData as the authenticated safe).
        let signed = seq(&[&[2, 1, 3], &seq(&[&oid_der(oid::SIGNED_DATA), &explicit0(&seq(&[]))])]);
        assert!(unsupported(&signed));
        // A key encrypted with RC4.
        let pbe = seq(&[&oid_der(oid::PBE_SHA1_RC4_128), &seq(&[&octets(&[1; 8]), &[2, 2, 8, 0]])]);
        let shrouded = bag(oid::SHROUDED_KEY_BAG, &seq(&[&pbe, &octets(&[0; 64])]), None);
        assert!(unsupported(&pfx(&seq(&[&data_ci(&seq(&[&shrouded]))]), None)));
        // PBES2 with scrypt.
        let scrypt = seq(&[&oid_der(oid::SCRYPT), &seq(&[&octets(&[1; 8]), &[2, 2, 0x40, 0], &[2, 1, 8], &[2, 1, 1]])]);
        let aes = seq(&[&oid_der(oid::AES256_CBC), &octets(&[0; 16])]);
        let pbes2 = seq(&[&oid_der(oid::PBES2), &seq(&[&scrypt, &aes])]);
        let shrouded = bag(oid::SHROUDED_KEY_BAG, &seq(&[&pbes2, &octets(&[0; 64])]), None);
        assert!(unsupported(&pfx(&seq(&[&data_ci(&seq(&[&shrouded]))]), None)));
        // An unknown MAC digest.
        let mut p = decode_pfx(fixture!("default.p12"));
        p.mac_data.as_mut().unwrap().mac.algorithm.oid = Oid::new_unwrap("1.2.840.113549.2.5");
        assert!(unsupported(&p.to_der().unwrap()));
    }

    #[test]
    fn truncated_files_give_errors() {
        for data in [fixture!("default.p12"), fixture!("legacy.p12"), fixture!("nss.p12")] {
            for len in 0..data.len() {
                assert!(parse(&data[..len], "secret").is_err(), "prefix of {len} bytes");
            }
        }
    }

    /// Flips one bit in (nearly) every byte, and overwrites random bytes: errors, never panics.
    #[test]
    fn damaged_files_give_errors_never_panics() {
        for (name, data) in [("default", fixture!("default.p12")), ("nomac", fixture!("nomac.p12"))] {
            let mut accepted = 0;
            // Every byte of the MAC-protected file; every fifth of the other (each costs a PBKDF2).
            let step = if name == "default" { 1 } else { 5 };
            for at in (0..data.len()).step_by(step) {
                let mut d = data.to_vec();
                d[at] ^= 1 << (at % 8);
                if parse(&d, "secret").is_ok() {
                    accepted += 1;
                }
            }
            // With a MAC every change is caught; without one, changes to unprotected certificate
            // bytes (e.g. the signature) can go unnoticed, which is why the MAC exists.
            if name == "default" {
                assert_eq!(accepted, 0, "{name}");
            }
        }
        let mut x = 0x2545_f491_u32;
        let base = fixture!("legacy.p12");
        for _ in 0..1500 {
            let mut d = base.to_vec();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let at = x as usize % d.len();
                d[at] = (x >> 24) as u8;
            }
            assert!(parse(&d, "secret").is_err() || d == base);
        }
        assert!(matches!(parse(b"hello", "x"), Err(Error::Malformed { .. })));
        assert!(matches!(parse(&[], "x"), Err(Error::Malformed { .. })));
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_pkcs12(fixture!("default.p12")));
        assert!(looks_like_pkcs12(fixture!("nss.p12")));
        assert!(!looks_like_pkcs12(b"-----BEGIN CERTIFICATE-----"));
        assert!(!looks_like_pkcs12(&seq(&[&[2, 1, 3]])));
    }
}
