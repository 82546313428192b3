//! The WebAssembly API: a thin wasm-bindgen layer over the plain Rust API, for the extension's
//! service worker.
//!
//! Bytes go in and out as `Uint8Array`; options and reports are plain JavaScript objects
//! (camelCase; options read by `options`, reports written as JSON and parsed). Every error is thrown as a JavaScript `Error` whose `name`
//! is the stable [`Error::code`] (e.g. `"wrong-password"`) and whose `message` is readable.
//!
//! ```js
//! const alice = Identity.fromPkcs12(p12Bytes, password);
//! const signed = signMessage(mailBytes, alice, { digest: "sha256" });
//! const sealed = encryptMessage(signed, [bobCertDer, aliceCertDer], { cipher: "aes-256-gcm" });
//! const opened = alice.openMessage(sealed, { trust: [rootDer] }); // { message, layers }
//! ```
//!
//! Each message operation also comes as `...Async`, returning a Promise: the same result, byte for
//! byte, with the bulk work (the SHA-2 digest of the content, AES-CBC/AES-GCM over it) done by the
//! host's WebCrypto where it has it, and by the same Rust code as the synchronous API otherwise
//! (see [`webcrypto`]). The extension uses these.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use x509_cert::Certificate;

use crate::alg::{Cipher, IdentifierKind, KeyTransport, SignatureScheme, SigningDigest};
use crate::envelope::{ContentKey, EncryptOptions};
use crate::sign::{ChainInclusion, SignOptions};
use crate::smime::{self, Decrypting, Encrypting, Kind, Layer, Opened, SignMode, Signing, Verifying};
use crate::trust::crl::Crl;
use crate::trust::validate::MissingRevocation;
use crate::verify::ContentDigests;
use crate::verify::VerifyOptions;
use crate::{cert, clock, identity, inspect, mime, Error};

mod options;
pub mod webcrypto;

use options::Members;

type JsResult<T> = core::result::Result<T, JsValue>;

/// Turns a crate error into a thrown JavaScript `Error` named after its code.
fn throw(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(e.code());
    err.into()
}

/// A report as a plain JS object: JSON text parsed by the engine (one call across the boundary, and
/// serde_json's serializer is smaller than building the object property by property).
fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let json = serde_json::to_string(value).map_err(|e| throw(Error::InvalidArgument(e.to_string())))?;
    js_sys::JSON::parse(&json)
}

/// Reads an options object (see [`options`]); `undefined` or `null` gives `T::default()`.
fn from_js<T: Default>(value: JsValue, what: &str, read: fn(&Members<'_>) -> crate::Result<T>) -> JsResult<T> {
    match Members::of(value, what).map_err(throw)? {
        Some(members) => read(&members).map_err(throw),
        None => Ok(T::default()),
    }
}

fn set(obj: &js_sys::Object, key: &str, value: &JsValue) -> JsResult<()> {
    js_sys::Reflect::set(obj, &JsValue::from_str(key), value).map(|_| ())
}

/// A JS array of the certificates' DER, as `Uint8Array`s.
fn der_array<'a>(certificates: impl IntoIterator<Item = &'a Certificate>) -> JsResult<js_sys::Array> {
    use der::Encode;
    let out = js_sys::Array::new();
    for c in certificates {
        out.push(&bytes(&c.to_der().map_err(|e| throw(Error::Crypto(e.to_string())))?));
    }
    Ok(out)
}

fn bytes(data: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(data).into()
}

fn certificates(list: &[Vec<u8>]) -> JsResult<Vec<Certificate>> {
    let mut out = Vec::new();
    for c in list {
        out.extend(cert::parse_certificates(c).map_err(throw)?);
    }
    Ok(out)
}

/// A user's keys and certificates, imported from PKCS#12. The private keys stay inside wasm memory.
#[wasm_bindgen]
pub struct Identity(identity::Identity);

#[wasm_bindgen]
impl Identity {
    /// Reads a .p12/.pfx file. Throws `wrong-password`, `no-private-key`, `malformed`, ...
    #[wasm_bindgen(js_name = fromPkcs12)]
    pub fn from_pkcs12(data: &[u8], password: &str) -> JsResult<Identity> {
        identity::Identity::from_pkcs12(data, password).map(Identity).map_err(throw)
    }

