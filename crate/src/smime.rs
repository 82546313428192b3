//! The message level (RFC 8551): turning a whole mail into signed or encrypted S/MIME and back.
//!
//! A mail is split into its RFC 5322 header fields (From, To, Subject, ...), which stay outside,
//! and its MIME entity (the Content-* fields and the body), which is what gets signed or encrypted.
//! Everything written uses CRLF line endings and 7-bit-safe transfer encodings, so that the signed
//! bytes survive transport.

use core::ops::Range;
use std::borrow::Cow;

use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;

use crate::envelope::{self, EncryptOptions, EncryptionInfo};
use crate::identity::Identity;
use crate::mime::{self, Entity};
use crate::sign::SignOptions;
use crate::verify::{SignatureReport, VerifyOptions};
use crate::{cert, Error, Result};

mod decrypting;
mod encrypting;
mod output;
mod signing;
mod verifying;

pub use decrypting::Decrypting;
pub use encrypting::Encrypting;
pub use output::Output;
pub use signing::Signing;
pub use verifying::Verifying;

/// How a signed message is shaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignMode {
    /// multipart/signed with a detached application/pkcs7-signature: readable without S/MIME.
    #[default]
    Detached,
    /// application/pkcs7-mime; smime-type=signed-data: the content is inside the signature.
    Opaque,
}

/// The most layers (signed inside encrypted inside signed ...) Siegel unwraps.
pub const MAX_LAYERS: usize = 8;

/// What kind of S/MIME a MIME entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// multipart/signed.
    DetachedSigned,
    /// application/pkcs7-mime holding SignedData.
    OpaqueSigned,
    /// application/pkcs7-mime holding EnvelopedData or AuthEnvelopedData.
    Encrypted,
    /// Not S/MIME.
    Plain,
}

/// A mail split into its outer RFC 5322 header fields and its MIME entity.
struct Split<'a> {
    /// Header lines that are not Content-* or MIME-Version, each ending in CRLF.
    outer: Vec<u8>,
    entity: Entity<'a>,
}

/// Splits a mail, parsing its MIME structure `levels` deep (see [`mime::parse_levels`]): a large
/// mail's body is scanned only as deep as the caller looks.
fn split(message: &[u8], levels: usize) -> Result<Split<'_>> {
    let entity = mime::parse_levels(message, levels)?;
    let mut outer = Vec::new();
    for h in &entity.headers.0 {
        let lower = h.name.to_ascii_lowercase();
        if lower.starts_with("content-") || lower == "mime-version" {
            continue;
        }
        outer.extend_from_slice(h.name.as_bytes());
        outer.extend_from_slice(b": ");
        outer.extend_from_slice(h.value.as_bytes());
        outer.extend_from_slice(b"\r\n");
    }
    Ok(Split { outer, entity })
}

/// The From address of a mail, if it has one.
pub fn from_address(message: &[u8]) -> Option<String> {
    let entity = mime::parse_levels(message, 0).ok()?;
    let from = entity.headers.get("from")?;
    mime::parse_address_list(from).into_iter().next().map(|a| a.email)
}

/// The MIME entity of a mail, ready to be signed or encrypted: its Content-* header fields and
/// body, in CRLF, with 8-bit or long-line leaf bodies re-encoded (quoted-printable for text,
/// base64 otherwise) so that the signed bytes survive 7-bit transport. The header block (with its
/// empty line) and the body come apart; the body is borrowed from the mail when it needs no change.
struct InnerEntity<'a> {
    header: Vec<u8>,
    body: Cow<'a, [u8]>,
}

