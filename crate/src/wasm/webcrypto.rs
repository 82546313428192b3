//! The heavy work through the host's WebCrypto (`crypto.subtle`): SHA-2 digests of the content,
//! AES-CBC / AES-GCM over it, and the RSA signature (PKCS#1 v1.5 or PSS) of the signed attributes.
//! Every function falls back to the pure-Rust implementation when WebCrypto is missing (an insecure
//! context, an old runtime) or refuses the algorithm (AES-192, 3DES), so the result never depends
//! on which one ran: the bytes are the same either way (PSS signatures are randomised anyway).
//!
//! For signing and for unwrapping RSA-OAEP keys, the private key goes to WebCrypto as PKCS#8 for one
//! non-extractable `CryptoKey`, used once and dropped. RSAES-PKCS1-v1_5 key transport, which
//! WebCrypto does not have, stays in Rust (`crate::pubkey::rsa`, constant time).
//!
//! An accepted trade-off on the OAEP path: the browser's OAEP check is constant time, but a failed
//! unwrap comes back as a rejected promise and a good one as a resolved one, two different paths in
//! JS and here before the common random-key fallback; their timing differs. Through mail (one
//! attempt per message read by a person, no error beyond "decryption failed") that is no usable
//! oracle for Manger's attack, which needs thousands of adaptive queries.
//!
//! Data goes to WebCrypto as a view of wasm memory, which WebCrypto copies when it is called, so the
//! only copies are WebCrypto's own and the result's way back into wasm memory.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::alg::{Digest, SignatureScheme};
use crate::envelope::{content::GCM_TAG_LEN, ContentCipher, ContentKey, EncryptedContent};
use crate::sign::Prepared;
use crate::smime::{Decrypting, Unwrapping};
use crate::{envelope::EncryptionInfo, Error, Result};

#[wasm_bindgen]
extern "C" {
    /// The `SubtleCrypto` interface.
    #[wasm_bindgen(js_name = SubtleCrypto)]
    pub type Subtle;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Subtle,
        format: &str,
        key: &[u8],
        algorithm: &str,
        extractable: bool,
        usages: &Array,
    ) -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key_for(
        this: &Subtle,
        format: &str,
        key: &[u8],
        algorithm: &Object,
        extractable: bool,
        usages: &Array,
    ) -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn sign(this: &Subtle, algorithm: &Object, key: &JsValue, data: &[u8]) -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn encrypt(this: &Subtle, algorithm: &Object, key: &JsValue, data: &[u8])
        -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn decrypt(this: &Subtle, algorithm: &Object, key: &JsValue, data: &[u8])
        -> core::result::Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn digest(this: &Subtle, algorithm: &str, data: &[u8]) -> core::result::Result<Promise, JsValue>;
}

/// The host's `crypto.subtle`, if it has one.
pub fn subtle() -> Option<Subtle> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    if !crypto.is_object() {
        return None;
    }
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// Awaits a promise that a call returned (or the call's own exception).
async fn settle(call: core::result::Result<Promise, JsValue>) -> core::result::Result<JsValue, JsValue> {
    JsFuture::from(call?).await
}

/// The name of a DOMException (or other error object) WebCrypto rejected with.
fn error_name(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("name")).ok().and_then(|n| n.as_string()).unwrap_or_default()
}

/// Below this many bytes, AES and SHA-2 run in Rust even on the async path: a WebCrypto call costs
/// about 0.1–0.3 ms however little it does (a promise and a hop to another thread), which is what
/// Rust in wasm needs for about 8 KB of AES or 15 KB of SHA-256 (BENCHMARKS.md).
pub const SMALL: usize = 8 * 1024;

/// The digest of `data`: in Rust below [`SMALL`] bytes, else by WebCrypto when it can.
pub async fn digest_of(data: &[u8], digest: Digest) -> Vec<u8> {
    if data.len() < SMALL {
        return digest.hash(data);
    }
    digest_by_host(data, digest).await
}

/// The digest of `data`, by WebCrypto when it can (whatever the size).
pub async fn digest_by_host(data: &[u8], digest: Digest) -> Vec<u8> {
    if let Some(s) = subtle() {
        if let Ok(buf) = settle(s.digest(digest.webcrypto_name(), data)).await {
            let out = Uint8Array::new(&buf);
            if out.length() as usize == digest.output_len() {
                return out.to_vec();
            }
        }
    }
    digest.hash(data)
}