    /// Adds the keys of `other` (an older or newer export of the same person) to this identity.
    pub fn merge(&mut self, other: &Identity) {
        self.0.merge(other.0.clone());
    }

    /// The email addresses the identity's certificates name.
    pub fn emails(&self) -> Vec<String> {
        self.0.emails()
    }

    /// Summaries of the certificates that have a private key here, newest first.
    #[wasm_bindgen(js_name = keyCertificates)]
    pub fn key_certificates(&self) -> JsResult<JsValue> {
        let list: Vec<cert::Summary> = self.0.pairs().iter().map(|p| cert::Summary::of(p.certificate())).collect();
        to_js(&list)
    }

    /// The DER of every certificate that has a private key here (same order as `keyCertificates`),
    /// for storing and exporting the public part without unlocking.
    #[wasm_bindgen(js_name = certificatesDer)]
    pub fn certificates_der(&self) -> JsResult<js_sys::Array> {
        der_array(self.0.pairs().iter().map(|p| p.certificate()))
    }

    /// The DER of the CA certificates that came with the keys (the PKCS#12's chain): what validating the
    /// identity's own certificate may need beside the trusted CAs.
    #[wasm_bindgen(js_name = chainDer)]
    pub fn chain_der(&self) -> JsResult<js_sys::Array> {
        der_array(self.0.chain())
    }

    /// The DER of the certificate to give to correspondents (the current encryption certificate).
    #[wasm_bindgen(js_name = encryptionCertificate)]
    pub fn encryption_certificate(&self) -> JsResult<Vec<u8>> {
        use der::Encode;
        let pair = self.0.encryption_pair(clock::now_unix()).map_err(throw)?;
        pair.certificate().to_der().map_err(|e| throw(Error::Crypto(e.to_string())))
    }

    /// Unwraps every S/MIME layer of a mail, decrypting with any key of this identity's history
    /// and verifying with the options. Returns `{ message: Uint8Array, layers: [...] }`, outermost
    /// layer first.
    #[wasm_bindgen(js_name = openMessage)]
    pub fn open_message(&self, message: Vec<u8>, options: JsValue) -> JsResult<JsValue> {
        open_with(message, Some(&self.0), options)
    }

    /// [`Identity::open_message`] with WebCrypto for the bulk work: a Promise of the same result.
    #[wasm_bindgen(js_name = openMessageAsync)]
    pub fn open_message_async(&self, message: Vec<u8>, options: JsValue) -> JsResult<js_sys::Promise> {
        open_async(message, Some(self.0.clone()), options)
    }

    /// Decrypts an encrypted mail with any key of this identity's history, with WebCrypto for the
    /// bulk work: a Promise of `{ message: Uint8Array, info }`, as [`decrypt_message`] returns.
    #[wasm_bindgen(js_name = decryptMessageAsync)]
    pub fn decrypt_message_async(&self, message: Vec<u8>) -> JsResult<js_sys::Promise> {
        let job = Decrypting::prepare(message, &self.0).map_err(throw)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let job = webcrypto::unwrap(job).await;
            let (plain, info) = webcrypto::decrypt(job).await.map_err(throw)?;
            decrypted(&plain, &info)
        }))
    }
}

/// Options of [`sign_message`], as a JS object.
#[derive(Default)]
struct JsSignOptions {
    sign: SignOptions,
    /// `application/pkcs7-mime` instead of `multipart/signed`.
    opaque: bool,
}

impl JsSignOptions {
    fn read(o: &Members<'_>) -> crate::Result<JsSignOptions> {
        use ChainInclusion as C;
        let d = SignOptions::default();
        let digests =
            [("sha256", SigningDigest::Sha256), ("sha384", SigningDigest::Sha384), ("sha512", SigningDigest::Sha512)];
        let schemes = [("rsa-pkcs1v15", SignatureScheme::RsaPkcs1v15), ("rsa-pss", SignatureScheme::RsaPss)];
        let chains = [("none", C::None), ("without-root", C::WithoutRoot), ("with-root", C::WithRoot)];
        Ok(JsSignOptions {
            sign: SignOptions {
                digest: o.choice("digest", &digests)?.unwrap_or(d.digest),
                scheme: o.choice("scheme", &schemes)?.unwrap_or(d.scheme),
                chain: o.choice("chain", &chains)?.unwrap_or(d.chain),
                include_capabilities: o.bool("includeCapabilities", d.include_capabilities)?,
                signing_time: o.u64("signingTime")?,
            },
            opaque: o.bool("opaque", false)?,
        })
    }
}