fn inner_entity<'a>(e: &Entity<'a>) -> InnerEntity<'a> {
    let mut header = Vec::with_capacity(256);
    let cte = e.headers.get("content-transfer-encoding").map(|v| v.trim().to_ascii_lowercase());
    let needs_encoding = !e.content_type.is_multipart()
        && matches!(cte.as_deref(), None | Some("7bit") | Some("8bit") | Some("binary"))
        && !is_7bit_safe(e.body);
    let mut has_ct = false;
    for h in &e.headers.0 {
        let lower = h.name.to_ascii_lowercase();
        if !lower.starts_with("content-") || (needs_encoding && lower == "content-transfer-encoding") {
            continue;
        }
        has_ct |= lower == "content-type";
        header.extend_from_slice(format!("{}: {}\r\n", h.name, h.value).as_bytes());
    }
    if !has_ct {
        let charset = if e.body.is_ascii() { "us-ascii" } else { "utf-8" };
        header.extend_from_slice(format!("Content-Type: text/plain; charset={charset}\r\n").as_bytes());
    }
    let body = if !needs_encoding {
        header.extend_from_slice(b"\r\n");
        mime::canonicalize_crlf(e.body)
    } else if e.content_type.mime_type.starts_with("text/") {
        header.extend_from_slice(b"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        Cow::Owned(mime::quoted_printable_encode(&mime::canonicalize_crlf(e.body)))
    } else {
        header.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
        Cow::Owned(mime::base64_lines(e.body))
    };
    InnerEntity { header, body }
}

/// A mail taken apart for signing or encrypting: the outer header fields, and the inner entity
/// ([`inner_entity`]) at `entity` in `buf`.
struct LaidOut {
    outer: Vec<u8>,
    buf: Vec<u8>,
    entity: Range<usize>,
}

/// Takes a mail apart, laying out the inner entity in the mail's own buffer when the body needs no
/// change: its header block is written over the end of the mail's header block, just before the
/// body, which stays where it is. Otherwise the entity goes into a new buffer.
fn lay_out(mut message: Vec<u8>) -> Result<LaidOut> {
    let (outer, header, body) = {
        let s = split(&message, 0)?;
        let inner = inner_entity(&s.entity);
        let body = match inner.body {
            Cow::Borrowed(b) => Ok(range_in(&message, b)),
            Cow::Owned(v) => Err(v),
        };
        (s.outer, inner.header, body)
    };
    match body {
        Ok(body) if header.len() <= body.start => {
            let start = body.start - header.len();
            if let Some(room) = message.get_mut(start..body.start) {
                room.copy_from_slice(&header);
            }
            Ok(LaidOut { outer, buf: message, entity: start..body.end })
        }
        Ok(body) => {
            let mut buf = header;
            buf.extend_from_slice(message.get(body).unwrap_or_default());
            let entity = 0..buf.len();
            Ok(LaidOut { outer, buf, entity })
        }
        Err(encoded) => {
            let mut buf = header;
            buf.extend_from_slice(&encoded);
            let entity = 0..buf.len();
            Ok(LaidOut { outer, buf, entity })
        }
    }
}

/// Position of `inner` (a sub-slice of `outer`) in `outer`.
fn range_in(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize);
    start..start + inner.len()
}

fn is_7bit_safe(body: &[u8]) -> bool {
    body.is_ascii() && !body.contains(&0) && body.split(|&b| b == b'\n').all(|l| l.len() <= 998)
}

fn boundary() -> String {
    let mut b = [0u8; 12];
    rand_core::OsRng.fill_bytes(&mut b);
    format!("----=_siegel_{}", cert::hex(&b))
}

fn pkcs7_mime_part(smime_type: &str, der: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&mime::base64_lines(der));
    out
}

/// Signs a whole mail (RFC 5322 on input; its header fields stay outside the signature).
pub fn sign_message(message: &[u8], identity: &Identity, options: &SignOptions, mode: SignMode) -> Result<Vec<u8>> {
    Ok(Signing::new(message.to_vec(), options, mode)?.sign(identity, options)?.into_vec())
}

