//! Content encryption: the content-encryption key (CEK) with its IV or nonce, and AES-CBC / AES-GCM
//! over the content in pure Rust, in place.
//!
//! The CMS layer takes content that is already encrypted (see [`super::seal`]), so a host may do the
//! bulk AES itself (WebCrypto in a browser) with a [`ContentKey`] from here; the result is the same
//! bytes, since AES-CBC with PKCS#7 padding and AES-GCM with a 16-byte tag are fully determined by
//! key, IV and plaintext.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand_core::RngCore;
use zeroize::Zeroizing;

use crate::alg::Cipher;
use crate::{Error, Result};

/// The GCM tag length Siegel writes (RFC 5084 allows 12 to 16).
pub const GCM_TAG_LEN: usize = 16;
/// The GCM nonce length Siegel writes and reads (RFC 5084 recommends 12).
pub const GCM_NONCE_LEN: usize = 12;
/// The AES block size, which is also the CBC IV length.
pub const AES_BLOCK: usize = 16;

/// A content-encryption key with the IV (CBC) or nonce (GCM) it is used with.
pub struct ContentKey {
    cipher: Cipher,
    key: Zeroizing<Vec<u8>>,
    iv: Vec<u8>,
}

impl core::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("ContentKey").field("cipher", &self.cipher).finish_non_exhaustive()
    }
}

impl ContentKey {
    /// A fresh random key and IV/nonce for `cipher`.
    pub fn generate(cipher: Cipher) -> ContentKey {
        // One draw for both: in wasm, each is a call out to crypto.getRandomValues.
        let mut key = Zeroizing::new(vec![0u8; cipher.key_len() + iv_len(cipher)]);
        rand_core::OsRng.fill_bytes(&mut key);
        let iv = key.split_off(cipher.key_len());
        ContentKey { cipher, key, iv }
    }

    /// A given key and IV/nonce (tests, and hosts that must reproduce an encryption).
    pub fn new(cipher: Cipher, key: &[u8], iv: &[u8]) -> Result<ContentKey> {
        if key.len() != cipher.key_len() || iv.len() != iv_len(cipher) {
            return Err(Error::InvalidArgument(format!(
                "{cipher:?} needs a {}-byte key and a {}-byte IV",
                cipher.key_len(),
                iv_len(cipher)
            )));
        }
        Ok(ContentKey { cipher, key: Zeroizing::new(key.to_vec()), iv: iv.to_vec() })
    }

    /// The cipher.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// The key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The CBC IV (16 bytes) or GCM nonce (12 bytes).
    pub fn iv(&self) -> &[u8] {
        &self.iv
    }

    /// Encrypts `content` in place with the pure-Rust AES: CBC with PKCS#7 padding, or GCM with
    /// no additional data and a 16-byte tag.
    pub fn encrypt(&self, mut content: Vec<u8>) -> Result<EncryptedContent> {
        let crypto = |e: &dyn core::fmt::Display| Error::Crypto(e.to_string());
        if self.cipher.is_authenticated() {
            let nonce = aes_gcm::Nonce::from_slice(&self.iv);
            let tag =
                match self.cipher {
                    Cipher::Aes128Gcm => aes_gcm::Aes128Gcm::new_from_slice(&self.key)
                        .map_err(|e| crypto(&e))?
                        .encrypt_in_place_detached(nonce, b"", &mut content),
                    _ => aes_gcm::Aes256Gcm::new_from_slice(&self.key)
                        .map_err(|e| crypto(&e))?
                        .encrypt_in_place_detached(nonce, b"", &mut content),
                }
                .map_err(|e| crypto(&e))?;
            return Ok(EncryptedContent { ciphertext: content, tag: Some(tag.to_vec()) });
        }
        let len = content.len();
        content.resize(padded_len(len), 0);
        // In wasm, one block at a time on SIMD vectors: CBC cannot use the second block the `aes`
        // crate's fixsliced AES computes at once (see `aes_simd`). Byte-identical to the aes and cbc
        // crates (aes_simd's tests) and to WebCrypto (crate/tests/webcrypto.rs, in the browser).
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            let (aes, iv) = match (crate::aes_simd::Aes::new(&self.key), <[u8; 16]>::try_from(self.iv.as_slice())) {
                (Some(aes), Ok(iv)) => (aes, iv),
                _ => return Err(Error::Crypto("bad AES-CBC key or IV length".into())),
            };
            // PKCS#7: n bytes of value n, 1 to 16.
            let pad = (content.len() - len) as u8;
            content.iter_mut().skip(len).for_each(|b| *b = pad);
            aes.encrypt_cbc(&iv, &mut content);
            return Ok(EncryptedContent { ciphertext: content, tag: None });
        }
        #[allow(unreachable_code)]
        let written = match self.cipher {
            Cipher::Aes128Cbc => cbc::Encryptor::<aes::Aes128>::new_from_slices(&self.key, &self.iv)
                .map_err(|e| crypto(&e))?
                .encrypt_padded_mut::<Pkcs7>(&mut content, len)
                .map_err(|e| crypto(&e))?
                .len(),
            _ => cbc::Encryptor::<aes::Aes256>::new_from_slices(&self.key, &self.iv)
                .map_err(|e| crypto(&e))?
                .encrypt_padded_mut::<Pkcs7>(&mut content, len)
                .map_err(|e| crypto(&e))?
                .len(),
        };
        content.truncate(written);
        Ok(EncryptedContent { ciphertext: content, tag: None })
    }
}