/// Signs a whole mail (RFC 5322 header + MIME entity). Options:
/// `{ digest: "sha256"|"sha384"|"sha512", scheme: "rsa-pkcs1v15"|"rsa-pss", chain, includeCapabilities, opaque }`.
#[wasm_bindgen(js_name = signMessage)]
pub fn sign_message(message: Vec<u8>, identity: &Identity, options: JsValue) -> JsResult<js_sys::Uint8Array> {
    let o = from_js(options, "sign options", JsSignOptions::read)?;
    let mode = if o.opaque { SignMode::Opaque } else { SignMode::Detached };
    let signed = Signing::new(message, &o.sign, mode).and_then(|job| job.sign(&identity.0, &o.sign)).map_err(throw)?;
    output_to_js(&signed)
}

/// Copies a finished mail into a new `Uint8Array`, piece by piece: it is never whole in wasm memory.
fn output_to_js(output: &smime::Output) -> JsResult<js_sys::Uint8Array> {
    let total = output.len();
    let out = js_sys::Uint8Array::new_with_length(u32::try_from(total).map_err(|_| too_large())?);
    let mut at = 0usize;
    let mut fits = true;
    output.write_to(&mut |piece| {
        let end = at + piece.len();
        if end <= total {
            out.subarray(at as u32, end as u32).copy_from(piece);
        } else {
            fits = false;
        }
        at = end;
    });
    if !fits || at != total {
        return Err(throw(Error::Crypto("the output's pieces do not add up to its length".into())));
    }
    Ok(out)
}

fn too_large() -> JsValue {
    throw(Error::LimitExceeded("the message is larger than 4 GB".into()))
}

/// [`sign_message`] with the content digest and the RSA signature by WebCrypto: a Promise of the
/// same signed mail.
#[wasm_bindgen(js_name = signMessageAsync)]
pub fn sign_message_async(message: Vec<u8>, identity: &Identity, options: JsValue) -> JsResult<js_sys::Promise> {
    let o = from_js(options, "sign options", JsSignOptions::read)?;
    let mode = if o.opaque { SignMode::Opaque } else { SignMode::Detached };
    let job = Signing::new(message, &o.sign, mode).map_err(throw)?;
    let identity = identity.0.clone();
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let digest = webcrypto::digest_of(job.content(), job.digest()).await;
        let prepared = job.prepare(&digest, &identity, &o.sign).map_err(throw)?;
        let signature = webcrypto::rsa_sign(&prepared).await.map_err(throw)?;
        let signed = job.finish_signed(prepared, signature, &identity, &o.sign).map_err(throw)?;
        Ok(output_to_js(&signed)?.into())
    }))
}

/// Options of [`encrypt_message`], as a JS object.
#[derive(Default)]
struct JsEncryptOptions {
    cipher: Option<String>,
    key_transport: Option<String>,
    subject_key_identifier: bool,
    /// With `trust` (and optionally `intermediates`, `crls`, `checkRevocation`, `missingRevocation`,
    /// `time`), every recipient must validate for key encipherment, or nothing is encrypted.
    validation: JsVerifyOptions,
}

impl JsEncryptOptions {
    fn read(o: &Members<'_>) -> crate::Result<JsEncryptOptions> {
        Ok(JsEncryptOptions {
            cipher: o.string("cipher")?,
            key_transport: o.string("keyTransport")?,
            subject_key_identifier: o.bool("subjectKeyIdentifier", false)?,
            validation: JsVerifyOptions::read(o)?,
        })
    }
}