/// Signs a MIME entity and returns the signed entity (multipart/signed or application/pkcs7-mime).
pub fn sign_entity(entity: &[u8], identity: &Identity, options: &SignOptions, mode: SignMode) -> Result<Vec<u8>> {
    match mode {
        SignMode::Opaque => Ok(pkcs7_mime_part("signed-data", &crate::sign::sign(entity, identity, options, false)?)),
        SignMode::Detached => {
            let der = crate::sign::sign(entity, identity, options, true)?;
            let mut b = boundary();
            while mime::find_bytes(entity, b.as_bytes()).is_some() {
                b = boundary();
            }
            let micalg = crate::alg::Digest::from(options.digest).micalg();
            let mut out = format!(
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={micalg};\r\n \
                 boundary=\"{b}\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--{b}\r\n"
            )
            .into_bytes();
            out.extend_from_slice(entity);
            // The CRLF before the delimiter belongs to the delimiter, not to the signed part.
            out.extend_from_slice(
                format!(
                    "\r\n--{b}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
                     Content-Transfer-Encoding: base64\r\n\
                     Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
                     Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
                )
                .as_bytes(),
            );
            out.extend_from_slice(&mime::base64_lines(&der));
            out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            Ok(out)
        }
    }
}

/// Encrypts a whole mail to `recipients` (include the sender's own certificate to keep Sent readable).
pub fn encrypt_message(message: &[u8], recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
    Ok(Encrypting::new(message.to_vec(), recipients)?.encrypt(recipients, options)?.into_vec())
}

/// Checks that every recipient certificate validates (RFC 5280, through [`crate::trust::validate`]) for
/// encrypting mail to it: a path to a trusted CA, key encipherment, emailProtection, and not revoked when
/// revocation is checked. The error names the recipient (its email) and the reason.
pub fn check_recipients(
    recipients: &[Certificate],
    inputs: &crate::trust::validate::Inputs<'_>,
    options: &crate::trust::validate::ValidationOptions,
) -> Result<()> {
    use crate::trust::validate::{validate, Purpose, TrustVerdict};
    let options = crate::trust::validate::ValidationOptions { purpose: Purpose::EmailEncryption, ..options.clone() };
    for r in recipients {
        let report = validate(r, inputs, &options);
        if report.verdict != TrustVerdict::Trusted {
            let s = cert::Summary::of(r);
            return Err(Error::UnusableCertificate {
                subject: s.emails.first().cloned().unwrap_or(s.subject),
                reason: report.reason().unwrap_or_else(|| "its revocation status is unknown".into()),
            });
        }
    }
    Ok(())
}

/// [`check_recipients`] against the trusted CAs, intermediates, CRLs and OCSP responses of verify options.
pub fn check_recipients_against(recipients: &[Certificate], options: &VerifyOptions) -> Result<()> {
    let anchors: Vec<&Certificate> = options.trust.iter().collect();
    let intermediates: Vec<&Certificate> = options.intermediates.iter().collect();
    let inputs = crate::trust::validate::Inputs {
        anchors: &anchors,
        intermediates: &intermediates,
        crls: &options.crls,
        ocsp_responses: &options.ocsp_responses,
    };
    check_recipients(recipients, &inputs, &options.validation_options())
}

/// Encrypts a MIME entity and returns the application/pkcs7-mime entity.
pub fn encrypt_entity(entity: &[u8], recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
    encrypting::check_validity(recipients)?;
    let der = envelope::encrypt(entity, recipients, options)?;
    let smime_type = if options.cipher.is_authenticated() { "authEnveloped-data" } else { "enveloped-data" };
    Ok(pkcs7_mime_part(smime_type, &der))
}

