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
use crate::verify::{self, SignatureReport, VerifyOptions};
use crate::{cert, Error, Result};

mod decrypting;
mod encrypting;
mod output;
mod signing;
mod verifying;

pub use decrypting::{Decrypting, Unwrapping};
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

/// What goes between the outer header fields and the content of a layer (decrypted, or taken out of an
/// opaque signature) when the content is not a MIME entity: some senders sign or encrypt a bare text
/// payload, which would otherwise run on inside the header block. Text (UTF-8) becomes a text/plain
/// entity; anything else an application/octet-stream one. Nothing is added before a MIME entity.
pub(crate) fn entity_start(content: &[u8]) -> &'static [u8] {
    if mime::starts_with_header_section(content) {
        b""
    } else if std::str::from_utf8(content).is_ok() {
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    } else {
        b"Content-Type: application/octet-stream\r\n\r\n"
    }
}

/// The From address of a mail, if it has one.
pub fn from_address(message: &[u8]) -> Option<String> {
    match sender(message) {
        Sender::One(address) => Some(address),
        Sender::Missing | Sender::Misleading { .. } => None,
    }
}

/// Who a mail says it is from, as far as a signature can vouch for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    /// No From header field (or no address in it).
    Missing,
    /// One From address, with nothing misleading around it.
    One(String),
    /// A From that a signature cannot vouch for, and why: several From fields or addresses, or a
    /// display name that shows another address than the one the mail is from.
    Misleading {
        /// Readable, for the From check of every signer.
        reason: String,
    },
}

/// Reads the From header field of a mail for comparing it with a signer's certificate. Beyond the
/// address, it looks for the spoofing tricks of "Johnny, you are fired" (2019): several From fields or
/// addresses (readers show one of them), and a display name that is itself an address (`"alice@example.com"
/// <mallory@example.net>`, plain or RFC 2047 encoded), which readers show instead of the address.
pub fn sender(message: &[u8]) -> Sender {
    match mime::parse_levels(message, 0) {
        Ok(entity) => sender_in(&entity.headers),
        Err(_) => Sender::Missing,
    }
}

/// [`sender`], from header fields already parsed.
pub fn sender_in(headers: &mime::Headers) -> Sender {
    let fields: Vec<&str> = headers.get_all("from").collect();
    let Some(first) = fields.first() else { return Sender::Missing };
    if fields.len() > 1 {
        return Sender::Misleading { reason: format!("the mail has {} From header fields", fields.len()) };
    }
    let addresses = mime::parse_address_list(first);
    let [address] = addresses.as_slice() else {
        if addresses.is_empty() {
            return Sender::Missing;
        }
        let list: Vec<&str> = addresses.iter().map(|a| a.email.as_str()).collect();
        return Sender::Misleading {
            reason: format!(
                "the mail names {} senders ({}), and a signature can vouch for one",
                list.len(),
                list.join(", ")
            ),
        };
    };
    let email = address.email.trim().to_string();
    let name = address.display_name.as_deref().map(mime::decode_header_words).unwrap_or_default();
    if let Some(shown) = addresses_in(&name).into_iter().find(|a| !a.eq_ignore_ascii_case(&email)) {
        return Sender::Misleading { reason: format!("the sender's name shows {shown}, but the mail is from {email}") };
    }
    Sender::One(email)
}

/// The things that look like mail addresses in free text (a display name).
fn addresses_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "<>()[]\"',;:".contains(c))
        .filter(|w| w.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.')))
        .map(str::to_string)
        .collect()
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
                subject: s.emails.first().cloned().unwrap_or_else(|| s.subject.clone()),
                reason: report.reason().unwrap_or_else(|| "its revocation status is unknown".into()),
            });
        }
    }
    Ok(())
}

/// [`check_recipients`] against the trusted CAs, intermediates, CRLs and OCSP responses of verify options.
pub fn check_recipients_against(recipients: &[Certificate], options: &VerifyOptions) -> Result<()> {
    with_inputs(options, |inputs| check_recipients(recipients, inputs, &options.validation_options()))
}