/// Encrypts a mail to the given certificates (PEM or DER, one `Uint8Array` each; include the
/// sender's own). Options: `{ cipher: "aes-256-gcm"|..., keyTransport: "rsa-pkcs1"|"rsa-oaep", subjectKeyIdentifier }`,
/// and, to refuse recipients whose certificates do not validate (RFC 5280, key encipherment,
/// emailProtection), the verification options `{ trust, intermediates, crls, checkRevocation, ... }`:
/// throws `unusable-certificate` naming the recipient and the reason.
#[wasm_bindgen(js_name = encryptMessage)]
pub fn encrypt_message(
    message: Vec<u8>,
    recipients: Vec<js_sys::Uint8Array>,
    options: JsValue,
) -> JsResult<js_sys::Uint8Array> {
    let (certs, options) = encryption(recipients, options)?;
    let sealed = Encrypting::new(message, &certs).and_then(|job| job.encrypt(&certs, &options)).map_err(throw)?;
    output_to_js(&sealed)
}

/// [`encrypt_message`] with the content encryption by WebCrypto: a Promise of the encrypted mail.
#[wasm_bindgen(js_name = encryptMessageAsync)]
pub fn encrypt_message_async(
    message: Vec<u8>,
    recipients: Vec<js_sys::Uint8Array>,
    options: JsValue,
) -> JsResult<js_sys::Promise> {
    let (certs, options) = encryption(recipients, options)?;
    let mut job = Encrypting::new(message, &certs).map_err(throw)?;
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let key = ContentKey::generate(options.cipher);
        let encrypted = webcrypto::encrypt_content(&key, job.take_content()).await.map_err(throw)?;
        let sealed = job.finish(&key, encrypted, &certs, &options).map_err(throw)?;
        Ok(output_to_js(&sealed)?.into())
    }))
}

/// The recipients' certificates and the encryption options, checked against the trust options
/// when there are any.
fn encryption(recipients: Vec<js_sys::Uint8Array>, options: JsValue) -> JsResult<(Vec<Certificate>, EncryptOptions)> {
    let o = from_js(options, "encrypt options", JsEncryptOptions::read)?;
    let mut certs = Vec::new();
    for r in recipients {
        certs.extend(cert::parse_certificates(&r.to_vec()).map_err(throw)?);
    }
    let options = EncryptOptions {
        cipher: o.cipher.as_deref().map(str::parse::<Cipher>).transpose().map_err(throw)?.unwrap_or_default(),
        key_transport: o
            .key_transport
            .as_deref()
            .map(str::parse::<KeyTransport>)
            .transpose()
            .map_err(throw)?
            .unwrap_or_default(),
        identifier: if o.subject_key_identifier {
            IdentifierKind::SubjectKeyId
        } else {
            IdentifierKind::IssuerAndSerial
        },
    };
    if !o.validation.trust.is_empty() {
        smime::check_recipients_against(&certs, &o.validation.into_options()?).map_err(throw)?;
    }
    Ok((certs, options))
}

/// Where the revocation status of the recipients' certificates can be had, for checking it before
/// encrypting: `[{ kind: "crl"|"ocsp", url, certificate, requestBase64? }]` for every certificate on a
/// recipient's path that the options' `crls` and `ocspResponses` leave undecided (a CRL is fetched with
/// GET; an OCSP request, base64 here, is POSTed as `application/ocsp-request`). Options as for
/// [`encrypt_message`]'s validation: `{ trust, intermediates, crls, ocspResponses, time }`. The host
/// fetches them and passes the results to `encryptMessage` as `crls` and `ocspResponses`.
#[wasm_bindgen(js_name = revocationSources)]
pub fn revocation_sources(recipients: Vec<js_sys::Uint8Array>, options: JsValue) -> JsResult<JsValue> {
    let o = from_js(options, "revocation options", JsVerifyOptions::read)?;
    let mut certs = Vec::new();
    for r in recipients {
        certs.extend(cert::parse_certificates(&r.to_vec()).map_err(throw)?);
    }
    to_js(&smime::recipient_revocation_sources(&certs, &o.into_options()?))
}

/// Options of verification, as a JS object.
#[derive(Default)]
struct JsVerifyOptions {
    /// Trusted roots, PEM or DER.
    trust: Vec<Vec<u8>>,
    /// Extra intermediates, PEM or DER.
    intermediates: Vec<Vec<u8>>,
    /// RFC 3339 time to verify at; now when absent.
    time: Option<String>,
    /// The From address to compare; taken from the message when absent.
    from: Option<String>,
    allow_sha1: bool,
    /// CRLs, PEM or DER; given CRLs turn revocation checking on.
    crls: Vec<Vec<u8>>,
    /// DER OCSP responses the host fetched for a report's `revocationSources`.
    ocsp_responses: Vec<Vec<u8>>,
    /// Check revocation even without CRLs here (those in the message count).
    check_revocation: bool,
    /// "unknown" (default) or "fail": what a certificate no CRL covers means.
    missing_revocation: Option<MissingRevocation>,
    /// A certificate that names no CRL distribution point or OCSP responder passes the revocation check.
    accept_unpublished: bool,
}