/// Classifies a parsed entity.
pub fn kind(e: &Entity<'_>) -> Kind {
    let ct = &e.content_type;
    if ct.is("multipart/signed") {
        return Kind::DetachedSigned;
    }
    let p7m_name = e.filename().is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m"));
    if ct.is("application/pkcs7-mime")
        || ct.is("application/x-pkcs7-mime")
        || (ct.is("application/octet-stream") && p7m_name)
    {
        return match ct.param("smime-type").map(|s| s.to_ascii_lowercase()) {
            Some(t) if t == "signed-data" => Kind::OpaqueSigned,
            Some(t) if t == "enveloped-data" || t == "authenveloped-data" => Kind::Encrypted,
            // No (or an unknown) smime-type: look inside.
            _ => match e.decoded_body().ok().and_then(|b| envelope::parse_content_info(&b).ok()) {
                Some(ci) if ci.content_type == crate::oids::SIGNED_DATA => Kind::OpaqueSigned,
                Some(_) => Kind::Encrypted,
                None => Kind::Plain,
            },
        };
    }
    Kind::Plain
}

/// Decrypts an encrypted mail; returns the mail with the decrypted entity in place of the
/// application/pkcs7-mime one, and what protected it.
pub fn decrypt_message(message: &[u8], identity: &Identity) -> Result<(Vec<u8>, EncryptionInfo)> {
    Decrypting::new(message.to_vec(), identity)?.decrypt()
}

/// Verifies a signed mail (detached or opaque). Returns the mail with the signed entity in place
/// of the S/MIME wrapping, and the report. The From header is compared with the signer unless
/// `options.from` is already set.
pub fn verify_message(message: &[u8], options: &VerifyOptions) -> Result<(Vec<u8>, SignatureReport)> {
    Verifying::new(message.to_vec())?.verify(options)
}

/// One layer of protection, outermost first.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "layer", rename_all = "camelCase")]
// A mail has a handful of layers at most (MAX_LAYERS); boxing would only add noise for callers.
#[allow(clippy::large_enum_variant)]
pub enum Layer {
    /// An encryption layer.
    Encrypted(EncryptionInfo),
    /// A signature layer.
    Signed(SignatureReport),
}

/// A mail with every S/MIME layer unwrapped.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    /// The layers, outermost first.
    pub layers: Vec<Layer>,
    /// The innermost mail: the outer header fields and the plain MIME entity.
    #[serde(skip)]
    pub message: Vec<u8>,
}

/// Decrypts and verifies every layer of a mail (signed inside encrypted, encrypted inside signed,
/// triple-wrapped). An encrypted layer without an identity is an error.
pub fn open_message(message: &[u8], identity: Option<&Identity>, options: &VerifyOptions) -> Result<Opened> {
    open_owned(message.to_vec(), identity, options)
}

/// [`open_message`], taking the mail's buffer: every layer is unwrapped in place where it can be.
pub fn open_owned(message: Vec<u8>, identity: Option<&Identity>, options: &VerifyOptions) -> Result<Opened> {
    let mut layers = Vec::new();
    let mut current = message;
    let mut options = options.clone();
    if options.from.is_none() {
        options.from = from_address(&current);
    }
    for _ in 0..MAX_LAYERS {
        match kind_of(&current)? {
            Kind::Encrypted => {
                let (next, info) = Decrypting::new(current, need_identity(identity)?)?.decrypt()?;
                layers.push(Layer::Encrypted(info));
                current = next;
            }
            Kind::DetachedSigned | Kind::OpaqueSigned => {
                let (next, report) = Verifying::new(current)?.verify(&options)?;
                layers.push(Layer::Signed(report));
                current = next;
            }
            Kind::Plain => return Ok(Opened { layers, message: current }),
        }
    }
    Err(too_many_layers())
}

/// What kind of S/MIME a whole mail is.
pub fn kind_of(message: &[u8]) -> Result<Kind> {
    Ok(kind(&mime::parse_levels(message, 0)?))
}

/// The identity an encrypted layer needs, or the error that says so.
pub fn need_identity(identity: Option<&Identity>) -> Result<&Identity> {
    identity.ok_or_else(|| Error::InvalidArgument("the message is encrypted; an identity is needed to read it".into()))
}

/// The error for a mail with more than [`MAX_LAYERS`] layers.
pub fn too_many_layers() -> Error {
    Error::LimitExceeded(format!("more than {MAX_LAYERS} nested S/MIME layers"))
}