/// A WebCrypto AES key for `name` ("AES-CBC", "AES-GCM") and `usage`.
async fn aes_key(s: &Subtle, name: &str, key: &[u8], usage: &str) -> Option<JsValue> {
    let usages = Array::of1(&JsValue::from_str(usage));
    settle(s.import_key("raw", key, name, false, &usages)).await.ok()
}

/// `{ name, iv }`, plus for GCM the tag length in bits and the additional data when there is some.
fn aes_params(name: &str, iv: &[u8], tag_len: Option<usize>, aad: &[u8]) -> Option<Object> {
    let o = Object::new();
    Reflect::set(&o, &"name".into(), &name.into()).ok()?;
    Reflect::set(&o, &"iv".into(), &Uint8Array::from(iv)).ok()?;
    if let Some(t) = tag_len {
        Reflect::set(&o, &"tagLength".into(), &JsValue::from((t * 8) as u32)).ok()?;
    }
    if !aad.is_empty() {
        Reflect::set(&o, &"additionalData".into(), &Uint8Array::from(aad)).ok()?;
    }
    Some(o)
}

/// Encrypts `content` under `key`: in Rust below [`SMALL`] bytes, else by WebCrypto when it can.
pub async fn encrypt_content(key: &ContentKey, content: Vec<u8>) -> Result<EncryptedContent> {
    if content.len() < SMALL {
        return key.encrypt(content);
    }
    encrypt_content_by_host(key, content).await
}

/// Encrypts `content` under `key`, by WebCrypto when it can (whatever the size). The ciphertext
/// reuses `content`'s buffer.
pub async fn encrypt_content_by_host(key: &ContentKey, mut content: Vec<u8>) -> Result<EncryptedContent> {
    let gcm = key.cipher().is_authenticated();
    let name = if gcm { "AES-GCM" } else { "AES-CBC" };
    let Some(s) = subtle() else { return key.encrypt(content) };
    let Some(k) = aes_key(&s, name, key.key(), "encrypt").await else { return key.encrypt(content) };
    let Some(params) = aes_params(name, key.iv(), gcm.then_some(GCM_TAG_LEN), &[]) else {
        return key.encrypt(content);
    };
    let buf = match settle(s.encrypt(&params, &k, &content)).await {
        Ok(buf) => Uint8Array::new(&buf),
        Err(_) => return key.encrypt(content),
    };
    let n = content.len();
    let total = buf.length() as usize;
    if gcm {
        // WebCrypto returns ciphertext || tag; CMS keeps the tag in a field of its own.
        if total != n + GCM_TAG_LEN {
            return Err(Error::Crypto("WebCrypto returned AES-GCM output of an unexpected length".into()));
        }
        buf.subarray(0, n as u32).copy_to(&mut content);
        let tag = buf.subarray(n as u32, total as u32).to_vec();
        return Ok(EncryptedContent { ciphertext: content, tag: Some(tag) });
    }
    if total != crate::envelope::content::padded_len(n) {
        return Err(Error::Crypto("WebCrypto returned AES-CBC output of an unexpected length".into()));
    }
    content.resize(total, 0);
    buf.copy_to(&mut content);
    Ok(EncryptedContent { ciphertext: content, tag: None })
}

/// Unwraps the content-encryption key with WebCrypto's RSA-OAEP when the mail's key transport is
/// one WebCrypto does (a native RSA private-key operation, several times faster than wasm), else
/// in Rust. WebCrypto has no RSAES-PKCS1-v1_5: those keys are always unwrapped in Rust.
pub async fn unwrap(job: Unwrapping) -> Decrypting {
    match oaep_unwrap(&job).await {
        Some(key) => job.with_key(key.as_deref().map(|k| &k[..])),
        None => job.unwrap(),
    }
}

