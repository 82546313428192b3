//! Signing a mail in two steps: [`Signing::new`] lays out the message up to the signed content and
//! says which bytes to hash; [`Signing::finish`] takes their digest and adds the signature. The
//! digest can come from the host (WebCrypto) or from Rust ([`Signing::sign`]); the output is the same.

use core::ops::Range;

use super::{boundary, pkcs7_mime_part, split, write_inner_entity, SignMode};
use crate::alg::Digest;
use crate::identity::Identity;
use crate::mime;
use crate::sign::{self, SignOptions};
use crate::Result;

/// A mail being signed.
#[derive(Debug)]
pub struct Signing {
    /// The output so far: the outer header fields, and for a detached signature the
    /// multipart/signed header and the signed entity.
    out: Vec<u8>,
    /// Where the signed content is: in `out` (detached) or all of `entity` (opaque).
    content: Range<usize>,
    /// The entity of an opaque signature (it goes inside the CMS); empty when detached.
    entity: Vec<u8>,
    mode: SignMode,
    boundary: String,
    digest: Digest,
}

impl Signing {
    /// Prepares `message` (RFC 5322; its header fields stay outside the signature) for signing
    /// with `options.digest` in `mode`.
    pub fn new(message: &[u8], options: &SignOptions, mode: SignMode) -> Result<Signing> {
        let s = split(message)?;
        let digest: Digest = options.digest.into();
        let mut out = Vec::with_capacity(s.outer.len() + message.len() + 512);
        out.extend_from_slice(&s.outer);
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        if mode == SignMode::Opaque {
            let mut entity = Vec::with_capacity(message.len() + 256);
            write_inner_entity(&s.entity, &mut entity);
            let content = 0..entity.len();
            return Ok(Signing { out, content, entity, mode, boundary: String::new(), digest });
        }
        let head = out.len();
        loop {
            // The boundary must not occur in the entity; with 96 random bits it practically never
            // does, and then the layout is simply redone with another one.
            let b = boundary();
            out.truncate(head);
            out.extend_from_slice(
                format!(
                    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={};\r\n \
                     boundary=\"{b}\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--{b}\r\n",
                    digest.micalg()
                )
                .as_bytes(),
            );
            let start = out.len();
            write_inner_entity(&s.entity, &mut out);
            let entity = out.get(start..).unwrap_or_default();
            if mime::find_bytes(entity, b.as_bytes()).is_none() {
                let content = start..out.len();
                return Ok(Signing { out, content, entity: Vec::new(), mode, boundary: b, digest });
            }
        }
    }

    /// The bytes the signature covers (the MIME entity, CRLF).
    pub fn content(&self) -> &[u8] {
        match self.mode {
            SignMode::Opaque => &self.entity,
            SignMode::Detached => self.out.get(self.content.clone()).unwrap_or_default(),
        }
    }

    /// The digest algorithm to hash [`Signing::content`] with.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Signs with the digest computed in Rust.
    pub fn sign(self, identity: &Identity, options: &SignOptions) -> Result<Vec<u8>> {
        let d = self.digest.hash(self.content());
        self.finish(&d, identity, options)
    }

    /// Signs given the content's digest, and returns the signed mail. `options` must be the ones
    /// given to [`Signing::new`].
    pub fn finish(mut self, content_digest: &[u8], identity: &Identity, options: &SignOptions) -> Result<Vec<u8>> {
        match self.mode {
            SignMode::Opaque => {
                let der = sign::sign_prehashed(content_digest, Some(&self.entity), identity, options)?;
                self.out.extend_from_slice(&pkcs7_mime_part("signed-data", &der));
            }
            SignMode::Detached => {
                let der = sign::sign_prehashed(content_digest, None, identity, options)?;
                let b = &self.boundary;
                // The CRLF before the delimiter belongs to the delimiter, not to the signed part.
                self.out.extend_from_slice(
                    format!(
                        "\r\n--{b}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
                         Content-Transfer-Encoding: base64\r\n\
                         Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
                         Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
                    )
                    .as_bytes(),
                );
                self.out.extend_from_slice(&mime::base64_lines(&der));
                self.out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            }
        }
        Ok(self.out)
    }
}
