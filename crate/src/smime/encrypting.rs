//! Encrypting a mail in two steps: [`Encrypting::new`] takes the mail apart and holds the MIME
//! entity to encrypt; [`Encrypting::finish`] takes the entity encrypted under a [`ContentKey`] (by
//! the host's AES, or by Rust in [`Encrypting::encrypt`]) and writes the application/pkcs7-mime
//! mail, base64 straight from the pieces of the DER.

use x509_cert::Certificate;

use super::{split, write_inner_entity};
use crate::envelope::{self, ContentKey, EncryptOptions, EncryptedContent};
use crate::{cert, clock, mime, Error, Result};

/// A mail being encrypted.
#[derive(Debug)]
pub struct Encrypting {
    /// The outer header fields, which stay outside the encryption.
    outer: Vec<u8>,
    /// The MIME entity to encrypt (taken by [`Encrypting::take_content`]).
    entity: Vec<u8>,
}

impl Encrypting {
    /// Takes `message` apart (the buffer is dropped once the entity is copied out) and checks that
    /// every recipient certificate is valid now.
    pub fn new(message: Vec<u8>, recipients: &[Certificate]) -> Result<Encrypting> {
        check_validity(recipients)?;
        let s = split(&message)?;
        // Room for CBC padding, so that encrypting in place never reallocates.
        let mut entity = Vec::with_capacity(message.len() + 256);
        write_inner_entity(&s.entity, &mut entity);
        let outer = s.outer;
        drop(message);
        Ok(Encrypting { outer, entity })
    }

    /// The MIME entity to encrypt.
    pub fn content(&self) -> &[u8] {
        &self.entity
    }

    /// Takes the MIME entity out, to encrypt it (in place) elsewhere.
    pub fn take_content(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.entity)
    }

    /// Encrypts with a fresh key and the pure-Rust AES, and returns the encrypted mail.
    pub fn encrypt(mut self, recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
        let key = ContentKey::generate(options.cipher);
        let encrypted = key.encrypt(self.take_content())?;
        self.finish(&key, encrypted, recipients, options)
    }

    /// Wraps the entity, encrypted under `key`, for `recipients` and returns the encrypted mail.
    pub fn finish(
        self,
        key: &ContentKey,
        content: EncryptedContent,
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<Vec<u8>> {
        let der = envelope::seal(key, content, recipients, options)?;
        let smime_type = if options.cipher.is_authenticated() { "authEnveloped-data" } else { "enveloped-data" };
        let head = format!(
            "MIME-Version: 1.0\r\n\
             Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
        );
        let mut out = Vec::with_capacity(self.outer.len() + head.len() + mime::base64_lines_len(der.len()));
        out.extend_from_slice(&self.outer);
        out.extend_from_slice(head.as_bytes());
        let mut lines = mime::Base64Lines::after(out, der.len());
        lines.push(&der.header);
        lines.push(&der.ciphertext);
        drop(der.ciphertext);
        lines.push(&der.trailer);
        Ok(lines.finish())
    }
}

/// Every recipient certificate must be valid now.
pub(super) fn check_validity(recipients: &[Certificate]) -> Result<()> {
    let now = clock::now_unix();
    for r in recipients {
        if !cert::valid_at(r, now) {
            let s = cert::Summary::of(r);
            return Err(Error::UnusableCertificate {
                subject: s.emails.first().cloned().unwrap_or(s.subject),
                reason: format!("it is valid from {} to {}", s.not_before, s.not_after),
            });
        }
    }
    Ok(())
}
