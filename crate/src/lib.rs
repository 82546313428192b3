//! # Siegel — S/MIME 4.0 for webmail, in pure Rust
//!
//! The core of Siegel: everything that turns a mail into signed and encrypted S/MIME and back, with no
//! platform dependency, so that the same code runs natively (the `siegel` CLI) and as WebAssembly inside
//! the browser extension.
//!
//! The modules, each with one job:
//! - [`ber`]: BER to DER normalisation (real S/MIME is BER with indefinite lengths).
//! - [`cms_common`]: what every CMS message shares: ContentInfo from DER or BER, and the size limits.
//! - [`pkcs12`]: reading .p12/.pfx files (RFC 7292).
//! - [`identity`]: a user's keys and certificates, including the history of encryption keys.
//! - [`capabilities`]: the SMIMECapabilities a correspondent announces (RFC 8551 2.5.2, RFC 4262).
//! - [`cert`]: what a certificate says (emails, key usage, identifiers).
//! - [`dane`]: SMIMEA records (RFC 8162) asked of a DNS-over-HTTPS resolver in DNS wire format.
//! - [`directory`]: which certificate a directory's answer for an address gives, if any.
//! - [`dn`]: distinguished names as RFC 4514 text.
//! - [`mime`]: building and parsing MIME (RFC 5322, 2045–2049, 2047, 2231).
//! - [`sign`] and [`verify`]: CMS SignedData (RFC 5652) and its verification report.
//! - [`pubkey`]: the public-key algorithms, one file each: constant-time RSA and EC private keys on the
//!   `siegel-bignum` crate, RSA's key-transport paddings, and RSA, ECDSA and DSA verification.
//! - [`envelope`]: CMS EnvelopedData and AuthEnvelopedData (RFC 5652, 5083, 5084).
//! - [`smime`]: the message level (RFC 8551): sign, encrypt, and open a whole mail.
//! - [`trust`]: the trusted-CA collection, RFC 5280 path validation and revocation.
//! - [`inspect`]: describe what a file holds.
//! - `wasm` (wasm32 only): the thin wasm-bindgen API over the above.
#![forbid(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

mod aes_simd;
pub mod alg;
pub mod ber;
pub mod capabilities;
pub mod cert;
pub mod clock;
pub mod cms_common;
pub mod dane;
pub mod directory;
pub mod dn;
pub mod envelope;
pub mod error;
pub mod identity;
pub mod inspect;
pub mod mime;
pub mod oids;
pub mod pkcs12;
pub mod pubkey;
mod recent;
pub mod sign;
pub mod signer_info;
pub mod smime;
mod sort;
#[cfg(test)]
mod test_rng;
pub mod trust;
pub mod verify;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
