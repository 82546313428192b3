//! Signing a mail in two steps: [`Signing::new`] lays out the signed entity (in the mail's own
//! buffer when it can) and says which bytes to hash; [`Signing::finish`] takes their digest and
//! adds the signature. The digest can come from the host (WebCrypto) or from Rust
//! ([`Signing::sign`]); the output is the same.

use core::ops::Range;

use super::{boundary, lay_out, pkcs7_mime_part, Output, SignMode};
use crate::alg::Digest;
use crate::identity::Identity;
use crate::mime;
use crate::sign::{self, SignOptions};
use crate::Result;

/// A mail being signed.
#[derive(Debug)]
pub struct Signing {
    /// What goes before the signed entity: the outer header fields, `MIME-Version`, and for a
    /// detached signature the multipart/signed header and first delimiter.
    head: Vec<u8>,
    /// The buffer the signed entity is in, and where.
    buf: Vec<u8>,
    content: Range<usize>,
    mode: SignMode,
    boundary: String,
    digest: Digest,
}

impl Signing {
    /// Prepares `message` (RFC 5322; its header fields stay outside the signature) for signing
    /// with `options.digest` in `mode`. The buffer is reused for the signed entity.
    pub fn new(message: Vec<u8>, options: &SignOptions, mode: SignMode) -> Result<Signing> {
        let laid = lay_out(message)?;
        let digest: Digest = options.digest.into();
        let mut head = laid.outer;
        head.extend_from_slice(b"MIME-Version: 1.0\r\n");
        let mut boundary_text = String::new();
        if mode == SignMode::Detached {
            let entity = laid.buf.get(laid.entity.clone()).unwrap_or_default();
            // The boundary must not occur in the entity; with 96 random bits it practically never does.
            boundary_text = boundary();
            while mime::find_bytes(entity, boundary_text.as_bytes()).is_some() {
                boundary_text = boundary();
            }
            head.extend_from_slice(
                format!(
                    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={};\r\n \
                     boundary=\"{boundary_text}\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--{boundary_text}\r\n",
                    digest.micalg()
                )
                .as_bytes(),
            );
        }
        Ok(Signing { head, buf: laid.buf, content: laid.entity, mode, boundary: boundary_text, digest })
    }

    /// The bytes the signature covers (the MIME entity, CRLF).
    pub fn content(&self) -> &[u8] {
        self.buf.get(self.content.clone()).unwrap_or_default()
    }

    /// The digest algorithm to hash [`Signing::content`] with.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// Signs with the digest computed in Rust.
    pub fn sign(self, identity: &Identity, options: &SignOptions) -> Result<Output> {
        let d = self.digest.hash(self.content());
        self.finish(&d, identity, options)
    }

    /// Signs given the content's digest (the RSA signature in Rust), and returns the signed mail.
    /// `options` must be the ones given to [`Signing::new`].
    pub fn finish(self, content_digest: &[u8], identity: &Identity, options: &SignOptions) -> Result<Output> {
        let prepared = self.prepare(content_digest, identity, options)?;
        let signature = prepared.sign_in_rust()?;
        self.finish_signed(prepared, signature, identity, options)
    }

    /// The signed attributes around the content's digest, for the host to sign
    /// ([`sign::Prepared::to_be_signed`] with the key of [`sign::Prepared::signer`]).
    pub fn prepare<'a>(
        &self,
        content_digest: &[u8],
        identity: &'a Identity,
        options: &SignOptions,
    ) -> Result<sign::Prepared<'a>> {
        sign::Prepared::new(content_digest, identity, options)
    }

    /// Finishes with the prepared attributes and their RSA signature, and returns the signed mail.
    pub fn finish_signed(
        self,
        prepared: sign::Prepared<'_>,
        signature: Vec<u8>,
        identity: &Identity,
        options: &SignOptions,
    ) -> Result<Output> {
        match self.mode {
            SignMode::Opaque => {
                let der = prepared.finish(signature, Some(self.content()), identity, options)?;
                Ok(Output::plain(self.head, pkcs7_mime_part("signed-data", &der)))
            }
            SignMode::Detached => {
                let der = prepared.finish(signature, None, identity, options)?;
                let b = &self.boundary;
                // The CRLF before the delimiter belongs to the delimiter, not to the signed part.
                let mut tail = format!(
                    "\r\n--{b}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
                     Content-Transfer-Encoding: base64\r\n\
                     Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
                     Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
                )
                .into_bytes();
                tail.extend_from_slice(&mime::base64_lines(&der));
                tail.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
                Ok(Output::around(self.head, self.buf, self.content, tail))
            }
        }
    }
}