impl JsVerifyOptions {
    fn read(o: &Members<'_>) -> crate::Result<JsVerifyOptions> {
        let missing = [("unknown", MissingRevocation::Unknown), ("fail", MissingRevocation::Fail)];
        Ok(JsVerifyOptions {
            trust: o.byte_list("trust")?,
            intermediates: o.byte_list("intermediates")?,
            time: o.string("time")?,
            from: o.string("from")?,
            allow_sha1: o.bool("allowSha1", false)?,
            crls: o.byte_list("crls")?,
            ocsp_responses: o.byte_list("ocspResponses")?,
            check_revocation: o.bool("checkRevocation", false)?,
            missing_revocation: o.choice("missingRevocation", &missing)?,
            accept_unpublished: o.bool("acceptUnpublished", false)?,
        })
    }

    fn into_options(self) -> JsResult<VerifyOptions> {
        let time = match &self.time {
            Some(t) => Some(
                clock::parse_rfc3339(t)
                    .ok_or_else(|| throw(Error::InvalidArgument(format!("{t:?} is not an RFC 3339 time"))))?,
            ),
            None => None,
        };
        let mut crls = Vec::new();
        for data in &self.crls {
            crls.extend(Crl::parse_all(data).map_err(throw)?);
        }
        Ok(VerifyOptions {
            trust: certificates(&self.trust)?,
            intermediates: certificates(&self.intermediates)?,
            time,
            from: self.from,
            allow_sha1: self.allow_sha1,
            check_revocation: self.check_revocation || !crls.is_empty() || !self.ocsp_responses.is_empty(),
            ocsp_responses: self.ocsp_responses,
            crls,
            missing_revocation: self.missing_revocation.unwrap_or_default(),
            accept_unpublished: self.accept_unpublished,
            ..VerifyOptions::default()
        })
    }
}

/// Decrypts an encrypted mail with any key of the identity's history.
/// Returns `{ message: Uint8Array, info }`.
#[wasm_bindgen(js_name = decryptMessage)]
pub fn decrypt_message(message: Vec<u8>, identity: &Identity) -> JsResult<JsValue> {
    let (plain, info) = Decrypting::new(message, &identity.0).and_then(Decrypting::decrypt).map_err(throw)?;
    decrypted(&plain, &info)
}

fn decrypted(plain: &[u8], info: &crate::envelope::EncryptionInfo) -> JsResult<JsValue> {
    let obj = js_sys::Object::new();
    set(&obj, "message", &bytes(plain))?;
    set(&obj, "info", &to_js(info)?)?;
    Ok(obj.into())
}

/// Verifies a signed mail. Returns `{ message: Uint8Array (the mail without its signature), report }`;
/// `report.verdict` is `"trusted"` only when everything checked out.
#[wasm_bindgen(js_name = verifyMessage)]
pub fn verify_message(message: Vec<u8>, options: JsValue) -> JsResult<JsValue> {
    let o = from_js(options, "verify options", JsVerifyOptions::read)?;
    let options = o.into_options()?;
    let (content, report) = Verifying::new(message).and_then(|v| v.verify(&options)).map_err(throw)?;
    let obj = js_sys::Object::new();
    set(&obj, "message", &bytes(&content))?;
    set(&obj, "report", &to_js(&report)?)?;
    Ok(obj.into())
}

/// Unwraps every S/MIME layer of a mail without any private key: verifies its signatures with the
/// options; an encrypted layer throws `invalid-argument` (use [`Identity::open_message`]).
/// Returns `{ message: Uint8Array, layers: [...] }`, outermost layer first.
#[wasm_bindgen(js_name = openMessage)]
pub fn open_message(message: Vec<u8>, options: JsValue) -> JsResult<JsValue> {
    open_with(message, None, options)
}