/// The length of CBC ciphertext with PKCS#7 padding for `len` bytes of plaintext.
pub fn padded_len(len: usize) -> usize {
    (len / AES_BLOCK + 1) * AES_BLOCK
}

fn iv_len(cipher: Cipher) -> usize {
    if cipher.is_authenticated() {
        GCM_NONCE_LEN
    } else {
        AES_BLOCK
    }
}

/// Encrypted content: the ciphertext and, for GCM, the tag (which CMS keeps in a field of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedContent {
    /// The ciphertext (CBC: padded; GCM: as long as the plaintext).
    pub ciphertext: Vec<u8>,
    /// The GCM tag; `None` for CBC.
    pub tag: Option<Vec<u8>>,
}

/// How a message's content is encrypted, as read from it: what a host needs to decrypt it itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentCipher {
    /// AES-CBC (128, 192 or 256-bit key) or 3DES-CBC (24-byte key, 8-byte IV), PKCS#7 padded.
    Cbc {
        /// The IV.
        iv: Vec<u8>,
    },
    /// AES-GCM.
    Gcm {
        /// The nonce (12 bytes).
        nonce: Vec<u8>,
        /// The tag from the message.
        tag: Vec<u8>,
        /// The additional authenticated data (the DER of the authenticated attributes), usually empty.
        aad: Vec<u8>,
    },
}

impl ContentCipher {
    /// Decrypts `buf` in place with the pure-Rust ciphers under `key`; returns the plaintext length
    /// (CBC removes the padding from the end). Every failure is [`Error::DecryptionFailed`].
    pub fn decrypt_in_place(&self, key: &[u8], buf: &mut [u8]) -> Result<usize> {
        match self {
            ContentCipher::Cbc { iv } => {
                macro_rules! cbc {
                    ($c:ty) => {
                        cbc::Decryptor::<$c>::new_from_slices(key, iv)
                            .map_err(|_| Error::DecryptionFailed)?
                            .decrypt_padded_mut::<Pkcs7>(buf)
                            .map(|p| p.len())
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
            ContentCipher::Gcm { nonce, tag, aad } => {
                gcm_decrypt(key, nonce, aad, buf, tag)?;
                Ok(buf.len())
            }
        }
    }
}

fn gcm_decrypt(key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<()> {
    use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
    use aes_gcm::AesGcm;
    if nonce.len() != GCM_NONCE_LEN {
        return Err(Error::DecryptionFailed);
    }
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

    #[test]
    fn encrypts_and_decrypts_in_place() {
        for cipher in [Cipher::Aes128Cbc, Cipher::Aes256Cbc, Cipher::Aes128Gcm, Cipher::Aes256Gcm] {
            for len in [0usize, 1, 15, 16, 17, 1000] {
                let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let key = ContentKey::generate(cipher);
                let enc = key.encrypt(plain.clone()).unwrap();
                let params = match &enc.tag {
                    Some(tag) => ContentCipher::Gcm { nonce: key.iv().to_vec(), tag: tag.clone(), aad: Vec::new() },
                    None => {
                        assert_eq!(enc.ciphertext.len(), padded_len(len));
                        ContentCipher::Cbc { iv: key.iv().to_vec() }
                    }
                };
                let mut buf = enc.ciphertext.clone();
                let n = params.decrypt_in_place(key.key(), &mut buf).unwrap();
                assert_eq!(&buf[..n], &plain[..], "{cipher:?} {len}");
            }
        }
        assert!(ContentKey::new(Cipher::Aes256Gcm, &[0; 32], &[0; 16]).is_err());
        assert!(ContentKey::new(Cipher::Aes128Cbc, &[0; 16], &[0; 16]).is_ok());
    }
}
