//! Verifying a signed mail in two steps: [`Verifying::new`] finds the signed content and the
//! signature and says which digests the signers use; [`Verifying::finish`] checks the signatures,
//! with content digests from the host (WebCrypto) or computed in Rust, and returns the mail with
//! the signed entity in place of the S/MIME wrapping.

use core::ops::Range;

use super::{is_openpgp, kind, range_in, sender_in, split, Kind, Sender};
use crate::alg::Digest;
use crate::verify::{Check, ContentDigests, SignatureReport, Signed, VerifyOptions};
use crate::{mime, Error, Result};

/// A signed mail being verified.
#[derive(Debug)]
pub struct Verifying {
    /// The whole mail (detached: the signed content is in here).
    message: Vec<u8>,
    /// The outer header fields and `MIME-Version`.
    prefix: Vec<u8>,
    /// Where the signed content is in `message`; `None` for an opaque signature (it is in `signed`).
    detached: Option<Range<usize>>,
    signed: Signed,
    /// Who the message's From field says it is from ([`super::sender`]).
    sender: Sender,
}

impl Verifying {
    /// Reads a signed mail (multipart/signed, or application/pkcs7-mime with SignedData).
    pub fn new(message: Vec<u8>) -> Result<Verifying> {
        let s = split(&message, 1)?;
        let (detached, signed) = match kind(&s.entity) {
            Kind::DetachedSigned => {
                let [content, signature] = s.entity.children.as_slice() else {
                    return Err(Error::bad(
                        "S/MIME signed message",
                        format!("multipart/signed must have 2 parts, this one has {}", s.entity.children.len()),
                    ));
                };
                (Some(range_in(&message, content.raw)), Signed::parse(&signature.decoded_body()?)?)
            }
            Kind::OpaqueSigned => (None, Signed::parse(&s.entity.decoded_body()?)?),
            Kind::Encrypted => return Err(Error::NotSmime("the message is encrypted; decrypt it first".into())),
            Kind::Plain if is_openpgp(&s.entity) => {
                return Err(Error::NotSmime(
                    "the message is OpenPGP (PGP/MIME), not S/MIME; Siegel reads S/MIME only".into(),
                ))
            }
            Kind::Plain => return Err(Error::NotSmime("the message is not signed".into())),
        };
        if detached.is_none() && signed.encapsulated().is_none() {
            return Err(Error::bad("S/MIME signature", "detached signature without the signed content"));
        }
        let mut prefix = s.outer;
        prefix.extend_from_slice(b"MIME-Version: 1.0\r\n");
        let sender = sender_in(&s.entity.headers);
        Ok(Verifying { message, prefix, detached, signed, sender })
    }

    /// The signed content, to hash.
    pub fn content(&self) -> &[u8] {
        match &self.detached {
            Some(r) => self.message.get(r.clone()).unwrap_or_default(),
            None => self.signed.encapsulated().unwrap_or_default(),
        }
    }

    /// The digest algorithms the signers use: the digests of [`Verifying::content`] to precompute.
    pub fn digests(&self) -> Vec<Digest> {
        self.signed.digests()
    }

    /// Checks the signatures (with `digests` of the content where given) and returns the mail
    /// with the signed entity in place of the S/MIME wrapping, and the report. The From field is
    /// compared with the signers (see [`super::sender`]) unless `options.from` is set.
    pub fn finish(self, digests: &ContentDigests, options: &VerifyOptions) -> Result<(Vec<u8>, SignatureReport)> {
        let (from, misleading) = match (&options.from, &self.sender) {
            (None, Sender::One(address)) => (Some(address.clone()), None),
            (None, Sender::Misleading { reason }) => (None, Some(reason.clone())),
            _ => (None, None),
        };
        let mut report = if from.is_some() {
            let options = VerifyOptions { from, ..options.clone() };
            self.signed.check(self.content(), self.detached.is_some(), digests, &options)?
        } else {
            self.signed.check(self.content(), self.detached.is_some(), digests, options)?
        };
        // A From no signature can vouch for (several senders, a display name showing another address)
        // fails every signer's From check, with the reason.
        if let Some(reason) = misleading {
            for signer in &mut report.signers {
                signer.from_address = Check::Failed { reason: reason.clone() };
            }
        }
        let Verifying { mut message, prefix, detached, signed, .. } = self;
        let mut out = match detached {
            Some(r) => {
                // The content in the mail's own buffer: cut away what is around it.
                message.truncate(r.end);
                message.drain(..r.start);
                message
            }
            None => {
                drop(message);
                signed.encapsulated().unwrap_or_default().to_vec()
            }
        };
        if report.canonicalized {
            out = mime::canonicalize_crlf(&out).into_owned();
        }
        let mut prefix = prefix;
        prefix.extend_from_slice(super::entity_start(&out));
        out.splice(0..0, prefix);
        Ok((out, report))
    }

    /// Checks the signatures with digests computed in Rust.
    pub fn verify(self, options: &VerifyOptions) -> Result<(Vec<u8>, SignatureReport)> {
        self.finish(&ContentDigests::new(), options)
    }
}