/// [`open_message`] with WebCrypto for the bulk work: a Promise of the same result.
#[wasm_bindgen(js_name = openMessageAsync)]
pub fn open_message_async(message: Vec<u8>, options: JsValue) -> JsResult<js_sys::Promise> {
    open_async(message, None, options)
}

// An identity is taken by reference from JS (a by-value `Option<Identity>` would consume the JS
// object on the first call), so decrypting is a method of `Identity` and this is the shared body.
fn open_with(message: Vec<u8>, identity: Option<&identity::Identity>, options: JsValue) -> JsResult<JsValue> {
    let o = from_js(options, "verify options", JsVerifyOptions::read)?;
    let opened = smime::open_owned(message, identity, &o.into_options()?).map_err(throw)?;
    opened_to_js(&opened)
}

fn open_async(message: Vec<u8>, identity: Option<identity::Identity>, options: JsValue) -> JsResult<js_sys::Promise> {
    let o = from_js(options, "verify options", JsVerifyOptions::read)?;
    let options = o.into_options()?;
    Ok(wasm_bindgen_futures::future_to_promise(async move {
        let opened = open_layers(message, identity.as_ref(), options).await.map_err(throw)?;
        opened_to_js(&opened)
    }))
}

/// [`smime::open_owned`], with the bulk work by WebCrypto.
async fn open_layers(
    message: Vec<u8>,
    identity: Option<&identity::Identity>,
    options: crate::verify::VerifyOptions,
) -> crate::Result<Opened> {
    let mut layers = Vec::new();
    let mut current = message;
    loop {
        let (k, multipart) = smime::kind_and_multipart(&current)?;
        if k != Kind::Plain && layers.len() >= smime::MAX_LAYERS {
            return Err(smime::too_many_layers());
        }
        match k {
            Kind::Encrypted => {
                smime::may_decrypt(&layers)?;
                let job = webcrypto::unwrap(Decrypting::prepare(current, smime::need_identity(identity)?)?).await;
                let (next, info) = webcrypto::decrypt(job).await?;
                layers.push(Layer::Encrypted(info));
                current = next;
            }
            Kind::DetachedSigned | Kind::OpaqueSigned => {
                let job = Verifying::new(current)?;
                let mut digests = ContentDigests::new();
                for d in job.digests() {
                    digests.insert(d, webcrypto::digest_of(job.content(), d).await);
                }
                let (next, report) = job.finish(&digests, &options)?;
                layers.push(Layer::Signed(report));
                current = next;
            }
            Kind::Plain => {
                let unopened_parts = if multipart { smime::unopened_parts(&current)? } else { Vec::new() };
                let openpgp = multipart && smime::openpgp_message(&current);
                let attribution = smime::attribution(&layers);
                return Ok(Opened { layers, unopened_parts, openpgp, attribution, message: current });
            }
        }
    }
}

fn opened_to_js(opened: &Opened) -> JsResult<JsValue> {
    let obj = js_sys::Object::new();
    set(&obj, "message", &bytes(&opened.message))?;
    set(&obj, "layers", &to_js(&opened.layers)?)?;
    set(&obj, "unopenedParts", &to_js(&opened.unopened_parts)?)?;
    set(&obj, "openpgp", &JsValue::from_bool(opened.openpgp))?;
    set(&obj, "attribution", &to_js(&opened.attribution)?)?;
    // The certificates of signers that are valid and trusted: correspondents to encrypt to later, with
    // what they announced they can decrypt (`trustedSigners`: `{ certificate, capabilities, signingTime }`).
    let trusted = js_sys::Array::new();
    let signers = js_sys::Array::new();
    for layer in &opened.layers {
        if let smime::Layer::Signed(report) = layer {
            for s in report.signers.iter().filter(|s| s.trusted()) {
                if let Some(der) = &s.certificate_der {
                    trusted.push(&bytes(der));
                    let signer = js_sys::Object::new();
                    set(&signer, "certificate", &bytes(der))?;
                    set(&signer, "capabilities", &to_js(&s.capabilities)?)?;
                    set(&signer, "signingTime", &to_js(&s.signing_time)?)?;
                    signers.push(&signer);
                }
            }
        }
    }
    set(&obj, "trustedSignerCertificates", &trusted)?;
    set(&obj, "trustedSigners", &signers)?;
    Ok(obj.into())
}

