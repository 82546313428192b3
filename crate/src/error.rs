//! The one error type of the crate.
//!
//! Every variant carries a message a person can act on. Nothing in this crate panics on input:
//! a panic inside wasm kills the extension's service worker, so malformed input always ends here.

use core::fmt::Display;

/// Everything that can go wrong in Siegel.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Input that is not what it claims to be (bad ASN.1, bad MIME, bad base64, ...).
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read, e.g. "PKCS#12 file" or "CMS SignedData".
        what: &'static str,
        /// What exactly was wrong.
        detail: String,
    },
    /// Well-formed input that uses something Siegel does not implement.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// The kind of thing, e.g. "key encryption algorithm".
        what: &'static str,
        /// Which one (usually an OID with its name).
        detail: String,
    },
    /// The PKCS#12 password is wrong (the MAC or the decryption check failed).
    #[error("wrong password for the PKCS#12 file: its integrity check failed")]
    WrongPassword,
    /// A PKCS#12 file with certificates but no private key.
    #[error("the PKCS#12 file holds no private key; export it again with the private key included")]
    NoPrivateKey,
    /// A private key without a matching certificate.
    #[error("the PKCS#12 file holds a private key but no certificate for it")]
    NoCertificateForKey,
    /// No usable certificate for a recipient or the sender.
    #[error("no certificate for {0}")]
    NoCertificateFor(String),
    /// A certificate that cannot be used for what was asked.
    #[error("certificate of {subject} cannot be used: {reason}")]
    UnusableCertificate {
        /// The certificate's subject (or email).
        subject: String,
        /// Why not.
        reason: String,
    },
    /// The message is encrypted, but to none of the identity's keys.
    #[error("this message was not encrypted to any of your keys (it names: {recipients})")]
    NotForUs {
        /// The recipient identifiers named in the message, readable.
        recipients: String,
    },
    /// Decryption failed. Deliberately one error for every padding, tag, or key-unwrap failure,
    /// so that a reader cannot be used as a padding or MAC oracle.
    #[error("decryption failed: the message was altered or damaged, or was not encrypted to this key")]
    DecryptionFailed,
    /// Not an S/MIME message at all.
    #[error("not an S/MIME message: {0}")]
    NotSmime(String),
    /// A limit on size, depth, or count was hit.
    #[error("input exceeds a safety limit: {0}")]
    LimitExceeded(String),
    /// Signing or encryption could not be done with the given key or parameters.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
    /// A caller passed an argument that makes no sense.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A mail Siegel will not open, by its layering rules (an encrypted layer below two signature
    /// layers: the reply-exfiltration shape).
    #[error("not opened: {0}")]
    Refused(String),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// Builds a closure that maps any displayable error to [`Error::Malformed`].
    pub(crate) fn malformed<E: Display>(what: &'static str) -> impl FnOnce(E) -> Error {
        move |e| Error::Malformed { what, detail: e.to_string() }
    }

    /// A [`Error::Malformed`] with a fixed detail.
    pub(crate) fn bad(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Malformed { what, detail: detail.into() }
    }

    /// An [`Error::Unsupported`].
    pub(crate) fn unsupported(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Unsupported { what, detail: detail.into() }
    }
}

impl Error {
    /// A stable, machine-readable name for the kind of error (for the extension's UI and logs),
    /// e.g. `"wrong-password"` or `"decryption-failed"`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "malformed",
            Error::Unsupported { .. } => "unsupported",
            Error::WrongPassword => "wrong-password",
            Error::NoPrivateKey => "no-private-key",
            Error::NoCertificateForKey => "no-certificate-for-key",
            Error::NoCertificateFor(_) => "no-certificate",
            Error::UnusableCertificate { .. } => "unusable-certificate",
            Error::NotForUs { .. } => "not-for-us",
            Error::DecryptionFailed => "decryption-failed",
            Error::NotSmime(_) => "not-smime",
            Error::LimitExceeded(_) => "limit-exceeded",
            Error::Crypto(_) => "crypto",
            Error::InvalidArgument(_) => "invalid-argument",
            Error::Refused(_) => "refused",
        }
    }
}