/// Runs `f` with the path-validation inputs of verify options: trusted CAs, intermediates, CRLs and OCSP
/// responses.
fn with_inputs<T>(options: &VerifyOptions, f: impl FnOnce(&crate::trust::validate::Inputs<'_>) -> T) -> T {
    let anchors: Vec<&Certificate> = options.trust.iter().collect();
    let intermediates: Vec<&Certificate> = options.intermediates.iter().collect();
    f(&crate::trust::validate::Inputs {
        anchors: &anchors,
        intermediates: &intermediates,
        crls: &options.crls,
        ocsp_responses: &options.ocsp_responses,
    })
}

/// Where revocation data for the recipients can be had, for a host that checks revocation before it
/// encrypts (the extension fetches them, then calls [`check_recipients_against`] with the CRLs and OCSP
/// responses it got): the CRL distribution points and OCSP responders of the certificates on the path of
/// every recipient whose revocation status the CRLs and OCSP responses in `options` leave undecided.
/// Duplicates (a CA shared by several recipients) are listed once. Empty when everything is decided, and
/// for a recipient whose path fails any other check, so that only certificates that chain to a trusted CA
/// (with valid signatures) can make the host fetch anything ([`check_recipients_against`] says why not).
pub fn recipient_revocation_sources(
    recipients: &[Certificate],
    options: &VerifyOptions,
) -> Vec<verify::RevocationSource> {
    use crate::trust::validate::{validate, MissingRevocation, Purpose, TrustVerdict};
    let validation = crate::trust::validate::ValidationOptions {
        purpose: Purpose::EmailEncryption,
        check_revocation: true,
        missing_revocation: MissingRevocation::Unknown,
        ..options.validation_options()
    };
    with_inputs(options, |inputs| {
        let mut out: Vec<verify::RevocationSource> = Vec::new();
        for r in recipients {
            let report = validate(r, inputs, &validation);
            // Only a path that passes every other check: a certificate whose signature or chain fails must
            // not send the host to the addresses it names.
            if report.verdict == TrustVerdict::Unknown {
                for source in verify::revocation_sources(&report) {
                    if !out.contains(&source) {
                        out.push(source);
                    }
                }
            }
        }
        out
    })
}

/// Encrypts a MIME entity and returns the application/pkcs7-mime entity.
pub fn encrypt_entity(entity: &[u8], recipients: &[Certificate], options: &EncryptOptions) -> Result<Vec<u8>> {
    encrypting::check_validity(recipients)?;
    let der = envelope::encrypt(entity, recipients, options)?;
    let smime_type = if options.cipher.is_authenticated() { "authEnveloped-data" } else { "enveloped-data" };
    Ok(pkcs7_mime_part(smime_type, &der))
}

/// True when the entity is OpenPGP (RFC 3156 PGP/MIME): multipart/signed with protocol
/// application/pgp-signature, or multipart/encrypted with application/pgp-encrypted. Siegel reads
/// S/MIME only; such a mail is plain to it, and a reader says what it is.
pub fn is_openpgp(e: &Entity<'_>) -> bool {
    let ct = &e.content_type;
    let protocol = ct.param("protocol").map(|p| p.trim().to_ascii_lowercase());
    (ct.is("multipart/signed") && protocol.as_deref() == Some("application/pgp-signature"))
        || (ct.is("multipart/encrypted") && protocol.as_deref() == Some("application/pgp-encrypted"))
}

/// Classifies a parsed entity. multipart/signed is S/MIME when its protocol is
/// application/(x-)pkcs7-signature, or not given (some senders leave it out); any other protocol
/// (PGP/MIME's application/pgp-signature) is not S/MIME.
pub fn kind(e: &Entity<'_>) -> Kind {
    let ct = &e.content_type;
    if ct.is("multipart/signed") {
        return match ct.param("protocol").map(|p| p.trim().to_ascii_lowercase()) {
            None => Kind::DetachedSigned,
            Some(p) if p == "application/pkcs7-signature" || p == "application/x-pkcs7-signature" => {
                Kind::DetachedSigned
            }
            Some(_) => Kind::Plain,
        };
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
            _ => match e.decoded_body().ok().and_then(|b| crate::cms_common::parse_content_info(&b).ok()) {
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

/// The S/MIME parts of a MIME tree, depth first.
fn nested_smime(e: &Entity<'_>, out: &mut Vec<Kind>) {
    match kind(e) {
        Kind::Plain => e.children.iter().for_each(|c| nested_smime(c, out)),
        k => out.push(k),
    }
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
    /// S/MIME parts found inside the innermost mail that are not the whole mail: a signed part in an
    /// unsigned multipart/mixed, an encrypted part between plain ones. They are neither verified nor
    /// decrypted: a signature over part of a mail says nothing about the rest, and decrypting a part
    /// to show it next to an attacker's parts is the EFAIL direct exfiltration attack. A reader says so.
    pub unopened_parts: Vec<Kind>,
    /// True when the innermost mail is OpenPGP (PGP/MIME, [`is_openpgp`]), which Siegel does not read.
    pub openpgp: bool,
    /// Which signature, if any, vouches for the mail shown, by the layering rules ([`attribution`]).
    pub attribution: Attribution,
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
    loop {
        let (k, multipart) = kind_and_multipart(&current)?;
        if k != Kind::Plain && layers.len() >= MAX_LAYERS {
            return Err(too_many_layers());
        }
        match k {
            Kind::Encrypted => {
                may_decrypt(&layers)?;
                let (next, info) = Decrypting::new(current, need_identity(identity)?)?.decrypt()?;
                layers.push(Layer::Encrypted(info));
                current = next;
            }
            Kind::DetachedSigned | Kind::OpaqueSigned => {
                let (next, report) = Verifying::new(current)?.verify(options)?;
                layers.push(Layer::Signed(report));
                current = next;
            }
            Kind::Plain => {
                let unopened_parts = if multipart { unopened_parts(&current)? } else { Vec::new() };
                let openpgp = multipart && openpgp_message(&current);
                let attribution = attribution(&layers);
                return Ok(Opened { layers, unopened_parts, openpgp, attribution, message: current });
            }
        }
    }
}

/// The S/MIME parts nested inside a plain mail (see [`Opened::unopened_parts`]).
pub fn unopened_parts(message: &[u8]) -> Result<Vec<Kind>> {
    let entity = mime::parse(message)?;
    let mut out = Vec::new();
    for child in &entity.children {
        nested_smime(child, &mut out);
    }
    Ok(out)
}

/// What kind of S/MIME a whole mail is.
pub fn kind_of(message: &[u8]) -> Result<Kind> {
    Ok(kind_and_multipart(message)?.0)
}

/// [`kind_of`], and whether the mail is a multipart: only a multipart can have
/// [`unopened_parts`], so a single-part plain mail needs no second parse for them.
pub fn kind_and_multipart(message: &[u8]) -> Result<(Kind, bool)> {
    let entity = mime::parse_levels(message, 0)?;
    Ok((kind(&entity), entity.content_type.is_multipart()))
}

/// Which signature layer vouches for the mail a reader shows. The layering rules, against the
/// surreptitious-forwarding and reply-exfiltration shapes (a signature that wraps someone else's
/// signed or encrypted message):
///
/// 1. Exactly one signature layer, with no encrypted layer inside it: it vouches for the content
///    ([`Attribution::Signed`]); encrypted(signed) is the normal S/MIME shape.
/// 2. One signature layer with an encrypted layer inside it (encrypt-then-sign): the signer signed
///    ciphertext, which anyone can re-sign without reading it; it vouches for nothing shown
///    ([`Attribution::OverCiphertext`]: the content reads as not signed).
/// 3. Two or more signature layers, anywhere (signed(signed), triple wrapping signed(encrypted(signed)),
///    encrypted(signed(signed))): no signature counts ([`Attribution::Wrapped`], not trusted).
/// 4. An encrypted layer below two or more signature layers is not decrypted at all
///    ([`may_decrypt`]), so no plaintext exists that a reply could quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "camelCase")]
pub enum Attribution {
    /// No signature layer.
    Unsigned,
    /// One signature layer, inside any encryption: its verdict is the mail's.
    Signed,
    /// One signature layer, over an encrypted layer: it says nothing about the content.
    #[serde(rename_all = "camelCase")]
    OverCiphertext {
        /// Who signed the ciphertext (their emails, or subjects).
        signers: Vec<String>,
    },
    /// Two or more signature layers: none counts.
    #[serde(rename_all = "camelCase")]
    Wrapped {
        /// The signers of each signature layer, outermost first.
        signers: Vec<String>,
    },
}

impl Attribution {
    /// Why no signature counts, for people; `None` when the mail's signature (or its absence) speaks
    /// for itself.
    pub fn reason(&self) -> Option<String> {
        match self {
            Attribution::Unsigned | Attribution::Signed => None,
            Attribution::OverCiphertext { signers } => Some(format!(
                "{} signed only the encrypted form of this mail, which anyone can sign without reading it: the \
                 content is not signed",
                signers.join(", ")
            )),
            Attribution::Wrapped { signers } => Some(format!(
                "this mail wraps a signed message inside another signature ({}): it cannot be attributed to any of \
                 them",
                signers.join(" around ")
            )),
        }
    }
}

fn signer_names(report: &crate::verify::SignatureReport) -> String {
    let names: Vec<String> = report
        .signers
        .iter()
        .map(|s| {
            s.certificate
                .as_ref()
                .map(|c| c.emails.first().cloned().unwrap_or_else(|| c.subject.clone()))
                .unwrap_or_else(|| "an unknown signer".into())
        })
        .collect();
    if names.is_empty() {
        "nobody".into()
    } else {
        names.join(" and ")
    }
}

/// The [`Attribution`] of a mail's layers, outermost first.
pub fn attribution(layers: &[Layer]) -> Attribution {
    let signed: Vec<(usize, &crate::verify::SignatureReport)> = layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l {
            Layer::Signed(r) => Some((i, r)),
            Layer::Encrypted(_) => None,
        })
        .collect();
    match signed.as_slice() {
        [] => Attribution::Unsigned,
        [(i, report)] if layers[i + 1..].iter().any(|l| matches!(l, Layer::Encrypted(_))) => {
            Attribution::OverCiphertext { signers: vec![signer_names(report)] }
        }
        [_] => Attribution::Signed,
        many => Attribution::Wrapped { signers: many.iter().map(|(_, r)| signer_names(r)).collect() },
    }
}

/// Whether an encrypted layer met below `layers` may be decrypted: not below two or more signature
/// layers (rule 4 of [`Attribution`]).
pub fn may_decrypt(layers: &[Layer]) -> Result<()> {
    let signed = layers.iter().filter(|l| matches!(l, Layer::Signed(_))).count();
    if signed >= 2 {
        return Err(Error::Refused(
            "an encrypted part below two signature layers is not decrypted: someone wrapped a message encrypted \
             to you in signatures of their own, and replying to its plaintext could send it to them"
                .into(),
        ));
    }
    Ok(())
}

/// What a mail is on its face, read from its MIME structure alone: no key is used and no
/// signature checked, so it is the same whoever asks and whatever the keys would say. A reader
/// decides with it what to show before anything secret happens (the extension inserts its reader
/// frame for every mail of one shape, whether it will decrypt or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    /// The top-level kind.
    pub kind: Kind,
    /// The top level is OpenPGP (PGP/MIME), which Siegel does not read.
    pub openpgp: bool,
    /// How many S/MIME parts a plain mail holds below its top level (see [`unopened_parts`]).
    pub unopened_parts: usize,
}

/// The [`Shape`] of a mail.
pub fn shape(message: &[u8]) -> Result<Shape> {
    let (kind, multipart) = kind_and_multipart(message)?;
    let unopened = if kind == Kind::Plain && multipart { unopened_parts(message)?.len() } else { 0 };
    Ok(Shape { kind, openpgp: openpgp_message(message), unopened_parts: unopened })
}

/// True when the mail's top-level entity is OpenPGP ([`is_openpgp`]).
pub fn openpgp_message(message: &[u8]) -> bool {
    mime::parse_levels(message, 0).is_ok_and(|e| is_openpgp(&e))
}

/// The identity an encrypted layer needs, or the error that says so.
pub fn need_identity(identity: Option<&Identity>) -> Result<&Identity> {
    identity.ok_or_else(|| Error::InvalidArgument("the message is encrypted; an identity is needed to read it".into()))
}

/// The error for a mail with more than [`MAX_LAYERS`] layers.
pub fn too_many_layers() -> Error {
    Error::LimitExceeded(format!("more than {MAX_LAYERS} nested S/MIME layers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_are_limited() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
        let alice = Identity::from_pkcs12(&std::fs::read(format!("{dir}/alice.p12")).unwrap(), "secret").unwrap();
        let mut mail = b"From: alice@example.com\r\nContent-Type: text/plain\r\n\r\nhi\r\n".to_vec();
        for layers in 1..=MAX_LAYERS + 1 {
            mail = sign_message(&mail, &alice, &SignOptions::default(), SignMode::Opaque).unwrap();
            let opened = open_message(&mail, None, &VerifyOptions::default());
            if layers <= MAX_LAYERS {
                assert_eq!(opened.unwrap().layers.len(), layers);
            } else {
                assert!(matches!(opened, Err(Error::LimitExceeded(_))), "{opened:?}");
            }
        }
    }
    /// PGP/MIME (RFC 3156) is OpenPGP, not S/MIME: a plain mail that a reader can name, never a
    /// "malformed BER" S/MIME error (its signature part is an OpenPGP packet, not CMS).
    #[test]
    fn pgp_mime_is_recognised_as_not_smime() {
        let signed = b"From: dana@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol=\"application/pgp-signature\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n-----END PGP SIGNATURE-----\r\n--b--\r\n";
        let encrypted = b"From: dana@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/encrypted;\r\n protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n";
        for mail in [&signed[..], &encrypted[..]] {
            assert_eq!(kind_of(mail).unwrap(), Kind::Plain);
            let opened = open_message(mail, None, &VerifyOptions::default()).unwrap();
            assert!(opened.layers.is_empty() && opened.openpgp);
        }
        let err = verify_message(signed, &VerifyOptions::default()).unwrap_err().to_string();
        assert!(err.contains("OpenPGP"), "{err}");
        // S/MIME's multipart/signed, with the protocol or without it, is still S/MIME.
        let smime =
            String::from_utf8_lossy(signed).replace("application/pgp-signature\"", "application/pkcs7-signature\"");
        assert_eq!(kind_of(smime.as_bytes()).unwrap(), Kind::DetachedSigned);
        let bare = String::from_utf8_lossy(signed).replace(";\r\n protocol=\"application/pgp-signature\"", "");
        assert_eq!(kind_of(bare.as_bytes()).unwrap(), Kind::DetachedSigned);
        assert!(
            !open_message(b"Content-Type: text/plain\r\n\r\nhi\r\n", None, &VerifyOptions::default()).unwrap().openpgp
        );
    }

    /// A mail's shape is read from its MIME structure alone, for every kind a reader meets.
    #[test]
    fn the_shape_of_a_mail_needs_no_key() {
        let attacks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/attacks");
        let read = |name: &str| std::fs::read(format!("{attacks}/{name}")).unwrap();
        let plain = b"From: a@example.com\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
        assert_eq!(shape(plain).unwrap(), Shape { kind: Kind::Plain, openpgp: false, unopened_parts: 0 });
        let encrypted = shape(&read("cbc-remote.eml")).unwrap();
        assert_eq!((encrypted.kind, encrypted.unopened_parts), (Kind::Encrypted, 0));
        // EFAIL's shape: an encrypted part between attacker HTML parts is a plain mail with one part left unopened.
        let efail = shape(&read("efail-direct.eml")).unwrap();
        assert_eq!((efail.kind, efail.openpgp), (Kind::Plain, false));
        assert!(efail.unopened_parts >= 1, "{efail:?}");
        let pgp = b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b--\r\n";
        assert_eq!(shape(pgp).unwrap(), Shape { kind: Kind::Plain, openpgp: true, unopened_parts: 0 });
        // Bytes with no header section read as a plain body, as every reader of the mail reads them.
        assert_eq!(
            shape(b"\x00\x01 not a mail").unwrap(),
            Shape { kind: Kind::Plain, openpgp: false, unopened_parts: 0 }
        );
    }

    /// Some senders encrypt or opaquely sign a bare text payload, not a MIME entity: it is read as the
    /// text of the mail, not spliced into its header block (where a reader would show nothing).
    #[test]
    fn a_bare_payload_inside_a_layer_is_the_text_of_the_mail() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
        let p12 =
            |name: &str| Identity::from_pkcs12(&std::fs::read(format!("{dir}/{name}.p12")).unwrap(), "secret").unwrap();
        let (alice, bob) = (p12("alice"), p12("bob"));
        let bob_cert = cert::parse_certificates(&std::fs::read(format!("{dir}/bob.crt")).unwrap()).unwrap();
        let payload =
            "Note: this text has no MIME headers, though its first line looks like one.\r\nHallo Bob,\r\nGrüße\r\n";
        let outer = b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Bare\r\nMIME-Version: 1.0\r\n";
        let encrypted =
            [&outer[..], &encrypt_entity(payload.as_bytes(), &bob_cert, &EncryptOptions::default()).unwrap()].concat();
        let signed =
            [&outer[..], &sign_entity(payload.as_bytes(), &alice, &SignOptions::default(), SignMode::Opaque).unwrap()]
                .concat();
        for (mail, identity) in [(encrypted, Some(&bob)), (signed, None)] {
            let opened = open_message(&mail, identity, &VerifyOptions::default()).unwrap();
            let entity = mime::parse(&opened.message).unwrap();
            let readable = mime::readable(&entity).unwrap();
            assert_eq!(readable.text.as_deref(), Some(payload), "{}", String::from_utf8_lossy(&opened.message));
            assert!(readable.headers.contains(&("Subject".into(), "Bare".into())), "{:?}", readable.headers);
        }
        // Binary that is not text becomes an attachment, not text.
        let binary =
            [&outer[..], &encrypt_entity(&[0xff, 0xfe, 0x00, 0x80], &bob_cert, &EncryptOptions::default()).unwrap()]
                .concat();
        let opened = open_message(&binary, Some(&bob), &VerifyOptions::default()).unwrap();
        let readable = mime::readable(&mime::parse(&opened.message).unwrap()).unwrap();
        assert_eq!(readable.text, None);
        assert_eq!(readable.attachments.first().map(|a| a.data.clone()), Some(vec![0xff, 0xfe, 0x00, 0x80]));
        // A MIME entity is left as it is.
        let entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n";
        let mail = [&outer[..], &encrypt_entity(entity, &bob_cert, &EncryptOptions::default()).unwrap()].concat();
        let opened = open_message(&mail, Some(&bob), &VerifyOptions::default()).unwrap();
        assert!(opened
            .message
            .ends_with(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"));
    }

    use crate::trust::crl::Crl;
    use crate::trust::validate::MissingRevocation;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn data(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path)
    }

    fn certs(path: &str) -> Vec<Certificate> {
        cert::parse_certificates(&std::fs::read(data(path)).unwrap()).unwrap()
    }

    fn crls(paths: &[&str]) -> Vec<Crl> {
        paths.iter().flat_map(|p| Crl::parse_all(&std::fs::read(data(p)).unwrap()).unwrap()).collect()
    }

    /// A recipient certificate issued by the test PKI's issuing CA (on Bob's key) that names where its
    /// revocation status is published: a CRL distribution point and an OCSP responder.
    fn erin() -> Certificate {
        let dir = std::env::temp_dir().join(format!("siegel-smime-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").current_dir(&dir).args(args).output().unwrap_or_else(|e| {
                panic!("this test needs the openssl 3 CLI (installed by the project's setup), it did not run: {e}")
            });
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        std::fs::write(
            dir.join("ext.cnf"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=emailProtection\nsubjectAltName=email:erin@example.com\n\
             crlDistributionPoints=URI:http://crl.example.test/issuing.crl\n\
             authorityInfoAccess=OCSP;URI:http://ocsp.example.test/\n",
        )
        .unwrap();
        let (key, ca, ca_key) = (data("pki/bob.key"), data("pki/intermediate.crt"), data("pki/intermediate.key"));
        let s = |p: &Path| p.to_str().unwrap().to_string();
        openssl(&["req", "-new", "-key", &s(&key), "-subj", "/O=Siegel Test/CN=Erin", "-out", "erin.csr"]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "erin.csr",
            "-CA",
            &s(&ca),
            "-CAkey",
            &s(&ca_key),
            "-set_serial",
            "0x5EC1E2",
            "-days",
            "30",
            "-extfile",
            "ext.cnf",
            "-out",
            "erin.crt",
        ]);
        let cert = cert::parse_certificates(&std::fs::read(dir.join("erin.crt")).unwrap()).unwrap().remove(0);
        let _ = std::fs::remove_dir_all(&dir);
        cert
    }

    fn options(crl_files: &[&str]) -> VerifyOptions {
        VerifyOptions {
            trust: certs("pki/root.crt"),
            intermediates: certs("pki/intermediate.crt"),
            crls: crls(crl_files),
            ..VerifyOptions::default()
        }
    }

    #[test]
    fn revocation_sources_of_recipients_are_what_is_undecided() {
        let erin = erin();
        // Nothing supplied: Erin's CRL distribution point and OCSP responder, once even for two recipients
        // on the same path. The issuing CA names no source of its own, so it adds nothing.
        let sources = recipient_revocation_sources(&[erin.clone(), erin.clone()], &options(&[]));
        let listed: Vec<(&str, &str)> = sources.iter().map(|s| (s.kind, s.url.as_str())).collect();
        assert_eq!(listed, [("crl", "http://crl.example.test/issuing.crl"), ("ocsp", "http://ocsp.example.test/")]);
        assert!(sources.iter().all(|s| s.certificate.contains("CN=Erin")));
        assert!(sources[1].request.as_ref().is_some_and(|r| !r.is_empty()) && sources[1].request_base64.is_some());
        // The CRLs decide every certificate of the path: nothing left to fetch, and Erin may be encrypted to.
        let decided = options(&["crl/root.crl", "crl/intermediate.crl"]);
        assert!(recipient_revocation_sources(std::slice::from_ref(&erin), &decided).is_empty());
        let strict = VerifyOptions { check_revocation: true, missing_revocation: MissingRevocation::Fail, ..decided };
        check_recipients_against(std::slice::from_ref(&erin), &strict).unwrap();
        // Alice's certificate is on the issuing CA's CRL: refused, naming her and the reason.
        let err = check_recipients_against(&certs("pki/alice.crt"), &strict).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("alice@example.com") && text.contains("revoked") && text.contains("KeyCompromise"),
            "{text}"
        );
        // Without the issuing CA's CRL Erin's status is unknown, which refuses her under MissingRevocation::Fail.
        let unknown = VerifyOptions { crls: crls(&["crl/root.crl"]), ..strict };
        let text = check_recipients_against(std::slice::from_ref(&erin), &unknown).unwrap_err().to_string();
        assert!(text.contains("erin@example.com") && text.contains("revocation status"), "{text}");
        // A path that fails for another reason lists nothing: the check says why.
        let untrusted = VerifyOptions { trust: certs("pki/other-root.crt"), ..options(&[]) };
        assert!(recipient_revocation_sources(std::slice::from_ref(&erin), &untrusted).is_empty());
        // Nor does a certificate whose signature is bad, even under a trusted, undecided CA.
        let mut der = der::Encode::to_der(&erin).unwrap();
        *der.last_mut().unwrap() ^= 1;
        let forged = cert::parse_certificates(&der).unwrap();
        assert!(recipient_revocation_sources(&forged, &options(&[])).is_empty());
    }

    #[test]
    fn a_signer_sends_the_reader_to_its_revocation_sources_only_when_otherwise_trusted() {
        let bob = Identity::from_pkcs12(&std::fs::read(data("pki/bob.p12")).unwrap(), "secret").unwrap();
        let key = bob.pairs()[0].private_key_pkcs8().unwrap();
        let erin = Identity::new(vec![crate::identity::KeyPair::new(&key, erin()).unwrap()], vec![]).unwrap();
        let mut der =
            crate::sign::sign(b"Content-Type: text/plain\r\n\r\nhi\r\n", &erin, &SignOptions::default(), false)
                .unwrap();
        let checking = |trust: &str| VerifyOptions { trust: certs(trust), check_revocation: true, ..options(&[]) };
        let sources = |der: &[u8], o: &VerifyOptions| {
            verify::verify(der, None, o).unwrap().report.signers[0].revocation_sources.len()
        };
        assert_eq!(sources(&der, &checking("pki/root.crt")), 2, "a trusted path, undecided: its CRL and OCSP URLs");
        assert_eq!(sources(&der, &checking("pki/other-root.crt")), 0, "an untrusted path names nothing to fetch");
        // A broken signature (the last byte of the signature value) names nothing either.
        *der.last_mut().unwrap() ^= 1;
        assert_eq!(sources(&der, &checking("pki/root.crt")), 0);
    }
}