/// What a file holds (.p12 with or without password, certificates, CMS, mail).
#[wasm_bindgen]
pub fn inspect(data: &[u8], password: Option<String>) -> JsResult<JsValue> {
    to_js(&inspect::inspect(data, password.as_deref()).map_err(throw)?)
}

/// Reads a trusted-CA collection file (PEM, DER, .p7b/.p7c, Windows .sst). Returns
/// `{ format, entries: [summary + role], certificates: [Uint8Array DER] }`, duplicates merged.
#[wasm_bindgen(js_name = readTrustCollection)]
pub fn read_trust_collection(data: &[u8]) -> JsResult<JsValue> {
    let mut store = crate::trust::store::TrustStore::new();
    let summary = store.import(data).map_err(throw)?;
    let obj = js_sys::Object::new();
    set(&obj, "format", &to_js(&summary.format)?)?;
    set(&obj, "entries", &to_js(&store.entries())?)?;
    let certs = der_array(store.certificates())?;
    set(&obj, "certificates", &certs)?;
    Ok(obj.into())
}

/// Summaries of the certificates in a PEM or DER file.
#[wasm_bindgen(js_name = parseCertificates)]
pub fn parse_certificates(data: &[u8]) -> JsResult<JsValue> {
    let certs = cert::parse_certificates(data).map_err(throw)?;
    to_js(&certs.iter().map(cert::Summary::of).collect::<Vec<_>>())
}

/// Which certificate a directory's answer for `email` gives (see [`crate::directory`]): the answer's bytes
/// (DER, PEM or PKCS#7 certs-only; empty for none) are checked like any recipient's certificate, against
/// the verification options `{ trust, intermediates, crls, ocspResponses, checkRevocation, time }`.
/// Returns `{ certificate: Uint8Array | null, summary | null, chain: [Uint8Array], rejected: [{ subject,
/// sha256Fingerprint, reason }] }` (`chain`: the CAs between the certificate and its anchor, for Send);
/// throws `malformed` for an answer that is no certificates and `limit-exceeded` for one too big or too
/// crowded.
#[wasm_bindgen(js_name = directoryCertificate)]
pub fn directory_certificate(answer: &[u8], email: String, options: JsValue) -> JsResult<JsValue> {
    use der::Encode;
    let options = from_js(options, "verify options", JsVerifyOptions::read)?.into_options()?;
    let certs = crate::directory::parse_answer(answer).map_err(throw)?;
    let found = crate::directory::choose(&certs, &email, &options);
    let obj = js_sys::Object::new();
    match &found.certificate {
        Some(c) => {
            set(&obj, "certificate", &bytes(&c.to_der().map_err(|e| throw(Error::Crypto(e.to_string())))?))?;
            set(&obj, "summary", &to_js(&cert::Summary::of(c))?)?;
        }
        None => {
            set(&obj, "certificate", &JsValue::NULL)?;
            set(&obj, "summary", &JsValue::NULL)?;
        }
    }
    let chain = der_array(&found.chain)?;
    set(&obj, "chain", &chain)?;
    set(&obj, "rejected", &to_js(&found.rejected)?)?;
    Ok(obj.into())
}

/// The DNS query (RFC 1035 wire format, for a DNS-over-HTTPS POST, RFC 8484) for the SMIMEA records of
/// `email` (RFC 8162).
#[wasm_bindgen(js_name = smimeaQuery)]
pub fn smimea_query(email: String) -> JsResult<js_sys::Uint8Array> {
    Ok(js_sys::Uint8Array::from(crate::dane::query(&email).map_err(throw)?.as_slice()))
}

/// The resolver's answer to [`smimea_query`]: `{ authenticated, certificates: [Uint8Array], others, ttl }`:
/// whether the resolver validated it with DNSSEC, the certificates held whole, how many records held only
/// a digest, and the smallest TTL in seconds (null without records).
#[wasm_bindgen(js_name = smimeaAnswer)]
pub fn smimea_answer(response: &[u8], email: String) -> JsResult<JsValue> {
    let answer = crate::dane::parse_response(response, &email).map_err(throw)?;
    let obj = js_sys::Object::new();
    set(&obj, "authenticated", &JsValue::from_bool(answer.authenticated))?;
    let certs = js_sys::Array::new();
    for c in answer.records.iter().filter_map(crate::dane::Smimea::certificate) {
        certs.push(&bytes(c));
    }
    let others = answer.records.iter().filter(|r| r.certificate().is_none()).count();
    set(&obj, "certificates", &certs)?;
    set(&obj, "others", &JsValue::from_f64(others as f64))?;
    let ttl = answer.records.iter().map(|r| r.ttl).min();
    set(&obj, "ttl", &ttl.map_or(JsValue::NULL, |t| JsValue::from_f64(f64::from(t))))?;
    Ok(obj.into())
}

