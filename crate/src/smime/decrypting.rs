//! Decrypting a mail in two steps: [`Decrypting::new`] decodes the application/pkcs7-mime body,
//! finds the recipient and unwraps the content-encryption key; then the content is decrypted in
//! place, by Rust ([`Decrypting::decrypt`]) or by the host ([`Decrypting::finish_with`]), and the
//! decrypted entity goes back under the outer header fields. A host that unwraps RSA-OAEP keys
//! itself splits the first step: [`Decrypting::prepare`], then [`Unwrapping`].

use super::{kind, range_in, split, Kind};
use crate::envelope::{self, Decrypted, EncryptionInfo, Opening};
use crate::identity::Identity;
use crate::{mime, Error, Result};

/// A mail being decrypted.
#[derive(Debug)]
pub struct Decrypting {
    /// The outer header fields and `MIME-Version`, which go in front of the decrypted entity.
    prefix: Vec<u8>,
    opening: Opening,
}

/// A mail being decrypted whose content-encryption key is not yet unwrapped
/// (see [`envelope::Unwrapping`]).
#[derive(Debug)]
pub struct Unwrapping {
    prefix: Vec<u8>,
    envelope: envelope::Unwrapping,
}

impl Unwrapping {
    /// The CMS part: what the host needs to unwrap the key itself.
    pub fn envelope(&self) -> &envelope::Unwrapping {
        &self.envelope
    }

    /// Unwraps the key in Rust.
    pub fn unwrap(self) -> Decrypting {
        Decrypting { prefix: self.prefix, opening: self.envelope.unwrap() }
    }

    /// Goes on with the key the host unwrapped (`None`: its decryption failed).
    pub fn with_key(self, key: Option<&[u8]>) -> Decrypting {
        Decrypting { prefix: self.prefix, opening: self.envelope.with_key(key) }
    }
}

impl Decrypting {
    /// Reads an encrypted mail and unwraps its key with the identity (any key of its history).
    /// A base64 body is decoded in place, in the message's own buffer, which then holds the DER.
    pub fn new(message: Vec<u8>, identity: &Identity) -> Result<Decrypting> {
        Ok(Decrypting::prepare(message, identity)?.unwrap())
    }

    /// [`Decrypting::new`] up to the key unwrap, which [`Unwrapping`] does next.
    pub fn prepare(mut message: Vec<u8>, identity: &Identity) -> Result<Unwrapping> {
        // The base64 body's place in the message, or the body decoded otherwise.
        let (prefix, body) = {
            let s = split(&message, 0)?;
            if kind(&s.entity) != Kind::Encrypted {
                return Err(Error::NotSmime("the message is not encrypted".into()));
            }
            let mut prefix = s.outer;
            prefix.extend_from_slice(b"MIME-Version: 1.0\r\n");
            let cte = s.entity.headers.get("content-transfer-encoding").map(|v| v.trim().to_ascii_lowercase());
            let body = match cte.as_deref() {
                Some("base64") => Ok(range_in(&message, s.entity.body)),
                _ => Err(s.entity.decoded_body()?),
            };
            (prefix, body)
        };
        let der = match body {
            Ok(r) => {
                let at = r.start;
                let len = mime::decode_base64_lenient_in_place(message.get_mut(r).unwrap_or_default())?;
                message.truncate(at + len);
                message.drain(..at);
                message
            }
            Err(decoded) => decoded,
        };
        Ok(Unwrapping { prefix, envelope: Opening::prepare(der, identity)? })
    }

    /// The CMS part: key, cipher, ciphertext.
    pub fn opening(&self) -> &Opening {
        &self.opening
    }

    /// The CMS part, to rearrange the ciphertext for the host ([`Opening::ciphertext_with_tag`]).
    pub fn opening_mut(&mut self) -> &mut Opening {
        &mut self.opening
    }

    /// Decrypts with the pure-Rust ciphers; returns the decrypted mail and what protected it.
    pub fn decrypt(self) -> Result<(Vec<u8>, EncryptionInfo)> {
        let prefix = self.prefix;
        Ok(assemble(prefix, self.opening.decrypt()?))
    }

    /// Takes `len` bytes of plaintext that the host decrypted (see [`Opening::finish_with`]).
    pub fn finish_with(self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(Vec<u8>, EncryptionInfo)> {
        let prefix = self.prefix;
        Ok(assemble(prefix, self.opening.finish_with(len, fill)?))
    }
}

/// The outer header fields in front of the decrypted entity (CRLF), in the entity's buffer.
fn assemble(prefix: Vec<u8>, d: Decrypted) -> (Vec<u8>, EncryptionInfo) {
    let canonical = match mime::canonicalize_crlf(&d.content) {
        std::borrow::Cow::Owned(c) => Some(c),
        std::borrow::Cow::Borrowed(_) => None,
    };
    let mut content = canonical.unwrap_or(d.content);
    let mut prefix = prefix;
    prefix.extend_from_slice(super::entity_start(&content));
    content.splice(0..0, prefix);
    (content, d.info)
}
