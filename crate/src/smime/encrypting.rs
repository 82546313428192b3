//! Encrypting a mail in two steps: [`Encrypting::new`] takes the mail apart and holds the MIME
//! entity to encrypt; [`Encrypting::finish`] takes the entity encrypted under a [`ContentKey`] (by
//! the host's AES, or by Rust in [`Encrypting::encrypt`]) and gives the application/pkcs7-mime
//! mail as an [`Output`], whose base64 is written straight from the pieces of the DER.

use x509_cert::Certificate;

use super::{lay_out, Output};
use crate::envelope::{self, ContentKey, EncryptOptions, EncryptedContent};
use crate::{cert, clock, Error, Result};

/// A mail being encrypted.
#[derive(Debug)]
pub struct Encrypting {
    /// The outer header fields, which stay outside the encryption.
    outer: Vec<u8>,
    /// The MIME entity to encrypt (taken by [`Encrypting::take_content`]).
    entity: Vec<u8>,
}

impl Encrypting {
    /// Takes `message` apart and checks that every recipient certificate is valid now. The
    /// entity to encrypt stays in the message's buffer when it can (the outer header fields are cut
    /// off its front, which also leaves room for the CBC padding).
    pub fn new(message: Vec<u8>, recipients: &[Certificate]) -> Result<Encrypting> {
        check_validity(recipients)?;
        let laid = lay_out(message)?;
        let mut entity = laid.buf;
        entity.truncate(laid.entity.end);
        entity.drain(..laid.entity.start);
        Ok(Encrypting { outer: laid.outer, entity })
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
    pub fn encrypt(mut self, recipients: &[Certificate], options: &EncryptOptions) -> Result<Output> {
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
    ) -> Result<Output> {
        let der = envelope::seal(key, content, recipients, options)?;
        let smime_type = if options.cipher.is_authenticated() { "authEnveloped-data" } else { "enveloped-data" };
        let head = format!(
            "MIME-Version: 1.0\r\n\
             Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
        );
        let mut out = self.outer;
        out.extend_from_slice(head.as_bytes());
        Ok(Output::base64(out, der))
    }
}

/// Every recipient certificate must be valid now.
pub(super) fn check_validity(recipients: &[Certificate]) -> Result<()> {
    let now = clock::now_unix();
    for r in recipients {
        if !cert::valid_at(r, now) {
            let s = cert::Summary::of(r);
            return Err(Error::UnusableCertificate {
                subject: s.emails.first().cloned().unwrap_or_else(|| s.subject.clone()),
                reason: format!("it is valid from {} to {}", s.not_before, s.not_after),
            });
        }
    }
    Ok(())
}