/// What a mail is on its face, with no key used ([`smime::Shape`]): `{ kind: "detachedSigned" |
/// "opaqueSigned" | "encrypted" | "plain", openpgp, unopenedParts }`. The extension decides with it
/// what to insert into the webmail's page before any private-key operation happens.
#[wasm_bindgen(js_name = messageShape)]
pub fn message_shape(mail: &[u8]) -> JsResult<JsValue> {
    to_js(&smime::shape(mail).map_err(throw)?)
}

/// What a reader shows of a mail: `{ headers: [[name, value]], text, html, attachments: [{ filename,
/// contentType, data: Uint8Array }] }`, header values RFC 2047 decoded.
#[wasm_bindgen(js_name = parseMessage)]
pub fn parse_message(mail: &[u8]) -> JsResult<JsValue> {
    let r = mime::readable(&mime::parse(mail).map_err(throw)?).map_err(throw)?;
    let obj = js_sys::Object::new();
    set(&obj, "headers", &to_js(&r.headers)?)?;
    set(&obj, "text", &to_js(&r.text)?)?;
    set(&obj, "html", &to_js(&r.html)?)?;
    let list = js_sys::Array::new();
    for a in &r.attachments {
        let item = js_sys::Object::new();
        set(&item, "filename", &JsValue::from_str(&a.filename))?;
        set(&item, "contentType", &JsValue::from_str(&a.content_type))?;
        set(&item, "data", &bytes(&a.data))?;
        list.push(&item);
    }
    set(&obj, "attachments", &list)?;
    Ok(obj.into())
}

/// An attachment of [`build_message`].
struct JsAttachment {
    filename: String,
    content_type: Option<String>,
    data: Vec<u8>,
}

/// The mail of [`build_message`].
#[derive(Default)]
struct JsMail {
    /// Header fields in order, e.g. `[["From", "Alice <alice@example.com>"], ["Subject", "Hi"]]`.
    headers: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<JsAttachment>,
}

impl JsMail {
    fn read(o: &Members<'_>) -> crate::Result<JsMail> {
        let pair = |v: JsValue| match options::items(&v)?.as_slice() {
            [name, value, ..] => Some((name.as_string()?, value.as_string()?)),
            _ => None,
        };
        let mut attachments = Vec::new();
        for a in o.list("attachments", "a list of objects", Some)? {
            let a = Members::of(a, "mail: attachment")?
                .ok_or_else(|| Error::InvalidArgument("mail: attachment: expected an object".into()))?;
            attachments.push(JsAttachment {
                filename: a.required("filename", a.string("filename"))?,
                content_type: a.string("contentType")?,
                data: a.required("data", a.bytes("data"))?,
            });
        }
        Ok(JsMail {
            headers: o.list("headers", "a list of [name, value] pairs of strings", pair)?,
            text: o.string("text")?,
            html: o.string("html")?,
            attachments,
        })
    }
}

/// Builds a mail ready to be signed or encrypted:
/// `{ headers: [[name, value], ...], text, html, attachments: [{ filename, contentType, data }] }`.
#[wasm_bindgen(js_name = buildMessage)]
pub fn build_message(mail: JsValue) -> JsResult<Vec<u8>> {
    let m = from_js(mail, "mail", JsMail::read)?;
    let body = mime::Body {
        text: m.text,
        html: m.html,
        attachments: m
            .attachments
            .into_iter()
            .map(|a| mime::Attachment {
                filename: a.filename,
                content_type: a.content_type.unwrap_or_else(|| "application/octet-stream".into()),
                data: a.data,
            })
            .collect(),
    };
    let headers: Vec<(&str, &str)> = m.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    Ok(mime::build_message(&headers, &mime::build_entity(&body)))
}

/// The crate's version, for the extension's about page.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