/// The key unwrapped by WebCrypto's RSA-OAEP. `None`: WebCrypto cannot do it (go on in Rust);
/// `Some(None)`: its decryption failed.
pub async fn oaep_unwrap(job: &Unwrapping) -> Option<Option<Zeroizing<Vec<u8>>>> {
    let s = subtle()?;
    let (hash, pkcs8) = job.envelope().oaep_for_host()?;
    let import = Object::new();
    Reflect::set(&import, &"name".into(), &"RSA-OAEP".into()).ok()?;
    Reflect::set(&import, &"hash".into(), &hash.webcrypto_name().into()).ok()?;
    let usages = Array::of1(&JsValue::from_str("decrypt"));
    let key = settle(s.import_key_for("pkcs8", &pkcs8, &import, false, &usages)).await.ok()?;
    drop(pkcs8);
    let params = Object::new();
    Reflect::set(&params, &"name".into(), &"RSA-OAEP".into()).ok()?;
    match settle(s.decrypt(&params, &key, job.envelope().encrypted_key())).await {
        Ok(buf) => Some(Some(Zeroizing::new(Uint8Array::new(&buf).to_vec()))),
        // Bad padding or a key from another message: the Rust path's stand-in key follows.
        Err(e) if error_name(&e) == "OperationError" => Some(None),
        Err(_) => None,
    }
}

/// Decrypts a mail's content: in Rust below [`SMALL`] bytes of ciphertext, else by WebCrypto when
/// it can (AES-128/256, CBC or GCM).
pub async fn decrypt(job: Decrypting) -> Result<(Vec<u8>, EncryptionInfo)> {
    if job.opening().ciphertext().len() < SMALL {
        return job.decrypt();
    }
    decrypt_by_host(job).await
}

/// Decrypts a mail's content by WebCrypto when it can (whatever the size), else in Rust.
pub async fn decrypt_by_host(mut job: Decrypting) -> Result<(Vec<u8>, EncryptionInfo)> {
    let Some(s) = subtle() else { return job.decrypt() };
    let opening = job.opening();
    if !matches!(opening.key().len(), 16 | 32) {
        return job.decrypt();
    }
    let params = match opening.cipher() {
        ContentCipher::Cbc { iv } if iv.len() == 16 => aes_params("AES-CBC", iv, None, &[]),
        ContentCipher::Gcm { nonce, tag, aad } => aes_params("AES-GCM", nonce, Some(tag.len()), aad),
        ContentCipher::Cbc { .. } => None,
    };
    let Some(params) = params else { return job.decrypt() };
    let name = Reflect::get(&params, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
    let Some(k) = aes_key(&s, &name, opening.key(), "decrypt").await else { return job.decrypt() };
    let result = settle(s.decrypt(&params, &k, job.opening_mut().ciphertext_with_tag())).await;
    match result {
        Ok(buf) => {
            let plain = Uint8Array::new(&buf);
            job.finish_with(plain.length() as usize, |room| plain.copy_to(room))
        }
        // A wrong key, tag or padding: the same single error as the Rust path gives.
        Err(e) if error_name(&e) == "OperationError" => Err(Error::DecryptionFailed),
        Err(_) => job.decrypt(),
    }
}

/// The RSA signature of prepared signed attributes, by WebCrypto when it can.
pub async fn rsa_sign(prepared: &Prepared<'_>) -> Result<Vec<u8>> {
    match webcrypto_sign(prepared).await {
        Some(signature) => Ok(signature),
        None => prepared.sign_in_rust(),
    }
}

async fn webcrypto_sign(prepared: &Prepared<'_>) -> Option<Vec<u8>> {
    // EC keys sign in Rust (ECDSA, constant time); WebCrypto here is for RSA only.
    let expected = prepared.signer().rsa_size()?;
    let s = subtle()?;
    let digest = prepared.digest();
    let name = match prepared.scheme() {
        SignatureScheme::RsaPkcs1v15 => "RSASSA-PKCS1-v1_5",
        SignatureScheme::RsaPss => "RSA-PSS",
    };
    let import = Object::new();
    Reflect::set(&import, &"name".into(), &name.into()).ok()?;
    Reflect::set(&import, &"hash".into(), &digest.webcrypto_name().into()).ok()?;
    let params = Object::new();
    Reflect::set(&params, &"name".into(), &name.into()).ok()?;
    // PSS with a salt as long as the digest, as the Rust path and the SignerInfo parameters say.
    Reflect::set(&params, &"saltLength".into(), &JsValue::from(digest.output_len() as u32)).ok()?;
    let key = {
        let pkcs8 = prepared.signer().private_key_pkcs8().ok()?;
        let usages = Array::of1(&JsValue::from_str("sign"));
        s.import_key_for("pkcs8", &pkcs8, &import, false, &usages)
    };
    let key = settle(key).await.ok()?;
    let signature = Uint8Array::new(&settle(s.sign(&params, &key, prepared.to_be_signed())).await.ok()?);
    (signature.length() as usize == expected).then(|| signature.to_vec())
}
